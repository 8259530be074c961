"""The board's persistent flash, as the filesystem on it sees it, with power-cut injection.

Why: the agent must store programs, certificates and config so that power can be cut at
*any* flash write and the device still boots with the last complete version.  The harness
proves it by sweeping a power cut over every write of a store operation; this module makes
writes countable and cuttable:

* a file write is split into flash writes (program operations) of at most 256 bytes
  (:data:`CHUNK`); an empty write is one flash write (create/truncate).  ``rename``,
  ``remove`` and each directory ``mkdir`` creates are one flash write each;
* with a cut armed at write *N*, the *N*-th write is **torn** (for a data chunk only a
  prefix lands: ``keep`` bytes, by default half the chunk; a rename, remove or mkdir is
  atomic, as on littlefs, so a cut one simply does not happen), nothing after it lands, and
  the flash is unpowered: every further operation raises :class:`PowerLost` until
  :meth:`Flash.power_on`;
* the contents survive resets and power cycles (it is flash); :meth:`snapshot` and
  :meth:`restore` copy them, for sweeps.

The model is deliberately *more* pessimistic than littlefs: littlefs is copy-on-write and
commits a file's new contents only when it is closed, so a torn file cannot appear on a real
board; here a write truncates first and lands chunk by chunk, so a store routine that is
power-safe on this model is power-safe on the board.

Capacity is the 2 MiB vfs partition of the 4 MB board (512 blocks of 4096 bytes);
``ENOSPC`` is raised from an estimate of littlefs's block usage (files up to 128 bytes are
inlined in their directory's metadata; larger ones take whole blocks; each directory a
metadata pair; two blocks for the superblock), not from a real allocator.
"""

from __future__ import annotations

import errno
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

CHUNK = 256
BLOCK_SIZE = 4096
BLOCK_COUNT = 512
INLINE_MAX = 128


class PowerLost(BaseException):
    """The board has no power: raised by every flash (and board) operation until power returns.

    A ``BaseException`` on purpose: on a real board the CPU simply stops, so firmware code
    must not be able to catch this with ``except Exception`` and carry on as if it had
    survived.  The driver around the agent catches it and treats the board as off.
    """


def _err(code: int, path: str) -> OSError:
    return OSError(code, errno.errorcode[code], path)


@dataclass(frozen=True)
class FlashImage:
    """An immutable copy of the flash contents: path -> bytes, and the set of directories."""

    files: Mapping[str, bytes]
    dirs: frozenset[str]


@dataclass
class FlashCounters:
    """What the flash has been asked to do since the counters were last reset."""

    writes: int = 0  # flash writes (program operations), including torn ones
    bytes_programmed: int = 0
    file_writes: int = 0  # write() calls (each one or more flash writes)
    renames: int = 0
    removes: int = 0
    mkdirs: int = 0
    reads: int = 0
    power_cuts: int = 0
    history: list[str] = field(default_factory=list, repr=False)


