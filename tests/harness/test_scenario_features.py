"""What QA asked for, as the loader sees it: compound durations, ``{thing}`` references,
steps files included with parameters, soft expectations, shadow expectations on desired and
delta -- each valid form, and the located error of each mistake."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from harness.scenario import LoadError, json_schema, load_file
from harness.scenario.loader import discover
from harness.scenario.schema import parse_duration
from harness.scenario.schema_export import steps_file_schema
from harness.scenario.source import parse_yaml

DEPLOY_STEPS = """
    description: deploy a program and wait until it runs
    params:
      program: {doc: a name from the scenario's programs}
      within: {default: 10s}
    steps:
      - deploy: "${program}"
      - expect:
          status: {state: running, program_id: "${program}"}
          within: "${within}"
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    (tmp_path / "p.scm").write_text('(log "info" "hi")\n')
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(LoadError) as info:
        load_file(path, "s.yaml")
    return [str(p) for p in info.value.problems]


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1m30s", 90.0),
        ("2h", 7200.0),
        ("1h 30m", 5400.0),
        ("1h30m15s500ms", 5415.5),
        ("2min 5s", 125.0),
        ("1.5m", 90.0),
        ("500ms", 0.5),
        ("65", 65.0),
    ],
)
def test_compound_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_compound_durations_in_a_file_and_their_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "timeout: 2h\nsteps:\n  - wait: 1m30s\n")
    (scenario,) = load_file(path)
    assert (scenario.timeout, scenario.steps[0].args["for"]) == (7200.0, 90.0)
    found = problems(tmp_path, "steps:\n  - wait: 30s1m\n  - advance: 1m30\n")
    assert found == [
        "s.yaml:2:11 (steps[0].wait.for): '30s1m' is not a duration: name each unit once, "
        "largest first (1h30m, 1m30s)",
        "s.yaml:3:14 (steps[1].advance.for): '1m30' is not a duration "
        "(write 65s, 500ms, 2m, 1m30s, 2h or a number of seconds)",
    ]


# --- {thing} ----------------------------------------------------------------------------------


def test_thing_references_load_and_name_known_devices(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        fleet: {devices: [north, south]}
        steps:
          - expect:
              mqtt:
                topic: hello
                payload: {device: "{thing}", peer: "{thing:south}"}
                where: "device == {thing} and peer != {thing:north}"
        """,
    )
    (scenario,) = load_file(path)
    args = scenario.steps[0].args["args"]
    assert args["payload"] == {"device": "{thing}", "peer": "{thing:south}"}
    assert args["where"].devices == ["north"]


def test_a_thing_reference_to_an_unknown_device_is_located(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        fleet: {devices: [north, south]}
        steps:
          - expect:
              mqtt: {topic: hello, payload: {peer: "{thing:sout}"}}
          - expect:
              status: {device: north, where: "thing == {thing:east}"}
        """,
    )
    assert found == [
        "s.yaml:4:44 (steps[0].expect.mqtt.payload.peer): {thing:sout}: unknown device "
        "'sout' (did you mean 'south'?); the fleet has north, south",
        "s.yaml:6:48 (steps[1].expect.status.where): {thing:east}: unknown device 'east'; "
        "the fleet has north, south",
    ]


# --- steps files -------------------------------------------------------------------------------


def test_an_included_steps_file_expands_with_its_parameters_and_own_lines(tmp_path: Path) -> None:
    write(tmp_path, DEPLOY_STEPS, "common/deploy.steps.yaml")
    path = write(
        tmp_path,
        """
        programs: {p: p.scm}
        steps:
          - wait: 1s
          - include: common/deploy.steps.yaml
            with: {program: p, within: 1m30s}
          - wait: 2s
        """,
    )
    (scenario,) = load_file(path, "s.yaml")
    assert [s.type.key for s in scenario.steps] == ["wait", "deploy", "expect", "wait"]
    assert [s.index for s in scenario.steps] == [0, 1, 2, 3]
    deploy, expect = scenario.steps[1], scenario.steps[2]
    assert str(deploy.location) == "common/deploy.steps.yaml:6:5 (steps[0].deploy)"
    assert str(expect.location) == "common/deploy.steps.yaml:7:5 (steps[1].expect)"
    assert [str(s) for s in expect.included_from] == ["s.yaml:4:5 (steps[1].include)"]
    assert expect.args["duration"] == 90.0 and expect.args["args"]["program_id"] == "p"
    assert scenario.steps[3].included_from == []
    assert (tmp_path / "common" / "deploy.steps.yaml").resolve() in scenario.inputs


