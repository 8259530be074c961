"""Program lifecycle end to end at the core level: load, run, status, replace, start/stop/unload."""

import json

from firmware.agent.storage import sha256_hex
from tests.firmware.agent_fakes import Rig
from tests.firmware.support import read_text

BLINK = read_text("scenarios", "programs", "seed", "blink.scm")
MONITOR = read_text("scenarios", "programs", "sensor-monitor.scm")
SEED_MONITOR = read_text("scenarios", "programs", "seed", "sensor-monitor.scm")
STATUS = "steel-programs/dev-1/status"


def test_blink_toggles_the_led_at_the_right_virtual_times_then_finishes():
    rig = Rig()
    rig.now = 10.0
    rig.load("blink", BLINK)
    assert rig.board.led_history == [(10.0, True)]
    rig.run_until(10.5)
    assert rig.board.led_history == [(10.0, True)]
    rig.run_until(20)
    assert rig.board.led_history == [(10.0, True), (11.0, False)]
    assert rig.states("blink") == ["loaded", "running", "finished"]
    finished = rig.statuses()[-1]
    assert finished["thing"] == "dev-1" and finished["ts"] == 1700000012.0
    logs = rig.json_on("logs/dev-1")
    assert [entry["message"] for entry in logs] == ["Starting blink program", "Blink complete"]
    assert logs[1]["ts"] == 1700000012.0 and logs[1]["program_id"] == "blink"


def test_sensor_monitor_publishes_every_60_virtual_seconds_with_shadow_and_alerts():
    rig = Rig()
    rig.board.shtc3.temperature = 25.0
    rig.board.shtc3.humidity = 50.0
    rig.load("sensor-monitor", MONITOR)
    rig.run_until(59.0)
    data = rig.on("sensors/dev-1/data")
    assert data == [(0.0, '{"temperature":25.0,"humidity":50.0}')]
    shadow = [s for s in rig.shadow_reports() if "sensor-data" in s["state"]["reported"]]
    assert shadow == [
        {"state": {"reported": {"sensor-data": {"temperature": 25.0, "humidity": 50.0}}}}
    ]
    assert rig.board.led_history == []
    rig.board.shtc3.temperature = 31.5
    rig.run_until(185.0)
    times = [t for t, _ in rig.on("sensors/dev-1/data")]
    assert times == [0.0, 60.0, 120.0, 180.0]
    alerts = rig.json_on("alerts/dev-1/temperature")
    assert alerts == [
        {"temperature": 31.5, "threshold": 30, "timestamp": 1700000060},
        {"temperature": 31.5, "threshold": 30, "timestamp": 1700000120},
        {"temperature": 31.5, "threshold": 30, "timestamp": 1700000180},
    ]
    assert rig.board.led_history[0] == (60.0, True)
    assert rig.agent.program_state == "running"
    timers = [f for f in rig.traced("timer") if f["action"] == "set"]
    assert [f["due"] for f in timers] == [60.0, 120.0, 180.0, 240.0]


def test_the_seeds_verbatim_monitor_runs_and_alerts_with_its_quoted_names():
    rig = Rig()
    rig.board.shtc3.temperature = 31.5
    rig.load("seed-monitor", SEED_MONITOR)
    alert = rig.json_on("alerts/dev-1/temperature")[0]
    assert alert["temperature"] == "temp"  # the seed's quoting bug, reproduced
    assert rig.board.led
    assert rig.agent.program_state == "running"


def test_broadcast_load_reaches_the_device_and_status_is_on_its_own_topic():
    rig = Rig()
    rig.load("blink", BLINK, broadcast=True)
    assert "steel-programs/broadcast/load" in rig.subscriptions
    assert rig.states("blink")[:2] == ["loaded", "running"]
    assert rig.on("steel-programs/broadcast/status") == []


def test_auto_start_false_loads_without_running_until_start():
    rig = Rig()
    rig.load("blink", BLINK, auto_start=False)
    assert rig.states() == ["loaded"]
    assert rig.board.led_history == []
    rig.command("start", {"program_id": "blink"})
    assert rig.states() == ["loaded", "running"]
    assert rig.board.led


def test_start_without_an_id_starts_the_current_program_and_again_reruns_it():
    rig = Rig()
    rig.load("blink", BLINK)
    rig.advance(3)
    assert rig.agent.program_state == "finished"
    rig.command("start")  # empty payload: the current program
    assert rig.agent.program_state == "running"
    rig.advance(3)
    assert len(rig.board.led_history) == 4
    assert rig.agent.metrics_snapshot()["programs_run"] == 2


def test_start_while_running_changes_nothing_but_answers():
    rig = Rig()
    rig.load("m", MONITOR)
    before = len(rig.on("sensors/dev-1/data"))
    rig.command("start", "{}")
    assert rig.states()[-1] == "running"
    assert len(rig.on("sensors/dev-1/data")) == before


def test_stop_cancels_timers_and_reports_stopped():
    rig = Rig()
    rig.load("m", MONITOR)
    rig.command("stop", {"program_id": "m"})
    assert rig.states()[-1] == "stopped"
    rig.advance(200)
    assert len(rig.on("sensors/dev-1/data")) == 1
    assert rig.agent.program_state == "stopped"
    rig.command("start", "")
    rig.advance(1)
    assert len(rig.on("sensors/dev-1/data")) == 2


