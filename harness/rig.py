"""The rig inventory: which boards exist, how to reach them, and who is using them.

Why its own file format: CI's nightly rig mixes real boards on USB hubs, Renode machines
and emulated boards, and the people who maintain it are not the people who write
scenarios.  A rig file (docs/rig.md) lists boards with their backend, where they are
(``port``, ``usb_location``, ``serial_number``, ``mac``), tags that scenarios ask for,
power control, and counts of emulated boards.

Loading (:func:`load`) checks every key against what the board's backend declares
(``options``, see :mod:`harness.backends.schema`) and the power drivers declare, and
reports every problem at once as ``rig.yaml:12:7: boards[1].power.chanel: unknown key
(did you mean 'channel'?)`` -- line and column from PyYAML's node marks.

Locking: two pytest-xdist workers (or two CI jobs on one host) must never drive the same
board.  :func:`acquire` takes an exclusive ``flock`` on ``LOCKDIR/<board>.lock`` (released
by the kernel if the process dies, so no stale locks) and records who holds it, so a busy
board names its holder.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from emulator.iotcore.names import is_thing_name

from .backends import available
from .backends import get as get_backend
from .backends.base import BackendError, BoardSpec
from .backends.power import drivers as power_drivers
from .backends.schema import Field

#: Backends whose boards are shared hardware: locked so two workers never drive one.
EXCLUSIVE_BACKENDS = frozenset({"serial", "renode"})
#: Backends that count as "emulated" groups (``emulated:`` in the rig).
EMULATED_BACKENDS = ("emulated", "emulated-pty")
#: Built-in backends, known even before their entry points are installed.
BUILTIN_BACKENDS = {
    "serial": "harness.backends.serial:SerialBackend",
    "emulated-pty": "harness.backends.emulated_pty:EmulatedPtyBackend",
    "renode": "harness.backends.renode:RenodeBackend",
    "emulated": "",
}

#: What an ``emulated`` board takes, until that backend declares its own ``options``.
EMULATED_OPTIONS: dict[str, Field] = {
    "limits": Field("mapping", "resource limits for /config.json (docs/steel-api.md)"),
    "metrics_interval": Field("float", "seconds between metrics reports", minimum=0),
}

TOP_KEYS: dict[str, Field] = {
    "version": Field("int", "the rig format version (1)", minimum=1),
    "locks": Field("path", "directory for board lock files"),
    "boards": Field("any", "the boards, one mapping each"),
    "emulated": Field("any", "counts of emulated boards"),
}
BOARD_KEYS: dict[str, Field] = {
    "name": Field("str", "the thing name", required=True),
    "backend": Field("str", "serial, emulated-pty, renode, ...", required=True),
    "tags": Field("str-list", "what scenarios select the board by"),
}
#: Keys every board may have whatever its backend, kept in its options: a rig's boards may
#: all sit behind switched supplies (``steelhil rig check`` asks each driver if it answers,
#: ``steelhil nightly`` powers them on), even where the backend itself cannot use power.
COMMON_KEYS: dict[str, Field] = {
    "power": Field("mapping", "power control: {driver: command|usb-relay|uhubctl|none, ...}"),
}
GROUP_KEYS: dict[str, Field] = {
    "count": Field("int", "how many boards", required=True, minimum=0),
    "tags": Field("str-list", "tags of every board in the group"),
    "prefix": Field("str", "names are PREFIX-1, PREFIX-2, ... (default: emu)"),
    "backend": Field("choice", "emulated (default) or emulated-pty", choices=EMULATED_BACKENDS),
}
_LOCK_NAME = re.compile(r"[^A-Za-z0-9_.:-]")


class RigError(BackendError):
    """A rig file is wrong; ``problems`` are ``file:line:column: field: message`` lines."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the rig file:\n"
        super().__init__(head + "\n".join(self.problems))


class BoardBusy(BackendError):
    """Another process holds the board's lock."""


@dataclass(frozen=True)
class Rig:
    path: Path
    boards: list[BoardSpec]
    lock_dir: Path = field(default_factory=lambda: default_lock_dir())

    def select(
        self, *, tags: Iterable[str] = (), count: int | None = None, backend: str | None = None
    ) -> list[BoardSpec]:
        return select(self.boards, tags=tags, count=count, backend=backend)


# --- loading ------------------------------------------------------------------------------


