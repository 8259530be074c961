"""The steelhil pytest plugin (registered through the ``pytest11`` entry point).

* Collects scenario files (``*.yaml`` under a ``scenarios`` directory, or any file given on
  the command line whose top level has ``steps``) as test items: one per scenario and
  parameter row, with each step in the report.  A file that does not load becomes one error
  item naming file, line, column and field; the other files still run.
* Fixtures for Python tests: ``iotcore`` (session), ``rig``, ``fleet``, ``device``.
* Options: ``--rig FILE``, ``--backend NAME``, ``--devices N``, ``--iotcore local|aws``,
  ``--report DIR``, ``--scenario-seed N``.

Each xdist worker runs its own engine (and, locally, its own IoT Core on ephemeral ports);
boards from a rig are locked so two workers never share one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .results import RunResult, ScenarioResult
from .scenario.loader import load_file
from .scenario.model import Scenario
from .scenario.source import LoadError

_STATE = pytest.StashKey["PluginState"]()


class PluginState:
    """Per-process (per-xdist-worker) state: the IoT Core and the engine, made on first use."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.stack = contextlib.ExitStack()
        self.core: Any = None
        self.engine: Any = None
        self.results: list[ScenarioResult] = []
        self.scenario_files: set[Path] = set()
        self.started = time.monotonic()
        self.started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def get_core(self) -> Any:
        if self.core is None:
            from .iotcore import open_core

            workdir = Path(
                self.stack.enter_context(tempfile.TemporaryDirectory(prefix="steelhil-"))
            )
            self.workdir = workdir
            self.core = self.stack.enter_context(
                open_core(
                    self.config.getoption("steelhil_iotcore"),
                    workdir / "iotcore",
                    region=self.config.getoption("steelhil_aws_region"),
                )
            )
        return self.core

    def get_engine(self) -> Any:
        if self.engine is None:
            from .engine import Engine
            from .rigboards import boards_for_run

            core = self.get_core()
            boards = boards_for_run(self.config.getoption("steelhil_rig"), self.stack)
            self.engine = self.stack.enter_context(
                Engine(
                    core,
                    self.workdir / "run",
                    backend=self.config.getoption("steelhil_backend"),
                    boards=boards,
                    seed=self.config.getoption("steelhil_seed"),
                )
            )
        return self.engine

    def close(self) -> None:
        self.stack.close()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("steelhil", "steelhil: scenarios on emulated and real boards")
    group.addoption("--rig", dest="steelhil_rig", default=None, help="the rig inventory (YAML)")
    group.addoption(
        "--backend",
        dest="steelhil_backend",
        default="emulated",
        help="backend for scenarios that do not name one (default: emulated)",
    )
    group.addoption(
        "--devices",
        dest="steelhil_devices",
        type=int,
        default=None,
        help="devices in the `fleet` fixture (default 1)",
    )
    group.addoption(
        "--iotcore",
        dest="steelhil_iotcore",
        default="local",
        choices=("local", "aws"),
        help="the local IoT Core (started by the harness) or AWS IoT Core",
    )
    group.addoption("--aws-region", dest="steelhil_aws_region", default=None)
    group.addoption("--report", dest="steelhil_report", default=None, help="write reports here")
    group.addoption("--scenario-seed", dest="steelhil_seed", type=int, default=0)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STATE] = PluginState(config)
    config.addinivalue_line("markers", "scenario: a steelhil scenario file item")
    config.addinivalue_line("markers", "devices(n): how many devices the `fleet` fixture opens")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def _is_scenario_file(path: Path, config: pytest.Config) -> bool:
    if path.suffix not in (".yaml", ".yml"):
        return False
    if "scenarios" in path.parts:
        return True
    args = {Path(a).resolve() for a in config.args}
    return path.resolve() in args


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if _is_scenario_file(file_path, parent.config):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        display = self.nodeid.split("::")[0]
        try:
            scenarios = load_file(self.path, display)
        except LoadError as exc:
            yield ScenarioLoadErrorItem.from_parent(self, name="load", error=exc)
            return
        for scenario in scenarios:
            name = scenario.id.split("::", 1)[1]
            item = ScenarioItem.from_parent(self, name=name, scenario=scenario)
            for tag in scenario.tags:
                marker = tag.replace("-", "_")
                # Scenario tags are markers (``-m telemetry``); declare them so that
                # --strict-markers accepts them.
                self.config.addinivalue_line("markers", f"{marker}: scenario tag")
                item.add_marker(marker)
            yield item


