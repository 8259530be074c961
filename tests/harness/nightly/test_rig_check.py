"""``steelhil rig check``: real rig files, real power commands, real lock files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.cli import main
from harness.rig import acquire, load

SWITCH = """\
#!/bin/sh
# a stand-in relay controller: `switch NAME on|off|status`, state in $SWITCH_DIR
case "$2" in
  on|off) echo "$2" > "$SWITCH_DIR/$1"; echo "$1 $2" >> "$SWITCH_DIR/calls" ;;
  status) [ -e "$SWITCH_DIR/broken-$1" ] && { echo "relay $1 does not answer" >&2; exit 4; }
          echo "$1 status" >> "$SWITCH_DIR/calls"; cat "$SWITCH_DIR/$1" 2>/dev/null || echo off ;;
esac
"""


def write_switch(directory: Path) -> Path:
    path = directory / "switch"
    path.write_text(SWITCH)
    path.chmod(0o755)
    return path


def rig_file(tmp_path: Path, switch: Path, extra: str = "") -> Path:
    rig = tmp_path / "rig.yaml"
    rig.write_text(
        textwrap.dedent(
            f"""\
            locks: locks
            boards:
              - name: emu-a
                backend: emulated
                power: {{driver: command, power_on: [{switch}, emu-a, "on"],
                         power_off: [{switch}, emu-a, "off"], status: [{switch}, emu-a, status]}}
              - name: pty-a
                backend: emulated-pty
                power: {{driver: command, power_on: [{switch}, pty-a, "on"],
                         power_off: [{switch}, pty-a, "off"], status: [{switch}, pty-a, status]}}
            """
        )
        + extra
    )
    return rig


@pytest.fixture(autouse=True)
def switch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "switch-state"
    directory.mkdir()
    monkeypatch.setenv("SWITCH_DIR", str(directory))
    return directory


def test_a_whole_rig_lists_every_board(
    tmp_path: Path, switch_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = rig_file(tmp_path, write_switch(tmp_path))
    assert main(["rig", "check", "--rig", str(rig)]) == 0
    out = capsys.readouterr().out
    assert "the rig is whole: 2 board(s)" in out
    assert "emu-a  emulated" in out and "ok command: answers" in out
    assert (switch_dir / "calls").read_text() == "emu-a status\npty-a status\n"  # nothing switched


def test_a_missing_port_a_silent_relay_and_a_held_lock(
    tmp_path: Path, switch_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    switch = write_switch(tmp_path)
    rig = rig_file(
        tmp_path,
        switch,
        "  - name: bench-1\n    backend: serial\n    port: /dev/ttyACM-steelhil-absent\n"
        "    flash: false\n",
    )
    (switch_dir / "broken-pty-a").touch()
    spec = next(b for b in load(rig).boards if b.name == "emu-a")
    holder = subprocess.Popen(  # another process holds emu-a's lock
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom harness.rig import acquire, load\n"
            "rig = load(sys.argv[1])\nwith acquire(rig.boards[0], lock_dir=rig.lock_dir):\n"
            "    print('held', flush=True); time.sleep(60)\n",
            str(rig),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert main(["rig", "check", "--rig", str(rig), "--json"]) == 1
        result = json.loads(capsys.readouterr().out)
    finally:
        holder.kill()
        holder.wait(10)
    boards = {b["name"]: b for b in result["boards"]}
    assert result["whole"] is False
    assert boards["emu-a"]["whole"] and f"pid {holder.pid}" in boards["emu-a"]["lock"]
    assert not boards["pty-a"]["power_ok"]
    assert "exited with 4: relay pty-a does not answer" in boards["pty-a"]["power"]
    assert boards["bench-1"]["port"] == (
        "/dev/ttyACM-steelhil-absent does not exist (is the board plugged in?)"
    )
    with acquire(spec, lock_dir=load(rig).lock_dir):  # the lock is free again
        pass


def test_a_power_command_that_is_not_installed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text(
        "boards:\n  - name: emu-a\n    backend: emulated\n"
        "    power: {driver: command, power_on: [relayctl-not-here, 'on'], "
        "power_off: [relayctl-not-here, 'off']}\n"
    )
    assert main(["rig", "check", "--rig", str(rig)]) == 1
    out = capsys.readouterr().out
    assert "NOT ANSWERING command: relayctl-not-here is not on PATH" in out
    assert "the rig is not whole: emu-a" in out


def test_a_wrong_rig_file_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rig = tmp_path / "rig.yaml"
    rig.write_text("boards:\n  - name: emu-a\n    backend: emulated\n    powr: {}\n")
    assert main(["rig", "check", "--rig", str(rig)]) == 2
    err = capsys.readouterr().err
    assert f"{rig}:4:5: boards[0].powr: unknown key (did you mean 'power'?)" in err
    assert "Traceback" not in err
    assert os.path.exists(rig)
