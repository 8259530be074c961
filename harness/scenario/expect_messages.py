"""Message expectations: ``mqtt``, ``status`` and ``metric`` look at the MQTT messages the
observer recorded since the mark (the last act), and an ``expect`` consumes the messages
that satisfied it, so two expects of the same topic need two messages.

``{thing}`` in a payload, ``contains`` or predicate is the thing name of the device the
message came from; ``{thing:NAME}`` the named device's (:mod:`.things`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from .expr import Predicate
from .match import is_subset
from .registry import ExpectationKind, Probe, expectation
from .schema import Field, Fields
from .things import Resolver, Unresolved, expand

if TYPE_CHECKING:
    from harness.observer import Observed

    from .context import RunContext


def resolver(run: RunContext, device: str | None) -> Resolver:
    """``{thing}`` -> ``device``'s thing name; ``{thing:NAME}`` -> NAME's."""

    def resolve(name: str | None) -> str | None:
        who = device if name is None else name
        return run.things.get(who) if who is not None else None

    return resolve


def sender(run: RunContext, message: Observed) -> Resolver:
    """The resolver for a message: ``{thing}`` is the device whose topic it is on."""
    return resolver(run, run.device_of_topic(message.topic))


def subset(expected: Any, actual: Any, resolve: Resolver) -> bool:
    """``is_subset`` with ``{thing...}`` in ``expected`` filled in first."""
    try:
        return is_subset(expand(expected, resolve), actual)
    except Unresolved:
        return False


class MessageProbe(Probe):
    """The first ``count`` messages on ``topic`` since the mark that ``accept`` takes; they
    are consumed when found.  Also what the ``device`` fixture's ``expect_*`` helpers use."""

    def __init__(
        self,
        run: RunContext,
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


def _payload_test(run: RunContext, args: dict[str, Any]) -> Callable[[Observed], bool]:
    expected = args.get("payload")
    predicate: Predicate | None = args.get("where")
    # ``{dev-1}`` in contains is the device's thing name, as in raw_topic
    contains = run.expand(args["contains"]) if "contains" in args else None

    def accept(m: Observed) -> bool:
        data = m.json()
        resolve = sender(run, m)
        try:
            want = expand(expected, resolve)
            text = expand(contains, resolve)
        except Unresolved:
            return False
        if want is not None:
            if isinstance(want, str) and data is None:
                if m.payload.decode("utf-8", "replace") != want:
                    return False
            elif not is_subset(want, data):
                return False
        if predicate is not None and not predicate(data, resolve):
            return False
        return not (text is not None and text not in m.payload.decode("utf-8", "replace"))

    return accept


def _topic_for(run: RunContext, args: dict[str, Any]) -> str:
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
        "contains": Field("string", doc="text the payload must contain ({thing} may be in it)"),
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

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
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

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        expected = {k: args[k] for k in ("state", "program_id", "reason", "error") if k in args}
        predicate = args.get("where")

        resolve = resolver(run, args["device"])

        def accept(m: Observed) -> bool:
            data = m.json()
            return subset(expected, data, resolve) and (
                predicate is None or predicate(data, resolve)
            )

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

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        predicate: Predicate = args["where"]
        topic = f"metrics/{run.thing(args['device'])}"
        resolve = resolver(run, args["device"])
        return MessageProbe(run, topic, lambda m: predicate(m.json(), resolve), self.describe(args))
