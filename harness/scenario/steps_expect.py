"""``expect`` (something happens within a time) and ``never`` (it does not happen for a
time), with the expectation kinds: mqtt, status, shadow, led, pixel, log, metric.

Message expectations look at what the observer recorded since the last act (the *mark*), so
"deploy, then expect running" cannot be satisfied by a status from before the deploy; a
message that satisfied an ``expect`` is consumed, so two expects of the same topic need two
messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from .expr import ExpressionError, Predicate
from .match import is_subset
from .registry import (
    EXPECTATIONS,
    ExpectationKind,
    Outcome,
    Probe,
    StepFailed,
    StepType,
    expectation,
    step,
)
from .schema import Field, Fields, check, field_schema, object_schema
from .source import suggest

if TYPE_CHECKING:
    from harness.engine import ScenarioRun
    from harness.observer import Observed

DEFAULT_WITHIN = 10.0


class _Timed(StepType):
    """``expect``/``never``: one expectation kind plus a duration."""

    duration_key: ClassVar[str]
    default_duration: ClassVar[float | None]

    def parse(
        self, body: Any, where: Any, doc: Any, problems: Any, scenario: Any
    ) -> dict[str, Any]:
        from .loader import check_names

        if not isinstance(body, dict):
            problems.append(
                doc.problem(
                    where,
                    f"{self.key} needs a mapping such as {{mqtt: ..., {self.duration_key}: 30s}}",
                )
            )
            return {}
        kinds = [k for k in body if k in EXPECTATIONS]
        others = [k for k in body if k not in EXPECTATIONS and k != self.duration_key]
        for key in others:
            problems.append(
                doc.problem(
                    (*where, key),
                    f"unknown expectation {key!r}"
                    f"{suggest(key, [*EXPECTATIONS, self.duration_key])}; "
                    f"kinds: {', '.join(sorted(EXPECTATIONS))}",
                    key=True,
                )
            )
        if len(kinds) != 1:
            if not others:
                problems.append(
                    doc.problem(
                        where, f"{self.key} needs exactly one of: {', '.join(sorted(EXPECTATIONS))}"
                    )
                )
            return {}
        kind = EXPECTATIONS[kinds[0]]
        duration_fields = {
            self.duration_key: Field("duration", required=self.default_duration is None)
        }
        timing = check(
            {k: v for k, v in body.items() if k == self.duration_key},
            duration_fields,
            where,
            doc,
            problems,
            self.key,
        )
        inner = body[kinds[0]]
        if inner is None:
            inner = {}
        args = check(inner, kind.fields, (*where, kinds[0]), doc, problems, f"{kinds[0]!r}")
        check_names(kind.fields, args, (*where, kinds[0]), doc, problems, scenario)
        if "where" in args:
            try:
                args["where"] = Predicate(args["where"])
            except ExpressionError as exc:
                loc = doc.at((*where, kinds[0], "where"))
                from .source import Problem

                lines = doc.text.splitlines()
                quoted = 0 < loc.line <= len(lines) and lines[loc.line - 1][
                    loc.column - 1 : loc.column
                ] in ("'", '"')
                loc.column += exc.column - 1 + (1 if quoted else 0)
                problems.append(Problem(f"bad predicate {inner['where']!r}: {exc}", loc))
        if "matches" in args:
            try:
                args["matches"] = re.compile(args["matches"])
            except re.error as exc:
                problems.append(
                    doc.problem((*where, kinds[0], "matches"), f"bad regular expression: {exc}")
                )
        message = kind.check_args(args)
        if message:
            problems.append(doc.problem((*where, kinds[0]), message))
        if not kind.any_device and "device" not in args and "device" in kind.fields:
            if len(scenario.devices) == 1:
                args["device"] = scenario.devices[0]
            else:
                problems.append(
                    doc.problem(
                        (*where, kinds[0]), f"name the device ({', '.join(scenario.devices)})"
                    )
                )
        return {
            "kind": kinds[0],
            "args": args,
            "duration": timing.get(self.duration_key, self.default_duration),
        }

    def devices(self, args: dict[str, Any]) -> list[str]:
        device = args.get("args", {}).get("device")
        return [device] if isinstance(device, str) else []

    def body_schema(self) -> dict[str, Any]:
        variants = []
        for key, kind in sorted(EXPECTATIONS.items()):
            schema = {
                "type": "object",
                "properties": {
                    key: object_schema(kind.fields, kind.doc),
                    self.duration_key: field_schema(Field("duration")),
                },
                "required": [key]
                if self.default_duration is not None
                else [key, self.duration_key],
                "additionalProperties": False,
            }
            variants.append(schema)
        return {"oneOf": variants, "description": self.doc}


def _describe(args: dict[str, Any]) -> str:
    return EXPECTATIONS[args["kind"]].describe(args["args"])


@step
class Expect(_Timed):
    key = "expect"
    kind = "expect"
    doc = "Wait until something happens: `expect: {mqtt: {...}, within: 65s}` (default 10s)."
    duration_key = "within"
    default_duration = DEFAULT_WITHIN

    def title(self, args: dict[str, Any]) -> str:
        return f"expect {_describe(args)} within {args['duration']:g}s"

    def run(self, run: ScenarioRun, args: dict[str, Any]) -> Outcome:
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
    doc = "Check that something does not happen for a while: `never: {mqtt: {...}, for: 120s}`."
    duration_key = "for"
    default_duration = None

    def title(self, args: dict[str, Any]) -> str:
        return f"never {_describe(args)} for {args['duration']:g}s"

    def run(self, run: ScenarioRun, args: dict[str, Any]) -> Outcome:
        probe = EXPECTATIONS[args["kind"]].probe(run, args["args"])
        if run.time.wait_for(probe.check, args["duration"]):
            raise StepFailed(
                f"happened although it must not: {_describe(args)}",
                expected=f"no {_describe(args)} for {args['duration']:g}s",
                observed=probe.matched(),
            )
        return Outcome(expected=f"no {_describe(args)}", observed="none seen")


# --- message expectations -------------------------------------------------------------------


class MessageProbe(Probe):
    """The first ``count`` messages on ``topic`` since the mark that ``accept`` takes; they
    are consumed when found.  Also what the ``device`` fixture's ``expect_*`` helpers use."""

    def __init__(
        self,
        run: ScenarioRun,
        topic: str,
        accept: Callable[[Observed], bool],
        what: str,
        count: int = 1,
        *,
        distinct: str | None = None,
        since: int | None = None,
    ) -> None:
        self.run = run
        self.distinct = distinct
        self.since = since
        self.topic = topic
        self.accept = accept
        self.what = what
        self.count = count
        self.found: list[Observed] = []

    def check(self) -> bool:
        if self.since is not None:  # a count over the whole scenario: consumed ones count too
            pool = self.run.observer.since(self.since, self.topic)
        else:
            pool = self.run.messages(self.topic)
        found = [m for m in pool if self.accept(m)]
        if self.distinct is not None:
            unique: dict[str, Observed] = {}
            for m in found:
                data = m.json()
                if isinstance(data, dict) and self.distinct in data:
                    unique.setdefault(json.dumps(data[self.distinct], sort_keys=True), m)
            found = list(unique.values())
        self.found = found
        if len(self.found) >= self.count:
            for m in self.found[: self.count]:
                self.run.consumed.add(m.index)
            return True
        return False

    def observed(self) -> str:
        seen = self.run.messages(self.topic, self.since)
        if self.count > 1:
            return f"{len(self.found)} of {self.count} matching message(s) on {self.topic}"
        if not seen:
            return f"no message on {self.topic}"
        last = seen[-3:]
        shown = "; ".join(f"t={m.t:.3f} {m.topic} {m.text(200)}" for m in last)
        more = (
            f" ({len(seen)} in all, {len(self.found)} matching)"
            if len(seen) > 3 or self.found
            else ""
        )
        return f"{len(seen)} message(s) on {self.topic} that did not match{more}: {shown}"

    def matched(self) -> str:
        if not self.found:
            return ""
        m = self.found[0]
        return f"t={m.t:.3f} {m.topic} {m.text(300)}"


