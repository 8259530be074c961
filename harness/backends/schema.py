"""The keys a backend or a power driver accepts in the rig file, and their types.

Why declared as data: the rig loader (:mod:`harness.rig`) checks every board entry against
what its backend declares, so an error names the file, line, column and field and suggests
the nearest valid key -- and a new backend gets that for free by declaring ``options``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "str", "path", "int", "float", "bool", "argv", "str-list", "mapping", "choice", "any"
]


@dataclass(frozen=True)
class Field:
    """One key: its kind, whether it is required, allowed values (``choice``), a help line.

    ``path`` is a string the rig loader resolves against the rig file's directory.
    """

    kind: Kind
    help: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    def check(self, value: Any) -> str | None:
        """None if ``value`` fits; else what is wrong, as a phrase."""
        kind = self.kind
        if kind == "any":
            return None
        if kind in ("str", "path") and not isinstance(value, str):
            return f"expected a string, got {_show(value)}"
        if kind == "bool" and not isinstance(value, bool):
            return f"expected true or false, got {_show(value)}"
        if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            return f"expected an integer, got {_show(value)}"
        if kind == "float" and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"expected a number, got {_show(value)}"
        if kind in ("int", "float") and self.minimum is not None and value < self.minimum:
            return f"expected at least {self.minimum:g}, got {value}"
        if kind in ("argv", "str-list"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return f"expected a list of strings, got {_show(value)}"
            if kind == "argv" and not value:
                return "expected a command (a non-empty list of strings)"
        if kind == "mapping" and not isinstance(value, dict):
            return f"expected a mapping, got {_show(value)}"
        if kind == "choice" and value not in self.choices:
            return f"expected one of {', '.join(self.choices)}, got {_show(value)}"
        return None


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
