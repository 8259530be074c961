"""Over-the-air updates through AWS IoT Jobs: download, verify, install into the other app
slot, reboot, self-test, commit -- or fail with a reason and keep running what works.

The job document (``docs/ota.md``)::

    {"operation": "steel-ota", "version": "1.2.0", "url": "<https URL of the bundle;
     a ${aws:iot:s3-presigned-url-v2:...} placeholder on AWS>", "sha256": "<hex of the
     bundle file>", "size": <its bytes>, "allow_downgrade": false}

Steps, each reported in the execution's ``statusDetails`` (``step``, ``progress`` in
percent, ``reason`` and ``message`` on failure; AWS wants string values)::

    start-next --> download --> install --> reboot --> self-test --> commit: SUCCEEDED
                      |            |                       |
                      +------------+---> FAILED reason ----+ (rolled back)

* A job for the version already running succeeds at once; an older one is refused
  (``downgrade-refused``) unless the document says ``allow_downgrade``.
* ``download`` streams the bundle into the other slot (:mod:`.ota_install`): the signature
  is checked before anything is written (``bad-signature``), every file's sha256
  (``hash-mismatch``), the framing and the manifest (``bad-bundle``), the whole file's
  sha256 and size against the document; a full flash is ``no-space``.  A dropped
  connection resumes with an HTTP Range request from the byte it stopped at; a reboot
  resumes at the last checkpoint.  Out of retries, or a 403/404: ``download-failed``.
* ``install`` writes the slot's marker (its commit point) and arms the boot record: the
  next boot runs the new slot on trial (:mod:`firmware.boot.selector`).
* ``self-test`` runs in the new code: connected, the shadow answered, the stored program
  compiled and started, the bundle's own hook (if it has one) passed -- within
  ``ota.self_test_timeout`` seconds of booting.  Then the boot record is committed and the
  job ``SUCCEEDED``.  A failed self-test rolls back (``self-test-failed``); a slot that
  does not boot three times is rolled back by the selector, and the old code reports
  ``boot-failed``.
* A job cancelled (also with force) while it downloads or installs is noticed (its update
  is rejected, or notify-next moves on) and abandoned: the partial slot is removed.

One update at a time; the state survives reboots in ``/ota/state.json`` (the agent's
checksummed, atomic storage).  Portable: MicroPython and CPython; sans-IO like the agent.
"""

import json

from ..boot import selector
from ..ota import p256
from ..ota import version as versions
from ..ota.errors import BundleError
from . import ota_install
from .events import Download, Reboot
from .jobs import JobsHandler
from .ota_document import BAD_JOB, JobError, check_document
from .wire import dumps

STATE = "/ota/state.json"
ENOSPC = 28
CHECKPOINT_BYTES = 64 * 1024  # a reboot re-downloads at most this much
RETRY_SECONDS = (2, 5, 10, 20, 40)  # between download attempts; then download-failed
PROGRESS_STEP = 10  # percent between progress reports

DOWNLOAD = "download"
INSTALL = "install"
REBOOT = "reboot"
SELF_TEST = "self-test"
COMMIT = "commit"
ROLLBACK = "rollback"
DONE = "done"

DOWNGRADE = "downgrade-refused"
MIN_VERSION = "min-version-not-met"
NO_SPACE = "no-space"
DOWNLOAD_FAILED = "download-failed"
BOOT_FAILED = selector.BOOT_FAILED
SELF_TEST_FAILED = selector.SELF_TEST_FAILED


def handler(config, storage, fs, version, slot):
    """The handler a board runs, trusting the keys its config names (``ota.trust``)."""
    keys = []
    problems = []
    for path in config.ota_trust:
        data = storage.read(path, allow_plain=True)
        if data is None:
            problems.append("%s: missing" % path)
            continue
        try:
            keys.extend(p256.load_public_keys(data))
        except p256.P256Error as e:
            problems.append("%s: %s" % (path, e.message))
    return OtaHandler(storage, fs, version, slot, keys, config.ota_self_test_timeout, problems)


def flash_refusal(error):
    """What a failed flash write means, for the job's message (not the OSError's text)."""
    code = error.args[0] if error.args and type(error.args[0]) is int else None
    if code == ENOSPC:
        return "the flash is full: the new firmware does not fit beside the running one"
    if code is None:
        return "the flash refused a write"
    return "the flash refused a write (error %d)" % code


