"""Scenario files: what loads, and the exact error for each kind of mistake."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from harness.scenario import LoadError, json_schema, load_file
from harness.scenario.loader import discover
from harness.scenario.source import parse_yaml

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    (tmp_path / "p.scm").write_text('(log "info" "hi")\n')
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(LoadError) as info:
        load_file(path, "s.yaml")
    return [str(p) for p in info.value.problems]


def test_a_good_scenario_loads_with_steps_devices_and_durations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        name: ok
        fleet: {devices: [a, b]}
        programs: {p: p.scm}
        sensors: {temperature: 20, b: {humidity: 40}}
        steps:
          - deploy: {program: p, to: [a]}
          - expect:
              mqtt: {device: a, topic: sensors/data, where: temperature > 30}
              within: 2m
          - wait: 500ms
        """,
    )
    (scenario,) = load_file(path, "s.yaml")
    assert scenario.devices == ["a", "b"]
    assert scenario.sensors_for("b") == {"temperature": 20.0, "humidity": 40.0}
    assert [s.type.key for s in scenario.steps] == ["deploy", "expect", "wait"]
    assert scenario.steps[1].args["duration"] == 120.0
    assert scenario.steps[2].args["for"] == 0.5
    assert scenario.steps[1].location.line == 7


def test_unknown_step_names_line_column_and_suggests(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        programs: {p: p.scm}
        steps:
          - deplyo: p
        """,
    )
    assert found == ["s.yaml:3:5 (steps[0].deplyo): unknown step 'deplyo' (did you mean 'deploy'?)"]


def test_unknown_field_in_an_expectation_is_located_with_valid_fields(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path,
        """
        steps:
          - expect:
              status: {stat: running}
        """,
    )
    assert message.startswith("s.yaml:3:16 (steps[0].expect.status.stat): unknown field 'stat'")
    assert "(did you mean 'state'?)" in message


def test_bad_values_say_what_was_expected(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        steps:
          - wait: soon
          - expect:
              status: {state: runing}
          - sensors: {humidity: 140}
        """,
    )
    assert found[0].startswith("s.yaml:2:11 (steps[0].wait.for): 'soon' is not a duration")
    assert "s.yaml:4:23 (steps[1].expect.status.state): expected one of" in found[1]
    assert "(did you mean 'running'?)" in found[1]
    assert found[2] == "s.yaml:5:25 (steps[2].sensors.humidity): must be at most 100, got 140"


def test_unknown_devices_and_programs_are_named(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fleet: {devices: [kitchen, hall]}
        programs: {p: p.scm, q: missing.scm}
        steps:
          - deploy: {program: pp, to: kichen}
          - expect:
              led: {device: hal, on: true}
        """,
    )
    assert any("(programs.q): program file 'missing.scm' not found" in p for p in found)
    assert any("unknown program 'pp' (did you mean 'p'?)" in p for p in found)
    assert any("unknown device 'kichen' (did you mean 'kitchen'?)" in p for p in found)
    assert any(
        "(steps[1].expect.led.device): unknown device 'hal' (did you mean 'hall'?)" in p
        for p in found
    )


def test_a_bad_predicate_points_at_the_column_inside_it(tmp_path: Path) -> None:
    (message,) = problems(
        tmp_path,
        """
        steps:
          - expect:
              mqtt: {topic: t, where: "temperature > __import__('os')"}
        """,
    )
    assert message.startswith("s.yaml:3:")
    assert "bad predicate" in message and "only len, abs, min, max can be called" in message


def test_yaml_syntax_errors_are_located(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, "steps: [\n  - wait: 1s\n")
    assert message.startswith("s.yaml:2:")
    assert "YAML syntax" in message


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: a\nname: b\nsteps: [{wait: 1s}]\n")
    assert found == ["s.yaml:2:1 (name): duplicate key 'name'"]


def test_one_action_per_step(tmp_path: Path) -> None:
    (message,) = problems(tmp_path, "steps:\n  - wait: 1s\n    advance: 2s\n")
    assert message == "s.yaml:3:5 (steps[0].advance): one action per step, got wait and advance"


def test_on_and_off_are_keys_not_booleans(tmp_path: Path) -> None:
    path = write(tmp_path, "steps:\n  - expect:\n      led: {on: false}\n")
    (scenario,) = load_file(path)
    assert scenario.steps[0].args["args"] == {"on": False, "device": "dev-1"}


def test_params_and_matrix_make_one_scenario_per_row(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        matrix: {t: [20, 35], h: [10, 90]}
        sensors: {temperature: "${t}", humidity: "${h}"}
        steps:
          - expect:
              mqtt: {topic: x, payload: {t: "${t}"}, contains: "h=${h}"}
        """,
    )
    rows = load_file(path, "s.yaml")
    assert [s.params for s in rows] == [
        {"t": 20, "h": 10},
        {"t": 20, "h": 90},
        {"t": 35, "h": 10},
        {"t": 35, "h": 90},
    ]
    assert rows[1].id == "s.yaml::s[t=20,h=90]"
    assert rows[3].sensors["*"] == {"temperature": 35.0, "humidity": 90.0}
    assert rows[2].steps[0].args["args"]["payload"] == {"t": 35}
    assert rows[2].steps[0].args["args"]["contains"] == "h=10"


