"""``expect`` (something happens within a time) and ``never`` (it does not happen for a
time), each with one expectation kind: the message kinds (:mod:`.expect_messages`) and the
state kinds (:mod:`.expect_state`), found in the registry by their key.

``soft: true`` records a failure and lets the scenario go on, so one run shows every broken
behaviour; the scenario still fails.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any, ClassVar

from .expect_messages import MessageProbe
from .expr import ExpressionError, Predicate
from .registry import EXPECTATIONS, Outcome, StepFailed, StepType, step
from .schema import Field, check, field_schema, object_schema
from .source import Document, PathKey, Problem, suggest
from .things import check_refs, unknown_device

if TYPE_CHECKING:
    from .context import RunContext
    from .model import Scenario

DEFAULT_WITHIN = 10.0
SOFT = Field("boolean", doc="a failure is recorded and the scenario goes on (default false)")
#: the fields whose values match what the device sent, where {thing...} may appear
MATCHED = ("payload", "contains", "error", "reported", "desired", "delta")


class _Timed(StepType):
    """``expect``/``never``: one expectation kind plus a duration."""

    duration_key: ClassVar[str]
    duration_doc: ClassVar[str]
    #: the other step's duration key: written here by mistake, it gets a pointed message
    other_key: ClassVar[str]
    default_duration: ClassVar[float | None]

    def _extra(self, body: Any = None) -> dict[str, Field]:
        # Written with the other step's key, the duration is reported once, by _unknown.
        mistaken = isinstance(body, dict) and self.other_key in body
        required = self.default_duration is None and not mistaken
        return {
            self.duration_key: Field("duration", required=required, doc=self.duration_doc),
            "soft": SOFT,
        }

    def parse(
        self, body: Any, where: PathKey, doc: Document, problems: list[Problem], scenario: Scenario
    ) -> dict[str, Any]:
        from .steps_parse import check_names

        if not isinstance(body, dict):
            problems.append(
                doc.problem(
                    where,
                    f"{self.key} needs a mapping such as {{mqtt: ..., {self.duration_key}: 30s}}",
                )
            )
            return {}
        extra = self._extra(body)
        kinds = [k for k in body if k in EXPECTATIONS]
        others = [k for k in body if k not in EXPECTATIONS and k not in extra]
        for key in others:
            problems.append(doc.problem((*where, key), self._unknown(key, extra), key=True))
        if len(kinds) != 1:
            if not others:
                problems.append(
                    doc.problem(
                        where, f"{self.key} needs exactly one of: {', '.join(sorted(EXPECTATIONS))}"
                    )
                )
            return {}
        name = kinds[0]
        kind = EXPECTATIONS[name]
        timing = check(
            {k: v for k, v in body.items() if k in extra}, extra, where, doc, problems, self.key
        )
        inner = body[name]
        if inner is None:
            inner = {}
        at: PathKey = (*where, name)
        args = check(inner, kind.fields, at, doc, problems, f"{name!r}")
        check_names(kind.fields, args, at, doc, problems, scenario)
        if "where" in args:
            self._predicate(args, inner, at, doc, problems, scenario)
        for field in MATCHED:
            if field in args:
                check_refs(args[field], (*at, field), doc, problems, scenario.devices)
        if "matches" in args:
            try:
                args["matches"] = re.compile(args["matches"])
            except re.error as exc:
                problems.append(doc.problem((*at, "matches"), f"bad regular expression: {exc}"))
        message = kind.check_args(args)
        if message:
            problems.append(doc.problem(at, message))
        if not kind.any_device and "device" not in args and "device" in kind.fields:
            if len(scenario.devices) == 1:
                args["device"] = scenario.devices[0]
            else:
                problems.append(doc.problem(at, f"name the device ({', '.join(scenario.devices)})"))
        return {
            "kind": name,
            "args": args,
            "duration": timing.get(self.duration_key, self.default_duration),
            "soft": bool(timing.get("soft", False)),
        }

    def _unknown(self, key: str, extra: dict[str, Field]) -> str:
        if key == self.other_key:
            return (
                f"{self.key} takes {self.duration_key!r} ({self.duration_doc}), "
                f"not {self.other_key!r}"
            )
        return (
            f"unknown expectation {key!r}{suggest(key, [*EXPECTATIONS, *extra])}; "
            f"kinds: {', '.join(sorted(EXPECTATIONS))}"
        )

    @staticmethod
    def _predicate(
        args: dict[str, Any],
        inner: Any,
        at: PathKey,
        doc: Document,
        problems: list[Problem],
        scenario: Scenario,
    ) -> None:
        loc = doc.at((*at, "where"))
        try:
            args["where"] = predicate = Predicate(args["where"])
        except ExpressionError as exc:
            lines = doc.text.splitlines()
            quoted = 0 < loc.line <= len(lines) and lines[loc.line - 1][
                loc.column - 1 : loc.column
            ] in ("'", '"')
            loc.column += exc.column - 1 + (1 if quoted else 0)
            problems.append(Problem(f"bad predicate {inner['where']!r}: {exc}", loc))
            return
        text = str(args["where"])
        lines = doc.text.splitlines()
        quoted = 0 < loc.line <= len(lines) and lines[loc.line - 1][
            loc.column - 1 : loc.column
        ] in ("'", '"')
        for name in predicate.devices:
            if name not in scenario.devices:
                at_ref = copy.copy(loc)
                offset = text.strip().find("{thing:" + name)
                at_ref.column += max(offset, 0) + (1 if quoted else 0)
                problems.append(Problem(unknown_device(name, scenario.devices), at_ref))

    def is_soft(self, args: dict[str, Any]) -> bool:
        return bool(args.get("soft"))

    def devices(self, args: dict[str, Any]) -> list[str]:
        device = args.get("args", {}).get("device")
        return [device] if isinstance(device, str) else []

    def body_schema(self) -> dict[str, Any]:
        extra = {k: field_schema(f) for k, f in self._extra().items()}
        variants = []
        for key, kind in sorted(EXPECTATIONS.items()):
            schema = {
                "type": "object",
                "properties": {key: object_schema(kind.fields, kind.doc), **extra},
                "required": [key]
                if self.default_duration is not None
                else [key, self.duration_key],
                "additionalProperties": False,
            }
            variants.append(schema)
        return {"oneOf": variants, "description": self.doc}

    def _soft(self, args: dict[str, Any]) -> str:
        return " (soft)" if args.get("soft") else ""


def _describe(args: dict[str, Any]) -> str:
    return EXPECTATIONS[args["kind"]].describe(args["args"])


@step
class Expect(_Timed):
    key = "expect"
    kind = "expect"
    doc = (
        "Wait until something happens: `expect: {mqtt: {...}, within: 65s}` (default 10s); "
        "`soft: true` records a failure and goes on."
    )
    duration_key = "within"
    duration_doc = "how long to wait for it"
    other_key = "for"
    default_duration = DEFAULT_WITHIN

    def title(self, args: dict[str, Any]) -> str:
        return f"expect {_describe(args)} within {args['duration']:g}s{self._soft(args)}"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        probe = EXPECTATIONS[args["kind"]].probe(run, args["args"])
        if run.time.wait_for(probe.check, args["duration"]):
            return Outcome(expected=_describe(args), observed=probe.matched())
        raise StepFailed(
            f"not seen within {args['duration']:g}s: {_describe(args)}",
            expected=_describe(args),
            observed=probe.observed(),
        )


@step
class Never(_Timed):
    key = "never"
    kind = "never"
    doc = (
        "Check that something does not happen for a while: `never: {mqtt: {...}, for: 120s}`; "
        "`soft: true` records a failure and goes on."
    )
    duration_key = "for"
    duration_doc = "how long it must not happen"
    other_key = "within"
    default_duration = None

    def title(self, args: dict[str, Any]) -> str:
        return f"never {_describe(args)} for {args['duration']:g}s{self._soft(args)}"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        probe = EXPECTATIONS[args["kind"]].probe(run, args["args"])
        if run.time.wait_for(probe.check, args["duration"]):
            raise StepFailed(
                f"happened although it must not: {_describe(args)}",
                expected=f"no {_describe(args)} for {args['duration']:g}s",
                observed=probe.matched(),
            )
        return Outcome(expected=f"no {_describe(args)}", observed="none seen")


__all__ = ["DEFAULT_WITHIN", "Expect", "MessageProbe", "Never"]
