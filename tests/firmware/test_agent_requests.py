"""Every bad request gets its `rejected` status, and the device keeps running its program."""

from firmware.agent.storage import sha256_hex
from tests.firmware.agent_fakes import FakeFS, Rig, config
from tests.firmware.support import read_text

MONITOR = read_text("scenarios", "programs", "sensor-monitor.scm")
URL = "https://programs.example/blink.scm"
GOOD = '(log "info" "fetched")'


def running_rig():
    rig = Rig()
    rig.load("m", MONITOR)
    assert rig.agent.program_state == "running"
    return rig


def rejected(rig):
    last = rig.last_status()
    assert last["state"] == "rejected", last
    assert rig.agent.program_id == "m" and rig.agent.program_state == "running"
    return last


def test_not_json():
    rig = running_rig()
    rig.deliver("steel-programs/dev-1/load", b"{not json")
    last = rejected(rig)
    assert last["reason"] == "invalid-json" and last["program_id"] is None
    assert last["request"] == "load"
    rig.deliver("steel-programs/dev-1/load", b"\xff\xfe")
    assert rejected(rig)["reason"] == "invalid-json"


def test_json_that_is_not_an_object():
    rig = running_rig()
    rig.deliver("steel-programs/dev-1/load", "[1, 2]")
    assert rejected(rig)["reason"] == "invalid-request"


def test_missing_program_id():
    rig = running_rig()
    rig.deliver("steel-programs/dev-1/load", {"source": "(+ 1 2)"})
    last = rejected(rig)
    assert last["reason"] == "invalid-request" and "program_id: missing" in last["detail"]


def test_ill_typed_fields():
    rig = running_rig()
    cases = [
        ({"program_id": 42}, "program_id"),
        ({"program_id": ""}, "program_id"),
        ({"program_id": "x" * 65}, "program_id"),
        ({"program_id": "has space"}, "program_id"),
        ({"program_id": "p", "auto_start": "yes"}, "auto_start"),
        ({"program_id": "p", "source": 7}, "source"),
        ({"program_id": "p", "url": "ftp://x", "sha256": "0" * 64}, "url"),
        ({"program_id": "p", "url": 3, "sha256": "0" * 64}, "url"),
        ({"program_id": "p", "url": URL}, "sha256: required"),
        ({"program_id": "p", "url": URL, "sha256": "ABC"}, "sha256"),
        ({"program_id": "p", "url": URL, "sha256": "A" * 64}, "sha256"),
        ({"program_id": "p", "source": "1", "sha256": 5}, "sha256"),
        ({"program_id": "p", "source": "1", "url": URL, "sha256": "0" * 64}, "not both"),
    ]
    for req, word in cases:
        rig.deliver("steel-programs/dev-1/load", req)
        last = rejected(rig)
        assert last["reason"] == "invalid-request", (req, last)
        assert word in last["detail"], (req, last["detail"])


def test_unknown_program():
    rig = running_rig()
    rig.load("nope")
    last = rejected(rig)
    assert last["reason"] == "unknown-program" and last["program_id"] == "nope"
    rig.command("start", {"program_id": "nope"})
    assert rejected(rig)["reason"] == "unknown-program"
    rig.command("stop", {"program_id": "nope"})
    assert rejected(rig)["reason"] == "unknown-program"
    rig.command("unload", {"program_id": "nope"})
    assert rejected(rig)["reason"] == "unknown-program"


def test_load_of_a_stored_program_whose_copy_is_damaged():
    rig = running_rig()
    rig.load("other", "(+ 1 2)")
    rig.load("m", MONITOR)
    store = rig.agent.programs.store
    path = store.file_for("other", store.find("other"))
    rig.fs.files[path] = rig.fs.files[path][:-4]
    rig.load("other")
    last = rejected(rig)
    assert last["reason"] == "unknown-program" and "damaged" in last["detail"]
    assert rig.agent.metrics_snapshot()["storage_errors"] == 1


def test_inline_hash_mismatch():
    rig = running_rig()
    rig.load("p", "(+ 1 2)", sha256="0" * 64)
    last = rejected(rig)
    assert last["reason"] == "hash-mismatch" and last["program_id"] == "p"
    rig.load("p", "(+ 1 2)", sha256=sha256_hex(b"(+ 1 2)"))
    assert rig.agent.program_id == "p"


def test_url_load_fetches_checks_the_hash_and_runs():
    rig = running_rig()
    rig.fetch_bodies[URL] = GOOD.encode()
    rig.load("f", url=URL, sha256=sha256_hex(GOOD.encode()))
    assert rig.states("f")[:2] == ["loaded", "running"]
    assert [f["message"] for f in rig.traced("log")][-1] == "fetched"


def test_fetched_hash_mismatch():
    rig = running_rig()
    rig.fetch_bodies[URL] = b"(evil)"
    rig.load("f", url=URL, sha256=sha256_hex(GOOD.encode()))
    last = rejected(rig)
    assert last["reason"] == "hash-mismatch" and last["program_id"] == "f"


