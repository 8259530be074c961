"""Fakes for the agent and driver tests (portable: they run under MicroPython too).

* :class:`FakeI2C` with byte-level models of the SHTC3 (:class:`SHTC3Model`) and the
  ICM-42670-P (:class:`ICMModel`): they answer the exact commands and registers of
  board.md, NACK as the real chips do, and log every transfer.
* :class:`FakeBoard`: LED and pixel histories stamped with the rig's virtual time, the
  button, the console, a millisecond counter advanced by ``delay_ms``.
* :class:`FakeFS`: an in-memory filesystem that can "cut power" at the N-th write or
  rename: a cut write leaves a prefix of the data (a torn file), a cut rename does not
  happen; both raise :class:`PowerCut` out of the agent.
* :class:`Rig`: a tiny driver loop around an :class:`Agent` on virtual time: it answers
  ``Connect`` (or refuses it while offline) and ``Fetch``, records what reached the
  "broker", and runs the agent until a virtual time with :meth:`Rig.run_until`.
"""

import json

from firmware.agent import Agent
from firmware.agent.events import (
    Button,
    Connect,
    Connected,
    Disconnected,
    Fetch,
    Fetched,
    Message,
    Publish,
    Reboot,
    Subscribe,
    Tick,
    Unsubscribe,
)
from firmware.agent.ports import Board, FileSystem, I2CBus
from firmware.drivers.shtc3 import crc8

ENODEV = 19
EIO = 5
WALL0 = 1700000000


class PowerCut(BaseException):
    """The power went off (raised by FakeFS at the chosen write or rename)."""


# --- I2C and sensor models -------------------------------------------------------------------


class FakeI2C(I2CBus):
    def __init__(self, board=None):
        self.board = board
        self.devices = {}
        self.log = []

    def attach(self, model):
        self.devices[model.address] = model
        return model

    def _dev(self, addr):
        dev = self.devices.get(addr)
        if dev is None or dev.absent:
            raise OSError(ENODEV)
        return dev

    def writeto(self, addr, buf):
        self.log.append(("w", addr, bytes(buf)))
        self._dev(addr).write(bytes(buf))
        return len(buf)

    def readfrom(self, addr, nbytes):
        self.log.append(("r", addr, nbytes))
        return self._dev(addr).read(nbytes)

    def writeto_then_readfrom(self, addr, buf, nbytes):
        self.log.append(("wr", addr, bytes(buf), nbytes))
        dev = self._dev(addr)
        dev.write(bytes(buf))
        return dev.read(nbytes)


def shtc3_word(value):
    return bytes([value >> 8, value & 0xFF, crc8(bytes([value >> 8, value & 0xFF]))])


class SHTC3Model:
    """An SHTC3: asleep at power-on, only wakeup acknowledged while asleep, NACK on reads
    until 12.1 ms (of the board's ``delay_ms`` time) after the measure command."""

    address = 0x70

    def __init__(self, board, temperature=22.5, humidity=40.0):
        self.board = board
        self.temperature = temperature
        self.humidity = humidity
        self.absent = False
        self.asleep = True
        self.mode = None  # "measure" | "id"
        self.started = 0.0
        self.corrupt = None  # "temperature" | "humidity": send a bad CRC
        self.never_ready = False
        self.measure_ms = 12.1
        self.commands = []

    def raw(self):
        t = int((self.temperature + 45) * 65536 / 175 + 0.5)
        rh = int(self.humidity * 65536 / 100 + 0.5)
        return max(0, min(65535, t)), max(0, min(65535, rh))

    def write(self, buf):
        self.commands.append(buf)
        if buf == b"\x35\x17":
            self.asleep = False
            return
        if self.asleep:
            raise OSError(ENODEV)
        if buf == b"\xb0\x98":
            self.asleep = True
            self.mode = None
        elif buf == b"\x78\x66":
            self.mode = "measure"
            self.started = self.board.ms
        elif buf == b"\xef\xc8":
            self.mode = "id"
        elif buf == b"\x80\x5d":
            self.mode = None
        else:
            raise OSError(EIO)

    def read(self, n):
        if self.asleep or self.mode is None:
            raise OSError(ENODEV)
        if self.mode == "id":
            return (b"\x08\x07\x21")[:n]
        if self.never_ready or self.board.ms - self.started < self.measure_ms:
            raise OSError(ENODEV)
        t, rh = self.raw()
        tw = shtc3_word(t)
        hw = shtc3_word(rh)
        if self.corrupt == "temperature":
            tw = tw[:2] + bytes([tw[2] ^ 0xFF])
        if self.corrupt == "humidity":
            hw = hw[:2] + bytes([hw[2] ^ 0xFF])
        return (tw + hw)[:n]


