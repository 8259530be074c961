"""The program manager: load, start, stop and unload requests, and program status.

Why one manager: a device runs one program at a time, and every path that changes which
program runs (a load, a start of a stored id, a boot, an error) must answer with a status,
persist what has to survive a reboot and leave the previous program running when it fails.
Requests are handled strictly in the protocol's order (docs/protocol.md, "Loading a
program"): parse and validate -> obtain the text (inline, fetched, or stored) -> check
integrity -> compile -> store (power-safe) -> start if ``auto_start``.
"""

import json

from ..steel import SteelError
from ..steel.errors import PARSE
from .events import Fetch
from .runtime import ProgramRuntime
from .storage import ProgramStore, StorageError, sha256_hex
from .wire import nesting_exceeds

LOADED = "loaded"
RUNNING = "running"
FINISHED = "finished"
ERROR = "error"
STOPPED = "stopped"
REJECTED = "rejected"

INVALID_JSON = "invalid-json"
INVALID_REQUEST = "invalid-request"
UNKNOWN_PROGRAM = "unknown-program"
HASH_MISMATCH = "hash-mismatch"
FETCH_FAILED = "fetch-failed"
TOO_LARGE = "too-large"
COMPILE_ERROR = "compile-error"
SUPERSEDED = "superseded"
STORAGE_FAILED = "storage-failed"

#: A request is one flat object; deeper JSON is refused unparsed (see ``wire.nesting_exceeds``).
MAX_REQUEST_DEPTH = 16

_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
_HEX = "0123456789abcdef"


