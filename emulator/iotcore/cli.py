"""``steelhil iotcore``: start, stop, inspect the local IoT Core and provision things.

``up`` runs in the foreground until SIGINT/SIGTERM (or, with ``--detach``, in a background
process whose pid is kept in ``DIR/iotcore.json`` for ``down`` and ``status``). Machine-readable
output (the endpoint, provisioned credentials, status) goes to stdout as JSON; everything
meant for people goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .autosave import DEFAULT_AUTOSAVE, MODES
from .core import LocalIoTCore, default_directory
from .endpoint import Endpoint
from .mosquitto import BrokerError
from .processes import alive, brokers_of, is_ours, stop
from .provision import DEFAULT_POLICY_NAME, Provisioner, ProvisioningError

RUN_FILE = "iotcore.json"
LOG_FILE = "iotcore.log"
NOT_RUNNING = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "iotcore",
        help="the local IoT Core (Mosquitto with mTLS, shadow and jobs services, moto)",
        description="Run a local AWS IoT Core for tests and rehearsals, and provision things.",
    )
    commands = parser.add_subparsers(dest="iotcore_command", metavar="ACTION", required=True)

    up = commands.add_parser("up", help="start it and wait until ready")
    _dir_option(up)
    up.add_argument(
        "--port",
        type=int,
        default=None,
        help="MQTT port (default: the one this directory had, so provisioned devices "
        "reconnect; a free one the first time; 0 for a new free one)",
    )
    up.add_argument(
        "--api-port", type=int, default=None, help="AWS API port (default: as for --port)"
    )
    up.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    up.add_argument("--advertise", help="host name devices use (default: the bind address)")
    up.add_argument(
        "--server-name",
        action="append",
        default=[],
        help="extra DNS name or IP for the broker certificate (repeatable)",
    )
    up.add_argument("--region", default="us-east-1")
    up.add_argument("--mosquitto", help="path of the mosquitto binary")
    up.add_argument(
        "--autosave",
        default=str(DEFAULT_AUTOSAVE),
        help=f"when the broker writes queued messages to disk: {MODES} (default "
        f"{DEFAULT_AUTOSAVE}); what is not written is lost if the broker is killed",
    )
    up.add_argument("--detach", action="store_true", help="return once ready; stop with down")
    up.set_defaults(func=cmd_up)

    down = commands.add_parser("down", help="stop a detached local IoT Core")
    _dir_option(down)
    down.add_argument("--timeout", type=float, default=20.0)
    down.set_defaults(func=cmd_down)

    status = commands.add_parser("status", help="is it running? (exit status 3 if not)")
    _dir_option(status)
    status.set_defaults(func=cmd_status)

    provision = commands.add_parser("provision", help="create a thing with certificate and policy")
    provision.add_argument("thing", metavar="THING")
    _dir_option(provision)
    provision.add_argument("--policy-name", default=DEFAULT_POLICY_NAME)
    provision.add_argument("--policy-file", help="JSON policy document (default: own topics)")
    provision.add_argument(
        "--attribute", action="append", default=[], metavar="KEY=VALUE", help="thing attribute"
    )
    provision.set_defaults(func=cmd_provision)


def _dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        type=Path,
        default=default_directory(),
        help="state directory (default: $STEELHIL_IOTCORE_DIR or ./.iotcore)",
    )


def _err(message: str) -> None:
    print(f"steelhil iotcore: {message}", file=sys.stderr)


# --- up --------------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    directory: Path = args.dir.resolve()
    info = read_run_file(directory)
    if info and alive(int(info.get("pid", 0))):
        _err(f"already running in {directory} (pid {info['pid']}); `down --dir` stops it")
        return 1
    if args.detach:
        return _detach(args, directory)

    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        core = LocalIoTCore(
            directory,
            mqtt_port=args.port,
            api_port=args.api_port,
            bind=args.bind,
            advertise=args.advertise,
            server_names=args.server_name,
            region=args.region,
            mosquitto=args.mosquitto,
            autosave=args.autosave,
        )
        endpoint = core.start()
    except (BrokerError, RuntimeError, TimeoutError, ValueError) as exc:
        _err(str(exc))
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        return 1
    except OSError as exc:  # the API port, a file: say what, in the system's words
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"cannot start: {where}{exc.strerror or 'operating system error'}")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        return 1
    try:
        write_run_file(directory, {"pid": os.getpid(), "broker_pid": core.broker_pid})
        print(json.dumps(endpoint.to_json()), flush=True)
        _err(
            f"ready: MQTT {endpoint.mqtt_host}:{endpoint.mqtt_port}, "
            f"AWS API {endpoint.api_endpoint_url}; Ctrl-C stops"
        )
        while not stop.wait(0.5):
            pass
        _err("stopping")
    finally:
        core.stop()
        (directory / RUN_FILE).unlink(missing_ok=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _detach(args: argparse.Namespace, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "emulator.iotcore.cli", "up", "--dir", str(directory)]
    for option, value in (("--port", args.port), ("--api-port", args.api_port)):
        if value is not None:
            command += [option, str(value)]
    command += ["--bind", args.bind, "--region", args.region, "--autosave", args.autosave]
    if args.advertise:
        command += ["--advertise", args.advertise]
    for name in args.server_name:
        command += ["--server-name", name]
    if args.mosquitto:
        command += ["--mosquitto", args.mosquitto]
    (directory / RUN_FILE).unlink(missing_ok=True)
    log_path = directory / LOG_FILE
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = read_run_file(directory)
        if info and info.get("pid") == proc.pid:
            print(json.dumps(Endpoint.load(directory).to_json()), flush=True)
            _err(f"running in the background (pid {proc.pid}); log: {log_path}")
            return 0
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
            _err("failed to start:\n" + "\n".join(tail))
            return 1
        time.sleep(0.05)
    proc.terminate()
    _err(f"not ready within 60 s; see {log_path}")
    return 1


# --- down / status ---------------------------------------------------------------------------


def cmd_down(args: argparse.Namespace) -> int:
    """Stop ``up`` and the broker it supervised, found by the broker's own pid file and its
    command line (``up`` may have been killed, and the broker restarted under a new pid)."""
    directory: Path = args.dir.resolve()
    info = read_run_file(directory)
    pid = int(info.get("pid", 0)) if info else 0
    stopped = []
    if alive(pid) and is_ours(pid, "iotcore"):
        if not stop(pid, args.timeout):
            _err(f"could not stop the local IoT Core (pid {pid}); kill it with `kill -9 {pid}`")
            return 1
        stopped.append(pid)
    conf, pid_file = _broker_files(directory)
    for broker in brokers_of(conf, pid_file):  # orphaned by a killed `up`
        _err(f"stopping the broker it left running (pid {broker})")
        stop(broker, args.timeout)
        stopped.append(broker)
    left = brokers_of(conf, pid_file)
    (directory / RUN_FILE).unlink(missing_ok=True)
    if left:
        pids = " ".join(str(p) for p in left)
        _err(f"mosquitto is still running for {directory} (pid {pids}); stop it with kill -9")
        return 1
    _err("stopped" if stopped else f"not running in {directory}")
    return 0


def _broker_files(directory: Path) -> tuple[Path, Path]:
    """The broker's configuration (its command line names it) and the pid file it writes."""
    return directory / "broker" / "mosquitto.conf", directory / "broker" / "mosquitto.pid"


