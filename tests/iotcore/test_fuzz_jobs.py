"""Fuzzing the jobs service's device API: every request on a jobs request topic gets one
reply on its ``/accepted`` or ``/rejected``, within the limits and in the service's own
words, whatever the payload and the execution's state."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.iotcore import strict_json
from emulator.iotcore.jobs import JobsService, Target
from emulator.iotcore.limits import outgoing_problem

from .fuzz_strategies import awkward_text, json_values, poison
from .hostile import PYTHON_TEXT

T0 = 1_800_000_000.0
THING = "dev-f"
ARN = f"arn:aws:iot:us-east-1:123456789012:thing/{THING}"


@st.composite
def job_requests(draw: st.DrawFn) -> tuple[str, bytes]:
    rest = draw(
        st.sampled_from(["get", "start-next", "j1/get", "j1/update", "$next/get", "nope/update"])
    )
    kind = draw(st.integers(0, 3))
    if kind == 0:
        payload = draw(st.binary(max_size=100))
    elif kind == 1:
        payload = json.dumps(draw(json_values)).encode()
    elif kind == 2:
        payload = b'{"statusDetails":{"k":' + draw(poison) + b"}}"
    else:
        body: dict[str, Any] = {
            "status": draw(st.sampled_from(["IN_PROGRESS", "SUCCEEDED", "FAILED", "QUEUED", "x"])),
            "statusDetails": draw(st.dictionaries(awkward_text, awkward_text, max_size=4)),
            "clientToken": draw(awkward_text),
            "expectedVersion": draw(st.one_of(st.none(), st.integers(-1, 4), awkward_text)),
            "stepTimeoutInMinutes": draw(st.one_of(st.none(), st.integers(-2, 20000))),
        }
        payload = json.dumps(body).encode()
    return f"$aws/things/{THING}/jobs/{rest}", payload


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(job_requests(), min_size=1, max_size=8))
def test_every_jobs_request_gets_one_reply_within_the_limits(
    batch: list[tuple[str, bytes]],
) -> None:
    service = JobsService()
    service.create_job("j1", {"document": '{"v": 1}'}, [Target(ARN, (THING,))], T0)
    for n, (request, payload) in enumerate(batch):
        out = service.handle(request, payload, T0 + n)
        replies = [p for p in out if p.topic in (f"{request}/accepted", f"{request}/rejected")]
        assert len(replies) == 1, [p.topic for p in out]
        for message in out:
            assert outgoing_problem(message.topic, message.payload) is None
            document = strict_json.loads(message.payload)
            if message.topic.endswith("/rejected"):
                assert not PYTHON_TEXT.search(document["message"]), document
