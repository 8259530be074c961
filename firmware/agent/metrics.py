"""Runtime counters and the ``metrics/T`` message (docs/protocol.md, "Metrics").

Why counters and not logs: the OTA gate and load tests judge a fleet by rates (program
failures, reconnects, drops), which must survive log rate limiting and offline periods.
"""


class Metrics:
    def __init__(self):
        self.programs_run = 0  # program starts (load with auto_start, start, boot restore)
        self.program_failures = 0  # programs that ended in `error`
        self.vm_steps_retired = 0  # steps of interpreters already discarded
        self.dropped_events = 0  # handler/timer calls refused because of the task limit
        self.publish_waits = 0  # times a program publish waited for the rate limit
        self.internal_errors = 0  # exceptions caught in the agent itself (bugs)
        self.storage_errors = 0  # failed flash writes and damaged files found

    def snapshot(self, agent):
        """The metrics message as a dict (``agent`` is the :class:`core.Agent`)."""
        heap = agent.board.heap()
        rt = agent.programs.runtime
        session = agent.session
        return {
            "thing": agent.thing,
            "ts": agent.wall_time(),
            "uptime": agent.uptime(),
            "firmware": agent.firmware_version,
            "heap_free": heap[0] if heap else None,
            "heap_total": heap[1] if heap else None,
            "program_memory": rt.memory() if rt is not None else 0,
            "vm_steps": self.vm_steps_retired + (rt.interp.steps if rt is not None else 0),
            "programs_run": self.programs_run,
            "program_failures": self.program_failures,
            "reconnects": session.reconnects,
            "dropped": {
                "offline_queue": session.queue.dropped,
                # over the rate limit, or offline (logs are QoS 0 and not queued)
                "logs": agent.logs.dropped + session.dropped_qos0,
                "events": self.dropped_events,
            },
            "offline_queue": len(session.queue),
            "program_id": agent.programs.program_id,
            "program_state": agent.programs.state,
            "publish_waits": self.publish_waits,
            "internal_errors": self.internal_errors,
            "storage_errors": self.storage_errors,
        }
