"""Reboots restore the stored program; a power cut at every flash write of a program load
(a sweep) always leaves a device that boots and runs the last complete program."""

from firmware.agent.storage import ProgramStore, Storage, sha256_hex
from tests.firmware.agent_fakes import FakeFS, PowerCut, Rig

OLD = '(define (beat) (mqtt-publish "beat" "old") (set-timer "b" 10 beat)) (beat)'
NEW = '(define (beat) (mqtt-publish "beat" "new") (set-timer "b" 10 beat)) (beat)'


def reboot(fs, now=1000.0):
    fs.cut_at = None
    return Rig(fs=fs, now=now)


def beats(rig):
    return [p for _, p in rig.on("beat/dev-1")]


def test_reboot_restores_and_restarts_the_running_program():
    rig = Rig()
    rig.load("hb", OLD)
    rig2 = reboot(rig.fs)
    assert rig2.agent.program_id == "hb" and rig2.agent.program_state == "running"
    assert rig2.states("hb") == ["loaded", "running"]
    assert beats(rig2) == ["old"]
    rig2.advance(25)
    assert beats(rig2) == ["old", "old", "old"]
    report = rig2.shadow_reports()[-1]["state"]["reported"]["agent"]
    assert report["program"] == {"id": "hb", "state": "running"}


def test_statuses_from_boot_wait_for_the_connection():
    rig = Rig()
    rig.load("hb", OLD)
    rig.fs.cut_at = None
    rig2 = Rig(fs=rig.fs, online=False)
    assert rig2.published == []
    assert rig2.agent.program_state == "running"
    rig2.online = True
    rig2.run_until(rig2.agent.next_deadline())
    assert rig2.states("hb") == ["loaded", "running"]


def test_a_stopped_program_stays_stopped_after_reboot():
    rig = Rig()
    rig.load("hb", OLD)
    rig.command("stop")
    rig2 = reboot(rig.fs)
    assert rig2.agent.program_id == "hb" and rig2.agent.program_state == "loaded"
    assert beats(rig2) == []
    rig2.command("start")
    assert beats(rig2) == ["old"]


def test_auto_start_false_is_not_started_at_boot():
    rig = Rig()
    rig.load("hb", OLD, auto_start=False)
    assert reboot(rig.fs).agent.program_state == "loaded"


def test_an_unloaded_program_is_gone_after_reboot():
    rig = Rig()
    rig.load("hb", OLD)
    rig.command("unload")
    rig2 = reboot(rig.fs)
    assert rig2.agent.program_id is None and rig2.statuses() == []


def test_a_program_that_failed_runs_again_after_reboot():
    rig = Rig()
    rig.load("f", '(mqtt-publish "beat" "try") (car 1)')
    assert rig.agent.program_state == "error"
    rig2 = reboot(rig.fs)
    assert rig2.states("f") == ["loaded", "running", "error"]
    assert beats(rig2) == ["try"]


def test_a_damaged_stored_program_is_reported_at_boot():
    rig = Rig()
    rig.load("hb", OLD)
    store = rig.agent.programs.store
    path = store.file_for("hb", sha256_hex(OLD.encode()))
    rig.fs.files[path] = rig.fs.files[path][:-5]
    rig2 = reboot(rig.fs)
    last = rig2.last_status()
    assert last["state"] == "error" and last["error"]["kind"] == "StorageError"
    assert rig2.agent.metrics_snapshot()["storage_errors"] >= 1
    assert any(f.get("action") == "damaged" for f in rig2.traced("storage"))
    rig2.load("new", NEW)  # and the device still takes a new program
    assert beats(rig2) == ["new"]


def test_a_stored_program_that_no_longer_compiles_is_an_error_at_boot():
    fs = FakeFS()
    ps = ProgramStore(Storage(fs), "/data")
    ps.boot()
    src = "(no-such-procedure)"
    ps.save("old", sha256_hex(src.encode()), src, True)
    rig = Rig(fs=fs)
    last = rig.last_status()
    assert last["state"] == "error" and last["error"]["kind"] == "FreeIdentifier"
    assert rig.agent.program_id == "old"


def sweep(base, action, check):
    """Cut power at the 1st, 2nd, ... flash write/rename of ``action``; after each cut,
    reboot and ``check``.  Returns the number of cut points."""
    n = 1
    while True:
        fs = base.clone()
        rig = Rig(fs=fs, now=0.0)
        fs.arm(n)
        try:
            action(rig)
        except PowerCut:
            check(reboot(fs), n, False)
            n += 1
            continue
        fs.cut_at = None
        check(reboot(fs), n, True)
        return n - 1


def test_power_cut_sweep_while_storing_a_program_replacing_another():
    base = FakeFS()
    Rig(fs=base).load("hb", OLD)
    seen = []

    def check(rig, n, completed):
        agent = rig.agent
        assert agent.program_state == "running", (n, rig.statuses())
        assert beats(rig) in (["old"], ["new"]), (n, beats(rig))
        tmp = [p for p in rig.fs.files if p.endswith(".tmp")]
        assert tmp == [], (n, tmp)
        assert len(rig.fs.listdir("/data/programs")) <= 2
        seen.append(beats(rig)[0])
        if completed:
            assert agent.program_id == "hb2" and beats(rig) == ["new"]

    cuts = sweep(base, lambda rig: rig.load("hb2", NEW), check)
    assert cuts >= 4  # program file (write, rename) and pointer (write, rename)
    assert "old" in seen and "new" in seen
    # Before the pointer's rename the old program runs; after it, the new one.
    assert seen == ["old"] * (len(seen) - seen.count("new")) + ["new"] * seen.count("new")


def test_power_cut_sweep_while_replacing_a_program_under_the_same_id():
    base = FakeFS()
    Rig(fs=base).load("hb", OLD)

    def check(rig, n, completed):
        assert rig.agent.program_id == "hb" and rig.agent.program_state == "running"
        assert beats(rig) in (["old"], ["new"])
        if completed:
            assert beats(rig) == ["new"]

    assert sweep(base, lambda rig: rig.load("hb", NEW), check) >= 4


def test_power_cut_sweep_on_a_fresh_device():
    def check(rig, n, completed):
        if rig.agent.program_id is None:
            assert not completed and rig.statuses() == []
        else:
            assert beats(rig) == ["new"]

    assert sweep(FakeFS(), lambda rig: rig.load("hb", NEW), check) >= 4


def test_power_cut_sweep_during_stop_and_unload():
    base = FakeFS()
    Rig(fs=base).load("hb", OLD)

    def check_stop(rig, n, completed):
        assert rig.agent.program_id == "hb"
        assert rig.agent.program_state in ("running", "loaded")
        if completed:
            assert rig.agent.program_state == "loaded"

    assert sweep(base, lambda rig: rig.command("stop"), check_stop) == 2

    def check_unload(rig, n, completed):
        if completed:
            assert rig.agent.program_id is None
        else:
            assert rig.agent.program_id == "hb" and beats(rig) == ["old"]

    assert sweep(base, lambda rig: rig.command("unload"), check_unload) == 2


def test_torn_writes_at_every_length_never_load():
    base = FakeFS()
    Rig(fs=base).load("hb", OLD)
    for tear in (0.0, 0.1, 0.9, 0.999):
        fs = base.clone()
        fs.tear = tear
        rig = Rig(fs=fs)
        fs.arm(3)  # the pointer's temp file
        try:
            rig.load("hb2", NEW)
        except PowerCut:
            pass
        rig2 = reboot(fs)
        assert rig2.agent.program_id == "hb" and beats(rig2) == ["old"]
