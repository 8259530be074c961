from __future__ import annotations

from harness.report import summary_table
from harness.results import RunResult

from .sample import CONTROL, fingerprint, sample_run


def test_one_row_per_scenario_with_the_failed_step() -> None:
    lines = summary_table(sample_run(), color=False, width=200).splitlines()
    assert lines[0].split() == ["STATUS", "SCENARIO", "TIME", "FAILED", "STEP"]
    assert len(lines) == 1 + 5 + 1
    rows = dict(zip(["blink", "mon30", "mon40", "broken", "button"], lines[1:6], strict=True))
    assert rows["blink"].split()[:3] == ["PASSED", "scenarios/blink.yaml::blink", "1.2s"]
    assert rows["mon30"].split()[:3] == [
        "FAILED",
        "scenarios/sensors.yaml::monitor[threshold=30]",
        "12.5s",
    ]
    assert "step 2: expect mqtt sensors/dev-1/alert" in rows["mon30"]
    assert rows["broken"].startswith("ERROR")
    assert "scenarios/broken.yaml:7:5 (steps[2].expct): unknown key 'expct'" in rows["broken"]
    assert rows["button"].startswith("SKIPPED")
    assert lines[-1] == "FAILED: 2 passed, 1 failed, 1 errors, 1 skipped in 20.0s"


def test_colour_only_when_asked() -> None:
    plain = summary_table(sample_run(), color=False)
    coloured = summary_table(sample_run(), color=True)
    assert "\x1b" not in plain
    assert "\x1b[31mFAILED" in coloured and "\x1b[32mPASSED" in coloured
    assert "\x1b[35mERROR" in coloured and "\x1b[33mSKIPPED" in coloured


def test_rows_fit_the_width_and_data_cannot_drive_the_terminal() -> None:
    run = sample_run()
    run.scenarios[1].steps[1].title = CONTROL + "\nnext line " + "z" * 300
    out = summary_table(run, color=False, width=100)
    assert "\x1b" not in out and "\x00" not in out
    assert "\\x1b[31mred" in out
    lines = out.splitlines()
    assert len(lines) == 7
    assert all(len(line) <= 100 for line in lines[:-1])


def test_a_passing_run_and_an_empty_one() -> None:
    run = sample_run()
    run.scenarios = [run.scenarios[0]]
    assert summary_table(run, color=False).splitlines()[-1].startswith("PASSED: 1 passed")
    empty = summary_table(RunResult(fingerprint()), color=False).splitlines()
    assert empty[1:] == [
        "(no scenarios ran)",
        "PASSED: 0 passed, 0 failed, 0 errors, 0 skipped in 0.0s",
    ]
