"""Shadow: shadow-update conversions, deltas to on-shadow-delta, the agent's own report."""

import json

from firmware.agent.shadow import agent_report, reported, value_json
from tests.firmware.agent_fakes import Rig

UPDATE = "$aws/things/dev-1/shadow/update"
DELTA = "$aws/things/dev-1/shadow/update/delta"
GET = "$aws/things/dev-1/shadow/get"
GET_ACCEPTED = "$aws/things/dev-1/shadow/get/accepted"


def program_updates(rig):
    out = []
    for msg in rig.shadow_reports():
        rep = msg["state"]["reported"]
        if "agent" not in rep:
            out.append(rep)
    return out


def logged(rig):
    return [f["message"] for f in rig.traced("log")]


def test_value_conversion_rules():
    def enc(v):
        return "ENC(%s)" % (v,)

    assert value_json('{"a": 1}', enc) == '{"a": 1}'
    assert value_json(" [1,2] ", enc) == "[1,2]"
    assert value_json("{not json", enc) == "ENC({not json)"
    assert value_json('"quoted"', enc) == 'ENC("quoted")'
    assert value_json("12", enc) == "ENC(12)"
    assert value_json(5, enc) == "ENC(5)"
    assert reported("k", "1") == '{"state":{"reported":{"k":1}}}'
    assert json.loads(agent_report("0.1.0", None, None, 1.5)) == {
        "state": {
            "reported": {
                "agent": {
                    "firmware": "0.1.0",
                    "program": {"id": None, "state": None},
                    "uptime": 1.5,
                }
            }
        }
    }


def test_shadow_update_converts_values_per_the_protocol():
    rig = Rig()
    rig.load(
        "s",
        '(shadow-update "obj" (json-encode (hash \'a 1)))'
        '(shadow-update "text" "hello")'
        '(shadow-update "num" 21.5)'
        '(shadow-update "flag" #t)'
        "(shadow-update 'map (hash 'x (list 1 2)))"
        '(shadow-update "alist" \'((a . 1)))'
        '(shadow-update "vec" (vector 1 "b"))'
        '(shadow-update "nothing" (void))',
    )
    assert program_updates(rig) == [
        {"obj": {"a": 1}},
        {"text": "hello"},
        {"num": 21.5},
        {"flag": True},
        {"map": {"x": [1, 2]}},
        {"alist": {"a": 1}},
        {"vec": [1, "b"]},
        {"nothing": None},
    ]
    traced = rig.traced("shadow")
    assert traced[0]["key"] == "obj" and traced[0]["value"] == '{"a":1}'


def test_shadow_update_errors():
    for src, word in (
        ('(shadow-update "agent" 1)', "belongs to the device agent"),
        ('(shadow-update "" 1)', "empty"),
        ("(shadow-update 5 1)", "a string or a symbol"),
        ('(shadow-update "k" (lambda () 1))', "JSON"),
    ):
        rig = Rig()
        rig.load("s", src)
        err = rig.last_status()["error"]
        assert word in err["message"], (src, err)


def test_deltas_reach_the_handler_as_a_hash_map_with_symbol_keys():
    rig = Rig()
    rig.load(
        "d",
        "(on-shadow-delta (lambda (delta)"
        '  (log "info" (json-encode delta))'
        '  (when (equal? (get delta \'led) "on") (led-on))'
        '  (shadow-update "led" (get delta \'led))))',
    )
    rig.deliver(DELTA, {"version": 7, "timestamp": 1, "state": {"led": "on", "rate": 5}})
    assert logged(rig) == ['{"led":"on","rate":5}']
    assert rig.board.led
    assert program_updates(rig)[-1] == {"led": "on"}
    assert rig.traced("shadow-delta")[0]["program_id"] == "d"


def test_the_delta_from_get_accepted_after_each_connect_reaches_the_handler():
    rig = Rig()
    rig.load("d", '(on-shadow-delta (lambda (delta) (log "info" (json-encode delta))))')
    gets = [t for t, _ in rig.on(GET)]
    assert len(gets) == 2  # on connect, and when the handler was registered
    doc = {"state": {"desired": {"mode": "eco"}, "reported": {}, "delta": {"mode": "eco"}}}
    rig.deliver(GET_ACCEPTED, doc)
    assert logged(rig) == ['{"mode":"eco"}']
    rig.drop()
    rig.run_until(rig.agent.next_deadline())
    assert len(rig.on(GET)) == 3
    rig.deliver(GET_ACCEPTED, {"state": {"desired": {}, "reported": {}}})  # no delta
    assert len(logged(rig)) == 1


def test_empty_or_malformed_deltas_and_no_handler_are_ignored():
    rig = Rig()
    rig.load("d", '(on-shadow-delta (lambda (delta) (log "info" "called")))')
    rig.deliver(DELTA, {"state": {}})
    rig.deliver(DELTA, b"{broken")
    rig.deliver(DELTA, b"\xff")
    rig.deliver(DELTA, "[1]")
    rig.deliver(DELTA, {"state": 5})
    rig.deliver(GET_ACCEPTED, {"state": {"delta": 5}})
    assert logged(rig) == []
    assert rig.agent.program_state == "running"
    rig.load("e", "(+ 1 2)")
    rig.deliver(DELTA, {"state": {"a": 1}})
    assert logged(rig) == []


def test_on_shadow_delta_false_unregisters():
    rig = Rig()
    rig.load("d", '(on-shadow-delta (lambda (d) (log "info" "x"))) (on-shadow-delta #f)')
    rig.deliver(DELTA, {"state": {"a": 1}})
    assert logged(rig) == [] and rig.agent.program_state == "finished"


def test_rejections_from_the_shadow_service_are_traced():
    rig = Rig()
    rig.deliver("$aws/things/dev-1/shadow/update/rejected", {"code": 400, "message": "bad"})
    assert rig.traced("shadow")[-1]["rejected"].endswith("update/rejected")
    rig.deliver("$aws/things/dev-1/shadow/get/rejected", b"\xff")
    assert rig.traced("shadow")[-1]["payload"] == "b'\\xff'"
    assert any("update/rejected" in line for line in rig.board.lines)


def test_agent_reports_firmware_program_and_uptime_on_connect_and_state_changes():
    rig = Rig(firmware="1.2.3")
    rig.now = 5.0
    rig.load("blink", "(led-on) (sleep 1) (led-off)")
    rig.advance(2)
    reports = [
        m["state"]["reported"]["agent"]
        for m in rig.shadow_reports()
        if "agent" in m["state"]["reported"]
    ]
    assert [r["program"]["state"] for r in reports] == [None, "loaded", "running", "finished"]
    assert reports[0]["firmware"] == "1.2.3"
    assert reports[-1]["uptime"] == 6.0 and reports[-1]["program"]["id"] == "blink"
    rig.drop()
    rig.run_until(rig.agent.next_deadline())
    last = [m for m in rig.shadow_reports() if "agent" in m["state"]["reported"]][-1]
    assert last["state"]["reported"]["agent"]["program"]["state"] == "finished"