def load(path: str | Path) -> Rig:
    """Read and check a rig file; :class:`RigError` lists every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RigError([f"{path}: cannot read the rig file: {exc}"]) from exc
    return loads(text, path)


def loads(text: str, path: Path) -> Rig:
    checker = _Checker(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RigError([f"{where}: not valid YAML: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise RigError([f"{path}: not valid YAML: {exc}"]) from None
    if root is None:
        raise RigError([f"{path}:1:1: the rig file is empty; it needs `boards:` or `emulated:`"])
    boards, lock_dir = checker.rig(root)
    if checker.problems:
        raise RigError(checker.problems)
    return Rig(path, boards, lock_dir or default_lock_dir())


def _backend_options(name: str) -> Mapping[str, Field] | None:
    """The rig keys a backend declares; for ``emulated`` without a declaration, the keys
    emulated boards take; None for a plug-in that declares none (any key is accepted)."""
    found: Any = None
    try:
        found = get_backend(name)
    except BackendError:
        target = BUILTIN_BACKENDS.get(name)
        if target:
            import importlib

            module, _, attr = target.partition(":")
            found = getattr(importlib.import_module(module), attr)
    options = getattr(found, "options", None)
    if isinstance(options, Mapping):
        return options
    return EMULATED_OPTIONS if name == "emulated" else None


def _known_backends() -> list[str]:
    return sorted(set(available()) | set(BUILTIN_BACKENDS))


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent
        self.problems: list[str] = []
        self._loader = yaml.SafeLoader("")
        self._names: dict[str, str] = {}  # name -> where it was first used

    def problem(self, node: yaml.Node, where: str, message: str) -> None:
        mark = node.start_mark
        prefix = f"{self.path}:{mark.line + 1}:{mark.column + 1}"
        self.problems.append(f"{prefix}: {where}: {message}" if where else f"{prefix}: {message}")

    def value(self, node: yaml.Node) -> Any:
        return self._loader.construct_object(node, deep=True)

    # --- structure ----------------------------------------------------------------------

    def mapping(
        self, node: yaml.Node, where: str, fields: Mapping[str, Field] | None
    ) -> dict[str, tuple[yaml.Node, Any]] | None:
        """The keys of a mapping node with their value nodes and values, checked against
        ``fields`` (None: any key); None if the node is not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, where, f"expected a mapping, got {_kind(node)}")
            return None
        out: dict[str, tuple[yaml.Node, Any]] = {}
        seen: set[str] = set()  # present, even if wrong (not "missing" too)
        for key_node, value_node in node.value:
            key = self.value(key_node)
            path = f"{where}.{key}" if where else str(key)
            if not isinstance(key, str):
                said = f"keys must be text, got {key!r}"
                if isinstance(key, bool):  # YAML 1.1: on/off/yes/no are booleans
                    said += f" (YAML reads {key_node.value!r} as {str(key).lower()}: quote it)"
                self.problem(key_node, where or "(top level)", said)
                continue
            if key in seen:
                first = next(k.start_mark.line + 1 for k, _ in node.value if k.value == key)
                self.problem(key_node, path, f"duplicate key (first given at line {first})")
                continue
            seen.add(key)
            if fields is not None and key not in fields:
                self.problem(key_node, path, "unknown key" + _suggest(key, fields))
                continue
            value = self.value(value_node)
            spec = fields.get(key) if fields is not None else None
            if spec is not None:
                wrong = spec.check(value)
                if wrong:
                    self.problem(value_node, path, wrong)
                    continue
                if spec.kind == "path":
                    value = str(self.resolve(value))
            out[key] = (value_node, value)
        if fields is not None:
            for key, spec in fields.items():
                if spec.required and key not in seen:
                    self.problem(node, where or "(top level)", f"missing required key '{key}'")
        return out

    def resolve(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.base / p)

    # --- the rig --------------------------------------------------------------------------

    def rig(self, root: yaml.Node) -> tuple[list[BoardSpec], Path | None]:
        top = self.mapping(root, "", TOP_KEYS)
        if top is None:
            return [], None
        if "boards" not in top and "emulated" not in top:
            self.problem(root, "", "the rig lists no boards (add `boards:` or `emulated:`)")
        boards: list[BoardSpec] = []
        if "boards" in top:
            node = top["boards"][0]
            if isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    spec = self.board(item, f"boards[{i}]")
                    if spec is not None:
                        boards.append(spec)
            else:
                self.problem(node, "boards", f"expected a list of boards, got {_kind(node)}")
        if "emulated" in top:
            node = top["emulated"][0]
            if isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    boards.extend(self.group(item, f"emulated[{i}]"))
            else:
                boards.extend(self.group(node, "emulated"))
        version = top.get("version")
        if version is not None and version[1] != 1:
            self.problem(version[0], "version", f"this harness reads version 1, not {version[1]}")
        locks = top.get("locks")
        return boards, Path(locks[1]) if locks else None

    def board(self, node: yaml.Node, where: str) -> BoardSpec | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, where, f"expected a board (a mapping), got {_kind(node)}")
            return None
        backend_node = next(
            (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "backend"),
            None,
        )
        backend = self.value(backend_node) if backend_node is not None else None
        options: Mapping[str, Field] | None = {}
        if isinstance(backend, str):
            known = _known_backends()
            if backend not in known:
                self.problem(
                    backend_node,  # type: ignore[arg-type]
                    f"{where}.backend",
                    f"unknown backend {backend!r}" + _suggest(backend, known, "available: "),
                )
                options = None
            else:
                options = _backend_options(backend)
        fields = None if options is None else {**BOARD_KEYS, **COMMON_KEYS, **options}
        keys = self.mapping(node, where, fields)
        if keys is None or "name" not in keys or not isinstance(backend, str):
            return None
        name_node, name = keys["name"]
        self.name(name_node, f"{where}.name", name)
        if "power" in keys:
            self.power(*keys["power"], f"{where}.power")
        tags = frozenset(keys["tags"][1]) if "tags" in keys else frozenset()
        rest = {k: v for k, (_, v) in keys.items() if k not in BOARD_KEYS}
        return BoardSpec(name, backend, tags, rest)

    def group(self, node: yaml.Node, where: str) -> list[BoardSpec]:
        backend = "emulated"
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "backend":
                    found = self.value(v)
                    backend = found if found in EMULATED_BACKENDS else backend
        options = _backend_options(backend)
        fields = None if options is None else {**GROUP_KEYS, **options}
        keys = self.mapping(node, where, fields)
        if keys is None or "count" not in keys:
            return []
        prefix = keys["prefix"][1] if "prefix" in keys else "emu"
        tags = frozenset(keys["tags"][1]) if "tags" in keys else frozenset()
        rest = {k: v for k, (_, v) in keys.items() if k not in GROUP_KEYS}
        at, path = (keys["prefix"][0], f"{where}.prefix") if "prefix" in keys else (node, where)
        specs = []
        for i in range(1, keys["count"][1] + 1):
            if self.name(at, path, f"{prefix}-{i}"):
                specs.append(BoardSpec(f"{prefix}-{i}", backend, tags, dict(rest)))
        return specs

    def name(self, node: yaml.Node, where: str, name: str) -> bool:
        if not is_thing_name(name) or name == "broadcast":
            self.problem(
                node,
                where,
                f"{name!r} is not a thing name (1-128 of a-z A-Z 0-9 : _ -, not 'broadcast')",
            )
            return False
        if name in self._names:
            self.problem(node, where, f"the name {name!r} is already taken ({self._names[name]})")
            return False
        mark = node.start_mark
        self._names[name] = f"line {mark.line + 1}"
        return True

    def power(self, node: yaml.Node, value: Any, where: str) -> None:
        known = power_drivers()
        if not isinstance(value, dict):
            return  # the backend's schema already said it must be a mapping
        driver = value.get("driver")
        if driver not in known:
            assert isinstance(node, yaml.MappingNode)
            driver_node = next((v for k, v in node.value if k.value == "driver"), node)
            if driver is None:
                said = f"missing 'driver' (available: {', '.join(sorted(known))})"
            else:
                said = f"unknown power driver {driver!r}" + _suggest(driver, known, "available: ")
            self.problem(driver_node, f"{where}.driver", said)
            return
        fields = {"driver": Field("str"), **known[driver].fields}
        self.mapping(node, where, fields)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"{node.value!r}" if node.value != "" else "nothing"


