"""The seed README's three programs compile and run (against a recording stand-in)."""

import json

from firmware.steel import Interpreter
from tests.firmware.recorder import Recorder
from tests.firmware.support import read_text


def _run(path, **sensors):
    interp = Interpreter(output=lambda s: None)
    rec = Recorder(interp, **sensors)
    interp.eval(read_text(*path.split("/")), path)
    return interp, rec


def test_blink_toggles_the_led_with_one_second_sleeps():
    _, rec = _run("scenarios/programs/seed/blink.scm")
    assert rec.events == [
        ("log", "info", "Starting blink program"),
        ("led", True),
        ("sleep", 1),
        ("led", False),
        ("sleep", 1),
        ("log", "info", "Blink complete"),
    ]


def test_seed_sensor_monitor_publishes_updates_shadow_and_rearms_its_timer():
    _, rec = _run("scenarios/programs/seed/sensor-monitor.scm", temperature=25.0, humidity=50.0)
    assert rec.kinds() == ["log", "publish", "shadow", "timer"]
    assert rec.events[0] == ("log", "info", "Temp: 25.0°C, Humidity: 50.0%")
    topic, payload = rec.events[1][1], rec.events[1][2]
    assert topic == "sensors/data"
    assert payload == '{"temperature":25.0,"humidity":50.0}'
    assert rec.events[2] == ("shadow", "sensor-data", payload)
    assert rec.events[3] == ("timer", "sensor-check", 60)


def test_seed_sensor_monitor_alert_quotes_names_instead_of_values():
    # The seed's bug, faithfully reproduced: the alert carries the symbol temp.
    _, rec = _run("scenarios/programs/seed/sensor-monitor.scm", temperature=31.5)
    alerts = [e for e in rec.events if e[0] == "publish" and e[1] == "alerts/temperature"]
    assert len(alerts) == 1
    assert ("led", True) in rec.events
    assert '"temperature":"temp"' in alerts[0][2]


def test_fixed_sensor_monitor_alert_carries_the_values_and_repeats_every_minute():
    interp, rec = _run("scenarios/programs/sensor-monitor.scm", temperature=31.5, now=1000)
    alerts = [e for e in rec.events if e[0] == "publish" and e[1] == "alerts/temperature"]
    assert len(alerts) == 1
    alert = json.loads(alerts[0][2])
    assert alert == {"temperature": 31.5, "threshold": 30, "timestamp": 1000}
    rec.events = []
    rec.temperature = 20.0
    rec.fire("sensor-check")
    assert rec.kinds() == ["log", "publish", "shadow", "timer"]
    assert "sensor-check" in rec.timers


def test_batch_publishes_ten_readings_at_a_time():
    interp, rec = _run("scenarios/programs/seed/batch.scm", temperature=20)
    for i in range(1, 10):
        rec.temperature = 20 + i
        rec.fire("batch-reading")
    batches = [e for e in rec.events if e[0] == "publish"]
    assert len(batches) == 1
    assert batches[0][1] == "sensors/batch"
    assert json.loads(batches[0][2]) == [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]
    assert interp.eval("readings") is not None
    assert interp.eval("(length readings)") == 0


def test_check_warns_about_the_seeds_quoted_variable():
    interp = Interpreter(output=lambda s: None)
    Recorder(interp)
    warnings, error = interp.check(
        read_text("scenarios", "programs", "seed", "sensor-monitor.scm"), "m.scm"
    )
    assert error is None
    assert len(warnings) == 1
    line, column, message = warnings[0]
    assert (line, column) == (22, 38)  # the (temperature . temp) entry
    assert "temp" in message
    fixed, error = interp.check(read_text("scenarios", "programs", "sensor-monitor.scm"), "f.scm")
    assert error is None and fixed == []
