from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report.junit import write_junit
from harness.report.naming import case_name, classname
from harness.results import RunResult, StepResult

from .sample import CONTROL, HOSTILE, UNICODE, failed_scenario, fingerprint, sample_run


def _write(run: RunResult, tmp_path: Path) -> ET.Element:
    path = write_junit(run, tmp_path / "out" / "junit.xml")
    return ET.parse(path).getroot()


def _case(root: ET.Element, name: str) -> ET.Element:
    (case,) = [c for c in root.iter("testcase") if c.get("name") == name]
    return case


def _props(element: ET.Element) -> dict[str, str]:
    props = element.find("properties")
    assert props is not None
    return {p.get("name", ""): p.get("value", "") for p in props.findall("property")}


def test_totals_and_one_suite_per_file(tmp_path: Path) -> None:
    root = _write(sample_run(), tmp_path)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "1",
        "1",
        "1",
    )
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "scenarios/blink.yaml",
        "scenarios/sensors.yaml",
        "scenarios/broken.yaml",
        "scenarios/hw/button.yaml",
    ]
    sensors = suites[1]
    assert (sensors.get("tests"), sensors.get("failures"), sensors.get("errors")) == ("2", "1", "0")
    assert sensors.get("time") == "15.500"
    assert [c.get("name") for c in sensors.findall("testcase")] == [
        "monitor[threshold=30]",
        "monitor[threshold=40]",
    ]
    assert suites[0].get("timestamp") == "2026-11-27T11:00:00"


def test_testcase_names_classnames_and_times(tmp_path: Path) -> None:
    root = _write(sample_run(), tmp_path)
    case = _case(root, "monitor[threshold=30]")
    assert case.get("classname") == "scenarios.sensors"
    assert case.get("time") == "12.500"
    assert case.get("file") == "scenarios/sensors.yaml"
    assert case.get("line") == "14"
    assert _case(root, "button").get("classname") == "scenarios.hw.button"


def test_passed_case_has_no_outcome_element(tmp_path: Path) -> None:
    case = _case(_write(sample_run(), tmp_path), "blink")
    assert [child.tag for child in case] == ["properties"]


def test_failure_names_step_expected_observed_and_location(tmp_path: Path) -> None:
    case = _case(_write(sample_run(), tmp_path), "monitor[threshold=30]")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "step 2: No alert arrived within 65 s."
    assert failure.get("type") == "expect"
    text = failure.text or ""
    assert "expect mqtt sensors/dev-1/alert where temperature > 30 within 65s" in text
    assert 'expected: {"temperature": "> 30"} on sensors/dev-1/alert' in text
    assert f"observed: no message; last on sensors/dev-1/data: {HOSTILE} {UNICODE}" in text
    assert "at scenarios/sensors.yaml:14:7 (steps[1].expect.mqtt)" in text
    assert case.find("error") is None


def test_system_out_has_the_console_around_the_failing_step(tmp_path: Path) -> None:
    case = _case(_write(sample_run(), tmp_path), "monitor[threshold=30]")
    out = case.findtext("system-out") or ""
    assert "reading sensors" in out  # 5 s before the step started
    assert "dev-1:" in out
    assert "\\x1b[31mred" in out  # control characters visible, not raw
    assert "long ago" not in out  # 99 s before: not "around" the failure
    assert "after the step" in out  # 1 s after the step ended
    assert "wifi" not in out  # dev-2's console: the step was about dev-1 only


def test_system_out_leaves_out_lines_well_after_the_step(tmp_path: Path) -> None:
    scenario = failed_scenario()
    scenario.steps[1].ended = 163.0  # the "late" line at 166.0 is 3 s after the end
    run = RunResult(fingerprint(), [scenario])
    out = _case(_write(run, tmp_path), "monitor[threshold=30]").findtext("system-out") or ""
    assert "reading sensors" in out
    assert "after the step" not in out


def test_error_and_skipped(tmp_path: Path) -> None:
    root = _write(sample_run(), tmp_path)
    broken = _case(root, "broken")
    error = broken.find("error")
    assert error is not None
    assert error.get("message") == "unknown key 'expct' (did you mean 'expect'?)"
    assert "at scenarios/broken.yaml:7:5 (steps[2].expct)" in (error.text or "")
    assert broken.get("line") == "7"
    assert broken.find("failure") is None
    skipped = _case(root, "button").find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "needs a board with tag 'button'; the rig has none"


