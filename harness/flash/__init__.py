"""``steelhil flash``: write an image to a real board with esptool's Python API, and verify it.

A board is reported flashed only after esptool's verify read back the MD5 of every region
written; anything that stops before that (a failed connect, a write cut off, a verify that
differs) is a :class:`FlashError` that says the board may be half-flashed, and the board's
flash record is removed so the next night flashes it again.

Skipping: the record (``LOCKS/flashed/<board>.json``, next to the board's lock) names the
image a board was last verified with; a board whose record names the image is not written
again, after esptool confirms that its MicroPython region still has the MD5 that was
written (a board reflashed by hand in between is caught; a filesystem rewritten by hand is
not -- use ``--force``).
"""

from .esp import FlashError, FlashResult, flash_board, flash_port

__all__ = ["FlashError", "FlashResult", "flash_board", "flash_port"]
