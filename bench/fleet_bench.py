"""Benchmark of emulated devices: virtual boards per process running the sensor monitor.

For each fleet size (default 1, 100 and 1,000 devices) a fresh local IoT Core starts in this
process, and one child process runs a :class:`~emulator.device.fleet.Fleet` of that many
virtual boards on one auto-advancing virtual clock, as ``steelhil fleet up --virtual`` does:

1. boot: provision every thing through the IoT Core's AWS API, boot its board, wait until
   it is connected and subscribed (the figures include provisioning); virtual time is held
   meanwhile;
2. load: an observer client (in this process) publishes ``scenarios/programs/
   sensor-monitor.scm`` once to ``steel-programs/broadcast/load``, and the fleet waits until
   every device runs it;
3. steady state, ``--window`` real seconds: the monitor reads the SHTC3 and publishes
   ``sensors/T/data``, a log line and a shadow update every 60 virtual seconds, the agent
   its metrics every 60; the observer, subscribed to the devices' topics, counts what it
   receives.

Measured in the fleet process: CPU seconds (user + system, all threads, from getrusage) and
resident memory (VmRSS) above the empty fleet's, per device; virtual seconds per real
second.  In this process: messages per second delivered to the observer.  Mosquitto's CPU
is shown beside them.  Nothing asserts on the numbers; they depend on the machine and its
load.  The soft RLIMIT_NOFILE is raised to the hard limit first (three descriptors per
device in the fleet, one per device in Mosquitto).  Figures and what limits them:
docs/device.md, "Cost of a fleet".

    .venv/bin/python bench/fleet_bench.py                       # 1, 100, 1000 devices
    .venv/bin/python bench/fleet_bench.py --counts 1,10 --window 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import ssl
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from emulator.iotcore.core import LocalIoTCore

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "scenarios" / "programs" / "sensor-monitor.scm"
OBSERVED = ("sensors/#", "alerts/#", "logs/#", "metrics/#", "steel-programs/+/status")
OBSERVER_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}],
}


# --- measuring a process ---------------------------------------------------------------------


def raise_fd_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by Mosquitto and the fleet).

    Each emulated device holds three descriptors (its TLS socket and the socket pair that
    wakes its network thread) and Mosquitto one per device: with the common soft limit of
    1,024 a fleet stops connecting at about 340 devices.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_of(pid: int | None) -> float | None:
    """User + system CPU seconds of another process (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_of_self() -> int:
    return len(os.listdir("/proc/self/task"))


def fds_of_self() -> int:
    return len(os.listdir("/proc/self/fd"))


def machine() -> dict[str, Any]:
    mem = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "date": dt.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "threads_max": int(Path("/proc/sys/kernel/threads-max").read_text()),
        "nofile_limit": list(resource.getrlimit(resource.RLIMIT_NOFILE)),
    }


# --- the fleet process ---------------------------------------------------------------------