def test_include_mistakes_are_located_where_they_are_written(tmp_path: Path) -> None:
    write(tmp_path, DEPLOY_STEPS, "common/deploy.steps.yaml")
    write(
        tmp_path,
        """
        params: {device: null}
        steps:
          - expct: {led: {on: true}}
          - wait: "${duraton}"
        """,
        "common/broken.steps.yaml",
    )
    write(tmp_path, "steps:\n  - include: b.steps.yaml\n", "loop/a.steps.yaml")
    write(tmp_path, "steps:\n  - include: a.steps.yaml\n", "loop/b.steps.yaml")
    found = problems(
        tmp_path,
        """
        programs: {p: p.scm}
        steps:
          - include: common/deploy.steps.yaml
            with: {progam: p}
          - include: common/broken.steps.yaml
            with: {device: dev-1}
          - include: common/missing.steps.yaml
          - include: p.scm
          - include: loop/a.steps.yaml
          - include: common/deploy.steps.yaml
            wiht: {}
        """,
    )
    assert found == [
        "s.yaml:4:12 (steps[0].with.progam): unknown parameter 'progam' for "
        "common/deploy.steps.yaml (did you mean 'program'?); params: program, within",
        "s.yaml:3:5 (steps[0].include): common/deploy.steps.yaml needs the parameter "
        "'program' (set it in with)",
        "common/broken.steps.yaml:4:11 (steps[1].wait): unknown parameter ${duraton}; "
        "common/broken.steps.yaml has the params: device; included at s.yaml:5:5 "
        "(steps[1].include)",
        "common/broken.steps.yaml:3:5 (steps[0].expct): unknown step 'expct' (did you mean "
        "'expect'?); included at s.yaml:5:5 (steps[1].include)",
        "common/broken.steps.yaml:4:11 (steps[1].wait.for): '${duraton}' is not a duration "
        "(write 65s, 500ms, 2m, 1m30s, 2h or a number of seconds); included at s.yaml:5:5 "
        "(steps[1].include)",
        "s.yaml:7:14 (steps[2].include): steps file 'common/missing.steps.yaml' not found "
        "beside the scenario",
        "s.yaml:8:14 (steps[3].include): a steps file is named *.steps.yaml (runs never take "
        "one for a scenario), got 'p.scm'",
        "loop/b.steps.yaml:2:14 (steps[0].include): steps files include each other: "
        "a.steps.yaml -> b.steps.yaml -> a.steps.yaml; included at loop/a.steps.yaml:2:5 "
        "(steps[0].include); included at s.yaml:9:5 (steps[4].include)",
        "s.yaml:11:5 (steps[5].wiht): unknown field 'wiht' in 'include' (did you mean "
        "'with'?); valid: include, with",
    ]


def test_a_mistake_inside_an_included_step_is_reported_in_the_steps_file(tmp_path: Path) -> None:
    write(tmp_path, "steps:\n  - expct: {led: {on: true}}\n", "x.steps.yaml")
    found = problems(tmp_path, "steps:\n  - include: x.steps.yaml\n")
    assert found == [
        "x.steps.yaml:2:5 (steps[0].expct): unknown step 'expct' (did you mean 'expect'?); "
        "included at s.yaml:2:5 (steps[0].include)"
    ]


def test_steps_files_are_not_scenarios(tmp_path: Path) -> None:
    steps = write(tmp_path, DEPLOY_STEPS, "scenarios/common/deploy.steps.yaml")
    scenario = write(tmp_path, "steps: [{wait: 1s}]\n", "scenarios/a.yaml")
    assert discover([tmp_path / "scenarios"]) == [scenario]
    assert load_file(steps) == []


# --- soft expectations -------------------------------------------------------------------------


def test_soft_expectations_load_and_say_so_in_their_title(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        steps:
          - expect: {led: {on: true}, within: 1s, soft: true}
          - never: {led: {on: true}, for: 1s, soft: true}
          - expect: {led: {on: true}}
        """,
    )
    (scenario,) = load_file(path)
    assert [s.soft for s in scenario.steps] == [True, True, False]
    assert scenario.steps[0].title == "expect LED of dev-1 on within 1s (soft)"
    assert scenario.steps[1].title == "never LED of dev-1 on for 1s (soft)"
    found = problems(tmp_path, "steps:\n  - expect: {led: {on: true}, soft: sometimes}\n")
    assert found == ["s.yaml:2:37 (steps[0].expect.soft): expected true or false, got 'sometimes'"]


def test_the_wrong_duration_key_gets_a_pointed_message(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """
        steps:
          - never: {led: {on: true}, within: 5s}
          - expect: {led: {on: true}, for: 5s}
        """,
    )
    assert found == [
        "s.yaml:2:30 (steps[0].never.within): never takes 'for' (how long it must not happen), "
        "not 'within'",
        "s.yaml:3:31 (steps[1].expect.for): expect takes 'within' (how long to wait for it), "
        "not 'for'",
    ]


# --- shadow expectations -----------------------------------------------------------------------


def test_shadow_expectations_on_desired_delta_and_predicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        steps:
          - expect:
              shadow: {desired: {led: "on"}, delta: none}
          - expect:
              shadow: {delta: {threshold: 28}}
          - expect:
              shadow: {where: "reported.threshold == desired.threshold"}
        """,
    )
    steps = load_file(path)[0].steps
    assert steps[0].title == (
        'expect shadow of dev-1 with desired {"led": "on"} and no delta within 10s'
    )
    assert steps[1].args["args"]["delta"] == {"threshold": 28}
    assert steps[2].title == (
        "expect shadow of dev-1 where reported.threshold == desired.threshold within 10s"
    )
    found = problems(
        tmp_path,
        """
        steps:
          - expect:
              shadow: {delta: nothing}
          - expect:
              shadow: {shadow: config}
        """,
    )
    assert found == [
        "s.yaml:3:15 (steps[0].expect.shadow): delta is a mapping (a subset of the delta) or "
        "none, got 'nothing'",
        "s.yaml:5:15 (steps[1].expect.shadow): give reported, desired, delta or where",
    ]