def test_an_unknown_parameter_is_an_error(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        params: [{temp: 1}]
        steps:
          - wait: "${tmp}s"
        """,
    )
    assert "s.yaml:3:11 (steps[0].wait): unknown parameter ${tmp} (did you mean 'temp'?)" in found


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        steps:
          - wiat: 1s
          - expect: {led: {on: maybe}}
          - nope: 1
        """,
    )
    assert len(found) == 3


def test_the_repository_scenarios_load_and_match_the_exported_schema() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    files = discover([REPO / "scenarios"])
    assert len(files) >= 15
    for path in files:
        assert load_file(path)  # loads without problems
        # Editors read YAML 1.2 (``on:`` is a key, not a boolean), as the loader does.
        value = parse_yaml(path.read_text(), path.name).value
        errors = sorted(validator.iter_errors(value), key=str)
        assert not errors, (path, [e.message for e in errors][:3])


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    assert list(validator.iter_errors({"steps": [{"deplyo": "x"}]}))
    assert list(validator.iter_errors({"steps": [{"expect": {"led": {"on": 1}}}]}))
    assert not list(validator.iter_errors({"steps": [{"wait": "5s"}]}))
    assert json.dumps(json_schema())  # serialisable


def test_cross_field_rules_are_checked_at_load_time(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        sensors: {pressure: 1013}
        steps:
          - publish: {payload: 1}
          - sensor_model: {quantity: temperature, kind: noise}
          - never:
              mqtt: {topic: x}
        """,
    )
    assert found[0].startswith("s.yaml:1:11 (sensors.pressure): unknown sensor quantity 'pressure'")
    assert "s.yaml:3:14 (steps[0].publish): publish needs device + topic" in found[1]
    assert found[2] == "s.yaml:4:19 (steps[1].sensor_model): a noise model needs mean"
    assert found[3] == (
        "s.yaml:6:7 (steps[2].never): never needs the field 'for' (how long it must not happen)"
    )


def test_a_missing_program_file_is_one_error(tmp_path: Path) -> None:
    found = problems(tmp_path, "programs: {p: nope.scm}\nsteps:\n  - deploy: p\n")
    assert found == [
        "s.yaml:1:15 (programs.p): program file 'nope.scm' not found beside the scenario"
    ]


def test_predicate_columns_count_the_opening_quote(tmp_path: Path) -> None:
    text = 'steps:\n  - expect:\n      mqtt: {topic: t, where: "temperature => 30"}\n'
    (message,) = problems(tmp_path, text)
    column = text.splitlines()[2].index("=>") + 1
    assert message.startswith(f"s.yaml:3:{column} ")


def test_top_level_fields_may_be_parameters(tmp_path: Path) -> None:
    path = write(tmp_path, 'matrix: {t: [30s, 1m]}\ntimeout: "${t}"\nsteps: [{wait: 1s}]\n')
    assert [s.timeout for s in load_file(path)] == [30.0, 60.0]


def test_the_schema_checks_durations_and_requires_for_on_never() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    bad_duration = {"steps": [{"expect": {"led": {"on": True}, "within": "10 seconds"}}]}
    assert list(validator.iter_errors(bad_duration))
    assert list(validator.iter_errors({"steps": [{"never": {"led": {"on": True}}}]}))
    assert not list(
        validator.iter_errors({"steps": [{"never": {"led": {"on": True}, "for": "2m"}}]})
    )
