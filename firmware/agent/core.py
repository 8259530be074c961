"""The device agent: a sans-IO state machine (events in, actions out).

Why sans-IO: the same agent must run on an ESP32-C3 under MicroPython's loop, in the
emulator under asyncio or threads, and in Locust under gevent, and be tested with no
sockets at all.  So the agent never touches the network: a driver feeds it events
(:mod:`firmware.agent.events`) and carries out the actions it returns.  Local hardware
(LEDs, I2C sensors, flash) is reached synchronously through the port
(:mod:`firmware.agent.ports`) because it is fast and local.

How a driver runs it::

    agent = Agent(config, board, fs, "0.1.0", trace=callback)
    do(agent.start(now))                      # restores the stored program, asks to Connect
    loop:
        d = agent.next_deadline()             # when the agent next needs a Tick
        wait until d, or until an event happens (message, connection change, button)
        do(agent.handle(event or Tick(now)))

``now`` is monotonic seconds (virtual in the emulator; the agent never reads a clock
itself, except ``board.wall_time()`` for timestamps).  ``next_deadline()`` is ``now`` while
a program has runnable work: each ``handle`` runs one slice of every ready task, so a
program that loops keeps asking for Ticks and the driver stays free to deliver events in
between.  Actions: ``Connect``, ``Publish``, ``Subscribe``, ``Unsubscribe``, ``Fetch``
(answer with ``Fetched``) and ``Reboot``.  When a Publish could not be delivered, the
driver hands it back with ``PublishFailed``.

Trace: ``trace(kind, fields)`` is called with ``fields["t"]`` = the agent's ``now`` for
kinds ``log``, ``output`` (``display`` lines), ``led``, ``pixel``, ``timer`` (set, fire,
cancel), ``status`` (every program status message), ``publish`` (program publishes, with
the program ``topic`` and the ``device_topic``), ``shadow`` (program shadow updates),
``shadow-delta``, ``metrics``, ``session``, ``fetch``, ``storage`` and ``error``.

Host interface: :class:`~firmware.agent.runtime.ProgramRuntime`, the device API and the
program manager call back into the agent through the methods in the "host interface"
section below; nothing else in the agent is meant for them.
"""

from ..drivers.icm42670 import ICM42670
from ..drivers.shtc3 import SHTC3
from .config import Config, parse_config
from .events import (
    Button,
    Chunk,
    Connect,
    Connected,
    Disconnected,
    Downloaded,
    Fetched,
    Message,
    Publish,
    PublishFailed,
    Subscribe,
    Tick,
    Unsubscribe,
)
from .logs import LogChannel
from .metrics import Metrics
from .programs import ProgramManager
from .session import Backoff, Prng, Session, seed_from
from .shadow import ShadowState, agent_report
from .storage import Storage
from .topics import Topics
from .wire import dumps


