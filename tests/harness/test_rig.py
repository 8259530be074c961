"""Rig files: good ones, every kind of error (file:line:column, field path, suggestion),
selecting boards by tag, and board locks across processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.base import BackendError, BoardSpec
from harness.rig import (
    BoardBusy,
    RigError,
    acquire,
    acquire_any,
    boards_for_run,
    load,
    select,
)

GOOD = """\
version: 1
locks: locks
boards:
  - name: bench-c3-1
    backend: serial
    serial_number: "F4:12:FA:00:00:01"
    tags: [c3, lab-a]
    micropython: images/ESP32_GENERIC_C3-v1.27.0.bin
    power: {driver: usb-relay, port: /dev/ttyUSB3, channel: 2}
  - name: bench-c3-2
    backend: serial
    usb_location: "1-1.3:1.0"
    tags: [c3]
    flash: false
    power:
      driver: command
      power_on: [relayctl, "2", "on"]
      power_off: [relayctl, "2", "off"]
  - name: renode-1
    backend: renode
    tags: [renode]
emulated:
  - count: 3
    tags: [virtual, c3]
  - count: 1
    backend: emulated-pty
    prefix: pty
    tags: [virtual, pty]
    sensors: {temperature: 21.5}
"""


def write(tmp_path: Path, text: str, name: str = "rig.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(RigError) as caught:
        load(path)
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in caught.value.problems), caught.value.problems
    return [p[len(prefix) :] for p in caught.value.problems]


def test_a_good_rig_becomes_board_specs(tmp_path: Path) -> None:
    rig = load(write(tmp_path, GOOD))
    names = [b.name for b in rig.boards]
    assert names == ["bench-c3-1", "bench-c3-2", "renode-1", "emu-1", "emu-2", "emu-3", "pty-1"]
    first = rig.boards[0]
    assert first.backend == "serial"
    assert first.tags == frozenset({"c3", "lab-a"})
    assert first.options["serial_number"] == "F4:12:FA:00:00:01"
    assert first.options["micropython"] == str(tmp_path / "images/ESP32_GENERIC_C3-v1.27.0.bin")
    assert first.options["power"] == {"driver": "usb-relay", "port": "/dev/ttyUSB3", "channel": 2}
    assert rig.boards[1].options["flash"] is False
    assert {b.backend for b in rig.boards[3:6]} == {"emulated"}
    assert rig.boards[6].backend == "emulated-pty"
    assert rig.boards[6].options == {"sensors": {"temperature": 21.5}}
    assert rig.lock_dir == tmp_path / "locks"


def test_the_example_in_docs_rig_md_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "rig.md").read_text()
    example = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    rig = load(write(tmp_path, example))
    assert [b.name for b in rig.boards] == [
        "bench-c3-1",
        "bench-c3-2",
        "bench-c3-3",
        "renode-1",
        "emu-1",
        "emu-2",
        "emu-3",
        "pty-1",
        "pty-2",
    ]
    assert rig.lock_dir == Path("/var/lock/steelhil")
    assert rig.boards[0].options["wifi"] == {"ssid": "lab-iot", "password_env": "LAB_WIFI_PASSWORD"}


def test_select_by_tags_and_count(tmp_path: Path) -> None:
    rig = load(write(tmp_path, GOOD))
    assert [b.name for b in rig.select(tags=["c3"])] == [
        "bench-c3-1",
        "bench-c3-2",
        "emu-1",
        "emu-2",
        "emu-3",
    ]
    assert [b.name for b in select(rig.boards, tags={"c3"}, backend="serial", count=1)] == [
        "bench-c3-1"
    ]
    with pytest.raises(BackendError) as caught:
        select(rig.boards, tags=["lab-a"], count=2)
    assert str(caught.value) == "needs 2 board(s) tagged lab-a; the rig has 1 (bench-c3-1)"


def test_unknown_keys_are_located_and_the_nearest_key_suggested(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        bords: []
        boards:
          - name: b1
            backend: serial
            prot: /dev/ttyACM0
            power: {driver: usb-relay, port: /dev/ttyUSB0, chanel: 1}
        emulated: {count: 2, tagz: [x]}
        """,
    )
    assert found == [
        "1:1: bords: unknown key (did you mean 'boards'?)",
        "5:5: boards[0].prot: unknown key (did you mean 'port'?)",
        "6:52: boards[0].power.chanel: unknown key (did you mean 'channel'?)",
        "7:22: emulated.tagz: unknown key (did you mean 'tags'?)",
    ]


def test_wrong_types_and_missing_keys(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        boards:
          - name: b1
            backend: serial
            tags: c3
            baud: fast
            power: {driver: uhubctl, port: 0}
          - backend: serial
            port: /dev/ttyACM1
        emulated:
          count: many
        """,
    )
    assert found == [
        "4:11: boards[0].tags: expected a list of strings, got 'c3'",
        "5:11: boards[0].baud: expected an integer, got 'fast'",
        "6:36: boards[0].power.port: expected at least 1, got 0",
        "6:12: boards[0].power: missing required key 'location'",
        "7:5: boards[1]: missing required key 'name'",
        "10:10: emulated.count: expected an integer, got 'many'",
    ]


def test_unknown_backends_and_power_drivers_suggest_what_exists(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        boards:
          - {name: b1, backend: seriall, port: /dev/ttyACM0}
          - {name: b2, backend: serial, port: /dev/ttyACM1, power: {driver: usb-relais}}
          - {name: b3, backend: serial, port: /dev/ttyACM2, power: {on: [x]}}
        """,
    )
    assert found == [
        "2:25: boards[0].backend: unknown backend 'seriall' (did you mean 'serial'?)",
        "3:69: boards[1].power.driver: unknown power driver 'usb-relais' (did you mean "
        "'usb-relay'?)",
        "4:60: boards[2].power.driver: missing 'driver' (available: command, none, uhubctl, "
        "usb-relay)",
    ]


