"""Sensor drivers shared by the board port and the emulator.

Each driver takes an I2C bus object (``firmware.agent.ports.I2CBus``: ``writeto``,
``readfrom``, ``writeto_then_readfrom``) and a ``delay_ms`` function, nothing else.  It
speaks the exact bytes of the sensor's datasheet, so the code that runs on a real
ESP32-C3-DevKit-RUST-1 is the code the emulator's byte-level sensor models exercise.
"""

from .errors import SensorError
from .icm42670 import ICM42670
from .shtc3 import SHTC3, crc8

__all__ = ["ICM42670", "SHTC3", "SensorError", "crc8"]
