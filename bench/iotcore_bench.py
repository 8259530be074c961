"""Benchmark of the local IoT Core; prints the figures quoted in docs/iotcore.md.

1. QoS 1 throughput through the local IoT Core (mutual TLS, policy ACL, persistence) beside a
   plain Mosquitto with the same settings but no TLS and no ACL, measured alternately in the
   same run; the ratio is what the IoT Core's security costs.
2. Shadow update round trip: a device publishes ``/update`` and waits for ``/update/accepted``.
3. TLS connects per second: full MQTT 5 connects (TLS handshake, CONNECT, CONNACK, DISCONNECT).
4. With ``--autosave MODE,...``: what each persistence setting costs. For each, a fresh local
   IoT Core measures QoS 1 throughput to a connected subscriber, and the rate at which
   messages are queued for an offline persistent session (every one of those is a change the
   broker may write to disk), with the broker's CPU per message and the size of its file.

Publisher and subscriber run in separate processes (as devices would), so the Python clients
do not share one GIL. Numbers depend on the machine and its load; nothing asserts on them.

    .venv/bin/python bench/iotcore_bench.py            # the full run (about a minute)
    .venv/bin/python bench/iotcore_bench.py --quick    # a smoke run
    .venv/bin/python bench/iotcore_bench.py --autosave max-rate:10,every-change,seconds:60
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import ssl
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from emulator.iotcore.autosave import Autosave
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.mosquitto import BrokerConfig, Mosquitto, free_port

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["iot:Publish", "iot:Receive"],
            "Resource": [
                "arn:aws:iot:*:*:topic/bench/*",
                "arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/*",
            ],
        },
    ],
}


@dataclass(frozen=True)
class Target:
    """Where a benchmark client connects; TLS fields empty for the plain broker."""

    port: int
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    protocol: int = 5

    def client(self, client_id: str) -> mqtt.Client:
        version = MQTTProtocolVersion.MQTTv5 if self.protocol == 5 else MQTTProtocolVersion.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=version)
        if self.ca_file:
            client.tls_set(
                ca_certs=self.ca_file,
                certfile=self.cert_file,
                keyfile=self.key_file,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.max_inflight_messages_set(20)
        client.max_queued_messages_set(0)
        return client


# --- throughput (child processes) ------------------------------------------------------------


def _subscriber(target: Target, count: int, ready: Any, done: Any, last: Any) -> None:
    received = 0

    def on_message(_c: Any, _u: Any, _m: Any) -> None:
        nonlocal received
        received += 1
        if received == count:
            last.value = time.perf_counter()
            done.set()

    client = target.client("bench-sub")
    client.on_message = on_message
    client.on_subscribe = lambda *_a: ready.set()
    client.connect("127.0.0.1", target.port, 60)
    client.subscribe("bench/#", qos=1)
    client.loop_start()
    done.wait(300)
    client.disconnect()
    client.loop_stop()


def _publisher(target: Target, count: int, go: Any, start: Any, acked: Any) -> None:
    confirmed = 0
    finished = threading.Event()

    def on_publish(*_a: Any) -> None:
        nonlocal confirmed
        confirmed += 1
        if confirmed == count:
            finished.set()

    client = target.client("bench-pub")
    client.on_publish = on_publish
    client.connect("127.0.0.1", target.port, 60)
    client.loop_start()
    payload = b"x" * 64
    go.wait(60)
    start.value = time.perf_counter()
    for _ in range(count):
        client.publish("bench/load", payload, qos=1)
    finished.wait(300)
    acked.value = confirmed
    client.disconnect()
    client.loop_stop()


def throughput(pub: Target, sub: Target, count: int) -> float:
    """QoS 1 messages per second, from the first publish to the last delivery."""
    ctx = mp.get_context("spawn")
    ready, done, go = ctx.Event(), ctx.Event(), ctx.Event()
    last, start, acked = ctx.Value("d", 0.0), ctx.Value("d", 0.0), ctx.Value("i", 0)
    subscriber = ctx.Process(target=_subscriber, args=(sub, count, ready, done, last))
    subscriber.start()
    if not ready.wait(30):
        subscriber.terminate()
        raise RuntimeError("the subscriber did not subscribe")
    publisher = ctx.Process(target=_publisher, args=(pub, count, go, start, acked))
    publisher.start()
    time.sleep(0.5)
    go.set()
    publisher.join(300)
    subscriber.join(300)
    if not done.is_set() or acked.value != count:
        raise RuntimeError(f"lost messages: acked {acked.value} of {count}")
    return float(count / (last.value - start.value))


# --- shadow round trip and connects -------------------------------------------------------------


def shadow_round_trips(core: LocalIoTCore, thing: str, updates: int) -> list[float]:
    """Milliseconds from publishing ``/update`` to receiving its ``/update/accepted``."""
    creds = core.provision(thing, policy_name="bench")
    prefix = f"$aws/things/{thing}/shadow/update"
    with core.connect(creds) as dev:
        dev.subscribe([f"{prefix}/accepted", f"{prefix}/rejected"])
        samples = []
        for i in range(updates + 50):
            began = time.perf_counter()
            kind, _ = dev.request(prefix, {"state": {"reported": {"n": i}}, "clientToken": f"t{i}"})
            if kind != "accepted":
                raise RuntimeError(f"update {i} was {kind}")
            if i >= 50:  # warm-up excluded
                samples.append((time.perf_counter() - began) * 1000)
    return samples


def tls_connects(target: Target, count: int) -> float:
    began = time.perf_counter()
    for i in range(count):
        client = target.client(f"bench-conn-{i}")
        connected = threading.Event()
        client.on_connect = lambda *_a, e=connected: e.set()
        client.connect("127.0.0.1", target.port, 60)
        while not connected.is_set():
            client.loop(0.01)
        client.disconnect()
        client.loop(0.01)
    return count / (time.perf_counter() - began)


def _offline_queue(target: Target, sub: Target, count: int, out: Any) -> None:
    """Queue ``count`` QoS 1 messages for an offline persistent session; acked per second."""
    version = MQTTProtocolVersion.MQTTv5
    session = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-q", protocol=version)
    session.tls_set(sub.ca_file, sub.cert_file, sub.key_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    subscribed = threading.Event()
    session.on_subscribe = lambda *_a: subscribed.set()
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 3600
    session.connect("127.0.0.1", sub.port, 60, clean_start=False, properties=props)
    session.loop_start()
    session.subscribe("bench/#", qos=1)
    subscribed.wait(30)
    session.disconnect()
    session.loop_stop()
    confirmed = 0
    finished = threading.Event()

    def on_publish(*_a: Any) -> None:
        nonlocal confirmed
        confirmed += 1
        if confirmed == count:
            finished.set()

    client = target.client("bench-pub")
    client.on_publish = on_publish
    client.connect("127.0.0.1", target.port, 60)
    client.loop_start()
    began = time.perf_counter()
    for i in range(count):
        client.publish("bench/queued", f"{i:08d}".encode() + b"x" * 56, qos=1)
    finished.wait(600)
    out.value = count / (time.perf_counter() - began) if confirmed == count else 0.0
    client.disconnect()
    client.loop_stop()


def offline_queue_rate(pub: Target, sub: Target, count: int) -> float:
    ctx = mp.get_context("spawn")
    rate = ctx.Value("d", 0.0)
    proc = ctx.Process(target=_offline_queue, args=(pub, sub, count, rate))
    proc.start()
    proc.join(900)
    if rate.value <= 0:
        raise RuntimeError("the offline queue run did not finish")
    return float(rate.value)


def persistence_costs(modes: list[str], messages: int, queued: int, proto: int) -> dict[str, Any]:
    """For each autosave setting: online QoS 1 throughput, offline queueing rate, broker CPU
    per message for each, and the persistence file's size at the end."""
    for mode in modes:
        Autosave.parse(mode)  # fail before a long run on a typo
    return {mode: _persistence_cost(mode, messages, queued, proto) for mode in modes}


