"""Run and supervise an Eclipse Mosquitto 2.x broker.

Mosquitto is the broker because it is the one that holds up: the pure-Python amqtt lost
acknowledged QoS 1 messages over TLS and refuses ``$aws/...`` topics (see docs/iotcore.md).
This module owns its configuration, start-up on an ephemeral port, readiness, SIGHUP reloads
(ACL and CRL), and restarts that keep persistent sessions.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .autosave import DEFAULT_AUTOSAVE, Autosave
from .config_lines import ConfigFile, ConfigValueError
from .limits import MAX_PACKET_BYTES

INSTALL_HINT = (
    "Mosquitto 2.x is needed for the local IoT Core and was not found on PATH or in /usr/sbin. "
    "Install it with `sudo apt-get install mosquitto` (Debian/Ubuntu) or "
    "`brew install mosquitto` (macOS), or pass its path explicitly."
)

#: AWS IoT Core refuses MQTT payloads over 128 KiB; leave room for the topic and headers.
MAX_PACKET_SIZE = MAX_PACKET_BYTES


class BrokerError(RuntimeError):
    """Mosquitto is missing, would not start, or stopped answering."""


def find_mosquitto(explicit: str | Path | None = None) -> Path:
    """The broker binary: ``explicit`` if given (and nothing else), else the usual places."""
    if explicit:
        path = Path(explicit)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise BrokerError(f"{path} is not an executable mosquitto. {INSTALL_HINT}")
    candidates: list[str | None] = [
        os.environ.get("STEELHIL_MOSQUITTO"),
        shutil.which("mosquitto"),
        "/usr/sbin/mosquitto",
        "/usr/local/sbin/mosquitto",
        "/opt/homebrew/sbin/mosquitto",
        "/usr/local/opt/mosquitto/sbin/mosquitto",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return Path(candidate)
    raise BrokerError(INSTALL_HINT)


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port (Mosquitto's ``listener 0`` means a unix socket, not a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_free(host: str, port: int) -> bool:
    """Whether ``port`` can be listened on (as the broker and the API server would bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class BrokerConfig:
    """What goes into ``mosquitto.conf``; ``tls=False`` gives the plain broker for benchmarks."""

    directory: Path
    port: int
    host: str = "127.0.0.1"
    tls: bool = True
    cafile: Path | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    crlfile: Path | None = None
    aclfile: Path | None = None
    max_queued_messages: int = 10000
    persistence: bool = True
    autosave: Autosave = DEFAULT_AUTOSAVE

    @property
    def conf_path(self) -> Path:
        return self.directory / "mosquitto.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "mosquitto.log"

    @property
    def pid_path(self) -> Path:
        return self.directory / "mosquitto.pid"

    @property
    def db_path(self) -> Path:
        return self.directory / "mosquitto.db"

    def render(self) -> str:
        """The configuration text; every value is checked to stay on its line."""
        try:
            return self._file().text()
        except ConfigValueError as exc:
            raise BrokerError(f"cannot write the broker configuration: {exc}") from None

    def _file(self) -> ConfigFile:
        conf = ConfigFile("Written by the steelhil local IoT Core; regenerated on every start.")
        conf.line("per_listener_settings", "false")
        conf.line("persistence", "true" if self.persistence else "false")
        conf.line("persistence_location", f"{self.directory}/")
        for key, value in self.autosave.settings():
            conf.line(key, value)
        # Written by the broker itself (and removed when it exits), so ``down`` finds the
        # running broker even after the supervisor restarted it under a new pid.
        conf.line("pid_file", str(self.pid_path))
        conf.line("log_dest", "file", str(self.log_path))
        for kind in ("error", "warning", "notice", "information"):
            conf.line("log_type", kind)
        conf.line("connection_messages", "true")
        conf.line("max_packet_size", MAX_PACKET_SIZE)
        conf.line("max_queued_messages", self.max_queued_messages)
        conf.line("max_inflight_messages", 100)
        # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to every small
        # request/response exchange (a shadow update took 88 ms instead of a few).
        conf.line("set_tcp_nodelay", "true")
        conf.line("persistent_client_expiration", "1h")  # AWS IoT keeps a session 1 h
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            conf.line("user", "root")  # otherwise it drops to a "mosquitto" user who can't read DIR
        if self.tls:
            if not (self.cafile and self.certfile and self.keyfile and self.aclfile):
                raise BrokerError("a TLS broker needs cafile, certfile, keyfile and aclfile")
            conf.line("allow_anonymous", "false").line("acl_file", str(self.aclfile))
        else:
            conf.line("allow_anonymous", "true")
        conf.line("listener", self.port, self.host)
        if self.tls:
            conf.line("cafile", str(self.cafile))
            conf.line("certfile", str(self.certfile))
            conf.line("keyfile", str(self.keyfile))
            conf.line("require_certificate", "true")
            conf.line("use_identity_as_username", "true")
            # The broker's client id is the certificate's identity, whatever the client asks
            # for, so one device can neither disconnect another nor take over its session
            # (AWS refuses such a connect; Mosquitto cannot, see docs/iotcore.md).
            conf.line("use_username_as_clientid", "true")
            conf.line("tls_version", "tlsv1.2")  # the minimum: 1.2 and 1.3, as on AWS
            if self.crlfile:
                conf.line("crlfile", str(self.crlfile))
        return conf


class Mosquitto:
    """One supervised Mosquitto process; ``restart`` keeps the port and the persistence file."""

    def __init__(self, config: BrokerConfig, binary: Path | None = None) -> None:
        self.config = config
        self.binary = binary or find_mosquitto()
        self._proc: subprocess.Popen[bytes] | None = None
        # Mosquitto installs its signal handlers as it starts: a SIGUSR1 (save) that lands
        # before then takes the default action and kills it.  Signals wait for this.
        self._listening = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        self.config.directory.mkdir(parents=True, exist_ok=True)
        self._reap_stale()
        self.config.conf_path.write_text(self.config.render())
        log_offset = self._log_size()
        stderr_path = self.config.directory / "mosquitto.stderr"
        with stderr_path.open("wb") as stderr:
            self._proc = subprocess.Popen(
                [str(self.binary), "-c", str(self.config.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # a Ctrl-C at the terminal is ours to handle, not its
            )
        self.config.pid_path.write_text(f"{self._proc.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = stderr_path.read_text(errors="replace")
                self._proc = None
                raise BrokerError(
                    f"mosquitto exited at start-up: {err.strip()}\n{self._log_tail(log_offset)}"
                )
            if _port_open(self.config.host, self.config.port):
                self._listening = True
                return
            time.sleep(0.02)
        self.stop()
        raise BrokerError(f"mosquitto did not listen on port {self.config.port} within {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (Mosquitto saves its persistence file on the way out), SIGKILL if stuck."""
        self._listening = False
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def _reap_stale(self) -> None:
        """A broker left behind by a process that was killed holds the persistence file (and
        maybe the port): stop it, but only if its command line names our configuration."""
        try:
            pid = int(self.config.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return
        if self._proc is not None and self._proc.pid == pid:
            return
        cmdline = Path(f"/proc/{pid}/cmdline")
        try:
            ours = str(self.config.conf_path) in cmdline.read_bytes().decode(errors="replace")
        except OSError:
            ours = False
        if ours:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while cmdline.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        self.config.pid_path.unlink(missing_ok=True)

    def kill(self) -> None:
        """A crash: SIGKILL, so nothing since the last autosave is written."""
        self._listening = False
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(5)

    def restart(self, hard: bool = False, down_for: float = 0.0) -> None:
        if hard:
            self.kill()
        else:
            self.stop()
        if down_for > 0:
            time.sleep(down_for)
        self.start()

    def save(self) -> None:
        """SIGUSR1: Mosquitto writes its persistence file at its next main-loop pass."""
        proc = self._proc
        if proc is not None and self._listening and proc.poll() is None:
            proc.send_signal(signal.SIGUSR1)

    def reload(self, timeout: float = 10.0) -> None:
        """SIGHUP: Mosquitto re-reads the ACL file and the CRL for every later connection.

        Returns once the broker logged a reload that began after this call, so a connect made
        afterwards is judged by the new files. Mosquitto only sets a flag in its SIGHUP handler
        and clears it when a reload ends, so a SIGHUP that lands during a reload is lost; the
        signal is therefore repeated until a new reload shows up in the log.
        """
        proc = self._proc
        if proc is None or not self._listening or proc.poll() is not None:
            return  # not started yet: it reads the files as it starts (a SIGHUP would kill it)
        offset = self._log_size()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc.send_signal(signal.SIGHUP)
            resend_at = min(deadline, time.monotonic() + 0.5)
            while time.monotonic() < resend_at:
                if b"Reloading config" in self._log_bytes(offset):
                    return
                time.sleep(0.005)
        raise BrokerError("mosquitto did not confirm the configuration reload")

    def _log_size(self) -> int:
        try:
            return self.config.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def _log_bytes(self, offset: int) -> bytes:
        try:
            with self.config.log_path.open("rb") as fh:
                fh.seek(offset)
                return fh.read()
        except FileNotFoundError:
            return b""

    def _log_tail(self, offset: int) -> str:
        text = self._log_bytes(offset).decode(errors="replace").strip().splitlines()
        return "\n".join(text[-20:])


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False