def _i16(v):
    v = int(v)
    if v > 32767:
        v = 32767
    if v < -32768:
        v = -32768
    return v & 0xFFFF


class ICMModel:
    """An ICM-42670-P: register pointer with auto-increment; data registers computed from
    ``accel`` (g), ``gyro`` (dps) and ``temperature`` (°C) at the configured FS_SEL;
    in sleep mode (PWR_MGMT0 = 0, the power-on default) data reads 0x8000."""

    address = 0x68

    def __init__(self, who_am_i=0x67):
        self.absent = False
        self.regs = {0x75: who_am_i, 0x1F: 0x00, 0x20: 0x06, 0x21: 0x06}
        self.pointer = 0
        self.accel = (0.0, 0.0, 1.0)
        self.gyro = (0.0, 0.0, 0.0)
        self.temperature = 25.0
        self.writes = []

    def write(self, buf):
        self.pointer = buf[0]
        if len(buf) > 1:
            self.writes.append((buf[0], buf[1]))
            self.regs[buf[0]] = buf[1]

    def _data(self):
        out = {}
        on = self.regs[0x1F] & 0x0F == 0x0F
        afs = (self.regs[0x21] >> 5) & 3
        gfs = (self.regs[0x20] >> 5) & 3
        a_lsb = (2048, 4096, 8192, 16384)[afs]
        g_lsb = (16.4, 32.8, 65.5, 131.0)[gfs]
        words = [_i16((self.temperature - 25) * 128)]
        words += [_i16(round(v * a_lsb)) for v in self.accel]
        words += [_i16(round(v * g_lsb)) for v in self.gyro]
        for i in range(7):
            w = words[i] if on else 0x8000
            out[0x09 + 2 * i] = w >> 8
            out[0x0A + 2 * i] = w & 0xFF
        return out

    def read(self, n):
        data = self._data()
        out = []
        for i in range(n):
            reg = self.pointer + i
            out.append(data[reg] if reg in data else self.regs.get(reg, 0))
        return bytes(out)


# --- board and filesystem ----------------------------------------------------------------------


class FakeBoard(Board):
    def __init__(self, clock=None):
        self.clock = clock  # an object with .now (the rig)
        self.led = False
        self.led_history = []  # (t, on)
        self.pixel = (0, 0, 0)
        self.pixel_history = []
        self.pressed = False
        self.lines = []
        self.ms = 0.0
        self.delays = []
        self.heap_value = (81234, 196608)
        self.i2c = FakeI2C(self)
        self.shtc3 = self.i2c.attach(SHTC3Model(self))
        self.icm = self.i2c.attach(ICMModel())

    def _t(self):
        return self.clock.now if self.clock is not None else 0.0

    def set_led(self, on):
        self.led = bool(on)
        self.led_history.append((self._t(), self.led))

    def set_pixel(self, r, g, b):
        self.pixel = (r, g, b)
        self.pixel_history.append((self._t(), self.pixel))

    def button_pressed(self):
        return self.pressed

    def delay_ms(self, ms):
        self.delays.append(ms)
        self.ms += ms

    def wall_time(self):
        return WALL0 + self._t()

    def heap(self):
        return self.heap_value

    def console(self, text):
        self.lines.append(text)