def test_fetch_failure():
    rig = running_rig()
    rig.load("f", url=URL, sha256="0" * 64)  # the fake server answers 404
    last = rejected(rig)
    assert last["reason"] == "fetch-failed" and "404" in last["detail"]


def test_fetch_timeout():
    rig = running_rig()
    rig.hold_fetches = True
    rig.load("f", url=URL, sha256="0" * 64)
    assert rig.states()[-1] == "running"
    rig.advance(61)
    last = rejected(rig)
    assert last["reason"] == "fetch-failed" and "no answer" in last["detail"]
    rig.fetch_bodies[URL] = GOOD.encode()
    rig.release_fetches()  # a late answer is ignored
    assert rig.agent.program_id == "m"


def test_a_later_load_supersedes_a_pending_fetch():
    rig = running_rig()
    rig.hold_fetches = True
    rig.fetch_bodies[URL] = GOOD.encode()
    rig.load("f", url=URL, sha256=sha256_hex(GOOD.encode()))
    rig.load("g", "(+ 1 2)")
    superseded = [s for s in rig.statuses() if s.get("reason") == "superseded"]
    assert len(superseded) == 1 and superseded[0]["program_id"] == "f"
    rig.release_fetches()
    assert rig.agent.program_id == "g"


def test_fetched_text_that_is_not_utf8_is_a_compile_error():
    rig = running_rig()
    body = b"(log \xff)"
    rig.fetch_bodies[URL] = body
    rig.load("f", url=URL, sha256=sha256_hex(body))
    last = rejected(rig)
    assert last["reason"] == "compile-error" and last["error"]["kind"] == "Parse"


def test_too_large():
    rig = running_rig()
    big = "(define x 1)\n" * 6000  # 78,000 bytes
    rig.load("big", big)
    assert rejected(rig)["reason"] == "too-large"
    rig.fetch_bodies[URL] = big.encode()
    rig.load("big", url=URL, sha256=sha256_hex(big.encode()))
    assert rejected(rig)["reason"] == "too-large"
    rig.deliver("steel-programs/dev-1/load", b"x" * 200000)
    assert rejected(rig)["reason"] == "too-large"


def test_compile_error_carries_kind_line_and_column():
    rig = running_rig()
    rig.load("bad", "(define (f x)\n  (+ x 1))\n(f 1 2 3 (undefined-thing))")
    last = rejected(rig)
    assert last["reason"] == "compile-error"
    err = last["error"]
    assert err["kind"] == "FreeIdentifier", err
    assert err["line"] == 3 and err["column"] == 11, err
    rig.load("bad", "(define (f x)\n  (+ x 1)")
    err = rejected(rig)["error"]
    assert err["kind"] == "Parse" and err["line"] is not None


def test_start_stop_unload_payload_errors():
    rig = running_rig()
    for cmd in ("start", "stop", "unload"):
        rig.command(cmd, b"not json")
        assert rejected(rig)["reason"] == "invalid-json"
        rig.command(cmd, {"program_id": 5})
        assert rejected(rig)["reason"] == "invalid-request"
        assert rig.last_status()["request"] == cmd


def test_start_and_unload_with_no_current_program():
    rig = Rig()
    rig.command("start")
    assert rig.last_status()["reason"] == "invalid-request"
    rig.command("unload")
    assert rig.last_status()["reason"] == "invalid-request"
    rig.command("stop")
    assert rig.last_status()["reason"] == "unknown-program"


def test_a_storage_failure_is_answered_and_the_old_program_keeps_running():
    rig = running_rig()
    rig.fs.full = True
    rig.load("p", "(+ 1 2)")
    last = rejected(rig)
    assert last["reason"] == "storage-failed" and "writing" in last["detail"]
    assert rig.agent.metrics_snapshot()["storage_errors"] == 1
    rig.fs.full = False
    rig.load("p", "(+ 1 2)")
    assert rig.agent.program_id == "p"


def test_stop_and_unload_storage_failures():
    rig = running_rig()
    rig.fs.full = True
    rig.command("stop")  # the program stops; only the flag could not be saved
    assert rig.agent.program_state == "stopped"
    rig.command("unload")
    assert rig.last_status()["reason"] == "storage-failed"
    assert rig.agent.metrics_snapshot()["storage_errors"] == 2


def test_the_device_stays_up_through_a_barrage_of_garbage():
    rig = running_rig()
    for payload in (b"", b"null", b"{}", b"[]", b'"x"', b"1e999", b"{" * 1000, b"\x00"):
        rig.deliver("steel-programs/dev-1/load", payload)
        rig.deliver("steel-programs/broadcast/load", payload)
    assert rig.agent.program_state == "running"
    rig.advance(61)
    assert len(rig.on("sensors/dev-1/data")) == 2


def test_a_fresh_device_without_a_data_dir_works():
    fs = FakeFS()
    rig = Rig(cfg=config(), fs=fs)
    rig.load("p", "(+ 1 2)")
    assert "/data/current.json" in fs.files
