"""``steelhil scenario check|schema``: validate scenario files; export the JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.scenario.include import is_steps_file
from harness.scenario.loader import iter_scenarios, json_schema
from harness.scenario.schema_export import steps_file_schema
from harness.scenario.source import LoadError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("scenario", help="check scenario files, export their schema")
    sub = parser.add_subparsers(dest="scenario_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="load scenario files and report every problem")
    check.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])
    check.set_defaults(func=_check)
    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument("--output", "-o", type=Path, help="write it to this file")
    schema.add_argument(
        "--steps", action="store_true", help="the schema of steps files (*.steps.yaml) instead"
    )
    schema.set_defaults(func=_schema)


def _check(args: argparse.Namespace) -> int:
    status = 0
    count = 0
    for path, loaded in iter_scenarios(args.paths):
        if isinstance(loaded, LoadError):
            status = 1
            for problem in loaded.problems:
                print(problem, file=sys.stderr)
        elif is_steps_file(path):  # named on the command line
            print(f"--  {path}  (a steps file: checked where a scenario includes it)")
        else:
            count += len(loaded)
            for scenario in loaded:
                print(f"ok  {scenario.id}  ({len(scenario.steps)} steps)")
    print(f"{count} scenario(s) loaded" + (", with errors" if status else ""), file=sys.stderr)
    return status


def _schema(args: argparse.Namespace) -> int:
    schema = steps_file_schema() if args.steps else json_schema()
    text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