class Agent:
    """One device's agent.

    ``config`` is a :class:`~firmware.agent.config.Config` (or a dict, validated here);
    ``board`` a :class:`~firmware.agent.ports.Board`; ``fs`` a
    :class:`~firmware.agent.ports.FileSystem`; ``firmware_version`` a string.
    ``trace(kind, fields)`` is optional.  ``jobs`` is an optional
    :class:`~firmware.agent.jobs.JobsHandler`.  ``seed`` seeds the reconnect jitter and the
    programs' ``random`` (default: derived from the thing name).  With ``strict`` an
    exception inside the agent propagates (tests); without it, it is counted, traced and
    the agent carries on (devices).
    """

    def __init__(
        self,
        config,
        board,
        fs,
        firmware_version,
        trace=None,
        jobs=None,
        seed=None,
        strict=False,
        storage=None,
    ):
        if not isinstance(config, Config):
            config = parse_config(config, "<config>")
        self.config = config
        self.board = board
        self.fs = fs
        self.storage = storage if storage is not None else Storage(fs)
        self.firmware_version = firmware_version
        self.thing = config.thing_name
        self.topics = Topics(self.thing)
        self.trace_fn = trace
        self.jobs = jobs
        self.strict = strict
        limits = config.limits
        self.rng = Prng(seed if seed is not None else seed_from(self.thing))
        self.session = Session(
            Backoff(config.backoff_initial, config.backoff_cap, self.rng),
            limits.offline_queue,
            limits.connect_timeout,
        )
        self.metrics = Metrics()
        self.logs = LogChannel(limits.log_burst, limits.log_rate)
        self.programs = ProgramManager(self)
        self.shadow_state = ShadowState()  # what (shadow-get) reads
        self.now = 0.0
        self.boot_time = None
        self.next_metrics = None
        self._out = []
        self._shtc3 = None
        self._imu = None

    # --- the driver's interface -------------------------------------------------------------

    def start(self, now):
        """Boot: restore the stored program (and start it if it was running), then ask
        the driver to connect.  Returns the first actions."""
        self.now = now
        self.boot_time = now
        self.logs.bucket.stamp = now
        self.next_metrics = now + self.config.metrics_interval
        self.console("agent: %s booting, firmware %s" % (self.thing, self.firmware_version))
        for w in self.config.warnings:
            self.console("config: " + w)
        self._guard(self.programs.boot, now)
        self.session.connect_now(now)
        self.emit(Connect())
        self._guard(self._service)
        return self._take()

    def handle(self, event):
        """Feed one event; returns the actions to carry out, in order."""
        if event.now > self.now:
            self.now = event.now
        self._guard(self._dispatch, event)
        self._guard(self._service)
        return self._take()

    def next_deadline(self):
        """Monotonic time at which the agent next needs a Tick (``now`` if it has
        runnable work)."""
        best = self.next_metrics
        for d in (
            self.session.deadline(),
            self.programs.next_deadline(),
            self.jobs.next_deadline() if self.jobs is not None else None,
        ):
            if d is not None and (best is None or d < best):
                best = d
        return best

    def load_program(self, now, program_id, source, auto_start=True):
        """Load a program as if a load request had arrived on the device's own topic
        (for ``steelhil check`` and the console); returns the actions."""
        req = {"program_id": program_id, "source": source, "auto_start": auto_start}
        topic = "steel-programs/%s/load" % self.thing
        return self.handle(Message(now, topic, dumps(req).encode()))

    # --- introspection ---------------------------------------------------------------------------

    @property
    def program_id(self):
        return self.programs.program_id

    @property
    def program_state(self):
        return self.programs.state

    @property
    def connected(self):
        return self.session.connected

    def metrics_snapshot(self):
        """The metrics message as a dict (what ``metrics/T`` carries)."""
        return self.metrics.snapshot(self)

    def uptime(self):
        return self.now - self.boot_time if self.boot_time is not None else 0.0

    def wall_time(self):
        return self.board.wall_time()

    # --- dispatch --------------------------------------------------------------------------------

    def _guard(self, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # a bug in the agent must not take the device down
            if self.strict:
                raise
            self.metrics.internal_errors += 1
            self.console("agent: internal error: %r" % (e,))
            self.trace("error", {"where": "agent", "message": repr(e)})

    def _dispatch(self, ev):
        t = type(ev)
        if t is Tick:
            return
        if t is Message:
            self._message(ev)
        elif t is Connected:
            self._connected(ev)
        elif t is Disconnected:
            self._disconnected(ev)
        elif t is Fetched:
            if self.programs.pending is not None and self.programs.pending[0] == ev.request_id:
                self.programs.fetched(ev, self.now)
            elif self.jobs is not None:
                self._extend(self.jobs.on_fetched(self, ev))
            else:
                self.programs.fetched(ev, self.now)
        elif t is Chunk or t is Downloaded:
            if self.jobs is not None:
                self._extend(self.jobs.on_download(self, ev))
        elif t is Button:
            self.trace("button", {"pressed": ev.pressed})
            self.programs.button(bool(ev.pressed))
        elif t is PublishFailed:
            self.session.requeue(ev.actions)
        else:
            raise ValueError("unknown event %r" % (ev,))

    def _message(self, ev):
        topic = ev.topic
        payload = ev.payload
        if isinstance(payload, str):
            payload = payload.encode()
        elif not isinstance(payload, bytes):
            payload = bytes(payload)
        cmd = self.topics.program_command(topic)
        if cmd is not None:
            self.programs.request(cmd, payload, self.now)
            return
        tp = self.topics
        if topic == tp.shadow_delta:
            self.shadow_state.delta(payload)
            self.programs.shadow_delta(payload, False)
        elif topic == tp.shadow_get_accepted:
            self.shadow_state.accepted(payload)
            self.shadow_state.wake()  # answered, even if unusable: reads stop waiting
            self.programs.shadow_delta(payload, True)
        elif topic == tp.shadow_get_rejected or topic == tp.shadow_update_rejected:
            if topic == tp.shadow_get_rejected:
                self.shadow_state.rejected(payload)
                self.shadow_state.wake()
            self.trace("shadow", {"rejected": topic, "payload": _text(payload)})
            self.console("shadow: %s: %s" % (topic, _text(payload)))
        elif topic.startswith(tp.jobs_prefix):
            if self.jobs is not None:
                self._extend(self.jobs.on_message(self, topic, payload, self.now))
        else:
            program_topic = tp.to_program(topic)
            if program_topic is None or not self.programs.deliver(program_topic, payload):
                self.trace("error", {"where": "message", "message": "no handler for %s" % topic})

    def _connected(self, ev):
        self.session.on_connected(self.now)
        self.trace(
            "session",
            {
                "state": "connected",
                "reconnects": self.session.reconnects,
                "queued": len(self.session.queue),
            },
        )
        self.console("agent: connected")
        filters = self.topics.agent_filters() + self.programs.device_filters()
        if self.jobs is not None:
            filters = filters + self.jobs.filters(self.topics)
        self.emit(Subscribe([(f, 1) for f in filters]))
        for a in self.session.queue.drain():
            self.emit(a)
        self.report_state()
        self.publish(self.topics.shadow_get, b"{}")
        self.shadow_state.ask()
        if self.jobs is not None:
            self._extend(self.jobs.on_connected(self, self.now))

    def _disconnected(self, ev):
        self.shadow_state.lost()
        delay = self.session.on_disconnected(self.now)
        self.trace("session", {"state": "disconnected", "reason": ev.reason, "retry_in": delay})
        self.console("agent: disconnected (%s); retrying in %.1f s" % (ev.reason, delay))

    def _service(self):
        now = self.now
        if self.session.due(now):
            self.session.connect_now(now)
            self.emit(Connect())
        if self.next_metrics is not None and now >= self.next_metrics:
            self.next_metrics += self.config.metrics_interval
            if self.next_metrics <= now:
                self.next_metrics = now + self.config.metrics_interval
            self.publish_metrics()
        self.programs.service(now)
        if self.jobs is not None:
            self._extend(self.jobs.on_tick(self, now))

    def publish_metrics(self):
        snap = self.metrics_snapshot()
        self.trace("metrics", dict(snap))
        self.publish(self.topics.metrics, dumps(snap).encode())

    # --- host interface (runtime, device API, program manager) ---------------------------------

    def emit(self, action):
        self._out.append(action)

    def _extend(self, actions):
        if actions:
            for a in actions:
                self.emit(a)

    def _take(self):
        out = self._out
        self._out = []
        return out

    def publish(self, topic, payload, qos=1):
        if isinstance(payload, str):
            payload = payload.encode()
        a = self.session.send(Publish(topic, payload, qos))
        if a is not None:
            self.emit(a)

    def trace(self, kind, fields):
        if self.trace_fn is not None:
            fields["t"] = self.now
            self.trace_fn(kind, fields)

    def console(self, text):
        self.board.console(text)

    def program_status(self, msg):
        self.trace("status", dict(msg))
        self.publish(self.topics.status, dumps(msg).encode())

    def report_state(self):
        """``reported.agent`` in the shadow: on connect and on program state changes."""
        self.publish(
            self.topics.shadow_update,
            agent_report(
                self.firmware_version, self.programs.program_id, self.programs.state, self.uptime()
            ),
        )

    def program_log(self, program_id, level, message):
        self.console("[%s] %s: %s" % (level, program_id, message))
        self.trace("log", {"level": level, "message": message, "program_id": program_id})
        payload = self.logs.payload(self.now, level, message, program_id, self.wall_time())
        if payload is not None:
            self.publish(self.topics.logs, payload, 0)

    def program_output(self, program_id, line):
        self.console("%s> %s" % (program_id, line))
        self.trace("output", {"program_id": program_id, "text": line})

    def program_publish(self, program_id, topic, device_topic, text, qos):
        self.trace(
            "publish",
            {
                "program_id": program_id,
                "topic": topic,
                "device_topic": device_topic,
                "payload": text,
                "qos": qos,
            },
        )
        self.publish(device_topic, text, qos)

    def shadow_update(self, program_id, key, value_text, payload):
        self.trace("shadow", {"program_id": program_id, "key": key, "value": value_text})
        self.shadow_state.report(key, value_text)
        self.publish(self.topics.shadow_update, payload)

    def shadow_handler_registered(self):
        """A program registered ``on-shadow-delta``: ask for the shadow so that a delta
        that is already pending reaches it (after a connect it is asked for anyway)."""
        if self.session.connected:
            self.publish(self.topics.shadow_get, b"{}")

    def program_subscribe(self, filters):
        if self.session.connected and filters:
            self.emit(Subscribe([(f, 1) for f in filters]))

    def program_unsubscribe(self, filters):
        if self.session.connected and filters:
            self.emit(Unsubscribe(list(filters)))

    def dropped_event(self, program_id, label):
        self.metrics.dropped_events += 1
        self.trace("error", {"program_id": program_id, "message": "%s dropped: task limit" % label})

    def publish_waited(self):
        self.metrics.publish_waits += 1

    def shtc3(self):
        if self._shtc3 is None:
            self._shtc3 = SHTC3(self.board.i2c, self.board.delay_ms)
        return self._shtc3

    def imu(self):
        if self._imu is None:
            self._imu = ICM42670(self.board.i2c, self.board.delay_ms)
        return self._imu

    def imu_failed(self):
        self._imu = None  # initialise again (WHO_AM_I, power mode) on the next read


def _text(payload):
    try:
        return payload.decode()
    except UnicodeError:
        return repr(payload)
