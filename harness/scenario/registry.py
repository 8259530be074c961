"""Step types and expectation kinds, found by the YAML key that names them.

A step in a scenario file is a mapping with one *action key* (``deploy``, ``expect``,
``network``, ...) and optional common keys (``title``).  Each action key is a
:class:`StepType` registered here, and each expectation under ``expect``/``never``
(``mqtt``, ``status``, ``shadow``, ...) an :class:`ExpectationKind`.  Adding a step is
registering one -- from this package or a plug-in through the ``steelhil.steps`` entry-point
group -- never editing the loader or the engine.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .schema import Fields

if TYPE_CHECKING:
    from .context import RunContext

StepKind = Literal["act", "expect", "never", "time", "fault"]


class StepFailed(Exception):
    """An expectation was not met: what was expected, what was observed."""

    def __init__(self, message: str, *, expected: str = "", observed: str = "") -> None:
        super().__init__(message)
        self.expected = expected
        self.observed = observed


@dataclass
class Outcome:
    """What a passing step reports."""

    expected: str | None = None
    observed: str | None = None


class StepType:
    """One action key.  ``fields`` validates its body; ``run`` performs it."""

    key: ClassVar[str]
    kind: ClassVar[StepKind]
    doc: ClassVar[str] = ""
    fields: ClassVar[Fields] = {}
    #: the body may be a bare scalar (``wait: 30s``) that is stored under this field
    scalar_field: ClassVar[str | None] = None

    def title(self, args: dict[str, Any]) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in args.items() if k != "source")
        return f"{self.key} {shown}".strip()

    def validate(self, args: dict[str, Any]) -> str | None:
        """Checks across fields (at load time); the first problem, or None."""
        return None

    def unknown_field(self, key: str) -> str | None:
        """The message for a key of the step's body that is not one of its fields, when
        the step has a better one than "unknown field" (a ``sensors`` step: an unknown
        sensor quantity); None for the usual message."""
        return None

    def is_soft(self, args: dict[str, Any]) -> bool:
        """Whether a failure of this step lets the scenario go on (soft expectations)."""
        return False

    def files(self, args: dict[str, Any]) -> list[str]:
        """The files this step reads, as written (relative to the file the step is written
        in).  The loader checks that they exist, passes them on resolved, and the run's
        fingerprint hashes them.  By default: a ``file`` field."""
        value = args.get("file")
        return [value] if "file" in self.fields and isinstance(value, str) else []

    def devices(self, args: dict[str, Any]) -> list[str]:
        """The device names the step refers to (checked against the fleet at load time)."""
        out: list[str] = []
        for name, spec in self.fields.items():
            value = args.get(name)
            if spec.type == "device" and isinstance(value, str):
                out.append(value)
            elif spec.type == "devices" and isinstance(value, list):
                out.extend(value)
        return out

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        raise NotImplementedError


class Probe:
    """One evaluation of an expectation, polled while the step waits."""

    def check(self) -> bool:
        raise NotImplementedError

    def observed(self) -> str:
        """What was seen instead (for the failure message)."""
        raise NotImplementedError

    def matched(self) -> str:
        """What satisfied the expectation (for the report)."""
        return ""


class ExpectationKind:
    key: ClassVar[str]
    doc: ClassVar[str] = ""
    fields: ClassVar[Fields] = {}
    #: whether ``device`` may be omitted (then any device of the fleet may satisfy it)
    any_device: ClassVar[bool] = False

    def describe(self, args: dict[str, Any]) -> str:
        raise NotImplementedError

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        raise NotImplementedError

    def check_args(self, args: dict[str, Any]) -> str | None:
        """Extra load-time validation; return a message for the first problem."""
        return None


STEPS: dict[str, StepType] = {}
EXPECTATIONS: dict[str, ExpectationKind] = {}


def step(cls: type[StepType]) -> type[StepType]:
    STEPS[cls.key] = cls()
    return cls


def expectation(cls: type[ExpectationKind]) -> type[ExpectationKind]:
    EXPECTATIONS[cls.key] = cls()
    return cls


_loaded = False


def load_all() -> None:
    """Import the built-in steps and the plug-ins (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    modules = ("steps_act", "steps_expect", "expect_messages", "expect_state")
    for module in (*modules, "steps_fault", "steps_time"):
        importlib.import_module(f"{__package__}.{module}")

    for ep in entry_points(group="steelhil.steps"):
        loader: Callable[[], Any] = ep.load
        loader()
