"""Stand-ins for MicroPython's hardware modules, to run ``firmware/ports/esp32c3`` on a host.

The port imports ``machine``, ``neopixel``, ``network``, ``ntptime``, ``umqtt.simple``,
``ssl``, ``requests``, ``time`` and ``gc``; :func:`load_port` imports it with the fakes
below in ``sys.modules`` (and puts the real modules back afterwards: the port keeps its
references to the fakes).  ``requests`` and its HTTP server are in esp32c3_http, the
shadow and Jobs services behind the broker in esp32c3_cloud, a board that boots what is on
its flash (``/main.py``, the slots) in esp32c3_boot.  Portable: the same file runs under CPython (pytest) and under
MicroPython (ci/micropython), where most of these modules do not exist at all.

The fakes behave like the documented MicroPython v1.27 APIs (reference/micropython.md)
and like the board (reference/board.md), so a wrong pin or a wrong call shows:

* ``machine.Pin``: one state per GPIO; outputs keep a history of levels stamped with the
  fake time; GPIO9 has the board's pull-up (R19) and the BOOT button pulls it to 0;
  ``irq(trigger=IRQ_FALLING)`` handlers run on edges.
* ``machine.I2C(0, scl=Pin(8), sda=Pin(10))``: the sensors are on GPIO8/GPIO10 only; on
  other pins every transfer is NACKed (``OSError(ENODEV)``), as on the board.  Behind it,
  the emulator's SHTC3 and ICM-42670-P on CPython, the portable byte-level models of
  agent_fakes under MicroPython (the emulator is CPython-only).  Every transfer is logged.
* ``neopixel.NeoPixel``: ``write()`` shows the pixel only when it drives GPIO2.
* ``network.WLAN``: joins the fake access point ``JOIN_MS`` after ``connect`` if ssid and
  password match; ``status()`` says why not otherwise.
* ``ntptime.settime()``: needs Wi-Fi; sets the RTC (``time.time()`` counts from 2000, as
  on the ESP32).
* ``ssl.SSLContext``: MicroPython's defaults (``verify_mode = CERT_NONE``); ``wrap_socket``
  runs a handshake with :class:`Broker`: with CERT_REQUIRED the broker's CA, host name and
  certificate dates are checked (mbedTLS error -9984 otherwise); the broker requires a
  client certificate it knows.
* ``umqtt.simple.MQTTClient``: umqtt 1.7's API and behaviour (QoS 1 publish waits for the
  PUBACK and delivers messages that arrive meanwhile to the callback; ``check_msg``
  returns None when nothing is there, the packet type otherwise; a closed connection
  raises ``OSError``; SUBACK 0x80 raises ``MQTTException``), over :class:`Broker`, an
  in-memory MQTT 3.1.1 broker with persistent sessions and fault injection.
* ``time``: ``ticks_ms`` (wraps at 2**30), ``sleep_ms`` (advances the fake time at once:
  nothing here waits for real).  Both call ``hw.watch`` (when set): how a test stops a
  main loop that runs forever (:class:`Halt`).
"""

import json
import sys

import firmware.agent.core  # noqa: F401  (imported before the fakes go in: see load_port)
import firmware.agent.storage  # noqa: F401
from firmware.agent.config import save_config, save_credentials
from firmware.agent.storage import Storage
from firmware.agent.topics import matches
from tests.firmware.agent_fakes import ICMModel, SHTC3Model
from tests.firmware.esp32c3_http import make_requests

ENODEV = 19
EIO = 5
ECONNRESET = 104
ECONNREFUSED = 111
EHOSTUNREACH = 113
ETIMEDOUT = 110
TLS_VERIFY_FAILED = -9984  # MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
TLS_FATAL_ALERT = -30592  # MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE (the broker refused us)
EPOCH_2000 = 946684800
NTP_NOW = 1750000000  # the "real" time the fake NTP server gives (2025-06-15)
CERT_VALID_FROM = 1704067200  # 2024-01-01: the broker's certificate is valid from then
JOIN_MS = 500

HOST = "broker.test"
PORT = 8883
CA = b"-----BEGIN CERTIFICATE-----\nfake root CA\n-----END CERTIFICATE-----\n"
OTHER_CA = b"-----BEGIN CERTIFICATE-----\nsomeone else's CA\n-----END CERTIFICATE-----\n"


class FakeModule:
    def __init__(self, name, **attrs):
        self.__name__ = name
        for k in attrs:
            setattr(self, k, attrs[k])


