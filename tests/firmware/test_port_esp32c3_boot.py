"""The board's ``/main.py`` (firmware/ports/esp32c3/boot_main.py) on a fake board that boots
what is on its flash: the slot the selector picks, a broken update reset and rolled back
after three attempts, the BOOT escape, the old layout without slots.

Each power-on is a fresh interpreter as far as the firmware can tell (esp32c3_boot): the
slot's own copy of ``firmware`` is imported from the slot's directory.  Runs under CPython
and MicroPython.
"""

import json

from firmware.agent.version import FIRMWARE_VERSION
from firmware.boot import selector
from tests.firmware import esp32c3_boot as boot

SHADOW_UPDATE = "$aws/things/dev-1/shadow/update"

# A build that does not even compile: what a broken bundle leaves in a slot.
BROKEN = {
    "__init__.py": b"",
    "ports/__init__.py": b"",
    "ports/esp32c3/__init__.py": b"",
    "ports/esp32c3/app.py": b"def main(:\n    pass\n",
}


def reported_firmware(hw):
    for text in hw.broker.messages(SHADOW_UPDATE):
        agent = json.loads(text)["state"]["reported"].get("agent")
        if agent is not None:
            return agent.get("firmware")
    return None


def up(hw):
    """The agent is running: it reported its firmware in the shadow."""
    return lambda: reported_firmware(hw) is not None


def factory_board(version="0.1.7", provisioned=True):
    board = boot.FlashBoard()
    board.flash(boot.factory_files(version))
    if provisioned:
        board.provision()
    return board


def test_the_factory_image_boots_slot_a_and_its_app_reports_the_slots_version():
    board = factory_board("0.1.7")  # not the code's constant: the version is the slot's
    hw = board.hw
    assert board.power_on(until=up(hw)) == "halted"
    assert board.booted_slot() == "a"
    assert reported_firmware(hw) == "0.1.7" != FIRMWARE_VERSION
    assert "boot: slot a" in hw.console
    assert "agent: firmware 0.1.7 from slot a" in hw.console
    record = board.record()
    assert (record["active"], record["pending"], record["attempts"]) == ("a", None, 0)
    assert len(hw.broker.connects) == 1 and hw.resets == 0


def test_a_slot_that_does_not_import_resets_three_times_then_the_old_slot_boots():
    board = factory_board()
    hw = board.hw
    board.flash(boot.slot_files("b", BROKEN, "2.0.0"))
    selector.arm(board.fs(), "b", "2.0.0")
    for attempt in (1, 2, 3):
        assert board.power_on(until=up(hw)) == "reset"
        assert hw.resets == attempt
        assert "boot: slot b on trial (attempt %d)" % attempt in hw.console
        record = board.record()
        assert (record["pending"], record["attempts"]) == ("b", attempt)
    # each failure was printed with its traceback, naming the file that broke
    assert any(line.startswith("boot: the app failed:") for line in hw.console)
    assert any("app.py" in line for line in hw.console)
    assert any("SyntaxError" in line for line in hw.console)
    assert hw.broker.connects == []  # the broken build never got as far as the network
    assert board.power_on(until=up(hw)) == "halted"
    assert board.booted_slot() == "a"
    assert reported_firmware(hw) == "0.1.7"
    record = board.record()
    assert (record["active"], record["pending"], record["attempts"]) == ("a", None, 0)
    assert record["last"] == {"slot": "b", "outcome": selector.BOOT_FAILED}
    assert hw.console[-1] != "boot: slot b on trial (attempt 4)"


def test_a_trial_boot_that_cannot_read_the_config_counts_as_failed_but_the_active_slot_waits():
    board = factory_board(provisioned=False)
    hw = board.hw
    board.flash(boot.slot_files("b", boot.checkout_firmware(), "2.0.0"))
    fs = board.fs()
    record = selector.arm(fs, "b", "2.0.0")
    record["attempts"] = 2
    selector.write_record(fs, record)
    # on trial: the new code cannot start, so the board resets and the selector counts it
    assert board.power_on() == "reset"
    assert any("agent: cannot start: /config.json: missing" in line for line in hw.console)
    assert board.record()["attempts"] == 3
    # the active slot says what is missing and leaves the REPL free (no reset loop)
    assert board.power_on() == "returned"
    assert board.booted_slot() == "a"
    assert board.record()["last"]["outcome"] == selector.BOOT_FAILED
    assert hw.resets == 1


def test_boot_held_skips_the_selector_and_imports_nothing():
    board = factory_board()
    hw = board.hw
    board.flash(boot.slot_files("b", BROKEN, "2.0.0"))
    selector.arm(board.fs(), "b", "2.0.0")
    hw.press()
    assert board.power_on() == "returned"
    assert board.booted[-1] is None  # not even the selector chose a slot
    assert board.record()["attempts"] == 0  # and no attempt was counted
    assert any("BOOT held" in line for line in hw.console)
    assert hw.broker.connects == [] and hw.wifi_joins == 0 and hw.resets == 0


def test_a_boot_record_that_cannot_be_written_boots_the_active_slot_uncounted():
    board = factory_board()
    hw = board.hw
    board.flash(boot.slot_files("b", BROKEN, "2.0.0"))
    selector.arm(board.fs(), "b", "2.0.0")
    board.write("/boot.json.tmp/blocker", b"")  # the record's temporary file cannot be made
    assert board.power_on(until=up(hw)) == "halted"
    assert board.booted_slot() == "a"
    assert any("the boot record cannot be written" in line for line in hw.console)
    assert board.record()["pending"] == "b"  # untouched: decided again at the next boot


def test_a_board_with_the_old_root_layout_boots_the_firmware_at_the_root():
    board = boot.FlashBoard()
    hw = board.hw
    board.flash(boot.root_layout_files())
    board.provision()
    assert not board.exists("/slots")
    assert board.power_on(until=up(hw)) == "halted"
    assert board.booted_slot() is None
    assert (board.booted[-1] or "").replace("\\", "/").startswith(board.root + "/firmware/")
    assert "boot: no app slots: the firmware at the filesystem root" in hw.console
    assert reported_firmware(hw) == FIRMWARE_VERSION  # no slot.json: the code's own
    assert not board.exists("/boot.json")  # nothing written for a board without slots


def test_a_root_tree_from_before_the_slots_runs_its_own_main():
    board = boot.FlashBoard()
    old = {
        "__init__.py": b"",
        "ports/__init__.py": b"",
        "ports/esp32c3/__init__.py": b"",
        "ports/esp32c3/main.py": b"import machine\n\n\ndef main():\n    machine.old_main = True\n",
    }
    files = boot.boot_files()
    for rel in old:
        files["/firmware/" + rel] = old[rel]
    board.flash(files)
    assert board.power_on() == "returned"
    assert board.hw.fakes["machine"].old_main is True
