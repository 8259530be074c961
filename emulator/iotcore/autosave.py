"""When the broker writes its persistence file, and the driver that makes it write often
without writing on every message.

What Mosquitto has not written is lost when it is killed (a crash, SIGKILL, the host losing
power); a graceful stop always writes. Its own choices are poor for tests: every N seconds
(its default is 1,800, so a crash loses up to half an hour of queued messages), or after every
main-loop pass that changed anything, which rewrites the whole file per message and cost
9-25x the throughput here (docs/iotcore.md, "Persistence"). So the default, ``max-rate:10``,
is the core's own: within 0.1 s of any traffic the broker read, the core asks it to write
(SIGUSR1), at most ten times a second. A crash then loses at most the last tenth of a second,
and an idle broker writes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MODES = "max-rate:N, every-change, changes:N, seconds:N or on-exit (N > 0)"
#: Mosquitto's own periodic save under ``max-rate``, in case the core (and with it the
#: driver) is gone while the broker runs on.
_BACKSTOP_SECONDS = 60


@dataclass(frozen=True)
class Autosave:
    """A persistence setting: ``mode`` is ``max-rate`` (saves per second at most),
    ``changes`` (after N changes; 1 is ``every-change``), ``seconds`` or ``on-exit``."""

    mode: str
    interval: int = 0

    @classmethod
    def parse(cls, text: str) -> Autosave:
        if text == "every-change":
            return cls("changes", 1)
        if text == "on-exit":
            return cls("on-exit")
        mode, _, count = text.partition(":")
        if mode in ("max-rate", "changes", "seconds") and count.isdigit() and int(count) > 0:
            if mode == "max-rate" and int(count) > 100:
                raise ValueError(f"autosave {text!r}: max-rate is at most 100 saves a second")
            return cls(mode, int(count))
        raise ValueError(f"autosave {text!r}: use {MODES}")

    def __str__(self) -> str:
        if self.mode == "on-exit":
            return "on-exit"
        if (self.mode, self.interval) == ("changes", 1):
            return "every-change"
        return f"{self.mode}:{self.interval}"

    @property
    def driven(self) -> bool:
        """Whether the core drives the saves (``max-rate``) rather than Mosquitto itself."""
        return self.mode == "max-rate"

    def settings(self) -> list[tuple[str, str]]:
        """The ``mosquitto.conf`` lines for this setting."""
        if self.mode == "on-exit":
            interval = 0
        elif self.driven:
            interval = _BACKSTOP_SECONDS
        else:
            interval = self.interval
        on_changes = "true" if self.mode == "changes" else "false"
        return [("autosave_interval", str(interval)), ("autosave_on_changes", on_changes)]


DEFAULT_AUTOSAVE = Autosave("max-rate", 10)


def bytes_read(pid: int) -> int | None:
    """What the process has read so far (sockets included: its traffic), ``None`` where
    /proc does not say (not Linux)."""
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


class SaveDriver:
    """Asks the broker to save within one period of traffic, at most once a period.

    Traffic is what the broker read: every message, subscription, connect and ping is a read,
    and its own save is not, so an idle broker is not asked again. Where reads cannot be seen
    it asks every period.
    """

    def __init__(
        self, rate: int, broker_pid: Callable[[], int | None], save: Callable[[], None]
    ) -> None:
        self.period = 1.0 / rate
        self._pid = broker_pid
        self._save = save
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: tuple[int, int | None] | None = None
        self.saves = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="iotcore-autosave", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.poll()

    def poll(self) -> None:
        pid = self._pid()
        if pid is None:
            return
        seen = (pid, bytes_read(pid))
        if seen[1] is None or seen != self._seen:
            self._save()
            self.saves += 1
        self._seen = seen
