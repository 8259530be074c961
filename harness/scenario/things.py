"""``{thing}`` and ``{thing:dev-1}``: a device's thing name inside what an expectation
matches (``payload``, ``contains``, ``error``, ``reported``, ``desired``, ``delta``) and
inside predicates.

Why: thing names are made per run (``dev-1-c0bfea``), so a scenario cannot write them;
without this a QA engineer wrote ``'north-' in device and len(device) == 12``.
``{thing}`` is the device the message came from (or the expectation's ``device``);
``{thing:NAME}`` is the named device of the fleet.  Only these two forms are replaced:
other braces stay as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from .source import Document, PathKey, Problem, suggest

THING_REF = re.compile(r"\{thing(?::([A-Za-z0-9][A-Za-z0-9_.-]{0,63}))?\}")

#: ``resolve(None)`` is the current device's thing name, ``resolve("dev-1")`` dev-1's; None
#: when there is no such device (then nothing that mentions it can match).
Resolver = Callable[[str | None], str | None]


class Unresolved(Exception):
    """A ``{thing...}`` with no device to stand for."""


def mentions(value: Any) -> bool:
    """Whether ``value`` (any JSON-like value) contains a ``{thing...}``."""
    return any(True for _ in _refs(value, ()))


def _refs(value: Any, path: PathKey) -> Iterator[tuple[str | None, PathKey]]:
    if isinstance(value, str):
        for m in THING_REF.finditer(value):
            yield m.group(1), path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _refs(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _refs(v, (*path, i))


def check_refs(
    value: Any, where: PathKey, doc: Document, problems: list[Problem], devices: list[str]
) -> None:
    """Every ``{thing:NAME}`` in ``value`` names a device of the fleet."""
    for name, path in _refs(value, where):
        if name is not None and name not in devices:
            problems.append(doc.problem(path, unknown_device(name, devices)))


def unknown_device(name: str, devices: list[str]) -> str:
    return (
        f"{{thing:{name}}}: unknown device {name!r}{suggest(name, devices)}; "
        f"the fleet has {', '.join(devices)}"
    )


def expand_text(text: str, resolve: Resolver) -> str:
    def repl(m: re.Match[str]) -> str:
        thing = resolve(m.group(1))
        if thing is None:
            raise Unresolved(m.group(0))
        return thing

    return THING_REF.sub(repl, text)


def expand(value: Any, resolve: Resolver) -> Any:
    """``value`` with every ``{thing...}`` replaced; raises :class:`Unresolved`."""
    if isinstance(value, str):
        return expand_text(value, resolve) if "{thing" in value else value
    if isinstance(value, dict):
        return {k: expand(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, resolve) for v in value]
    return value
