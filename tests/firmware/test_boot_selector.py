"""The boot selector (firmware/boot/selector.py): which slot a board boots, how a trial slot
is counted and given up on, and that a power cut while the record is written leaves the old
record or the new one, never a board that boots nothing.  Runs on CPython and MicroPython."""

from firmware.boot import selector
from tests.firmware.agent_fakes import FakeFS, PowerCut
from tests.firmware.support import raises


def factory_fs():
    """A factory board: slot a holds the app, there is no boot record yet."""
    fs = FakeFS()
    fs.mkdir("/slots/a/firmware")
    fs.write("/slots/a/slot.json", b'{"version": "1.0.0"}')
    fs.write("/slots/a/firmware/__init__.py", b"")
    return fs


def test_a_board_without_slots_boots_the_old_layout():
    fs = FakeFS()
    assert selector.choose(fs) == (None, None)
    assert not selector.has_slots(fs)
    assert fs.read(selector.RECORD) is None  # nothing written for an old-layout board


def test_a_factory_board_boots_slot_a_and_writes_nothing():
    fs = factory_fs()
    fs.writes = []
    slot, record = selector.choose(fs)
    assert slot == "a"
    assert record["pending"] is None and record["attempts"] == 0
    assert fs.writes == []


def test_an_armed_slot_is_tried_max_attempts_times_then_given_up():
    fs = factory_fs()
    selector.arm(fs, "b", "1.1.0")
    booted = [selector.choose(fs)[0] for _ in range(selector.MAX_ATTEMPTS)]
    assert booted == ["b"] * selector.MAX_ATTEMPTS
    assert selector.read_record(fs)["attempts"] == selector.MAX_ATTEMPTS
    slot, record = selector.choose(fs)
    assert slot == "a"
    assert record["pending"] is None
    assert record["last"] == {"slot": "b", "outcome": selector.BOOT_FAILED}
    # and it stays given up: the next boots are slot a with nothing pending
    assert selector.choose(fs)[0] == "a"


def test_commit_makes_the_trial_slot_active_and_is_idempotent():
    fs = factory_fs()
    selector.arm(fs, "b", "1.1.0")
    assert selector.choose(fs)[0] == "b"
    record = selector.commit(fs, "b", "1.1.0")
    assert record["active"] == "b" and record["pending"] is None
    assert record["last"] == {"slot": "b", "outcome": selector.COMMITTED, "version": "1.1.0"}
    fs.writes = []
    again = selector.commit(fs, "b", "1.1.0")  # a cut between the commit and its report
    assert again["active"] == "b"
    assert fs.writes == []
    assert selector.choose(fs)[0] == "b"


def test_reject_goes_back_to_the_active_slot():
    fs = factory_fs()
    selector.arm(fs, "b", "1.1.0")
    assert selector.choose(fs)[0] == "b"
    record = selector.reject(fs, "b")
    assert record["active"] == "a" and record["pending"] is None
    assert record["last"]["outcome"] == selector.SELF_TEST_FAILED
    assert selector.choose(fs)[0] == "a"


def test_the_active_slot_cannot_be_armed():
    fs = factory_fs()
    with raises(ValueError, match="active"):
        selector.arm(fs, "a")
    assert selector.read_record(fs)["pending"] is None


def test_a_damaged_record_means_slot_a_with_nothing_pending():
    good = factory_fs()
    selector.arm(good, "b", "1.1.0")
    blob = good.read(selector.RECORD)
    damaged = [
        blob[: len(blob) // 2],  # torn
        blob[:-2] + b"x}",  # a flipped byte: the checksum no longer matches
        b"{}",  # no header at all
        b"SHS1 zz\n{}",  # a garbled header
        b"",
    ]
    for data in damaged:
        fs = factory_fs()
        fs.files[selector.RECORD] = data
        slot, record = selector.choose(fs)
        assert slot == "a", data
        assert record["pending"] is None


def test_fields_out_of_range_are_dropped_one_by_one():
    fs = factory_fs()
    selector.write_record(
        fs, {"format": 1, "active": "b", "pending": "b", "attempts": -4, "last": "x"}
    )
    record = selector.read_record(fs)
    assert record == {"format": 1, "active": "b", "pending": None, "attempts": 0, "last": None}
    selector.write_record(fs, {"format": 1, "active": "c"})
    assert selector.read_record(fs)["active"] == "a"


def test_a_power_cut_while_arming_leaves_the_old_record_or_the_new_one():
    # write_record is a write of the .tmp file and a rename: cut at each in turn
    for n in (1, 2, 3):
        for tear in (0.0, 0.5, 1.0):
            fs = factory_fs()
            selector.write_record(fs, selector.default_record())
            fs.tear = tear
            fs.arm(n)
            try:
                selector.arm(fs, "b", "1.1.0")
                cut = False
            except PowerCut:
                cut = True
            fs.cut_at = None
            record = selector.read_record(fs)
            if cut:
                assert record["pending"] in (None, "b"), (n, tear)
            else:
                assert record["pending"] == "b"
            # whatever the cut left, the board boots a slot that exists
            assert selector.choose(fs)[0] in ("a", "b")


def test_a_cut_during_the_commit_keeps_the_trial_running():
    for n in (1, 2):
        fs = factory_fs()
        selector.arm(fs, "b", "1.1.0")
        assert selector.choose(fs)[0] == "b"
        fs.arm(n)
        with raises(PowerCut):
            selector.commit(fs, "b", "1.1.0")
        fs.cut_at = None
        record = selector.read_record(fs)
        # the commit did not happen: the trial goes on (and may still commit next boot)
        assert record["pending"] == "b" and record["active"] == "a"
        assert selector.choose(fs)[0] == "b"
        assert selector.commit(fs, "b", "1.1.0")["active"] == "b"


def test_a_record_that_reads_back_wrong_is_not_installed():
    fs = factory_fs()
    selector.write_record(fs, selector.default_record())
    fs.garble = True
    with raises(OSError):
        selector.arm(fs, "b", "1.1.0")
    fs.garble = False
    assert selector.read_record(fs)["pending"] is None


def test_a_record_from_a_newer_app_with_fields_this_copy_does_not_know_still_boots():
    fs = factory_fs()
    selector.write_record(
        fs,
        {"format": 1, "active": "b", "pending": "a", "attempts": 1, "last": None, "extra": 7},
    )
    slot, record = selector.choose(fs)
    assert slot == "a" and record["attempts"] == 2
