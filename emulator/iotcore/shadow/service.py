"""The Device Shadow service as a sans-IO state machine.

It is fed ``(topic, payload, now)`` and returns the MQTT messages AWS IoT would send, so the
same object serves the MQTT bridge, the ``iot-data`` REST API and the unit tests (h11 is the
model: no sockets, no threads, no clock of its own).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from ..limits import outgoing_problem
from ..messages import Publish, publish_json
from ..names import is_shadow_name, is_thing_name
from ..strict_json import encodable
from .document import (
    MAX_CLIENT_TOKEN_BYTES,
    MAX_DOCUMENT_BYTES,
    MAX_STATE_BYTES,
    TOO_LARGE,
    JsonObject,
    Shadow,
    ShadowRejection,
    UpdateRequest,
    apply_update,
    parse_token_request,
    parse_update,
    request_metadata,
    touches_desired,
)

#: (thing name, shadow name); the classic (unnamed) shadow has the name "".
ShadowKey = tuple[str, str]

#: AWS keeps a deleted shadow's version for 48 hours so that a re-created shadow continues it.
TOMBSTONE_SECONDS = 48 * 3600

_OPS = ("get", "update", "delete")


@dataclass
class _Tombstone:
    version: int
    deleted_at: float


def topic_prefix(thing: str, shadow: str) -> str:
    base = f"$aws/things/{thing}/shadow"
    return f"{base}/name/{shadow}" if shadow else base


def parse_topic(topic: str) -> tuple[str, str, str] | None:
    """``(thing, shadow name, op)`` for a request topic, ``None`` for anything else."""
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "$aws" or parts[1] != "things" or parts[3] != "shadow":
        return None
    thing = parts[2]
    if len(parts) == 5 and parts[4] in _OPS:
        return thing, "", parts[4]
    if len(parts) == 7 and parts[4] == "name" and parts[6] in _OPS:
        return thing, parts[5], parts[6]
    return None


class ShadowService:
    """Classic and named shadows for every thing, with AWS's MQTT and REST semantics."""

    def __init__(self) -> None:
        self._shadows: dict[ShadowKey, Shadow] = {}
        self._tombstones: dict[ShadowKey, _Tombstone] = {}
        self._changed: set[ShadowKey] = set()

    # --- MQTT ----------------------------------------------------------------------------

    def handle(self, topic: str, payload: bytes, now: float) -> list[Publish]:
        """Answer one message published by a device or an application."""
        parsed = parse_topic(topic)
        if parsed is None:
            return []
        thing, name, op = parsed
        prefix = topic_prefix(thing, name)
        ts = int(now)
        try:
            self._check_names(thing, name)
            if op == "get":
                token = parse_token_request(payload)
                try:
                    doc = self.get(thing, name, now, token)
                except ShadowRejection as rej:
                    rej.client_token = token
                    raise
                return [publish_json(f"{prefix}/get/accepted", doc)]
            if op == "update":
                _, publishes = self.update(thing, name, payload, now)
                return publishes
            token = parse_token_request(payload)
            try:
                _, publishes = self.delete(thing, name, now, token)
            except ShadowRejection as rej:
                rej.client_token = token
                raise
            return publishes
        except ShadowRejection as rej:
            return [publish_json(f"{prefix}/{op}/rejected", rej.document(ts))]

    # --- operations shared with the REST API ---------------------------------------------

    def get(self, thing: str, name: str, now: float, client_token: str | None = None) -> JsonObject:
        self._check_names(thing, name)
        shadow = self._shadows.get((thing, name))
        if shadow is None:
            raise ShadowRejection(404, _not_found(thing, name), client_token)
        return self._get_doc(shadow, int(now), client_token)

    @staticmethod
    def _get_doc(shadow: Shadow, ts: int, client_token: str | None) -> JsonObject:
        doc: JsonObject = {
            "state": shadow.state_doc(with_delta=True),
            "metadata": shadow.metadata_doc(),
            "version": shadow.version,
            "timestamp": ts,
        }
        if client_token is not None:
            doc["clientToken"] = client_token
        return doc

    def update(
        self, thing: str, name: str, payload: bytes, now: float
    ) -> tuple[JsonObject, list[Publish]]:
        """Apply an update; returns the accepted document and every message AWS would send."""
        self._check_names(thing, name)
        request = parse_update(payload)
        key = (thing, name)
        ts = int(now)
        existing = self._shadows.get(key)
        current_version = existing.version if existing else self._tombstone_version(key, now)
        if request.version is not None and request.version != current_version:
            raise ShadowRejection(409, "Version conflict", request.client_token)
        shadow = copy.deepcopy(existing) if existing else Shadow(version=current_version)
        apply_update(shadow, request, ts)
        if shadow.state_bytes() > MAX_STATE_BYTES or shadow.document_bytes() > MAX_DOCUMENT_BYTES:
            raise ShadowRejection(413, TOO_LARGE, request.client_token)
        accepted, publishes = self._update_messages(thing, name, existing, shadow, request, ts)
        # Every answer must fit the broker's limit, and so must a later /get of this state:
        # a message the broker refuses would cost every device the services' connection.
        get_reply = publish_json(
            f"{topic_prefix(thing, name)}/get/accepted",
            self._get_doc(shadow, ts, "t" * MAX_CLIENT_TOKEN_BYTES),
        )
        if any(outgoing_problem(p.topic, p.payload) for p in [*publishes, get_reply]):
            raise ShadowRejection(413, TOO_LARGE, request.client_token)
        self._shadows[key] = shadow
        self._tombstones.pop(key, None)
        self._changed.add(key)
        return accepted, publishes

    def delete(
        self, thing: str, name: str, now: float, client_token: str | None = None
    ) -> tuple[JsonObject, list[Publish]]:
        self._check_names(thing, name)
        key = (thing, name)
        shadow = self._shadows.pop(key, None)
        if shadow is None:
            raise ShadowRejection(404, _not_found(thing, name), client_token)
        self._tombstones[key] = _Tombstone(version=shadow.version, deleted_at=now)
        self._changed.add(key)
        doc: JsonObject = {"version": shadow.version, "timestamp": int(now)}
        if client_token is not None:
            doc["clientToken"] = client_token
        return doc, [publish_json(f"{topic_prefix(thing, name)}/delete/accepted", doc)]

    def list_named(self, thing: str) -> list[str]:
        return sorted(n for (t, n) in self._shadows if t == thing and n)

    # --- persistence -----------------------------------------------------------------------

    def drain_changes(self) -> set[ShadowKey]:
        """Keys changed since the last call, for the adapter to persist."""
        changed, self._changed = self._changed, set()
        return changed

    def export(self, key: ShadowKey) -> JsonObject | None:
        """The persisted form of one shadow (a tombstone if deleted), ``None`` if unknown."""
        shadow = self._shadows.get(key)
        if shadow is not None:
            return {"shadow": shadow.to_json()}
        tomb = self._tombstones.get(key)
        if tomb is not None:
            return {"tombstone": {"version": tomb.version, "deleted_at": tomb.deleted_at}}
        return None

    def load(self, key: ShadowKey, data: JsonObject) -> None:
        """Restore one persisted shadow; ``ValueError`` if it could never be sent again (a
        lone surrogate or a non-finite number stored by an older version)."""
        if "shadow" in data:
            shadow = Shadow.from_json(data["shadow"])
            if not encodable(shadow.to_json()):
                raise ValueError(f"the stored shadow {key} holds text that is not UTF-8")
            self._shadows[key] = shadow
        elif "tombstone" in data:
            t = data["tombstone"]
            self._tombstones[key] = _Tombstone(int(t["version"]), float(t["deleted_at"]))

    # --- helpers -----------------------------------------------------------------------------

    def _tombstone_version(self, key: ShadowKey, now: float) -> int:
        tomb = self._tombstones.get(key)
        if tomb is None or now - tomb.deleted_at > TOMBSTONE_SECONDS:
            return 0
        return tomb.version

    @staticmethod
    def _check_names(thing: str, name: str) -> None:
        if not is_thing_name(thing):
            raise ShadowRejection(400, "Invalid thing name")
        if name and not is_shadow_name(name):
            raise ShadowRejection(400, "Invalid shadow name")

    @staticmethod
    def _update_messages(
        thing: str,
        name: str,
        before: Shadow | None,
        after: Shadow,
        request: UpdateRequest,
        ts: int,
    ) -> tuple[JsonObject, list[Publish]]:
        prefix = topic_prefix(thing, name)
        token = request.client_token

        accepted: JsonObject = {
            "state": copy.deepcopy(request.state),
            "metadata": request_metadata(request, ts),
            "version": after.version,
            "timestamp": ts,
        }
        if token is not None:
            accepted["clientToken"] = token
        out = [publish_json(f"{prefix}/update/accepted", accepted)]

        delta = after.delta()
        if delta and touches_desired(request):
            delta_doc: JsonObject = {
                "state": delta,
                "metadata": after.delta_metadata(delta),
                "version": after.version,
                "timestamp": ts,
            }
            if token is not None:
                delta_doc["clientToken"] = token
            out.append(publish_json(f"{prefix}/update/delta", delta_doc))

        documents: JsonObject = {"current": after.snapshot(), "timestamp": ts}
        if before is not None:
            documents["previous"] = before.snapshot()
        if token is not None:
            documents["clientToken"] = token
        out.append(publish_json(f"{prefix}/update/documents", documents))
        return accepted, out


def _not_found(thing: str, name: str) -> str:
    return f"No shadow exists with name: '{name or thing}'"
