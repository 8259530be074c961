"""The shadow document algebra: validation, merge with null deletion, metadata and delta.

Kept free of topics and storage so each rule AWS documents can be unit tested on its own and
reused by both the MQTT and the REST (``iot-data``) side of the shadow service.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..limits import MAX_PAYLOAD_BYTES
from ..messages import dumps
from ..strict_json import JsonRefused
from ..strict_json import loads as parse_strict

JsonObject = dict[str, Any]

#: Limits from the AWS IoT developer guide; see docs/iotcore.md for the sources.
MAX_STATE_BYTES = 8192
MAX_DEPTH = 6
MAX_CLIENT_TOKEN_BYTES = 64
MAX_REQUEST_BYTES = MAX_PAYLOAD_BYTES
#: The whole stored document (state and metadata, as ``/update/documents`` carries it). Not
#: an AWS figure: AWS counts only the state against its 8 KB, but its metadata is not one
#: timestamp per array element as here. Bounding the document keeps every message the
#: service sends under the 128 KB limit: ``/update/documents`` holds two of them.
MAX_DOCUMENT_BYTES = 60 * 1024
#: Levels a request may nest: the request object and ``state`` above the sections.
_REQUEST_DEPTH = MAX_DEPTH + 2
TOO_LARGE = "The payload exceeds the maximum size allowed"
TOO_DEEP = f"JSON contains too many levels of nesting; maximum is {MAX_DEPTH}"


class ShadowRejection(Exception):
    """A request the shadow service answers on ``.../rejected`` (or with an HTTP error)."""

    def __init__(self, code: int, message: str, client_token: str | None = None) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.client_token = client_token

    def document(self, timestamp: int) -> JsonObject:
        doc: JsonObject = {"code": self.code, "message": self.message, "timestamp": timestamp}
        if self.client_token is not None:
            doc["clientToken"] = self.client_token
        return doc


_ABSENT = object()


@dataclass
class UpdateRequest:
    """A validated ``/update`` request; ``state is None`` means ``{"state": null}``."""

    state: JsonObject | None
    client_token: str | None = None
    version: int | None = None

    def section(self, name: str) -> Any:
        """The section as sent: a dict, ``None`` for an explicit null, ``_ABSENT`` if missing."""
        if self.state is None:
            return None
        return self.state.get(name, _ABSENT)


@dataclass
class Shadow:
    """One stored shadow. ``None`` sections are absent (never set, or set to null)."""

    desired: JsonObject | None = None
    reported: JsonObject | None = None
    meta_desired: JsonObject = field(default_factory=dict)
    meta_reported: JsonObject = field(default_factory=dict)
    version: int = 0

    def state_doc(self, with_delta: bool) -> JsonObject:
        state: JsonObject = {}
        if self.desired is not None:
            state["desired"] = copy.deepcopy(self.desired)
        if self.reported is not None:
            state["reported"] = copy.deepcopy(self.reported)
        if with_delta:
            d = self.delta()
            if d:
                state["delta"] = d
        return state

    def metadata_doc(self) -> JsonObject:
        meta: JsonObject = {}
        if self.desired is not None:
            meta["desired"] = copy.deepcopy(self.meta_desired)
        if self.reported is not None:
            meta["reported"] = copy.deepcopy(self.meta_reported)
        return meta

    def delta(self) -> JsonObject:
        if self.desired is None:
            return {}
        return compute_delta(self.desired, self.reported or {})

    def delta_metadata(self, delta: JsonObject) -> JsonObject:
        return _restrict_metadata(delta, self.meta_desired)

    def state_bytes(self) -> int:
        """Size counted against the 8 KB limit: desired and reported only, metadata excluded,
        in UTF-8 bytes (compact JSON)."""
        size = 0
        for section in (self.desired, self.reported):
            if section is not None:
                size += len(dumps(section))
        return size

    def document_bytes(self) -> int:
        """Size of the stored document with its metadata, as ``/update/documents`` sends it."""
        return len(dumps(self.snapshot()))

    def snapshot(self) -> JsonObject:
        return {
            "state": self.state_doc(with_delta=False),
            "metadata": self.metadata_doc(),
            "version": self.version,
        }

    def to_json(self) -> JsonObject:
        return {
            "desired": self.desired,
            "reported": self.reported,
            "meta_desired": self.meta_desired,
            "meta_reported": self.meta_reported,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: JsonObject) -> Shadow:
        return cls(
            desired=data.get("desired"),
            reported=data.get("reported"),
            meta_desired=data.get("meta_desired") or {},
            meta_reported=data.get("meta_reported") or {},
            version=int(data.get("version", 0)),
        )


# --- parsing and validation -----------------------------------------------------------------


def decode_json(payload: bytes) -> Any:
    """Decode a request body the way the shadow service does, or raise its rejection.

    Strictly (see ``strict_json``): nothing that could not be sent back as JSON in UTF-8 is
    ever stored, and the nesting depth is checked before the parser recurses.
    """
    if len(payload) > MAX_REQUEST_BYTES:
        raise ShadowRejection(413, TOO_LARGE)
    try:
        return parse_strict(payload, max_depth=_REQUEST_DEPTH)
    except JsonRefused as refused:
        if refused.kind == "encoding":
            raise ShadowRejection(
                415, "Unsupported documented encoding; supported encoding is UTF-8"
            ) from None
        if refused.kind == "nesting":
            raise ShadowRejection(400, TOO_DEEP) from None
        raise ShadowRejection(400, f"Invalid JSON: {refused.message}") from None


def client_token_of(obj: Any) -> str | None:
    """The request's clientToken, validated (AWS caps it at 64 bytes)."""
    if not isinstance(obj, dict) or "clientToken" not in obj:
        return None
    token = obj["clientToken"]
    if not isinstance(token, str) or not token or len(token.encode()) > MAX_CLIENT_TOKEN_BYTES:
        raise ShadowRejection(400, "Invalid clientToken")
    return token


