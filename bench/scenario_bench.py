"""How fast virtual time runs in a scenario: N emulated boards run the sensor monitor
(a reading every 60 virtual seconds, published over MQTT/TLS to the local IoT Core) for a
stretch of virtual time; prints the wall-clock time it took and the speed-up.

    python bench/scenario_bench.py [--devices 1 10 50] [--virtual 30m]

Each row is one scenario run through the real engine (observer, holds, fault proxies);
the IoT Core start-up is not counted.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import textwrap
import time
from pathlib import Path

from harness.engine import Engine
from harness.iotcore import local_core
from harness.scenario.loader import load_file
from harness.scenario.schema import parse_duration

REPO = Path(__file__).resolve().parents[1]


def scenario(directory: Path, devices: int, virtual: str) -> Path:
    (directory / "monitor.scm").write_text(
        (REPO / "scenarios" / "programs" / "sensor-monitor.scm").read_text()
    )
    readings = int(parse_duration(virtual) // 60)
    path = directory / f"bench-{devices}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            name: bench {devices}
            timeout: {2 * parse_duration(virtual)}
            fleet: {{devices: {devices}}}
            programs: {{monitor: monitor.scm}}
            sensors: {{temperature: 24, humidity: 50}}
            steps:
              - deploy: monitor
              - wait: {virtual}
              - expect:
                  mqtt: {{topic: sensors/data, count: {devices * readings}, since: start}}
                  within: 1s
            """
        )
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--virtual", default="30m")
    args = parser.parse_args()
    virtual = parse_duration(args.virtual)
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}; virtual time per run: {virtual:g} s"
    )
    print(
        f"{'devices':>8} {'wall s':>8} {'cpu s':>7} {'speed-up':>9} {'readings':>9} {'status':>8}"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_core(Path(tmp) / "core") as core,
        Engine(core, Path(tmp) / "run") as engine,
    ):
        for n in args.devices:
            (item,) = load_file(scenario(Path(tmp), n, args.virtual))
            start, cpu = time.perf_counter(), time.process_time()
            result = engine.run(item)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            count = sum(
                1 for e in result.timeline if e.data.get("topic", "").startswith("sensors/")
            )
            print(
                f"{n:>8} {wall:>8.2f} {cpu:>7.2f} {virtual / wall:>8.0f}x {count:>9} "
                f"{result.status:>8}"
            )
            failed = result.failed_step
            if failed is not None:
                print(f"         {failed.message}: {failed.observed}")


if __name__ == "__main__":
    main()
