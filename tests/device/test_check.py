"""`steelhil check`: programs on a virtual board, offline, on virtual time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.device.check import run_program

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "scenarios" / "programs"


def steelhil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_blink_toggles_the_led_at_the_right_virtual_times() -> None:
    result = run_program((PROGRAMS / "seed" / "blink.scm").read_text(), duration=5)
    leds = [(e["t"], e["state"]) for e in result.events if e["kind"] == "led"]
    assert [state for _, state in leds] == [True, False]
    # Stamped when the board did it: its boot and the program's first steps cost time.
    assert 0 < leds[0][0] < 0.01
    assert leds[1][0] - leds[0][0] == pytest.approx(1.0, abs=0.002)
    logs = [e["message"] for e in result.events if e["kind"] == "log"]
    assert logs == ["Starting blink program", "Blink complete"]
    assert result.final_state == "finished" and not result.failed


def test_sensor_monitor_reports_every_60_virtual_seconds_and_alerts_above_30() -> None:
    source = (PROGRAMS / "sensor-monitor.scm").read_text()
    hot = run_program(source, duration=130, sensors={"temperature": 31.5, "humidity": 40.0})
    data = [e for e in hot.events if e["kind"] == "publish" and e["topic"] == "sensors/data"]
    # each reading waits for the SHTC3's 12.1 ms conversion, on the board's own time
    assert [round(e["t"] - data[0]["t"], 2) for e in data] == [0.0, 60.0, 120.0]
    assert 0.0121 < data[0]["t"] < 0.03
    assert json.loads(data[0]["payload"]) == {"temperature": 31.5, "humidity": 40.0}
    alerts = [
        e for e in hot.events if e["kind"] == "publish" and e["topic"] == "alerts/temperature"
    ]
    assert len(alerts) == 3
    alert = json.loads(alerts[0]["payload"])
    assert alert["temperature"] == 31.5 and alert["threshold"] == 30
    assert [e["state"] for e in hot.events if e["kind"] == "led"] == [True, True, True]
    assert [e["key"] for e in hot.events if e["kind"] == "shadow"] == ["sensor-data"] * 3
    cool = run_program(source, duration=130, sensors={"temperature": 22.0})
    assert not [e for e in cool.events if e["kind"] == "led"]
    assert not [e for e in cool.events if e.get("topic") == "alerts/temperature"]


def test_a_runaway_program_ends_with_an_error_on_virtual_time() -> None:
    result = run_program("(define (spin n) (spin (+ n 1))) (spin 0)", duration=600)
    assert result.failed
    assert result.error is not None and result.error["kind"] == "StepLimitExceeded"


def test_check_cli_text_and_json_output() -> None:
    text = steelhil("check", "--file", str(PROGRAMS / "seed" / "blink.scm"), "--for", "5s")
    assert text.returncode == 0, text.stderr
    leds = [line.split() for line in text.stdout.splitlines() if " led " in line]
    assert [(fields[1], fields[2]) for fields in leds] == [("led", "on"), ("led", "off")]
    assert float(leds[1][0]) - float(leds[0][0]) == pytest.approx(1.0, abs=0.002)
    js = steelhil(
        "check",
        "--file",
        str(PROGRAMS / "sensor-monitor.scm"),
        "--sensor",
        "temperature=31.5",
        "--for",
        "130s",
        "--json",
    )
    assert js.returncode == 0, js.stderr
    events = [json.loads(line) for line in js.stdout.splitlines()]
    publishes = [e for e in events if e["kind"] == "publish"]
    assert {"t", "kind", "topic", "payload"} <= set(publishes[0])
    times = [e["t"] for e in publishes if e["topic"] == "sensors/data"]
    assert [round(t - times[0], 2) for t in times] == [0.0, 60.0, 120.0]
    logs = [e for e in events if e["kind"] == "log"]
    assert {"level", "message"} <= set(logs[0])


def test_check_cli_errors_exit_1_with_line_and_column(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime.scm"
    runtime.write_text("(define (f) (car 5))\n(f)\n")
    result = steelhil("check", "--file", str(runtime))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"{runtime}:1:13: TypeMismatch: car: expected a pair (argument 1), found 5"
    )
    assert result.stdout.count(" error ") == 1
    syntax = tmp_path / "syntax.scm"
    syntax.write_text("(define (f) (car 5)\n")
    result = steelhil("check", "--file", str(syntax))
    assert result.returncode == 1
    assert "Parse: unclosed parenthesis" in result.stderr


def test_check_cli_usage_errors(tmp_path: Path) -> None:
    missing = steelhil("check", "--file", str(tmp_path / "none.scm"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    bad = steelhil("check", "--file", str(PROGRAMS / "stats.scm"), "--for", "soon")
    assert bad.returncode == 2 and "not a duration" in bad.stderr
    bad = steelhil("check", "--file", str(PROGRAMS / "stats.scm"), "--sensor", "temperature")
    assert bad.returncode == 2 and "NAME=VALUE" in bad.stderr