def _suggest(word: str, valid: Iterable[str], fallback: str = "valid: ") -> str:
    options = sorted(valid)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" ({fallback}{', '.join(options)})" if options else ""


# --- choosing boards ----------------------------------------------------------------------


def select(
    specs: Sequence[BoardSpec],
    *,
    tags: Iterable[str] = (),
    count: int | None = None,
    backend: str | None = None,
) -> list[BoardSpec]:
    """The boards carrying every tag in ``tags`` (and of ``backend``), in rig order; with
    ``count``, exactly that many or a :class:`BackendError` saying what the rig has."""
    wanted = frozenset(tags)
    found = [s for s in specs if wanted <= s.tags and (backend is None or s.backend == backend)]
    if count is None:
        return found
    if len(found) < count:
        what = f" tagged {', '.join(sorted(wanted))}" if wanted else ""
        what += f" on backend {backend}" if backend else ""
        have = ", ".join(s.name for s in found) or "none"
        raise BackendError(f"needs {count} board(s){what}; the rig has {len(found)} ({have})")
    return found[:count]


# --- locking ------------------------------------------------------------------------------


def default_lock_dir() -> Path:
    env = os.environ.get("STEELHIL_LOCK_DIR")
    if env:
        return Path(env)
    return Path(tempfile.gettempdir()) / f"steelhil-locks-{os.getuid()}"


