"""Firmware updates in scenarios: the ``ota`` act (a signed bundle, uploaded, and a job for
it), and the ``job`` and ``firmware`` expectations.

Why built by the step: a QA engineer rehearsing an update writes what it is -- "version
1.2.0 of this checkout", "signed by someone else", "a build that does not boot" -- not
how to make it.  The step builds the bundle from a firmware tree (default: this
checkout's ``firmware/``), signs it with the run's own key (which the run's emulated boards
trust; see :mod:`harness.ota.runkeys`) or with one no board trusts, puts it in the IoT
Core's S3, and creates the job whose document names it by a presigned-URL placeholder, as
on AWS.  The bundle is built for what the devices run: source without ``ports/`` for
emulated boards (they run CPython), compiled ``.mpy`` for real boards (``serial``,
``renode``: MicroPython, where two slots of source do not fit).  A prebuilt ``bundle`` file
is used as it is, whatever it was built for.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import firmware
from firmware.agent.ota_document import OPERATION
from harness.ota.bundle import BundleBuildError, build_bundle
from harness.ota.runkeys import run_keys

from .registry import ExpectationKind, Outcome, Probe, StepFailed, StepType, expectation, step
from .schema import Field, Fields

if TYPE_CHECKING:
    from .context import RunContext

BUCKET = "steelhil-ota"
#: Backends whose boards run the emulator's port under CPython: their bundles are built for
#: the ``emulated`` target (source, ``ports/`` left out); any other backend's boards run
#: MicroPython and get the ``board`` target (compiled ``.mpy``).
EMULATED_BACKENDS = frozenset({"emulated", "emulated-pty"})
EMULATED_TARGET = "emulated"
BOARD_TARGET = "board"
#: The role the local IoT Core's presigning pretends to assume (moto's default account).
LOCAL_ROLE = "arn:aws:iam::123456789012:role/steelhil-ota"
PRESIGNED_SECONDS = 3600  # AWS's default and its maximum
STATUSES = ("QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED", "CANCELED", "TIMED_OUT")
_LAST_JOB = "ota-last-job"
_jobs = itertools.count(1)

#: Replaces the agent's core in a ``broken: true`` bundle: the board cannot even import it.
BROKEN_CORE = b'raise ImportError("a deliberately broken build: the agent does not import")\n'


@step
class Ota(StepType):
    key = "ota"
    kind = "act"
    doc = (
        "Update devices over the air: build a signed bundle (or take `bundle`), upload it "
        "and create an AWS IoT job for it: `ota: {version: 1.2.0}`."
    )
    fields: ClassVar[Fields] = {
        "version": Field(
            "string", doc="the version to build (with bundle: the job document's version)"
        ),
        "from": Field("string", doc="the firmware tree to bundle (default this checkout's)"),
        "bundle": Field("string", doc="a bundle file beside the scenario, used as it is"),
        "signed_by": Field(
            "enum", choices=("run", "untrusted"), doc="the run's trusted key (default) or not"
        ),
        "min_version": Field("string", doc="the oldest version the bundle may replace"),
        "self_test": Field("string", doc="a self-test hook module beside the scenario"),
        "broken": Field("boolean", doc="the bundle's agent does not import (a broken build)"),
        "allow_downgrade": Field("boolean", doc="the job allows an older version"),
        "to": Field("devices", doc="devices (default all)"),
        "job_id": Field("string", doc="default ota-N"),
    }

    def validate(self, args: dict[str, Any]) -> str | None:
        if "version" not in args and "bundle" not in args:
            return "give version (to build a bundle) or bundle (a file)"
        if "bundle" in args and any(
            k in args for k in ("from", "signed_by", "min_version", "self_test", "broken")
        ):
            return (
                "a prebuilt bundle is used as it is: from, signed_by, min_version, self_test "
                "and broken are for building one"
            )
        return None

    def files(self, args: dict[str, Any]) -> list[str]:
        return [args[k] for k in ("bundle", "self_test") if isinstance(args.get(k), str)]

    def title(self, args: dict[str, Any]) -> str:
        what = args.get("version") or args.get("bundle")
        return f"ota {what} to {args.get('to', 'all')}"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        bucket, role = _storage(run)
        names = run.targets(args.get("to", "all"))
        data, version = self._bundle(run, args, names)
        digest = hashlib.sha256(data).hexdigest()
        key = f"bundles/{digest}.bundle"
        s3 = run.core.s3()
        if run.core.kind == "local":
            try:
                s3.head_bucket(Bucket=bucket)
            except Exception:  # not there yet
                s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=data)
        region = run.core.endpoint.region
        url = quote(f"https://s3.{region}.amazonaws.com/{bucket}/{key}", safe="")
        document = {
            "operation": OPERATION,
            "version": version,
            "url": "${aws:iot:s3-presigned-url-v2:" + url + "}",
            "sha256": digest,
            "size": len(data),
            "allow_downgrade": bool(args.get("allow_downgrade", False)),
        }
        job_id = args.get("job_id") or f"ota-{next(_jobs)}-{digest[:8]}"
        iot = run.core.iot()
        targets = [iot.describe_thing(thingName=run.thing(n))["thingArn"] for n in names]
        iot.create_job(
            jobId=job_id,
            targets=targets,
            document=json.dumps(document),
            presignedUrlConfig={"roleArn": role, "expiresInSec": PRESIGNED_SECONDS},
        )
        run.session_state[_LAST_JOB] = job_id
        run.event("act", None, f"ota job {job_id}: {version}", {"document": document})
        return Outcome(observed=f"job {job_id}: {version}, {len(data)} bytes")

    def _bundle(self, run: RunContext, args: dict[str, Any], names: list[str]) -> tuple[bytes, str]:
        base = run.scenario.file.parent
        if "bundle" in args:
            path = base / args["bundle"]
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise StepFailed(f"cannot read the bundle {path}: {exc.strerror}") from None
            # the job document's version: as given, else what the manifest says
            return data, args.get("version") or _bundle_version(data)
        tree = base / args["from"] if "from" in args else Path(firmware.__file__).parent
        hook = base / args["self_test"] if "self_test" in args else None
        signer = run_keys(run.session_state).key(args.get("signed_by", "run"))
        target = _target(run, names)
        try:
            built = _build(
                tree,
                args["version"],
                signer,
                args.get("min_version"),
                hook,
                bool(args.get("broken")),
                target,
            )
        except BundleBuildError as exc:
            raise StepFailed(f"cannot build the bundle: {exc}") from None
        return built, args["version"]


def _target(run: RunContext, names: list[str]) -> str:
    """The bundle target of the devices ``names``: one bundle serves one kind of board."""
    emulated = sorted(n for n in names if run.device(n).backend in EMULATED_BACKENDS)
    real = sorted(n for n in names if n not in emulated)
    if emulated and real:
        raise StepFailed(
            f"{', '.join(real)} run MicroPython (a compiled bundle) and {', '.join(emulated)} "
            "are emulated (a source bundle): one job has one bundle, so update them in two "
            "ota steps, each with its own to:"
        )
    return EMULATED_TARGET if emulated else BOARD_TARGET


def _storage(run: RunContext) -> tuple[str, str]:
    """The bucket the bundle goes to and the role AWS IoT presigns its URL with.

    On the local IoT Core both are the harness's own.  On AWS they are the account's: a
    bucket (``STEELHIL_OTA_BUCKET``) and a role that trusts ``iot.amazonaws.com`` and may
    ``s3:GetObject`` from it (``STEELHIL_OTA_ROLE_ARN``); the harness never creates IAM roles.
    """
    if run.core.kind == "local":
        return BUCKET, LOCAL_ROLE
    bucket = os.environ.get("STEELHIL_OTA_BUCKET")
    role = os.environ.get("STEELHIL_OTA_ROLE_ARN")
    if not bucket or not role:
        raise StepFailed(
            "on AWS the ota act needs STEELHIL_OTA_BUCKET (an S3 bucket for the bundles) and "
            "STEELHIL_OTA_ROLE_ARN (a role iot.amazonaws.com may assume to read it)"
        )
    return bucket, role


@functools.lru_cache(maxsize=16)
def _build(
    tree: Path,
    version: str,
    key: Any,
    min_version: str | None,
    hook: Path | None,
    broken: bool,
    target: str,
) -> bytes:
    """A bundle's bytes (cached: a run updates many boards with the same one)."""
    options: dict[str, Any] = {"min_version": min_version, "self_test": hook, "target": target}
    if not broken:
        return build_bundle(tree, version, key, **options).data
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "firmware"
        shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (copy / "agent" / "core.py").write_bytes(BROKEN_CORE)
        return build_bundle(copy, version, key, **options).data


