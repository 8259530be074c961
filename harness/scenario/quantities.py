"""Sensor quantities, and the one message for a name that is not one.

Why one message: a typo in a quantity reads the same wherever it is named (the top-level
``sensors``, a ``sensors`` step, ``sensor_model``), with the nearest name suggested and
the valid ones listed, so a QA engineer learns it once.
"""

from __future__ import annotations

from emulator.device.control import QUANTITIES

from .source import suggest

#: What a virtual board's sensors measure (the SHTC3 and the ICM-42670).
SENSOR_QUANTITIES = QUANTITIES


def unknown_quantity(name: str) -> str | None:
    """The message for ``name`` when it is not a sensor quantity, else None."""
    if name in SENSOR_QUANTITIES:
        return None
    return (
        f"unknown sensor quantity {name!r}{suggest(name, SENSOR_QUANTITIES)}; "
        f"quantities: {', '.join(SENSOR_QUANTITIES)}"
    )