# --- time ----------------------------------------------------------------------------------


class FakeTime:
    """MicroPython's ``time`` on a counter: nothing waits for real."""

    TICKS_PERIOD = 1 << 30

    def __init__(self, start_ms=0):
        self.ms = start_ms
        self.rtc_offset = 0  # RTC seconds (2000 epoch) = rtc_offset + ms // 1000
        self.hooks = []  # called with the milliseconds that passed
        self.watch = None  # called at every ticks_ms and sleep_ms (see Hardware.run_until)

    def advance(self, ms):
        if ms < 0:
            raise ValueError("time cannot go backwards")
        self.ms += ms
        for hook in self.hooks:
            hook(ms)

    def module(self):
        t = self
        period = self.TICKS_PERIOD

        def ticks_ms():
            if t.watch is not None:
                t.watch()
            return t.ms % period

        def ticks_diff(a, b):
            half = period // 2
            return ((a - b + half) % period) - half

        def ticks_add(a, delta):
            return (a + delta) % period

        def sleep_ms(ms):
            if t.watch is not None:
                t.watch()
            t.advance(int(ms))

        def sleep(s):
            t.advance(int(s * 1000))

        def time_():
            return t.rtc_offset + t.ms // 1000

        def gmtime(secs=None):
            if secs is None:
                secs = time_()
            if secs != 0:
                raise NotImplementedError("the fake gmtime knows only the epoch")
            return (2000, 1, 1, 0, 0, 0, 5, 1)  # the ESP32 port's epoch

        return FakeModule(
            "time",
            ticks_ms=ticks_ms,
            ticks_diff=ticks_diff,
            ticks_add=ticks_add,
            sleep_ms=sleep_ms,
            sleep=sleep,
            time=time_,
            gmtime=gmtime,
        )

    def set_unix_time(self, unix):
        self.rtc_offset = unix - EPOCH_2000 - self.ms // 1000

    def unix_time(self):
        return self.rtc_offset + self.ms // 1000 + EPOCH_2000


# --- GPIO, I2C, NeoPixel -----------------------------------------------------------------


class Gpio:
    def __init__(self, hw, n):
        self.hw = hw
        self.n = n
        self.mode = None
        self.pull = None
        self.out = 0
        self.external = None  # a level something outside drives, or None
        self.handler = None
        self.trigger = 0
        self.pin = None
        self.history = []  # (ms, level) of output changes

    def level(self):
        if self.mode == Pin_OUT:
            return self.out
        if self.external is not None:
            return self.external
        return 1 if self.pull == Pin_PULL_UP else 0

    def set_out(self, v):
        v = 1 if v else 0
        if v != self.out or not self.history:
            self.history.append((self.hw.time.ms, v))
        self.out = v

    def drive(self, level):
        before = self.level()
        self.external = level
        after = self.level()
        if self.handler is not None and before != after:
            if (after == 0 and self.trigger & Pin_IRQ_FALLING) or (
                after == 1 and self.trigger & Pin_IRQ_RISING
            ):
                self.handler(self.pin)


Pin_IN = 1
Pin_OUT = 3
Pin_PULL_UP = 2
Pin_PULL_DOWN = 1
Pin_IRQ_RISING = 1
Pin_IRQ_FALLING = 2


class MachineReset(BaseException):
    """``machine.reset()`` was called (the board would restart here)."""


class Halt(BaseException):
    """The condition a test waits for came true: the board's loop stops here (like a power
    cut at a quiet moment).  A BaseException, so nothing in the firmware catches it."""


class Stuck(BaseException):
    """The condition a test waits for did not come within its budget of clock reads."""


