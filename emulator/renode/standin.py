"""A stand-in for Renode: its monitor protocol on a telnet port, and a UART socket terminal.

Why: Renode is not installed here (and has no ESP32-C3 platform), yet the harness's Renode
driver should be tested against the protocol it will meet.  Run it as Renode is run::

    python -m emulator.renode.standin --disable-xwt --port 1234

What it imitates (the framing measured off Renode 1.15-1.17 by others, see docs/backends.md):

* the monitor greets a telnet client with option negotiation (IAC bytes), a banner and the
  prompt ``(monitor) ``; after ``mach create "NAME"`` the prompt is ``(NAME) ``;
* each command line is echoed, then its output, then the prompt; lines end in ``\\r\\n``
  and the echo in ``\\n\\r`` as Renode's telnet mode does;
* errors are prose on the same channel, in red: ``No such command or device: X``,
  ``There was an error executing command ...``;
* ``emulation CreateServerSocketTerminal PORT "NAME" false`` opens a raw TCP server that
  ``connector Connect sysbus.uart0 NAME`` attaches to the machine's UART.

Behind the UART is a virtual board (:mod:`emulator.board`) whose console speaks
MicroPython's REPL, standing in for the firmware Renode would run -- which on the real
platform does not boot (see ``esp32c3.repl``).  ``start``/``pause`` run and freeze it,
``machine Reset`` resets it, ``quit`` ends the process.  Commands it does not know are
refused as Renode refuses them; it implements only what the driver uses, plus ``help``,
``using`` and ``machine IsPaused``.
"""

from __future__ import annotations

import argparse
import re
import shlex
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from emulator.board import VirtualBoard

VERSION = "1.15.3 (stand-in)"
NEGOTIATION = bytes([0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFD, 0x1F])
RED, RESET = "\x1b[31;1m", "\x1b[0m"
_IAC = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)
_PERIPHERAL = re.compile(r"^(\w+):\s*([\w.]+)\s*@", re.MULTILINE)

HELP = """Available commands (stand-in subset):
  help                                        this list
  mach create ["NAME"]                        create a machine
  machine LoadPlatformDescription @FILE       load a .repl
  emulation CreateServerSocketTerminal PORT "NAME" [telnetMode]
  connector Connect sysbus.UART NAME          attach a terminal to a UART
  sysbus LoadELF @FILE                        load an image
  start | pause | machine Reset | machine IsPaused | using sysbus | quit"""


#: Set by the Docker Engine stand-in (:mod:`emulator.renode.docker_standin`) when it runs
#: this stand-in as a container's Renode: JSON ``[[host_dir, container_dir], ...]`` from the
#: container's bind mounts, so ``@/steelhil/...`` paths resolve as they would inside it.
BINDS_VARIABLE = "RENODE_STANDIN_BINDS"


def container_path(text: str) -> Path:
    """A path named in a monitor command, as the (possibly containerised) Renode sees it."""
    import json
    import os

    path = text.lstrip("@")
    for host, inside in json.loads(os.environ.get(BINDS_VARIABLE) or "[]"):
        prefix = inside.rstrip("/") + "/"
        if path.startswith(prefix):
            return Path(host) / path[len(prefix) :]
    return Path(path)


class CommandError(Exception):
    """Printed in red on the monitor, as Renode prints its errors."""


class StandinApp:
    """``main.py`` of the board behind the UART: it only says that it booted."""

    def __init__(self) -> None:
        self.boots = 0

    def start(self, board: VirtualBoard) -> None:
        self.boots += 1
        board.console(f"stand-in firmware: boot {self.boots}")

    def stop(self, reason: str) -> None:
        pass


