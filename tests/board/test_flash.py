"""Flash and filesystem: counting, power-cut tearing at every N, atomic rename, snapshots."""

from __future__ import annotations

import errno
from collections.abc import Callable

import pytest

from emulator.board.flash import CHUNK, Flash, PowerLost
from emulator.board.fs import VirtualFileSystem

DATA = bytes(i % 251 for i in range(3 * CHUNK + 100))  # four chunks: 256, 256, 256, 100


def make() -> tuple[Flash, VirtualFileSystem]:
    flash = Flash()
    return flash, VirtualFileSystem(flash)


def test_port_contract_basics() -> None:
    _, fs = make()
    assert fs.read("/missing") is None
    fs.mkdir("/steel/programs")  # parents too
    fs.mkdir("/steel/programs")  # exists: no error
    fs.write("/steel/programs/p.scm", b"(led-on)")
    assert fs.read("steel/programs/p.scm") == b"(led-on)"  # relative to "/"
    assert fs.listdir("/steel") == ["programs"]
    assert fs.listdir("/nope") == []
    fs.remove("/steel/programs/p.scm")
    fs.remove("/steel/programs/p.scm")  # absent: no error
    assert fs.listdir("/steel/programs") == []


def test_errors_are_micropython_oserrors() -> None:
    _, fs = make()
    fs.mkdir("/d")
    fs.write("/d/f", b"x")
    cases: list[tuple[Callable[[], object], int]] = [
        (lambda: fs.write("/nodir/f", b"x"), errno.ENOENT),
        (lambda: fs.write("/d", b"x"), errno.EISDIR),
        (lambda: fs.read("/d"), errno.EISDIR),
        (lambda: fs.rename("/missing", "/x"), errno.ENOENT),
        (lambda: fs.remove("/d"), errno.ENOTEMPTY),
        (lambda: fs.mkdir("/d/f/g"), errno.EEXIST),
    ]
    for call, code in cases:
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == code


def test_writes_are_counted_in_256_byte_flash_writes() -> None:
    flash, fs = make()
    fs.write("/a", DATA)
    assert flash.counters.writes == 4
    assert flash.counters.bytes_programmed == len(DATA)
    fs.write("/empty", b"")
    assert flash.counters.writes == 5
    fs.rename("/a", "/b")
    fs.remove("/b")
    fs.mkdir("/x/y")
    assert flash.counters.writes == 9
    assert (flash.counters.renames, flash.counters.removes, flash.counters.mkdirs) == (1, 1, 2)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_power_cut_tears_the_nth_write_of_a_multi_chunk_write(n: int) -> None:
    flash, fs = make()
    fs.write("/a", b"old contents")
    flash.cut_power_at(n)
    with pytest.raises(PowerLost):
        fs.write("/a", DATA)
    landed = (n - 1) * CHUNK + len(DATA[(n - 1) * CHUNK : n * CHUNK]) // 2
    assert flash.file("/a") == DATA[:landed]  # earlier chunks, then half of the cut one
    assert not flash.powered
    # The board is off: every further call raises until power returns.
    calls: tuple[Callable[[], object], ...] = (
        lambda: fs.read("/a"),
        lambda: fs.listdir("/"),
        lambda: fs.write("/b", b""),
    )
    for call in calls:
        with pytest.raises(PowerLost):
            call()
    flash.power_on()
    assert fs.read("/a") == DATA[:landed]
    assert flash.counters.power_cuts == 1


def test_torn_prefix_length_is_configurable() -> None:
    flash, fs = make()
    flash.cut_power_at(2, keep=10)
    with pytest.raises(PowerLost):
        fs.write("/a", DATA)
    assert flash.file("/a") == DATA[: CHUNK + 10]


def test_nothing_after_the_cut_lands() -> None:
    flash, fs = make()
    flash.cut_power_at(1)
    with pytest.raises(PowerLost):
        fs.write("/a", b"x")
    flash.power_on()
    fs.write("/b", b"y")  # armed cuts fire once
    assert fs.read("/b") == b"y"


