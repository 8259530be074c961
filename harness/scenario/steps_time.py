"""``wait``: let time pass (virtual on emulated fleets, real on hardware)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .registry import Outcome, StepType, step
from .schema import Field, Fields

if TYPE_CHECKING:
    from .context import RunContext


@step
class Wait(StepType):
    key = "wait"
    kind = "time"
    doc = "Let time pass: `wait: 60s` (virtual time on emulated boards, real time on hardware)."
    fields: ClassVar[Fields] = {"for": Field("duration", required=True, doc="how long")}
    scalar_field = "for"

    def title(self, args: dict[str, Any]) -> str:
        return f"wait {args['for']:g}s"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        start = run.time.now()
        run.time.sleep(args["for"])
        return Outcome(observed=f"{run.time.now() - start:g}s passed")


@step
class Advance(Wait):
    key = "advance"
    doc = "The same as `wait`; reads better on virtual time: `advance: 10m`."
