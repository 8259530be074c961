"""The pytest plugin, run by pytest itself (pytester) in a subprocess each: scenario items,
failure reports, broken files as error items, the fixtures, reports, xdist."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HELLO = '(log "info" "hello") (mqtt-publish "greeting" (json-encode \'((n . 1))))\n'


def scenarios(pytester: pytest.Pytester, **files: str) -> Path:
    directory = pytester.mkdir("scenarios")
    (directory / "hello.scm").write_text(HELLO)
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    return directory


PASSING = """
    name: greets
    programs: {hello: hello.scm}
    steps:
      - deploy: hello
      - expect:
          mqtt: {topic: greeting, payload: {n: 1}}
      - expect:
          status: {state: finished}
"""

FAILING = """
    name: expects too much
    programs: {hello: hello.scm}
    steps:
      - deploy: hello
      - expect:
          mqtt: {topic: greeting, payload: {n: 2}}
          within: 5s
      - wait: 1s
"""


def test_scenarios_pass_and_fail_with_step_expected_observed_and_console(
    pytester: pytest.Pytester,
) -> None:
    scenarios(pytester, good=PASSING, bad=FAILING)
    result = pytester.runpytest_subprocess("scenarios", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert (
        "step 2 failed (scenarios/bad.yaml:5:5 (steps[1].expect)): expect message on greeting"
        in text
    )
    assert 'expected: message on greeting with {"n": 2}' in text
    assert "observed: 1 message(s) on greeting" in text and '{"n":1}' in text
    assert "console of dev-1" in text and "hello" in text


def test_a_broken_file_is_an_error_item_and_the_others_still_run(
    pytester: pytest.Pytester,
) -> None:
    scenarios(
        pytester,
        good=PASSING,
        broken="""
            programs: {hello: hello.scm}
            steps:
              - deplyo: hello
        """,
    )
    result = pytester.runpytest_subprocess("scenarios", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    text = result.stdout.str()
    assert "scenario file does not load" in text
    assert (
        "scenarios/broken.yaml:3:5 (steps[0].deplyo): unknown step 'deplyo' "
        "(did you mean 'deploy'?)" in text
    )


def test_python_tests_get_devices_with_expect_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_device="""
        import pytest

        def test_deploy_and_expect(device):
            device.set_sensors({"temperature": 31.5})
            device.deploy('(log "info" (format "t=~a" (get (read-sensors) (quote temperature))))')
            assert device.expect_status("finished")["program_id"] == "test"
            match = device.expect(r"t=(\\S+)")
            assert match.group(1) == "31.5"

        @pytest.mark.devices(2)
        def test_two_devices(fleet):
            assert len(fleet) == 2
            fleet.broadcast('(mqtt-publish "x" "1")')
            for d in fleet:
                d.expect_mqtt("x")

        def test_session_iotcore_and_empty_rig(iotcore, rig):
            assert iotcore.kind == "local" and rig == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_reports_and_junit_properties(pytester: pytest.Pytester, tmp_path: Path) -> None:
    scenarios(pytester, good=PASSING, bad=FAILING)
    report = tmp_path / "report"
    junit = tmp_path / "pytest-junit.xml"
    result = pytester.runpytest_subprocess(
        "scenarios", "-p", "no:cacheprovider", f"--report={report}", f"--junitxml={junit}"
    )
    result.assert_outcomes(passed=1, failed=1)
    assert (report / "report.html").is_file() and (report / "results.json").is_file()
    suites = ET.parse(report / "junit.xml").getroot()
    cases = suites.findall(".//testcase")
    assert len(cases) == 2 and len(suites.findall(".//failure")) == 1
    pytest_case = ET.parse(junit).getroot().find(".//testcase[@name='expects too much']")
    assert pytest_case is not None
    props = {p.get("name"): p.get("value") for p in pytest_case.iter("property")}
    assert str(props["step 2"]).startswith("failed: expect message on greeting")
    assert str(props["step 3"]).startswith("skipped")


def test_scenarios_run_under_xdist_into_one_report(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    scenarios(pytester, a=PASSING, b=PASSING.replace("greets", "greets again"), c=FAILING)
    report = tmp_path / "report"
    result = pytester.runpytest_subprocess(
        "scenarios", "-n", "2", "-p", "no:cacheprovider", f"--report={report}"
    )
    result.assert_outcomes(passed=2, failed=1)
    cases = ET.parse(report / "junit.xml").getroot().findall(".//testcase")
    assert sorted(c.get("name", "") for c in cases) == [
        "expects too much",
        "greets",
        "greets again",
    ]