def fleet_process(core_dir: str, count: int, window: float, autojump: float, conn: Any) -> None:
    """Run in a child process; reports through ``conn`` (a Pipe end)."""
    try:
        _fleet(Path(core_dir), count, window, autojump, conn)
    except BaseException as exc:
        conn.send({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _fleet(core_dir: Path, count: int, window: float, autojump: float, conn: Any) -> None:
    from emulator.board.clock import VirtualClock
    from emulator.device.fleet import Fleet, RemoteIoTCore
    from emulator.iotcore.endpoint import Endpoint

    raise_fd_limit()
    endpoint = Endpoint.load(core_dir / "endpoint.json")
    core = RemoteIoTCore(endpoint, core_dir / "things")
    clock = VirtualClock(autojump_threshold=autojump)
    fleet = Fleet(core, core_dir / "fleet", clock=clock).start()
    # Virtual time stands still while the fleet boots and loads (a hold keeps autojump
    # waiting, up to 30 real seconds per jump): otherwise the devices already up publish
    # metrics every 60 virtual seconds while the rest are provisioned, and booting N
    # devices costs O(N^2) (measured: 300 devices, 42 CPU seconds, 10 virtual hours).
    clock.hold()
    held = True
    try:
        rss0, cpu0, t0 = rss_bytes(), cpu_self(), time.monotonic()
        threads0, fds0 = threads_of_self(), fds_of_self()
        names = [f"dev-{i:04d}" for i in range(1, count + 1)]
        for name in names:
            fleet.add(name)
        fleet.wait_ready(timeout=120 + count * 0.2)
        boot = {
            "boot_s": time.monotonic() - t0,
            "boot_cpu_s": cpu_self() - cpu0,
            "threads_per_device": (threads_of_self() - threads0) / count,
            "fds_per_device": (fds_of_self() - fds0) / count,
        }
        conn.send({"ready": True, **boot})
        conn.recv()  # the observer has published the load

        def running() -> int:
            return sum(
                1
                for d in fleet.devices.values()
                if d.agent is not None and d.agent.program_state == "running"
            )

        deadline = time.monotonic() + 120 + count * 0.2
        while fleet.call(running) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {fleet.call(running)} of {count} devices run it")
            time.sleep(0.1)
        loaded_s = time.monotonic() - t0 - boot["boot_s"]
        booted_at = fleet.now()
        clock.release()
        held = False

        def published() -> int:
            return sum(link.stats.published for link in fleet.network.links.values())

        time.sleep(min(2.0, window / 5))  # past the first burst: measure the steady state
        v1, c1, p1, w1 = fleet.now(), cpu_self(), published(), time.monotonic()
        conn.send({"window": "start"})
        time.sleep(window)
        v2, c2, p2, w2 = fleet.now(), cpu_self(), published(), time.monotonic()
        conn.send({"window": "end"})
        rss = rss_bytes()
        connected = sum(1 for link in fleet.network.links.values() if link.connected)
        real = w2 - w1
        virtual = v2 - v1
        conn.send(
            {
                "result": {
                    **boot,
                    "load_s": loaded_s,
                    "virtual_s_during_boot": booted_at,
                    "connected": connected,
                    "rss_empty_fleet_mib": rss0 / 2**20,
                    "rss_per_device_mib": (rss - rss0) / count / 2**20,
                    "window_real_s": real,
                    "window_virtual_s": virtual,
                    "virtual_per_real": virtual / real,
                    "cpu_pct_of_one_core": 100 * (c2 - c1) / real,
                    "cpu_ms_per_device_per_virtual_min": (
                        1000 * (c2 - c1) / count / (virtual / 60) if virtual > 0 else None
                    ),
                    "device_publishes_acked": p2 - p1,
                }
            }
        )
    finally:
        if held:
            clock.release()
        fleet.stop()


# --- the observer --------------------------------------------------------------------------


class Observer:
    """A paho client that counts what it receives on the devices' topics (stores nothing)."""

    def __init__(self, core: LocalIoTCore) -> None:
        creds = core.provision(
            "bench-observer", policy_name="bench-observer", policy_document=OBSERVER_POLICY
        )
        self.received = 0
        self.running = 0
        self._subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-observer")
        client.tls_set(
            ca_certs=core.endpoint.ca_file,
            certfile=creds.cert_file,
            keyfile=creds.key_file,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.max_inflight_messages_set(100)
        client.on_message = self._on_message
        client.on_subscribe = lambda *_a: self._subscribed.set()
        client.connect(core.endpoint.mqtt_host, core.endpoint.mqtt_port, 60)
        client.loop_start()
        client.subscribe([(t, 1) for t in OBSERVED])
        if not self._subscribed.wait(10):
            raise RuntimeError("the observer's subscription was not acknowledged")
        self.client = client

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        self.received += 1
        if msg.topic.endswith("/status") and b'"running"' in msg.payload:
            self.running += 1

    def load(self, source: str) -> None:
        body = json.dumps({"program_id": "monitor", "source": source}).encode()
        self.client.publish("steel-programs/broadcast/load", body, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def run_size(count: int, window: float, autojump: float, tmp: Path) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with LocalIoTCore(tmp / f"core-{count}") as core:
        observer = Observer(core)
        parent, child = ctx.Pipe()
        proc = ctx.Process(
            target=fleet_process,
            args=(str(core.directory), count, window, autojump, child),
            daemon=True,
        )
        proc.start()
        result: dict[str, Any] = {}
        try:
            ready = parent.recv()
            if "error" in ready:
                raise RuntimeError(ready["error"])
            observer.load(PROGRAM.read_text(encoding="utf-8"))
            parent.send("go")
            start = parent.recv()
            if "error" in start:
                raise RuntimeError(start["error"])
            m1, b1, t1 = observer.received, cpu_of(core.broker_pid), time.monotonic()
            end = parent.recv()
            if "error" in end:
                raise RuntimeError(end["error"])
            m2, b2, t2 = observer.received, cpu_of(core.broker_pid), time.monotonic()
            final = parent.recv()
            if "error" in final:
                raise RuntimeError(final["error"])
            result = final["result"]
            result["observer_msgs_per_s"] = (m2 - m1) / (t2 - t1)
            result["observer_msgs"] = m2 - m1
            result["broker_cpu_pct"] = (
                100 * (b2 - b1) / (t2 - t1) if b1 is not None and b2 is not None else None
            )
            result["broker_rss_mib"] = (
                rss_bytes(core.broker_pid) / 2**20 if core.broker_pid else None
            )
            result["statuses_running_seen"] = observer.running
        finally:
            proc.join(60)
            if proc.is_alive():
                proc.terminate()
            observer.close()
    result["devices"] = count
    return result


COLUMNS = (
    ("devices", "devices", "{:d}"),
    ("boot_s", "boot s", "{:.1f}"),
    ("connected", "online", "{:d}"),
    ("boot_cpu_s", "boot CPU s/dev", "per_device:{:.3f}"),
    ("rss_per_device_mib", "RSS MiB/dev", "{:.2f}"),
    ("threads_per_device", "threads/dev", "{:.1f}"),
    ("virtual_per_real", "virt s/real s", "{:.1f}"),
    ("cpu_pct_of_one_core", "fleet CPU %", "{:.0f}"),
    ("cpu_ms_per_device_per_virtual_min", "CPU ms/dev/virt min", "{:.2f}"),
    ("observer_msgs_per_s", "observer msg/s", "{:.0f}"),
    ("broker_cpu_pct", "broker CPU %", "{:.0f}"),
)


def table(rows: list[dict[str, Any]]) -> str:
    header = [title for _, title, _ in COLUMNS]
    lines = []
    for row in rows:
        cells = []
        for key, _, fmt in COLUMNS:
            value = row.get(key)
            if value is None:
                cells.append("-")
            elif fmt.startswith("per_device:"):
                cells.append(fmt.split(":", 1)[1].format(value / row["devices"]))
            else:
                cells.append(fmt.format(value))
        lines.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    for cells in lines:
        out.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="1,100,1000", help="fleet sizes, comma-separated")
    parser.add_argument("--window", type=float, default=30.0, help="real seconds measured")
    parser.add_argument(
        "--autojump",
        type=float,
        default=0.05,
        help="the virtual clock's autojump threshold in real seconds (steelhil fleet up: 0.05)",
    )
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",") if c.strip()]
    limits = raise_fd_limit()
    info = machine()
    info["nofile_limit"] = list(limits)
    print(json.dumps(info), file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        for count in counts:
            load_before = os.getloadavg()[0]
            row = run_size(count, args.window, args.autojump, Path(tmp))
            row["autojump"] = args.autojump
            row["load_avg_before"] = round(load_before, 2)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
