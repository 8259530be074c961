"""Executing console snippets against the virtual board: the REPL's namespace and executor.

Why: the harness has one serial driver (pyserial + raw REPL, like mpremote) for real boards
and virtual ones.  On a board MicroPython executes what it receives; here **CPython**
executes it, in a namespace that reaches the *virtual* board and never the host:

* ``open`` (modes r, rb, w, wb, a, ab; files on the virtual flash, writes counted and
  cuttable like the firmware's own), ``print`` (to the console, ``\\n`` sent as ``\\r\\n``
  as the board does);
* ``import`` gives the virtual ``os`` (listdir, ilistdir, mkdir, rmdir, remove, rename,
  stat, statvfs, getcwd, chdir, sync, uname, urandom), ``machine`` (reset, soft_reset,
  reset_cause, unique_id, freq, Pin for GPIO7/2/9), ``time`` (virtual: sleep*, ticks_*,
  time with MicroPython's 2000 epoch), ``sys``, ``gc`` and ``micropython`` (heap figures
  from the board's model) and a few pure modules (hashlib, binascii, json, struct, errno,
  math, re, random, collections, io's BytesIO/StringIO); the ``u``-prefixed aliases too;
  anything else raises ``ImportError``;
* errors come back as MicroPython prints them (``OSError: [Errno 2] ENOENT``), with only
  the snippet's own frames (``File "<stdin>", line N``) in the traceback.

Limits, honestly: it is CPython, so syntax and behaviour are CPython's (f-strings with
``=``, ``match``, dict order, big floats all "work" here and may not on the board), error
messages for built-in exceptions are CPython's, and this is **not a sandbox** (a snippet
can reach the host through object introspection; the harness is trusted, the namespace only
keeps honest code honest).  A snippet that runs more than ``line_budget`` lines of its own is
stopped with ``KeyboardInterrupt`` so a ``while True: pass`` cannot hang the harness.
"""

from __future__ import annotations

import ast
import binascii
import builtins
import collections
import errno
import hashlib
import io
import json
import math
import os as _host_os
import random
import re
import struct
import sys
import time as _host_time
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .flash import PowerLost
from .fs import VirtualFileSystem, normpath

if TYPE_CHECKING:
    from .surface import ConsoleBoard

#: MicroPython's time.time() counts from 2000-01-01 on the ESP32.
EPOCH_2000 = 946_684_800

PURE_MODULES: dict[str, types.ModuleType] = {
    "hashlib": hashlib,
    "binascii": binascii,
    "json": json,
    "struct": struct,
    "errno": errno,
    "math": math,
    "re": re,
    "random": random,
    "collections": collections,
}

_HIDDEN_BUILTINS = ("open", "input", "exit", "quit", "help", "breakpoint", "copyright", "credits")


class HardReset(BaseException):
    """``machine.reset()`` was called: the board resets once the snippet has unwound."""


class SoftReset(BaseException):
    """``machine.soft_reset()`` was called (``sys.exit()`` has the same effect)."""


Kind = Literal["ok", "error", "soft-reset", "hard-reset", "power-lost"]


@dataclass
class Outcome:
    """How a snippet ended; ``traceback`` is MicroPython-style text (``\\r\\n`` lines)."""

    kind: Kind
    traceback: str = ""


def format_exception(exc: BaseException) -> str:
    """The exception as MicroPython prints it, with the snippet's frames only."""
    frames = []
    if isinstance(exc, SyntaxError):
        frames.append(f'  File "<stdin>", line {exc.lineno or 1}')
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == "<stdin>":
            frames.append(f'  File "<stdin>", line {tb.tb_lineno}, in {code.co_name}')
        tb = tb.tb_next
    # MicroPython prints the header only when there is a frame to show.
    lines = ["Traceback (most recent call last):", *frames] if frames else []
    lines.append(_exception_line(exc))
    return "\r\n".join(lines) + "\r\n"


def _exception_line(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, OSError) and isinstance(exc.errno, int):
        # CPython picks a subclass (FileNotFoundError...) from the errno; MicroPython has
        # only OSError, and prints the errno's name.
        code = errno.errorcode.get(exc.errno)
        return f"OSError: [Errno {exc.errno}] {code}" if code else f"OSError: {exc.errno}"
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg}"
    if not exc.args:
        return f"{name}: "
    return f"{name}: {exc}"


