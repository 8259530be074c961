"""``steelhil check``: run a program on a virtual board and print what it did.

    steelhil check --file PROGRAM.scm [--sensor temperature=31.5] [--for 130s] [--json]

One event per line: virtual time, kind (``led``, ``publish``, ``shadow``, ``log``,
``timer``, ``error``, ...) and details; ``--json`` prints one JSON object per line with
``t``, ``kind`` and that kind's fields.  Exit status 1 if the program ends in an error
(or does not compile), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .check import PROGRAM_KINDS, run_program

EXIT_OK = 0
EXIT_PROGRAM_ERROR = 1
EXIT_USAGE = 2

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """``130s``, ``2m``, ``1h``, ``500ms`` or plain seconds."""
    t = text.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if t.endswith(unit):
            number = t[: -len(unit)].strip()
            break
    else:
        unit, number = "s", t
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (use e.g. 130s, 2m, 1h)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("a duration cannot be negative")
    return value


def parse_sensor(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: not a number: {value!r}") from None


def register_check(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser(
        "check",
        help="run a Steel program on a virtual board (offline, virtual time) and trace it",
    )
    check.add_argument("--file", type=Path, required=True, help="the Steel program")
    check.add_argument(
        "--sensor",
        action="append",
        default=[],
        type=parse_sensor,
        metavar="NAME=VALUE",
        help="a sensor value (temperature, humidity, accel_x, ...); repeatable",
    )
    check.add_argument(
        "--for",
        dest="duration",
        type=parse_duration,
        default=60.0,
        metavar="DURATION",
        help="virtual time to run (default 60s)",
    )
    check.add_argument("--json", action="store_true", help="one JSON object per event")
    check.add_argument("--all", action="store_true", help="also the agent's own events")
    check.set_defaults(func=_check)


def _details(event: dict[str, Any]) -> str:
    kind = event["kind"]
    if kind == "led":
        return "on" if event.get("state") else "off"
    if kind == "pixel":
        return f"rgb({event.get('r')}, {event.get('g')}, {event.get('b')})"
    if kind == "publish":
        return f"{event.get('topic')} {event.get('payload')}"
    if kind == "shadow":
        return f"{event.get('key')} = {event.get('value')}"
    if kind == "log":
        return f"{event.get('level')}: {event.get('message')}"
    if kind == "output":
        return str(event.get("line", event.get("text", "")))
    if kind == "timer":
        text = f"{event.get('action')} {event.get('name')}"
        if event.get("action") == "set":
            text += f" in {event.get('seconds')}s"
        return text
    if kind == "error":
        err = event.get("error") or {}
        where = f" at {err.get('line')}:{err.get('column')}" if err.get("line") else ""
        return f"{err.get('kind')}{where}: {err.get('message')}"
    if kind == "status":
        reason = f" ({event['reason']})" if event.get("reason") else ""
        return f"{event.get('program_id')} {event.get('state')}{reason}"
    rest = {k: v for k, v in event.items() if k not in ("t", "kind")}
    return json.dumps(rest, sort_keys=True, default=str)


def _check(args: argparse.Namespace) -> int:
    try:
        source = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"steelhil check: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sensors = dict(args.sensor)
    result = run_program(
        source,
        name=args.file.name,
        duration=args.duration,
        sensors=sensors,
        kinds=None if args.all else PROGRAM_KINDS,
    )
    for event in result.events:
        if args.json:
            print(json.dumps(event, default=str))
        else:
            print(f"{event['t']:10.3f}  {event['kind']:<8} {_details(event)}")
    if result.failed:
        err = result.error or {}
        where = f"{args.file}:{err.get('line')}:{err.get('column')}: " if err.get("line") else ""
        print(
            f"{where}{err.get('kind', 'Error')}: {err.get('message', result.final_state)}",
            file=sys.stderr,
        )
        return EXIT_PROGRAM_ERROR
    return EXIT_OK


# --- steelhil device run / steelhil fleet up --------------------------------------------------


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--iotcore",
        type=Path,
        default=None,
        metavar="DIR",
        help="the IoT Core's directory with endpoint.json (default: $STEELHIL_IOTCORE_DIR, "
        "else ./.iotcore; start one with `steelhil iotcore up --detach`)",
    )
    parser.add_argument("--program", type=Path, help="a Steel program to load at boot")
    parser.add_argument(
        "--sensor", action="append", default=[], type=parse_sensor, metavar="NAME=VALUE"
    )
    parser.add_argument(
        "--virtual",
        action="store_true",
        help="virtual time (timers fire as fast as the network allows) instead of real time",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the console")
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        type=Path,
        metavar="PUB.pem",
        help="a public key that signs OTA bundles the boards may install (repeatable; "
        "`steelhil ota keygen` makes one)",
    )


def _trusted_keys(paths: list[Path]) -> tuple[tuple[bytes, ...], str | None]:
    """The --trust files' bytes, each checked as the board will read it."""
    from firmware.ota import p256

    out: list[bytes] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            return (), f"--trust {path}: cannot read it ({exc.strerror or 'unreadable'})"
        try:
            p256.load_public_keys(data)
        except p256.P256Error as exc:
            return (), f"--trust {path}: {exc.message}"
        out.append(data)
    return tuple(out), None


