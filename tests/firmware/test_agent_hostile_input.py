"""Issue 10, items 9 and 10: hostile input the device must refuse and survive.

A topic with a character brokers refuse (a program's ``mqtt-publish`` or ``mqtt-subscribe``)
is a ``ContractViolation``, never a packet that gets the device disconnected; a request nested
10,000 levels deep is ``rejected`` / ``invalid-json`` by a scan that does not recurse. Both
run under MicroPython too (ci/micropython/run-tests.sh).
"""

from firmware.agent.topics import TopicError, Topics, forbidden_character
from firmware.agent.wire import nesting_exceeds
from tests.firmware.agent_fakes import Rig
from tests.firmware.support import raises

T = Topics("dev-1")
# Mosquitto's refusals (U+D800-U+DFFF are refused too, but a MicroPython string cannot hold one)
REFUSED = (0x00, 0x01, 0x0A, 0x1F, 0x7F, 0x80, 0x9F, 0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFF)
ALLOWED = (0x20, 0x7E, 0xA0, 0xE9, 0xFDCF, 0xFDF0, 0xFFFD, 0x10000, 0x1F600)
MONITOR = '(mqtt-subscribe "cmd/led" (lambda (t p) (log "info" p)))'


def test_the_refused_characters_are_mosquittos():
    for code in REFUSED:
        assert forbidden_character("a/" + chr(code)) == "U+%04X" % code, code
    for code in ALLOWED:
        assert forbidden_character("a/" + chr(code) + "/b") is None, code


def test_topics_and_filters_with_refused_characters_are_topic_errors():
    for code in REFUSED:
        with raises(TopicError, "U+%04X" % code):
            T.to_device("sensors/" + chr(code))
        with raises(TopicError, "not allowed in a topic"):
            T.subscription_filters("cmd/" + chr(code) + "/#")


def run(source):
    rig = Rig()
    rig.load("p", source)
    rig.settle()
    return rig


def contract_violation(rig):
    last = rig.last_status()
    assert last["state"] == "error", last
    assert last["error"]["kind"] == "ContractViolation", last
    return last["error"]["message"]


def test_mqtt_publish_to_such_a_topic_is_a_contract_violation():
    for code in (0x00, 0x1F, 0x7F, 0x9F, 0xFFFF):
        rig = run('(mqtt-publish "alerts/x%sy" "p")' % chr(code))
        assert "U+%04X" % code in contract_violation(rig)
        assert not [p for p in rig.published if p[1].startswith("alerts/")]
        # the device stays up and takes the next program
        rig.load("next", MONITOR)
        assert rig.agent.program_state == "running"


def test_mqtt_subscribe_to_such_a_filter_is_a_contract_violation():
    rig = run('(mqtt-subscribe "cmd/\x00/#" (lambda (t p) 1))')
    assert "U+0000" in contract_violation(rig)
    assert not [f for f in rig.subscriptions if f.startswith("cmd/")]


def nested(levels, inner=b"1"):
    return b'{"program_id":"p","x":' + b"[" * levels + inner + b"]" * levels + b"}"


def test_the_depth_scan_counts_brackets_outside_strings_only():
    assert not nesting_exceeds(b'{"a":[1,{"b":2}]}', 3)
    assert nesting_exceeds(b'{"a":[1,{"b":[2]}]}', 3)
    assert not nesting_exceeds(b'{"s":"[[[[{{{{\\"[[[["}', 1)
    assert nesting_exceeds(b"[" * 10000, 16)
    assert not nesting_exceeds(b'"' + b"[" * 100, 1)  # an unclosed string holds them all


def test_deeply_nested_requests_are_rejected_as_invalid_json():
    rig = Rig()
    rig.load("m", MONITOR)
    for command in ("load", "start", "stop", "unload"):
        for body in (nested(10000), b"{" * 10000, b'{"a":' * 10000):
            rig.deliver("steel-programs/dev-1/" + command, body)
            last = rig.last_status()
            assert last["state"] == "rejected", (command, last)
            assert last["reason"] == "invalid-json", (command, last)
            assert last["request"] == command
            assert "deeper than 16" in last["detail"]
    assert rig.agent.program_id == "m" and rig.agent.program_state == "running"
    assert rig.agent.metrics.internal_errors == 0
    # moderate nesting that the request does not use is still parsed and judged
    rig.deliver("steel-programs/dev-1/stop", nested(10))
    assert rig.last_status()["reason"] != "invalid-json"


def test_json_errors_do_not_echo_the_parsers_words():
    rig = Rig()
    rig.load("m", MONITOR)
    rig.deliver("steel-programs/dev-1/load", b"{not json")
    detail = rig.last_status()["detail"]
    assert detail.startswith("the payload is not valid JSON"), detail
    assert "Expecting" not in detail and "char" not in detail
    rig.deliver("steel-programs/dev-1/load", b"\xff\xfe")
    assert rig.last_status()["detail"] == "the payload is not UTF-8"