def test_loading_replaces_the_current_program():
    rig = Rig()
    rig.load("m", MONITOR)
    rig.load("blink", BLINK)
    assert rig.states("m") == ["loaded", "running", "stopped"]
    assert rig.states("blink")[:2] == ["loaded", "running"]
    rig.advance(300)
    assert len(rig.on("sensors/dev-1/data")) == 1  # the monitor's timer was cancelled


def test_reloading_the_same_id_with_new_source_runs_the_new_source():
    rig = Rig()
    rig.load("p", '(log "info" "one")')
    rig.load("p", '(log "info" "two")')
    assert [entry["message"] for entry in rig.json_on("logs/dev-1")] == ["one", "two"]
    assert rig.agent.programs.store.find("p") == sha256_hex(b'(log "info" "two")')


def test_load_by_stored_id_restarts_it():
    rig = Rig()
    rig.load("blink", BLINK)
    rig.load("other", "(+ 1 2)")
    rig.advance(5)
    rig.load("blink")  # neither source nor url: the stored copy
    assert rig.agent.program_id == "blink"
    assert rig.states("blink")[-2:] == ["loaded", "running"]


def test_start_of_a_stored_program_that_is_not_current_makes_it_current():
    rig = Rig()
    rig.load("blink", BLINK)
    rig.load("other", "(+ 1 2)")
    rig.command("start", {"program_id": "blink"})
    assert rig.agent.program_id == "blink" and rig.agent.program_state == "running"


def test_unload_stops_and_forgets_the_program():
    rig = Rig()
    rig.load("m", MONITOR)
    rig.command("unload", {"program_id": "m"})
    last = rig.last_status()
    assert last["state"] == "stopped" and last["unloaded"] is True
    assert rig.agent.program_id is None and rig.agent.program_state is None
    assert rig.agent.programs.store.find("m") is None
    assert rig.shadow_reports()[-1]["state"]["reported"]["agent"]["program"] == {
        "id": None,
        "state": None,
    }
    rig.load("m")
    assert rig.last_status()["reason"] == "unknown-program"


def test_unload_of_a_stored_program_that_is_not_current():
    rig = Rig()
    rig.load("a", "(+ 1 2)")
    rig.load("b", "(+ 1 2)")
    rig.command("unload", {"program_id": "a"})
    assert rig.last_status()["program_id"] == "a" and rig.last_status()["unloaded"] is True
    assert rig.agent.program_id == "b"
    assert rig.agent.programs.store.find("a") is None


def test_a_program_that_ends_with_nothing_armed_is_finished():
    rig = Rig()
    rig.load("quick", '(display "hi") (newline) (display "tail")')
    assert rig.states() == ["loaded", "running", "finished"]
    outputs = [f["text"] for f in rig.traced("output")]
    assert outputs == ["hi", "tail"]
    assert "quick> hi" in rig.board.lines


def test_a_program_with_only_a_handler_armed_keeps_running():
    rig = Rig()
    rig.load("h", '(on-shadow-delta (lambda (d) (log "info" "delta")))')
    assert rig.agent.program_state == "running"


def test_only_a_few_programs_are_kept_on_flash():
    rig = Rig()
    for i in range(6):
        rig.load("p%d" % i, "(+ %d 1)" % i)
    store = rig.agent.programs.store
    assert [e[0] for e in store.state["recent"]] == ["p5", "p4", "p3", "p2"]
    assert len(rig.fs.listdir("/data/programs")) == 4
    rig.load("p0")
    assert rig.last_status()["reason"] == "unknown-program"


def test_status_messages_are_json_with_the_documented_fields():
    rig = Rig()
    rig.load("blink", BLINK)
    for _, payload in rig.on(STATUS):
        msg = json.loads(payload)
        assert set(msg) >= {"thing", "program_id", "state", "ts"}
    traced = rig.traced("status")
    assert [f["state"] for f in traced] == rig.states()


def test_load_program_is_a_local_load_request():
    rig = Rig()
    rig.agent.load_program(rig.now, "local", BLINK)
    assert rig.agent.program_id == "local" and rig.agent.program_state == "running"
    rig.agent.load_program(rig.now, "later", BLINK, auto_start=False)
    assert rig.agent.program_state == "loaded"


def test_message_payloads_may_be_str_or_bytearray():
    from firmware.agent.events import Message

    rig = Rig()
    rig.send(
        Message(rig.now, "steel-programs/dev-1/load", '{"program_id": "s", "source": "(led-on)"}')
    )
    assert rig.board.led
    rig.send(Message(rig.now, "steel-programs/dev-1/stop", bytearray(b"{}")))
    assert rig.agent.program_state == "stopped"


def test_broadcast_start_stop_and_unload():
    rig = Rig()
    rig.load("m", MONITOR)
    rig.command("stop", "{}", broadcast=True)
    assert rig.agent.program_state == "stopped"
    rig.command("start", "", broadcast=True)
    assert rig.agent.program_state == "running"
    rig.command("unload", {"program_id": "m"}, broadcast=True)
    assert rig.agent.program_id is None
    for cmd in ("start", "stop", "unload"):
        assert "steel-programs/broadcast/%s" % cmd in rig.subscriptions