def test_step_error_inside_a_scenario_is_an_error_element(tmp_path: Path) -> None:
    scenario = failed_scenario()
    scenario.status = "error"
    scenario.steps[1].status = "error"
    scenario.steps[1].message = "the serial port vanished"
    case = _case(_write(RunResult(fingerprint(), [scenario]), tmp_path), "monitor[threshold=30]")
    error = case.find("error")
    assert error is not None
    assert error.get("message") == "step 2: the serial port vanished"
    assert "scenarios/sensors.yaml:14:7" in (error.text or "")


def test_properties_carry_steps_devices_params_and_fingerprint(tmp_path: Path) -> None:
    root = _write(sample_run(), tmp_path)
    props = _props(_case(root, "monitor[threshold=30]"))
    assert props["step.1"] == "passed act: set dev-1 temperature to 31"
    assert props["step.2"].startswith("failed expect: expect mqtt sensors/dev-1/alert")
    assert props["step.3"] == "skipped expect: expect log 'done'"
    assert props["device.dev-1"] == "emulated"
    assert props["device.dev-2"] == "serial"
    assert props["param.threshold"] == "30"
    assert props["scenario.id"] == "scenarios/sensors.yaml::monitor[threshold=30]"
    suite = _props(root.findall("testsuite")[0])
    fp = fingerprint()
    assert suite["fingerprint.firmware_version"] == fp.firmware_version
    assert suite["fingerprint.firmware_sha256"] == fp.firmware_sha256
    assert suite["fingerprint.seed"] == "1234"
    assert suite["fingerprint.iotcore"] == "local"
    assert suite["fingerprint.rig"] == fp.rig
    assert suite["fingerprint.scenario_sha256.scenarios/blink.yaml"] == "01" * 32


def test_control_characters_and_surrogates_still_make_valid_xml(tmp_path: Path) -> None:
    scenario = failed_scenario()
    scenario.name = "ctl"
    scenario.id = f"scenarios/sensors.yaml::ctl\x01{CONTROL}"
    scenario.steps[1].observed = CONTROL + " \udc80"
    scenario.steps[1].title = "title\x0b\x0c"
    root = _write(RunResult(fingerprint(), [scenario]), tmp_path)
    (case,) = root.iter("testcase")
    assert case.get("name") == "ctl\\x01bad\\x00byte \\x1b[31mred\\x1b[0m \\x07bell"
    failure = case.find("failure")
    assert failure is not None
    assert "observed: bad\\x00byte \\x1b[31mred\\x1b[0m \\x07bell \\udc80" in (failure.text or "")
    assert _props(case)["step.2"] == "failed expect: title\\x0b\\x0c"


def test_tabs_and_newlines_survive_in_attributes(tmp_path: Path) -> None:
    scenario = failed_scenario()
    scenario.steps[1].title = "a\tb"
    scenario.steps[1].message = "first line\nsecond line"
    case = _case(_write(RunResult(fingerprint(), [scenario]), tmp_path), "monitor[threshold=30]")
    assert _props(case)["step.2"] == "failed expect: a\tb"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "step 2: first line"
    assert "first line\nsecond line" in (failure.text or "")


def test_failed_scenario_without_a_step_uses_the_scenario_error(tmp_path: Path) -> None:
    scenario = failed_scenario()
    scenario.steps = [StepResult(1, "act", "deploy", "passed", 0.0, 0.0)]
    scenario.error = "the device never came back after the power cut"
    case = _case(_write(RunResult(fingerprint(), [scenario]), tmp_path), "monitor[threshold=30]")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == "the device never came back after the power cut"
    assert failure.get("type") == "scenario"
    out = case.findtext("system-out") or ""
    assert "after the step" in out and "wifi: lost link" in out


def test_empty_run_is_valid(tmp_path: Path) -> None:
    root = _write(RunResult(fingerprint(), []), tmp_path)
    assert root.get("tests") == "0"
    assert root.findall("testsuite") == []


def test_names_from_params_when_the_id_has_none() -> None:
    scenario = failed_scenario()
    scenario.id = "monitor-row-1"
    scenario.params = {"unit": "C", "threshold": 30}
    assert case_name(scenario) == "monitor[threshold=30,unit=C]"
    assert classname("scenarios/net.drop/a.b.yaml") == "scenarios.net_drop.a_b"
    assert classname("drop.yaml") == "drop"
