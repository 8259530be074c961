"""``main.py`` of the real board: the firmware agent on an ESP32-C3-DevKit-RUST-1.

The board's counterpart of ``emulator/device/app.py``: read the device's config and
certificates from its own filesystem, start the same :class:`firmware.agent.core.Agent`
the emulator runs, carry out its actions (Wi-Fi + MQTT through :class:`UmqttLink`, HTTP
fetches, reboots) and feed it events: messages from umqtt's callback, the link going up
or down, ticks at the deadlines it asks for, BOOT button changes.  Nothing here decides
anything: when to reconnect and with what backoff, what to queue while offline, what a
message means, all come from the agent.

One thread, one loop (:meth:`Device.step`): read the network (non-blocking), the button,
tick the agent if its deadline has come, sleep until the next deadline or
:data:`POLL_MS`, whichever is sooner.  Network calls block (umqtt is synchronous), so a
timer can fire late by the length of a TLS handshake or a QoS 1 round trip.

On the board, copy ``firmware/`` to the filesystem and this file to ``/main.py`` (the
imports are absolute for that reason); holding BOOT while it starts skips the agent and
leaves the REPL free.  Needs ``/config.json``, the certificates it names and
``/wifi.json`` (see :mod:`firmware.ports.esp32c3.wifi`).
"""

import time

import machine
import requests

from firmware.agent.config import ConfigError, load_config, load_credentials
from firmware.agent.core import Agent
from firmware.agent.events import (
    Button,
    Connect,
    Connected,
    Disconnected,
    Fetch,
    Fetched,
    Message,
    Publish,
    PublishFailed,
    Reboot,
    Subscribe,
    Tick,
    Unsubscribe,
)
from firmware.agent.storage import Storage
from firmware.ports.esp32c3.board import Esp32c3Board
from firmware.ports.esp32c3.fs import LittleFs
from firmware.ports.esp32c3.mqtt import LinkError, UmqttLink
from firmware.ports.esp32c3.wifi import Station, load_settings

FIRMWARE_VERSION = "0.1.0"
POLL_MS = 20  # longest sleep between network and button polls


class Monotonic:
    """Seconds since boot from ``time.ticks_ms``, which wraps (every 2**30 ms, ~12 days,
    on MicroPython): the milliseconds are summed in an int, so this does not wrap.
    Call it at least once per half period (the main loop calls it every pass)."""

    def __init__(self):
        self._last = time.ticks_ms()
        self._ms = 0

    def now(self):
        t = time.ticks_ms()
        self._ms += time.ticks_diff(t, self._last)
        self._last = t
        return self._ms / 1000


class Device:
    """The agent, the board and the network, wired together (see the module docstring).

    Raises ConfigError (naming the file and field) if the device is not provisioned.
    ``jobs`` is the agent's jobs handler (:mod:`firmware.agent.jobs`), if any.
    """

    def __init__(self, board, fs, firmware_version=FIRMWARE_VERSION, jobs=None):
        self.board = board
        self.clock = Monotonic()
        storage = Storage(fs)
        config = load_config(storage)
        ca, cert, key = load_credentials(storage, config)
        self.station = Station(load_settings(storage))
        self.link = UmqttLink(config.thing_name, config.host, config.port, ca, cert, key)
        self.agent = Agent(config, board, fs, firmware_version, jobs=jobs, storage=storage)

    def start(self):
        self._run(self.agent.start(self.clock.now()))

    def run(self):
        self.start()
        while True:
            self.step()

    def step(self):
        """One pass of the main loop."""
        link = self.link
        lost = None
        if link.connected:
            try:
                link.poll()
            except LinkError as e:
                lost = str(e)
        # also what arrived while a publish or subscribe waited for its acknowledgement
        for topic, payload in link.take():
            self.feed(Message(self.clock.now(), topic, payload))
        if lost is not None:
            self.feed(Disconnected(self.clock.now(), lost))
        for pressed in self.board.button_changes():
            self.feed(Button(self.clock.now(), pressed))
        now = self.clock.now()
        deadline = self.agent.next_deadline()
        if deadline is not None and deadline <= now:
            self.feed(Tick(now))
            deadline = self.agent.next_deadline()
            now = self.clock.now()
        wait = POLL_MS
        if deadline is not None:
            if deadline <= now:
                return  # runnable work: no sleep
            wait = min(wait, int((deadline - now) * 1000) + 1)  # rounded up: no busy wait
        time.sleep_ms(wait)

    def feed(self, event):
        """Hand one event to the agent and carry out what it asks for."""
        self._run(self.agent.handle(event))

    # --- carrying out actions -------------------------------------------------------------

    def _run(self, actions):
        # Actions cause events (Connect -> Connected ...), which cause actions: run them in
        # order, without recursion.
        events = self._execute(actions)
        while events:
            event = events.pop(0)
            events.extend(self._execute(self.agent.handle(event)))

    def _execute(self, actions):
        events = []
        unsent = []  # publishes that did not go out: handed back in one PublishFailed
        link = self.link
        for a in actions:
            t = type(a)
            if t is Publish:
                if not link.connected:
                    unsent.append(a)
                    continue
                try:
                    link.publish(a.topic, a.payload, a.qos, a.retain)
                except LinkError as e:
                    unsent.append(a)
                    events.append(Disconnected(self.clock.now(), str(e)))
            elif t is Subscribe or t is Unsubscribe:
                if not link.connected:
                    continue  # the agent subscribes again after the next Connected
                try:
                    if t is Subscribe:
                        for topic in link.subscribe(a.filters):
                            self.board.console("mqtt: subscription to %s refused" % topic)
                    else:
                        link.unsubscribe(a.filters)
                except LinkError as e:
                    events.append(Disconnected(self.clock.now(), str(e)))
            elif t is Connect:
                events.append(self._connect())
            elif t is Fetch:
                events.append(self._fetch(a))
            elif t is Reboot:
                self.board.console("agent: rebooting (%s)" % a.reason)
                machine.reset()
        if unsent:
            events.append(PublishFailed(self.clock.now(), unsent))
        return events

    def _connect(self):
        problem = self.station.ensure()
        if problem is not None:
            return Disconnected(self.clock.now(), problem)
        try:
            present = self.link.connect()
        except LinkError as e:
            return Disconnected(self.clock.now(), str(e))
        return Connected(self.clock.now(), present)

    def _fetch(self, action):
        try:
            response = requests.get(action.url)
            try:
                if response.status_code != 200:
                    return Fetched(
                        self.clock.now(), action.request_id, error="HTTP %d" % response.status_code
                    )
                body = response.content
            finally:
                response.close()
        except Exception as e:  # OSError, or a malformed URL / response
            return Fetched(self.clock.now(), action.request_id, error="%s: %s" % (action.url, e))
        return Fetched(self.clock.now(), action.request_id, body=body)


def main(board=None, fs=None):
    """Boot: the maintenance escape, then the agent forever (a crash resets the board)."""
    board = board if board is not None else Esp32c3Board()
    if board.button_pressed():
        board.console("agent: BOOT held at start: not starting (REPL is free)")
        return None
    try:
        device = Device(board, fs if fs is not None else LittleFs())
    except ConfigError as e:
        board.console("agent: cannot start: %s" % e)
        return None
    try:
        device.run()
    except Exception as e:  # a bug in the port: start over rather than hang
        board.console("agent: port error: %r; resetting in 5 s" % (e,))
        time.sleep_ms(5000)
        machine.reset()
    return device


if __name__ == "__main__":
    main()
