"""Reading the shadow: (shadow-get), (shadow-desired key), (shadow-reported key) answer from
the shadow as the device last heard it (get/accepted after each connect, then deltas and
its own reports); after a boot a read waits for the first answer.  The reset case: a
program that applied desired threshold 28 keeps it after a reboot, although no delta comes.
"""

from firmware.agent.shadow import ShadowState, merge, sorted_json
from tests.firmware.agent_fakes import Rig

DELTA = "$aws/things/dev-1/shadow/update/delta"
GET = "$aws/things/dev-1/shadow/get"
GET_ACCEPTED = "$aws/things/dev-1/shadow/get/accepted"
GET_REJECTED = "$aws/things/dev-1/shadow/get/rejected"

THERMOSTAT = (
    "(define threshold (shadow-desired 'threshold 30))"
    '(log "info" (format "threshold ~a" threshold))'
    "(on-shadow-delta (lambda (delta)"
    "  (let ((t (get delta 'threshold)))"
    "    (when (number? t)"
    "      (set! threshold t)"
    '      (log "info" (format "threshold ~a" threshold))'
    '      (shadow-update "threshold" t)))))'
)


def logged(rig):
    return [f["message"] for f in rig.traced("log")]


def document(desired, reported, delta=None):
    state = {"desired": desired, "reported": reported}
    if delta:
        state["delta"] = delta
    return {"state": state, "metadata": {}, "version": 3, "timestamp": 1}


def test_after_a_reset_the_program_reads_the_desired_state_it_had_applied():
    rig = Rig()
    rig.deliver(GET_ACCEPTED, document({}, {}))
    rig.load("thermo", THERMOSTAT)
    assert logged(rig) == ["threshold 30"]  # nothing desired yet: the default
    rig.deliver(DELTA, {"version": 4, "timestamp": 2, "state": {"threshold": 28}})
    assert logged(rig)[-1] == "threshold 28"
    assert rig.shadow_reports()[-1] == {"state": {"reported": {"threshold": 28}}}

    rig.fs.cut_at = None
    again = Rig(fs=rig.fs, now=500.0)  # the reset: the program is restored at boot
    assert again.agent.program_state == "running"
    assert logged(again) == []  # it waits for the shadow before it goes on
    assert len(again.on(GET)) == 1  # the get the agent sends after every connect
    # desired and reported agree: AWS sends no delta, only the document
    again.deliver(GET_ACCEPTED, document({"threshold": 28}, {"threshold": 28}))
    assert logged(again) == ["threshold 28"]
    assert again.traced("shadow-delta") == []


def test_shadow_get_is_the_document_as_last_heard_with_deltas_and_own_reports():
    rig = Rig()
    rig.deliver(
        GET_ACCEPTED,
        document({"mode": "eco", "limits": {"high": 30}}, {"mode": "on", "agent": {"x": 1}}),
    )
    rig.deliver(DELTA, {"state": {"limits": {"low": 5}}})
    rig.load(
        "r",
        '(shadow-update "mode" "eco")'
        "(let ((s (shadow-get)))"
        '  (log "info" (json-encode (get s \'desired)))'
        '  (log "info" (json-encode (get s \'reported)))'
        '  (log "info" (format "~a ~a ~a" (shadow-desired \'mode) (shadow-reported \'mode)'
        "    (shadow-reported 'missing 'none))))",
    )
    assert logged(rig) == [
        '{"limits":{"high":30,"low":5},"mode":"eco"}',
        '{"agent":{"x":1},"mode":"eco"}',
        "eco eco none",
    ]


def test_a_read_after_boot_waits_for_the_shadow_then_gives_up_with_its_default():
    rig = Rig(online=False)
    rig.load(
        "w",
        '(log "info" (format "~a" (shadow-desired \'threshold 30 2)))'
        '(log "info" (format "~a" (shadow-get 0)))',
    )
    assert logged(rig) == []
    assert rig.agent.program_state == "running"
    rig.advance(2)
    assert logged(rig) == ["30", "#false"]
    assert rig.agent.program_state == "finished"
    assert rig.agent.shadow_state.waiters == []


def test_no_shadow_yet_is_an_empty_shadow_and_other_rejections_teach_nothing():
    state = ShadowState()
    assert not state.rejected(b'{"code": 500, "message": "internal"}')
    assert not state.known
    assert state.rejected(b'{"code": 404, "message": "No shadow exists"}')
    assert state.known and state.desired == {} and state.reported == {}
    rig = Rig()
    rig.load("n", '(log "info" (format "~a" (shadow-desired \'x \'unset)))')
    assert logged(rig) == []
    rig.deliver(GET_REJECTED, {"code": 404, "message": "No shadow exists for dev-1"})
    assert logged(rig) == ["unset"]


def test_bad_documents_are_ignored_and_bad_arguments_are_errors():
    state = ShadowState()
    for bad in (b"{broken", b"\xff", b"[1]", b"[" * 40 + b"]" * 40):
        assert not state.accepted(bad)
    assert not state.known
    for src, kind, word in (
        ("(shadow-desired 5)", "TypeMismatch", "a string or a symbol"),
        ("(shadow-get -1)", "ContractViolation", "timeout"),
        ("(shadow-reported 'k #f 'soon)", "TypeMismatch", "a number"),
    ):
        rig = Rig()
        rig.deliver(GET_ACCEPTED, document({}, {}))
        rig.load("e", src)
        err = rig.last_status()["error"]
        assert err["kind"] == kind and word in err["message"], (src, err)


def test_merge_follows_aws_null_deletes_objects_merge_and_text_is_sorted():
    target = {"a": {"x": 1, "y": 2}, "b": 1}
    merge(target, {"a": {"y": None, "z": 3}, "b": None, "c": [1, {"d": 2}]})
    assert target == {"a": {"x": 1, "z": 3}, "c": [1, {"d": 2}]}
    assert sorted_json({"b": 1, "a": {"d": [1, "x"], "c": None}}) == (
        '{"a":{"c":null,"d":[1,"x"]},"b":1}'
    )


def test_while_the_request_is_out_a_read_waits_for_the_answer_not_for_a_clock():
    rig = Rig()  # connected: the agent has asked for its shadow
    rig.load("w", '(log "info" (format "~a" (shadow-desired \'threshold 30 2)))')
    rig.advance(60)  # the broker is slow (or virtual time ran ahead): no deadline applies
    assert logged(rig) == [] and rig.agent.program_state == "running"
    rig.deliver(GET_ACCEPTED, document({"threshold": 27}, {}))
    assert logged(rig) == ["27"]


def test_a_connection_lost_before_the_answer_brings_the_timeout_back():
    rig = Rig()
    rig.load("w", '(log "info" (format "~a" (shadow-desired \'threshold 30 2)))')
    rig.online = False
    rig.drop()
    rig.advance(1)
    assert logged(rig) == []
    rig.advance(2)
    assert logged(rig) == ["30"]