def register_device(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    device = subparsers.add_parser("device", help="run an emulated device")
    sub = device.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    run = sub.add_parser(
        "run", help="one virtual board running the firmware agent, connected to an IoT Core"
    )
    run.add_argument("--thing", required=True, help="the thing name (provisioned if needed)")
    run.add_argument("--pty", action="store_true", help="expose the serial console on a PTY")
    run.add_argument(
        "--control",
        choices=("stdin",),
        help="accept JSON control requests on stdin, answer on stdout (see "
        "emulator/device/control.py): sensors, button, power, clock skew, LED state",
    )
    _common(run)
    run.set_defaults(func=_device_run)


def register_fleet(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fleet = subparsers.add_parser("fleet", help="run many emulated devices in one process")
    sub = fleet.add_subparsers(dest="fleet_command", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="N virtual boards running the agent, connected to an IoT Core")
    up.add_argument("--count", type=int, required=True)
    up.add_argument("--prefix", default="dev", help="thing names are PREFIX-0001, ...")
    up.add_argument("--status-every", type=float, default=10.0, metavar="SECONDS")
    _common(up)
    up.set_defaults(func=_fleet_up)


def _open_fleet(args: argparse.Namespace) -> tuple[Any, Path] | None:
    import os

    from emulator.board.clock import VirtualClock
    from emulator.board.wallclock import RealTimeClock
    from emulator.iotcore.endpoint import Endpoint

    from .fleet import Fleet, RemoteIoTCore

    args.trusted, problem = _trusted_keys(args.trust)
    if problem is not None:
        print(f"steelhil: {problem}", file=sys.stderr)
        return None
    directory = args.iotcore or Path(os.environ.get("STEELHIL_IOTCORE_DIR", ".iotcore"))
    endpoint_file = directory / "endpoint.json"
    if not endpoint_file.is_file():
        print(
            f"steelhil: no IoT Core at {directory} (no endpoint.json); start one with: "
            f"steelhil iotcore up --dir {directory} --detach",
            file=sys.stderr,
        )
        return None
    endpoint = Endpoint.load(endpoint_file)
    core = RemoteIoTCore(endpoint, directory / "things")
    clock = VirtualClock(autojump_threshold=0.05) if args.virtual else RealTimeClock()
    workdir = directory / "devices"
    return Fleet(core, workdir, clock=clock), workdir


def _prepare(fleet: Any, args: argparse.Namespace, names: list[str]) -> str | None:
    """Provision and boot the devices; returns an error message or None."""
    from emulator.board.models import Environment

    source = None
    if args.program is not None:
        try:
            source = args.program.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return f"cannot read {args.program}: it is not UTF-8 text"
        except OSError as exc:
            return f"cannot read {args.program}: {exc.strerror or 'unreadable'}"
    program_id = _safe_program_id(args.program.stem) if args.program is not None else ""
    for name in names:
        env = Environment()
        if args.sensor:
            env.set(**dict(args.sensor))
        device = fleet.add(name, env=env, ota_trust=args.trusted)
        if not args.quiet:
            # with a control channel, stdout carries its replies: the console goes to stderr
            stream = sys.stderr if getattr(args, "control", None) else sys.stdout
            device.board.serial.subscribe(_echo(name, len(names) > 1, stream))
        if source is not None:
            fleet.call(lambda d=device: d.app.load_program(program_id, source))
    return None


def _echo(name: str, prefixed: bool, stream: Any = None) -> Any:
    def write(chunk: bytes) -> None:
        out = stream or sys.stdout
        text = chunk.decode("utf-8", "replace")
        if prefixed:
            text = "".join(f"[{name}] {line}\n" for line in text.splitlines() if line.strip())
        out.write(text)
        out.flush()

    return write


def _safe_program_id(stem: str) -> str:
    allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
    return "".join(c if c in allowed else "-" for c in stem)[:64] or "program"


def _wait_for_signal(report: Any = None, every: float = 10.0) -> None:
    import signal
    import threading

    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(every if report is not None else 3600):
            if report is not None:
                report()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _device_run(args: argparse.Namespace) -> int:
    opened = _open_fleet(args)
    if opened is None:
        return EXIT_USAGE
    fleet, _ = opened
    pty = None
    with fleet:
        error = _prepare(fleet, args, [args.thing])
        if error:
            print(f"steelhil device run: {error}", file=sys.stderr)
            return EXIT_USAGE
        board = fleet.devices[args.thing].board
        if args.pty:
            from emulator.board.pty_console import PtyConsole

            pty = PtyConsole(board.serial)
            print(f"steelhil device run: serial console on {pty.path}", file=sys.stderr)
        if args.control == "stdin":
            _start_control(fleet, board)
        print(f"steelhil device run: {args.thing} running; Ctrl-C to stop", file=sys.stderr)
        try:
            _wait_for_signal()
        finally:
            if pty is not None:
                pty.close()
    return EXIT_OK


def _start_control(fleet: Any, board: Any) -> None:
    """Serve control requests from stdin on a thread; stdout carries only the replies."""
    import threading

    from .control import DeviceControl, serve

    control = DeviceControl(board, fleet.clock, fleet.call)
    thread = threading.Thread(
        target=serve, args=(control, sys.stdin, sys.stdout), name="control", daemon=True
    )
    thread.start()


def _fleet_up(args: argparse.Namespace) -> int:
    from emulator.board.clock import VirtualClock as VirtualClockType

    if args.count < 1:
        print("steelhil fleet up: --count must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    opened = _open_fleet(args)
    if opened is None:
        return EXIT_USAGE
    fleet, _ = opened
    names = [f"{args.prefix}-{i:04d}" for i in range(1, args.count + 1)]
    with fleet:
        # Virtual time stands still while the fleet boots: otherwise the devices already up
        # publish every virtual minute while the rest are provisioned (O(N^2) work).
        clock = fleet.clock
        frozen = isinstance(clock, VirtualClockType)
        if frozen:
            clock.horizon = clock.now()
        try:
            error = _prepare(fleet, args, names)
        finally:
            if frozen:
                clock.horizon = float("inf")
        if error:
            print(f"steelhil fleet up: {error}", file=sys.stderr)
            return EXIT_USAGE

        def report() -> None:
            links = fleet.network.links
            up = sum(1 for link in links.values() if link.connected)
            sent = sum(link.stats.published for link in links.values())
            print(
                f"fleet: {up}/{len(names)} connected, {sent} messages acknowledged, "
                f"virtual time {fleet.now():.1f}s",
                file=sys.stderr,
            )

        print(f"steelhil fleet up: {len(names)} devices running; Ctrl-C to stop", file=sys.stderr)
        _wait_for_signal(report, args.status_every)
        report()  # where things stood when it was stopped
    return EXIT_OK
