"""Translate AWS IoT policies into Mosquitto ACL rules.

The broker must refuse what AWS would refuse, and the only thing that knows what AWS would
refuse is the policy attached to the certificate. So the ACL is generated from those policy
documents (with their ``${iot:...}`` variables resolved per certificate) rather than written
by hand; the approximations Mosquitto forces are listed in docs/iotcore.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .names import is_usable_thing_name

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_PUBLISH, _RECEIVE = "iot:publish", "iot:receive"
_SUBSCRIBE, _CONNECT = "iot:subscribe", "iot:connect"
_ALL = frozenset({_PUBLISH, _RECEIVE, _SUBSCRIBE, _CONNECT})


@dataclass
class AclRules:
    """What one identity may do, in Mosquitto's terms."""

    read: set[str] = field(default_factory=set)
    write: set[str] = field(default_factory=set)
    deny: set[str] = field(default_factory=set)
    connect_allowed: bool = False
    connect_denied: bool = False
    warnings: list[str] = field(default_factory=list)

    def merge(self, other: AclRules) -> None:
        self.read |= other.read
        self.write |= other.write
        self.deny |= other.deny
        self.connect_allowed |= other.connect_allowed
        self.connect_denied |= other.connect_denied
        self.warnings += other.warnings

    @property
    def may_connect(self) -> bool:
        return self.connect_allowed and not self.connect_denied

    def entries(self) -> list[tuple[str, str]]:
        """``(access, topic)`` for the ACL's ``topic`` lines: denials first."""
        out = [("deny", t) for t in sorted(self.deny)]
        for topic in sorted(self.read | self.write):
            access = "readwrite" if topic in self.read and topic in self.write else None
            access = access or ("read" if topic in self.read else "write")
            out.append((access, topic))
        return out

    def lines(self) -> list[str]:
        return [f"topic {access} {topic}" for access, topic in self.entries()]


def translate(document: Mapping[str, Any], variables: Mapping[str, str]) -> AclRules:
    """Rules for one policy document, with policy variables resolved from ``variables``."""
    rules = AclRules()
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        rules.warnings.append("policy has no Statement list")
        return rules
    for statement in statements:
        if isinstance(statement, dict):
            _statement(statement, variables, rules)
    return rules


def _statement(st: Mapping[str, Any], variables: Mapping[str, str], rules: AclRules) -> None:
    effect = str(st.get("Effect", "")).lower()
    if effect not in ("allow", "deny"):
        rules.warnings.append(f"statement with Effect {st.get('Effect')!r} ignored")
        return
    if "NotAction" in st or "NotResource" in st or "Condition" in st:
        rules.warnings.append("NotAction/NotResource/Condition are not emulated; statement ignored")
        return
    actions = _actions(_as_list(st.get("Action")))
    resources = _as_list(st.get("Resource"))
    allow = effect == "allow"
    for resource in resources:
        resolved = _resolve(resource, variables)
        if resolved is None:
            rules.warnings.append(f"unresolved policy variable in {resource!r}; skipped")
            continue
        kind, value = _resource(resolved)
        if _CONNECT in actions and kind in ("*", "client"):
            if allow:
                rules.connect_allowed = True
            elif kind == "*" or value == "*":
                rules.connect_denied = True
        if kind not in ("*", "topic"):
            continue  # topicfilter (subscribe) is not separately enforceable in Mosquitto
        patterns = _topic_patterns(value if kind == "topic" else "*", rules)
        if not allow:
            if actions & {_PUBLISH, _RECEIVE}:
                rules.deny |= patterns
            continue
        if _PUBLISH in actions:
            rules.write |= patterns
        if _RECEIVE in actions:
            rules.read |= patterns


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _actions(names: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for name in names:
        low = name.lower()
        if low in ("*", "iot:*"):
            out |= _ALL
        elif low in _ALL:
            out.add(low)
    return frozenset(out)


def _resolve(text: str, variables: Mapping[str, str]) -> str | None:
    missing = False

    def sub(match: re.Match[str]) -> str:
        nonlocal missing
        value = variables.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return value

    out = _VARIABLE.sub(sub, text)
    return None if missing else out


def _resource(arn: str) -> tuple[str, str]:
    """``("topic", "a/b")`` for ``arn:aws:iot:region:account:topic/a/b``; ``("*", "*")``."""
    if arn == "*":
        return "*", "*"
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "iot":
        return "unknown", arn
    kind, _, value = parts[5].partition("/")
    return kind, value


def _topic_patterns(value: str, rules: AclRules) -> set[str]:
    """MQTT ACL patterns for an AWS topic resource (``*`` wildcard) — never wider than AWS."""
    if value == "*":
        return {"#", "$aws/#"}
    levels = value.split("/")
    out: list[str] = []
    for index, level in enumerate(levels):
        if level == "*":
            out.append("#" if index == len(levels) - 1 else "+")
        elif "*" in level or "?" in level or "+" in level or "#" in level:
            rules.warnings.append(f"topic resource {value!r} uses a wildcard Mosquitto lacks")
            return set()
        else:
            out.append(level)
    return {"/".join(out)}


def policy_variables(thing: str | None, cn: str | None) -> dict[str, str]:
    """The variables a connection's policy sees; the client id is assumed to be the thing name.

    A thing whose name AWS would refuse, or that is reserved (``broadcast``), resolves no
    variables: a policy naming it grants nothing rather than someone else's topics.
    """
    out: dict[str, str] = {}
    if thing is not None and is_usable_thing_name(thing):
        out["iot:Connection.Thing.ThingName"] = thing
        out["iot:ClientId"] = thing
    if cn is not None:
        out["iot:Certificate.Subject.CommonName"] = cn
    return out


def default_device_policy() -> dict[str, Any]:
    """The policy ``provision`` attaches unless told otherwise: own topics and broadcasts only.

    A device may connect as its thing name, publish and receive on every topic whose second
    level is its thing name (``steel-programs/<thing>/...``, ``dt/<thing>/...``), use its own
    ``$aws/things/<thing>/...`` shadow and jobs topics, and receive broadcasts.
    """
    thing = "${iot:Connection.Thing.ThingName}"
    prefix = "arn:aws:iot:*:*:"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{prefix}client/{thing}"},
            {
                "Effect": "Allow",
                "Action": ["iot:Publish", "iot:Receive"],
                "Resource": [f"{prefix}topic/*/{thing}/*", f"{prefix}topic/$aws/things/{thing}/*"],
            },
            {
                "Effect": "Allow",
                "Action": "iot:Subscribe",
                "Resource": [
                    f"{prefix}topicfilter/*/{thing}/*",
                    f"{prefix}topicfilter/$aws/things/{thing}/*",
                    f"{prefix}topicfilter/*/broadcast/*",
                ],
            },
            {
                "Effect": "Allow",
                "Action": "iot:Receive",
                "Resource": f"{prefix}topic/*/broadcast/*",
            },
        ],
    }