class _Stdout:
    """``sys.stdout`` for snippets: text to the console, newlines cooked to CRLF."""

    def __init__(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit

    def write(self, text: str | bytes) -> int:
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        self._emit(data.replace(b"\n", b"\r\n"))
        return len(text)

    def flush(self) -> None:
        pass


class VirtualFile:
    """A file on the virtual flash, opened from a snippet."""

    def __init__(self, fs: VirtualFileSystem, path: str, mode: str) -> None:
        self._fs = fs
        self._path = path
        self._binary = "b" in mode
        self._writing = mode[0] in "wa"
        self._closed = False
        self._pos = 0
        self._data = b""
        if mode[0] == "r":
            data = fs.read(path)
            if data is None:
                raise OSError(errno.ENOENT, "ENOENT")
            self._data = data
        elif mode[0] == "w":
            fs.write(path, b"")
        else:
            fs.append(path, b"")

    # reading
    def read(self, size: int = -1) -> str | bytes:
        self._check(False)
        end = len(self._data) if size is None or size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk if self._binary else chunk.decode("utf-8")

    def readinto(self, buf: bytearray | memoryview) -> int:
        self._check(False)
        chunk = self._data[self._pos : self._pos + len(buf)]
        buf[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def readline(self) -> str | bytes:
        self._check(False)
        nl = self._data.find(b"\n", self._pos)
        end = len(self._data) if nl < 0 else nl + 1
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk if self._binary else chunk.decode("utf-8")

    def readlines(self) -> list[str | bytes]:
        out: list[str | bytes] = []
        while True:
            line = self.readline()
            if not line:
                return out
            out.append(line)

    def seek(self, offset: int, whence: int = 0) -> int:
        self._check(False)
        base = (0, self._pos, len(self._data))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    # writing
    def write(self, data: str | bytes | bytearray | memoryview) -> int:
        self._check(True)
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if isinstance(data, str) == self._binary:
            raise TypeError("write() argument has the wrong type for this file's mode")
        self._fs.append(self._path, raw)
        return len(raw)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> VirtualFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> VirtualFile:
        return self

    def __next__(self) -> str | bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _check(self, writing: bool) -> None:
        if self._closed:
            raise ValueError("I/O operation on closed file")
        if writing != self._writing:
            raise OSError(errno.EBADF, "EBADF")


class ReplSession:
    """The RAM of one boot as the REPL sees it: globals that persist between snippets.

    mpremote relies on that (``f=open(...)`` in one exec, ``w(...)`` in the next).  A soft
    or hard reset replaces the session.
    """

    def __init__(
        self, board: ConsoleBoard, emit: Callable[[bytes], None], line_budget: int = 5_000_000
    ) -> None:
        self._board = board
        self._emit = emit
        self.line_budget = line_budget
        self.stdout = _Stdout(emit)
        self._cwd = "/"
        self.modules = self._make_modules()
        self.globals: dict[str, Any] = {"__name__": "__main__", "__builtins__": self._builtins()}

    # --- running ---------------------------------------------------------------------------

    def run(self, source: bytes | str, mode: Literal["exec", "single"] = "exec") -> Outcome:
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        try:
            code = self._compile(text, mode)
            self._with_budget(lambda: exec(code, self.globals))
        except HardReset:
            return Outcome("hard-reset")
        except (SoftReset, SystemExit):
            return Outcome("soft-reset")
        except PowerLost:
            return Outcome("power-lost")
        except BaseException as exc:  # everything else is the snippet's error, reported
            return Outcome("error", format_exception(exc))
        return Outcome("ok")

    def _compile(self, text: str, mode: Literal["exec", "single"]) -> types.CodeType:
        tree = ast.parse(text, "<stdin>", "exec")
        body = tree.body
        if mode == "single" and len(body) == 1 and isinstance(body[0], ast.Expr):
            # The friendly REPL echoes an expression's value, as MicroPython's does.
            value = body[0].value
            show = ast.Call(ast.Name("__repl_show__", ast.Load()), [value], [])
            body[0].value = ast.copy_location(show, value)
            ast.fix_missing_locations(tree)
        return compile(tree, "<stdin>", "exec")

    def _with_budget(self, fn: Callable[[], None]) -> None:
        remaining = self.line_budget

        def local(frame: types.FrameType, event: str, arg: object) -> Any:
            nonlocal remaining
            if event == "line":
                remaining -= 1
                if remaining < 0:
                    raise KeyboardInterrupt
            return local

        def tracer(frame: types.FrameType, event: str, arg: object) -> Any:
            return local if frame.f_code.co_filename == "<stdin>" else None

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            fn()
        finally:
            sys.settrace(previous)

    # --- the namespace ----------------------------------------------------------------------

    def _builtins(self) -> dict[str, Any]:
        namespace = dict(vars(builtins))
        for name in _HIDDEN_BUILTINS:
            namespace.pop(name, None)
        namespace["print"] = self._print
        namespace["open"] = self._open
        namespace["__import__"] = self._import
        namespace["__repl_show__"] = self._show
        return namespace

    def _print(self, *args: object, sep: str = " ", end: str = "\n", file: Any = None) -> None:
        (file or self.stdout).write(sep.join(str(a) for a in args) + end)

    def _show(self, value: object) -> None:
        if value is not None:
            self.stdout.write(repr(value) + "\n")

    def _open(self, path: str, mode: str = "r", *args: object, **kwargs: object) -> VirtualFile:
        base = mode.replace("b", "").replace("t", "")
        if base not in ("r", "w", "a"):
            raise OSError(errno.EINVAL, "EINVAL")
        return VirtualFile(self._board.fs, self._abspath(path), mode)

    def _import(
        self,
        name: str,
        globals: object = None,
        locals: object = None,
        fromlist: object = (),
        level: int = 0,
    ) -> types.ModuleType:
        key = name[1:] if name.startswith("u") and name[1:] in self.modules else name
        module = self.modules.get(key)
        if module is None:
            raise ImportError(f"no module named '{name}'")
        return module

    def _abspath(self, path: str) -> str:
        return normpath(path if path.startswith("/") else self._cwd.rstrip("/") + "/" + path)

    def _make_modules(self) -> dict[str, types.ModuleType]:
        modules = dict(PURE_MODULES)
        mod_io = types.ModuleType("io")
        mod_io.BytesIO = io.BytesIO  # type: ignore[attr-defined]
        mod_io.StringIO = io.StringIO  # type: ignore[attr-defined]
        modules["io"] = mod_io
        modules["os"] = self._os_module()
        modules["machine"] = self._machine_module()
        modules["time"] = self._time_module()
        modules["sys"] = self._sys_module()
        gc, micropython = self._memory_modules()
        modules["gc"] = gc
        modules["micropython"] = micropython
        return modules

    def _os_module(self) -> types.ModuleType:
        fs, ab = self._board.fs, self._abspath
        mod = types.ModuleType("os")

        def chdir(path: str) -> None:
            p = ab(path)
            if not fs.isdir(p):
                raise OSError(errno.ENOENT, "ENOENT")
            self._cwd = p

        def statvfs(path: str = "/") -> tuple[int, ...]:
            flash = fs.flash
            free = max(0, flash.block_count - flash.used_blocks())
            size, count = flash.block_size, flash.block_count
            return (size, size, count, free, free, 0, 0, 0, 0, 255)

        def uname() -> tuple[str, ...]:
            return ("esp32", "esp32", "1.27.0", "virtual", "ESP32C3 module (virtual) with ESP32C3")

        funcs: dict[str, Callable[..., Any]] = {
            "listdir": lambda path="": fs.listdir(ab(path)) if fs.isdir(ab(path)) else _enoent(),
            "ilistdir": lambda path="": iter(fs.ilistdir(ab(path))),
            "mkdir": lambda path: fs.mkdir_one(ab(path)),
            "rmdir": lambda path: fs.rmdir(ab(path)),
            "remove": lambda path: fs.remove_file(ab(path)),
            "unlink": lambda path: fs.remove_file(ab(path)),
            "rename": lambda src, dst: fs.rename(ab(src), ab(dst)),
            "stat": lambda path: fs.stat(ab(path)),
            "getcwd": lambda: self._cwd,
            "chdir": chdir,
            "statvfs": statvfs,
            "sync": lambda: None,
            "uname": uname,
            "urandom": _host_os.urandom,
        }
        for key, fn in funcs.items():
            setattr(mod, key, fn)
        return mod

    def _machine_module(self) -> types.ModuleType:
        board = self._board
        mod = types.ModuleType("machine")

        def reset() -> None:
            raise HardReset

        def soft_reset() -> None:
            raise SoftReset

        mod.reset = reset  # type: ignore[attr-defined]
        mod.soft_reset = soft_reset  # type: ignore[attr-defined]
        mod.reset_cause = lambda: board.reset_cause  # type: ignore[attr-defined]
        mod.unique_id = lambda: board.unique_id  # type: ignore[attr-defined]
        mod.freq = lambda *a: 160_000_000  # type: ignore[attr-defined]
        for const, value in RESET_CAUSES.items():
            setattr(mod, const, value)
        mod.Pin = _pin_class(board)  # type: ignore[attr-defined]
        return mod

    def _time_module(self) -> types.ModuleType:
        board = self._board
        mod = types.ModuleType("time")
        consume = board.cpu.consume

        def ticks_ms() -> int:
            return int(board.uptime() * 1000) & 0x3FFFFFFF

        def ticks_us() -> int:
            return int(board.uptime() * 1_000_000) & 0x3FFFFFFF

        funcs: dict[str, Callable[..., Any]] = {
            "sleep": lambda s: consume(max(0.0, float(s))),
            "sleep_ms": lambda ms: consume(max(0.0, ms / 1000)),
            "sleep_us": lambda us: consume(max(0.0, us / 1_000_000)),
            "ticks_ms": ticks_ms,
            "ticks_us": ticks_us,
            "ticks_diff": lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000,
            "ticks_add": lambda a, d: (a + d) & 0x3FFFFFFF,
            "time": lambda: int(board.wall_time()) - EPOCH_2000,
            "time_ns": lambda: int((board.wall_time() - EPOCH_2000) * 1e9),
            "gmtime": lambda secs=None: _host_time.gmtime(
                (board.wall_time() - EPOCH_2000 if secs is None else secs) + EPOCH_2000
            )[:8],
            "mktime": lambda tup: int(_calendar_timegm(tup)) - EPOCH_2000,
        }
        funcs["localtime"] = funcs["gmtime"]
        for key, fn in funcs.items():
            setattr(mod, key, fn)
        return mod

    def _sys_module(self) -> types.ModuleType:
        mod = types.ModuleType("sys")
        mod.platform = "esp32"  # type: ignore[attr-defined]
        mod.implementation = types.SimpleNamespace(  # type: ignore[attr-defined]
            name="micropython", version=(1, 27, 0), _machine="virtual ESP32-C3 (CPython)"
        )
        mod.maxsize = 2**31 - 1  # type: ignore[attr-defined]
        mod.byteorder = "little"  # type: ignore[attr-defined]
        mod.path = ["", ".frozen", "/lib"]  # type: ignore[attr-defined]
        mod.argv = []  # type: ignore[attr-defined]
        mod.modules = {}  # type: ignore[attr-defined]
        mod.stdout = self.stdout  # type: ignore[attr-defined]
        mod.stderr = self.stdout  # type: ignore[attr-defined]

        def exit(code: object = None) -> None:
            raise SystemExit(code)

        def print_exception(exc: BaseException, file: Any = None) -> None:
            text = format_exception(exc).replace("\r\n", "\n")
            (file or self.stdout).write(text)

        mod.exit = exit  # type: ignore[attr-defined]
        mod.print_exception = print_exception  # type: ignore[attr-defined]
        return mod

    def _memory_modules(self) -> tuple[types.ModuleType, types.ModuleType]:
        board = self._board
        gc = types.ModuleType("gc")

        def heap() -> tuple[int, int]:
            figures = board.heap()
            return figures if figures is not None else (0, 0)

        gc.collect = lambda: None  # type: ignore[attr-defined]
        gc.mem_free = lambda: heap()[0]  # type: ignore[attr-defined]
        gc.mem_alloc = lambda: heap()[1] - heap()[0]  # type: ignore[attr-defined]
        micropython = types.ModuleType("micropython")
        micropython.const = lambda x: x  # type: ignore[attr-defined]

        def mem_info(verbose: object = None) -> None:
            free, total = heap()
            self.stdout.write(
                f"stack: 0 out of 14336\nGC: total: {total}, used: {total - free}, free: {free}\n"
            )

        micropython.mem_info = mem_info  # type: ignore[attr-defined]
        return gc, micropython


RESET_CAUSES = {
    "PWRON_RESET": 1,
    "HARD_RESET": 2,
    "WDT_RESET": 3,
    "DEEPSLEEP_RESET": 4,
    "SOFT_RESET": 5,
}


def _enoent() -> list[str]:
    raise OSError(errno.ENOENT, "ENOENT")


def _calendar_timegm(tup: tuple[int, ...]) -> float:
    import calendar

    return calendar.timegm((*tup[:6], 0, 0, 0))


def _pin_class(board: ConsoleBoard) -> type:
    """``machine.Pin`` for the three pins the board wires: 7 (LED), 2 (WS2812 data), 9 (BOOT)."""

    class Pin:
        IN = 1
        OUT = 3
        OPEN_DRAIN = 7
        PULL_UP = 1
        PULL_DOWN = 2
        IRQ_FALLING = 2
        IRQ_RISING = 1

        def __init__(self, pin: int, mode: int = -1, pull: int = -1, value: int | None = None):
            if pin not in (2, 7, 9):
                raise ValueError(f"the virtual board models GPIO 2, 7 and 9, not {pin}")
            self.pin = pin
            if value is not None:
                self.value(value)

        def value(self, level: int | None = None) -> int | None:
            if level is None:
                if self.pin == 9:
                    return board.button.level
                if self.pin == 7:
                    return board.led.level
                return 0
            if self.pin == 7:
                board.set_led(bool(level))
            return None

        def on(self) -> None:
            self.value(1)

        def off(self) -> None:
            self.value(0)

        __call__ = value

    return Pin
