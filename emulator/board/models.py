"""What the physical world around a virtual board looks like, as functions of virtual time.

Why: a scenario says "31.5 °C", "20 °C then 35 °C after two minutes", "noisy around 22 °C"
or "replay this CSV from a field unit"; the SHTC3 and IMU models ask the environment for a
quantity *at the current virtual time* whenever the firmware measures, so the answer is the
same however often or rarely the firmware reads, and a seeded noise model gives the same
trace on every run.

Every model is a ``ValueModel``: ``value_at(t) -> float``.  Quantities (names used by the
sensor models and by ``--sensor NAME=VALUE``):

=====================  ===========================================  =========
name                   meaning                                      default
=====================  ===========================================  =========
``temperature``        SHTC3 air temperature, °C                    22.0
``humidity``           SHTC3 relative humidity, %RH                 45.0
``accel_x/_y/_z``      ICM-42670-P acceleration, g                  0, 0, 1
``gyro_x/_y/_z``       ICM-42670-P angular rate, degrees/s          0, 0, 0
``imu_temperature``    ICM-42670-P die temperature, °C              25.0
=====================  ===========================================  =========
"""

from __future__ import annotations

import bisect
import csv
import math
import random
from collections.abc import Iterable, Mapping
from collections.abc import Sequence as _Seq
from pathlib import Path
from typing import Literal, Protocol

DEFAULTS: dict[str, float] = {
    "temperature": 22.0,
    "humidity": 45.0,
    "accel_x": 0.0,
    "accel_y": 0.0,
    "accel_z": 1.0,
    "gyro_x": 0.0,
    "gyro_y": 0.0,
    "gyro_z": 0.0,
    "imu_temperature": 25.0,
}

Interpolation = Literal["step", "linear"]


class ValueModel(Protocol):
    """A quantity as a function of virtual time (seconds on the board's clock)."""

    def value_at(self, t: float) -> float: ...