def parse_token_request(payload: bytes) -> str | None:
    """``/get`` and ``/delete`` take an empty body or a JSON object with a clientToken."""
    if not payload.strip():
        return None
    obj = decode_json(payload)
    if not isinstance(obj, dict):
        raise ShadowRejection(400, "Invalid JSON: the request must be a JSON object")
    return client_token_of(obj)


def parse_update(payload: bytes) -> UpdateRequest:
    obj = decode_json(payload)
    if not isinstance(obj, dict):
        raise ShadowRejection(400, "Invalid JSON: the request must be a JSON object")
    token = client_token_of(obj)
    try:
        return _validate_update(obj, token)
    except ShadowRejection as rej:
        rej.client_token = token
        raise


def _validate_update(obj: JsonObject, token: str | None) -> UpdateRequest:
    version: int | None = None
    if "version" in obj:
        raw = obj["version"]
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ShadowRejection(400, "Invalid version")
        version = raw
    if "state" not in obj:
        raise ShadowRejection(400, "Missing required node: state")
    state = obj["state"]
    if state is None:
        return UpdateRequest(state=None, client_token=token, version=version)
    if not isinstance(state, dict):
        raise ShadowRejection(400, "State node must be an object")
    # A client that echoes a whole GET document back sends "delta"; it is derived data, so it
    # is dropped rather than rejected (the Greengrass shadow manager does the same).
    state = {k: v for k, v in state.items() if k != "delta"}
    for key in state:
        if key not in ("desired", "reported"):
            raise ShadowRejection(400, "State contains an invalid node")
    for key, label in (("desired", "Desired"), ("reported", "Reported")):
        if key in state:
            section = state[key]
            if section is not None and not isinstance(section, dict):
                raise ShadowRejection(400, f"{label} node must be an object")
            if section is not None:
                if depth(section) > MAX_DEPTH:
                    raise ShadowRejection(400, TOO_DEEP)
                if _array_holds_null(section):
                    raise ShadowRejection(400, "Invalid JSON: arrays may not contain null")
    return UpdateRequest(state=state, client_token=token, version=version)