def test_yaml_booleans_as_keys_get_a_hint(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        boards:
          - name: b1
            backend: serial
            port: /dev/ttyACM0
            power: {driver: command, on: [relay, "on"], power_off: [relay, "off"]}
        """,
    )
    assert found == [
        "5:30: boards[0].power: keys must be text, got True (YAML reads 'on' as true: quote it)",
        "5:12: boards[0].power: missing required key 'power_on'",
    ]


def test_names_must_be_unique_thing_names_and_keys_unique(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        boards:
          - {name: emu-1, backend: serial, port: /dev/ttyACM0}
          - name: "no spaces"
            backend: serial
            port: /dev/ttyACM1
            port: /dev/ttyACM2
        emulated: {count: 2}
        """,
    )
    assert found == [
        "6:5: boards[1].port: duplicate key (first given at line 5)",
        "3:11: boards[1].name: 'no spaces' is not a thing name (1-128 of a-z A-Z 0-9 : _ -, "
        "not 'broadcast')",
        "7:11: emulated: the name 'emu-1' is already taken (line 2)",
    ]


def test_yaml_syntax_errors_and_empty_files_are_located(tmp_path: Path) -> None:
    found = problems(tmp_path, "boards:\n  - name: b1\n    backend: [serial\n")
    assert len(found) == 1 and found[0].startswith("4:1: not valid YAML:")
    assert problems(tmp_path, "") == [
        "1:1: the rig file is empty; it needs `boards:` or `emulated:`"
    ]
    assert problems(tmp_path, "version: 2\nboards: []\n") == [
        "1:10: version: this harness reads version 1, not 2"
    ]
    assert problems(tmp_path, "- a\n") == ["1:1: expected a mapping, got a list"]


def test_a_missing_rig_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RigError, match=r"nope\.yaml: cannot read the rig file"):
        load(tmp_path / "nope.yaml")


# --- locks across processes ---------------------------------------------------------------

HOLDER = """
import sys
from pathlib import Path
from harness.backends.base import BoardSpec
from harness.rig import acquire
with acquire(BoardSpec(sys.argv[1], "serial"), 5, Path(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.readline()
"""


@contextlib.contextmanager
def held_elsewhere(name: str, lock_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds ``name``'s lock until the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, name, str(lock_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTEST_XDIST_WORKER": "gw7"},
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        if child.poll() is None:
            child.stdin.write("\n")
            child.stdin.flush()
        child.wait(10)


def test_two_processes_never_hold_one_board(tmp_path: Path) -> None:
    spec = BoardSpec("bench-c3-1", "serial")
    with held_elsewhere("bench-c3-1", tmp_path) as child:
        with pytest.raises(BoardBusy) as caught, acquire(spec, 0.2, tmp_path):
            pass
        message = str(caught.value)
        assert f"pid {child.pid}" in message and "xdist worker gw7" in message
    with acquire(spec, 5, tmp_path) as got:  # released: ours now
        assert got is spec
        assert f"pid {os.getpid()}" in (tmp_path / "bench-c3-1.lock").read_text()


def test_a_lock_dies_with_its_holder(tmp_path: Path) -> None:
    spec = BoardSpec("bench-c3-1", "serial")
    with held_elsewhere("bench-c3-1", tmp_path) as child:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        with acquire(spec, 5, tmp_path):
            pass


def test_acquire_any_takes_the_free_boards(tmp_path: Path) -> None:
    specs = [BoardSpec(f"b{i}", "serial") for i in range(3)]
    with held_elsewhere("b0", tmp_path), acquire_any(specs, 2, 0.2, tmp_path) as got:
        assert [s.name for s in got] == ["b1", "b2"]
        with pytest.raises(BoardBusy, match="got 0 within"), acquire_any(specs, 1, 0.1, tmp_path):
            pass


def test_boards_for_run_leaves_out_boards_other_workers_hold(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("locks: locks", f"locks: {tmp_path / 'locks'}"))
    with held_elsewhere("bench-c3-1", tmp_path / "locks"), contextlib.ExitStack() as stack:
        names = [b.name for b in boards_for_run(path, stack)]
        assert "bench-c3-1" not in names
        assert names[:2] == ["bench-c3-2", "renode-1"]
        assert "emu-1" in names and "pty-1" in names
        other = BoardSpec("bench-c3-2", "serial")
        with pytest.raises(BoardBusy), acquire(other, 0, tmp_path / "locks"):
            pass  # the run holds bench-c3-2 (a second open file's flock conflicts, as another
            # process's would)