def lock_path(spec: BoardSpec, lock_dir: Path | None = None) -> Path:
    directory = lock_dir or default_lock_dir()
    return directory / f"{_LOCK_NAME.sub('_', spec.name)}.lock"


def _holder() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    who = f"pid {os.getpid()} on {socket.gethostname()}"
    return f"{who} (xdist worker {worker})" if worker else who


def _try_lock(path: Path) -> int | None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.write(fd, f"{_holder()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
    return fd


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def holder(spec: BoardSpec, lock_dir: Path | None = None) -> str | None:
    """Who holds ``spec``'s lock now (as its lock file says), or None when it is free.
    Asking takes the lock for a moment when it is free, so it never races a holder."""
    path = lock_path(spec, lock_dir)
    fd = _try_lock(path)
    if fd is not None:
        _unlock(fd)
        return None
    try:
        return path.read_text().strip() or "another process"
    except OSError:
        return "another process"


@contextlib.contextmanager
def acquire(
    spec: BoardSpec, timeout: float = 0.0, lock_dir: Path | None = None
) -> Iterator[BoardSpec]:
    """Hold ``spec``'s board exclusively for the ``with`` block, waiting up to ``timeout``
    seconds for another holder; :class:`BoardBusy` names who holds it."""
    path = lock_path(spec, lock_dir)
    deadline = time.monotonic() + timeout
    while True:
        fd = _try_lock(path)
        if fd is not None:
            break
        if time.monotonic() >= deadline:
            try:
                holder = path.read_text().strip() or "another process"
            except OSError:
                holder = "another process"
            raise BoardBusy(f"board {spec.name} is in use by {holder} (lock file {path})")
        time.sleep(0.05)
    try:
        yield spec
    finally:
        _unlock(fd)


@contextlib.contextmanager
def acquire_any(
    specs: Sequence[BoardSpec], count: int, timeout: float = 0.0, lock_dir: Path | None = None
) -> Iterator[list[BoardSpec]]:
    """Hold ``count`` of ``specs`` (whichever are free first), waiting up to ``timeout``."""
    if count > len(specs):
        raise BackendError(f"needs {count} board(s) but only {len(specs)} match")
    held: list[tuple[BoardSpec, int]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(held) < count:
            for spec in specs:
                if len(held) == count or any(s is spec for s, _ in held):
                    continue
                fd = _try_lock(lock_path(spec, lock_dir))
                if fd is not None:
                    held.append((spec, fd))
            if len(held) < count:
                if time.monotonic() >= deadline:
                    busy = [s.name for s in specs if all(s is not h for h, _ in held)]
                    raise BoardBusy(
                        f"needs {count} board(s), got {len(held)} within {timeout:g} s; "
                        f"in use by other processes: {', '.join(busy)}"
                    )
                time.sleep(0.05)
        yield [spec for spec, _ in held]
    finally:
        for _, fd in held:
            _unlock(fd)


def boards_for_run(
    path: Path, stack: contextlib.ExitStack, *, timeout: float = 0.0
) -> list[BoardSpec]:
    """A run's boards from a rig file: every emulated board, and the shared ones
    (:data:`EXCLUSIVE_BACKENDS`) this process could lock -- held until ``stack`` closes.
    A board another worker holds is left out, so xdist workers split the rig."""
    rig = load(path)
    boards = []
    for spec in rig.boards:
        if spec.backend not in EXCLUSIVE_BACKENDS:
            boards.append(spec)
            continue
        with contextlib.suppress(BoardBusy):
            boards.append(stack.enter_context(acquire(spec, timeout, rig.lock_dir)))
    return boards
