"""Runs the sans-IO shadow and jobs cores for real: one lock, the clock, persistence, output.

MQTT requests (from the bridge's network thread), REST calls (from the API server's request
threads) and timer ticks all come through here, so the cores never see concurrency, every
change is on disk before its ``accepted`` goes out, and messages leave in the order the cores
produced them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from .clock import Clock
from .jobs import JobsService
from .limits import outgoing_problem
from .messages import Publish
from .shadow import ShadowService
from .store import StateStore

log = logging.getLogger(__name__)
T = TypeVar("T")

Sender = Callable[[Publish], None]


class ServiceHost:
    def __init__(
        self, shadows: ShadowService, jobs: JobsService, store: StateStore, clock: Clock
    ) -> None:
        self.shadows = shadows
        self.jobs = jobs
        self.store = store
        self.clock = clock
        self._lock = threading.RLock()
        self._send: Sender | None = None
        self._backlog: list[Publish] = []

    def load(self) -> None:
        """Read persisted shadows and jobs (before any traffic arrives)."""
        with self._lock:
            for key, data in self.store.load_shadows():
                try:
                    self.shadows.load(key, data)
                except (ValueError, KeyError, TypeError):  # damaged: one shadow, not the core
                    log.warning("the stored shadow %s cannot be used; it is dropped", key)
            for data in self.store.load_jobs():
                self.jobs.load(data)

    def attach(self, send: Sender | None) -> None:
        """Route output to ``send``; output produced while detached is held until then."""
        with self._lock:
            self._send = send
            if send is not None:
                backlog, self._backlog = self._backlog, []
                for message in backlog:
                    send(message)

    def run(self, operation: Callable[[float], tuple[T, list[Publish]]]) -> T:
        """Run one core operation at the current time, persist its changes, send its output."""
        with self._lock:
            result, publishes = operation(self.clock.now())
            self._persist()
            self._emit(publishes)
            return result

    def on_message(self, topic: str, payload: bytes) -> None:
        """A request arrived over MQTT; never raises, whatever the payload."""
        levels = topic.split("/", 4)
        service = levels[3] if len(levels) > 4 else None  # $aws/things/<thing>/<service>/...
        try:
            if service == "shadow":
                self.run(lambda now: (None, self.shadows.handle(topic, payload, now)))
            elif service == "jobs":
                self.run(lambda now: (None, self.jobs.handle(topic, payload, now)))
        except Exception:  # a bug must cost one answer, not the service
            log.exception("service failed on %s", topic)

    def tick(self, now: float | None = None) -> None:
        try:
            with self._lock:
                publishes = self.jobs.tick(self.clock.now() if now is None else now)
                self._persist()
                self._emit(publishes)
        except Exception:
            log.exception("jobs tick failed")

    def publish(self, message: Publish) -> None:
        with self._lock:
            self._emit([message])

    def _persist(self) -> None:
        for key in self.shadows.drain_changes():
            self.store.save_shadow(key, self.shadows.export(key))
        for job_id in self.jobs.drain_changes():
            self.store.save_job(job_id, self.jobs.export(job_id))

    def _emit(self, publishes: list[Publish]) -> None:
        # A message the broker would refuse drops the services' connection, and paho would
        # resend it on every reconnect: no device would be answered again. The services
        # refuse such requests themselves; this is the last line should one slip through.
        publishes = [m for m in publishes if not _refused_by_broker(m)]
        if self._send is None:
            self._backlog += publishes
            return
        for message in publishes:
            self._send(message)


def _refused_by_broker(message: Publish) -> bool:
    problem = outgoing_problem(message.topic, message.payload)
    if problem is not None:
        log.error("not publishing to %.200r: %s", message.topic, problem)
    return problem is not None
