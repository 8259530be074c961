"""Device backends, found by name.

Backends register through the ``steelhil.backends`` entry-point group (``name =
module:Class``), so a new kind of board -- in this package or a plug-in -- is added without
editing a central if/elif.  :func:`register` adds one at run time (tests, notebooks).
"""

from __future__ import annotations

import difflib
from importlib.metadata import entry_points

from .base import (
    Backend,
    BackendError,
    BackendSession,
    BoardSpec,
    Device,
    LogLine,
    TimeBase,
    Unsupported,
)

__all__ = [
    "Backend",
    "BackendError",
    "BackendSession",
    "BoardSpec",
    "Device",
    "LogLine",
    "TimeBase",
    "Unsupported",
    "available",
    "get",
    "register",
]

_registered: dict[str, type[Backend] | Backend] = {}


def register(name: str, backend: type[Backend] | Backend) -> None:
    """Make ``backend`` (a class or an instance) available under ``name``."""
    _registered[name] = backend


def available() -> list[str]:
    names = set(_registered)
    names.update(ep.name for ep in entry_points(group="steelhil.backends"))
    return sorted(names)


def get(name: str) -> Backend:
    """The backend called ``name``; an unknown name says which ones exist."""
    found: type[Backend] | Backend | None = _registered.get(name)
    if found is None:
        for ep in entry_points(group="steelhil.backends"):
            if ep.name == name:
                found = ep.load()
                break
    if found is None:
        names = available()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise BackendError(
            f"unknown backend {name!r}{hint}; available: {', '.join(names) or 'none'}"
        )
    return found() if isinstance(found, type) else found
