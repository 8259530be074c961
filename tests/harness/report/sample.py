"""Hand-built runs for the report tests: every status, parameters, hostile text."""

from __future__ import annotations

from harness.results import (
    DeviceInfo,
    RunFingerprint,
    RunResult,
    ScenarioResult,
    SourceLocation,
    StepResult,
    TimelineEvent,
)

HOSTILE = "<script>alert('x')</script>"
UNICODE = "température 31 °C ✓ 温度"
CONTROL = "bad\x00byte \x1b[31mred\x1b[0m \x07bell"


def fingerprint() -> RunFingerprint:
    return RunFingerprint(
        firmware_version="0.1.0",
        firmware_sha256="ab" * 32,
        seed=1234,
        iotcore="local",
        steelhil_version="0.1.0",
        python="CPython 3.11.7",
        platform="Linux-x86_64",
        scenarios_sha256={"scenarios/blink.yaml": "01" * 32, "scenarios/sensors.yaml": "02" * 32},
        rig="rigs/bench.yaml sha256:" + "03" * 32,
    )


def passed_scenario() -> ScenarioResult:
    return ScenarioResult(
        id="scenarios/blink.yaml::blink",
        name="blink",
        file="scenarios/blink.yaml",
        status="passed",
        tags=["seed", "led"],
        description="The seed's blink program toggles the LED every second.",
        steps=[
            StepResult(
                1, "act", "deploy blink.scm to dev-1", "passed", 0.0, 0.5, devices=["dev-1"]
            ),
            StepResult(2, "expect", "expect led on within 2s", "passed", 0.5, 1.0),
        ],
        devices=[DeviceInfo("dev-1", "emulated", {"firmware": "0.1.0"})],
        timeline=[
            TimelineEvent(0.9, "led", "dev-1", "led on", {"state": True}),
            TimelineEvent(0.2, "log", "dev-1", "program blink loaded", {"text": "loaded blink"}),
            TimelineEvent(0.95, "pixel", "dev-1", "pixel red", {"color": [255, 0, 0]}),
        ],
        logs={"dev-1": ["loaded blink"]},
        started_at="2026-11-27T11:00:00Z",
        duration=1.25,
        scenario_sha256="01" * 32,
    )


def failed_scenario() -> ScenarioResult:
    failing = StepResult(
        index=2,
        kind="expect",
        title="expect mqtt sensors/dev-1/alert where temperature > 30 within 65s",
        status="failed",
        started=100.0,
        ended=165.0,
        location=SourceLocation("scenarios/sensors.yaml", 14, 7, "steps[1].expect.mqtt"),
        expected='{"temperature": "> 30"} on sensors/dev-1/alert',
        observed=f"no message; last on sensors/dev-1/data: {HOSTILE} {UNICODE}",
        message="No alert arrived within 65 s.",
        devices=["dev-1"],
    )
    return ScenarioResult(
        id="scenarios/sensors.yaml::monitor[threshold=30]",
        name="monitor",
        file="scenarios/sensors.yaml",
        status="failed",
        params={"threshold": 30},
        steps=[
            StepResult(1, "act", "set dev-1 temperature to 31", "passed", 99.0, 99.0),
            failing,
            StepResult(3, "expect", "expect log 'done'", "skipped", 165.0, 165.0),
        ],
        devices=[
            DeviceInfo("dev-1", "emulated"),
            DeviceInfo("dev-2", "serial", {"port": "/dev/ttyACM0"}),
        ],
        timeline=[
            TimelineEvent(1.0, "log", "dev-1", "boot", {"text": "agent: booting, long ago"}),
            TimelineEvent(95.0, "log", "dev-1", "reading", {"text": "reading sensors"}),
            TimelineEvent(
                120.0,
                "mqtt",
                "dev-1",
                "publish sensors/dev-1/data",
                {
                    "topic": "sensors/dev-1/data",
                    "payload": '{"temperature": 31.5, "note": "' + UNICODE + '"}',
                    "direction": "from-device",
                },
            ),
            TimelineEvent(
                121.0,
                "mqtt",
                "dev-1",
                "publish sensors/dev-1/raw",
                {"topic": "sensors/dev-1/raw", "payload": HOSTILE, "direction": "from-device"},
            ),
            TimelineEvent(130.0, "log", "dev-1", "ctl", {"text": CONTROL}),
            TimelineEvent(140.0, "fault", "dev-2", "network down 10s", {"loss": 1.0}),
            TimelineEvent(150.0, "log", "dev-2", "wifi lost", {"text": "wifi: lost link"}),
            TimelineEvent(166.0, "log", "dev-1", "late", {"text": "after the step"}),
            TimelineEvent(100.0, "step", None, "step 2 failed", {"index": 2, "status": "failed"}),
        ],
        logs={
            "dev-1": ["agent: booting, long ago", "reading sensors"],
            "dev-2": ["wifi: lost link"],
        },
        started_at="2026-11-27T11:00:02Z",
        duration=12.5,
    )


def second_row_scenario() -> ScenarioResult:
    return ScenarioResult(
        id="scenarios/sensors.yaml::monitor[threshold=40]",
        name="monitor",
        file="scenarios/sensors.yaml",
        status="passed",
        params={"threshold": 40},
        steps=[StepResult(1, "act", "set dev-1 temperature to 41", "passed", 0.0, 0.0)],
        duration=3.0,
    )


def error_scenario() -> ScenarioResult:
    return ScenarioResult(
        id="scenarios/broken.yaml::broken",
        name="broken",
        file="scenarios/broken.yaml",
        status="error",
        error="unknown key 'expct' (did you mean 'expect'?)",
        error_location=SourceLocation("scenarios/broken.yaml", 7, 5, "steps[2].expct"),
    )


def skipped_scenario() -> ScenarioResult:
    return ScenarioResult(
        id="scenarios/hw/button.yaml::button",
        name="button",
        file="scenarios/hw/button.yaml",
        status="skipped",
        error="needs a board with tag 'button'; the rig has none",
    )


def sample_run() -> RunResult:
    return RunResult(
        fingerprint=fingerprint(),
        scenarios=[
            passed_scenario(),
            failed_scenario(),
            second_row_scenario(),
            error_scenario(),
            skipped_scenario(),
        ],
        started_at="2026-11-27T11:00:00Z",
        duration=20.0,
    )