class OtaHandler(JobsHandler):
    """The agent's :class:`~.jobs.JobsHandler` for firmware updates (see the module
    docstring).  ``slot`` is the slot this code runs from (None: a board without slots,
    which can report on jobs but not install)."""

    def __init__(self, storage, fs, version, slot, keys, self_test_timeout=120, problems=()):
        self.storage = storage
        self.fs = fs
        self.version = version
        self.slot = slot
        self.keys = keys
        self.self_test_timeout = self_test_timeout
        self.problems = list(problems)
        self.state = storage.read_json(STATE)
        self.record = selector.read_record(fs) if slot is not None else None
        self.install = None
        self.outbox = []  # status updates not yet accepted, oldest first
        self.sending = None
        self.requests = 0
        self.connected = False
        self.retry_at = None
        self.attempts = 0
        self.download_id = None
        self.self_test_deadline = None
        self.reported = -PROGRESS_STEP

    # --- the JobsHandler hook ----------------------------------------------------------------

    def filters(self, topics):
        p = topics.jobs_prefix
        return [
            p + "notify-next",
            p + "start-next/accepted",
            p + "start-next/rejected",
            p + "+/update/accepted",
            p + "+/update/rejected",
            p + "+/get/accepted",
            p + "+/get/rejected",
        ]

    def on_connected(self, agent, now):
        if self.problems is not None:  # once per boot: what the board trusts, and why not
            for problem in self.problems:
                agent.console("ota: trust file %s" % problem)
            agent.console("ota: %d signing key(s) trusted" % len(self.keys))
            self.problems = None
        self.connected = True
        self.sending = None  # whatever was in flight is sent again
        self._start_next(agent)
        state = self.state
        if state is not None and state.get("step") == SELF_TEST:
            if self.self_test_deadline is None:
                self.self_test_deadline = now + self.self_test_timeout
        self._flush(agent)
        return []

    def on_message(self, agent, topic, payload, now):
        p = agent.topics.jobs_prefix
        rest = topic[len(p) :]
        try:
            body = json.loads(payload.decode())
        except (ValueError, UnicodeError):
            return []
        if not isinstance(body, dict):
            return []
        if rest == "notify-next":
            return self._notify_next(agent, body, now)
        if rest == "start-next/accepted":
            return self._execution(agent, body.get("execution"), now)
        if rest == "start-next/rejected":
            return []
        parts = rest.split("/")
        if len(parts) == 3 and parts[1] == "update":
            return self._update_answer(agent, parts[0], parts[2], body, now)
        if len(parts) == 3 and parts[1:] == ["get", "accepted"]:
            execution = body.get("execution")
            if isinstance(execution, dict) and self._ours(execution.get("jobId")):
                self._track(execution.get("versionNumber"))
                self.sending = None
                self._flush(agent)
        if len(parts) == 3 and parts[1:] == ["get", "rejected"] and self._ours(parts[0]):
            self.sending = None
            if body.get("code") == "ResourceNotFound":  # the job was deleted meanwhile
                self._cancelled(agent, "the job no longer exists")
            else:
                self._flush(agent)
        return []

    def on_download(self, agent, event):
        if event.request_id != self.download_id or self.install is None:
            return []
        if type(event).__name__ == "Chunk":
            return self._chunk(agent, event)
        return self._downloaded(agent, event)

    def wants_download(self, request_id):
        return request_id == self.download_id and self.install is not None

    def on_tick(self, agent, now):
        out = []
        if self.retry_at is not None and now >= self.retry_at:
            self.retry_at = None
            out.extend(self._download(agent))
        if self.self_test_deadline is not None:
            out.extend(self._self_test(agent, now))
        return out

    def next_deadline(self):
        best = self.retry_at
        if self.self_test_deadline is not None:
            # checked as the agent works; at the deadline at the latest
            if best is None or self.self_test_deadline < best:
                best = self.self_test_deadline
        return best

    # --- the job -----------------------------------------------------------------------------

    def _ours(self, job_id):
        return self.state is not None and job_id == self.state.get("job_id")

    def _start_next(self, agent):
        self.requests += 1
        token = "ota-%d" % self.requests
        agent.publish(agent.topics.jobs_prefix + "start-next", dumps({"clientToken": token}))

    def _notify_next(self, agent, body, now):
        execution = body.get("execution")
        job_id = execution.get("jobId") if isinstance(execution, dict) else None
        if self.state is not None and job_id != self.state.get("job_id"):
            self._cancelled(agent, "the job is no longer pending for this device")
        if job_id is not None and self.state is None:
            self._start_next(agent)
        return []

    def _execution(self, agent, execution, now):
        if not isinstance(execution, dict):
            if self.state is not None and self.state.get("step") in (DOWNLOAD, INSTALL):
                self._cancelled(agent, "the job is no longer pending for this device")
            return self._after_boot(agent, now)
        job_id = execution.get("jobId")
        if self._ours(job_id):
            self._track(execution.get("versionNumber"))
            doc = execution.get("jobDocument")
            if isinstance(doc, dict) and isinstance(doc.get("url"), str):
                self.state["url"] = doc["url"]  # a fresh presigned URL
            return self._after_boot(agent, now)
        if self.state is not None:
            if self.state.get("step") in (DOWNLOAD, INSTALL):
                self._cancelled(agent, "another job replaced this one")
            else:
                return self._after_boot(agent, now)
        if type(job_id) is not str:
            return []
        return self._begin(agent, execution, now)

    def _begin(self, agent, execution, now):
        job_id = execution["jobId"]
        self.state = {
            "job_id": job_id,
            "execution": execution.get("executionNumber"),
            "version_number": execution.get("versionNumber"),
            "from": self.version,
            "step": DOWNLOAD,
        }
        try:
            doc = check_document(execution.get("jobDocument"))
            self.state.update(doc)
            if versions.compare(doc["version"], self.version) == 0:
                self._finish(agent, "SUCCEEDED", {"step": DONE, "reason": "already-running"})
                return []
            if versions.compare(doc["version"], self.version) < 0 and not doc["allow_downgrade"]:
                raise JobError(
                    DOWNGRADE,
                    "%s is older than the running %s" % (doc["version"], self.version),
                )
            if self.slot is None:
                raise JobError(NO_SPACE, "this board has no app slots (an old image)")
        except JobError as e:
            self._fail(agent, e.reason, e.message)
            return []
        target = selector.other(self.slot)
        ota_install.remove_tree(self.fs, selector.slot_dir(target))
        self.state["target"] = target
        self.state["offset"] = 0
        self.state["files_done"] = 0
        self._save()
        agent.console("ota: job %s: updating %s -> %s" % (job_id, self.version, doc["version"]))
        self._report(agent, "IN_PROGRESS", {"step": DOWNLOAD, "progress": "0"})
        self.install = ota_install.Install(self.fs, target, self.keys, doc["size"], doc["sha256"])
        self.attempts = 0
        return self._download(agent)

    def _after_boot(self, agent, now):
        """Go on with the job after a connect, from where the state says it stood."""
        state = self.state
        if state is None:
            return []
        report = state.get("report")
        if report is not None:  # the job has ended: its last report, once more
            if not self.outbox:
                self.outbox.append((state["job_id"], report["status"], report["details"]))
            self._flush(agent)
            return []
        step = state.get("step")
        if step == DOWNLOAD and self.install is None and self.slot is not None:
            try:
                self.install = ota_install.Install.resume(
                    self.fs,
                    state["target"],
                    self.keys,
                    state["size"],
                    state["sha256"],
                    state.get("files_done", 0),
                )
            except BundleError as e:
                self._fail(agent, e.reason, e.message)
                return []
            if self.install is None:  # nothing to resume from: start again
                ota_install.remove_tree(self.fs, selector.slot_dir(state["target"]))
                self.install = ota_install.Install(
                    self.fs, state["target"], self.keys, state["size"], state["sha256"]
                )
            self.attempts = 0
            return self._download(agent)
        if step in (REBOOT, SELF_TEST):
            if self.slot == state.get("target"):
                if step == REBOOT:
                    state["step"] = SELF_TEST
                    self._save()
                    self._report(agent, "IN_PROGRESS", {"step": SELF_TEST})
                if self.self_test_deadline is None:
                    self.self_test_deadline = now + self.self_test_timeout
                return self._self_test(agent, now)
            # the old code is running: the trial never got to commit
            record = self.record or {}
            last = record.get("last") or {}
            reason = last.get("outcome") if last.get("slot") == state.get("target") else None
            if reason not in (BOOT_FAILED, SELF_TEST_FAILED):
                reason = BOOT_FAILED
            self._fail(agent, reason, "the new firmware did not pass; rolled back")
            return []
        return []

    # --- download and install ------------------------------------------------------------------

    def _download(self, agent):
        install = self.install
        if install is None or self.state is None:
            return []
        self.requests += 1
        self.download_id = "ota-dl-%d" % self.requests
        return [Download(self.download_id, self.state["url"], install.received)]

    def _chunk(self, agent, event):
        install = self.install
        try:
            finished = install.feed(event.data)
        except BundleError as e:
            self._fail(agent, e.reason, e.message)
            return []
        except OSError as e:
            self._fail(agent, NO_SPACE, flash_refusal(e))
            return []
        state = self.state
        if finished and (
            install.consumed - state.get("offset", 0) >= CHECKPOINT_BYTES
            or install.manifest is not None
            and install.index == len(install.manifest.files)
        ):
            state["offset"] = install.consumed
            state["files_done"] = install.index
            self._save()
        percent = install.received * 100 // max(1, install.expected_size)
        if percent - self.reported >= PROGRESS_STEP:
            self.reported = percent - percent % PROGRESS_STEP
            self._report(agent, "IN_PROGRESS", {"step": DOWNLOAD, "progress": str(self.reported)})
        return []

    def _downloaded(self, agent, event):
        install = self.install
        if event.error is not None:
            status = event.status
            if status in (403, 404) or self.attempts >= len(RETRY_SECONDS):
                self._fail(
                    agent,
                    DOWNLOAD_FAILED,
                    "HTTP %s" % status if status is not None else str(event.error),
                )
                return []
            agent.console("ota: download stopped (%s); resuming" % event.error)
            self.retry_at = agent.now + RETRY_SECONDS[self.attempts]
            self.attempts += 1
            return []
        try:
            manifest = install.finish()
            if manifest.version != self.state["version"]:
                raise JobError(
                    BAD_JOB,
                    "the bundle is version %s, the job document says %s"
                    % (manifest.version, self.state["version"]),
                )
            if not manifest.may_replace(self.version):
                raise JobError(
                    MIN_VERSION,
                    "the bundle replaces %s or newer, not %s"
                    % (manifest.min_version, self.version),
                )
            target = self.state["target"]
            marker = {"format": 1, "version": manifest.version, "manifest": manifest.id}
            self.fs.write(selector.slot_dir(target) + "/slot.json", dumps(marker).encode())
            self.state["step"] = INSTALL
            self.state["self_test_hook"] = manifest.self_test
            self._save()
            selector.arm(self.fs, target, manifest.version)
        except BundleError as e:
            self._fail(agent, e.reason, e.message)
            return []
        except JobError as e:
            self._fail(agent, e.reason, e.message)
            return []
        except OSError as e:
            self._fail(agent, NO_SPACE, flash_refusal(e))
            return []
        self.state["step"] = REBOOT
        self._save()
        self.install = None
        self._report(agent, "IN_PROGRESS", {"step": REBOOT})
        return [Reboot("ota: booting %s to test it" % self.state["version"])]

    # --- self-test, commit, failure ------------------------------------------------------------

    def _self_test(self, agent, now):
        state = self.state
        if state is None or state.get("step") != SELF_TEST:
            self.self_test_deadline = None
            return []
        problem = self._self_test_problem(agent)
        if problem is None:
            self.self_test_deadline = None
            selector.commit(self.fs, self.slot, self.version)
            self._finish(
                agent,
                "SUCCEEDED",
                {"step": COMMIT, "version": self.version, "from": state.get("from", "")},
            )
            agent.console("ota: %s committed" % self.version)
            return []
        if problem is False:
            if now < self.self_test_deadline:
                return []
            problem = "not ready within %ss" % self.self_test_timeout
        self.self_test_deadline = None
        selector.reject(self.fs, self.slot, SELF_TEST_FAILED)
        self._fail(agent, SELF_TEST_FAILED, problem, step=ROLLBACK)
        return [Reboot("ota: self-test failed: %s" % problem)]

    def _self_test_problem(self, agent):
        """None when the new firmware is fit; False while it is not yet; else why not."""
        if not self.connected or not agent.connected:
            return False
        if not agent.shadow_state.known:
            return False
        if agent.program_state == "error":
            return "the stored program did not start on the new firmware"
        hook = self.state.get("self_test_hook")
        if hook:
            return self._run_hook(agent, hook)
        return None

    def _run_hook(self, agent, path):
        """The bundle's own self-test: a module of the slot (``run(agent)`` returns True or
        None when the firmware is fit, anything else says why not)."""
        try:
            source = self.fs.read(selector.slot_dir(self.slot) + "/" + path)
        except OSError:
            source = None
        if source is None:
            return "the self-test hook %s is not in the slot" % path
        namespace = {"__name__": "steel_self_test"}
        try:
            exec(source, namespace)
            ok = namespace["run"](agent)
        except Exception as e:  # the hook is the bundle's own code
            return "the self-test hook failed: %s" % type(e).__name__
        if ok is True or ok is None:
            return None
        return "the self-test hook said no: %s" % (ok,)

    def _fail(self, agent, reason, message, step=None):
        state = self.state
        if state is not None:
            target = state.get("target")
            if (
                target is not None
                and target != self.slot
                and state.get("step")
                in (
                    DOWNLOAD,
                    INSTALL,
                )
            ):
                ota_install.remove_tree(self.fs, selector.slot_dir(target))
        self.install = None
        self.retry_at = None
        agent.console("ota: job failed: %s (%s)" % (reason, message))
        details = {"step": step or (state.get("step") if state else DONE), "reason": reason}
        details["message"] = message[:200]
        self._finish(agent, "FAILED", details)

    def _cancelled(self, agent, why):
        state = self.state
        agent.console("ota: job %s abandoned: %s" % (state.get("job_id"), why))
        target = state.get("target")
        if target is not None and target != self.slot and state.get("step") in (DOWNLOAD, INSTALL):
            ota_install.remove_tree(self.fs, selector.slot_dir(target))
        self.install = None
        self.retry_at = None
        self.download_id = None
        self.outbox = []
        self.sending = None
        self._clear()

    def _finish(self, agent, status, details):
        """The job's last report; the state keeps it until it is accepted (a reboot or a
        dropped connection sends it again)."""
        self.state["step"] = details.get("step", DONE)
        self.state["report"] = {"status": status, "details": details}
        self._save()
        self._report(agent, status, details)

    # --- reporting -----------------------------------------------------------------------------

    def _track(self, version_number):
        if type(version_number) is int and self.state is not None:
            self.state["version_number"] = version_number

    def _report(self, agent, status, details):
        if self.state is None:
            return
        self.outbox.append((self.state["job_id"], status, details))
        self._flush(agent)

    def _flush(self, agent):
        if self.sending is not None or not self.outbox or not self.connected:
            return
        job_id, status, details = self.outbox[0]
        self.requests += 1
        request = {
            "status": status,
            "statusDetails": details,
            "includeJobExecutionState": True,
            "clientToken": "ota-%d" % self.requests,
        }
        if self.state is not None and type(self.state.get("version_number")) is int:
            request["expectedVersion"] = self.state["version_number"]
        self.sending = job_id
        agent.publish(agent.topics.jobs_prefix + job_id + "/update", dumps(request))

    def _update_answer(self, agent, job_id, outcome, body, now):
        if not self._ours(job_id) or self.sending != job_id:
            return []
        self.sending = None
        if outcome == "accepted":
            state = body.get("executionState")
            if isinstance(state, dict):
                self._track(state.get("versionNumber"))
            if self.outbox:
                _, status, _ = self.outbox.pop(0)
                if status in ("SUCCEEDED", "FAILED"):
                    self._clear()
                    return []
            self._flush(agent)
            return []
        code = body.get("code")
        if code == "VersionMismatch":
            self.requests += 1
            agent.publish(
                agent.topics.jobs_prefix + job_id + "/get",
                dumps({"clientToken": "ota-%d" % self.requests, "includeJobDocument": False}),
            )
            self.sending = job_id  # held until the get answers
            return []
        if code in ("TerminalStateReached", "InvalidStateTransition", "ResourceNotFound"):
            if self.state is not None and self.state.get("report") is not None:
                self._clear()  # it had ended already
            else:
                self._cancelled(agent, "its update was refused (%s)" % code)
            return []
        if self.outbox:  # refused for a reason sending again will not change
            self.outbox.pop(0)
        self._flush(agent)
        return []

    # --- state -------------------------------------------------------------------------------

    def _save(self):
        self.storage.write_json(STATE, self.state)

    def _clear(self):
        self.state = None
        self.outbox = []
        self.storage.remove(STATE)
        self.storage.remove(ota_install.HEAD)
