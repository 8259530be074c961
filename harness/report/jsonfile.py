"""The run as one JSON file: the machine-readable record other tools (dashboards, the OTA
gate's evidence, a later ``steelhil report`` re-render) read instead of parsing JUnit or HTML.

Keys are sorted so that two runs of the same thing produce files that diff cleanly.  The file
carries ``schema_version``; :func:`read_json` refuses a version it does not know rather than
guessing, and names the field when the file does not match the model.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

from harness.results import RunResult

SCHEMA_VERSION = 1


class ResultsFileError(ValueError):
    """A results file that is not a schema-1 ``RunResult`` (the message says where)."""


def json_default(value: Any) -> Any:
    """What ``json.dumps`` cannot write by itself: bytes become text (undecodable bytes as
    ``\\xNN``), sets sorted lists, anything else its ``str``; a report is never lost to one
    odd value in an event's ``data``."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    return str(value)


def dumps(value: Any, *, indent: int | None = None) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, indent=indent, default=json_default
    )


def run_to_dict(run: RunResult) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **run.to_dict()}


def write_json(run: RunResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A lone surrogate (from a device's undecodable bytes) can only sit inside a JSON
    # string, where backslashreplace writes it as the JSON escape \udcNN: the file stays
    # valid UTF-8 and reads back to the same string.
    text = dumps(run_to_dict(run), indent=2) + "\n"
    path.write_bytes(text.encode("utf-8", "backslashreplace"))
    return path


def read_json(path: Path) -> RunResult:
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except ValueError as exc:
        raise ResultsFileError(f"{path}: not JSON: {exc}") from exc
    return run_from_dict(data, source=str(path))


def run_from_dict(data: Any, source: str = "<results>") -> RunResult:
    if not isinstance(data, dict):
        raise ResultsFileError(f"{source}: expected an object, found {type(data).__name__}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsFileError(
            f"{source}: schema_version {version!r} is not {SCHEMA_VERSION}; "
            "read it with the steelhil version that wrote it"
        )
    body = {k: v for k, v in data.items() if k != "schema_version"}
    result = _decode(RunResult, body, source, "")
    assert isinstance(result, RunResult)
    return result


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _where(source: str, path: str) -> str:
    return f"{source}: {path}" if path else source


def _decode(tp: Any, value: Any, source: str, path: str) -> Any:
    """``value`` (parsed JSON) as type ``tp`` of the results model, checked on the way."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _decode_dataclass(tp, value, source, path)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _decode(inner, value, source, path)
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            allowed = ", ".join(repr(a) for a in typing.get_args(tp))
            raise ResultsFileError(f"{_where(source, path)}: {value!r} is not one of {allowed}")
        return value
    if origin is list:
        _expect(value, list, source, path)
        (item,) = typing.get_args(tp)
        return [_decode(item, v, source, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _expect(value, dict, source, path)
        _, item = typing.get_args(tp)
        return {k: _decode(item, v, source, f"{path}.{k}") for k, v in value.items()}
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ResultsFileError(f"{_where(source, path)}: expected a number, found {value!r}")
    if tp in (str, int, bool):
        _expect(value, tp, source, path)
        return value
    raise TypeError(f"results model type {tp!r} has no JSON reading")  # a model change


def _expect(value: Any, tp: type, source: str, path: str) -> None:
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        raise ResultsFileError(
            f"{_where(source, path)}: expected {tp.__name__}, found {type(value).__name__}"
        )


def _decode_dataclass(cls: type, value: Any, source: str, path: str) -> Any:
    _expect(value, dict, source, path)
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(value) - set(fields))
    if unknown:
        raise ResultsFileError(
            f"{_where(source, path)}: unknown field {unknown[0]!r} for {cls.__name__}"
        )
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        sub = f"{path}.{name}" if path else name
        if name in value:
            kwargs[name] = _decode(hints[name], value[name], source, sub)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ResultsFileError(f"{_where(source, path)}: missing field {name!r}")
    return cls(**kwargs)