def make_machine(hw):
    class Pin:
        IN = Pin_IN
        OUT = Pin_OUT
        OPEN_DRAIN = 7
        PULL_UP = Pin_PULL_UP
        PULL_DOWN = Pin_PULL_DOWN
        IRQ_RISING = Pin_IRQ_RISING
        IRQ_FALLING = Pin_IRQ_FALLING

        def __init__(self, id, mode=-1, pull=-1, value=None):
            if not 0 <= id <= 21:
                raise ValueError("invalid pin")
            self._g = hw.gpio(id)
            self._g.pin = self
            if mode != -1:
                self._g.mode = mode
            if pull != -1:
                self._g.pull = pull
            if value is not None:
                self._g.set_out(value)

        @property
        def gpio(self):
            return self._g.n

        def value(self, v=None):
            if v is None:
                return self._g.level()
            self._g.set_out(v)

        def on(self):
            self._g.set_out(1)

        def off(self):
            self._g.set_out(0)

        def irq(self, handler=None, trigger=Pin_IRQ_FALLING | Pin_IRQ_RISING, hard=False):
            self._g.handler = handler
            self._g.trigger = trigger

    class I2C:
        def __init__(self, id, scl=None, sda=None, freq=400000, timeout=50000):
            if id != 0:
                raise ValueError("I2C(%d) doesn't exist" % id)  # the C3 has one
            # MicroPython's defaults for I2C(0) on the C3: SCL 9, SDA 8
            self.scl = scl.gpio if scl is not None else 9
            self.sda = sda.gpio if sda is not None else 8
            self.freq = freq
            hw.i2c_buses.append(self)

        def _bus(self, addr):
            if self.scl != 8 or self.sda != 10:
                raise OSError(ENODEV)  # nothing is wired to these pins
            return hw.sensors.bus

        def writeto(self, addr, buf, stop=True):
            hw.i2c_log.append(("w", addr, bytes(buf)))
            return self._bus(addr).writeto(addr, bytes(buf))

        def readfrom(self, addr, nbytes, stop=True):
            hw.i2c_log.append(("r", addr, nbytes))
            return self._bus(addr).readfrom(addr, nbytes)

        def readfrom_mem(self, addr, memaddr, nbytes, addrsize=8):
            hw.i2c_log.append(("mem", addr, memaddr, nbytes))
            bus = self._bus(addr)
            bus.writeto(addr, bytes([memaddr]))
            return bus.readfrom(addr, nbytes)

        def writeto_mem(self, addr, memaddr, buf, addrsize=8):
            self.writeto(addr, bytes([memaddr]) + bytes(buf))

        def scan(self):
            found = []
            for addr in range(0x08, 0x78):
                try:
                    self.writeto(addr, b"")
                    found.append(addr)
                except OSError:
                    pass
            return found

    def reset():
        hw.resets += 1
        raise MachineReset("machine.reset()")

    return FakeModule("machine", Pin=Pin, I2C=I2C, reset=reset)


def make_neopixel(hw):
    class NeoPixel:
        ORDER = (1, 0, 2, 3)

        def __init__(self, pin, n, bpp=3, timing=1):
            self.pin = pin
            self.n = n
            self.buf = [(0, 0, 0)] * n

        def __len__(self):
            return self.n

        def __setitem__(self, i, v):
            self.buf[i] = tuple(v)

        def __getitem__(self, i):
            return self.buf[i]

        def fill(self, v):
            self.buf = [tuple(v)] * self.n

        def write(self):
            hw.pixel_writes.append((self.pin.gpio, list(self.buf)))

    return FakeModule("neopixel", NeoPixel=NeoPixel)


class Sensors:
    """The SHTC3 and the ICM-42670-P behind the fake I2C bus 0."""

    def __init__(self, time):
        self.emulated = False
        try:
            from emulator.board.clock import VirtualClock
            from emulator.board.i2c import VirtualI2C
            from emulator.board.icm42670 import ICM42670
            from emulator.board.models import Environment
            from emulator.board.shtc3 import SHTC3
        except ImportError:  # MicroPython: the portable models
            self.bus = FakeI2CBus()
            self.shtc3 = self.bus.attach(SHTC3Model(time))
            self.icm = self.bus.attach(ICMModel())
            return
        # CPython: the emulator's chips, on a virtual clock that follows the fake time.
        self.emulated = True
        clock = VirtualClock()
        time.hooks.append(lambda ms: clock.consume(ms / 1000))
        self.env = Environment()
        self.bus = VirtualI2C(clock)
        self.bus.attach(SHTC3(clock, self.env))
        self.bus.attach(ICM42670(clock, self.env))

    def set(self, **values):
        if self.emulated:
            self.env.set(**values)
            return
        for k in values:
            if k in ("temperature", "humidity"):
                setattr(self.shtc3, k, values[k])
            elif k.startswith("accel_") or k.startswith("gyro_"):
                axis = "xyz".index(k[-1])
                name = k[: k.index("_")]
                v = list(getattr(self.icm, name))
                v[axis] = values[k]
                setattr(self.icm, name, tuple(v))
            else:
                raise KeyError(k)


