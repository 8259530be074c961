"""Session policy: reconnect backoff with full jitter, the offline queue, QoS 1 redelivery."""

from firmware.agent.events import Connect, Connected, Publish, PublishFailed, Tick
from firmware.agent.session import Backoff, OfflineQueue, Prng, Session, seed_from
from tests.firmware.agent_fakes import Rig, config


def test_prng_is_deterministic_and_in_range():
    a = Prng(42)
    b = Prng(42)
    xs = [a.random() for _ in range(1000)]
    assert xs == [b.random() for _ in range(1000)]
    assert min(xs) >= 0.0 and max(xs) < 1.0
    assert 0.4 < sum(xs) / len(xs) < 0.6
    assert [Prng(1).next32() for _ in range(2)] == [270369, 270369]
    assert Prng(0).state != 0  # a zero seed would stick at zero
    assert seed_from("dev-1") != seed_from("dev-2")


def test_backoff_doubles_to_the_cap_with_full_jitter():
    bo = Backoff(1.0, 60.0, Prng(7))
    assert [bo.ceiling(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert bo.ceiling(1000) == 60
    for n in range(200):
        d = bo.next_delay()
        assert 0.0 <= d <= min(60.0, 2.0 ** min(n, 10)), (n, d)
    bo.reset()
    assert bo.attempt == 0
    assert bo.next_delay() <= 1.0


def test_full_jitter_spreads_a_fleet():
    delays = [Backoff(1.0, 60.0, Prng(seed_from("dev-%d" % i))).next_delay() for i in range(50)]
    assert len(set(delays)) == 50
    assert min(delays) < 0.2 and max(delays) > 0.8


def test_offline_queue_drops_the_oldest_and_counts():
    q = OfflineQueue(3)
    for i in range(5):
        q.push(i)
    assert q.items == [2, 3, 4] and q.dropped == 2
    q.drain()
    q.push(3)
    q.push_front(["a", "b"])  # put back in front: they are older than 3
    assert q.items == ["a", "b", 3]
    q.push_front(["z"])  # over the limit: the oldest goes, as always
    assert q.items == ["a", "b", 3] and q.dropped == 3
    assert q.drain() == ["a", "b", 3] and len(q) == 0


def test_session_states():
    s = Session(Backoff(1.0, 60.0, Prng(3)), 10, connect_timeout=30)
    assert s.deadline() is None
    s.connect_now(0.0)
    assert s.deadline() == 30.0
    assert not s.due(29.0)
    assert not s.due(30.0)  # the attempt timed out: now in backoff
    assert s.state == "backoff" and s.retry_at <= 31.0
    assert s.due(s.retry_at)
    s.connect_now(s.retry_at)
    s.on_connected(40.0)
    assert s.connected and s.connects == 1 and s.reconnects == 0
    s.on_disconnected(50.0)
    s.connect_now(51.0)
    s.on_connected(51.0)
    assert s.reconnects == 1


def test_agent_reconnects_with_backoff_bounds_and_resets_after_success():
    rig = Rig(online=False, cfg=config())
    attempts = []
    for _ in range(10):
        rig.run_until(rig.agent.next_deadline())
        attempts = [t for t, a in rig.actions if type(a) is Connect]
    gaps = [attempts[i + 1] - attempts[i] for i in range(len(attempts) - 1)]
    assert len(gaps) >= 9
    for n in range(len(gaps)):
        assert 0 <= gaps[n] <= min(60, 2**n) + 1e-9, (n, gaps[n])
    rig.online = True
    rig.run_until(rig.agent.next_deadline())
    assert rig.agent.connected
    assert rig.agent.session.backoff.attempt == 0
    rig.drop()
    first_retry = rig.agent.session.retry_at - rig.now
    assert 0 <= first_retry <= 1.0


def test_reconnect_delays_are_reproducible_from_the_seed():
    def delays(seed):
        rig = Rig(online=False, seed=seed)
        for _ in range(5):
            rig.run_until(rig.agent.next_deadline())
        return [t for t, a in rig.actions if type(a) is Connect]

    assert delays(5) == delays(5)
    assert delays(5) != delays(6)


def test_publishes_while_offline_are_queued_and_flushed_in_order_after_connect():
    rig = Rig()
    rig.load("p", '(set-timer "t" 10 (lambda () (mqtt-publish "a" "1") (mqtt-publish "a" "2")))')
    rig.drop()
    rig.online = False
    rig.run_until(11)
    assert rig.on("a/dev-1") == []
    assert rig.agent.metrics_snapshot()["offline_queue"] >= 2
    rig.online = True
    rig.run_until(rig.agent.session.retry_at + 0.001 if rig.agent.session.retry_at else rig.now)
    rig.advance(120)
    assert [p for _, p in rig.on("a/dev-1")] == ["1", "2"]
    assert rig.agent.metrics_snapshot()["reconnects"] == 1


def test_offline_queue_overflow_drops_the_oldest_and_reports_it():
    rig = Rig(cfg=config(offline_queue=5))
    rig.load(
        "p",
        "(on-button (lambda (p) 1))"  # keeps the program running (no status change)
        '(set-timer "t" 10 (lambda () (let loop ((i 0)) (when (< i 12)'
        ' (mqtt-publish "n" (number->string i)) (loop (+ i 1))))))',
    )
    rig.online = False
    rig.drop()
    rig.run_until(11)
    snap = rig.agent.metrics_snapshot()
    assert snap["offline_queue"] == 5
    assert snap["dropped"]["offline_queue"] == 7
    rig.online = True
    rig.run_until(20)
    assert [p for _, p in rig.on("n/dev-1")] == ["7", "8", "9", "10", "11"]
    assert rig.agent.metrics_snapshot()["offline_queue"] == 0


def test_logs_are_not_queued_offline_but_counted():
    rig = Rig()
    rig.load("l", '(set-timer "t" 5 (lambda () (log "info" "x")))')
    rig.online = False
    rig.drop()
    rig.run_until(6)
    assert rig.agent.metrics_snapshot()["dropped"]["logs"] == 1
    assert [f["message"] for f in rig.traced("log")] == ["x"]


def test_publishes_the_driver_could_not_deliver_are_resent_first_in_order():
    rig = Rig()
    lost = [Publish("x/dev-1", b"1"), Publish("logs/dev-1", b"{}", 0), Publish("x/dev-1", b"2")]
    rig.drop()
    rig.send(PublishFailed(rig.now, lost))
    assert len(rig.agent.session.queue) == 2
    assert rig.agent.metrics_snapshot()["dropped"]["logs"] == 1
    rig.run_until(rig.agent.next_deadline())
    topics = [(p[1], p[2]) for p in rig.published if p[1] == "x/dev-1"]
    assert topics == [("x/dev-1", b"1"), ("x/dev-1", b"2")]


def test_connected_subscribes_reports_and_asks_for_the_shadow():
    rig = Rig()
    after = [a for t, a in rig.actions]
    kinds = [type(a).__name__ for a in after]
    assert kinds[:2] == ["Connect", "Subscribe"]
    filters = [f for f, _ in after[1].filters]
    for f in (
        "steel-programs/dev-1/load",
        "steel-programs/broadcast/load",
        "steel-programs/dev-1/unload",
        "$aws/things/dev-1/shadow/update/delta",
        "$aws/things/dev-1/shadow/get/accepted",
    ):
        assert f in filters
    assert "steel-programs/dev-1/status" not in filters
    topics = [p[1] for p in rig.published]
    assert topics[:2] == ["$aws/things/dev-1/shadow/update", "$aws/things/dev-1/shadow/get"]


def test_a_connect_attempt_with_no_answer_times_out_into_backoff():
    rig = Rig(start=False)
    actions = rig.agent.start(0.0)  # no driver answer at all
    assert [type(a) for a in actions] == [Connect]
    assert rig.agent.next_deadline() == 30.0
    rig.agent.handle(Tick(30.0))
    assert rig.agent.session.state == "backoff"
    out = rig.agent.handle(Tick(rig.agent.session.retry_at))
    assert [type(a) for a in out] == [Connect]
    out = rig.agent.handle(Connected(rig.agent.now + 1))
    assert rig.agent.connected


def test_session_is_traced():
    rig = Rig()
    rig.drop("cable")
    states = [(f["state"], f.get("reason")) for f in rig.traced("session")]
    assert states == [("connected", None), ("disconnected", "cable")]