def test_rename_is_atomic_under_a_cut() -> None:
    flash, fs = make()
    fs.write("/cfg", b"v1")
    fs.write("/cfg.tmp", b"v2")
    flash.cut_power_at(1)
    with pytest.raises(PowerLost):
        fs.rename("/cfg.tmp", "/cfg")
    flash.power_on()
    assert (fs.read("/cfg"), fs.read("/cfg.tmp")) == (b"v1", b"v2")  # not half-renamed
    fs.rename("/cfg.tmp", "/cfg")
    assert (fs.read("/cfg"), fs.read("/cfg.tmp")) == (b"v2", None)


def store(fs: VirtualFileSystem, path: str, data: bytes) -> None:
    """The power-safe pattern: write a temporary file, then rename it over the old one."""
    fs.write(path + ".tmp", data)
    fs.rename(path + ".tmp", path)


def test_a_sweep_over_every_write_of_a_safe_store_always_leaves_old_or_new() -> None:
    flash, fs = make()
    fs.mkdir("/programs")
    store(fs, "/programs/current", b"OLD" * 100)
    before = flash.snapshot()
    start = flash.counters.writes
    store(fs, "/programs/current", DATA)
    total = flash.counters.writes - start
    assert total == 5  # four chunks and a rename
    for n in range(1, total + 1):
        flash.restore(before)
        flash.power_on()
        flash.cut_power_at(n)
        with pytest.raises(PowerLost):
            store(fs, "/programs/current", DATA)
        flash.power_on()
        assert fs.read("/programs/current") in (b"OLD" * 100, DATA), n
    flash.disarm()


def test_a_naive_in_place_write_is_caught_by_the_sweep() -> None:
    flash, fs = make()
    fs.write("/p", b"OLD")
    before = flash.snapshot()
    torn = []
    for n in range(1, 5):
        flash.restore(before)
        flash.power_on()
        flash.cut_power_at(n)
        with pytest.raises(PowerLost):
            fs.write("/p", DATA)
        flash.power_on()
        if fs.read("/p") not in (b"OLD", DATA):
            torn.append(n)
    assert torn == [1, 2, 3, 4]


def test_directory_rename_moves_the_subtree() -> None:
    _, fs = make()
    fs.mkdir("/slot_b/lib")
    fs.write("/slot_b/lib/m.py", b"m")
    fs.write("/slot_b/main.py", b"main")
    fs.rename("/slot_b", "/slot_a")
    assert fs.listdir("/") == ["slot_a"]
    assert fs.read("/slot_a/lib/m.py") == b"m"
    with pytest.raises(OSError):
        fs.rename("/slot_a", "/slot_a/lib/inside")


def test_snapshot_restore_and_capacity() -> None:
    flash, fs = make()
    fs.write("/keep", b"1")
    image = flash.snapshot()
    fs.write("/keep", b"2")
    fs.write("/new", b"3")
    flash.restore(image)
    assert fs.read("/keep") == b"1" and fs.read("/new") is None
    with pytest.raises(OSError) as info:
        fs.write("/huge", bytes(3 * 1024 * 1024))
    assert info.value.errno == errno.ENOSPC


def test_micropython_os_extras() -> None:
    _, fs = make()
    fs.mkdir_one("/lib")
    with pytest.raises(OSError):
        fs.mkdir_one("/lib")
    with pytest.raises(OSError):
        fs.mkdir_one("/a/b")
    fs.write("/lib/x.py", b"abc")
    assert fs.stat("/lib/x.py")[0] == 0x8000 and fs.stat("/lib/x.py")[6] == 3
    assert fs.stat("/lib")[0] == 0x4000
    assert fs.ilistdir("/lib") == [("x.py", 0x8000, 0, 3)]
    fs.append("/lib/x.py", b"def")
    assert fs.read("/lib/x.py") == b"abcdef"
    with pytest.raises(OSError):
        fs.rmdir("/lib")
    fs.remove_file("/lib/x.py")
    fs.rmdir("/lib")
    with pytest.raises(OSError):
        fs.remove_file("/lib/x.py")
