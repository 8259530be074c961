"""Events the agent core is fed and actions it returns (it performs no network I/O).

The core is a state machine: ``Agent.start(now)`` and ``Agent.handle(event)`` return a
list of actions for the driver around it to carry out.  Drivers exist for asyncio and
threads on the host (emulator) and for MicroPython's loop on the board; the same core runs
under all of them and is tested with no sockets at all.  Local hardware (pins, I2C, the
filesystem) is reached synchronously through the port objects described in
:mod:`firmware.agent.ports`, because it is fast and local on a board.
"""


# --- events (driver -> agent) -------------------------------------------------------------


class Tick:
    """Time has passed: ``now`` is monotonic seconds (virtual time in the emulator)."""

    __slots__ = ("now",)

    def __init__(self, now):
        self.now = now


class Connected:
    """The MQTT session is up; ``session_present`` as the broker's CONNACK said."""

    __slots__ = ("now", "session_present")

    def __init__(self, now, session_present=False):
        self.now = now
        self.session_present = session_present


class Disconnected:
    """The session was lost or a connection attempt failed (``reason`` is for logs)."""

    __slots__ = ("now", "reason")

    def __init__(self, now, reason=""):
        self.now = now
        self.reason = reason


class Message:
    """An MQTT message arrived on a subscribed topic; ``payload`` is bytes."""

    __slots__ = ("now", "topic", "payload")

    def __init__(self, now, topic, payload):
        self.now = now
        self.topic = topic
        self.payload = payload


class Button:
    """The BOOT button (GPIO9) changed: ``pressed`` is True when it went down."""

    __slots__ = ("now", "pressed")

    def __init__(self, now, pressed):
        self.now = now
        self.pressed = pressed


class Fetched:
    """The result of a :class:`Fetch` action: ``body`` bytes, or ``error`` text."""

    __slots__ = ("now", "request_id", "body", "error")

    def __init__(self, now, request_id, body=None, error=None):
        self.now = now
        self.request_id = request_id
        self.body = body
        self.error = error


class Chunk:
    """Bytes of a :class:`Download`, in order, starting at the offset it asked for."""

    __slots__ = ("now", "request_id", "data")

    def __init__(self, now, request_id, data):
        self.now = now
        self.request_id = request_id
        self.data = data


class Downloaded:
    """The end of a :class:`Download`: ``error`` is None when every byte arrived, else why
    it stopped (``status`` is the HTTP status when there was one)."""

    __slots__ = ("now", "request_id", "error", "status")

    def __init__(self, now, request_id, error=None, status=None):
        self.now = now
        self.request_id = request_id
        self.error = error
        self.status = status


class PublishFailed:
    """The driver could not deliver these Publish actions (the session dropped before the
    broker acknowledged them).  The agent puts QoS 1 ones back at the front of its offline
    queue, in order, and sends them after the next ``Connected``: nothing is lost silently.
    """

    __slots__ = ("now", "actions")

    def __init__(self, now, actions):
        self.now = now
        self.actions = actions


# --- actions (agent -> driver) ------------------------------------------------------------


class Connect:
    """Open the MQTT session (client id = thing name, persistent session, mTLS)."""

    __slots__ = ()


class Publish:
    __slots__ = ("topic", "payload", "qos", "retain")

    def __init__(self, topic, payload, qos=1, retain=False):
        self.topic = topic
        self.payload = payload  # bytes
        self.qos = qos
        self.retain = retain

    def __repr__(self):
        return "Publish(%r, %r, qos=%d)" % (self.topic, self.payload, self.qos)


class Subscribe:
    """Subscribe to ``filters``, a list of (topic filter, qos)."""

    __slots__ = ("filters",)

    def __init__(self, filters):
        self.filters = filters


class Unsubscribe:
    __slots__ = ("filters",)

    def __init__(self, filters):
        self.filters = filters  # list of topic filters


class Fetch:
    """GET ``url`` (a program or firmware bundle); answer with a :class:`Fetched` event."""

    __slots__ = ("request_id", "url")

    def __init__(self, request_id, url):
        self.request_id = request_id
        self.url = url


class Download:
    """GET ``url`` from byte ``offset`` to its end (an HTTP Range request when offset > 0),
    handed back as :class:`Chunk` events and one :class:`Downloaded`: a firmware bundle is
    larger than a board's free RAM, so it is never held whole."""

    __slots__ = ("request_id", "url", "offset")

    def __init__(self, request_id, url, offset=0):
        self.request_id = request_id
        self.url = url
        self.offset = offset


class Reboot:
    __slots__ = ("reason",)

    def __init__(self, reason):
        self.reason = reason
