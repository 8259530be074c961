"""The failure text pytest and ``steelhil run`` print: every failed step in full, where it
is written (and which include brought it in), and the consoles around it."""

from __future__ import annotations

from harness.report import summary_table
from harness.report.failure import banner, failure_text
from harness.results import RunResult, SourceLocation, StepResult

from .sample import CONTROL, HOSTILE, failed_scenario, fingerprint, sample_run


def test_the_failed_step_with_expected_observed_and_the_console_near_it() -> None:
    text = failure_text(failed_scenario())
    lines = text.splitlines()
    assert lines[0] == (
        "step 2 failed (scenarios/sensors.yaml:14:7 (steps[1].expect.mqtt)): "
        "expect mqtt sensors/dev-1/alert where temperature > 30 within 65s"
    )
    assert lines[1] == "  No alert arrived within 65 s."
    assert lines[2] == '  expected: {"temperature": "> 30"} on sensors/dev-1/alert'
    assert lines[3].startswith("  observed: no message; last on sensors/dev-1/data: " + HOSTILE)
    assert "  console of dev-1 around t=165.000:" in lines
    assert "        95.000  reading sensors" in lines  # within 5 s before the step: shown
    assert not any("long ago" in line for line in lines)  # 99 s before: not
    assert "\x1b" not in text and "\\x1b[31mred" in text  # device bytes cannot drive a terminal
    assert CONTROL not in text


def test_every_soft_failure_is_shown_and_an_included_step_names_its_include() -> None:
    scenario = failed_scenario()
    include = SourceLocation("scenarios/sensors.yaml", 9, 5, "steps[2].include")
    soft = StepResult(
        1,
        "expect",
        "expect LED of dev-1 on within 1s (soft)",
        "failed",
        10.0,
        11.0,
        location=SourceLocation("scenarios/common/led.steps.yaml", 3, 5, "steps[0].expect"),
        expected="LED of dev-1 on",
        observed="last seen: off",
        included_from=[include],
    )
    scenario.steps[0] = soft
    text = failure_text(scenario)
    assert (
        "step 1 failed (scenarios/common/led.steps.yaml:3:5 (steps[0].expect), included at "
        "scenarios/sensors.yaml:9:5 (steps[2].include)): expect LED of dev-1 on within 1s "
        "(soft) (soft: the scenario went on)"
    ) in text
    assert "  observed: last seen: off" in text
    assert text.index("step 1 failed") < text.index("step 2 failed")


def test_a_scenario_without_a_failed_step_shows_its_error_and_where() -> None:
    run = sample_run()
    broken = run.scenarios[3]
    assert failure_text(broken) == (
        "scenarios/broken.yaml::broken (scenarios/broken.yaml:7:5 (steps[2].expct)): "
        "unknown key 'expct' (did you mean 'expect'?)"
    )


def test_banners_span_the_terminal_or_stay_readable_when_too_long() -> None:
    assert banner("FAILURES", "=", 20) == "===== FAILURES ====="
    assert len(banner("x" * 50, "_", 20)) == 53 and banner("x" * 50, "_", 20).startswith("__ x")


def test_the_table_moves_a_long_reason_under_its_row_and_never_cuts_an_id() -> None:
    run = RunResult(fingerprint(), [failed_scenario()])
    run.scenarios[0].id = "scenarios/sensors.yaml::monitor[threshold=30]"
    narrow = summary_table(run, color=False, width=70).splitlines()
    assert narrow[0].split() == ["STATUS", "SCENARIO", "TIME"]
    assert narrow[1].split() == ["FAILED", "scenarios/sensors.yaml::monitor[threshold=30]", "12.5s"]
    assert narrow[2].startswith("    step 2: expect mqtt") and len(narrow[2]) <= 70
    wide = summary_table(run, color=False, width=200).splitlines()
    assert wide[0].split() == ["STATUS", "SCENARIO", "TIME", "FAILED", "STEP"]
    assert "  step 2: expect mqtt sensors/dev-1/alert" in wide[1]
    assert wide[1].endswith("No alert arrived within 65 s.")  # room for all of it: not cut
