"""The device API for Steel programs, one procedure at a time (docs/steel-api.md)."""

import json

from firmware.agent.events import Subscribe, Unsubscribe
from tests.firmware.agent_fakes import Rig, config


def run(source, rig=None, settle=True):
    rig = rig if rig is not None else Rig()
    rig.load("p", source)
    if settle:
        rig.settle()
    return rig


def logged(rig):
    return [f["message"] for f in rig.traced("log")]


def error(rig):
    last = rig.last_status()
    assert last["state"] == "error", last
    return last["error"]


def test_log_goes_to_console_trace_and_mqtt():
    rig = run('(log "warn" "hot") (log \'info (list 1 2))')
    assert logged(rig) == ["hot", "(1 2)"]
    assert rig.traced("log")[1]["level"] == "info"
    assert "[warn] p: hot" in rig.board.lines
    msgs = rig.json_on("logs/dev-1")
    assert msgs[0]["level"] == "warn" and msgs[0]["program_id"] == "p"
    assert [q for _, topic, _, q in rig.published if topic == "logs/dev-1"] == [0, 0]


def test_log_level_must_be_a_string_or_symbol():
    rig = run('(log 5 "x")')
    assert error(rig)["kind"] == "TypeMismatch"


def test_log_shadows_the_math_log_which_stays_reachable_as_math_log():
    rig = run('(log "info" (number->string (round (math-log 1))))')
    assert logged(rig) == ["0"] or logged(rig) == ["0.0"]


def test_long_log_messages_are_clipped():
    rig = run('(log "info" (make-string 5000 #\\a))')
    assert len(logged(rig)[0]) == 1003


def test_leds_and_pixel():
    rig = run("(led-on) (led-set-color 255 0 16) (led-off)")
    assert rig.board.led_history == [(0.0, True), (0.0, False)]
    assert rig.board.pixel == (255, 0, 16)
    assert [f["state"] for f in rig.traced("led")] == [True, False]
    assert rig.traced("pixel")[0]["r"] == 255


def test_led_set_color_checks_its_arguments():
    assert error(run("(led-set-color 256 0 0)"))["kind"] == "ContractViolation"
    assert error(run("(led-set-color 1.5 0 0)"))["kind"] == "TypeMismatch"
    assert error(run("(led-set-color -1 0 0)"))["kind"] == "ContractViolation"
    rig = run("(led-set-color 0 0)")  # known arity: refused before anything runs
    assert rig.last_status()["reason"] == "compile-error"
    assert rig.last_status()["error"]["kind"] == "ArityMismatch"


def test_read_sensors_returns_a_hash_map_with_symbol_keys():
    rig = Rig()
    rig.board.shtc3.temperature = 21.25
    rig.board.shtc3.humidity = 55.5
    run(
        "(define s (read-sensors))"
        '(log "info" (json-encode s))'
        '(log "info" (number->string (hash-ref s \'temperature)))',
        rig,
    )
    assert logged(rig) == ['{"temperature":21.25,"humidity":55.5}', "21.25"]


def test_read_sensors_failure_is_an_io_error_the_program_can_catch():
    rig = Rig()
    rig.board.shtc3.corrupt = "temperature"
    run(
        '(with-handler (lambda (e) (log "error" (error-object-message e))) (read-sensors))',
        rig,
    )
    assert "CRC mismatch" in logged(rig)[0]
    rig.board.shtc3.absent = True
    rig.load("q", "(read-sensors)")
    err = error(rig)
    assert err["kind"] == "Io" and "did not acknowledge wakeup" in err["message"]


def test_read_imu():
    rig = Rig()
    rig.board.icm.accel = (0.0, 0.5, -1.0)
    rig.board.icm.gyro = (10.0, 0.0, -20.0)
    rig.board.icm.temperature = 28.0
    run(
        "(define m (read-imu))"
        '(log "info" (json-encode (hash-ref m \'accel)))'
        "(log \"info\" (number->string (hash-ref (hash-ref m 'gyro) 'z)))"
        '(log "info" (number->string (hash-ref m \'temperature)))',
        rig,
    )
    got = logged(rig)
    assert json.loads(got[0]) == {"x": 0.0, "y": 0.5, "z": -1.0}
    assert abs(float(got[1]) + 20.0) < 0.01
    assert float(got[2]) == 28.0