class FakeI2CBus:
    """agent_fakes' models on a bus without the extra logging (the fake I2C logs)."""

    def __init__(self):
        self.devices = {}

    def attach(self, model):
        self.devices[model.address] = model
        return model

    def _dev(self, addr):
        dev = self.devices.get(addr)
        if dev is None or dev.absent:
            raise OSError(ENODEV)
        return dev

    def writeto(self, addr, buf):
        dev = self._dev(addr)
        if buf:  # an empty write is an address probe: acknowledged by a present chip
            dev.write(bytes(buf))
        return len(buf)

    def readfrom(self, addr, nbytes):
        return self._dev(addr).read(nbytes)


# --- Wi-Fi and NTP ------------------------------------------------------------------------


STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202


class AccessPoint:
    def __init__(self, ssid="lab", password="secret"):
        self.ssid = ssid
        self.password = password
        self.up = True


class _Station:
    def __init__(self):
        self.active = False
        self.target = None  # (ssid, key, since ms)
        self.connected = False


def make_network(hw):
    st = _Station()  # WLAN(IF_STA) is one interface, however often it is constructed

    class WLAN:
        IF_STA = 0
        IF_AP = 1

        def __init__(self, interface=0):
            if interface != 0:
                raise ValueError("only the station interface is faked")
            hw.wlan = self

        def active(self, is_active=None):
            if is_active is None:
                return st.active
            st.active = bool(is_active)
            if not is_active:
                st.connected = False
                st.target = None

        def connect(self, ssid=None, key=None):
            if not st.active:
                raise OSError("Wifi Not Started")  # the ESP32 port's message
            hw.wifi_joins += 1
            st.target = (ssid, key, hw.time.ms)
            st.connected = False

        def disconnect(self):
            st.connected = False
            st.target = None

        def _joined(self):
            ap = hw.ap
            t = st.target
            if t is None or not ap.up or t[0] != ap.ssid:
                return None
            return t[1] == ap.password

        def isconnected(self):
            if st.connected and not hw.ap.up:
                st.connected = False  # the access point went away
            if not st.connected and st.target is not None:
                if hw.time.ms - st.target[2] >= JOIN_MS and self._joined():
                    st.connected = True
            return st.connected

        def status(self, param=None):
            if self.isconnected():
                return STAT_GOT_IP
            if st.target is None:
                return STAT_IDLE
            if hw.time.ms - st.target[2] < JOIN_MS:
                return STAT_CONNECTING
            return STAT_NO_AP_FOUND if self._joined() is None else STAT_WRONG_PASSWORD

        def ifconfig(self):
            if not self.isconnected():
                return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
            return ("192.168.4.20", "255.255.255.0", "192.168.4.1", "192.168.4.1")

    return FakeModule(
        "network",
        WLAN=WLAN,
        STA_IF=0,
        AP_IF=1,
        STAT_IDLE=STAT_IDLE,
        STAT_CONNECTING=STAT_CONNECTING,
        STAT_GOT_IP=STAT_GOT_IP,
        STAT_NO_AP_FOUND=STAT_NO_AP_FOUND,
        STAT_WRONG_PASSWORD=STAT_WRONG_PASSWORD,
    )