# --- the schema --------------------------------------------------------------------------------


def test_the_schemas_accept_the_new_forms_and_refuse_their_mistakes() -> None:
    scenario = jsonschema.Draft202012Validator(json_schema())
    good = {
        "timeout": "1h30m",
        "steps": [
            {"include": "common/deploy.steps.yaml", "with": {"program": "p"}},
            {"expect": {"shadow": {"delta": "none"}, "within": "1m30s", "soft": True}},
            {"never": {"mqtt": {"topic": "t", "payload": {"d": "{thing}"}}, "for": "2h"}},
        ],
    }
    assert list(scenario.iter_errors(good)) == []
    assert list(scenario.iter_errors({"steps": [{"include": "x.steps.yaml", "wiht": {}}]}))
    assert list(scenario.iter_errors({"steps": [{"expect": {"led": {"on": True}, "soft": 1}}]}))
    assert list(scenario.iter_errors({"steps": [{"wait": "30s1m"}]})) == []  # the loader says
    steps = jsonschema.Draft202012Validator(steps_file_schema())
    jsonschema.Draft202012Validator.check_schema(steps_file_schema())
    value = parse_yaml(textwrap.dedent(DEPLOY_STEPS), "d.steps.yaml").value
    assert list(steps.iter_errors(value)) == []
    assert list(steps.iter_errors({"params": {"x": {"defualt": 1}}, "steps": [{"wait": 1}]}))
    assert list(steps.iter_errors({"steps": []}))


# --- sensor quantities: one message wherever one is named --------------------------------------


@pytest.fixture
def quantity_step() -> Iterator[None]:
    """A step type as a plug-in registers one: a ``quantity`` field, and sensor quantities
    as its own keys (as the ``sensors`` step has them)."""
    from typing import Any, ClassVar

    from harness.scenario.quantities import unknown_quantity
    from harness.scenario.registry import STEPS, StepType, load_all, step
    from harness.scenario.schema import Field, Fields

    load_all()

    @step
    class Drive(StepType):
        key = "test_drive"
        kind = "act"
        fields: ClassVar[Fields] = {
            "quantity": Field("quantity", required=True),
            "temperature": Field("number"),
        }

        def unknown_field(self, key: str) -> str | None:
            return unknown_quantity(key)

        def run(self, run: Any, args: dict[str, Any]) -> Any:
            raise NotImplementedError

    try:
        yield
    finally:
        del STEPS["test_drive"]
        del Drive


@pytest.mark.usefixtures("quantity_step")
def test_a_quantity_typo_reads_the_same_in_a_field_a_key_and_the_top_level(
    tmp_path: Path,
) -> None:
    found = problems(
        tmp_path,
        """
        sensors: {humidty: 40}
        steps:
          - test_drive: {quantity: humidty, humidty: 40}
        """,
    )
    message = (
        "unknown sensor quantity 'humidty' (did you mean 'humidity'?); quantities: "
        "temperature, humidity, accel_x, accel_y, accel_z, gyro_x, gyro_y, gyro_z, "
        "imu_temperature"
    )
    assert found == [
        f"s.yaml:1:11 (sensors.humidty): {message}",
        f"s.yaml:3:37 (steps[0].test_drive.humidty): {message}",
        f"s.yaml:3:28 (steps[0].test_drive.quantity): {message}",
    ]
    schema = json_schema()["properties"]["steps"]["items"]["oneOf"]
    drive = next(v for v in schema if "test_drive" in v["properties"])
    quantity = drive["properties"]["test_drive"]["properties"]["quantity"]["anyOf"][0]
    assert quantity == {
        "enum": [
            "temperature",
            "humidity",
            "accel_x",
            "accel_y",
            "accel_z",
            "gyro_x",
            "gyro_y",
            "gyro_z",
            "imu_temperature",
        ]
    }
