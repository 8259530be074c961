"""The code an emulated board boots: the ``firmware/`` tree in its active app slot.

Why: an update must change what the board runs (test what you ship).  The boot selector
(:mod:`firmware.boot.selector`, never updated) picks the slot; this module makes that
slot's files importable.  Each distinct tree is loaded once per process, under a package
named after its content hash (``_steel_slot_<hash>``), so boards on the same bundle share
their modules while boards on different versions run side by side.  A slot holding exactly
this checkout's ``firmware/`` -- an emulated board's factory image -- is this checkout's
``firmware`` package itself.

A slot is ``/slots/<name>/slot.json`` (its version, written last when it is installed:
the slot's commit point) and ``/slots/<name>/firmware/...``.  A slot of compiled
MicroPython (``.mpy``, a bundle built for real boards) cannot run here, under CPython: it is
refused as a boot failure that says so (:data:`COMPILED_SLOT`), and the selector rolls it
back as any slot that does not boot.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import firmware
from firmware.agent.version import FIRMWARE_VERSION
from firmware.boot import selector

#: What of a firmware tree goes into a slot (and a bundle): Python source only.
SKIP_PARTS = ("__pycache__",)
#: What an emulated board's slot leaves out of the firmware tree: the real boards' ports
#: (the emulator is this board's port), as bundles built for emulated boards do.
EMULATED_WITHOUT = ("ports",)


#: Why an emulated board does not boot a slot of ``.mpy`` files (a bundle's ``--target board``).
COMPILED_SLOT = (
    "this slot holds compiled MicroPython (.mpy): an emulated board runs source bundles; "
    "build with --target emulated"
)
COMPILED_SUFFIX = ".mpy"


class SlotError(Exception):
    """A slot that cannot be booted (no marker, unreadable files): a boot failure."""


@dataclass(frozen=True)
class SlotCode:
    """The firmware a slot holds, importable."""

    slot: str | None  # None: the old layout with no slots
    version: str
    digest: str  # of the tree's files
    package: ModuleType

    def module(self, name: str) -> ModuleType:
        """``agent.core`` -> the slot's ``firmware.agent.core``."""
        return importlib.import_module(f"{self.package.__name__}.{name}")


# --- this checkout's firmware: the factory image --------------------------------------------


@functools.cache
def factory_tree() -> Mapping[str, bytes]:
    """This checkout's ``firmware/`` files, relative to it (``agent/core.py``), read once:
    every emulated board's factory slot refers to the same bytes."""
    root = Path(firmware.__file__).parent
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in SKIP_PARTS or part.startswith(".") for part in rel.parts):
            continue
        if rel.parts[0] in EMULATED_WITHOUT:
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def tree_digest(files: Mapping[str, bytes]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{hashlib.sha256(files[rel]).hexdigest()}\n".encode())
    return h.hexdigest()


@functools.cache
def factory_digest() -> str:
    return tree_digest(factory_tree())


@functools.cache
def factory_image(slot: str = "a") -> Mapping[str, bytes]:
    """The files of an emulated board's factory image (absolute paths): this checkout's
    firmware in ``slot``, and its marker."""
    base = selector.slot_dir(slot)
    files = {f"{base}/firmware/{rel}": data for rel, data in factory_tree().items()}
    marker = {"format": 1, "version": FIRMWARE_VERSION, "digest": factory_digest()}
    files[f"{base}/slot.json"] = json.dumps(marker).encode()
    return files


# --- loading a slot ---------------------------------------------------------------------------


def read_tree(fs: Any, slot: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """(the slot's marker, its firmware files) from the board's filesystem."""
    base = selector.slot_dir(slot)
    raw = fs.read(f"{base}/slot.json")
    try:
        marker = json.loads(raw) if raw is not None else None
    except ValueError:
        marker = None
    if not isinstance(marker, dict) or not isinstance(marker.get("version"), str):
        raise SlotError("it has no valid slot.json")
    files: dict[str, bytes] = {}
    compiled: list[str] = []
    _collect(fs, f"{base}/firmware", "", files, compiled)
    if compiled:
        raise SlotError(COMPILED_SLOT)
    if "agent/core.py" not in files:
        raise SlotError("it holds no firmware agent")
    return marker, files


def _collect(
    fs: Any, directory: str, prefix: str, out: dict[str, bytes], compiled: list[str]
) -> None:
    for name in sorted(fs.listdir(directory)):
        path = f"{directory}/{name}"
        rel = f"{prefix}{name}"
        if fs.isdir(path):
            _collect(fs, path, rel + "/", out, compiled)
        elif name.endswith(COMPILED_SUFFIX):
            compiled.append(rel)
        elif name.endswith(".py"):
            data = fs.read(path)
            if data is not None:
                out[rel] = data


def load(fs: Any, slot: str | None) -> SlotCode:
    """The code ``slot`` holds (None: the old layout, this checkout's firmware)."""
    if slot is None:
        return SlotCode(None, FIRMWARE_VERSION, factory_digest(), firmware)
    marker, files = read_tree(fs, slot)
    digest = tree_digest(files)
    if digest == factory_digest():
        return SlotCode(slot, str(marker["version"]), digest, firmware)
    return SlotCode(slot, str(marker["version"]), digest, _package(digest, files))


_lock = threading.Lock()


def _package(digest: str, files: Mapping[str, bytes]) -> ModuleType:
    name = f"_steel_slot_{digest[:16]}"
    with _lock:
        if name not in sys.modules:
            finder = _SlotFinder(name, dict(files))
            sys.meta_path.insert(0, finder)
            try:
                importlib.import_module(name)
            except BaseException:
                sys.meta_path.remove(finder)
                for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                    del sys.modules[key]
                raise
        return sys.modules[name]


class _SlotFinder(importlib.abc.MetaPathFinder):
    """Serves ``name`` and its submodules from a slot's files, held in memory."""

    def __init__(self, name: str, files: dict[str, bytes]) -> None:
        self.name = name
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name and not fullname.startswith(self.name + "."):
            return None
        rel = fullname[len(self.name) :].lstrip(".").replace(".", "/")
        package = (rel + "/__init__.py") if rel else "__init__.py"
        if package in self.files:
            loader = _SlotLoader(self.files[package], f"<slot {self.name}>/{package}", True)
            return importlib.util.spec_from_loader(fullname, loader, is_package=True)
        if rel + ".py" in self.files:
            source = self.files[rel + ".py"]
            loader = _SlotLoader(source, f"<slot {self.name}>/{rel}.py", False)
            return importlib.util.spec_from_loader(fullname, loader, is_package=False)
        return None


class _SlotLoader(importlib.abc.Loader):
    def __init__(self, source: bytes, filename: str, package: bool) -> None:
        self.source = source
        self.filename = filename
        self.package = package

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        if self.package:
            module.__path__ = []
        code = compile(self.source, self.filename, "exec")
        exec(code, module.__dict__)  # the slot's own firmware source: what the board runs
