"""Fuzzing the device's subscribed topics (issue 10): the firmware agent, on virtual time with
a fake broker connection, receives arbitrary payloads on every topic it subscribes to, its
program's included. Every program request gets a status reply, none carries the parser's
error text, nothing raises inside the agent (the rig is strict: an internal error fails the
test), and the device stays connected with its program running.

CPython only (Hypothesis); the portable checks of the same rules are in
tests/firmware/test_agent_hostile_input.py.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.agent.jobs import JobsHandler
from tests.firmware.agent_fakes import Rig

PROGRAM = """
(mqtt-subscribe "cmd/led" (lambda (t p) (led-on)))
(mqtt-subscribe "cfg/#" (lambda (t p) (log "info" (json-decode p))))
(on-shadow-delta (lambda (d) (log "info" "delta")))
(set-timer "beat" 5 (lambda () (mqtt-publish "beat" "1")))
"""

PYTHON_TEXT = ("Expecting", "line 1 column", "Traceback", "RecursionError", "Error(")

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=120))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    if kind == 2:
        depth = draw(st.integers(10, 6000))
        return draw(st.sampled_from([b"[", b"{", b'{"a":'])) * depth
    if kind == 3:  # a request close to valid
        request: dict[str, Any] = {
            "program_id": draw(st.one_of(st.text(max_size=70), st.integers(), st.just("m"))),
        }
        for key in ("source", "url", "sha256", "auto_start"):
            if draw(st.booleans()):
                request[key] = draw(json_values)
        return json.dumps(request).encode()
    return b'{"state":' + json.dumps(draw(json_values)).encode() + b"}"


def topics(rig: Rig) -> list[str]:
    """Every topic the device listens on, and the device forms of its program's filters."""
    out = list(rig.agent.topics.agent_filters())
    out += ["cmd/dev-1/led", "cmd/broadcast/led", "cfg/dev-1/a/b", "cfg/broadcast/x"]
    out += ["$aws/things/dev-1/jobs/notify-next", "$aws/things/dev-1/jobs/x/get/accepted"]
    return out


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.integers(0, 100), payloads()), min_size=1, max_size=8))
def test_every_subscribed_topic_survives_any_payload(batch: list[tuple[int, bytes]]) -> None:
    rig = Rig(jobs=JobsHandler())
    rig.load("m", PROGRAM)
    rig.settle()
    assert rig.agent.program_state == "running"
    listened = topics(rig)
    for pick, payload in batch:
        topic = listened[pick % len(listened)]
        before = len(rig.statuses())
        rig.deliver(topic, payload)
        rig.settle()
        if rig.agent.topics.program_command(topic) is not None:
            answers = rig.statuses()[before:]
            assert answers, (topic, payload[:80])
            for answer in answers:
                detail = str(answer.get("detail", ""))
                assert not any(word in detail for word in PYTHON_TEXT), answer
        assert rig.agent.metrics.internal_errors == 0
        assert rig.connected
        if rig.agent.program_id == "m":  # still the program (a fuzzed load may replace it)
            assert rig.agent.program_state in ("running", "error", "stopped", "loaded")
