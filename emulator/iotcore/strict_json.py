"""JSON as the local IoT Core accepts it from devices and API callers: strict, bounded, and
refused with our own words.

Python's ``json`` accepts more than a service should store and fails in ways that must not
reach a reply: it turns ``"\\ud800"`` into a lone surrogate that can never be encoded again
(every later answer about that shadow would fail), ``1e400`` into ``inf`` (which it writes back
as ``Infinity``, not JSON), a 10,000-deep document into a ``RecursionError`` and a 5,000-digit
integer into a ``ValueError`` about its own digit limit. ``loads`` refuses all of these before
anything is stored, with a :class:`JsonRefused` whose message is ours. The nesting depth is
counted by a scan of the text without recursion, before the parser runs.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

#: JSON nesting deeper than this is refused before parsing, whatever the caller's own limit
#: (the parser recurses once per level, and Python's stack is finite).
DEFAULT_MAX_DEPTH = 64

#: The largest JSON number we keep: the range of an IEEE double, which is what JSON parsers
#: everywhere (and AWS's documents) can represent.
_MAX_MAGNITUDE = sys.float_info.max
_MAX_INT_DIGITS = len(str(int(_MAX_MAGNITUDE)))

#: A JSON string (closed or not), or one bracket; strings are skipped so their brackets
#: do not count.
_STRUCTURE = re.compile(r'"(?:[^"\\]+|\\.)*"?|[\[{\]}]', re.DOTALL)


class JsonRefused(ValueError):
    """A payload the service refuses; ``kind`` says why, ``message`` says it for a reply.

    Kinds: ``encoding`` (not UTF-8), ``syntax`` (not JSON), ``nesting`` (too deep),
    ``number`` (out of range), ``unicode`` (a lone surrogate, which is not a character).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class _ValueRefused(Exception):
    """Raised inside the parser's hooks; ``loads`` turns it into a ``JsonRefused``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether objects and arrays in ``text`` nest deeper than ``limit`` (brackets inside
    strings do not count). Iterative, so any depth is safe to measure."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def loads(payload: bytes | str, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Decode a UTF-8 JSON payload, or raise :class:`JsonRefused`.

    The result holds only finite numbers within a double's range and strings that encode
    as UTF-8, so whatever is stored can always be sent again.
    """
    if isinstance(payload, bytes):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused("encoding", "the payload is not UTF-8") from None
    else:
        text = payload
    if nesting_exceeds(text, max_depth):
        raise JsonRefused(
            "nesting", f"the JSON nests deeper than {max_depth} levels of objects and arrays"
        )
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except _ValueRefused as refused:
        raise JsonRefused(refused.kind, refused.message) from None
    except json.JSONDecodeError as exc:
        raise JsonRefused(
            "syntax", f"syntax error at line {exc.lineno}, column {exc.colno}"
        ) from None
    except (ValueError, RecursionError):  # cannot happen after the checks above; still ours
        raise JsonRefused("syntax", "the payload is not valid JSON") from None
    if not encodable(value):
        raise JsonRefused("unicode", "a string holds a lone surrogate (U+D800-U+DFFF)")
    return value


def encodable(value: Any) -> bool:
    """Whether ``value`` can be written as JSON text in UTF-8 (no lone surrogates)."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


def _refuse_constant(name: str) -> Any:
    raise _ValueRefused("syntax", f"{name} is not a JSON value")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _ValueRefused("number", f"the number {_clip(text)} is out of range")
    return value


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _ValueRefused("number", f"the number {_clip(text)} is out of range")
    value = int(text)
    if abs(value) > _MAX_MAGNITUDE:
        raise _ValueRefused("number", f"the number {_clip(text)} is out of range")
    return value


def _clip(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
