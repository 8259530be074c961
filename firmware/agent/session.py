"""The MQTT session's state: when to (re)connect, and what to do with publishes meanwhile.

Why it lives in the core and not the driver: reconnect timing and offline behaviour are
part of what the harness tests (backoff bounds, nothing lost silently), and the same
policy must hold on the board, in the emulator and under Locust.  The driver only opens
the connection when told (``Connect``) and reports ``Connected``/``Disconnected``.

* Reconnect: exponential backoff with *full jitter* (AWS's recommendation for fleets: a
  broker restart must not make every device reconnect in the same second): attempt n
  waits a uniform random time in ``[0, min(cap, initial * 2**n)]``; n resets on connect.
  The random numbers come from :class:`Prng`, seedable and identical on CPython and
  MicroPython, so a test can predict the delays.
* Offline queue: publishes made while not connected wait in a bounded FIFO; when it is
  full the *oldest* is dropped and counted (never silently lost).
"""

from .events import Publish


class Prng:
    """xorshift32: tiny, seedable, and bit-identical on every Python."""

    def __init__(self, seed=1):
        s = seed & 0xFFFFFFFF
        self.state = s if s else 0x9E3779B9

    def next32(self):
        x = self.state
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.state = x
        return x

    def random(self):
        """A float in [0, 1)."""
        return self.next32() / 4294967296.0


def seed_from(text):
    """A 32-bit seed from a string (FNV-1a), so each thing gets its own jitter."""
    h = 0x811C9DC5
    for b in text.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


class Backoff:
    def __init__(self, initial=1.0, cap=60.0, rng=None):
        self.initial = initial
        self.cap = cap
        self.rng = rng if rng is not None else Prng()
        self.attempt = 0

    def ceiling(self, attempt):
        """The upper bound of the delay before retry number ``attempt`` (0-based)."""
        if attempt > 40:
            return self.cap
        return min(self.cap, self.initial * (1 << attempt))

    def next_delay(self):
        d = self.rng.random() * self.ceiling(self.attempt)
        self.attempt += 1
        return d

    def reset(self):
        self.attempt = 0


class OfflineQueue:
    """A bounded FIFO of Publish actions that drops (and counts) the oldest when full."""

    def __init__(self, limit=100):
        self.limit = limit
        self.items = []
        self.dropped = 0

    def __len__(self):
        return len(self.items)

    def push(self, item):
        self.items.append(item)
        while len(self.items) > self.limit:
            self.items.pop(0)
            self.dropped += 1

    def push_front(self, items):
        """Put back publishes the driver could not send, in their order, ahead of the
        rest; if that overflows, the oldest go, as for :meth:`push`."""
        self.items = list(items) + self.items
        while len(self.items) > self.limit:
            self.items.pop(0)
            self.dropped += 1

    def drain(self):
        items = self.items
        self.items = []
        return items


IDLE = "idle"
CONNECTING = "connecting"
CONNECTED = "connected"
BACKOFF = "backoff"


class Session:
    """Connection state, the retry schedule and the offline queue."""

    def __init__(self, backoff, queue_limit=100, connect_timeout=30.0):
        self.backoff = backoff
        self.queue = OfflineQueue(queue_limit)
        self.connect_timeout = connect_timeout
        self.state = IDLE
        self.retry_at = None  # monotonic time of the next Connect while in BACKOFF
        self.since = 0.0  # when the current state began
        self.connects = 0  # successful connections
        self.reconnects = 0  # successful connections after the first
        self.dropped_qos0 = 0  # QoS 0 publishes not sent because we were offline
        self.last_delay = None

    @property
    def connected(self):
        return self.state == CONNECTED

    def connect_now(self, now):
        """Start an attempt; the caller emits ``Connect``."""
        self.state = CONNECTING
        self.since = now
        self.retry_at = None

    def on_connected(self, now):
        self.state = CONNECTED
        self.since = now
        self.connects += 1
        if self.connects > 1:
            self.reconnects += 1
        self.backoff.reset()

    def on_disconnected(self, now):
        """The session was lost or an attempt failed: schedule the next attempt."""
        self.state = BACKOFF
        self.since = now
        self.last_delay = self.backoff.next_delay()
        self.retry_at = now + self.last_delay
        return self.last_delay

    def due(self, now):
        """Whether it is time for an attempt (or an attempt timed out: then it failed)."""
        if self.state == BACKOFF and now >= self.retry_at:
            return True
        if self.state == CONNECTING and now - self.since >= self.connect_timeout:
            self.on_disconnected(now)
        return False

    def deadline(self):
        if self.state == BACKOFF:
            return self.retry_at
        if self.state == CONNECTING:
            return self.since + self.connect_timeout
        return None

    def send(self, action):
        """The action to emit now, or None if it was queued (or dropped, for QoS 0)."""
        if self.state == CONNECTED:
            return action
        if action.qos == 0:
            self.dropped_qos0 += 1
            return None
        self.queue.push(action)
        return None

    def requeue(self, actions):
        """Publishes the driver could not deliver go back to the front of the queue
        (QoS 0 ones are dropped and counted, as when offline)."""
        keep = []
        for a in actions:
            if isinstance(a, Publish):
                if a.qos > 0:
                    keep.append(a)
                else:
                    self.dropped_qos0 += 1
        self.queue.push_front(keep)
