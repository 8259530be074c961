"""Over-the-air updates on emulated boards, end to end: every way a job can fail ends it
FAILED with its reason, and the device keeps running its version and its program.

Real parts: the local IoT Core (Mosquitto, the jobs service, moto's S3 behind presigned
URLs), the firmware's own agent and OTA handler on virtual boards, bundles signed with
the run's key (or not) and tampered with after signing.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import firmware
from emulator.device.slots import COMPILED_SLOT
from harness.engine import Engine
from harness.iotcore import LocalCore, local_core
from harness.ota.bundle import assemble, build_bundle, encode_manifest, prepare, sign
from harness.ota.runkeys import run_keys
from harness.results import ScenarioResult
from harness.scenario.loader import load_file

pytestmark = pytest.mark.integration

COUNTER = (Path(__file__).resolve().parents[2] / "scenarios/programs/qa/counter.scm").read_text()
# the device keeps working: its program runs and it reports its old version
STILL_WORKING = """
        - expect: {mqtt: {topic: counter, payload: {n: 3}}, within: 1m}
        - never: {firmware: {version: 7.0.0}, for: 5s}
"""


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCore]:
    with local_core(tmp_path_factory.mktemp("core")) as c:
        yield c


@pytest.fixture
def engine(core: LocalCore, tmp_path: Path) -> Iterator[Engine]:
    with Engine(core, tmp_path / "run", seed=3) as e:
        yield e


def run(engine: Engine, tmp_path: Path, steps: str, **files: bytes) -> ScenarioResult:
    directory = tmp_path / "scenario"
    directory.mkdir(exist_ok=True)
    (directory / "counter.scm").write_text(COUNTER)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    body = "name: ota\ntimeout: 20m\nprograms: {counter: counter.scm}\nsteps:\n"
    body += "  - deploy: counter\n  - expect: {status: {state: running}}\n"
    body += textwrap.indent(textwrap.dedent(steps).strip("\n"), "  ") + "\n"
    path = directory / "s.yaml"
    path.write_text(body)
    (item,) = load_file(path)
    return engine.run(item)


def passed(result: ScenarioResult) -> bool:
    failures = [
        (s.index, s.title, s.message, s.observed) for s in result.steps if s.status != "passed"
    ]
    assert result.status == "passed", failures
    return True


def signed(engine: Engine, manifest: dict[str, Any], payload: list[bytes]) -> bytes:
    """A bundle of ``manifest`` and ``payload`` signed with the key the run's boards trust."""
    key = run_keys(engine.session.state).trusted
    raw = encode_manifest(manifest)
    return assemble(raw, sign(raw, key), payload)


def good(engine: Engine, version: str = "7.0.0") -> tuple[dict[str, Any], list[bytes]]:
    unsigned = prepare(Path(firmware.__file__).parent, version, target="emulated")
    manifest = json.loads(unsigned.manifest_bytes)
    return manifest, [bytes(p) for p in unsigned.payload]


def test_a_bundle_whose_file_was_changed_after_signing_is_a_hash_mismatch(
    engine: Engine, tmp_path: Path
) -> None:
    manifest, payload = good(engine)
    payload[5] = payload[5][:-1] + b"#"
    result = run(
        engine,
        tmp_path,
        """
        - ota: {bundle: tampered.bundle}
        - expect: {job: {status: FAILED, reason: hash-mismatch}, within: 2m}
        """
        + STILL_WORKING,
        **{"tampered.bundle": signed(engine, manifest, payload)},
    )
    assert passed(result)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "oversized", "garbled", "duplicate-path", "path-outside-the-slot"],
)
def test_a_damaged_bundle_is_a_bad_bundle(engine: Engine, tmp_path: Path, damage: str) -> None:
    manifest, payload = good(engine)
    data = signed(engine, manifest, payload)
    if damage == "truncated":
        data = data[:-5000]
    elif damage == "oversized":
        data = data + b"more"
    elif damage == "garbled":
        data = b"STEELOTA 1\nthis is not a lengths line at all\n" + data[40:]
    else:
        entry = manifest["files"][3]
        if damage == "duplicate-path":
            manifest["files"][4] = dict(entry)
            payload[4] = payload[3]
        else:
            entry["path"] = "firmware/../../config.json"
        manifest["total_size"] = sum(len(p) for p in payload)
        data = signed(engine, manifest, payload)
    result = run(
        engine,
        tmp_path,
        """
        - ota: {bundle: damaged.bundle, version: 7.0.0}
        - expect: {job: {status: FAILED, reason: bad-bundle}, within: 2m}
        """
        + STILL_WORKING,
        **{"damaged.bundle": data},
    )
    assert passed(result)


@pytest.mark.parametrize(
    "document",
    [
        {"operation": "steel-ota"},
        {"operation": "steel-ota", "version": 7, "url": "https://x/y", "sha256": "0" * 64},
        {
            "operation": "steel-ota",
            "version": "7.0.0",
            "url": "ftp://nowhere/fw",
            "sha256": "0" * 64,
            "size": 10,
        },
        {"operation": "steel-ota", "version": "7.0.0", "url": "https://x/y", "sha256": "XYZ"},
        {
            "operation": "steel-ota",
            "version": "7.0.0",
            "url": "https://x/y",
            "sha256": "0" * 64,
            "size": "big",
        },
    ],
    ids=["missing-fields", "version-not-text", "not-http", "bad-sha256", "size-not-a-number"],
)
def test_a_job_document_with_missing_or_wrong_fields_fails_bad_job_document(
    engine: Engine, tmp_path: Path, document: Any
) -> None:
    job = f"bad-doc-{tmp_path.name[-20:].strip('_')}"
    result = run(
        engine,
        tmp_path,
        f"""
        - job: {{job_id: {job}, document: {json.dumps(document)}}}
        - expect:
            job: {{job_id: {job}, status: FAILED, reason: bad-job-document}}
            within: 1m
        """
        + STILL_WORKING,
    )
    assert passed(result)