class FakeFS(FileSystem):
    """Whole-file flash with power-cut injection.

    ``cut_at = N`` cuts power at the N-th ``write``/``rename`` counted from now (1-based):
    a write leaves the first ``tear`` fraction of its data; a rename does not happen.
    ``full`` makes every write fail with OSError (28, no space); ``garble`` makes writes
    silently store wrong bytes (caught by the read-back check).
    """

    def __init__(self):
        self.files = {}
        self.dirs = {"/": True}
        self.ops = 0
        self.cut_at = None
        self.tear = 0.5
        self.full = False
        self.garble = False
        self.writes = []  # paths written, in order

    def clone(self):
        fs = FakeFS()
        fs.files = dict(self.files)
        fs.dirs = dict(self.dirs)
        return fs

    def arm(self, n):
        self.ops = 0
        self.cut_at = n

    def _op(self):
        self.ops += 1
        return self.cut_at is not None and self.ops == self.cut_at

    def _parent(self, path):
        i = path.rfind("/")
        return "/" if i <= 0 else path[:i]

    def read(self, path):
        return self.files.get(path)

    def write(self, path, data):
        if self.full:
            raise OSError(28)
        if self._parent(path) not in self.dirs:
            raise OSError(2)
        data = bytes(data)
        self.writes.append(path)
        if self._op():
            self.files[path] = data[: int(len(data) * self.tear)]
            raise PowerCut("power cut while writing %s" % path)
        if self.garble:
            data = data[:-1] + b"?"
        self.files[path] = data

    def rename(self, src, dst):
        if src not in self.files:
            raise OSError(2)
        if self._op():
            raise PowerCut("power cut before renaming %s" % src)
        self.files[dst] = self.files.pop(src)

    def remove(self, path):
        self.files.pop(path, None)

    def listdir(self, path):
        path = path.rstrip("/") or "/"
        out = []
        for p in self.files:
            if self._parent(p) == path:
                out.append(p[p.rfind("/") + 1 :])
        out.sort()
        return out

    def mkdir(self, path):
        parts = path.strip("/").split("/")
        cur = ""
        for p in parts:
            cur += "/" + p
            self.dirs[cur] = True

    def names(self, directory):
        return self.listdir(directory)


# --- the rig ---------------------------------------------------------------------------------------

THING = "dev-1"


def config(thing=THING, **limits):
    cfg = {"thing_name": thing, "endpoint": {"host": "localhost", "port": 8883}}
    if limits:
        cfg["limits"] = limits
    return cfg


