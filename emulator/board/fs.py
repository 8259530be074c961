"""The filesystem port (``firmware.agent.ports.FileSystem``) over the virtual flash.

Why: the agent's storage code calls exactly these whole-file operations on the board
(littlefs through MicroPython's ``open``/``os``) and here; the errors are the ones
MicroPython raises (``OSError`` with ``ENOENT``, ``EISDIR``, ``ENOTEMPTY``, ``EEXIST``,
``ENOSPC``), and every call raises :class:`~emulator.board.flash.PowerLost` while the board
is off.  Paths are absolute or relative to "/" (MicroPython's working directory at boot).

It also offers what the serial console's ``os`` and ``open`` need (``stat``, ``rmdir``,
``ilistdir``, streaming writes), so a file copied in through the raw REPL lands in the same
flash, counted and cuttable like any other write.
"""

from __future__ import annotations

import errno
import posixpath

from firmware.agent import ports

from .flash import Flash, _err

S_IFDIR = 0x4000
S_IFREG = 0x8000


def normpath(path: str) -> str:
    """Absolute, normalised form of ``path`` ("" and "." are "/")."""
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, not {type(path).__name__}")
    joined = posixpath.normpath(posixpath.join("/", path))
    return "/" + joined.lstrip("/")


class VirtualFileSystem(ports.FileSystem):  # type: ignore[misc]
    """The board's littlefs, as the agent's port sees it."""

    def __init__(self, flash: Flash) -> None:
        self.flash = flash

    # --- the port interface --------------------------------------------------------------

    def read(self, path: str) -> bytes | None:
        p = self._path(path)
        self.flash.counters.reads += 1
        if self.flash.is_dir(p):
            raise _err(errno.EISDIR, p)
        return self.flash.file(p)

    def write(self, path: str, data: bytes) -> None:
        p = self._writable(path)
        self.flash.write_file(p, bytes(data))

    def rename(self, src: str, dst: str) -> None:
        s, d = self._path(src), self._path(dst)
        if not (self.flash.is_file(s) or self.flash.is_dir(s)) or s == "/":
            raise _err(errno.ENOENT, s)
        if not self.flash.is_dir(posixpath.dirname(d)):
            raise _err(errno.ENOENT, d)
        if s == d:
            return
        if self.flash.is_dir(s):
            if d.startswith(s.rstrip("/") + "/"):
                raise _err(errno.EINVAL, d)
            if self.flash.is_file(d):
                raise _err(errno.ENOTDIR, d)
            if self.flash.is_dir(d) and self.flash.children(d):
                raise _err(errno.ENOTEMPTY, d)
        elif self.flash.is_dir(d):
            raise _err(errno.EISDIR, d)
        self.flash.rename(s, d)

    def remove(self, path: str) -> None:
        """Delete a file or an empty directory; no error if nothing is there (port contract)."""
        p = self._path(path)
        if self.flash.is_file(p):
            self.flash.remove(p)
        elif self.flash.is_dir(p):
            self._rmdir(p)

    def listdir(self, path: str = "/") -> list[str]:
        p = self._path(path)
        return self.flash.children(p) if self.flash.is_dir(p) else []

    def mkdir(self, path: str) -> None:
        """Create ``path`` and its parents; no error if it exists as a directory."""
        p = self._path(path)
        parts = [part for part in p.split("/") if part]
        current = ""
        for part in parts:
            current += "/" + part
            if self.flash.is_file(current):
                raise _err(errno.EEXIST, current)
            if not self.flash.is_dir(current):
                self.flash.mkdir(current)

    # --- MicroPython's os, for the console -------------------------------------------------

    def exists(self, path: str) -> bool:
        p = self._path(path)
        return self.flash.is_file(p) or self.flash.is_dir(p)

    def isdir(self, path: str) -> bool:
        return self.flash.is_dir(self._path(path))

    def stat(self, path: str) -> tuple[int, ...]:
        """``os.stat`` as MicroPython returns it: (mode, 0, 0, 0, 0, 0, size, 0, 0, 0).

        Times are 0: the virtual flash keeps no mtime.
        """
        p = self._path(path)
        if self.flash.is_dir(p):
            return (S_IFDIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        data = self.flash.file(p)
        if data is None:
            raise _err(errno.ENOENT, p)
        return (S_IFREG, 0, 0, 0, 0, 0, len(data), 0, 0, 0)

    def ilistdir(self, path: str = "/") -> list[tuple[str, int, int, int]]:
        """``os.ilistdir`` entries: (name, type, inode, size)."""
        p = self._path(path)
        if not self.flash.is_dir(p):
            raise _err(errno.ENOENT, p)
        out = []
        for name in self.flash.children(p):
            child = posixpath.join(p, name)
            data = self.flash.file(child)
            if data is None:
                out.append((name, S_IFDIR, 0, 0))
            else:
                out.append((name, S_IFREG, 0, len(data)))
        return out

    def mkdir_one(self, path: str) -> None:
        """``os.mkdir``: one directory, parent must exist, EEXIST if present."""
        p = self._path(path)
        if self.exists(p):
            raise _err(errno.EEXIST, p)
        if not self.flash.is_dir(posixpath.dirname(p)):
            raise _err(errno.ENOENT, p)
        self.flash.mkdir(p)

    def rmdir(self, path: str) -> None:
        p = self._path(path)
        if not self.flash.is_dir(p):
            raise _err(errno.ENOENT, p)
        self._rmdir(p)

    def remove_file(self, path: str) -> None:
        """``os.remove``: ENOENT when absent (the port's ``remove`` is forgiving)."""
        p = self._path(path)
        if not self.exists(p):
            raise _err(errno.ENOENT, p)
        self.remove(p)

    def append(self, path: str, data: bytes) -> None:
        p = self._writable(path)
        self.flash.write_file(p, bytes(data), append=True)

    # --- internals -----------------------------------------------------------------------

    def _path(self, path: str) -> str:
        self.flash.check_power()
        return normpath(path)

    def _writable(self, path: str) -> str:
        p = self._path(path)
        if self.flash.is_dir(p):
            raise _err(errno.EISDIR, p)
        if not self.flash.is_dir(posixpath.dirname(p)):
            raise _err(errno.ENOENT, p)
        return p

    def _rmdir(self, p: str) -> None:
        if p == "/":
            raise _err(errno.EPERM, p)
        if self.flash.children(p):
            raise _err(errno.ENOTEMPTY, p)
        self.flash.remove(p)
