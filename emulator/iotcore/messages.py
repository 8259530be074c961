"""What the sans-IO services hand back to whoever runs them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Publish:
    """An MQTT message a service wants sent; the adapter decides how."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False

    def json(self) -> Any:
        """Decoded payload; convenient in tests, never used on the hot path."""
        return json.loads(self.payload)


def dumps(obj: Any) -> bytes:
    """Compact JSON as AWS sends it (no spaces), UTF-8 encoded.

    Never fails on text: a string that cannot be UTF-8 (a lone surrogate, which the services
    refuse on the way in) is written escaped as ASCII rather than costing the whole answer.
    """
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, separators=(",", ":")).encode("ascii")


def publish_json(topic: str, obj: Any, qos: int = 1) -> Publish:
    return Publish(topic=topic, payload=dumps(obj), qos=qos)
