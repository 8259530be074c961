"""What kind of board a bundle is built for: which files of the tree go in, and in what form.

Why targets: the two kinds of board run different code from the same tree.  A real
ESP32-C3 runs MicroPython and needs its port (``ports/``); two slots of the firmware fit
its 2 MB filesystem only compiled to ``.mpy`` (docs/ota.md, "Space").  An emulated board
runs CPython, which cannot load ``.mpy``, and is its own port, so it takes source without
``ports/``.  A bundle records its target in the manifest (``"target": "board"``), so
``steelhil ota inspect`` and ``steelhil ota sweep`` can say what a file is for before a
board finds out by failing to boot it.

A target is an entry of :data:`TARGETS` (:func:`register`), not a branch of the builder:
its name, a line for ``--help``, the directories it leaves out and how it turns the tree's
files into the slot's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from emulator.device.slots import EMULATED_WITHOUT

from .compile import COMPILED_SUFFIX, CompileError, compile_files

#: (path in the slot, bytes) of a slot's files, in the manifest's order.
Files = list[tuple[str, bytes]]


class TargetError(Exception):
    """A tree cannot be made into a slot for the target; the message says why."""


@dataclass(frozen=True)
class Target:
    """A kind of board: ``convert(files, keep)`` gives the slot's files from the tree's,
    leaving the paths in ``keep`` (the self-test hook, which the agent reads as source)
    as they are."""

    name: str
    summary: str
    without: tuple[str, ...]
    convert: Callable[[Files, Collection[str]], Files]


TARGETS: dict[str, Target] = {}
#: What ``steelhil ota bundle`` builds unless told otherwise: what a release ships.
DEFAULT = "board"


def register(target: Target) -> Target:
    if target.name in TARGETS:
        raise ValueError(f"bundle target {target.name!r} is registered already")
    TARGETS[target.name] = target
    return target


def get(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise TargetError(
            f"unknown bundle target {name!r}: one of {', '.join(sorted(TARGETS))}"
        ) from None


def _compiled(files: Files, keep: Collection[str]) -> Files:
    try:
        return compile_files(files, keep=keep)
    except CompileError as exc:
        raise TargetError(str(exc)) from None


def _source(files: Files, keep: Collection[str]) -> Files:
    compiled = [path for path, _ in files if path.endswith(COMPILED_SUFFIX)]
    if compiled:
        raise TargetError(
            f"the tree holds compiled files ({', '.join(compiled[:3])}): a source bundle "
            "carries .py files only (remove the .mpy files, or build with --target board)"
        )
    return files


def emulated_problem(manifest: dict[str, Any]) -> str | None:
    """Why an emulated board cannot boot the bundle of ``manifest`` (JSON data), or None.

    Its files decide, not the recorded target: an emulated board runs CPython, which loads
    ``.py`` source only (:mod:`emulator.device.slots` refuses a slot of ``.mpy`` files).
    """
    compiled = [
        str(entry.get("path"))
        for entry in manifest.get("files") or []
        if isinstance(entry, dict) and str(entry.get("path")).endswith(COMPILED_SUFFIX)
    ]
    if not compiled:
        return None
    target = manifest.get("target")
    built = f"built for target {target}" if target else "built for real boards"
    return (
        f"{built}: {len(compiled)} of its files are compiled MicroPython (.mpy), which an "
        "emulated board cannot run"
    )


register(
    Target(
        "board",
        "a real ESP32-C3: every module compiled to .mpy by mpy-cross 1.27, ports/ included",
        (),
        _compiled,
    )
)
register(
    Target(
        "emulated",
        "an emulated board: .py source, without the real boards' ports/",
        EMULATED_WITHOUT,
        _source,
    )
)
register(
    Target(
        "board-source",
        "a real board from .py source, ports/ included (two slots of it do not fit a 4 MB board)",
        (),
        _source,
    )
)
