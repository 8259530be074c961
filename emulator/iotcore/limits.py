"""The message limits the local IoT Core enforces: AWS's, and the broker's below them.

AWS IoT Core refuses a payload over 128 KB and a topic over 256 bytes or with more than seven
slashes; Mosquitto disconnects a client whose PUBLISH is over its maximum packet size or has a
topic it considers malformed (control characters, non-characters). The services are one such
client: a single message of theirs that the broker refuses costs every device its shadow and
jobs answers (the broker drops the connection, paho resends the message on reconnect, and so
on forever). So everything the services publish is checked here first, and what AWS would
refuse is refused at the door with AWS's error.
"""

from __future__ import annotations

#: AWS IoT Core's message (payload) limit.
MAX_PAYLOAD_BYTES = 128 * 1024
#: AWS IoT Core's topic limits (for a publish; Basic Ingest prefixes are not emulated).
MAX_TOPIC_BYTES = 256
MAX_TOPIC_SLASHES = 7
#: MQTT's own bound on a topic (a two-byte length prefix).
MAX_MQTT_TOPIC_BYTES = 65535
#: Mosquitto's ``max_packet_size``: AWS's payload limit plus room for the topic and headers.
MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 4096
#: What a PUBLISH adds to its topic and payload: fixed header, lengths, packet id, properties.
_PUBLISH_OVERHEAD = 32


def forbidden_character(text: str) -> str | None:
    """The first character Mosquitto refuses in a topic or client id, as ``U+XXXX``.

    Mosquitto's UTF-8 check (``mosquitto_validate_utf8``) refuses U+0000-U+001F,
    U+007F-U+009F, surrogates, U+FDD0-U+FDEF and every code point ending in FFFE or FFFF; a
    client that sends one is disconnected as malformed.
    """
    for char in text:
        code = ord(char)
        if (
            code <= 0x1F
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or 0xFDD0 <= code <= 0xFDEF
            or (code & 0xFFFE) == 0xFFFE
        ):
            return f"U+{code:04X}"
    return None


def mqtt_topic_problem(topic: str) -> str | None:
    """Why the broker would refuse ``topic`` in a PUBLISH, or ``None`` if it would not."""
    if not topic:
        return "the topic is empty"
    if "+" in topic or "#" in topic:
        return "a topic to publish to cannot contain the wildcards + or #"
    bad = forbidden_character(topic)
    if bad is not None:
        return f"the topic contains the character {bad}, which MQTT brokers refuse"
    if len(topic.encode("utf-8")) > MAX_MQTT_TOPIC_BYTES:
        return f"the topic is longer than MQTT's {MAX_MQTT_TOPIC_BYTES} bytes"
    return None


def aws_topic_problem(topic: str) -> str | None:
    """Why AWS IoT Core would refuse to publish to ``topic`` (its limits and the broker's)."""
    problem = mqtt_topic_problem(topic)
    if problem is not None:
        return problem
    if len(topic.encode("utf-8")) > MAX_TOPIC_BYTES:
        return f"the topic is longer than {MAX_TOPIC_BYTES} bytes"
    if topic.count("/") > MAX_TOPIC_SLASHES:
        return f"the topic has more than {MAX_TOPIC_SLASHES} slashes"
    return None


def outgoing_problem(topic: str, payload: bytes) -> str | None:
    """Why the broker would refuse this message from the services (and drop their connection)."""
    problem = mqtt_topic_problem(topic)
    if problem is not None:
        return problem
    if len(payload) > MAX_PAYLOAD_BYTES:
        return f"the payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
    if len(topic.encode("utf-8")) + len(payload) + _PUBLISH_OVERHEAD > MAX_PACKET_BYTES:
        return "topic and payload together exceed the broker's maximum packet size"
    return None
