"""MQTT topic names of one device, and the program-topic mapping (docs/protocol.md).

Why the mapping: every message must be attributable to the device that sent it, on real
AWS too, and the default device policy allows a thing only topics with its name as the
second level.  Steel programs are written once for a fleet, so they name *program
topics* (``sensors/data``) and the agent inserts the thing name: ``sensors/T/data``.
``mqtt-subscribe`` listens on both ``cmd/T/led`` and the broadcast form
``cmd/broadcast/led``.

Programs may not use topics the agent itself speaks on (``steel-programs``, ``logs``,
``metrics``) or AWS's reserved ``$`` topics: otherwise a program could forge its own
status or metrics.  Nor characters a broker refuses (control characters, non-characters):
Mosquitto drops a connection that sends one as malformed, the device reconnects and resends
it, and no new program reaches it until a reset.
"""

BROADCAST = "broadcast"
RESERVED_FIRST_LEVELS = ("steel-programs", "logs", "metrics")
MAX_TOPIC_BYTES = 256  # AWS IoT Core's limit on a topic name
MAX_SLASHES = 7  # AWS IoT Core: at most 8 levels in a topic or filter
PROGRAM_COMMANDS = ("load", "start", "stop", "unload")


class TopicError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def forbidden_character(text):
    """The first character an MQTT broker refuses in a topic, as ``U+XXXX``, or None.

    Mosquitto refuses U+0000-U+001F, U+007F-U+009F, U+FDD0-U+FDEF and every code point
    ending in FFFE or FFFF (and surrogates, which a MicroPython string cannot hold).
    """
    for ch in text:
        c = ord(ch)
        if (
            c <= 0x1F
            or 0x7F <= c <= 0x9F
            or 0xD800 <= c <= 0xDFFF
            or 0xFDD0 <= c <= 0xFDEF
            or (c & 0xFFFE) == 0xFFFE
        ):
            return "U+%04X" % c
    return None


def matches(filter_, topic):
    """Whether an MQTT topic filter (``+`` and ``#`` wildcards) matches ``topic``."""
    f = filter_.split("/")
    t = topic.split("/")
    for i in range(len(f)):
        if f[i] == "#":
            return True
        if i >= len(t):
            return False
        if f[i] != "+" and f[i] != t[i]:
            return False
    return len(f) == len(t)


class Topics:
    """Topic names for thing ``thing``."""

    def __init__(self, thing):
        self.thing = thing
        shadow = "$aws/things/%s/shadow" % thing
        self.shadow_update = shadow + "/update"
        self.shadow_delta = shadow + "/update/delta"
        self.shadow_update_rejected = shadow + "/update/rejected"
        self.shadow_get = shadow + "/get"
        self.shadow_get_accepted = shadow + "/get/accepted"
        self.shadow_get_rejected = shadow + "/get/rejected"
        self.jobs_prefix = "$aws/things/%s/jobs/" % thing
        self.jobs_notify_next = self.jobs_prefix + "notify-next"
        self.status = "steel-programs/%s/status" % thing
        self.logs = "logs/%s" % thing
        self.metrics = "metrics/%s" % thing

    def agent_filters(self):
        """What the agent subscribes to on every connect (exact topics: a ``+`` would
        also match the device's own status topic and echo it back)."""
        out = []
        for who in (self.thing, BROADCAST):
            for cmd in PROGRAM_COMMANDS:
                out.append("steel-programs/%s/%s" % (who, cmd))
        out.append(self.shadow_delta)
        out.append(self.shadow_get_accepted)
        out.append(self.shadow_get_rejected)
        out.append(self.shadow_update_rejected)
        return out

    def program_command(self, topic):
        """``load``/``start``/``stop``/``unload`` if ``topic`` is one for this device or
        the broadcast, else None."""
        parts = topic.split("/")
        if (
            len(parts) == 3
            and parts[0] == "steel-programs"
            and (parts[1] == self.thing or parts[1] == BROADCAST)
            and parts[2] in PROGRAM_COMMANDS
        ):
            return parts[2]
        return None

    # --- program topics ----------------------------------------------------------------

    def _check_program_topic(self, topic, what, wildcards):
        if type(topic) is not str:
            raise TopicError("%s: expected a string topic" % what)
        if not topic:
            raise TopicError("%s: the topic is empty" % what)
        bad = forbidden_character(topic)
        if bad is not None:
            raise TopicError(
                "%s: %r: the character %s is not allowed in a topic (brokers refuse it)"
                % (what, topic, bad)
            )
        parts = topic.split("/")
        first = parts[0]
        if not first:
            raise TopicError("%s: %r: the first level is empty" % (what, topic))
        if first.startswith("$"):
            raise TopicError(
                "%s: %r: topics starting with $ are AWS's, not a program's" % (what, topic)
            )
        if first in RESERVED_FIRST_LEVELS:
            raise TopicError(
                "%s: %r: %s/... is reserved for the agent (use another first level)"
                % (what, topic, first)
            )
        for i in range(len(parts)):
            p = parts[i]
            if "+" in p or "#" in p:
                if not wildcards:
                    raise TopicError("%s: %r: wildcards (+ #) are not allowed here" % (what, topic))
                if i == 0:
                    raise TopicError("%s: %r: the first level cannot be a wildcard" % (what, topic))
                if p not in ("+", "#") or (p == "#" and i != len(parts) - 1):
                    raise TopicError(
                        "%s: %r: + must be a whole level, # the whole last level" % (what, topic)
                    )
        return parts

    def _insert(self, parts, who):
        return "/".join([parts[0], who] + parts[1:])

    def _check_device_topic(self, device_topic, what, topic):
        if len(device_topic.encode()) > MAX_TOPIC_BYTES:
            raise TopicError(
                "%s: %r is longer than %d bytes on the device" % (what, topic, MAX_TOPIC_BYTES)
            )
        if device_topic.count("/") > MAX_SLASHES:
            raise TopicError(
                "%s: %r has too many levels (AWS allows %d slashes, and the thing name adds one)"
                % (what, topic, MAX_SLASHES)
            )

    def to_device(self, topic, what="mqtt-publish"):
        """``sensors/data`` -> ``sensors/T/data``; raises TopicError for a bad topic."""
        parts = self._check_program_topic(topic, what, False)
        out = self._insert(parts, self.thing)
        self._check_device_topic(out, what, topic)
        return out

    def subscription_filters(self, topic_filter, what="mqtt-subscribe"):
        """The device filters for a program filter: its own and the broadcast form."""
        parts = self._check_program_topic(topic_filter, what, True)
        own = self._insert(parts, self.thing)
        self._check_device_topic(own, what, topic_filter)
        return [own, self._insert(parts, BROADCAST)]

    def to_program(self, device_topic):
        """The program topic of an incoming device topic (``cmd/T/led`` or
        ``cmd/broadcast/led`` -> ``cmd/led``), or None if it is neither form."""
        parts = device_topic.split("/")
        if len(parts) < 2 or (parts[1] != self.thing and parts[1] != BROADCAST):
            return None
        return "/".join([parts[0]] + parts[2:])
