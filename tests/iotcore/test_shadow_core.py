"""Unit tests of the sans-IO shadow service: every documented rule, no broker."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.iotcore.messages import Publish
from emulator.iotcore.shadow import ShadowRejection, ShadowService
from emulator.iotcore.shadow.document import compute_delta, depth

T0 = 1_700_000_000.0
PREFIX = "$aws/things/dev-1/shadow"


def send(svc: ShadowService, op: str, body: Any, now: float = T0, name: str = "") -> list[Publish]:
    prefix = f"{PREFIX}/name/{name}" if name else PREFIX
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return svc.handle(f"{prefix}/{op}", payload, now)


def by_suffix(pubs: list[Publish], suffix: str) -> Any:
    found = [p for p in pubs if p.topic.endswith(suffix)]
    assert len(found) == 1, [p.topic for p in pubs]
    return found[0].json()


def topics(pubs: list[Publish]) -> list[str]:
    return [p.topic.removeprefix(PREFIX) for p in pubs]


def test_first_update_creates_version_1_and_echoes_the_request() -> None:
    svc = ShadowService()
    pubs = send(svc, "update", {"state": {"reported": {"led": "on"}}, "clientToken": "t-1"})
    assert topics(pubs) == ["/update/accepted", "/update/documents"]
    acc = by_suffix(pubs, "/update/accepted")
    assert acc == {
        "state": {"reported": {"led": "on"}},
        "metadata": {"reported": {"led": {"timestamp": int(T0)}}},
        "version": 1,
        "timestamp": int(T0),
        "clientToken": "t-1",
    }
    docs = by_suffix(pubs, "/update/documents")
    assert "previous" not in docs
    assert docs["current"]["version"] == 1
    assert docs["clientToken"] == "t-1"


def test_delta_published_when_desired_differs_and_carries_all_differences() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"reported": {"a": 1, "b": 2}, "desired": {"b": 5}}})
    pubs = send(svc, "update", {"state": {"desired": {"a": 9}}, "clientToken": "c"}, T0 + 1)
    delta = by_suffix(pubs, "/update/delta")
    assert delta["state"] == {"a": 9, "b": 5}
    assert delta["metadata"] == {"a": {"timestamp": int(T0) + 1}, "b": {"timestamp": int(T0)}}
    assert delta["version"] == 2
    assert delta["clientToken"] == "c"


def test_no_delta_when_desired_matches_reported() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"reported": {"a": 1}}})
    pubs = send(svc, "update", {"state": {"desired": {"a": 1}}})
    assert not [p for p in pubs if p.topic.endswith("/delta")]


def test_reported_only_update_sends_no_delta_even_if_one_remains() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"desired": {"a": 1, "b": 1}}})
    pubs = send(svc, "update", {"state": {"reported": {"a": 1}}})
    assert topics(pubs) == ["/update/accepted", "/update/documents"]
    got = by_suffix(send(svc, "get", b""), "/get/accepted")
    assert got["state"]["delta"] == {"b": 1}


def test_nested_delta_keeps_path_and_arrays_compare_whole() -> None:
    desired = {"lights": {"color": {"r": 255, "g": 255, "b": 255}}, "list": [1, 2], "x": True}
    reported = {"lights": {"color": {"r": 255, "g": 0, "b": 255}}, "list": [1, 2], "x": 1}
    assert compute_delta(desired, reported) == {"lights": {"color": {"g": 255}}, "x": True}
    assert compute_delta({"list": [1, 2, 3]}, {"list": [1, 2]}) == {"list": [1, 2, 3]}
    assert compute_delta({"a": 1}, {"a": 1, "extra": 2}) == {}


def test_null_deletes_keys_sections_and_whole_state() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"desired": {"a": 1, "b": {"c": 2}}, "reported": {"a": 0}}})
    send(svc, "update", {"state": {"desired": {"a": None, "b": {"c": None}}}})
    got = by_suffix(send(svc, "get", b""), "/get/accepted")
    assert got["state"]["desired"] == {"b": {}}
    assert got["metadata"]["desired"] == {"b": {}}
    send(svc, "update", {"state": {"reported": None}})
    got = by_suffix(send(svc, "get", b""), "/get/accepted")
    assert "reported" not in got["state"]
    send(svc, "update", {"state": None})
    got = by_suffix(send(svc, "get", b""), "/get/accepted")
    assert got["state"] == {}
    assert got["version"] == 4


def test_metadata_has_a_timestamp_per_leaf_and_per_array_element() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"reported": {"a": {"b": 1}, "arr": [1, {"k": 2}]}}})
    send(svc, "update", {"state": {"reported": {"c": 3}}}, T0 + 10)
    got = by_suffix(send(svc, "get", b"", T0 + 20), "/get/accepted")
    ts = int(T0)
    assert got["metadata"]["reported"] == {
        "a": {"b": {"timestamp": ts}},
        "arr": [{"timestamp": ts}, {"k": {"timestamp": ts}}],
        "c": {"timestamp": ts + 10},
    }
    assert got["timestamp"] == ts + 20


def test_optimistic_locking_with_version() -> None:
    svc = ShadowService()
    for _ in range(10):
        send(svc, "update", {"state": {"reported": {"n": 1}}})
    rej = by_suffix(
        send(svc, "update", {"state": {}, "version": 9, "clientToken": "v"}), "rejected"
    )
    assert (rej["code"], rej["message"], rej["clientToken"]) == (409, "Version conflict", "v")
    acc = by_suffix(send(svc, "update", {"state": {"reported": {"n": 2}}, "version": 10}), "cepted")
    assert acc["version"] == 11


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"{not json", 400, "Invalid JSON"),
        (b"[1, 2]", 400, "Invalid JSON"),
        (json.dumps({"clientToken": "x"}).encode(), 400, "Missing required node: state"),
        (json.dumps({"state": 5}).encode(), 400, "State node must be an object"),
        (json.dumps({"state": {"other": {}}}).encode(), 400, "State contains an invalid node"),
        (json.dumps({"state": {"desired": 1}}).encode(), 400, "Desired node must be an object"),
        (json.dumps({"state": {"reported": []}}).encode(), 400, "Reported node must be an object"),
        (json.dumps({"state": {}, "version": "7"}).encode(), 400, "Invalid version"),
        (json.dumps({"state": {}, "clientToken": "x" * 65}).encode(), 400, "Invalid clientToken"),
        (json.dumps({"state": {"desired": {"c": [None]}}}).encode(), 400, "Invalid JSON"),
        (b"\xff\xfe", 415, "Unsupported documented encoding; supported encoding is UTF-8"),
    ],
)
def test_bad_updates_get_the_documented_rejection(body: bytes, code: int, message: str) -> None:
    svc = ShadowService()
    rej = by_suffix(send(svc, "update", body), "/update/rejected")
    assert rej["code"] == code
    assert rej["message"].startswith(message)
    assert rej["timestamp"] == int(T0)


def test_rejection_echoes_a_valid_client_token() -> None:
    svc = ShadowService()
    rej = by_suffix(send(svc, "update", {"clientToken": "tok"}), "/update/rejected")
    assert rej["clientToken"] == "tok"


def test_nesting_deeper_than_six_levels_is_rejected() -> None:
    six: dict[str, Any] = {"l6": 1}
    for level in range(5, 0, -1):
        six = {f"l{level}": six}
    assert depth(six) == 6
    svc = ShadowService()
    assert by_suffix(send(svc, "update", {"state": {"desired": six}}), "accepted")["version"] == 1
    rej = by_suffix(send(svc, "update", {"state": {"desired": {"l0": six}}}), "/update/rejected")
    assert rej["code"] == 400
    assert rej["message"] == "JSON contains too many levels of nesting; maximum is 6"


def test_stored_document_over_8kb_is_rejected_with_413_and_not_applied() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"reported": {"a": "x" * 5000}}})
    rej = by_suffix(send(svc, "update", {"state": {"desired": {"b": "y" * 4000}}}), "rejected")
    assert rej["code"] == 413
    got = by_suffix(send(svc, "get", b""), "/get/accepted")
    assert "desired" not in got["state"]
    assert got["version"] == 1


def test_get_and_delete_of_a_missing_shadow_are_404() -> None:
    svc = ShadowService()
    rej = by_suffix(send(svc, "get", {"clientToken": "g"}), "/get/rejected")
    assert rej["code"] == 404
    assert rej["clientToken"] == "g"
    assert by_suffix(send(svc, "delete", b""), "/delete/rejected")["code"] == 404


def test_delete_keeps_the_version_for_48_hours() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"reported": {"a": 1}}})
    send(svc, "update", {"state": {"reported": {"a": 2}}})
    acc = by_suffix(send(svc, "delete", {"clientToken": "d"}), "/delete/accepted")
    assert acc == {"version": 2, "timestamp": int(T0), "clientToken": "d"}
    assert by_suffix(send(svc, "get", b""), "/get/rejected")["code"] == 404
    again = by_suffix(send(svc, "update", {"state": {"reported": {"a": 3}}}, T0 + 60), "cepted")
    assert again["version"] == 3
    send(svc, "delete", b"", T0 + 61)
    later = T0 + 61 + 48 * 3600 + 1
    assert by_suffix(send(svc, "update", {"state": {}}, later), "/update/accepted")["version"] == 1


def test_named_shadows_are_separate_and_listed() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"reported": {"fw": "1"}}}, name="ota")
    send(svc, "update", {"state": {"reported": {"x": 1}}}, name="cfg")
    pubs = send(svc, "get", b"", name="ota")
    assert pubs[0].topic == f"{PREFIX}/name/ota/get/accepted"
    assert pubs[0].json()["state"]["reported"] == {"fw": "1"}
    assert by_suffix(send(svc, "get", b""), "/get/rejected")["code"] == 404
    assert svc.list_named("dev-1") == ["cfg", "ota"]
    svc.delete("dev-1", "cfg", T0)
    assert svc.list_named("dev-1") == ["ota"]


def test_topics_that_are_not_requests_are_ignored() -> None:
    svc = ShadowService()
    assert svc.handle(f"{PREFIX}/update/accepted", b"{}", T0) == []
    assert svc.handle(f"{PREFIX}/bogus", b"{}", T0) == []
    assert svc.handle("dt/dev-1/x", b"{}", T0) == []


def test_export_and_load_round_trip_including_tombstones() -> None:
    svc = ShadowService()
    send(svc, "update", {"state": {"desired": {"a": 1}}})
    send(svc, "update", {"state": {"reported": {"a": 1}}}, name="n")
    svc.delete("dev-1", "n", T0)
    changed = svc.drain_changes()
    assert changed == {("dev-1", ""), ("dev-1", "n")}
    assert svc.drain_changes() == set()
    fresh = ShadowService()
    for key in changed:
        data = svc.export(key)
        assert data is not None
        fresh.load(key, json.loads(json.dumps(data)))
    assert fresh.get("dev-1", "", T0) == svc.get("dev-1", "", T0)
    assert fresh.update("dev-1", "n", b'{"state":{}}', T0)[0]["version"] == 2


def test_api_side_raises_the_same_rejections() -> None:
    svc = ShadowService()
    with pytest.raises(ShadowRejection) as info:
        svc.update("dev-1", "", b'{"nostate": 1}', T0)
    assert info.value.code == 400
    with pytest.raises(ShadowRejection) as info:
        svc.get("bad name!", "", T0)
    assert info.value.code == 400