def test_read_imu_failure_reinitialises_on_the_next_call():
    rig = Rig()
    rig.board.icm.absent = True
    rig.load("p", "(read-imu)")
    assert error(rig)["kind"] == "Io"
    rig.board.icm.absent = False
    rig.load("q", '(log "info" (number->string (hash-ref (read-imu) \'temperature)))')
    assert logged(rig) == ["25.0"]


def test_button_pressed_and_on_button():
    rig = Rig()
    run(
        '(log "info" (if (button-pressed?) "down" "up"))'
        '(on-button (lambda (p) (log "info" (if p "pressed" "released"))'
        '                       (log "info" (if (button-pressed?) "held" "free"))))',
        rig,
    )
    rig.press(True)
    rig.press(False)
    assert logged(rig) == ["up", "pressed", "held", "released", "free"]
    rig.load("q", "(on-button 5)")
    assert error(rig)["kind"] == "TypeMismatch"


def test_button_events_without_a_handler_are_ignored():
    rig = run('(set-timer "t" 100 (lambda () 1))')
    rig.press(True)
    assert rig.agent.program_state == "running"
    assert rig.traced("button")[0]["pressed"] is True


def test_on_button_with_false_unregisters():
    rig = run('(on-button (lambda (p) (log "info" "x"))) (on-button #f)')
    assert rig.agent.program_state == "finished"
    rig.press(True)
    assert logged(rig) == []


def test_get_on_hash_maps_and_alists_with_symbol_or_string_keys():
    rig = run(
        '(define h (hash \'a 1 "b" 2))'
        '(define al \'((a . 1) ("b" . 2) (c 3)))'
        '(log "info" (format "~a ~a ~a ~a" (get h \'a) (get h "a") (get h \'b) (get h "b")))'
        '(log "info" (format "~a ~a ~a ~a" (get al \'a) (get al "a") (get al \'b) (get al \'c)))'
        "(log \"info\" (format \"~a ~a ~a\" (get h 'zz) (get h 'zz 0) (get '() 'a 'none)))"
        '(log "info" (format "~a" (get (hash 1 \'one) 1)))'
    )
    assert logged(rig) == ["1 1 2 2", "1 1 2 (3)", "#false 0 none", "one"]
    rig = run('(log "info" (format "~a ~a" (get (hash 1 \'one) 2) (get \'((1 . one)) 2 \'no)))')
    assert logged(rig) == ["#false no"]


def test_get_rejects_other_tables():
    assert error(run("(get 5 'a)"))["kind"] == "TypeMismatch"


def test_format_and_json_from_the_library():
    rig = run(
        '(log "info" (format "T: ~a°C" 21.5))'
        '(log "info" (json-encode (json-decode "{\\"a\\": [1, 2.5, null]}")))'
    )
    assert logged(rig) == ["T: 21.5°C", '{"a":[1,2.5,null]}']


def test_mqtt_publish_maps_program_topics_and_encodes_values():
    rig = run(
        '(mqtt-publish "sensors/data" "raw text")'
        '(mqtt-publish "alerts" (hash \'level 3))'
        '(mqtt-publish "a/b/c" "q0" 0)'
    )
    assert rig.on("sensors/dev-1/data") == [(0.0, "raw text")]
    assert rig.on("alerts/dev-1") == [(0.0, '{"level":3}')]
    assert [p[3] for p in rig.published if p[1] == "a/dev-1/b/c"] == [0]
    pubs = rig.traced("publish")
    assert pubs[0]["topic"] == "sensors/data" and pubs[0]["device_topic"] == "sensors/dev-1/data"


def test_mqtt_publish_errors():
    for src, word in (
        ('(mqtt-publish "$aws/things/x" "p")', "AWS's"),
        ('(mqtt-publish "steel-programs/status" "p")', "reserved"),
        ('(mqtt-publish "metrics" "p")', "reserved"),
        ('(mqtt-publish "a/+/b" "p")', "wildcards"),
        ('(mqtt-publish "" "p")', "empty"),
        ('(mqtt-publish "/a" "p")', "first level is empty"),
        ('(mqtt-publish 5 "p")', "string topic"),
        ('(mqtt-publish "a" "p" 2)', "qos"),
        ('(mqtt-publish "a/b/c/d/e/f/g/h" "p")', "too many levels"),
        ('(mqtt-publish (make-string 300 #\\a) "p")', "longer than 256"),
        ('(mqtt-publish "a" (lambda () 1))', "JSON"),
    ):
        err = error(run(src))
        assert word in err["message"], (src, err)