def make_ntptime(hw):
    mod = FakeModule("ntptime", host="pool.ntp.org", timeout=1)

    def settime():
        hw.ntp_requests.append(mod.host)
        if not hw.online():
            raise OSError(-202)  # getaddrinfo without a network, on the ESP32
        if hw.ntp_failures > 0:
            hw.ntp_failures -= 1
            raise OSError(ETIMEDOUT)
        hw.time.set_unix_time(NTP_NOW + hw.time.ms // 1000)

    mod.settime = settime
    return mod


# --- TLS and MQTT ------------------------------------------------------------------------


PROTOCOL_TLS_CLIENT = 0
PROTOCOL_TLS_SERVER = 1
CERT_NONE = 0
CERT_OPTIONAL = 1
CERT_REQUIRED = 2


def _read_if_path(v):
    if isinstance(v, str):  # the wrapper reads files given by path
        with open(v, "rb") as f:
            return f.read()
    return v


def make_ssl(hw):
    class SSLContext:
        def __init__(self, protocol):
            if protocol not in (PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER):
                raise ValueError("protocol must be PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER")
            self.protocol = protocol
            self.verify_mode = CERT_NONE  # MicroPython's wrapper (CPython's is REQUIRED)
            self.ca = None
            self.cert = None
            self.key = None
            hw.tls_contexts.append(self)

        def load_verify_locations(self, cafile=None, cadata=None):
            self.ca = _read_if_path(cafile) if cafile is not None else cadata

        def load_cert_chain(self, certfile, keyfile):
            self.cert = _read_if_path(certfile)
            self.key = _read_if_path(keyfile)

        def wrap_socket(
            self, sock, server_side=False, do_handshake_on_connect=True, server_hostname=None
        ):
            return hw.broker.handshake(self, sock, server_hostname)

    return FakeModule(
        "ssl",
        SSLContext=SSLContext,
        PROTOCOL_TLS_CLIENT=PROTOCOL_TLS_CLIENT,
        PROTOCOL_TLS_SERVER=PROTOCOL_TLS_SERVER,
        CERT_NONE=CERT_NONE,
        CERT_OPTIONAL=CERT_OPTIONAL,
        CERT_REQUIRED=CERT_REQUIRED,
    )


class Socket:
    """A client's socket: ``thing`` is set by a TLS handshake with a client certificate."""

    def __init__(self, hw):
        self.hw = hw
        self.open = True
        self.conn = None  # the broker's Connection once the CONNECT went through
        self.thing = None
        self.tls = False
        self.rx = b""
        self.blocking = True

    def alive(self):
        return self.open and self.hw.online() and (self.conn is None or self.conn.alive)

    def write(self, buf, n=None):
        if not self.alive():
            raise OSError(ECONNRESET)
        data = bytes(buf) if n is None else bytes(buf)[:n]
        if data and data[0] == 0xA2 and self.conn is not None:
            self.hw.broker.unsubscribe_packet(self.conn, data)
        return len(data)

    def read(self, n):
        out, self.rx = self.rx[:n], self.rx[n:]
        return out

    def setblocking(self, flag):
        self.blocking = flag

    def close(self):
        self.open = False
        if self.conn is not None:
            self.conn.alive = False


class Connection:
    def __init__(self, client_id, sock):
        self.client_id = client_id
        self.sock = sock
        self.alive = True
        self.inbox = []  # (topic, payload, qos) the broker has for this client
        self.unsubacks = 0


class Broker:
    """An MQTT 3.1.1 broker behind mutual TLS, in memory, with AWS's rule that the client id
    is the thing name of the certificate.  Persistent sessions keep subscriptions and
    queue QoS 1 messages while their client is away."""

    def __init__(self, hw):
        self.hw = hw
        self.names = (HOST,)
        self.port = PORT
        self.ca = CA
        self.things = {}  # certificate bytes -> (thing name, key bytes)
        self.up = True
        self.sessions = {}  # client id -> {"subs": {filter: qos}, "queue": [...]}
        self.conns = {}  # client id -> live Connection
        self.received = []  # (ms, client id, topic, payload bytes, qos, retain)
        self.connects = []  # (ms, client id, clean_session, session_present)
        self.refuse = set()  # topic filters whose SUBSCRIBE gets 0x80
        self.lose_next_publish = set()  # client ids: the connection dies before it lands
        self.services = []  # f(client id, topic, payload): the cloud's answers (esp32c3_cloud)

    def add_thing(self, name, cert, key):
        self.things[cert] = (name, key)

    # --- what a client does ---

    def handshake(self, ctx, sock, server_hostname):
        if not sock.alive():
            raise OSError(ECONNRESET)
        if ctx.verify_mode == CERT_REQUIRED:
            if ctx.ca != self.ca:
                raise OSError(TLS_VERIFY_FAILED, "certificate verify failed (unknown CA)")
            if server_hostname not in self.names:
                raise OSError(TLS_VERIFY_FAILED, "certificate verify failed (host name)")
            if self.hw.time.unix_time() < CERT_VALID_FROM:
                raise OSError(TLS_VERIFY_FAILED, "certificate verify failed (not yet valid)")
        known = self.things.get(ctx.cert)
        if known is None or known[1] != ctx.key:
            raise OSError(TLS_FATAL_ALERT, "the broker wants a client certificate it knows")
        sock.tls = True
        sock.thing = known[0]
        return sock

    def connect(self, client_id, sock, clean_session):
        if not sock.tls:
            raise OSError(ECONNRESET)  # plain MQTT to a TLS port: the broker hangs up
        if sock.thing != client_id:
            return 5, False  # CONNACK "not authorized"
        session = self.sessions.get(client_id)
        old = self.conns.get(client_id)
        if old is not None:
            old.alive = False  # a new connection with the same client id takes over
            if session is not None and session["persistent"]:
                # QoS 1 messages it had not read are delivered again
                unread = [m for m in old.inbox if m[2] > 0]
                session["queue"] = unread + session["queue"]
            old.inbox = []
        present = session is not None and not clean_session
        if session is None or clean_session:
            session = {"subs": {}, "queue": [], "persistent": not clean_session}
            self.sessions[client_id] = session
        conn = Connection(client_id, sock)
        sock.conn = conn
        conn.inbox = session["queue"]
        session["queue"] = []
        self.conns[client_id] = conn
        self.connects.append((self.hw.time.ms, client_id, clean_session, present))
        return 0, present

    def publish_from(self, conn, topic, payload, qos, retain):
        if conn.client_id in self.lose_next_publish:
            self.lose_next_publish.discard(conn.client_id)
            conn.alive = False
            raise OSError(ECONNRESET)
        self.received.append((self.hw.time.ms, conn.client_id, topic, payload, qos, retain))
        self.route(topic, payload, qos)
        for service in self.services:
            service(conn.client_id, topic, payload)

    def subscribe(self, conn, topic_filter, qos):
        if topic_filter in self.refuse:
            return 0x80
        self.sessions[conn.client_id]["subs"][topic_filter] = qos
        return qos

    def unsubscribe_packet(self, conn, data):
        # A0-type header, remaining length (1 byte here), packet id, then one filter.
        i = 1
        while data[i] & 0x80:
            i += 1
        i += 3
        n = (data[i] << 8) | data[i + 1]
        topic_filter = data[i + 2 : i + 2 + n].decode()
        self.sessions[conn.client_id]["subs"].pop(topic_filter, None)
        self.hw.unsubscribed.append(topic_filter)
        conn.unsubacks += 1

    # --- what the test (the cloud) does ---

    def route(self, topic, payload, qos=1):
        for client_id in self.sessions:
            session = self.sessions[client_id]
            best = None
            for f in session["subs"]:
                if matches(f, topic):
                    q = min(qos, session["subs"][f])
                    best = q if best is None else max(best, q)
            if best is None:
                continue
            conn = self.conns.get(client_id)
            if conn is not None and conn.alive:
                conn.inbox.append((topic, payload, best))
            elif best > 0 and session["persistent"]:
                session["queue"].append((topic, payload, best))

    def send(self, topic, payload, qos=1):
        """The cloud publishes: ``payload`` bytes, str, or something for json.dumps."""
        if not isinstance(payload, (bytes, str)):
            payload = json.dumps(payload)
        if isinstance(payload, str):
            payload = payload.encode()
        self.route(topic, payload, qos)

    def drop(self, client_id):
        """The connection breaks (the device finds out at its next read or write)."""
        conn = self.conns.get(client_id)
        if conn is not None:
            conn.alive = False

    def subscriptions(self, client_id):
        return sorted(self.sessions[client_id]["subs"])

    def messages(self, topic):
        """Payloads (decoded) the broker received on ``topic``."""
        return [r[3].decode() for r in self.received if r[2] == topic]


def make_umqtt(hw):
    class MQTTException(Exception):
        pass

    class MQTTClient:
        def __init__(
            self,
            client_id,
            server,
            port=0,
            user=None,
            password=None,
            keepalive=0,
            ssl=None,
            ssl_params={},
        ):
            if port == 0:
                port = 8883 if ssl else 1883
            self.client_id = client_id
            self.sock = None
            self.server = server
            self.port = port
            self.ssl = ssl
            self.pid = 0
            self.cb = None
            self.keepalive = keepalive
            self.pings = []  # fake ms of each PINGREQ
            hw.mqtt_clients.append(self)

        def set_callback(self, f):
            self.cb = f

        def connect(self, clean_session=True, timeout=None):
            broker = hw.broker
            self.sock = Socket(hw)
            if not hw.online():
                raise OSError(EHOSTUNREACH)
            if self.server not in broker.names:
                raise OSError(-202)  # getaddrinfo: unknown host
            if not broker.up or self.port != broker.port:
                raise OSError(ECONNREFUSED)
            if self.ssl:
                self.sock = self.ssl.wrap_socket(self.sock, server_hostname=self.server)
            cid = self.client_id
            if isinstance(cid, bytes):
                cid = cid.decode()
            rc, present = broker.connect(cid, self.sock, clean_session)
            if rc != 0:
                raise MQTTException(rc)
            return 1 if present else 0

        def _conn(self):
            sock = self.sock
            if sock is None or not sock.alive() or sock.conn is None:
                raise OSError(ECONNRESET)
            return sock.conn

        def disconnect(self):
            self._conn()
            self.sock.close()

        def ping(self):
            self._conn()
            self.pings.append(hw.time.ms)

        def publish(self, topic, msg, retain=False, qos=0):
            conn = self._conn()
            if isinstance(topic, bytes):
                topic = topic.decode()
            if isinstance(msg, str):
                msg = msg.encode()
            if qos > 0:
                self.pid += 1
            hw.broker.publish_from(conn, topic, bytes(msg), qos, retain)
            if qos == 1:
                # waiting for the PUBACK: what arrives first goes to the callback
                if conn.inbox:
                    self._deliver(conn)

        def subscribe(self, topic, qos=0):
            assert self.cb is not None, "Subscribe callback is not set"
            conn = self._conn()
            if isinstance(topic, bytes):
                topic = topic.decode()
            self.pid += 1
            if hw.broker.subscribe(conn, topic, qos) == 0x80:
                raise MQTTException(0x80)

        def _deliver(self, conn):
            topic, payload, qos = conn.inbox.pop(0)
            self.cb(topic.encode(), payload)
            return 0x30 | (qos << 1)

        def wait_msg(self):
            sock = self.sock
            if sock is None or not sock.alive():
                raise OSError(-1)  # umqtt: read returned b"" (the peer closed)
            conn = sock.conn
            if conn.unsubacks:
                conn.unsubacks -= 1
                sock.rx += b"\x02\x00\x00"
                return 0xB0
            if conn.inbox:
                return self._deliver(conn)
            return None

        def check_msg(self):
            if self.sock is not None:
                self.sock.setblocking(False)
            return self.wait_msg()

    simple = FakeModule("umqtt.simple", MQTTClient=MQTTClient, MQTTException=MQTTException)
    return FakeModule("umqtt", simple=simple), simple


def make_gc(hw):
    def mem_free():
        return hw.heap_free

    def mem_alloc():
        return hw.heap_total - hw.heap_free

    def collect():
        pass

    return FakeModule("gc", mem_free=mem_free, mem_alloc=mem_alloc, collect=collect)


# --- the whole bench ------------------------------------------------------------------------


class Hardware:
    """One board on a bench: its pins and sensors, the Wi-Fi around it, the broker."""

    def __init__(self, start_ms=0):
        self.time = FakeTime(start_ms)
        self._gpio = {}
        self.gpio(9).external = 1  # R19 pulls BOOT up on the board
        self.i2c_buses = []
        self.i2c_log = []
        self.pixel_writes = []
        self.sensors = Sensors(self.time)
        self.resets = 0
        self.ap = AccessPoint()
        self.wlan = None
        self.wifi_joins = 0
        self.ntp_failures = 0
        self.ntp_requests = []
        self.tls_contexts = []
        self.mqtt_clients = []
        self.unsubscribed = []
        self.broker = Broker(self)
        self.http = {}  # URL -> bytes, or an esp32c3_http.Resource
        self.http_requests = []  # URLs, in order
        self.http_log = []  # (URL, request headers, timeout)
        self.http_responses = []
        self.http_read_sizes = []  # n of every raw.read(n) of a body
        self.http_bytes = 0  # body bytes the server sent
        self.http_segment = 1460  # the most one read returns (a TCP segment)
        self.http_bytes_per_ms = 100  # the fake clock advances while a body is read
        self.watch_until = None
        self.watch_left = 0
        self.heap_free = 90000
        self.heap_total = 160000
        self.console = []

    def run_until(self, done, budget=500000):
        """Make the fake clock raise :class:`Halt` once ``done()`` is true (checked at every
        ``ticks_ms`` and ``sleep_ms``), or :class:`Stuck` after ``budget`` checks; None
        stops watching."""
        self.watch_until = done
        self.watch_left = budget
        self.time.watch = self._watch if done is not None else None

    def _watch(self):
        if self.watch_until():
            raise Halt()
        self.watch_left -= 1
        if self.watch_left < 0:
            raise Stuck("not reached")

    def gpio(self, n):
        g = self._gpio.get(n)
        if g is None:
            g = self._gpio[n] = Gpio(self, n)
        return g

    def online(self):
        return self.wlan is not None and self.wlan.isconnected()

    def press(self):
        self.gpio(9).drive(0)

    def release(self):
        self.gpio(9).drive(1)

    @property
    def led(self):
        return self.gpio(7).level()

    @property
    def pixel(self):
        """What the WS2812 on GPIO2 shows (None before the first write)."""
        shown = None
        for pin, pixels in self.pixel_writes:
            if pin == 2:
                shown = pixels[0]
        return shown

    def modules(self):
        umqtt, simple = make_umqtt(self)
        return {
            "time": self.time.module(),
            "gc": make_gc(self),
            "machine": make_machine(self),
            "neopixel": make_neopixel(self),
            "network": make_network(self),
            "ntptime": make_ntptime(self),
            "ssl": make_ssl(self),
            "umqtt": umqtt,
            "umqtt.simple": simple,
            "requests": make_requests(self),
        }


class Port:
    """The port's modules, imported against one :class:`Hardware`."""

    def __init__(self, hw, modules):
        self.hw = hw
        self.board = modules["firmware.ports.esp32c3.board"]
        self.fs = modules["firmware.ports.esp32c3.fs"]
        self.mqtt = modules["firmware.ports.esp32c3.mqtt"]
        self.wifi = modules["firmware.ports.esp32c3.wifi"]
        self.http = modules["firmware.ports.esp32c3.http"]
        self.app = modules["firmware.ports.esp32c3.app"]
        self.boot_main = modules["firmware.ports.esp32c3.boot_main"]
        self.fakes = hw.fakes

    def new_board(self):
        board = self.board.Esp32c3Board()
        board.console = self.hw.console.append  # what main.py prints, for the tests
        return board


PORT_PACKAGE = "firmware.ports.esp32c3"
PORT_MODULES = ("board", "fs", "mqtt", "wifi", "http", "app", "boot_main")


def load_port(hw=None):
    """Import a fresh copy of the port with ``hw``'s fakes as its MicroPython modules."""
    hw = hw if hw is not None else Hardware()
    fakes = hw.modules()
    hw.fakes = fakes
    saved = {}
    for name in fakes:
        saved[name] = sys.modules.get(name)
    for name in list(sys.modules):
        if name == PORT_PACKAGE or name.startswith(PORT_PACKAGE + "."):
            del sys.modules[name]
    loaded = {}
    try:
        for name in fakes:
            sys.modules[name] = fakes[name]
        for m in PORT_MODULES:
            full = PORT_PACKAGE + "." + m
            __import__(full)
            loaded[full] = sys.modules[full]
    finally:
        for name in saved:
            if saved[name] is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = saved[name]
    return Port(hw, loaded)


# --- a provisioned filesystem -----------------------------------------------------------------

_roots = []


def _fresh_dir():
    try:
        import tempfile
    except ImportError:  # MicroPython (in-memory filesystem)
        import os

        base = "/tmp/esp32c3-fs"
        try:
            os.mkdir(base)
        except OSError:
            pass
        path = "%s/%d" % (base, len(_roots))
        os.mkdir(path)
        _roots.append(path)
        return path
    import atexit
    import shutil

    path = tempfile.mkdtemp(prefix="esp32c3-fs-")
    _roots.append(path)
    atexit.register(shutil.rmtree, path, True)
    return path


DEVICE_CERT = b"-----BEGIN CERTIFICATE-----\ndev-1\n-----END CERTIFICATE-----\n"
DEVICE_KEY = b"-----BEGIN EC PRIVATE KEY-----\ndev-1\n-----END EC PRIVATE KEY-----\n"


def provision(port, thing="dev-1", wifi=None, config=None, known=True):
    """A LittleFs (in a fresh directory) with the config, certificates and Wi-Fi settings
    a provisioned board has; the broker knows the thing's certificate if ``known``."""
    fs = port.fs.LittleFs(_fresh_dir())
    return provision_fs(fs, port.hw, thing, wifi, config, known)


def provision_fs(fs, hw, thing="dev-1", wifi=None, config=None, known=True):
    """Write what provisioning writes into ``fs`` (any filesystem port); returns ``fs``."""
    storage = Storage(fs)
    cfg = {"thing_name": thing, "endpoint": {"host": HOST, "port": PORT}}
    if config:
        for k in config:
            cfg[k] = config[k]
    save_config(storage, cfg)
    save_credentials(storage, cfg, CA, DEVICE_CERT, DEVICE_KEY)
    if wifi is None:
        wifi = {"ssid": hw.ap.ssid, "password": hw.ap.password}
    if wifi is not False:
        fs.write("/wifi.json", json.dumps(wifi).encode())
    if known:
        hw.broker.add_thing(thing, DEVICE_CERT, DEVICE_KEY)
    return fs
