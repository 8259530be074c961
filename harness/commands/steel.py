"""``steelhil steel``: run, check and explore Steel programs on the host.

``run`` executes a program with the language alone (no board: device procedures such as
``led-on`` are unknown there; ``steelhil check`` runs programs on a virtual board).
``check`` compiles without running and reports what would fail before the program starts,
plus likely mistakes; it declares the firmware's device API so device programs can be checked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from firmware.steel import Interpreter, SteelError, write_string
from firmware.steel.reader import read
from firmware.steel.values import VOID

EXIT_OK = 0
EXIT_PROGRAM_ERROR = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    steel = subparsers.add_parser("steel", help="run, check or explore Steel programs on the host")
    sub = steel.add_subparsers(dest="steel_command", metavar="ACTION", required=True)

    run = sub.add_parser("run", help="run a program (language only, no device API)")
    run.add_argument("file", type=Path)
    run.add_argument("--max-steps", type=int, default=None, help="stop after N procedure calls")
    run.add_argument(
        "--memory-limit", type=int, default=None, help="cap on what the program allocates (bytes)"
    )
    run.add_argument("--print-result", action="store_true", help="write the last value")
    run.set_defaults(func=_run)

    check = sub.add_parser("check", help="compile without running; report errors and warnings")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--no-device-api", action="store_true", help="do not declare the device API's procedures"
    )
    check.add_argument(
        "--declare",
        action="append",
        default=[],
        metavar="NAME",
        help="declare a host procedure (any arity); repeatable",
    )
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    check.set_defaults(func=_check)

    repl = sub.add_parser("repl", help="an interactive Steel session")
    repl.set_defaults(func=_repl)

    builtins = sub.add_parser("builtins", help="list the standard procedures and forms")
    builtins.add_argument("--markdown", action="store_true", help="as docs/steel-builtins.md")
    builtins.set_defaults(func=_builtins)


def _read_program(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"steelhil: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None
    except UnicodeDecodeError:
        print(f"steelhil: {path} is not UTF-8 text", file=sys.stderr)
        return None


def report_error(err: Any, stream: TextIO) -> None:
    """``FILE:LINE:COL: Kind: message``, then the Steel frames that were active."""
    print(str(err), file=stream)
    for name, pos in err.trace:
        where = f"{pos[0]}:{pos[1]}" if pos else "?"
        print(f"  in {name} (called at {where})", file=stream)


def _write(text: str) -> None:
    sys.stdout.write(text)


def _run(args: argparse.Namespace) -> int:
    source = _read_program(args.file)
    if source is None:
        return EXIT_USAGE
    kwargs: dict[str, Any] = {"output": _write}
    if args.memory_limit is not None:
        kwargs["memory_limit"] = args.memory_limit
    interp = Interpreter(**kwargs)
    try:
        value = interp.eval(source, str(args.file), max_steps=args.max_steps)
    except SteelError as err:
        sys.stdout.flush()
        report_error(err, sys.stderr)
        return EXIT_PROGRAM_ERROR
    if args.print_result and value is not VOID:
        print(write_string(value))
    return EXIT_OK


class _NoDevice:
    """Stands in for the agent when the device API is only declared, never called."""

    board = None


def declare_device_api(interp: Any) -> None:
    """The firmware's own device procedures (names, arities, docs), so that ``check`` knows
    exactly what a device offers; compiling never calls them."""
    from firmware.agent import device_api

    device_api.install(interp, None, _NoDevice())


def _declare(interp: Any, name: str, arity: tuple[int, int]) -> None:
    def not_on_the_host(*_: Any) -> Any:
        raise SteelError("Generic", f"{name} is a device procedure; it cannot run in `check`")

    interp.define_primitive(name, not_on_the_host, arity[0], arity[1])


def _check(args: argparse.Namespace) -> int:
    source = _read_program(args.file)
    if source is None:
        return EXIT_USAGE
    interp = Interpreter(output=lambda s: None)
    if not args.no_device_api:
        declare_device_api(interp)
    for name in args.declare:
        _declare(interp, name, (0, -1))
    warnings, error = interp.check(source, str(args.file))
    for line, column, message in warnings:
        print(f"{args.file}:{line}:{column}: warning: {message}", file=sys.stderr)
    if error is not None:
        report_error(error, sys.stderr)
        return EXIT_PROGRAM_ERROR
    if warnings and args.strict:
        return EXIT_PROGRAM_ERROR
    print(f"{args.file}: ok" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    return EXIT_OK


def _needs_more_input(text: str) -> bool:
    """True while ``text`` ends inside a list or string (the REPL keeps reading)."""
    try:
        read(text, "<repl>")
    except SteelError as err:
        return (
            "unclosed" in err.message
            or "unterminated" in err.message
            or "end of input" in err.message
        )
    return False


def repl_loop(interp: Any, read_line: Callable[[str], str], out: TextIO, err: TextIO) -> int:
    """The REPL over any line source (``input`` interactively, a list in tests)."""
    buffer = ""
    counter = 0
    while True:
        try:
            line = read_line("...> " if buffer else "steel> ")
        except EOFError:
            if buffer.strip():
                print("error: end of input inside an unfinished expression", file=err)
            return EXIT_OK
        if not buffer and line.strip() in (",quit", ",exit"):
            return EXIT_OK
        buffer += line + "\n"
        if _needs_more_input(buffer):
            continue
        text, buffer = buffer, ""
        if not text.strip():
            continue
        counter += 1
        try:
            value = interp.eval(text, f"<repl:{counter}>")
        except SteelError as e:
            out.flush()
            report_error(e, err)
            continue
        if value is not VOID:
            print(write_string(value), file=out)


def _repl(args: argparse.Namespace) -> int:
    interp = Interpreter(output=_write)
    if sys.stdin.isatty():
        print("Steel REPL (,quit to leave)", file=sys.stderr)
        return repl_loop(interp, input, sys.stdout, sys.stderr)

    def quiet(prompt: str) -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return repl_loop(interp, quiet, sys.stdout, sys.stderr)


def builtins_markdown() -> str:
    """docs/steel-builtins.md: every standard procedure and special form, from the code."""
    from firmware.steel.expander import SPECIAL_FORMS

    interp = Interpreter(output=lambda s: None)
    table = interp.std_table
    public = sorted(name for name in table if not name.startswith("%"))
    forms = sorted(
        name
        for name, handler in SPECIAL_FORMS.items()
        if name
        not in (
            "else",
            "=>",
            "...",
            "unquote",
            "unquote-splicing",
            "syntax-rules",
            "require",
            "provide",
        )
    )
    lines = [
        "# Steel built-ins",
        "",
        "Generated by `steelhil steel builtins --markdown` from the runtime itself",
        "(a test fails when this file is stale).",
        f"{len(public)} procedures and {len(forms)} special forms.",
        "",
        "## Special forms",
        "",
        ", ".join(f"`{name}`" for name in forms),
        "",
        "## Procedures",
        "",
        "| procedure | arguments | what it does |",
        "|---|---|---|",
    ]
    for name in public:
        proc = table[name]
        if proc.max < 0:
            arity = f"{proc.min}+"
        elif proc.max == proc.min:
            arity = str(proc.min)
        else:
            arity = f"{proc.min}-{proc.max}"
        doc = proc.doc.replace("|", "\\|") if proc.doc else ""
        if proc.name != name:
            doc = f"alias of `{proc.name}`" + (f": {doc}" if doc else "")
        lines.append(f"| `{name}` | {arity} | {doc} |")
    return "\n".join(lines) + "\n"


def _builtins(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(builtins_markdown())
        return EXIT_OK
    interp = Interpreter(output=lambda s: None)
    for name in sorted(n for n in interp.std_table if not n.startswith("%")):
        print(name)
    return EXIT_OK