class Terminal:
    """A server socket terminal: one raw TCP client at a time carries the UART's bytes.

    Output while no client is connected is kept (up to :data:`BACKLOG` bytes) and sent to
    the next client.  Whether Renode itself keeps it was not checked; the harness connects
    before ``start``, so it does not depend on it -- but a client's connect and this
    server's accept are not one instant, and the backlog keeps the stand-in from losing
    the bytes in between.
    """

    BACKLOG = 64 * 1024

    def __init__(self, name: str, port: int, on_input: Callable[[bytes], None]) -> None:
        self.name = name
        self.on_input = on_input
        self.backlog = bytearray()
        self.server = socket.create_server(("127.0.0.1", port))
        self.port = self.server.getsockname()[1]
        self.client: socket.socket | None = None
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                if self.client is not None:
                    self.client.close()
                self.client = client
                backlog, self.backlog = bytes(self.backlog), bytearray()
                if backlog:
                    try:
                        client.sendall(backlog)
                    except OSError:
                        pass
            threading.Thread(target=self._read, args=(client,), daemon=True).start()

    def _read(self, client: socket.socket) -> None:
        while True:
            try:
                data = client.recv(4096)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    if self.client is client:
                        self.client = None
                return
            self.on_input(data)

    def send(self, data: bytes) -> None:
        """Output of the UART, to the client or (nobody connected) the backlog."""
        with self.lock:
            if self.client is None:
                self.backlog += data
                del self.backlog[: max(0, len(self.backlog) - self.BACKLOG)]
                return
            try:
                self.client.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self.server.close()
        with self.lock:
            if self.client is not None:
                self.client.close()
                self.client = None


class Machine:
    def __init__(self, name: str) -> None:
        self.name = name
        self.peripherals: dict[str, str] = {}
        self.board: VirtualBoard | None = None
        self.running = False
        self.connected: dict[str, Terminal] = {}  # uart name -> terminal
        self.pending = bytearray()  # UART input while paused
        self.lock = threading.RLock()

    def uart_input(self, data: bytes) -> None:
        with self.lock:
            if self.board is None or not self.running:
                self.pending += data
                return
            self.board.serial.write(data)

    def uart_output(self, data: bytes) -> None:
        for terminal in list(self.connected.values()):
            terminal.send(data)


