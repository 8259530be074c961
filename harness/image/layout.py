"""Which files the board's filesystem holds, and where.

The layout is the one the ``serial`` backend flashes
(:func:`harness.backends.flashing.firmware_files`): the firmware package in app slot a
(``/slots/a/firmware/...`` and ``/slots/a/slot.json``), the never-updated boot main at
``/main.py`` and the boot selector at ``/lib/steel_boot.py`` -- what an over-the-air update
installs into slot b is a bundle of the same tree (docs/ota.md, "Real board").
``/steelhil-image.json`` names the image (its id is the sha256 of every other file, by
path), so a board can say what it was flashed with.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from harness.backends.base import BackendError
from harness.backends.flashing import firmware_files

MARKER = "/steelhil-image.json"
LAYOUT = "slots"  # the app in /slots/a, the boot main and selector outside the slots


class LayoutError(Exception):
    """The app's files cannot be laid out; the message says why."""


def app_layout(
    firmware: Path, main: Path | None = None, *, compiled: bool = True
) -> dict[str, bytes]:
    """Absolute path on the board -> bytes: the slot layout of the firmware at ``firmware``
    (``main``: another ``/main.py`` than the tree's boot main; ``compiled``: slot a's
    modules as ``.mpy``, else as source)."""
    try:
        return firmware_files(firmware, main, compiled=compiled)
    except BackendError as exc:
        raise LayoutError(str(exc)) from None


def image_id(files: Mapping[str, bytes]) -> str:
    manifest = hashlib.sha256()
    for path in sorted(files):
        if path != MARKER:
            manifest.update(f"{path}\0{hashlib.sha256(files[path]).hexdigest()}\n".encode())
    return manifest.hexdigest()


def with_marker(files: Mapping[str, bytes], facts: Mapping[str, object]) -> dict[str, bytes]:
    out = dict(files)
    out[MARKER] = json.dumps({"image": image_id(files), **facts}, sort_keys=True).encode()
    return out