def _payload_test(run: ScenarioRun, args: dict[str, Any]) -> Callable[[Observed], bool]:
    expected = args.get("payload")
    predicate: Predicate | None = args.get("where")
    contains = run.expand(args["contains"]) if "contains" in args else None

    def accept(m: Observed) -> bool:
        data = m.json()
        if expected is not None:
            if isinstance(expected, str) and data is None:
                if m.payload.decode("utf-8", "replace") != expected:
                    return False
            elif not is_subset(expected, data):
                return False
        if predicate is not None and not predicate(data):
            return False
        return not (contains is not None and contains not in m.payload.decode("utf-8", "replace"))

    return accept


def _topic_for(run: ScenarioRun, args: dict[str, Any]) -> str:
    if "raw_topic" in args:
        return run.expand(str(args["raw_topic"]))
    device = args.get("device")
    if device is None:  # any device of the fleet: a wildcard at the thing level
        first, _, rest = args["topic"].partition("/")
        return f"{first}/+/{rest}" if rest else f"{first}/+"
    return run.device_topic(device, args["topic"])


@expectation
class Mqtt(ExpectationKind):
    key = "mqtt"
    any_device = True
    doc = (
        "A message on a program topic of a device (`device` + `topic`, mapped as the agent "
        "maps it; no device: any device of the fleet) or on `raw_topic`."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device", doc="whose topic (default: any device)"),
        "topic": Field("string", doc="a program topic, e.g. sensors/data"),
        "raw_topic": Field("string", doc="an MQTT topic filter used as written"),
        "payload": Field("json", doc="a JSON subset the payload must contain (or exact text)"),
        "where": Field("string", doc="a predicate on the payload, e.g. temperature > 30"),
        "contains": Field("string", doc="text the payload must contain"),
        "count": Field("integer", minimum=1, doc="how many such messages (default 1)"),
        "distinct": Field(
            "string", doc="count messages with distinct values of this field (QoS 1 may repeat)"
        ),
        "since": Field(
            "enum", choices=("mark", "start"), doc="from the last act (default) or the start"
        ),
    }

    def check_args(self, args: dict[str, Any]) -> str | None:
        if ("topic" in args) == ("raw_topic" in args):
            return "give either topic (a program topic) or raw_topic"
        return None

    def describe(self, args: dict[str, Any]) -> str:
        topic = args.get("raw_topic") or args.get("topic")
        who = f" from {args['device']}" if args.get("device") else ""
        parts = [f"message on {topic}{who}"]
        if "payload" in args:
            parts.append(f"with {json.dumps(args['payload'])}")
        if "where" in args:
            parts.append(f"where {args['where']!r}")
        if "contains" in args:
            parts.append(f"containing {args['contains']!r}")
        if args.get("count", 1) > 1:
            unit = f" distinct {args['distinct']}" if "distinct" in args else ""
            parts.insert(0, f"{args['count']}{unit}x")
        return " ".join(parts)

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        return MessageProbe(
            run,
            _topic_for(run, args),
            _payload_test(run, args),
            self.describe(args),
            args.get("count", 1),
            distinct=args.get("distinct"),
            since=run.start_index if args.get("since") == "start" else None,
        )


