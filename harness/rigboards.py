"""The boards a run uses: a rig file's, or none (emulated boards are made per scenario)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .backends.base import BoardSpec


def boards_for_run(rig_file: str | Path | None, stack: contextlib.ExitStack) -> list[BoardSpec]:
    if rig_file is None:
        return []
    import importlib

    rig = importlib.import_module("harness.rig")
    boards: list[BoardSpec] = rig.boards_for_run(Path(rig_file), stack)
    return boards
