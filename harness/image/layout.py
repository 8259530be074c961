"""Which files the board's filesystem holds, and where.

Today's layout is the one the ``serial`` backend flashes: the firmware package under
``/firmware/...`` and the board's ``main.py`` at ``/main.py``, at the filesystem root.  The
OTA issue puts the app into slot directories with a boot selector; it changes
:func:`app_layout` and nothing else here.  ``/steelhil-image.json`` names the image (its id
is the sha256 of every other file, by path), so a board can say what it was flashed with.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from harness.backends.base import BackendError
from harness.backends.flashing import firmware_files

MARKER = "/steelhil-image.json"
LAYOUT = "root"  # the app's files at the filesystem root (no OTA slots yet)


class LayoutError(Exception):
    """The app's files cannot be laid out; the message says why."""


def app_layout(firmware: Path, main: Path | None = None) -> dict[str, bytes]:
    """Absolute path on the board -> bytes, for the firmware package and its main.py."""
    try:
        return firmware_files(firmware, main)
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
