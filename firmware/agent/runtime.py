"""One loaded program: its interpreter, tasks, timers and handlers, and how they are run.

Why a scheduler here: a device runs untrusted programs next to its MQTT session, and
MicroPython has one thread.  Each program gets its own :class:`~firmware.steel.Interpreter`
(so its globals, its memory meter and its cap are its own, and dropping it frees
everything) and runs as Steel *tasks*: the top-level forms, each timer callback and each
message/shadow/button handler.  On every scheduling round each ready task runs for at most
``slice_steps`` procedure calls, then the agent gets control back.  A task that sleeps
(``(sleep s)``) or waits (a throttled publish) is parked with a wake time; timers fire as
new tasks when due.  Time is whatever the agent says ``now`` is (virtual in the emulator).

Limits, each ending the program with an ``error`` status:

* a task that runs ``steps`` (1,000,000) procedure calls without suspending:
  ``StepLimitExceeded`` (a runaway loop);
* the interpreter's memory cap: ``OutOfMemory`` (a memory bomb, a 1e6-deep recursion);
* any other uncaught error in any task.

``busy()`` says whether the program still has something to do (tasks, timers, handlers);
when it has not, the program is ``finished``.
"""

from ..steel import Interpreter, SteelError
from ..steel.errors import CONTRACT_VIOLATION, GENERIC, STEP_LIMIT
from ..steel.values import VOID
from ..steel.vm import DONE, PAUSED, SLEEPING, SUSPEND, WAITING
from .ratelimit import TokenBucket
from .topics import TopicError, matches


class Job:
    """A task plus the scheduler's bookkeeping.  ``mark`` is the task's step count when
    it last suspended (the step limit counts from there)."""

    __slots__ = ("task", "mark", "label", "wake", "on_wake", "seq")

    def __init__(self, task, label, seq):
        self.task = task
        self.mark = 0
        self.label = label
        self.wake = None
        self.on_wake = None
        self.seq = seq