def test_mqtt_publish_payload_limit():
    rig = Rig(cfg=config(memory=1 << 20))
    rig.load("p", '(mqtt-publish "a" (make-string 140000 #\\a))')
    assert "the limit is 131072" in error(rig)["message"]


def test_a_runaway_publisher_is_throttled_not_killed():
    rig = Rig(cfg=config(publish_burst=5, publish_rate=2))
    rig.load("p", '(let loop ((i 0)) (mqtt-publish "x" (number->string i)) (loop (+ i 1)))')
    rig.settle()
    assert len(rig.on("x/dev-1")) == 5
    rig.advance(10)
    sent = rig.on("x/dev-1")
    assert len(sent) == 25
    assert sent[5][0] == 0.5 and sent[6][0] == 1.0
    assert [p for _, p in sent][:3] == ["0", "1", "2"]
    assert rig.agent.program_state == "running"
    assert rig.agent.metrics_snapshot()["publish_waits"] >= 20
    rig.command("stop")
    rig.advance(10)
    assert len(rig.on("x/dev-1")) == 25


def test_mqtt_subscribe_handler_gets_program_topic_and_payload():
    rig = run(
        '(mqtt-subscribe "cmd/led" (lambda (topic payload)'
        '  (log "info" (string-append topic " " payload))'
        '  (if (equal? payload "on") (led-on) (led-off))))'
    )
    assert rig.subscriptions["cmd/dev-1/led"] == 1
    assert rig.subscriptions["cmd/broadcast/led"] == 1
    rig.deliver("cmd/dev-1/led", "on")
    assert rig.board.led
    rig.deliver("cmd/broadcast/led", "off")
    assert not rig.board.led
    assert logged(rig) == ["cmd/led on", "cmd/led off"]


def test_mqtt_subscribe_wildcards_and_unsubscribe():
    rig = run(
        '(mqtt-subscribe "cmd/#" (lambda (t p) (log "info" t)))'
        '(mqtt-subscribe "cfg/+/set" (lambda (t p) (log "info" (string-append "cfg " t))))'
    )
    rig.deliver("cmd/dev-1/a/b", "x")
    rig.deliver("cfg/dev-1/led/set", "x")
    rig.deliver("cfg/dev-1/led/get", "x")  # not matched: traced, dropped
    assert logged(rig) == ["cmd/a/b", "cfg cfg/led/set"]
    rig.load(
        "q",
        '(mqtt-subscribe "z" (lambda (t p) 1)) (log "info" (if (mqtt-unsubscribe "z") "yes" "no"))',
    )
    unsubs = [a for _, a in rig.actions if type(a) is Unsubscribe]
    assert ["z/dev-1", "z/broadcast"] in [a.filters for a in unsubs]
    assert logged(rig)[-1] == "yes"
    rig.load("r", '(log "info" (if (mqtt-unsubscribe "never") "yes" "no"))')
    assert logged(rig)[-1] == "no"


def test_mqtt_subscribe_errors():
    assert "first level" in error(run('(mqtt-subscribe "#" (lambda (t p) 1))'))["message"]
    assert "whole level" in error(run('(mqtt-subscribe "a/b#" (lambda (t p) 1))'))["message"]
    assert "reserved" in error(run('(mqtt-subscribe "logs/x" (lambda (t p) 1))'))["message"]
    assert error(run('(mqtt-subscribe "a" 5)'))["kind"] == "TypeMismatch"


def test_subscriptions_are_renewed_on_every_connect_and_dropped_on_stop():
    rig = run('(mqtt-subscribe "cmd/led" (lambda (t p) 1))')
    rig.drop()
    rig.advance(5)
    subs = [a for _, a in rig.actions if type(a) is Subscribe]
    assert ("cmd/dev-1/led", 1) in subs[-1].filters
    rig.command("stop")
    assert "cmd/dev-1/led" not in rig.subscriptions


