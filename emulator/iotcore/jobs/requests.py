"""Parsing and validating a device's jobs request (the MQTT payload), and the rejection it
gets when the request is refused.

Kept apart from the state machine so the limits AWS documents for each field (clientToken,
statusDetails keys and values, stepTimeoutInMinutes) are checked before anything changes.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from ..limits import MAX_PAYLOAD_BYTES
from ..names import STATUS_DETAIL_KEY
from ..strict_json import JsonRefused
from ..strict_json import loads as parse_strict
from .model import MAX_STEP_TIMEOUT_MINUTES, Execution

JsonObject = dict[str, Any]

MAX_CLIENT_TOKEN_CHARS = 64
MAX_STATUS_DETAIL_VALUE = 1024
#: Jobs requests are flat (statusDetails is the deepest part); deeper JSON is refused unparsed.
MAX_REQUEST_DEPTH = 16
_NOT_JSON = "The contents of the request were not interpreted as valid UTF-8-encoded JSON"


class JobsRejection(Exception):
    """A device request answered on ``.../rejected``."""

    def __init__(self, code: str, message: str, state: Execution | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.state = state


def parse_jobs_topic(topic: str) -> tuple[str, list[str]] | None:
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "$aws" or parts[1] != "things" or parts[3] != "jobs":
        return None
    return parts[2], parts[4:]


def parse_request(payload: bytes) -> JsonObject:
    """The request object; strict JSON (see ``strict_json``), so nothing stored from it can
    fail to encode later, and no parser error text reaches the reply."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise JobsRejection("InvalidRequest", "The request exceeds the 128 KB message limit")
    if not payload.strip():
        return {}
    try:
        obj = parse_strict(payload, max_depth=MAX_REQUEST_DEPTH)
    except JsonRefused as refused:
        detail = "" if refused.kind == "encoding" else f": {refused.message}"
        raise JobsRejection("InvalidJson", _NOT_JSON + detail) from None
    if not isinstance(obj, dict):
        raise JobsRejection("InvalidJson", "The request must be a JSON object")
    return obj


def client_token(request: JsonObject) -> str | None:
    token = request.get("clientToken")
    if token is None:
        return None
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_CLIENT_TOKEN_CHARS:
        raise JobsRejection("InvalidRequest", "clientToken must be 1-64 characters")
    return token


def status_details(request: JsonObject) -> dict[str, str] | None:
    details = request.get("statusDetails")
    if details is None:
        return None
    if not isinstance(details, dict):
        raise JobsRejection("InvalidRequest", "statusDetails must be an object")
    for key, value in details.items():
        if STATUS_DETAIL_KEY.fullmatch(key) is None:
            raise JobsRejection("InvalidRequest", f"invalid statusDetails key {_clip(key)!r}")
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_STATUS_DETAIL_VALUE:
            raise JobsRejection(
                "InvalidRequest", f"statusDetails.{key} must be a string of 1-1024 characters"
            )
        if any(unicodedata.category(char).startswith("C") for char in value):
            # AWS's pattern for a value is [^\p{C}]+: no control, format or private-use
            # characters, no surrogates, nothing unassigned.
            raise JobsRejection(
                "InvalidRequest", f"statusDetails.{key} contains a control or format character"
            )
    return dict(details)


def step_timeout(request: JsonObject, allow_cancel: bool) -> int | None:
    step = request.get("stepTimeoutInMinutes")
    if step is None:
        return None
    valid = isinstance(step, int) and not isinstance(step, bool)
    if valid and (1 <= step <= MAX_STEP_TIMEOUT_MINUTES or (allow_cancel and step == -1)):
        return int(step)
    raise JobsRejection("InvalidRequest", "stepTimeoutInMinutes must be between 1 and 10080")


def _clip(text: str, limit: int = 64) -> str:
    """Echo at most ``limit`` characters of what a device sent (a reply must stay small)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