class StandIn:
    def __init__(self, port: int, log: TextIO = sys.stdout, host: str = "127.0.0.1") -> None:
        self.log = log
        self.server = socket.create_server((host, port))
        self.port = self.server.getsockname()[1]
        self.machine: Machine | None = None
        self.terminals: dict[str, Terminal] = {}
        self.done = threading.Event()
        self.say(f"Monitor available in telnet mode on port {self.port}")

    def say(self, line: str) -> None:
        self.log.write(f"[INFO] {line}\n")
        self.log.flush()

    # --- the monitor ------------------------------------------------------------------------

    def serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.done.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            threading.Thread(target=self._session, args=(client,), daemon=True).start()
        self.close()

    @property
    def prompt(self) -> str:
        return f"({self.machine.name}) " if self.machine else "(monitor) "

    def _session(self, client: socket.socket) -> None:
        with client:
            client.sendall(NEGOTIATION + f"Renode, version {VERSION}\n\r\n\r".encode())
            client.sendall(self.prompt.encode())
            buffer = b""
            while not self.done.is_set():
                try:
                    data = client.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buffer += _IAC.sub(b"", data)
                while True:
                    cut = re.search(rb"\r\n|\n|\r", buffer)
                    if cut is None:
                        break
                    line, buffer = buffer[: cut.start()], buffer[cut.end() :]
                    if not self._answer(client, line.decode("utf-8", "replace").strip()):
                        return

    def _answer(self, client: socket.socket, line: str) -> bool:
        """Echo, output, prompt; False when the client should be dropped (quit)."""
        self.say(f"monitor: {line}")
        reply = line.encode() + b"\n\r"
        if line == "quit":
            client.sendall(reply + b"Renode is quitting\r\n\r")
            self.done.set()
            return False
        try:
            body = self.execute(line)
        except CommandError as exc:
            body = f"{RED}{exc}{RESET}"
        if body:
            reply += body.replace("\n", "\r\n").encode() + b"\r\n"
        client.sendall(reply + self.prompt.encode())
        return True

    def execute(self, line: str) -> str:
        if not line:
            return ""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise CommandError(f"Bad parameters: {exc}") from None
        head = words[0]
        handler = {
            "help": lambda w: HELP,
            "using": lambda w: "",
            "mach": self._mach,
            "machine": self._machine,
            "emulation": self._emulation,
            "connector": self._connector,
            "sysbus": self._sysbus,
            "start": self._start,
            "pause": self._pause,
        }.get(head)
        if handler is None or (head in ("machine", "sysbus") and self.machine is None):
            raise CommandError(f"No such command or device: {head}")
        return handler(words)

    def _failed(self, words: list[str], why: str) -> CommandError:
        return CommandError(f"There was an error executing command '{' '.join(words)}'\n{why}")

    def _mach(self, words: list[str]) -> str:
        if len(words) >= 2 and words[1] == "create":
            self.machine = Machine(words[2] if len(words) > 2 else "machine-0")
            return ""
        raise CommandError(f"Bad parameters for command mach: {' '.join(words[1:])}")

    def _machine(self, words: list[str]) -> str:
        machine = self.machine
        assert machine is not None
        action = words[1] if len(words) > 1 else ""
        if action == "LoadPlatformDescription" and len(words) == 3:
            path = container_path(words[2])
            if not path.is_file():
                raise self._failed(words, "Could not find file '" + words[2].lstrip("@") + "'")
            text = path.read_text()
            found = dict(_PERIPHERAL.findall(text))
            if not found:
                raise self._failed(words, f"{path}: no peripherals declared")
            machine.peripherals.update(found)
            with machine.lock:
                if machine.board is None:
                    machine.board = VirtualBoard(machine.name, app=StandinApp(), powered=False)
                    machine.board.serial.subscribe(machine.uart_output)
            return ""
        if action == "Reset":
            with machine.lock:
                if machine.board is not None and machine.board.powered:
                    machine.board.reset()
            return ""
        if action == "IsPaused":
            return "False" if machine.running else "True"
        raise CommandError(f"No such command or device: machine {action}".rstrip())

    def _emulation(self, words: list[str]) -> str:
        if len(words) >= 4 and words[1] == "CreateServerSocketTerminal":
            try:
                port = int(words[2])
            except ValueError:
                raise self._failed(words, f"not a port: {words[2]}") from None
            name = words[3]
            try:
                self.terminals[name] = Terminal(name, port, self._input_for(name))
            except OSError as exc:
                raise self._failed(words, f"could not listen on port {port}: {exc}") from None
            return ""
        raise CommandError(f"Bad parameters for command emulation: {' '.join(words[1:])}")

    def _input_for(self, terminal: str) -> Callable[[bytes], None]:
        def deliver(data: bytes) -> None:
            machine = self.machine
            if machine is not None and terminal in {t.name for t in machine.connected.values()}:
                machine.uart_input(data)

        return deliver

    def _connector(self, words: list[str]) -> str:
        if len(words) == 4 and words[1] == "Connect":
            machine = self.machine
            if machine is None:
                raise self._failed(words, "no machine")
            peripheral = words[2].removeprefix("sysbus.")
            kind = machine.peripherals.get(peripheral)
            if kind is None:
                raise self._failed(words, f"Could not find peripheral {words[2]}")
            if not kind.startswith("UART."):
                raise self._failed(words, f"{words[2]} ({kind}) is not a UART")
            terminal = self.terminals.get(words[3])
            if terminal is None:
                raise self._failed(words, f"No such external: {words[3]}")
            machine.connected[peripheral] = terminal
            return ""
        raise CommandError(f"Bad parameters for command connector: {' '.join(words[1:])}")

    def _sysbus(self, words: list[str]) -> str:
        if len(words) == 3 and words[1] == "LoadELF":
            path = container_path(words[2])
            if not path.is_file():
                raise self._failed(words, "Could not find file '" + words[2].lstrip("@") + "'")
            return ""
        raise CommandError(f"No such command or device: sysbus {' '.join(words[1:])}")

    def _start(self, words: list[str]) -> str:
        machine = self.machine
        if machine is None or machine.board is None:
            raise self._failed(words, "no machine with a platform to start")
        with machine.lock:
            machine.running = True
            if not machine.board.powered:
                machine.board.power_on()
            if machine.pending:
                data, machine.pending = bytes(machine.pending), bytearray()
                machine.board.serial.write(data)
        self.say(f"{machine.name}: Machine started.")
        return ""

    def _pause(self, words: list[str]) -> str:
        if self.machine is not None:
            self.machine.running = False
            self.say(f"{self.machine.name}: Machine paused.")
        return ""

    def close(self) -> None:
        self.server.close()
        for terminal in self.terminals.values():
            terminal.close()
        self.say("Renode is quitting")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="renode (stand-in)")
    parser.add_argument("--disable-xwt", action="store_true", help="accepted, as Renode's")
    parser.add_argument("--plain", action="store_true", help="accepted, as Renode's")
    parser.add_argument("-P", "--port", type=int, required=True, help="monitor telnet port")
    parser.add_argument("script", nargs="?", help="ignored (Renode would run it)")
    args = parser.parse_args(argv)
    try:
        standin = StandIn(args.port)
    except OSError as exc:
        print(f"[ERROR] could not open the monitor port {args.port}: {exc}", file=sys.stderr)
        return 1
    standin.serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