@expectation
class Status(ExpectationKind):
    key = "status"
    doc = "A program status from the device (`steel-programs/<thing>/status`)."
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "state": Field(
            "enum", choices=("loaded", "running", "finished", "error", "stopped", "rejected")
        ),
        "program_id": Field("string"),
        "reason": Field("string", doc="for rejected: invalid-json, compile-error, ..."),
        "error": Field("object", doc="a subset of the error: kind, line, column, message"),
        "where": Field("string", doc="a predicate on the status payload"),
    }

    def describe(self, args: dict[str, Any]) -> str:
        shown = {k: v for k, v in args.items() if k not in ("device", "where")}
        extra = f" where {args['where']!r}" if "where" in args else ""
        return f"status {json.dumps(shown)} from {args.get('device')}{extra}"

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        expected = {k: args[k] for k in ("state", "program_id", "reason", "error") if k in args}
        predicate = args.get("where")

        def accept(m: Observed) -> bool:
            data = m.json()
            return is_subset(expected, data) and (predicate is None or predicate(data))

        topic = f"steel-programs/{run.thing(args['device'])}/status"
        return MessageProbe(run, topic, accept, self.describe(args))


@expectation
class Metric(ExpectationKind):
    key = "metric"
    doc = "A runtime metrics report (`metrics/<thing>`, every 60 s) satisfying a predicate."
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "where": Field("string", required=True, doc="e.g. program_failures >= 1"),
    }

    def describe(self, args: dict[str, Any]) -> str:
        return f"metrics from {args.get('device')} where {args['where']!r}"

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        predicate: Predicate = args["where"]
        topic = f"metrics/{run.thing(args['device'])}"
        return MessageProbe(run, topic, lambda m: predicate(m.json()), self.describe(args))


