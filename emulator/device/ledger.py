"""What is in flight between the parties of a virtual-time run, so that virtual time moves
only when nothing is, and what arrives is handed over in the same order on every run.

Why: emulated devices, the harness's observer and the IoT Core's services talk through a
real broker, on real sockets and threads; virtual time must not move while a message is
on its way (a status sent at t=0 would be seen at t=6), and messages that arrive at the
same virtual instant must be handled in an order that does not depend on how the host
scheduled the threads that carried them (or two runs of one scenario differ).

How: every party tells the ledger what it sends and what it receives.  For each message
sent, the ledger works out who will receive it -- the parties whose subscriptions match
its topic (a device's granted filters, the observer's, the services' request filters) --
and holds the clock until each of them has it.  Every message gets a *key* when it is
sent: the virtual instant, the sender's rank (the order parties joined) and the sender's
own count; an answer of the services takes its request's key plus its own position.
What a party receives is handed to it with :meth:`VirtualClock.call_settled`, keyed by
the receiver, its connection epoch (a connect or disconnect is a barrier: what came
before it stays before it) and the message's key, so the clock hands over what arrived at
one instant in the same order on every run, once nothing is in flight.

A party that is offline is not waited for.  What a persistent session (QoS 1) would queue
for it at the broker is owed to it, and waited for again when it reconnects with its
session present; what a sender had not got out when its link dropped is waited for again
when the link is back (QoS 1 is resent).  A message that never arrives -- refused by the
broker, lost with a QoS 0 session -- stops holding time after ``expire`` real seconds;
:attr:`expired` counts them, and a run reports it, because then time was not exact.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from emulator.board.clock import VirtualClock
from emulator.iotcore.client import topic_matches

Key = tuple[Any, ...]
Deliver = Callable[[], None]

#: Real seconds after which a message nobody received stops holding virtual time.
EXPIRE = 10.0


@dataclass(eq=False)
class _Record:
    key: Key
    sender: str
    topic: str
    payload: bytes
    qos: int
    waiting: set[str]
    deadline: float
    holding: bool = False
    handling: set[str] = field(default_factory=set)  # received, still being answered


@dataclass(eq=False)
class _Party:
    name: str
    rank: int
    filters: dict[str, int] = field(default_factory=dict)  # filter -> granted QoS
    no_local: bool = False
    connected: bool = True
    persistent: bool = True
    epoch: int = 0  # connection events so far
    owed: list[_Record] = field(default_factory=list)  # queued for it at the broker
    outbox: list[_Record] = field(default_factory=list)  # sent, not out when it dropped

    def granted(self, topic: str) -> int | None:
        """The best QoS its subscriptions get ``topic`` with, or None."""
        best: int | None = None
        for topic_filter, granted in self.filters.items():
            if topic_matches(topic_filter, topic):
                best = granted if best is None else max(best, granted)
        return best


@dataclass(frozen=True, eq=False)
class Receipt:
    """A request a party is answering (:meth:`Ledger.receiving`)."""

    key: Key
    receiver: str
    record: _Record | None


class Ledger:
    """The messages in flight of one run on ``clock``; thread-safe (see the module
    docstring).  ``expire`` is in real seconds."""

    def __init__(self, clock: VirtualClock, *, expire: float = EXPIRE) -> None:
        self.clock = clock
        self.expire = expire
        #: Real seconds; an attribute so tests can replace it.
        self.real_clock: Callable[[], float] = time.monotonic
        self._lock = threading.Lock()
        self._parties: dict[str, _Party] = {}
        self._sent: dict[str, int] = {}
        self._answers: dict[Key, int] = {}  # answers sent so far per request
        # topic -> the parties subscribed to it, with their QoS (cleared when a subscription
        # changes): a fleet publishes the same few topics over and over.
        self._routes: dict[str, list[tuple[_Party, int]]] = {}
        self._pending: dict[tuple[str, bytes], deque[_Record]] = {}
        self._unexpected = 0
        self._expected: dict[tuple[str, str], list[float]] = {}  # (receiver, topic) -> deadlines
        self._drops: dict[str, list[float]] = {}  # party -> deadlines of drops to wait for
        self.expired = 0
        self.unexpected = 0
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None

    # --- parties -------------------------------------------------------------------------------

    def party(
        self,
        name: str,
        filters: Iterable[str] = (),
        *,
        qos: int = 1,
        no_local: bool = False,
        persistent: bool = True,
    ) -> None:
        """Declare a party (the observer, the services, a device) and what it listens to."""
        with self._lock:
            party = self._party(name)
            party.no_local = no_local
            party.persistent = persistent
            for topic_filter in filters:
                party.filters[topic_filter] = qos
            self._routes.clear()

    def _party(self, name: str) -> _Party:
        party = self._parties.get(name)
        if party is None:
            party = _Party(name, len(self._parties))
            self._parties[name] = party
        return party

    def subscribed(self, name: str, granted: Iterable[tuple[str, int]]) -> None:
        """``name``'s subscriptions the broker granted (filter, QoS)."""
        with self._lock:
            party = self._party(name)
            for topic_filter, qos in granted:
                party.filters[topic_filter] = qos
            self._routes.clear()

    def unsubscribed(self, name: str, filters: Iterable[str]) -> None:
        with self._lock:
            party = self._party(name)
            for topic_filter in filters:
                party.filters.pop(topic_filter, None)
            self._routes.clear()

    def up(self, name: str, session_present: bool = True) -> None:
        """``name`` is connected again; with its session present it gets what was queued
        for it and resends what it had not got out."""
        holds = 0
        with self._lock:
            party = self._party(name)
            party.connected = True
            owed, party.owed = party.owed, []
            outbox, party.outbox = party.outbox, []
            if not session_present:
                party.filters.clear()  # a new session: it subscribes again
                self._routes.clear()
                return
            deadline = self.real_clock() + self.expire
            for record in owed:
                record.waiting.add(name)
                holds += self._track(record, deadline)
            for record in outbox:
                if record.waiting:
                    holds += self._track(record, deadline)
        for _ in range(holds):
            self.clock.hold()

    def expect_down(self, name: str) -> None:
        """``name``'s connection is about to be cut by someone else (a broker restart, a
        revoked certificate): hold time until its link has noticed, so the device sees the
        drop at this instant, not whenever its socket reports it."""
        with self._lock:
            if not self._party(name).connected:
                return
            self._drops.setdefault(name, []).append(self.real_clock() + self.expire)
        self.clock.hold()

    def down(self, name: str) -> None:
        """``name``'s connection is gone: stop waiting for it (and for what it was sending)."""
        releases = 0
        with self._lock:
            party = self._party(name)
            party.connected = False
            releases += len(self._drops.pop(name, ()))
            for queue in list(self._pending.values()):
                for record in list(queue):
                    if name in record.waiting and not record.handling:
                        record.waiting.discard(name)
                        if party.persistent and record.qos >= 1:
                            party.owed.append(record)
                    if record.sender == name and record.qos >= 1:
                        party.outbox.append(record)
                    if record.holding and (record.sender == name or not record.waiting):
                        record.holding = False
                        releases += 1
                    if not record.waiting and not record.handling:
                        self._forget(record)
        for _ in range(releases):
            self.clock.release()

    def refused(self, name: str, filters: Iterable[str]) -> None:
        """The broker refused these subscriptions of ``name``: it will not get what they
        match, so nothing waits for it to."""
        releases = 0
        with self._lock:
            party = self._party(name)
            for topic_filter in filters:
                party.filters.pop(topic_filter, None)
            self._routes.clear()
            for queue in list(self._pending.values()):
                for record in list(queue):
                    if name in record.waiting and party.granted(record.topic) is None:
                        record.waiting.discard(name)
                        if not record.waiting and not record.handling:
                            self._forget(record)
                            if record.holding:
                                record.holding = False
                                releases += 1
        for _ in range(releases):
            self.clock.release()

    def rank(self, name: str) -> int:
        with self._lock:
            return self._party(name).rank

    # --- traffic -------------------------------------------------------------------------------

    def sent(self, sender: str, topic: str, payload: bytes, qos: int = 1, cause: Key = ()) -> Key:
        """``sender`` is about to publish; returns the message's key.  ``cause``: the key of
        the request this answers (the services), so answers sort with their requests."""
        hold = False
        with self._lock:
            party = self._party(sender)
            if cause:
                n = self._answers.get(cause, 0)
                self._answers[cause] = n + 1
                key: Key = (*cause, n)
            else:
                n = self._sent.get(sender, 0)
                self._sent[sender] = n + 1
                key = (self.clock.now(), party.rank, n)
            record = _Record(key, sender, topic, payload, qos, set(), 0.0)
            for other, granted in self._route(topic):
                if other.no_local and other.name == sender:
                    continue
                if other.connected:
                    record.waiting.add(other.name)
                elif other.persistent and min(granted, qos) >= 1:
                    other.owed.append(record)
            if record.waiting:
                hold = bool(self._track(record, self.real_clock() + self.expire))
        if hold:
            self.clock.hold()
        return key

    def _route(self, topic: str) -> list[tuple[_Party, int]]:
        route = self._routes.get(topic)
        if route is None:
            route = []
            for party in self._parties.values():
                granted = party.granted(topic)
                if granted is not None:
                    route.append((party, granted))
            if len(self._routes) > 4096:
                self._routes.clear()
            self._routes[topic] = route
        return route

    def received(
        self, receiver: str, topic: str, payload: bytes, deliver: Deliver | None = None
    ) -> Key:
        """``receiver`` has the message; ``deliver`` (if given) is run on the clock's thread,
        in key order with the other arrivals of this instant.  Returns the message's key."""
        record, key, order = self._take(receiver, topic, payload, keep=False)
        if deliver is not None:
            self.clock.call_settled(order, deliver)
        if record is not None:
            self._finish(record)
        elif self._met(receiver, topic):
            self.clock.release()
        return key

    def _met(self, receiver: str, topic: str) -> bool:
        with self._lock:
            waits = self._expected.get((receiver, topic))
            if not waits:
                return False
            waits.pop(0)
            if not waits:
                del self._expected[(receiver, topic)]
            return True

    def notify(self, receiver: str, deliver: Deliver) -> None:
        """Hand ``receiver`` a connection event (connected, disconnected): what it received
        before stays before, what it receives after comes after."""
        with self._lock:
            party = self._party(receiver)
            party.epoch += 1
            order = (party.rank, party.epoch, 0)
        self.clock.call_settled(order, deliver)

    def receiving(self, receiver: str, topic: str, payload: bytes) -> Receipt:
        """Like :meth:`received` for a party that answers at once (the services): time
        stays held until :meth:`answered`, so its answers are in flight before the request
        stops being.  The receipt's ``key`` is the ``cause`` of the answers."""
        record, key, _ = self._take(receiver, topic, payload, keep=True)
        return Receipt(key, receiver, record)

    def answered(self, receipt: Receipt) -> None:
        with self._lock:
            self._answers.pop(receipt.key, None)
            record = receipt.record
            if record is None:
                return
            record.handling.discard(receipt.receiver)
        self._finish(record)

    def expect(self, receiver: str, topic: str) -> None:
        """``receiver`` will get a message on ``topic`` from a sender the ledger does not
        hear from (a cloud service on AWS, after an API call): hold time until it does."""
        with self._lock:
            self._expected.setdefault((receiver, topic), []).append(self.real_clock() + self.expire)
        self.clock.hold()

    def _take(
        self, receiver: str, topic: str, payload: bytes, *, keep: bool
    ) -> tuple[_Record | None, Key, Key]:
        """(the record, the message's key, the order to hand it over in)."""
        with self._lock:
            party = self._party(receiver)
            queue = self._pending.get((topic, payload))
            if queue:
                for record in queue:
                    if receiver in record.waiting:
                        record.waiting.discard(receiver)
                        if keep:
                            record.handling.add(receiver)
                        order = (party.rank, party.epoch, 1, *record.key)
                        return record, record.key, order
            # Not expected: sent by someone the ledger does not hear from, a retained
            # message, or one that expired.  It goes after everything of this instant.
            self._unexpected += 1
            self.unexpected += 1
            key = (self.clock.now(), math.inf, self._unexpected)
            return None, key, (party.rank, party.epoch, 1, *key)

    def _finish(self, record: _Record) -> None:
        release = False
        with self._lock:
            if record.waiting or record.handling:
                return
            self._forget(record)
            if record.holding:
                record.holding = False
                release = True
        if release:
            self.clock.release()

    def _track(self, record: _Record, deadline: float) -> int:
        """Put ``record`` in the pending queue (lock held); 1 if it now holds the clock."""
        queue = self._pending.setdefault((record.topic, record.payload), deque())
        if record not in queue:
            queue.append(record)
        record.deadline = deadline
        if record.holding:
            return 0
        record.holding = True
        return 1

    def _forget(self, record: _Record) -> None:
        queue = self._pending.get((record.topic, record.payload))
        if queue is not None and record in queue:
            queue.remove(record)
            if not queue:
                del self._pending[(record.topic, record.payload)]

    # --- expiry --------------------------------------------------------------------------------

    def expire_old(self) -> int:
        """Stop waiting for what should have arrived ``expire`` real seconds ago."""
        now = self.real_clock()
        releases = 0
        with self._lock:
            for name, drops in list(self._drops.items()):
                stale = [d for d in drops if d <= now]
                if stale:
                    drops[:] = [d for d in drops if d > now]
                    if not drops:
                        del self._drops[name]
                    self.expired += len(stale)
                    releases += len(stale)
            for key, waits in list(self._expected.items()):
                stale = [d for d in waits if d <= now]
                if stale:
                    waits[:] = [d for d in waits if d > now]
                    if not waits:
                        del self._expected[key]
                    self.expired += len(stale)
                    releases += len(stale)
            for queue in list(self._pending.values()):
                for record in list(queue):
                    if record.holding and record.deadline <= now:
                        record.holding = False
                        record.waiting.clear()
                        record.handling.clear()
                        self._forget(record)
                        self.expired += 1
                        releases += 1
        for _ in range(releases):
            self.clock.release()
        return releases

    def start(self, every: float = 0.25) -> Ledger:
        """Expire on a thread of its own (the clock waits without asking anyone)."""
        if self._sweeper is None:

            def sweep() -> None:
                while not self._stop.wait(every):
                    self.expire_old()

            self._sweeper = threading.Thread(target=sweep, name="ledger-expiry", daemon=True)
            self._sweeper.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._sweeper is not None:
            self._sweeper.join(timeout=2)
            self._sweeper = None

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(1 for q in self._pending.values() for r in q if r.holding)