class Flash:
    """Files and directories in persistent flash; absolute, normalised paths ("/a/b")."""

    def __init__(
        self,
        *,
        block_size: int = BLOCK_SIZE,
        block_count: int = BLOCK_COUNT,
        record_history: bool = False,
    ) -> None:
        self.block_size = block_size
        self.block_count = block_count
        self._files: dict[str, bytes] = {}
        self._dirs: set[str] = {"/"}
        self.counters = FlashCounters()
        self.powered = True
        self._record = record_history
        self._cut_at: int | None = None
        self._cut_keep: int | None = None
        self._since_armed = 0
        self._on_cut: list[Callable[[], None]] = []

    # --- power --------------------------------------------------------------------------

    def cut_power_at(self, nth_write: int, keep: int | None = None) -> None:
        """Cut power during the ``nth_write``-th flash write from now (1 = the next one).

        ``keep``: how many bytes of a torn data chunk land (default: half the chunk).
        """
        if nth_write < 1:
            raise ValueError("nth_write counts from 1")
        self._cut_at = nth_write
        self._cut_keep = keep
        self._since_armed = 0

    def disarm(self) -> None:
        self._cut_at = None

    @property
    def armed(self) -> bool:
        return self._cut_at is not None

    def on_power_cut(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when an armed cut fires (the board turns itself off)."""
        self._on_cut.append(callback)

    def power_off(self) -> None:
        self.powered = False

    def power_on(self) -> None:
        self.powered = True

    def check_power(self) -> None:
        if not self.powered:
            raise PowerLost("the board is unpowered")

    # --- contents -----------------------------------------------------------------------

    def snapshot(self) -> FlashImage:
        return FlashImage(MappingProxyType(dict(self._files)), frozenset(self._dirs))

    def restore(self, image: FlashImage) -> None:
        """Replace the contents with ``image`` (counts no writes; power state unchanged)."""
        self._files = dict(image.files)
        self._dirs = set(image.dirs) | {"/"}

    def erase(self) -> None:
        self._files.clear()
        self._dirs = {"/"}

    def program(self, files: Mapping[str, bytes]) -> None:
        """Add ``files`` (absolute path -> bytes) as a flashing tool would, before the board
        runs: no writes counted, no cut.  The bytes are kept as given, so boards programmed
        with the same image share them."""
        for path, data in files.items():
            parent = posixpath.dirname(path)
            while parent not in self._dirs:
                self._dirs.add(parent)
                parent = posixpath.dirname(parent)
            self._files[path] = data

    def is_file(self, path: str) -> bool:
        return path in self._files

    def is_dir(self, path: str) -> bool:
        return path in self._dirs

    def file(self, path: str) -> bytes | None:
        return self._files.get(path)

    def children(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {
            p[len(prefix) :].split("/", 1)[0]
            for p in (*self._files, *self._dirs)
            if p.startswith(prefix) and p != prefix
        }
        return sorted(names)

    def walk_files(self) -> Iterator[tuple[str, bytes]]:
        yield from sorted(self._files.items())

    def used_blocks(self, extra: Mapping[str, int] | None = None) -> int:
        """Estimated littlefs blocks in use (see the module docstring)."""
        sizes = {p: len(d) for p, d in self._files.items()}
        if extra:
            sizes.update(extra)
        data = sum(-(-n // self.block_size) for n in sizes.values() if n > INLINE_MAX)
        return 2 + 2 * len(self._dirs) + data

    # --- flash writes (each may be the cut one) ---------------------------------------------

    def write_file(self, path: str, data: bytes, *, append: bool = False) -> None:
        """Program ``data`` into ``path`` in chunks (truncating first unless ``append``)."""
        self.check_power()
        base = self._files.get(path, b"") if append else b""
        if self.used_blocks({path: len(base) + len(data)}) > self.block_count:
            raise _err(errno.ENOSPC, path)
        self.counters.file_writes += 1
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
        if append and not data:
            chunks = []
            if path not in self._files:
                chunks = [b""]
        written = base
        for chunk in chunks:
            if self._count(f"write {path} +{len(chunk)}"):
                keep = len(chunk) // 2 if self._cut_keep is None else self._cut_keep
                self._files[path] = written + chunk[: max(0, min(keep, len(chunk)))]
                self.counters.bytes_programmed += max(0, min(keep, len(chunk)))
                self._cut()
            written += chunk
            self._files[path] = written
            self.counters.bytes_programmed += len(chunk)
        if not append:
            self._files[path] = data  # the same bytes: boards writing one image share it

    def rename(self, src: str, dst: str) -> None:
        self.check_power()
        self.counters.renames += 1
        if self._count(f"rename {src} {dst}"):
            self._cut()
        if src in self._files:
            self._files[dst] = self._files.pop(src)
            return
        prefix = src.rstrip("/") + "/"
        self._dirs.discard(src)
        self._dirs.add(dst)
        for p in [p for p in self._dirs if p.startswith(prefix)]:
            self._dirs.discard(p)
            self._dirs.add(dst + p[len(src) :])
        for p in [p for p in self._files if p.startswith(prefix)]:
            self._files[dst + p[len(src) :]] = self._files.pop(p)

    def remove(self, path: str) -> None:
        self.check_power()
        self.counters.removes += 1
        if self._count(f"remove {path}"):
            self._cut()
        self._files.pop(path, None)
        self._dirs.discard(path)

    def mkdir(self, path: str) -> None:
        self.check_power()
        if self.used_blocks() + 2 > self.block_count:
            raise _err(errno.ENOSPC, path)
        self.counters.mkdirs += 1
        if self._count(f"mkdir {path}"):
            self._cut()
        self._dirs.add(path)

    def _count(self, what: str) -> bool:
        """Count one flash write; True if it is the one the power cut hits."""
        self.counters.writes += 1
        if self._record:
            self.counters.history.append(what)
        if self._cut_at is None:
            return False
        self._since_armed += 1
        return self._since_armed == self._cut_at

    def _cut(self) -> None:
        self._cut_at = None
        self.powered = False
        self.counters.power_cuts += 1
        for callback in list(self._on_cut):
            callback()
        raise PowerLost(f"power cut at flash write {self.counters.writes}")