@pytest.mark.parametrize(
    ("where", "says"),
    [("missing-object", "HTTP 404"), ("closed-port", "the server refused the connection")],
)
def test_a_url_that_answers_404_or_nothing_is_download_failed(
    engine: Engine, tmp_path: Path, where: str, says: str
) -> None:
    manifest, payload = good(engine)
    data = signed(engine, manifest, payload)
    url = (
        "${aws:iot:s3-presigned-url-v2:https%3A%2F%2Fs3.us-east-1.amazonaws.com%2Fnone%2Fmissing}"
        if where == "missing-object"
        else "http://127.0.0.1:9/firmware.bundle"
    )
    document = {
        "operation": "steel-ota",
        "version": "7.0.0",
        "url": url,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    job = f"dl-{where}"
    result = run(
        engine,
        tmp_path,
        f"""
        - job: {{job_id: {job}, document: {json.dumps(document)}}}
        - expect:
            job: {{job_id: {job}, status: FAILED, reason: download-failed, message: {says}}}
            within: 5m
        """
        + STILL_WORKING,
    )
    assert passed(result)


def test_a_bundle_that_does_not_fit_beside_the_running_firmware_is_no_space(
    engine: Engine, tmp_path: Path
) -> None:
    manifest, payload = good(engine)
    padding = bytes(range(256)) * (1_400_000 // 256)  # with the running slot: over 2 MB
    manifest["files"].append(
        {"path": "firmware/padding.bin", "size": len(padding), "sha256": sha256(padding)}
    )
    payload.append(padding)
    manifest["total_size"] = sum(len(p) for p in payload)
    result = run(
        engine,
        tmp_path,
        """
        - ota: {bundle: big.bundle, version: 7.0.0}
        - expect:
            job: {status: FAILED, reason: no-space, message: the flash is full}
            within: 2m
        """
        + STILL_WORKING,
        **{"big.bundle": signed(engine, manifest, payload)},
    )
    assert passed(result)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_job_for_the_running_version_succeeds_without_installing(
    engine: Engine, tmp_path: Path
) -> None:
    result = run(
        engine,
        tmp_path,
        """
        - ota: {version: 0.1.0}
        - expect: {job: {status: SUCCEEDED}, within: 1m}
        - never: {log: {contains: rebooting}, for: 10s}
        """,
    )
    assert passed(result)


def test_a_job_cancelled_while_it_downloads_is_abandoned_cleanly(
    engine: Engine, tmp_path: Path
) -> None:
    result = run(
        engine,
        tmp_path,
        """
        - ota: {version: 7.0.0, job_id: cancel-me}
        - expect: {job: {job_id: cancel-me, status: IN_PROGRESS, step: download}, within: 30s}
        - wait: 2s
        - cancel_job: {job_id: cancel-me, force: true}
        - expect: {log: {contains: abandoned}, within: 10s}
        - expect: {job: {job_id: cancel-me, status: CANCELED}, within: 0s}
        """
        + STILL_WORKING,
    )
    assert passed(result)


def test_a_bundle_whose_self_test_hook_fails_is_rolled_back(engine: Engine, tmp_path: Path) -> None:
    hook = b"def run(agent):\n    return 'the sensors read nothing'\n"
    result = run(
        engine,
        tmp_path,
        """
        - ota: {version: 7.0.0, self_test: hook.py}
        - expect: {job: {status: FAILED, reason: self-test-failed}, within: 5m}
        - expect: {log: {contains: "firmware 0.1.0"}, within: 1m}
        """
        + STILL_WORKING,
        **{"hook.py": hook},
    )
    assert passed(result)


def test_a_bundle_for_real_boards_installs_but_does_not_boot_and_is_rolled_back(
    engine: Engine, tmp_path: Path
) -> None:
    """A ``--target board`` bundle (compiled .mpy) on an emulated board, which runs CPython:
    the install works (bytes are bytes), each trial boot says why it cannot run the slot,
    and after three the selector goes back to the old slot and the job fails boot-failed."""
    key = run_keys(engine.session.state).trusted
    built = build_bundle(Path(firmware.__file__).parent, "7.0.0", key, target="board")
    assert built.target == "board"
    result = run(
        engine,
        tmp_path,
        f"""
        - ota: {{bundle: board.bundle}}
        - expect: {{log: {{contains: "cannot boot slot b: {COMPILED_SLOT}"}}, within: 2m}}
        - expect: {{job: {{status: FAILED, reason: boot-failed}}, within: 3m}}
        - expect: {{status: {{state: running, program_id: counter}}, within: 30s}}
        """
        + STILL_WORKING,
        **{"board.bundle": built.data},
    )
    assert passed(result)
