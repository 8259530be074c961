"""The virtual ESP32-C3-DevKit-RUST-1 (see docs/virtual-board.md).

``VirtualBoard`` wires the parts: :mod:`.clock` (virtual and real time), :mod:`.gpio`
(LED, WS2812, BOOT button), :mod:`.i2c` with :mod:`.shtc3` and :mod:`.icm42670` fed by
:mod:`.models`, :mod:`.flash` and :mod:`.fs` (power-cut injection), :mod:`.console` and
:mod:`.pty_console` (MicroPython's REPL over bytes or a PTY), :mod:`.timeline`.
"""

from .board import App, VirtualBoard
from .clock import Clock, TimerHandle, TimerScope, VirtualClock
from .console import ConsolePort, SerialConsole
from .flash import Flash, FlashImage, PowerLost
from .fs import VirtualFileSystem
from .i2c import Nack, VirtualI2C
from .models import Constant, Environment, Noise, Sequence, Trace
from .timeline import Event, Timeline
from .wallclock import RealTimeClock

__all__ = [
    "App",
    "Clock",
    "ConsolePort",
    "Constant",
    "Environment",
    "Event",
    "Flash",
    "FlashImage",
    "Nack",
    "Noise",
    "PowerLost",
    "RealTimeClock",
    "Sequence",
    "SerialConsole",
    "Timeline",
    "TimerHandle",
    "TimerScope",
    "Trace",
    "VirtualBoard",
    "VirtualClock",
    "VirtualFileSystem",
    "VirtualI2C",
]
