"""Field specifications: validation with located errors, and JSON Schema for editors.

Steps and expectations declare their fields with :class:`Field`; the same declaration
validates a file (every problem with file:line:column, the field's path and a "did you
mean") and exports the JSON Schema that editors use to complete and check scenario files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .quantities import SENSOR_QUANTITIES, unknown_quantity
from .source import Document, PathKey, Problem, suggest

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"({_NUMBER})\s*(ms|min|h|m|s)\s*")
# A plain number (seconds), or number-unit parts: 65s, 500ms, 2 min, 1m30s, 1h 30m.
_DURATION = re.compile(rf"^\s*(?:{_NUMBER}\s*|(?:{_NUMBER}\s*(?:ms|min|h|m|s)\s*)+)$")
PLACEHOLDER_PATTERN = r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$"
_UNITS = {"h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_ORDER = {"h": 0, "min": 1, "m": 1, "s": 2, "ms": 3}
DURATION_HELP = "write 65s, 500ms, 2m, 1m30s, 2h or a number of seconds"


def parse_duration(value: Any) -> float:
    """``65``, ``"65s"``, ``"500ms"``, ``"2m"``, ``"1h"``, ``"1m30s"``, ``"1h 30m"`` -> seconds.

    Compound forms name each unit once, largest first (``1m30s``, not ``30s1m``): that is
    how people write a time, and a typo such as ``1m1m`` is then caught, not added up."""
    if isinstance(value, bool):
        raise ValueError("a duration, not a boolean")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str) and _DURATION.match(value):
        text = value.strip()
        if not _PART.match(text):
            return float(text)
        total, last = 0.0, -1
        for number, unit in _PART.findall(text):
            if _ORDER[unit] <= last:
                raise ValueError(
                    f"{value!r} is not a duration: name each unit once, largest first "
                    "(1h30m, 1m30s)"
                )
            last = _ORDER[unit]
            total += float(number) * _UNITS[unit]
        return total
    raise ValueError(f"{value!r} is not a duration ({DURATION_HELP})")


@dataclass(frozen=True)
class Field:
    """One field of a step or section.

    ``type``: ``string``, ``number``, ``integer``, ``boolean``, ``duration``, ``object``
    (any mapping), ``list`` (of ``items``), ``json`` (any value), ``device`` (a device name),
    ``devices`` (a name, a list of names, or ``all``), ``color`` ([r, g, b]), ``enum`` or
    ``quantity`` (a sensor quantity: temperature, humidity, ...).
    """

    type: str
    required: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    items: str = "string"
    minimum: float | None = None
    maximum: float | None = None


Fields = Mapping[str, Field]


def check(
    value: Any, fields: Fields, path: PathKey, doc: Document, problems: list[Problem], what: str
) -> dict[str, Any]:
    """Validate a mapping against ``fields``; append problems; return the converted value
    (durations in seconds).  Unknown keys are errors with a suggestion."""
    if not isinstance(value, Mapping):
        problems.append(doc.problem(path, f"{what} must be a mapping, not {_kind(value)}"))
        return {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key not in fields:
            valid = ", ".join(sorted(fields)) or "none"
            problems.append(
                doc.problem(
                    (*path, key),
                    f"unknown field {key!r} in {what}{suggest(key, fields)}; valid: {valid}",
                    key=True,
                )
            )
            continue
        converted = convert(item, fields[key], (*path, key), doc, problems)
        if converted is not _INVALID:
            out[key] = converted
    for key, spec in fields.items():
        if spec.required and key not in value:
            about = f" ({spec.doc})" if spec.doc else ""
            problems.append(doc.problem(path, f"{what} needs the field {key!r}{about}"))
    return out


class _Invalid:
    pass


_INVALID: Any = _Invalid()


def convert(value: Any, spec: Field, path: PathKey, doc: Document, problems: list[Problem]) -> Any:
    def bad(message: str) -> Any:
        problems.append(doc.problem(path, message))
        return _INVALID

    t = spec.type
    if t == "json":
        return value
    if t == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return bad(f"expected text, got {_kind(value)}")
    if t == "quantity":
        message = unknown_quantity(str(value)) if isinstance(value, str) else None
        if isinstance(value, str) and message is None:
            return value
        return bad(message or f"expected a sensor quantity, got {_kind(value)}")
    if t == "enum":
        if isinstance(value, str) and value in spec.choices:
            return value
        return bad(
            f"expected one of {', '.join(spec.choices)}, got {value!r}"
            + suggest(str(value), spec.choices)
        )
    if t in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return bad(f"expected a number, got {_kind(value)}")
        if t == "integer" and not isinstance(value, int):
            return bad(f"expected a whole number, got {value!r}")
        if spec.minimum is not None and value < spec.minimum:
            return bad(f"must be at least {spec.minimum:g}, got {value!r}")
        if spec.maximum is not None and value > spec.maximum:
            return bad(f"must be at most {spec.maximum:g}, got {value!r}")
        return value
    if t == "boolean":
        if isinstance(value, bool):
            return value
        return bad(f"expected true or false, got {value!r}")
    if t == "duration":
        try:
            return parse_duration(value)
        except ValueError as exc:
            return bad(str(exc))
    if t == "object":
        if isinstance(value, Mapping):
            return dict(value)
        return bad(f"expected a mapping, got {_kind(value)}")
    if t == "list":
        if not isinstance(value, list):
            value = [value]
        item = Field(spec.items)
        out = [convert(v, item, (*path, i), doc, problems) for i, v in enumerate(value)]
        return _INVALID if any(v is _INVALID for v in out) else out
    if t == "device":
        if isinstance(value, str) and value:
            return value
        return bad(f"expected a device name, got {_kind(value)}")
    if t == "devices":
        if isinstance(value, str) and value:
            return value if value == "all" else [value]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return list(value)
        return bad(f"expected a device name, a list of names or 'all', got {_kind(value)}")
    if t == "color":
        if (
            isinstance(value, list)
            and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)
        ):
            return tuple(value)
        return bad(f"expected [r, g, b] with each 0..255, got {value!r}")
    raise AssertionError(f"unknown field type {t}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# --- JSON Schema -------------------------------------------------------------------------


def field_schema(spec: Field) -> dict[str, Any]:
    t = spec.type
    out: dict[str, Any]
    if t == "string" or t == "device":
        out = {"type": "string"}
    elif t == "enum":
        out = {"enum": list(spec.choices)}
    elif t == "quantity":
        out = {"enum": list(SENSOR_QUANTITIES)}
    elif t in ("number", "integer"):
        out = {"type": t}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        if spec.maximum is not None:
            out["maximum"] = spec.maximum
    elif t == "boolean":
        out = {"type": "boolean"}
    elif t == "duration":
        out = {
            "anyOf": [
                {"type": "number", "minimum": 0},
                {"type": "string", "pattern": _DURATION.pattern},
            ]
        }
    elif t == "object":
        out = {"type": "object"}
    elif t == "list":
        inner = field_schema(Field(spec.items))
        out = {"anyOf": [inner, {"type": "array", "items": inner}]}
    elif t == "devices":
        out = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    elif t == "color":
        out = {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 255},
            "minItems": 3,
            "maxItems": 3,
        }
    else:
        out = {}
    if t not in ("string", "device", "json", "object"):
        # a parameter placeholder may stand for a value of any type: "${threshold}"
        out = {"anyOf": [out, {"type": "string", "pattern": PLACEHOLDER_PATTERN}]}
    if spec.doc:
        out["description"] = spec.doc
    return out


def object_schema(fields: Fields, doc: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": {k: field_schema(f) for k, f in fields.items()},
        "additionalProperties": False,
    }
    required = [k for k, f in fields.items() if f.required]
    if required:
        out["required"] = required
    if doc:
        out["description"] = doc
    return out
