"""Topic names, the program-topic mapping and MQTT filter matching."""

from firmware.agent.topics import TopicError, Topics, matches
from tests.firmware.support import raises

T = Topics("dev-1")


def test_device_topics():
    assert T.status == "steel-programs/dev-1/status"
    assert T.logs == "logs/dev-1"
    assert T.metrics == "metrics/dev-1"
    assert T.shadow_update == "$aws/things/dev-1/shadow/update"
    assert T.shadow_get_accepted == "$aws/things/dev-1/shadow/get/accepted"
    assert T.jobs_notify_next == "$aws/things/dev-1/jobs/notify-next"


def test_program_commands():
    assert T.program_command("steel-programs/dev-1/load") == "load"
    assert T.program_command("steel-programs/broadcast/unload") == "unload"
    assert T.program_command("steel-programs/dev-2/load") is None
    assert T.program_command("steel-programs/dev-1/status") is None
    assert T.program_command("steel-programs/dev-1/load/x") is None


def test_seven_levels_fit_eight_do_not():
    assert T.to_device("a/b/c/d/e/f/g") == "a/dev-1/b/c/d/e/f/g"


def test_program_topic_mapping_both_ways():
    assert T.to_device("sensors/data") == "sensors/dev-1/data"
    assert T.to_device("alerts") == "alerts/dev-1"
    assert T.to_device("a/b/c") == "a/dev-1/b/c"
    assert T.to_program("sensors/dev-1/data") == "sensors/data"
    assert T.to_program("alerts/dev-1") == "alerts"
    assert T.to_program("cmd/broadcast/led") == "cmd/led"
    assert T.to_program("cmd/dev-2/led") is None
    assert T.to_program("single") is None


def test_subscription_filters_include_the_broadcast_form():
    assert T.subscription_filters("cmd/led") == ["cmd/dev-1/led", "cmd/broadcast/led"]
    assert T.subscription_filters("cmd/#") == ["cmd/dev-1/#", "cmd/broadcast/#"]
    assert T.subscription_filters("cfg/+/set") == ["cfg/dev-1/+/set", "cfg/broadcast/+/set"]


def test_bad_program_topics():
    for topic, word in (
        ("", "empty"),
        ("/x", "first level"),
        ("$aws/x", "AWS"),
        ("steel-programs/x", "reserved"),
        ("logs", "reserved"),
        ("metrics/x", "reserved"),
        ("a/#", "wildcards"),
        ("a/+", "wildcards"),
        ("a/b/c/d/e/f/g/h", "too many levels"),
        ("x" * 260, "longer than 256"),
        (7, "string"),
    ):
        with raises(TopicError, word):
            T.to_device(topic)


def test_bad_filters():
    for f, word in (
        ("#", "first level"),
        ("+/x", "first level"),
        ("a/#/b", "whole"),
        ("a/b+", "whole"),
    ):
        with raises(TopicError, word):
            T.subscription_filters(f)


def test_matches():
    assert matches("a/b", "a/b")
    assert not matches("a/b", "a/c")
    assert matches("a/+", "a/x")
    assert not matches("a/+", "a/x/y")
    assert matches("a/#", "a")
    assert matches("a/#", "a/x/y")
    assert matches("+/+/c", "a/b/c")
    assert not matches("a/b/c", "a/b")


def test_agent_filters_are_exact_topics():
    fs = T.agent_filters()
    assert len(fs) == 12
    for f in fs:
        assert "+" not in f and "#" not in f