def _persistence_cost(mode: str, messages: int, queued: int, proto: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="iotcore-bench-") as tmp,
        LocalIoTCore(Path(tmp) / "core", autosave=mode) as core,
    ):
        pub = core.provision("bench-pub", policy_name="bench", policy_document=POLICY)
        sub = core.provision("bench-sub", policy_name="bench")
        port, ca = core.endpoint.mqtt_port, core.endpoint.ca_file
        tls = Target(port, ca, pub.cert_file, pub.key_file, proto)
        tls_sub = Target(port, ca, sub.cert_file, sub.key_file, proto)
        online, online_cpu = measured(
            core.broker_pid, lambda: throughput(tls, tls_sub, messages), messages
        )
        offline, offline_cpu = measured(
            core.broker_pid, lambda: offline_queue_rate(tls, tls_sub, queued), queued
        )
        db = core.directory / "broker" / "mosquitto.db"
        return {
            "online_qos1_msgs_per_s": round(online),
            "online_broker_cpu_us_per_msg": _rounded(online_cpu),
            "offline_queue_msgs_per_s": round(offline),
            "offline_broker_cpu_us_per_msg": _rounded(offline_cpu),
            "db_bytes_after": db.stat().st_size if db.exists() else 0,
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process (Linux only), to see whether the broker is busy."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int | None, run: Any, count: int) -> tuple[float, float | None]:
    """``run()``'s result and the broker's CPU time per message (µs) meanwhile.

    If the broker spends a few µs of CPU per message, it could carry tens of thousands per
    second, and what limits the measured rate is the Python clients.
    """
    before = cpu_seconds(pid)
    result = float(run())
    after = cpu_seconds(pid)
    cost = None if before is None or after is None else (after - before) / count * 1e6
    return result, cost


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--connects", type=int, default=300)
    parser.add_argument("--protocol", type=int, choices=(4, 5), default=5, help="MQTT 3.1.1 or 5")
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    parser.add_argument(
        "--autosave",
        help="comma-separated persistence settings to compare (max-rate:N, every-change, "
        "changes:N, seconds:N, on-exit); runs only that part",
    )
    parser.add_argument("--queued", type=int, default=5000, help="messages queued offline")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    if args.quick:
        args.messages, args.rounds, args.updates, args.connects = 2000, 1, 100, 30
        args.queued = 1000
    if args.autosave:
        modes = [m.strip() for m in args.autosave.split(",") if m.strip()]
        costs = persistence_costs(modes, args.messages, args.queued, args.protocol)
        report = {
            "date": dt.date.today().isoformat(),
            "cpus": os.cpu_count(),
            "load_average_1min_before_and_after": [
                round(load_before, 2),
                round(os.getloadavg()[0], 2),
            ],
            "messages_online": args.messages,
            "messages_queued_offline": args.queued,
            **costs,
        }
        for key, value in report.items():
            print(f"{key:<36}  {value}")
        print(json.dumps(report), file=sys.stderr)
        return 0

    with tempfile.TemporaryDirectory(prefix="iotcore-bench-") as tmp:
        root = Path(tmp)
        plain_broker = Mosquitto(
            BrokerConfig(directory=root / "plain", port=free_port(), tls=False)
        )
        plain_broker.start()
        try:
            with LocalIoTCore(root / "core") as core:
                pub = core.provision("bench-pub", policy_name="bench", policy_document=POLICY)
                sub = core.provision("bench-sub", policy_name="bench")
                port = core.endpoint.mqtt_port
                ca, proto = core.endpoint.ca_file, args.protocol
                tls = Target(port, ca, pub.cert_file, pub.key_file, proto)
                # the subscriber needs its own identity; both may use bench/#
                tls_sub = Target(port, ca, sub.cert_file, sub.key_file, proto)
                plain = Target(plain_broker.config.port, protocol=proto)

                plain_rates, tls_rates, plain_cpu, tls_cpu = [], [], [], []
                for _ in range(args.rounds):
                    rate, share = measured(
                        plain_broker.pid,
                        lambda: throughput(plain, plain, args.messages),
                        args.messages,
                    )
                    plain_rates.append(rate)
                    plain_cpu.append(share)
                    rate, share = measured(
                        core.broker_pid,
                        lambda: throughput(tls, tls_sub, args.messages),
                        args.messages,
                    )
                    tls_rates.append(rate)
                    tls_cpu.append(share)
                round_trips = shadow_round_trips(core, "bench-shadow", args.updates)
                connects = tls_connects(tls, args.connects)
        finally:
            plain_broker.stop()

    plain_rate, tls_rate = statistics.median(plain_rates), statistics.median(tls_rates)
    result = {
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "load_average_1min_before_and_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "python": platform.python_version(),
        "mqtt_protocol": "5" if args.protocol == 5 else "3.1.1",
        "messages_per_run": args.messages,
        "rounds": args.rounds,
        "qos1_msgs_per_s_local_iotcore_mtls": round(tls_rate),
        "qos1_msgs_per_s_plain_mosquitto": round(plain_rate),
        "ratio_iotcore_to_plain": round(tls_rate / plain_rate, 3),
        "shadow_update_round_trip_ms_p50": round(percentile(round_trips, 50), 2),
        "shadow_update_round_trip_ms_p99": round(percentile(round_trips, 99), 2),
        "shadow_updates_measured": len(round_trips),
        "tls_connects_per_s": round(connects, 1),
        "broker_cpu_us_per_message": {
            "local_iotcore_mtls": [None if c is None else round(c, 1) for c in tls_cpu],
            "plain_mosquitto": [None if c is None else round(c, 1) for c in plain_cpu],
        },
        "all_runs_msgs_per_s": {
            "local_iotcore_mtls": [round(r) for r in tls_rates],
            "plain_mosquitto": [round(r) for r in plain_rates],
        },
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps(result), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