def test_non_utf8_payloads_are_not_delivered_to_handlers():
    rig = run('(mqtt-subscribe "in" (lambda (t p) (log "info" p)))')
    rig.deliver("in/dev-1", b"\xff")
    assert logged(rig) == []
    assert rig.agent.program_state == "running"


def test_set_timer_fires_once_and_rearming_by_name_replaces():
    rig = run(
        '(set-timer "t" 10 (lambda () (log "info" "first")))'
        '(set-timer \'t 20 (lambda () (log "info" "second")))'
    )
    rig.advance(15)
    assert logged(rig) == []
    rig.advance(10)
    assert logged(rig) == ["second"]
    rig.advance(100)
    assert logged(rig) == ["second"]
    assert rig.agent.program_state == "finished"


def test_set_timer_takes_an_exact_fraction_of_a_second():
    rig = run('(set-timer "t" (/ 3 2) (lambda () (log "info" "fired")))')
    rig.advance(1.4)
    assert logged(rig) == []
    rig.advance(0.2)
    assert logged(rig) == ["fired"]


def test_cancel_timer():
    rig = run(
        '(set-timer "t" 10 (lambda () (log "info" "fired")))'
        '(log "info" (format "~a ~a" (cancel-timer "t") (cancel-timer "t")))'
    )
    rig.advance(20)
    assert logged(rig) == ["#true #false"]
    assert [f["action"] for f in rig.traced("timer")] == ["set", "cancel"]


def test_timers_due_together_fire_in_arming_order():
    rig = run(
        '(set-timer "b" 5 (lambda () (log "info" "b")))'
        '(set-timer "a" 5 (lambda () (log "info" "a")))'
        '(set-timer "c" 1 (lambda () (log "info" "c")))'
    )
    rig.advance(10)
    assert logged(rig) == ["c", "b", "a"]


def test_set_timer_argument_errors():
    assert error(run('(set-timer "t" -1 (lambda () 1))'))["kind"] == "ContractViolation"
    assert error(run('(set-timer "t" "soon" (lambda () 1))'))["kind"] == "TypeMismatch"
    assert error(run('(set-timer "t" 1 5)'))["kind"] == "TypeMismatch"
    assert error(run("(set-timer 5 1 (lambda () 1))"))["kind"] == "TypeMismatch"
    assert error(run('(set-timer "t" +inf.0 (lambda () 1))'))["kind"] == "ContractViolation"


def test_sleep_resumes_on_virtual_time():
    rig = Rig()
    rig.now = 100.0
    run('(log "info" "a") (sleep 2.5) (log "info" "b") (sleep 0) (log "info" "c")', rig)
    assert logged(rig) == ["a"]
    rig.run_until(102.4)
    assert logged(rig) == ["a"]
    rig.run_until(102.5)
    assert logged(rig) == ["a", "b", "c"]
    assert [f["t"] for f in rig.traced("log")] == [100.0, 102.5, 102.5]


def test_current_time_is_an_exact_integer_of_wall_time():
    rig = Rig()
    rig.now = 42.7
    run(
        '(log "info" (number->string (current-time))) (log "info" (if (exact? (current-time)) "exact" "inexact"))',
        rig,
    )
    assert logged(rig) == ["1700000042", "exact"]


def test_device_id():
    rig = Rig(cfg=config(thing="kitchen-7"))
    run('(log "info" (device-id))', rig)
    assert logged(rig) == ["kitchen-7"]


def test_handlers_and_timers_run_as_separate_tasks_concurrently():
    rig = run(
        '(set-timer "slow" 1 (lambda () (sleep 10) (log "info" "slow done")))'
        '(set-timer "fast" 2 (lambda () (log "info" "fast")))'
    )
    rig.advance(5)
    assert logged(rig) == ["fast"]
    rig.advance(10)
    assert logged(rig) == ["fast", "slow done"]


def test_display_output_is_line_buffered_to_the_console():
    rig = run('(display "a") (display "b\\nc") (newline)')
    assert [f["text"] for f in rig.traced("output")] == ["ab", "c"]


def test_a_very_long_output_line_is_flushed_in_pieces():
    rig = run('(display (make-string 1500 #\\x)) (display "y")')
    texts = [f["text"] for f in rig.traced("output")]
    assert [len(t) for t in texts] == [1500, 1]
