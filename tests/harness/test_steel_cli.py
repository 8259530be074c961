"""`steelhil steel run | check | repl` as a user runs them (real subprocesses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "scenarios" / "programs"


def steelhil(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_run_prints_program_output_and_exits_0() -> None:
    result = steelhil("steel", "run", str(PROGRAMS / "stats.scm"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('{"count":7,"min":21.5,"max":31.0,')


def test_run_reports_runtime_errors_as_file_line_column(tmp_path: Path) -> None:
    prog = write(
        tmp_path, "bad.scm", '(define (f x)\n  (+ 1 (car x)))\n(display "before ")\n(f 5)\n'
    )
    result = steelhil("steel", "run", str(prog))
    assert result.returncode == 1
    assert result.stdout == "before "
    first = result.stderr.splitlines()[0]
    assert first == f"{prog}:2:8: TypeMismatch: car: expected a pair (argument 1), found 5"


def test_run_reports_syntax_errors_before_running(tmp_path: Path) -> None:
    prog = write(tmp_path, "syntax.scm", '(display "no")\n(define (f x)\n  (+ x 1)\n')
    result = steelhil("steel", "run", str(prog))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{prog}:2:1: Parse: unclosed parenthesis")


def test_run_stops_an_endless_program_at_the_step_limit(tmp_path: Path) -> None:
    prog = write(tmp_path, "spin.scm", "(define (spin) (spin))\n(spin)\n")
    result = steelhil("steel", "run", "--max-steps", "10000", str(prog))
    assert result.returncode == 1
    assert "StepLimitExceeded" in result.stderr


def test_run_enforces_the_memory_limit(tmp_path: Path) -> None:
    prog = write(tmp_path, "bomb.scm", "(let loop ((acc '())) (loop (cons acc acc)))\n")
    result = steelhil("steel", "run", "--memory-limit", "1000000", str(prog))
    assert result.returncode == 1
    assert "OutOfMemory" in result.stderr


def test_run_with_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = steelhil("steel", "run", str(tmp_path / "nope.scm"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_run_prints_the_result_when_asked(tmp_path: Path) -> None:
    prog = write(tmp_path, "v.scm", '(list 1 "two" #\\3)\n')
    result = steelhil("steel", "run", "--print-result", str(prog))
    assert result.stdout == '(1 "two" #\\3)\n'


def test_check_warns_about_the_seeds_quoted_variable() -> None:
    result = steelhil("steel", "check", str(PROGRAMS / "seed" / "sensor-monitor.scm"))
    assert result.returncode == 0, result.stderr
    assert ":22:38: warning: quoted list mentions temp" in result.stderr
    strict = steelhil("steel", "check", "--strict", str(PROGRAMS / "seed" / "sensor-monitor.scm"))
    assert strict.returncode == 1
    fixed = steelhil("steel", "check", "--strict", str(PROGRAMS / "sensor-monitor.scm"))
    assert fixed.returncode == 0 and fixed.stderr == ""


def test_check_knows_the_device_api_unless_told_not_to() -> None:
    blink = str(PROGRAMS / "seed" / "blink.scm")
    assert steelhil("steel", "check", blink).returncode == 0
    result = steelhil("steel", "check", "--no-device-api", blink)
    assert result.returncode == 1
    # `log` is also Steel's logarithm, so the first unknown name is led-on (line 4).
    assert result.stderr.endswith("blink.scm:4:4: FreeIdentifier: free identifier: led-on\n")
    declared = steelhil(
        "steel",
        "check",
        "--no-device-api",
        "--declare",
        "log",
        "--declare",
        "led-on",
        "--declare",
        "led-off",
        blink,
    )
    assert declared.returncode == 0


def test_check_reports_unknown_names_and_wrong_arities_without_running(tmp_path: Path) -> None:
    prog = write(tmp_path, "u.scm", '(display "ran")\n(led-on 1)\n')
    result = steelhil("steel", "check", str(prog))
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"{prog}:2:1: ArityMismatch: led-on: expected 0 arguments, got 1" in result.stderr
    prog = write(tmp_path, "f.scm", "(define (f) (helper))\n")
    result = steelhil("steel", "check", str(prog))
    assert "FreeIdentifier: free identifier: helper" in result.stderr


def test_repl_evaluates_multi_line_input_and_survives_errors() -> None:
    session = '(define x 2)\n(* x 21)\n(car 1)\n(+ 1\n   2)\n"s"\n,quit\n(never)\n'
    result = steelhil("steel", "repl", stdin=session)
    assert result.returncode == 0
    assert result.stdout.splitlines() == ["42", "3", '"s"']
    assert "TypeMismatch: car" in result.stderr


def test_builtins_reference_is_current() -> None:
    from harness.commands.steel import builtins_markdown

    committed = (ROOT / "docs" / "steel-builtins.md").read_text(encoding="utf-8")
    assert committed == builtins_markdown(), "run: steelhil steel builtins --markdown > docs/..."


def test_builtins_lists_the_procedures() -> None:
    result = steelhil("steel", "builtins")
    names = result.stdout.split()
    assert result.returncode == 0
    assert {"map", "hash-ref", "json-encode", "string-split", "call/cc"} <= set(names)
    assert len(names) > 190


def test_check_declares_the_firmwares_whole_device_api(tmp_path: Path) -> None:
    prog = write(
        tmp_path,
        "api.scm",
        "(on-button (lambda (pressed) (led-set-color 0 0 (if pressed 255 0))))\n"
        '(mqtt-subscribe "cmd/led" (lambda (topic payload) (mqtt-unsubscribe "cmd/led")))\n'
        "(math-log 10)\n",
    )
    result = steelhil("steel", "check", "--strict", str(prog))
    assert result.returncode == 0, result.stderr
    wrong = write(tmp_path, "wrong.scm", "(on-button)\n")
    result = steelhil("steel", "check", str(wrong))
    assert "ArityMismatch: on-button" in result.stderr