def depth(value: Any) -> int:
    """Nesting levels: every object or array is one level, scalars add none."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


def _array_holds_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_array_holds_null(v) for v in value.values())
    if isinstance(value, list):
        return any(v is None or _array_holds_null(v) for v in value)
    return False


# --- the algebra -----------------------------------------------------------------------------


def stamp(value: Any, timestamp: int) -> Any:
    """Metadata mirroring ``value``: a timestamp per leaf, one per array element."""
    if isinstance(value, dict):
        return {k: stamp(v, timestamp) for k, v in value.items()}
    if isinstance(value, list):
        return [
            stamp(v, timestamp) if isinstance(v, dict) else {"timestamp": timestamp} for v in value
        ]
    return {"timestamp": timestamp}


def merge(target: JsonObject, meta: JsonObject, patch: JsonObject, timestamp: int) -> None:
    """Deep-merge ``patch`` into ``target`` in place; null deletes, arrays replace whole."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
            meta.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            if not isinstance(current, dict):
                current = {}
                target[key] = current
                meta[key] = {}
            sub_meta = meta.get(key)
            if not isinstance(sub_meta, dict) or _is_leaf_meta(sub_meta):
                sub_meta = {}
                meta[key] = sub_meta
            merge(current, sub_meta, value, timestamp)
        else:
            target[key] = copy.deepcopy(value)
            meta[key] = stamp(value, timestamp)


def _is_leaf_meta(meta: JsonObject) -> bool:
    return set(meta) == {"timestamp"} and not isinstance(meta["timestamp"], dict)


def json_equal(a: Any, b: Any) -> bool:
    """JSON value equality: ``true`` is not ``1`` (Python's ``==`` says it is)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


def compute_delta(desired: JsonObject, reported: JsonObject) -> JsonObject:
    """Desired leaves that differ from reported; nested objects keep the path, arrays are whole."""
    out: JsonObject = {}
    for key, want in desired.items():
        if key not in reported:
            out[key] = copy.deepcopy(want)
            continue
        have = reported[key]
        if isinstance(want, dict) and isinstance(have, dict):
            sub = compute_delta(want, have)
            if sub:
                out[key] = sub
        elif not json_equal(want, have):
            out[key] = copy.deepcopy(want)
    return out


def _restrict_metadata(delta: JsonObject, meta: JsonObject) -> JsonObject:
    out: JsonObject = {}
    for key, value in delta.items():
        sub = meta.get(key)
        if isinstance(value, dict) and isinstance(sub, dict) and not _is_leaf_meta(sub):
            out[key] = _restrict_metadata(value, sub)
        elif sub is not None:
            out[key] = copy.deepcopy(sub)
    return out


def apply_update(shadow: Shadow, request: UpdateRequest, timestamp: int) -> None:
    """Apply a validated request to ``shadow`` in place (the caller checks version and size)."""
    if request.state is None:
        shadow.desired = None
        shadow.reported = None
        shadow.meta_desired = {}
        shadow.meta_reported = {}
    else:
        for name in ("desired", "reported"):
            section = request.section(name)
            if section is _ABSENT:
                continue
            if section is None:
                setattr(shadow, name, None)
                setattr(shadow, f"meta_{name}", {})
                continue
            current = getattr(shadow, name)
            if current is None:
                current = {}
                setattr(shadow, name, current)
            merge(current, getattr(shadow, f"meta_{name}"), section, timestamp)
    shadow.version += 1


def request_metadata(request: UpdateRequest, timestamp: int) -> JsonObject:
    """Metadata for only the fields in the request, as ``/update/accepted`` carries it."""
    if request.state is None:
        return {}
    return {
        name: (stamp(section, timestamp) if section is not None else {"timestamp": timestamp})
        for name, section in request.state.items()
    }


def touches_desired(request: UpdateRequest) -> bool:
    return request.state is None or "desired" in request.state