class ScenarioLoadError(Exception):
    pass


class ScenarioLoadErrorItem(pytest.Item):
    def __init__(self, *, error: LoadError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        raise ScenarioLoadError(str(self.error))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioLoadError):
            return f"scenario file does not load:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        p = self.error.first.location
        return self.path, p.line - 1, f"{p.file}:{p.line}:{p.column}"


class ScenarioFailed(Exception):
    def __init__(self, result: ScenarioResult) -> None:
        super().__init__(result.id)
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        state: PluginState = self.config.stash[_STATE]
        engine = state.get_engine()
        result: ScenarioResult = engine.run(self.scenario)
        state.results.append(result)
        state.scenario_files.add(self.scenario.file)
        for step in result.steps:
            self.user_properties.append((f"step {step.index}", f"{step.status}: {step.title}"))
        self.user_properties.append(
            ("devices", ", ".join(f"{d.name} ({d.backend})" for d in result.devices))
        )
        self.user_properties.append(("time_base", result.time_base))
        if result.status != "passed":
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return format_failure(excinfo.value.result)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        line = self.scenario.location.line if self.scenario.location else 1
        return self.path, line - 1, f"scenario: {self.scenario.name}"


def format_failure(result: ScenarioResult, context: float = 5.0) -> str:
    """Which steps failed, where in the file, what was expected and observed, and the
    devices' consoles around each failure (the same text ``steelhil run`` prints)."""
    from .report.failure import failure_text

    return failure_text(result, context=context)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def iotcore(request: pytest.FixtureRequest) -> Any:
    """The IoT Core of the run (session): the local one unless ``--iotcore aws``."""
    state: PluginState = request.config.stash[_STATE]
    return state.get_core()


@pytest.fixture(scope="session")
def rig(request: pytest.FixtureRequest) -> list[Any]:
    """The boards of ``--rig`` (empty without a rig file: emulated boards are made on demand)."""
    state: PluginState = request.config.stash[_STATE]
    return list(state.get_engine().boards)


@pytest.fixture
def fleet(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``--devices N`` devices (default 1; ``@pytest.mark.devices(3)`` overrides), opened for
    the test on the run's backend and closed after it."""
    from .fixtures import TestFleet

    state: PluginState = request.config.stash[_STATE]
    marker = request.node.get_closest_marker("devices")
    count = marker.args[0] if marker else (request.config.getoption("steelhil_devices") or 1)
    fleet = TestFleet(state.get_engine(), [f"dev-{i}" for i in range(1, count + 1)])
    try:
        yield fleet
    finally:
        fleet.close()


@pytest.fixture
def device(fleet: Any) -> Any:
    """The first device of ``fleet``."""
    return next(iter(fleet))


# --- reports ----------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the reports once per run: an xdist worker hands its results to the controller
    (``workeroutput``), which writes one report for all of them."""
    config = session.config
    state: PluginState | None = config.stash.get(_STATE, None)
    if state is None:
        return
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        from .report.jsonfile import dumps, run_to_dict

        empty = RunResult(_fingerprint(state, config), state.results)
        workeroutput["steelhil_results"] = dumps(run_to_dict(empty))
        workeroutput["steelhil_files"] = [str(p) for p in state.scenario_files]
        return
    directory = config.getoption("steelhil_report")
    if directory is None or not state.results:
        return
    write_run_reports(state.results, Path(directory), state, config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist controller: collect a finished worker's scenario results."""
    output = getattr(node, "workeroutput", {})
    text = output.get("steelhil_results")
    if not text:
        return
    import json

    from .report.jsonfile import run_from_dict

    state: PluginState = node.config.stash[_STATE]
    state.results.extend(run_from_dict(json.loads(text)).scenarios)
    state.scenario_files.update(Path(p) for p in output.get("steelhil_files", []))


def _fingerprint(state: PluginState, config: pytest.Config) -> Any:
    from .fingerprint import make_fingerprint

    rig = config.getoption("steelhil_rig")
    return make_fingerprint(
        config.getoption("steelhil_seed"),
        config.getoption("steelhil_iotcore"),
        sorted(state.scenario_files),
        rig_file=Path(rig) if rig else None,
    )


def write_run_reports(
    results: list[ScenarioResult], target: Path, state: PluginState, config: pytest.Config
) -> None:
    from .report import write_reports

    results.sort(key=lambda r: r.id)
    run = RunResult(
        _fingerprint(state, config), results, state.started_at, time.monotonic() - state.started
    )
    write_reports(run, target)
