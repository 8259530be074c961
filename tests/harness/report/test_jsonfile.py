from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.report.jsonfile import ResultsFileError, read_json, write_json
from harness.results import RunResult, TimelineEvent

from .sample import CONTROL, fingerprint, sample_run


def test_round_trip_is_equal(tmp_path: Path) -> None:
    run = sample_run()
    assert read_json(write_json(run, tmp_path / "results.json")) == run


def test_round_trip_keeps_hostile_text(tmp_path: Path) -> None:
    run = sample_run()
    run.scenarios[1].steps[1].observed = CONTROL + " \udc80 \u2028"
    run.scenarios[1].params = {"threshold": 30.5, "unit": None, "list": [1, "two"]}
    path = write_json(run, tmp_path / "results.json")
    path.read_bytes().decode("utf-8")  # valid UTF-8, even with a lone surrogate in it
    assert read_json(path) == run


def test_schema_version_and_stable_key_order(tmp_path: Path) -> None:
    path = write_json(sample_run(), tmp_path / "results.json")

    def sorted_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys)
        return dict(pairs)

    data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=sorted_keys)
    assert data["schema_version"] == 1
    assert data["scenarios"][1]["steps"][1]["location"]["line"] == 14
    again = write_json(sample_run(), tmp_path / "again.json")
    assert again.read_bytes() == path.read_bytes()


def test_values_json_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    run = RunResult(fingerprint(), [sample_run().scenarios[0]])
    run.scenarios[0].timeline.append(
        TimelineEvent(2.0, "mqtt", "dev-1", "raw", {"payload": b"\xff{", "tags": {"b", "a"}})
    )
    data = read_json(write_json(run, tmp_path / "results.json")).scenarios[0].timeline[-1].data
    assert data == {"payload": "\\xff{", "tags": ["a", "b"]}


def _write_dict(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _valid() -> dict[str, Any]:
    return {"schema_version": 1, **sample_run().to_dict()}


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    data = _valid()
    data["schema_version"] = 2
    with pytest.raises(ResultsFileError, match="schema_version 2 is not 1"):
        read_json(_write_dict(tmp_path, data))


def test_missing_field_is_named_with_its_path(tmp_path: Path) -> None:
    data = _valid()
    del data["scenarios"][1]["steps"][0]["status"]
    with pytest.raises(
        ResultsFileError, match=r"scenarios\[1\]\.steps\[0\]: missing field 'status'"
    ):
        read_json(_write_dict(tmp_path, data))


def test_wrong_values_are_named_with_their_path(tmp_path: Path) -> None:
    data = _valid()
    data["scenarios"][0]["status"] = "green"
    with pytest.raises(ResultsFileError, match=r"scenarios\[0\]\.status: 'green' is not one of"):
        read_json(_write_dict(tmp_path, data))
    data = _valid()
    data["scenarios"][0]["steps"][0]["started"] = "soon"
    with pytest.raises(ResultsFileError, match=r"steps\[0\]\.started: expected a number"):
        read_json(_write_dict(tmp_path, data))
    data = _valid()
    data["fingerprint"]["colour"] = "blue"
    with pytest.raises(ResultsFileError, match="fingerprint: unknown field 'colour'"):
        read_json(_write_dict(tmp_path, data))


def test_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("<testsuites/>", encoding="utf-8")
    with pytest.raises(ResultsFileError, match="not JSON"):
        read_json(path)
    with pytest.raises(ResultsFileError, match="expected an object"):
        read_json(_write_dict(tmp_path, [1, 2]))
