"""Fuzzing the shadow service (issue 10): whatever a device publishes, it gets one reply,
nothing the core publishes exceeds the broker's limit or carries Python's error text, and
the services stay connected.

Two levels: the sans-IO service directly (many examples, fast), and the real broker and
services over mutual TLS (fewer, slower). Hypothesis runs derandomized, with no example
database, so a run is the same on every machine and does not flake under load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.iotcore import strict_json
from emulator.iotcore.client import Message
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.limits import outgoing_problem
from emulator.iotcore.shadow import ShadowService

from .fuzz_strategies import operations, shadow_documents, shadow_names
from .hostile import PYTHON_TEXT, Bystander, assert_core_serves

T0 = 1_800_000_000.0

requests = st.lists(st.tuples(operations, shadow_names, shadow_documents()), min_size=1, max_size=6)


def topic(thing: str, name: str, op: str) -> str:
    base = f"$aws/things/{thing}/shadow"
    return f"{base}/name/{name}/{op}" if name else f"{base}/{op}"


def check_published(topic_: str, payload: bytes) -> None:
    assert outgoing_problem(topic_, payload) is None
    document = strict_json.loads(payload)  # valid, finite, encodable JSON
    if topic_.endswith("/rejected"):
        assert isinstance(document["code"], int)
        assert not PYTHON_TEXT.search(document["message"]), document


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(requests)
def test_the_service_answers_every_request_once_and_within_the_limits(
    batch: list[tuple[str, str, bytes]],
) -> None:
    service = ShadowService()
    for n, (op, name, payload) in enumerate(batch):
        request = topic("dev-f", name, op)
        out = service.handle(request, payload, T0 + n)
        replies = [p for p in out if p.topic in (f"{request}/accepted", f"{request}/rejected")]
        assert len(replies) == 1, [p.topic for p in out]
        for message in out:
            check_published(message.topic, message.payload)
        service.drain_changes()


def answer_to(request: str) -> Callable[[Message], bool]:
    """Whether a message is the service's answer to ``request``."""
    answers = (f"{request}/accepted", f"{request}/rejected")
    return lambda m: m.topic in answers


@pytest.fixture(scope="module")
def fuzz_core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIoTCore]:
    core = LocalIoTCore(Path(tmp_path_factory.mktemp("fuzz")) / "core")
    core.start()
    yield core
    core.stop()


@pytest.mark.integration
@pytest.mark.slow
def test_the_real_services_answer_every_hostile_request_and_stay_connected(
    fuzz_core: LocalIoTCore,
) -> None:
    core = fuzz_core
    attacker = core.connect(core.provision("dev-f"))
    bystander_client = core.connect(core.provision("bystander"))
    try:
        attacker.subscribe("$aws/things/dev-f/shadow/#")
        bystander = Bystander(core, bystander_client, "bystander")
        sent = 0

        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(requests)
        def run(batch: list[tuple[str, str, bytes]]) -> None:
            nonlocal sent
            for op, name, payload in batch:
                request = topic("dev-f", name, op)
                attacker.publish(request, payload)
                sent += 1
                reply = attacker.expect(f"{request}/+", timeout=20, where=answer_to(request))
                check_published(reply.topic, reply.payload)
            for message in attacker.drain("#"):
                check_published(message.topic, message.payload)

        run()
        assert sent > 40
        assert_core_serves(core, bystander)
    finally:
        attacker.close()
        bystander_client.close()