class Rig:
    """An agent on virtual time with a fake broker connection."""

    def __init__(
        self,
        cfg=None,
        fs=None,
        board=None,
        online=True,
        start=True,
        now=0.0,
        seed=1,
        jobs=None,
        strict=True,
        firmware="0.1.0",
    ):
        self.now = now
        self.board = board if board is not None else FakeBoard(self)
        self.board.clock = self
        self.fs = fs if fs is not None else FakeFS()
        self.cfg = cfg if cfg is not None else config()
        self.thing = self.cfg.get("thing_name")
        self.trace = []  # (kind, fields)
        self.published = []  # (t, topic, payload bytes, qos) that reached the broker
        self.actions = []  # (t, action) everything the agent returned
        self.online = online
        self.connected = False
        self.subscriptions = {}
        self.fetch_bodies = {}  # url -> bytes, or a str error
        self.hold_fetches = False
        self.held = []  # Fetch actions not answered yet
        self.reboots = []
        self._pending = []
        self.agent = Agent(
            self.cfg,
            self.board,
            self.fs,
            firmware,
            trace=self._trace,
            seed=seed,
            strict=strict,
            jobs=jobs,
        )
        if start:
            self.start()

    def start(self):
        self._do(self.agent.start(self.now))

    def _trace(self, kind, fields):
        self.trace.append((kind, fields))

    # --- carrying out actions ---

    def _do(self, actions):
        for a in actions:
            self.actions.append((self.now, a))
            t = type(a)
            if t is Connect:
                if self.online:
                    self.connected = True
                    self._pending.append(Connected(self.now))
                else:
                    self._pending.append(Disconnected(self.now, "refused"))
            elif t is Publish:
                assert self.connected, "Publish emitted while offline: %r" % (a,)
                assert type(a.payload) is bytes
                self.published.append((self.now, a.topic, a.payload, a.qos))
            elif t is Subscribe:
                for f, qos in a.filters:
                    self.subscriptions[f] = qos
            elif t is Unsubscribe:
                for f in a.filters:
                    self.subscriptions.pop(f, None)
            elif t is Fetch:
                if self.hold_fetches:
                    self.held.append(a)
                else:
                    self._pending.append(self._answer(a))
            elif t is Reboot:
                self.reboots.append(a.reason)
        while self._pending:
            ev = self._pending.pop(0)
            self._do(self.agent.handle(ev))

    def _answer(self, fetch):
        body = self.fetch_bodies.get(fetch.url)
        if body is None:
            return Fetched(self.now, fetch.request_id, error="404 Not Found")
        if type(body) is str:
            return Fetched(self.now, fetch.request_id, error=body)
        return Fetched(self.now, fetch.request_id, body=body)

    def release_fetches(self):
        held = self.held
        self.held = []
        for f in held:
            self.send(self._answer(f))

    # --- feeding events ---

    def send(self, ev):
        self._do(self.agent.handle(ev))

    def tick(self):
        self.send(Tick(self.now))

    def deliver(self, topic, payload):
        if type(payload) is not bytes:
            payload = payload if type(payload) is str else json.dumps(payload)
            payload = payload.encode()
        self.send(Message(self.now, topic, payload))

    def load(self, program_id, source=None, auto_start=None, broadcast=False, **extra):
        req = {"program_id": program_id}
        if source is not None:
            req["source"] = source
        if auto_start is not None:
            req["auto_start"] = auto_start
        for k in extra:
            req[k] = extra[k]
        who = "broadcast" if broadcast else self.thing
        self.deliver("steel-programs/%s/load" % who, req)

    def command(self, cmd, payload=b"", broadcast=False):
        who = "broadcast" if broadcast else self.thing
        self.deliver("steel-programs/%s/%s" % (who, cmd), payload)

    def press(self, pressed=True):
        self.board.pressed = pressed
        self.send(Button(self.now, pressed))

    def drop(self, reason="network down"):
        self.connected = False
        self.send(Disconnected(self.now, reason))

    def run_until(self, t, limit=20000):
        """Tick the agent at each deadline up to virtual time ``t``."""
        n = 0
        while True:
            d = self.agent.next_deadline()
            if d is None or d > t:
                break
            if d > self.now:
                self.now = d
            self.tick()
            n += 1
            assert n < limit, "the agent kept asking for ticks (at t=%s)" % self.now
        if t > self.now:
            self.now = t
            self.tick()

    def advance(self, seconds):
        self.run_until(self.now + seconds)

    def settle(self, limit=20000):
        """Run while the agent has runnable work at the current time."""
        self.run_until(self.now, limit)

    # --- what happened ---

    def on(self, topic):
        """[(t, payload text)] published on a device topic."""
        return [(p[0], p[2].decode()) for p in self.published if p[1] == topic]

    def json_on(self, topic):
        return [json.loads(p) for _, p in self.on(topic)]

    def statuses(self):
        return self.json_on("steel-programs/%s/status" % self.thing)

    def states(self, program_id=None):
        return [
            s["state"]
            for s in self.statuses()
            if program_id is None or s.get("program_id") == program_id
        ]

    def last_status(self):
        return self.statuses()[-1]

    def traced(self, kind):
        return [f for k, f in self.trace if k == kind]

    def shadow_reports(self):
        return self.json_on("$aws/things/%s/shadow/update" % self.thing)
