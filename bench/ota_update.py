"""How long an over-the-air update takes on emulated boards: N boards run the counter, one
job updates them all to this checkout's firmware (a real signed bundle, served by the local
IoT Core's S3 through a presigned URL), and every board must download, install, reboot on
trial, self-test and commit.

    python bench/ota_update.py [--devices 1 10 25]

Each row is one scenario run through the real engine.  "virtual s" is when the last board's
execution was seen SUCCEEDED (deterministic: the link's 100 KB/s and the boards' CPU cost
make it); "wall s" is what the run took here, the IoT Core's start-up not counted.  The
bundle is built and signed once per run and is part of the wall time.
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

REPO = Path(__file__).resolve().parents[1]


def scenario(directory: Path, devices: int) -> Path:
    (directory / "counter.scm").write_text(
        (REPO / "scenarios" / "programs" / "qa" / "counter.scm").read_text()
    )
    done = "".join(
        f"""
              - expect:
                  job: {{device: dev-{i}, status: SUCCEEDED, step: commit}}
                  within: 30m"""
        for i in range(1, devices + 1)
    )
    running = "".join(
        f"""
              - expect:
                  status: {{device: dev-{i}, state: running, program_id: counter}}
                  within: 1m"""
        for i in range(1, devices + 1)
    )
    path = directory / f"ota-{devices}.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            name: ota bench {devices}
            timeout: 2h
            fleet: {{devices: {devices}}}
            programs: {{counter: counter.scm}}
            steps:
              - deploy: counter"""
            + running
            + """
              - ota: {version: 9.1.0}"""
            + done
            + running
            + "\n"
        )
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 10, 25])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}"
    )
    print(f"{'devices':>8} {'virtual s':>10} {'wall s':>8} {'cpu s':>7} {'status':>8}")
    with (
        tempfile.TemporaryDirectory() as tmp,
        local_core(Path(tmp) / "core") as core,
        Engine(core, Path(tmp) / "run") as engine,
    ):
        for n in args.devices:
            (item,) = load_file(scenario(Path(tmp), n))
            start, cpu = time.perf_counter(), time.process_time()
            result = engine.run(item)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            ota = next(s for s in result.steps if s.title.startswith("ota"))
            jobs = [s for s in result.steps if "job" in s.title and s.kind == "expect"]
            virtual = max(s.ended for s in jobs) - ota.ended if jobs else float("nan")
            print(f"{n:>8} {virtual:>10.1f} {wall:>8.2f} {cpu:>7.2f} {result.status:>8}")
            failed = result.failed_step
            if failed is not None:
                print(f"         {failed.message}: {failed.observed}")


if __name__ == "__main__":
    main()