def _bundle_version(data: bytes) -> str:
    """The version a bundle file's manifest names (unchecked: the device checks it)."""
    try:
        first = data.index(b"\n")
        second = data.index(b"\n", first + 1)
        size = int(data[first + 1 : second].split(b" ")[0])
        manifest = json.loads(data[second + 1 : second + 1 + size])
        return str(manifest["version"])
    except (ValueError, KeyError, TypeError, IndexError):
        raise StepFailed("the bundle file is not a steelhil bundle") from None


@step
class CancelJob(StepType):
    key = "cancel_job"
    kind = "act"
    doc = "Cancel a job through the AWS API (`force: true` also cancels IN_PROGRESS executions)."
    fields: ClassVar[Fields] = {
        "job_id": Field("string", doc="default: the last ota job"),
        "force": Field("boolean", doc="cancel executions already in progress"),
    }

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        job_id = args.get("job_id") or last_job(run)
        run.core.iot().cancel_job(jobId=job_id, force=bool(args.get("force", False)))
        run.event("act", None, f"job {job_id} cancelled", dict(args))
        return Outcome()


def last_job(run: RunContext) -> str:
    job = run.session_state.get(_LAST_JOB)
    if not isinstance(job, str):
        raise StepFailed("no ota job was created before this expectation (give job_id)")
    return job


