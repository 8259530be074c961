"""Is the rig whole?  Every board's port, power driver and lock, checked before a night.

Why before and not during: a night that finds a missing board after flashing half the
rig, or a relay that stopped answering after an hour of scenarios, wastes the night.  A
nightly run therefore starts with this check and stops (exit status 3) when a board is
missing; ``steelhil rig check`` runs the same check by hand.

Per board:

* **port** -- a ``serial`` board's port found by its rig keys (the error lists the ports
  that are present); a ``renode`` board's Renode (on PATH, or a Docker engine that answers);
  emulated boards have no port;
* **power** -- the driver answers (:func:`harness.backends.power.check_power`) or the
  board has none;
* **lock** -- free, or who holds it (in use is reported, not a defect: the night waits).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .backends.base import BackendError, BoardSpec
from .backends.power import check_power, power_from_config
from .rig import Rig, holder


@dataclass
class BoardCheck:
    name: str
    backend: str
    port: str  # where it was found, or "virtual"
    port_ok: bool
    power: str  # the driver, "answers", or why not
    power_ok: bool
    lock: str  # "free" or the holder

    @property
    def whole(self) -> bool:
        return self.port_ok and self.power_ok


@dataclass
class RigCheck:
    rig: str
    boards: list[BoardCheck]

    @property
    def whole(self) -> bool:
        return all(b.whole for b in self.boards)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rig": self.rig,
            "whole": self.whole,
            "boards": [{**asdict(b), "whole": b.whole} for b in self.boards],
        }


Comports = Callable[[], Sequence[Any]] | None


def _port(spec: BoardSpec, comports: Comports) -> tuple[str, bool]:
    if spec.backend == "serial":
        from .backends.serial import PORT_KEYS
        from .backends.serialdev import PortQuery

        query = PortQuery(*(spec.options.get(k) for k in PORT_KEYS))
        if not (query.port or query.by_usb):
            return f"the rig names no port ({', '.join(PORT_KEYS)})", False
        try:
            found = query.find(comports)
        except BackendError as exc:
            return str(exc), False
        if "://" not in found and not os.path.exists(found):
            return f"{found} does not exist (is the board plugged in?)", False
        return found, True
    if spec.backend == "renode":
        from .backends.renode_launch import renode_launcher

        try:
            return renode_launcher(spec.options).describe(), True
        except BackendError as exc:
            return str(exc), False
    return "virtual", True


def _power(spec: BoardSpec) -> tuple[str, bool]:
    config = spec.options.get("power")
    if not config:
        return "none", True
    driver = str(config.get("driver"))
    if driver == "none":
        return "none", True
    try:
        control = power_from_config(config)
    except BackendError as exc:
        return str(exc), False
    wrong = check_power(control)
    if wrong is not None:
        return f"{driver}: {wrong}", False
    return f"{driver}: answers", True


def check_board(spec: BoardSpec, rig: Rig, comports: Comports = None) -> BoardCheck:
    port, port_ok = _port(spec, comports)
    power, power_ok = _power(spec)
    held = holder(spec, rig.lock_dir)
    return BoardCheck(spec.name, spec.backend, port, port_ok, power, power_ok, held or "free")


def check_rig(rig: Rig, comports: Comports = None) -> RigCheck:
    return RigCheck(str(rig.path), [check_board(s, rig, comports) for s in rig.boards])


def render(check: RigCheck) -> str:
    rows = [("BOARD", "BACKEND", "PORT", "POWER", "LOCK")]
    for b in check.boards:
        rows.append(
            (
                b.name,
                b.backend,
                ("ok " if b.port_ok else "MISSING ") + b.port,
                ("ok " if b.power_ok else "NOT ANSWERING ") + b.power,
                b.lock,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
        for r in rows
    ]
    missing = [b.name for b in check.boards if not b.whole]
    if missing:
        lines.append(f"the rig is not whole: {', '.join(missing)}")
    else:
        lines.append(f"the rig is whole: {len(check.boards)} board(s)")
    return "\n".join(lines)
