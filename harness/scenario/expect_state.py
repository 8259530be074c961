"""State expectations: ``led``, ``pixel``, ``log`` and ``shadow`` read the current state
each time they look (``log``: the console lines since the mark); they consume nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from .expect_messages import resolver, subset
from .expr import Predicate
from .registry import ExpectationKind, Probe, expectation
from .schema import Field, Fields

if TYPE_CHECKING:
    from .context import RunContext


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

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        device = run.device(args["device"])
        return _StateProbe(device.led, lambda v: v is args["on"], lambda v: "on" if v else "off")


@expectation
class Pixel(ExpectationKind):
    key = "pixel"
    doc = "The WS2812 shows a colour [r, g, b]."
    fields: ClassVar[Fields] = {"device": Field("device"), "color": Field("color", required=True)}

    def describe(self, args: dict[str, Any]) -> str:
        return f"pixel of {args.get('device')} = {list(args['color'])}"

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
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

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
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


#: ``delta: none``: desired and reported agree, the shadow has no delta.
NO_DELTA = "none"


@expectation
class Shadow(ExpectationKind):
    key = "shadow"
    doc = (
        "The device's shadow (read through the AWS API): subsets of its reported and desired "
        "state, its delta (`delta: none` for no delta), or a predicate on the state."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "reported": Field("object", doc="a subset of state.reported"),
        "desired": Field("object", doc="a subset of state.desired"),
        "delta": Field("json", doc="a subset of state.delta, or none: desired and reported agree"),
        "where": Field("string", doc="a predicate on the state: reported.x, desired.x, delta.x"),
        "shadow": Field("string", doc="a named shadow"),
    }

    def check_args(self, args: dict[str, Any]) -> str | None:
        if not any(k in args for k in ("reported", "desired", "delta", "where")):
            return "give reported, desired, delta or where"
        delta = args.get("delta", {})
        if delta is None:
            args["delta"] = NO_DELTA
        elif delta != NO_DELTA and not isinstance(delta, dict):
            return f"delta is a mapping (a subset of the delta) or none, got {delta!r}"
        return None

    def describe(self, args: dict[str, Any]) -> str:
        parts = [f"{k} {json.dumps(args[k])}" for k in ("reported", "desired") if k in args]
        if args.get("delta") == NO_DELTA:
            parts.append("no delta")
        elif "delta" in args:
            parts.append(f"delta {json.dumps(args['delta'])}")
        what = f" with {' and '.join(parts)}" if parts else ""
        where = f" where {args['where']!r}" if "where" in args else ""
        return f"shadow of {args.get('device')}{what}{where}"

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        thing = run.thing(args["device"])
        options = {"shadowName": args["shadow"]} if "shadow" in args else {}
        data = run.core.iot_data()
        resolve = resolver(run, args["device"])
        predicate: Predicate | None = args.get("where")

        def read() -> Any:
            try:
                body = data.get_thing_shadow(thingName=thing, **options)["payload"].read()
            except Exception as exc:  # ResourceNotFound before the first report
                return {"error": type(exc).__name__}
            state = json.loads(body).get("state", {})
            return state if isinstance(state, dict) else {}

        def test(state: Any) -> bool:
            if "error" in state and not any(k in state for k in ("reported", "desired")):
                return False
            for k in ("reported", "desired"):
                if k in args and not subset(args[k], state.get(k, {}), resolve):
                    return False
            delta = args.get("delta")
            if delta == NO_DELTA and state.get("delta"):
                return False
            if isinstance(delta, dict) and not subset(delta, state.get("delta", {}), resolve):
                return False
            return predicate is None or predicate(state, resolve)

        return _StateProbe(read, test, lambda s: json.dumps(s)[:400])
