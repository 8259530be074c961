"""Finding and stopping the processes a detached local IoT Core left running.

``steelhil iotcore down`` must stop what ``up`` started even when ``up`` itself is gone (killed
with SIGKILL, say) and the broker it supervised was restarted under a new pid since. The
broker writes its own pid file, and its command line names the configuration in the state
directory, so a broker is found by either, and only a process whose command line names that
configuration is ever signalled (a pid may have been reused by something else).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("State:"):
                return "zombie" not in line and "(dead)" not in line
    except OSError:
        pass
    return True


def command_line(pid: int) -> str | None:
    """The process's command line (Linux), ``None`` where it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def is_ours(pid: int, needle: str) -> bool:
    """Whether ``pid``'s command line contains ``needle``; true where it cannot be read
    (no /proc: macOS), since the pid file's owner is then the best evidence there is."""
    line = command_line(pid)
    if line is None:
        return not Path("/proc").is_dir()
    return needle in line


def brokers_of(conf_path: Path, pid_file: Path) -> list[int]:
    """Running Mosquitto processes started with ``conf_path``: the pid file's, and any other
    whose command line names it (found through /proc where there is one)."""
    candidates: list[int] = []
    try:
        candidates.append(int(pid_file.read_text().strip()))
    except (OSError, ValueError):
        pass
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if entry.name.isdigit():
                line = command_line(int(entry.name)) or ""
                if "mosquitto" in line and str(conf_path) in line:
                    candidates.append(int(entry.name))
    found = []
    for pid in dict.fromkeys(candidates):
        if alive(pid) and is_ours(pid, str(conf_path)):
            found.append(pid)
    return found


def stop(pid: int, timeout: float) -> bool:
    """SIGTERM, then SIGKILL after ``timeout``; True once the process is gone."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not alive(pid):
            return True
    return False
