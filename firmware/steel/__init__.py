"""The Steel language runtime: a Scheme that runs on ESP32-C3 boards under MicroPython and
unchanged in the emulator under CPython.

Public API (tools outside ``firmware/`` rely on these names)::

    from firmware.steel import Interpreter, SteelError, write_string
"""

from .errors import SteelError
from .interpreter import Interpreter, Program
from .printer import display_string, write_string
from .vm import DONE, FAILED, KILLED_STATUS, PAUSED, SLEEPING, WAITING, Task

__all__ = [
    "DONE",
    "FAILED",
    "KILLED_STATUS",
    "PAUSED",
    "SLEEPING",
    "WAITING",
    "Interpreter",
    "Program",
    "SteelError",
    "Task",
    "display_string",
    "write_string",
]
