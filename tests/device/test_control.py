"""The control channel of a device process: JSON requests to a virtual board."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from emulator.board.board import VirtualBoard
from emulator.board.clock import VirtualClock
from emulator.device.control import DeviceControl, serve


@pytest.fixture
def control() -> DeviceControl:
    clock = VirtualClock()
    board = VirtualBoard("dev-1", clock=clock)
    return DeviceControl(board, clock, lambda fn: fn())


def ask(control: DeviceControl, **request: object) -> dict[str, object]:
    return control.handle(json.dumps(request))


def test_sensors_are_set_and_checked(control: DeviceControl) -> None:
    assert ask(control, op="set_sensors", values={"temperature": 31.5}) == {"ok": True}
    assert control.board.env.value("temperature", 0.0) == 31.5
    reply = ask(control, op="set_sensors", values={"pressure": 1})
    assert reply["ok"] is False and "unknown quantity 'pressure'" in str(reply["error"])
    reply = ask(control, op="set_sensors", values={"humidity": "wet"})
    assert reply == {"ok": False, "error": "humidity: a number, not 'wet'"}


def test_a_sequence_model_starts_now(control: DeviceControl) -> None:
    control.clock.advance(100)
    model = {"kind": "sequence", "values": [20, 25], "every": 10}
    assert ask(control, op="sensor_model", quantity="temperature", model=model)["ok"]
    assert control.board.env.value("temperature", 105.0) == 20.0
    assert control.board.env.value("temperature", 111.0) == 25.0


def test_a_csv_trace_is_relative_to_now(control: DeviceControl, tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    trace.write_text("time,temperature\n0,10\n60,40\n")
    control.clock.advance(1000)
    model = {"kind": "csv", "file": str(trace)}
    assert ask(control, op="sensor_model", quantity="temperature", model=model)["ok"]
    assert control.board.env.value("temperature", 1061.0) == 40.0


def test_button_led_pixel_and_power(control: DeviceControl) -> None:
    assert ask(control, op="press_button", hold=0.5)["ok"]
    assert control.board.button.pressed
    control.clock.advance(1)
    assert not control.board.button.pressed
    control.board.set_led(True)
    control.board.set_pixel(1, 2, 3)
    assert ask(control, op="led", id=7) == {"id": 7, "ok": True, "value": True}
    assert ask(control, op="pixel")["value"] == [1, 2, 3]
    assert ask(control, op="power_cycle", off_for=2)["ok"]
    assert not control.board.powered
    control.clock.advance(2)
    assert control.board.powered
    assert ask(control, op="cut_power_at_write", nth=1)["ok"]
    assert control.board.flash.armed
    assert ask(control, op="cut_power_at_write", nth=0)["ok"] is False
    assert ask(control, op="skew_clock", seconds=30)["ok"]
    assert control.board.wall_skew == 30


def test_bad_requests_get_an_answer(control: DeviceControl) -> None:
    assert str(ask(control, op="fly")["error"]).startswith(
        "unknown op 'fly'; ops: cut_power_at_write"
    )
    assert control.handle("{not json")["ok"] is False
    assert control.handle("[1]") == {"ok": False, "error": "a request is a JSON object with an op"}
    assert ask(control, op="skew_clock") == {"ok": False, "error": "missing field 'seconds'"}


def test_serve_answers_one_line_per_request(control: DeviceControl) -> None:
    out = io.StringIO()
    serve(control, io.StringIO('{"op": "led"}\n\n{"op": "nope"}\n'), out)
    replies = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["ok"] for r in replies] == [True, False]