class Rejected(Exception):
    """A request refused with ``reason`` (answered as a ``rejected`` status)."""

    def __init__(self, reason, detail, program_id=None, error=None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.program_id = program_id
        self.error = error


def valid_program_id(pid):
    if type(pid) is not str or not 1 <= len(pid) <= 64:
        return False
    for ch in pid:
        if ch not in _ID_CHARS:
            return False
    return True


def _is_sha256(s):
    if type(s) is not str or len(s) != 64:
        return False
    for ch in s:
        if ch not in _HEX:
            return False
    return True


class ProgramManager:
    def __init__(self, agent):
        self.agent = agent
        cfg = agent.config
        self.limits = cfg.limits
        self.store = ProgramStore(agent.storage, cfg.data_dir, cfg.limits.stored_programs)
        self.runtime = None
        self.program_id = None
        self.state = None
        self.pending = None  # [request_id, program_id, sha256, auto_start, deadline]
        self._fetches = 0
        self._programs = 0

    # --- boot --------------------------------------------------------------------------------

    def boot(self, now):
        """Clean up after a power cut and restart the stored current program."""
        removed = self.store.boot()
        if removed:
            self.agent.trace("storage", {"action": "cleanup", "removed": removed})
        self._note_damage()
        cur = self.store.current()
        if cur is None:
            return
        pid, sha, run = cur
        source = self.store.load(pid, sha)
        if source is None:
            self._note_damage()
            self.agent.console("program %s: the stored copy is missing or damaged" % pid)
            self._status(pid, ERROR, error=_error_dict("StorageError", "stored copy damaged"))
            return
        rt = self._runtime(pid, source, sha)
        try:
            rt.compile()
        except SteelError as e:
            self.program_id = pid
            self._set_state(ERROR, error=e.to_dict())
            return
        self.runtime = rt
        self.program_id = pid
        self._set_state(LOADED)
        if run:
            self._start(now)

    def _note_damage(self):
        corrupt = self.agent.storage.corrupt
        if corrupt:
            self.agent.metrics.storage_errors += len(corrupt)
            self.agent.trace("storage", {"action": "damaged", "paths": list(corrupt)})
            self.agent.storage.corrupt = []

    # --- requests ------------------------------------------------------------------------------

    def request(self, command, payload, now):
        """A message on ``steel-programs/{T,broadcast}/<command>``."""
        try:
            req = self._parse(command, payload)
            if command == "load":
                self._load(req, now)
            elif command == "start":
                self._start_request(req, now)
            elif command == "stop":
                self._stop_request(req)
            else:
                self._unload_request(req)
        except Rejected as r:
            self._reject(command, r)

    def _parse(self, command, payload):
        limit = self.limits.source_bytes * 2 + 4096
        if len(payload) > limit:
            raise Rejected(
                TOO_LARGE,
                "the request is %d bytes; the limit is %d (a %d-byte program, JSON-escaped)"
                % (len(payload), limit, self.limits.source_bytes),
            )
        if command != "load" and not payload.strip():
            return {}
        if nesting_exceeds(payload, MAX_REQUEST_DEPTH):
            raise Rejected(
                INVALID_JSON, "the payload nests deeper than %d levels" % MAX_REQUEST_DEPTH
            )
        try:
            text = payload.decode()
        except UnicodeError:
            raise Rejected(INVALID_JSON, "the payload is not UTF-8")
        try:
            req = json.loads(text)
        except ValueError as e:  # its text is the parser's, not ours: say where, if known
            raise Rejected(INVALID_JSON, "the payload is not valid JSON" + _where(e))
        if not isinstance(req, dict):
            raise Rejected(INVALID_REQUEST, "expected a JSON object, got %s" % type(req).__name__)
        pid = req.get("program_id")
        if "program_id" not in req:
            if command == "load":
                raise Rejected(INVALID_REQUEST, "program_id: missing")
        elif not valid_program_id(pid):
            raise Rejected(
                INVALID_REQUEST,
                "program_id: expected 1-64 characters from A-Z a-z 0-9 . _ -, got %s"
                % json.dumps(pid),
            )
        pid = req.get("program_id")
        if command != "load":
            return req
        if "auto_start" in req and type(req["auto_start"]) is not bool:
            raise Rejected(INVALID_REQUEST, "auto_start: expected true or false", pid)
        if "source" in req and type(req["source"]) is not str:
            raise Rejected(INVALID_REQUEST, "source: expected a string", pid)
        if "url" in req:
            url = req["url"]
            if type(url) is not str or not (
                url.startswith("https://") or url.startswith("http://")
            ):
                raise Rejected(INVALID_REQUEST, "url: expected an http:// or https:// URL", pid)
            if "source" in req:
                raise Rejected(INVALID_REQUEST, "give source or url, not both", pid)
            if "sha256" not in req:
                raise Rejected(INVALID_REQUEST, "sha256: required with url", pid)
        if "sha256" in req and not _is_sha256(req["sha256"]):
            raise Rejected(INVALID_REQUEST, "sha256: expected 64 lowercase hex digits", pid)
        return req

    def _reject(self, command, r):
        extra = {"reason": r.reason, "detail": r.detail, "request": command}
        if r.error is not None:
            extra["error"] = r.error
        self.agent.console("%s rejected: %s: %s" % (command, r.reason, r.detail))
        self._status(r.program_id, REJECTED, **extra)

    def _load(self, req, now):
        pid = req["program_id"]
        auto = req.get("auto_start", True)
        self._supersede()
        if "source" in req:
            source = req["source"]
            data = source.encode()
            if len(data) > self.limits.source_bytes:
                raise Rejected(
                    TOO_LARGE,
                    "the source is %d bytes; the limit is %d"
                    % (len(data), self.limits.source_bytes),
                    pid,
                )
            sha = sha256_hex(data)
            if "sha256" in req and req["sha256"] != sha:
                raise Rejected(
                    HASH_MISMATCH, "sha256 of the source is %s, not %s" % (sha, req["sha256"]), pid
                )
            self._install(pid, source, sha, auto, False, now)
        elif "url" in req:
            self._fetches += 1
            rid = "fetch-%d" % self._fetches
            self.pending = [rid, pid, req["sha256"], auto, now + self.limits.fetch_timeout]
            self.agent.trace("fetch", {"request_id": rid, "url": req["url"], "program_id": pid})
            self.agent.emit(Fetch(rid, req["url"]))
        else:
            self._install_stored(pid, auto, now)

    def _install_stored(self, pid, auto, now):
        sha = self.store.find(pid)
        if sha is None:
            raise Rejected(UNKNOWN_PROGRAM, "no program %s is stored on this device" % pid, pid)
        source = self.store.load(pid, sha)
        if source is None:
            self._note_damage()
            raise Rejected(UNKNOWN_PROGRAM, "the stored copy of %s is damaged" % pid, pid)
        self._install(pid, source, sha, auto, True, now)

    def _supersede(self):
        if self.pending is not None:
            rid, pid = self.pending[0], self.pending[1]
            self.pending = None
            self._reject(
                "load",
                Rejected(SUPERSEDED, "a later load request replaced this one (%s)" % rid, pid),
            )

    def fetched(self, ev, now):
        p = self.pending
        if p is None or p[0] != ev.request_id:
            self.agent.trace("fetch", {"request_id": ev.request_id, "ignored": True})
            return
        self.pending = None
        pid, sha, auto = p[1], p[2], p[3]
        try:
            if ev.error is not None or ev.body is None:
                raise Rejected(FETCH_FAILED, "fetching the program failed: %s" % ev.error, pid)
            body = ev.body
            if len(body) > self.limits.source_bytes:
                raise Rejected(
                    TOO_LARGE,
                    "the fetched source is %d bytes; the limit is %d"
                    % (len(body), self.limits.source_bytes),
                    pid,
                )
            got = sha256_hex(body)
            if got != sha:
                raise Rejected(
                    HASH_MISMATCH, "sha256 of the fetched source is %s, not %s" % (got, sha), pid
                )
            try:
                source = body.decode()
            except UnicodeError:
                raise Rejected(
                    COMPILE_ERROR,
                    "the program text is not UTF-8",
                    pid,
                    _error_dict(PARSE, "the program text is not valid UTF-8"),
                )
            self._install(pid, source, sha, auto, False, now)
        except Rejected as r:
            self._reject("load", r)

    def _install(self, pid, source, sha, auto, stored, now):
        rt = self._runtime(pid, source, sha)
        try:
            rt.compile()
        except SteelError as e:
            raise Rejected(COMPILE_ERROR, str(e), pid, e.to_dict())
        try:
            if stored:
                self.store.set_current(pid, sha, auto)
            else:
                self.store.save(pid, sha, source, auto)
        except StorageError as e:
            self.agent.metrics.storage_errors += 1
            raise Rejected(STORAGE_FAILED, e.message, pid)
        self._end_current()
        self.runtime = rt
        self.program_id = pid
        self._set_state(LOADED)
        if auto:
            self._start(now)

    def _runtime(self, pid, source, sha):
        self._programs += 1
        seed = self.agent.rng.next32()
        return ProgramRuntime(self.agent, pid, source, sha, self.limits, seed)

    def _start(self, now):
        rt = self.runtime
        if rt.started:  # a restart runs the program afresh, in a new interpreter
            self._retire(rt)
            rt = self._runtime(rt.program_id, rt.source, rt.sha256)
            rt.compile()  # it compiled before, with the same API
            self.runtime = rt
        rt.start(now)
        self.agent.metrics.programs_run += 1
        self._set_state(RUNNING)

    def _start_request(self, req, now):
        pid = req.get("program_id", self.program_id)
        if pid is None:
            raise Rejected(INVALID_REQUEST, "no program_id given and no current program")
        if pid == self.program_id and self.runtime is not None:
            if self.state == RUNNING:
                self._status(pid, RUNNING)  # already running: say so, change nothing
                return
            self._persist_run(True)
            self._start(now)
            return
        self._install_stored(pid, True, now)

    def _stop_request(self, req):
        pid = req.get("program_id", self.program_id)
        if pid is None or pid != self.program_id or self.runtime is None:
            raise Rejected(
                UNKNOWN_PROGRAM,
                "%s is not the current program" % (pid if pid is not None else "(none)"),
                pid,
            )
        self._persist_run(False)
        self._halt(STOPPED)

    def _unload_request(self, req):
        pid = req.get("program_id", self.program_id)
        if pid is None:
            raise Rejected(INVALID_REQUEST, "no program_id given and no current program")
        current = pid == self.program_id and self.runtime is not None
        if not current and self.store.find(pid) is None:
            raise Rejected(UNKNOWN_PROGRAM, "no program %s is stored on this device" % pid, pid)
        try:
            self.store.forget(pid)
        except StorageError as e:
            self.agent.metrics.storage_errors += 1
            raise Rejected(STORAGE_FAILED, e.message, pid)
        if current:
            self._halt(STOPPED, unloaded=True)
            self._retire(self.runtime)
            self.runtime = None
            self.program_id = None
            self.state = None
            self.agent.report_state()
        else:
            self._status(pid, STOPPED, unloaded=True)

    def _persist_run(self, run):
        try:
            self.store.set_run(run)
        except StorageError as e:
            self.agent.metrics.storage_errors += 1
            self.agent.console("could not persist the program's run state: %s" % e.message)

    # --- running ---------------------------------------------------------------------------------

    def service(self, now):
        p = self.pending
        if p is not None and now >= p[4]:
            self.pending = None
            self._reject(
                "load",
                Rejected(
                    FETCH_FAILED,
                    "no answer to %s within %s s" % (p[0], self.limits.fetch_timeout),
                    p[1],
                ),
            )
        rt = self.runtime
        if rt is None or self.state != RUNNING:
            return
        err = rt.service(now)
        if err is not None:
            self.fail(err)
        elif not rt.busy():
            self._set_state(FINISHED)

    def fail(self, err):
        """End the current program with ``error`` (the device and its session carry on)."""
        rt = self.runtime
        filters = rt.stop("the program failed")
        self.agent.program_unsubscribe(filters)
        self.agent.metrics.program_failures += 1
        info = err.to_dict() if isinstance(err, SteelError) else _error_dict("Generic", str(err))
        self.agent.trace("error", {"program_id": rt.program_id, "error": info})
        self.agent.console("program %s failed: %s" % (rt.program_id, err))
        self._set_state(ERROR, error=info)

    def next_deadline(self):
        best = None
        if self.pending is not None:
            best = self.pending[4]
        rt = self.runtime
        if rt is not None and self.state == RUNNING:
            d = rt.next_deadline()
            if d is not None and (best is None or d < best):
                best = d
        return best

    def _halt(self, state, **extra):
        rt = self.runtime
        if rt is not None:
            self.agent.program_unsubscribe(rt.stop(state))
        self._set_state(state, **extra)

    def _end_current(self):
        """A new program replaces the current one: stop it (status ``stopped``)."""
        rt = self.runtime
        if rt is None:
            return
        if self.state in (RUNNING, LOADED):
            self._halt(STOPPED)
        else:
            self.agent.program_unsubscribe(rt.stop("replaced"))
        self._retire(rt)
        self.runtime = None

    def _retire(self, rt):
        self.agent.metrics.vm_steps_retired += rt.interp.steps

    # --- events for the running program ----------------------------------------------------------

    def deliver(self, program_topic, payload):
        rt = self.runtime
        if rt is None or self.state != RUNNING:
            return 0
        try:
            text = payload.decode()
        except UnicodeError:
            self.agent.trace(
                "error",
                {
                    "program_id": rt.program_id,
                    "message": "non-UTF-8 payload on %s dropped" % program_topic,
                },
            )
            return 0
        return rt.deliver(program_topic, text)

    def shadow_delta(self, payload, from_get):
        rt = self.runtime
        if rt is None or self.state != RUNNING or rt.shadow_handler is None:
            return False
        try:
            text = payload.decode()
            delta = _decode_delta(rt, text, from_get)
        except (UnicodeError, SteelError) as e:
            self.agent.trace(
                "error", {"program_id": rt.program_id, "message": "bad shadow message: %s" % e}
            )
            return False
        if delta is None:
            return False
        self.agent.trace("shadow-delta", {"program_id": rt.program_id, "delta": text})
        rt.shadow_delta(delta)
        return True

    def button(self, pressed):
        rt = self.runtime
        if rt is not None and self.state == RUNNING:
            rt.button(pressed)

    def device_filters(self):
        rt = self.runtime
        if rt is None or self.state != RUNNING:
            return []
        return rt.device_filters()

    # --- status ----------------------------------------------------------------------------------

    def _set_state(self, state, **extra):
        self.state = state
        self._status(self.program_id, state, **extra)
        self.agent.report_state()

    def _status(self, pid, state, **extra):
        msg = {
            "thing": self.agent.thing,
            "program_id": pid,
            "state": state,
            "ts": self.agent.wall_time(),
        }
        for k in extra:
            msg[k] = extra[k]
        self.agent.program_status(msg)


def _decode_delta(rt, text, from_get):
    from .shadow import delta_from

    return delta_from(text, rt.interp.builtin("json-decode").fn, from_get)


def _where(error):
    """`` (line L, column C)`` where the parser says (CPython does; MicroPython does not)."""
    line = getattr(error, "lineno", None)
    column = getattr(error, "colno", None)
    if line is None or column is None:
        return ""
    return " (line %d, column %d)" % (line, column)


def _error_dict(kind, message):
    return {"kind": kind, "message": message, "line": None, "column": None, "trace": []}