class ProgramRuntime:
    """``host`` is the agent (see :class:`firmware.agent.core.Agent`, "host interface")."""

    def __init__(self, host, program_id, source, sha256, limits, seed=0):
        self.host = host
        self.program_id = program_id
        self.source = source
        self.sha256 = sha256
        self.limits = limits
        self.interp = Interpreter(output=self._output, memory_limit=limits.memory, seed=seed)
        self.interp.host_roots = self._roots
        self.program = None
        self.ready = []  # jobs to run this round, in order
        self.waiting = []  # jobs asleep or waiting, each with .wake
        self.timers = {}  # name -> [due, procedure, seq]
        self.subs = []  # [program filter, [device filters], handler]
        self.shadow_handler = None
        self.button_handler = None
        self.main = None
        self.started = False
        self.now = 0.0
        self._seq = 0
        self._wait = None  # (wake, on_wake) left by a control procedure that suspended
        self._line = ""
        self.publish_bucket = TokenBucket(limits.publish_burst, limits.publish_rate)
        from .device_api import install

        install(self.interp, self, host)

    # --- lifecycle -----------------------------------------------------------------------

    def compile(self):
        """Compile the source (raises SteelError with line and column)."""
        self.program = self.interp.compile(self.source, self.program_id + ".scm")

    def start(self, now):
        self.now = now
        self.publish_bucket.stamp = now
        self.started = True
        self.main = self.spawn(self.program, [], "main")

    def stop(self, reason="stopped"):
        """Kill every task and drop timers and handlers; returns the device topic filters
        the program had subscribed to (the agent unsubscribes them)."""
        for job in self.ready + self.waiting:
            job.task.kill(reason)
        self.ready = []
        self.waiting = []
        self.timers = {}
        filters = []
        for sub in self.subs:
            filters.extend(sub[1])
        self.subs = []
        self.shadow_handler = None
        self.button_handler = None
        self._flush_output()
        return filters

    def busy(self):
        return bool(
            self.ready
            or self.waiting
            or self.timers
            or self.subs
            or self.shadow_handler is not None
            or self.button_handler is not None
        )

    def memory(self):
        """Approximate bytes the program holds now (a measurement; cost O(live data))."""
        return self.interp.measure()

    # --- tasks -------------------------------------------------------------------------

    def spawn(self, proc, args, label):
        """Run ``(proc args...)`` as a new task; None if the task limit refuses it."""
        if self.main is not None and len(self.ready) + len(self.waiting) >= self.limits.tasks:
            self.host.dropped_event(self.program_id, label)
            return None
        self._seq += 1
        job = Job(self.interp.spawn(proc, args, name=label), label, self._seq)
        self.ready.append(job)
        return job

    def suspend(self, task, wake, on_wake):
        """Park the running ``task`` (a control procedure calls this and returns
        ``SUSPEND``): at ``wake`` the scheduler calls ``on_wake()``, which must
        ``task.resume(value)``."""
        task.status = WAITING
        self._wait = (wake, on_wake)
        return SUSPEND

    def next_deadline(self):
        """When this program next needs the CPU: ``now`` if a task is ready."""
        if self.ready:
            return self.now
        best = None
        for t in self.timers.values():
            if best is None or t[0] < best:
                best = t[0]
        for job in self.waiting:
            if job.wake is not None and (best is None or job.wake < best):
                best = job.wake
        return best

    def service(self, now):
        """Fire due timers, wake due sleepers, then run one slice of each ready task.

        Returns None, or the SteelError that ends the program.
        """
        self.now = now
        if self.timers:
            due = []
            for name in self.timers:
                t = self.timers[name]
                if t[0] <= now:
                    due.append((t[0], t[2], name))
            due.sort()
            for _, _, name in due:
                t = self.timers.pop(name)
                self.host.trace(
                    "timer", {"program_id": self.program_id, "name": name, "action": "fire"}
                )
                self.spawn(t[1], [], "timer " + name)
        if self.waiting:
            woke = []
            keep = []
            for job in self.waiting:
                if job.wake is not None and job.wake <= now:
                    woke.append(job)
                else:
                    keep.append(job)
            if woke:
                self.waiting = keep
                woke.sort(key=_wake_order)
                for job in woke:
                    if job.on_wake is not None:
                        job.on_wake()
                    job.on_wake = None
                    job.wake = None
                    self.ready.append(job)
        jobs = self.ready
        self.ready = []
        for job in jobs:
            err = self._run(job)
            if err is not None:
                return err
        return None

    def _run(self, job):
        task = job.task
        limit = self.limits.steps
        budget = self.limits.slice_steps
        left = limit - (task.steps - job.mark)
        if left < budget:
            budget = left
        try:
            status = task.run(budget)
        except SteelError as e:
            return e
        except Exception as e:  # a bug in the runtime; the program ends, the agent lives
            error = SteelError(GENERIC, "internal error in the runtime; the program was stopped")
            error.cause = e  # for the host's logs, never the program's status
            return error
        if status == DONE:
            self._flush_output()
            return None
        if status == PAUSED:
            if task.steps - job.mark >= limit:
                return self._step_limit(job)
            self.ready.append(job)
            return None
        job.mark = task.steps
        if status == SLEEPING:
            job.wake = self.now + task.wake_after
            job.on_wake = None
        elif status == WAITING:
            wait = self._wait
            self._wait = None
            if wait is None:
                task.kill("waiting with no wake-up")
                return SteelError(GENERIC, "internal error: a task waits with no wake-up")
            job.wake, job.on_wake = wait
        self.waiting.append(job)
        return None

    def _step_limit(self, job):
        task = job.task
        e = SteelError(
            STEP_LIMIT,
            "%s ran %d steps without suspending (a runaway loop?); "
            "long work must sleep or be split across timers" % (job.label, self.limits.steps),
        )
        e.source = self.program_id + ".scm"
        e.trace = task.trace()
        r = task.r
        if type(r) is tuple and r[3] is not None:  # paused at a call: where it is
            e.locate(r[3])
        task.kill("step limit")
        return e

    # --- timers and handlers (called by the device API) ---------------------------------

    def set_timer(self, name, seconds, proc):
        if name not in self.timers and len(self.timers) >= self.limits.timers:
            raise SteelError(
                CONTRACT_VIOLATION,
                "set-timer: a program may arm at most %d timers" % self.limits.timers,
            )
        self._seq += 1
        due = self.now + seconds
        self.timers[name] = [due, proc, self._seq]
        self.host.trace(
            "timer",
            {
                "program_id": self.program_id,
                "name": name,
                "action": "set",
                "seconds": seconds,
                "due": due,
            },
        )

    def cancel_timer(self, name):
        if name in self.timers:
            del self.timers[name]
            self.host.trace(
                "timer", {"program_id": self.program_id, "name": name, "action": "cancel"}
            )
            return True
        return False

    def subscribe(self, topic_filter, handler):
        try:
            filters = self.host.topics.subscription_filters(topic_filter)
        except TopicError as e:
            raise SteelError(CONTRACT_VIOLATION, e.message)
        for sub in self.subs:
            if sub[0] == topic_filter:
                sub[2] = handler
                return
        if len(self.subs) >= self.limits.subscriptions:
            raise SteelError(
                CONTRACT_VIOLATION,
                "mqtt-subscribe: a program may subscribe to at most %d topic filters"
                % self.limits.subscriptions,
            )
        self.subs.append([topic_filter, filters, handler])
        self.host.program_subscribe(filters)

    def unsubscribe(self, topic_filter):
        for i in range(len(self.subs)):
            if self.subs[i][0] == topic_filter:
                filters = self.subs.pop(i)[1]
                self.host.program_unsubscribe(filters)
                return True
        return False

    def device_filters(self):
        out = []
        for sub in self.subs:
            out.extend(sub[1])
        return out

    def deliver(self, program_topic, payload):
        """A message on a subscribed topic: one handler task per matching filter."""
        n = 0
        for sub in self.subs:
            if matches(sub[0], program_topic):
                self.spawn(sub[2], [program_topic, payload], "handler " + sub[0])
                n += 1
        return n

    def shadow_delta(self, delta):
        """Call the program's ``on-shadow-delta`` handler (the caller checked there is one)."""
        self.spawn(self.shadow_handler, [delta], "on-shadow-delta")

    def button(self, pressed):
        if self.button_handler is not None:
            self.spawn(self.button_handler, [pressed], "on-button")
            return True
        return False

    def throttled(self, task, send):
        """Run ``send()`` now if the publish bucket has a token, else park the task until
        it has one (a runaway publisher is slowed down, not killed)."""
        if self.publish_bucket.take(self.now):
            send()
            return VOID
        wait = self.publish_bucket.wait_time(self.now)
        bucket = self.publish_bucket
        self.host.publish_waited()

        def wake():
            bucket.force(self.now)
            send()
            task.resume(VOID)

        task.wait_reason = "the publish rate limit"
        return self.suspend(task, self.now + wait, wake)

    # --- memory roots and output ---------------------------------------------------------

    def _roots(self):
        out = []
        for t in self.timers.values():
            out.append(t[1])
        for sub in self.subs:
            out.append(sub[2])
        if self.shadow_handler is not None:
            out.append(self.shadow_handler)
        if self.button_handler is not None:
            out.append(self.button_handler)
        return out

    def _output(self, text):
        """``display`` and friends: whole lines go to the console."""
        text = self._line + text
        nl = text.find("\n")
        while nl >= 0:
            self.host.program_output(self.program_id, text[:nl])
            text = text[nl + 1 :]
            nl = text.find("\n")
        if len(text) > 1000:
            self.host.program_output(self.program_id, text)
            text = ""
        self._line = text

    def _flush_output(self):
        if self._line:
            self.host.program_output(self.program_id, self._line)
            self._line = ""


def _wake_order(job):
    return (job.wake, job.seq)