def cmd_status(args: argparse.Namespace) -> int:
    directory: Path = args.dir.resolve()
    info = read_run_file(directory) or {}
    pid = int(info.get("pid", 0))
    report: dict[str, Any] = {"dir": str(directory), "running": False, "pid": pid or None}
    try:
        endpoint = Endpoint.load(directory)
    except (FileNotFoundError, ValueError):
        endpoint = None
    if endpoint is not None:
        report["endpoint"] = endpoint.to_json()
        report["mqtt_reachable"] = _reachable(endpoint.mqtt_host, endpoint.mqtt_port)
        api = endpoint.api_endpoint_url or ""
        host, _, port = api.rpartition("//")[2].rpartition(":")
        report["api_reachable"] = bool(port) and _reachable(host.strip("[]"), int(port))
    report["broker_pids"] = brokers_of(*_broker_files(directory))
    report["running"] = bool(
        pid and alive(pid) and report.get("mqtt_reachable") and report.get("api_reachable")
    )
    print(json.dumps(report, indent=2))
    return 0 if report["running"] else NOT_RUNNING


# --- provision -------------------------------------------------------------------------------


def cmd_provision(args: argparse.Namespace) -> int:
    directory: Path = args.dir.resolve()
    try:
        endpoint = Endpoint.load(directory)
    except (FileNotFoundError, ValueError) as exc:
        _err(str(exc))
        return 1
    info = read_run_file(directory)
    if not info or not alive(int(info.get("pid", 0))):
        _err(f"the local IoT Core in {directory} is not running; start it with `up --detach`")
        return 1
    policy = None
    if args.policy_file:
        try:
            policy = json.loads(Path(args.policy_file).read_text())
        except (OSError, ValueError) as exc:
            _err(f"cannot read the policy {args.policy_file}: {exc}")
            return 1
    attributes = {}
    for item in args.attribute:
        key, sep, value = item.partition("=")
        if not sep:
            _err(f"--attribute wants KEY=VALUE, got {item!r}")
            return 2
        attributes[key] = value
    try:
        creds = Provisioner(endpoint, directory / "things").provision(
            args.thing, policy_name=args.policy_name, policy_document=policy, attributes=attributes
        )
    except ProvisioningError as exc:
        _err(str(exc))
        return 1
    except ClientError as exc:  # say what the API said, not how botocore words it
        error = exc.response.get("Error", {})
        _err(f"provisioning failed: {error.get('Code', 'error')}: {error.get('Message', '')}")
        return 1
    except BotoCoreError:
        _err(f"provisioning failed: the AWS API at {endpoint.api_endpoint_url} did not answer")
        return 1
    out: dict[str, object] = dict(creds.to_json())
    out.update(mqtt_host=endpoint.mqtt_host, mqtt_port=endpoint.mqtt_port)
    print(json.dumps(out, indent=2))
    return 0


# --- run file and process helpers -------------------------------------------------------------


def read_run_file(directory: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((directory / RUN_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_run_file(directory: Path, data: dict[str, Any]) -> None:
    tmp = directory / f".{RUN_FILE}.tmp"
    tmp.write_text(json.dumps({**data, "started_at": time.time()}))
    tmp.replace(directory / RUN_FILE)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.iotcore.cli")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["iotcore", *(sys.argv[1:] if argv is None else argv)])
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
