"""The scenario phase of a night, in its own process: ``python -m harness.nightly.worker PLAN``.

Why a child process: emulated boards run the firmware package this Python imports, and a
night tests the *candidate*.  The parent (:mod:`.night`) starts this module with the staged
candidate first on ``PYTHONPATH`` (and ``PYTHONSAFEPATH``, so the working directory's
``firmware/`` cannot shadow it), so every emulated board -- in this process and the
``emulated-pty`` processes it starts -- runs the candidate's code.  A crash here also
cannot lose what the parent has already done.

The parent holds the rig's board locks for the whole night; this process drives the boards
it is handed without locking them again.  Progress goes to stdout a line at a time; the
outcome is ``WORK/outcome.json`` and the reports in the report directory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from harness.backends.base import BoardSpec
from harness.history.model import Attempt, ScenarioRecord
from harness.results import RunResult, ScenarioResult

from .retry import boards_for_attempt, should_retry, verdict


def say(line: str) -> None:
    print(line, flush=True)


def _why(result: ScenarioResult) -> str:
    step = result.failed_step
    if step is not None:
        return f"step {step.index}: {step.message or step.title}"[:300]
    return (result.error or "")[:300]


def _tagged(result: ScenarioResult, attempt: int, boards: list[str]) -> ScenarioResult:
    """An earlier attempt's result under its own id, for the re-runs report."""
    label = f"{result.id} (attempt {attempt} on {', '.join(boards) or 'no board'})"
    return replace(result, id=label)


def run_plan(plan: dict[str, Any]) -> int:
    from harness.commands.run import load
    from harness.engine import Engine
    from harness.fingerprint import make_fingerprint
    from harness.iotcore import open_core
    from harness.report import write_reports
    from harness.rig import load as load_rig

    paths = [Path(p) for p in plan["paths"]]
    tags = set(plan["tags"]) if plan.get("tags") else None
    retries = int(plan["retries"])
    work = Path(plan["work"])
    scenarios, broken, files = load(paths, tags)
    rig = load_rig(plan["rig"])
    boards: list[BoardSpec] = [
        replace(spec, options={**spec.options, "flash": False})
        if spec.name in plan.get("flashed", [])  # the night flashed it already
        else spec
        for spec in rig.boards
    ]
    records: list[ScenarioRecord] = []
    final: list[ScenarioResult] = list(broken)
    earlier: list[ScenarioResult] = []
    for result in broken:
        records.append(
            ScenarioRecord(result.id, result.file, "", "error", 0.0, [], result.error or "")
        )
        say(f"error {result.id}: {result.error}")
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    wall = time.monotonic()
    total = len(scenarios)
    with contextlib.ExitStack() as stack:
        say(f"starting the {plan['iotcore']} IoT Core ...")
        core = stack.enter_context(
            open_core(plan["iotcore"], work / "iotcore", region=plan.get("aws_region"))
        )
        engine = stack.enter_context(
            Engine(core, work / "run", boards=list(boards), seed=int(plan["seed"]))
        )
        for i, scenario in enumerate(scenarios):
            eligible = [b for b in boards if set(scenario.rig_tags) <= b.tags]
            needed = len(scenario.devices)
            attempts: list[Attempt] = []
            results: list[ScenarioResult] = []
            for n in range(retries + 1):
                chosen = boards_for_attempt(eligible, needed, i, n)
                names = [b.name for b in chosen]
                head = (
                    f"[{i + 1:>{len(str(total))}}/{total}]"
                    if n == 0
                    else " " * (len(str(total)) * 2 + 3)
                )
                what = scenario.id if n == 0 else f"re-run {n}/{retries}"
                say(f"{head} {what} on {', '.join(names) or 'no board'} ...")
                engine.boards = chosen or list(eligible)
                result = engine.run(scenario)
                results.append(result)
                attempts.append(Attempt(names, result.status, result.duration, _why(result)))
                mark = {"passed": "ok", "failed": "FAIL", "error": "ERROR", "skipped": "skip"}
                say(f"{head} {what}: {mark[result.status]} ({result.duration:.1f}s)")
                if not should_retry(result.status):
                    break
            outcome = verdict([a.status for a in attempts])
            if outcome == "flaky":
                say(f"{' ' * (len(str(total)) * 2 + 3)} -> flaky: passed on a re-run")
            deciding = results[-1] if outcome in ("flaky", "passed", "skipped") else results[0]
            final.append(deciding)
            earlier.extend(
                _tagged(r, k + 1, attempts[k].boards)
                for k, r in enumerate(results)
                if r is not deciding
            )
            first_failure = next((a.message for a in attempts if a.status != "passed"), "")
            records.append(
                ScenarioRecord(
                    scenario.id,
                    scenario.display_file,
                    scenario.sha256,
                    outcome,
                    deciding.duration,
                    attempts,
                    first_failure,
                )
            )
    root = Path(plan["candidate_root"]) if plan.get("candidate_root") else None
    fingerprint = make_fingerprint(
        int(plan["seed"]),
        str(getattr(core, "kind", plan["iotcore"])),
        files,
        rig_file=Path(plan["rig"]),
        inputs={p: d for s in scenarios for p, d in s.inputs.items()},
        root=root,
    )
    run = RunResult(fingerprint, final, started_at, time.monotonic() - wall)
    report = Path(plan["report"])
    write_reports(run, report)
    if earlier:
        write_reports(RunResult(fingerprint, earlier, started_at, 0.0), report / "reruns")
    outcome_file = work / "outcome.json"
    outcome_file.write_text(
        json.dumps(
            {
                "started_at": started_at,
                "duration": run.duration,
                "fingerprint": asdict(fingerprint),
                "scenarios": [asdict(r) for r in records],
            },
            indent=1,
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m harness.nightly.worker PLAN.json", file=sys.stderr)
        return 2
    plan = json.loads(Path(args[0]).read_text())
    return run_plan(plan)


if __name__ == "__main__":
    raise SystemExit(main())