# --- state expectations ---------------------------------------------------------------------


class _StateProbe(Probe):
    """Reads a state (LED, pixel, console, shadow) at every check."""

    def __init__(
        self,
        read: Callable[[], Any],
        test: Callable[[Any], bool],
        show: Callable[[Any], str],
    ) -> None:
        self.read = read
        self.test = test
        self.show = show
        self.last: Any = None

    def check(self) -> bool:
        self.last = self.read()
        return bool(self.test(self.last))

    def observed(self) -> str:
        return f"last seen: {self.show(self.last)}"

    def matched(self) -> str:
        return self.show(self.last)


@expectation
class Led(ExpectationKind):
    key = "led"
    doc = "The GPIO7 LED is on or off."
    fields: ClassVar[Fields] = {"device": Field("device"), "on": Field("boolean", required=True)}

    def describe(self, args: dict[str, Any]) -> str:
        return f"LED of {args.get('device')} {'on' if args['on'] else 'off'}"

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        device = run.device(args["device"])
        return _StateProbe(device.led, lambda v: v is args["on"], lambda v: "on" if v else "off")


@expectation
class Pixel(ExpectationKind):
    key = "pixel"
    doc = "The WS2812 shows a colour [r, g, b]."
    fields: ClassVar[Fields] = {"device": Field("device"), "color": Field("color", required=True)}

    def describe(self, args: dict[str, Any]) -> str:
        return f"pixel of {args.get('device')} = {list(args['color'])}"

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        device = run.device(args["device"])
        want = tuple(args["color"])
        return _StateProbe(device.pixel, lambda v: tuple(v) == want, lambda v: str(list(v or ())))


@expectation
class Log(ExpectationKind):
    key = "log"
    doc = "A line on the device's console (program logs and the agent's own lines)."
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "contains": Field("string", doc="text the line contains"),
        "matches": Field("string", doc="a regular expression the line matches"),
    }

    def check_args(self, args: dict[str, Any]) -> str | None:
        if "contains" not in args and "matches" not in args:
            return "give contains or matches"
        return None

    def describe(self, args: dict[str, Any]) -> str:
        what = (
            f"containing {args['contains']!r}"
            if "contains" in args
            else f"matching /{args['matches'].pattern}/"
        )
        return f"log line of {args.get('device')} {what}"

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        name = args["device"]
        mark_t = run.mark_time
        contains = args.get("contains")
        pattern = args.get("matches")

        def lines() -> list[str]:
            return [line.text for line in run.log_of(name) if line.t >= mark_t]

        def test(found: list[str]) -> bool:
            return any(
                (contains is None or contains in t) and (pattern is None or pattern.search(t))
                for t in found
            )

        return _StateProbe(lines, test, lambda v: " | ".join((v or [])[-5:]) or "no lines")


@expectation
class Shadow(ExpectationKind):
    key = "shadow"
    doc = "The device's shadow (read through the AWS API) contains reported/desired values."
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "reported": Field("object", doc="a subset of state.reported"),
        "desired": Field("object", doc="a subset of state.desired"),
        "shadow": Field("string", doc="a named shadow"),
    }

    def check_args(self, args: dict[str, Any]) -> str | None:
        if "reported" not in args and "desired" not in args:
            return "give reported or desired"
        return None

    def describe(self, args: dict[str, Any]) -> str:
        parts = [f"{k} {json.dumps(args[k])}" for k in ("reported", "desired") if k in args]
        return f"shadow of {args.get('device')} with {' and '.join(parts)}"

    def probe(self, run: ScenarioRun, args: dict[str, Any]) -> Probe:
        thing = run.thing(args["device"])
        options = {"shadowName": args["shadow"]} if "shadow" in args else {}
        data = run.core.iot_data()

        def read() -> Any:
            try:
                body = data.get_thing_shadow(thingName=thing, **options)["payload"].read()
            except Exception as exc:  # ResourceNotFound before the first report
                return {"error": type(exc).__name__}
            return json.loads(body).get("state", {})

        def test(state: Any) -> bool:
            return all(
                is_subset(args[k], state.get(k, {})) for k in ("reported", "desired") if k in args
            )

        return _StateProbe(read, test, lambda s: json.dumps(s)[:400])