_JOB_FIELDS = ("status", "reason", "step", "message")


class _JobProbe(Probe):
    def __init__(self, run: RunContext, args: dict[str, Any]) -> None:
        self.thing = run.thing(args["device"])
        self.job_id = args.get("job_id") or last_job(run)
        self.want = args
        self.iot = run.core.iot()
        self.last: dict[str, Any] = {}

    def check(self) -> bool:
        try:
            execution = self.iot.describe_job_execution(jobId=self.job_id, thingName=self.thing)
        except Exception as exc:  # not targeted (yet): ResourceNotFound
            self.last = {"error": type(exc).__name__}
            return False
        found = execution.get("execution", {})
        details = (found.get("statusDetails") or {}).get("detailsMap") or {}
        self.last = {"status": found.get("status"), **details}
        want = self.want
        if "status" in want and found.get("status") != want["status"]:
            return False
        for name in ("reason", "step"):
            if name in want and details.get(name) != want[name]:
                return False
        return "message" not in want or want["message"] in str(details.get("message", ""))

    def observed(self) -> str:
        return f"job {self.job_id}: {json.dumps(self.last)}"

    def matched(self) -> str:
        return self.observed()


@expectation
class JobExecution(ExpectationKind):
    key = "job"
    doc = (
        "A device's execution of a job (read through the AWS API): its status and, from "
        "its statusDetails, the step and the reason: `job: {status: SUCCEEDED}`."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "job_id": Field("string", doc="default: the last ota job"),
        "status": Field("enum", choices=STATUSES),
        "reason": Field("string", doc="statusDetails.reason (a failure's)"),
        "step": Field("string", doc="statusDetails.step"),
        "message": Field("string", doc="text that statusDetails.message contains"),
    }

    def check_args(self, args: dict[str, Any]) -> str | None:
        if not any(k in args for k in _JOB_FIELDS):
            return "give status, reason, step or message"
        return None

    def describe(self, args: dict[str, Any]) -> str:
        shown = {k: v for k, v in args.items() if k in _JOB_FIELDS}
        return f"job {args.get('job_id', '(last ota)')} of {args.get('device')} {json.dumps(shown)}"

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        return _JobProbe(run, args)


class _FirmwareProbe(Probe):
    """The version the device reports now: its latest shadow report of ``agent.firmware``."""

    def __init__(self, run: RunContext, device: str, version: str) -> None:
        self.run = run
        self.topic = f"$aws/things/{run.thing(device)}/shadow/update"
        self.version = version
        self.last: tuple[float, str] | None = None

    def check(self) -> bool:
        for message in reversed(self.run.observer.since(self.run.start_index, self.topic)):
            data = message.json()
            agent = (((data or {}).get("state") or {}).get("reported") or {}).get("agent")
            if isinstance(agent, dict) and isinstance(agent.get("firmware"), str):
                self.last = (message.t, agent["firmware"])
                return bool(agent["firmware"] == self.version)
        return False

    def observed(self) -> str:
        if self.last is None:
            return "the device has not reported its firmware"
        return f"t={self.last[0]:.3f} it reported {self.last[1]}"

    def matched(self) -> str:
        return self.observed()


@expectation
class Firmware(ExpectationKind):
    key = "firmware"
    doc = (
        "The firmware version a device reports now: the latest `reported.agent.firmware` "
        "of its shadow updates (it reports at every boot)."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device"),
        "version": Field("string", required=True),
    }

    def describe(self, args: dict[str, Any]) -> str:
        return f"firmware {args['version']} on {args.get('device')}"

    def probe(self, run: RunContext, args: dict[str, Any]) -> Probe:
        return _FirmwareProbe(run, args["device"], args["version"])
