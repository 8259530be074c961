"""Sensor value models: constant, sequence, noise (seeded), CSV trace, environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.board.models import Constant, Environment, Noise, Sequence, Trace


def test_constant() -> None:
    assert Constant(31.5).value_at(0) == 31.5
    assert Constant(31.5).value_at(1e6) == 31.5


def test_sequence_steps_and_holds_ends() -> None:
    seq = Sequence([(60, 35.0), (0, 20.0), (120, 25.0)])
    assert seq.value_at(-5) == 20.0
    assert seq.value_at(59.999) == 20.0
    assert seq.value_at(60) == 35.0
    assert seq.value_at(1000) == 25.0


def test_sequence_linear_interpolation() -> None:
    seq = Sequence([(0, 20.0), (10, 30.0)], interpolation="linear")
    assert seq.value_at(5) == pytest.approx(25.0)
    assert seq.value_at(20) == 30.0


def test_noise_is_reproducible_and_independent_of_read_pattern() -> None:
    a = Noise(22.0, 0.5, seed=7)
    b = Noise(22.0, 0.5, seed=7)
    first = [a.value_at(t) for t in (1.0, 2.0, 3.0)]
    b.value_at(2.0)  # reading in another order does not change the trace
    assert [b.value_at(t) for t in (3.0, 1.0, 2.0)] == [first[2], first[0], first[1]]
    assert Noise(22.0, 0.5, seed=8).value_at(1.0) != first[0]
    samples = [a.value_at(float(t)) for t in range(2000)]
    mean = sum(samples) / len(samples)
    assert abs(mean - 22.0) < 0.1
    assert 0.3 < (sum((s - mean) ** 2 for s in samples) / len(samples)) ** 0.5 < 0.7


def test_noise_around_a_model() -> None:
    noisy = Noise(Sequence([(0, 10.0), (100, 40.0)]), 0.01, seed=1)
    assert noisy.value_at(50) == pytest.approx(10.0, abs=0.1)
    assert noisy.value_at(150) == pytest.approx(40.0, abs=0.1)


def test_csv_trace(tmp_path: Path) -> None:
    path = tmp_path / "field.csv"
    path.write_text("time,temperature,humidity\n0,21.0,40\n60,31.5,\n120,22.0,55\n")
    trace = Trace.load(path)
    assert trace.quantities == ["temperature", "humidity"]
    assert trace.model("temperature").value_at(90) == 31.5
    assert trace.model("humidity").value_at(90) == 40.0  # empty cell: previous value holds
    env = Environment()
    env.set_trace(trace)
    assert env.value("temperature", 130) == 22.0
    assert env.value("accel_z", 0) == 1.0  # untouched quantities keep their defaults


def test_csv_errors_name_the_line() -> None:
    with pytest.raises(ValueError, match=r"<csv>:3: column 'temperature'"):
        Trace.parse("time,temperature\n0,1\n5,warm\n")
    with pytest.raises(ValueError, match="no 'time' column"):
        Trace.parse("t,temperature\n0,1\n")


def test_environment_set_reset_and_relative_sequences() -> None:
    env = Environment()
    assert env.value("temperature", 0) == 22.0
    env.set(temperature=31.5)
    assert env.value("temperature", 5) == 31.5
    env.set(relative_to=100.0, humidity=Sequence([(0, 40.0), (10, 80.0)]))
    assert env.value("humidity", 105) == 40.0
    assert env.value("humidity", 110) == 80.0
    env.reset("temperature")
    assert env.value("temperature", 0) == 22.0
    with pytest.raises(KeyError):
        env.set(pressure=1013.0)
