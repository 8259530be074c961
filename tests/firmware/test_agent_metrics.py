"""Periodic metrics with the documented fields, the jobs hook, internal-error containment."""

from firmware.agent import Agent
from firmware.agent.events import Fetched, Message, Publish, Reboot, Tick
from firmware.agent.jobs import JobsHandler
from tests.firmware.agent_fakes import FakeBoard, FakeFS, Rig, config

FIELDS = (
    "thing",
    "ts",
    "uptime",
    "firmware",
    "heap_free",
    "heap_total",
    "program_memory",
    "vm_steps",
    "programs_run",
    "program_failures",
    "reconnects",
    "dropped",
    "offline_queue",
    "program_id",
    "program_state",
)


def test_metrics_are_published_every_interval_with_the_documented_fields():
    rig = Rig()
    rig.load("m", '(define data (make-vector 1000 0)) (set-timer "t" 1000 (lambda () 1))')
    rig.load("bad", "(car 1)")
    rig.run_until(130)
    metrics = rig.json_on("metrics/dev-1")
    assert [t for t, _ in rig.on("metrics/dev-1")] == [60.0, 120.0]
    m = metrics[0]
    for f in FIELDS:
        assert f in m, f
    assert m["thing"] == "dev-1" and m["firmware"] == "0.1.0" and m["uptime"] == 60.0
    assert (m["heap_free"], m["heap_total"]) == (81234, 196608)
    assert m["programs_run"] == 2 and m["program_failures"] == 1
    assert m["program_id"] == "bad" and m["program_state"] == "error"
    assert m["dropped"] == {"offline_queue": 0, "logs": 0, "events": 0}
    assert m["vm_steps"] > 0
    assert rig.traced("metrics")[0]["uptime"] == 60.0


def test_program_memory_reflects_what_the_program_holds():
    rig = Rig()
    rig.load("m", '(define data (make-vector 5000 0)) (set-timer "t" 1000 (lambda () 1))')
    assert rig.agent.metrics_snapshot()["program_memory"] >= 20000
    rig.load(
        "h",
        "(define big (make-vector 3000 0))"
        "(on-shadow-delta (let ((v (make-vector 4000 0))) (lambda (d) (vector-length v))))",
    )
    assert rig.agent.metrics_snapshot()["program_memory"] >= 28000  # the handler's data too
    rig.load("n", "(+ 1 2)")
    assert rig.agent.metrics_snapshot()["program_memory"] < 1000


def test_metrics_interval_is_configurable_and_unknown_heap_is_null():
    cfg = config()
    cfg["metrics_interval"] = 10
    board = FakeBoard()
    board.heap_value = None
    rig = Rig(cfg=cfg, board=board)
    rig.run_until(35)
    assert [t for t, _ in rig.on("metrics/dev-1")] == [10, 20, 30]
    assert rig.json_on("metrics/dev-1")[0]["heap_free"] is None


def test_a_late_tick_does_not_burst_metrics():
    rig = Rig()
    rig.now = 1000.0
    rig.tick()
    rig.now = 1001.0
    rig.tick()
    assert len(rig.on("metrics/dev-1")) == 1
    assert rig.agent.next_deadline() == 1060.0


def test_next_deadline_is_the_earliest_need():
    rig = Rig()
    assert rig.agent.next_deadline() == 60.0
    rig.load("t", '(set-timer "x" 7 (lambda () 1))')
    assert rig.agent.next_deadline() == 7.0


class Recorder(JobsHandler):
    def __init__(self):
        self.seen = []

    def on_connected(self, agent, now):
        self.seen.append(("connected", now))
        return [Publish("$aws/things/%s/jobs/get" % agent.thing, b"{}")]

    def on_message(self, agent, topic, payload, now):
        self.seen.append(("message", topic, payload))
        return [Reboot("new firmware")]

    def on_fetched(self, agent, event):
        self.seen.append(("fetched", event.request_id))
        return []

    def on_tick(self, agent, now):
        return []

    def next_deadline(self):
        return 5.0


def test_jobs_hook_subscribes_routes_messages_and_returns_actions():
    jobs = Recorder()
    rig = Rig(jobs=jobs)
    assert rig.subscriptions["$aws/things/dev-1/jobs/notify-next"] == 1
    assert jobs.seen[0] == ("connected", 0.0)
    assert rig.on("$aws/things/dev-1/jobs/get") == [(0.0, "{}")]
    rig.deliver("$aws/things/dev-1/jobs/notify-next", {"execution": {"jobId": "ota-1"}})
    assert jobs.seen[1][1] == "$aws/things/dev-1/jobs/notify-next"
    assert rig.reboots == ["new firmware"]
    rig.send(Fetched(rig.now, "ota-fetch-1", body=b"x"))
    assert jobs.seen[-1] == ("fetched", "ota-fetch-1")
    assert rig.agent.next_deadline() == 5.0


def test_without_a_jobs_handler_there_is_no_jobs_subscription():
    rig = Rig()
    assert not [f for f in rig.subscriptions if "/jobs/" in f]
    rig.deliver("$aws/things/dev-1/jobs/notify-next", {})
    rig.send(Fetched(rig.now, "stray", body=b"x"))  # answered by nobody: traced only
    assert rig.agent.program_state is None


def test_the_base_jobs_handler_is_inert():
    h = JobsHandler()
    rig = Rig(jobs=h)
    assert h.on_message(rig.agent, "t", b"", 0) == [] and h.next_deadline() is None
    rig.send(Fetched(rig.now, "not-ours", body=b"x"))
    assert h.on_fetched(rig.agent, None) == []


def test_internal_errors_are_contained_on_devices_and_raised_in_strict_mode():
    class Broken(JobsHandler):
        def on_message(self, agent, topic, payload, now):
            raise RuntimeError("bug")

    rig = Rig(jobs=Broken(), strict=False)
    rig.deliver("$aws/things/dev-1/jobs/notify-next", {})
    assert rig.agent.metrics_snapshot()["internal_errors"] == 1
    assert rig.traced("error")[-1]["where"] == "agent"
    rig.load("p", "(led-on)")
    assert rig.board.led

    strict = Rig(jobs=Broken())
    try:
        strict.deliver("$aws/things/dev-1/jobs/notify-next", {})
        raised = False
    except RuntimeError:
        raised = True
    assert raised


def test_unknown_events_are_internal_errors():
    agent = Agent(config(), FakeBoard(), FakeFS(), "0.1.0")
    agent.start(0.0)
    agent.handle(Tick(1.0))
    agent.handle(Message(1.0, "nobody/dev-1", b"x"))

    class Strange:
        now = 2.0

    agent.handle(Strange())
    assert agent.metrics_snapshot()["internal_errors"] == 1