class Constant:
    """Always ``value``."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def value_at(self, t: float) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"


class Sequence:
    """Values that change at given times: ``[(t0, v0), (t1, v1), ...]``.

    ``interpolation="step"`` holds each value until the next point (a thermostat set point);
    ``"linear"`` ramps between points.  Before the first point the first value holds, after
    the last the last one does.
    """

    __slots__ = ("_times", "_values", "interpolation")

    def __init__(
        self, points: Iterable[tuple[float, float]], interpolation: Interpolation = "step"
    ) -> None:
        pts = sorted((float(t), float(v)) for t, v in points)
        if not pts:
            raise ValueError("a sequence needs at least one (time, value) point")
        self._times = [t for t, _ in pts]
        self._values = [v for _, v in pts]
        if interpolation not in ("step", "linear"):
            raise ValueError(f"interpolation is 'step' or 'linear', not {interpolation!r}")
        self.interpolation: Interpolation = interpolation

    def value_at(self, t: float) -> float:
        i = bisect.bisect_right(self._times, t) - 1
        if i < 0:
            return self._values[0]
        if self.interpolation == "step" or i + 1 >= len(self._times):
            return self._values[i]
        t0, t1 = self._times[i], self._times[i + 1]
        v0, v1 = self._values[i], self._values[i + 1]
        return v0 + (v1 - v0) * (t - t0) / (t1 - t0)


class Noise:
    """Gaussian noise of standard deviation ``sigma`` around ``base`` (a number or a model).

    Reproducible: the noise is a function of ``(seed, t)`` (time quantised to
    ``resolution`` seconds), not of how many times it was read, so two runs of a scenario
    see the same values at the same virtual times.
    """

    __slots__ = ("base", "resolution", "seed", "sigma")

    def __init__(
        self, base: float | ValueModel, sigma: float, seed: int = 0, resolution: float = 0.001
    ) -> None:
        self.base = as_model(base)
        self.sigma = float(sigma)
        self.seed = int(seed)
        if resolution <= 0:
            raise ValueError("resolution must be > 0")
        self.resolution = resolution

    def value_at(self, t: float) -> float:
        tick = math.floor(t / self.resolution)
        rng = random.Random(self.seed * 0x9E3779B1 + tick)
        return self.base.value_at(t) + rng.gauss(0.0, self.sigma)


class Shifted:
    """``model`` with its time axis starting at ``origin`` (a sequence started mid-run)."""

    __slots__ = ("model", "origin")

    def __init__(self, model: ValueModel, origin: float) -> None:
        self.model = model
        self.origin = origin

    def value_at(self, t: float) -> float:
        return self.model.value_at(t - self.origin)


class Trace:
    """Columns of a recorded trace: a ``time`` column (seconds) and one column per quantity.

    ``Trace.load("field.csv")`` reads a CSV with a header row such as
    ``time,temperature,humidity``; ``trace.model("temperature")`` is a :class:`Sequence`
    model over that column (empty cells are skipped).
    """

    def __init__(
        self,
        times: _Seq[float],
        columns: Mapping[str, _Seq[float | None]],
        interpolation: Interpolation = "step",
    ) -> None:
        self.times = [float(t) for t in times]
        self.columns = {name: list(values) for name, values in columns.items()}
        self.interpolation: Interpolation = interpolation
        for name, values in self.columns.items():
            if len(values) != len(self.times):
                raise ValueError(f"column {name!r} has {len(values)} rows, time has {len(times)}")

    @classmethod
    def load(
        cls, path: str | Path, time_column: str = "time", interpolation: Interpolation = "step"
    ) -> Trace:
        with open(path, newline="", encoding="utf-8") as f:
            return cls.parse(f.read(), time_column, interpolation, source=str(path))

    @classmethod
    def parse(
        cls,
        text: str,
        time_column: str = "time",
        interpolation: Interpolation = "step",
        source: str = "<csv>",
    ) -> Trace:
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None or time_column not in reader.fieldnames:
            raise ValueError(f"{source}: no {time_column!r} column in the header")
        names = [n for n in reader.fieldnames if n != time_column]
        times: list[float] = []
        columns: dict[str, list[float | None]] = {n: [] for n in names}
        for row in reader:
            line = reader.line_num
            times.append(_number(row[time_column], source, line, time_column))
            for n in names:
                cell = (row.get(n) or "").strip()
                columns[n].append(_number(cell, source, line, n) if cell else None)
        if not times:
            raise ValueError(f"{source}: no rows")
        return cls(times, columns, interpolation)

    @property
    def quantities(self) -> list[str]:
        return list(self.columns)

    def model(self, name: str) -> Sequence:
        points = [
            (t, v) for t, v in zip(self.times, self.columns[name], strict=True) if v is not None
        ]
        if not points:
            raise ValueError(f"column {name!r} has no values")
        return Sequence(points, self.interpolation)


def _number(cell: str, source: str, line: int, column: str) -> float:
    try:
        return float(cell)
    except ValueError:
        raise ValueError(f"{source}:{line}: column {column!r}: {cell!r} is not a number") from None


def as_model(value: float | ValueModel) -> ValueModel:
    """Numbers become :class:`Constant`; models pass through."""
    if isinstance(value, int | float):
        return Constant(value)
    if not hasattr(value, "value_at"):
        raise TypeError(f"expected a number or a model with value_at(t), got {value!r}")
    return value


class Environment:
    """The quantities around one board, each a :class:`ValueModel`; settable at any time.

    ``env.set(temperature=31.5, humidity=Sequence([(0, 40), (120, 80)]))``;
    ``env.set_trace(Trace.load("field.csv"))``; ``env.value("temperature", t)``.
    ``relative_to`` shifts the given models' time axis (``env.set(..., relative_to=now)``
    makes a sequence start now rather than at t = 0).
    """

    __slots__ = ("_models",)

    def __init__(self) -> None:
        self._models: dict[str, ValueModel] = {}

    def set(self, relative_to: float | None = None, **quantities: float | ValueModel) -> None:
        for name, value in quantities.items():
            if name not in DEFAULTS:
                raise KeyError(f"unknown quantity {name!r}; known: {', '.join(DEFAULTS)}")
            model = as_model(value)
            if relative_to is not None and not isinstance(model, Constant):
                model = Shifted(model, relative_to)
            self._models[name] = model

    def set_trace(self, trace: Trace, relative_to: float | None = None) -> None:
        """Drive every quantity the trace has a column for (unknown columns are an error)."""
        self.set(relative_to, **{name: trace.model(name) for name in trace.quantities})

    def reset(self, *names: str) -> None:
        """Back to the defaults (all quantities, or the named ones)."""
        for name in names or list(self._models):
            self._models.pop(name, None)

    def model(self, name: str) -> ValueModel:
        if name in self._models:
            return self._models[name]
        return Constant(DEFAULTS[name])

    def value(self, name: str, t: float) -> float:
        model = self._models.get(name)
        return DEFAULTS[name] if model is None else model.value_at(t)
