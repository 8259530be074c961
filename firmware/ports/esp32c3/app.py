"""The app of the real board: the firmware agent on an ESP32-C3-DevKit-RUST-1.

It lives in an app slot (``/slots/<a|b>/firmware/ports/esp32c3/app.py``) and is started by
the board's never-updated ``/main.py`` (:mod:`.boot_main`), which chose the slot and put it
first on ``sys.path``; so every import here is absolute and comes from the same slot.

The board's counterpart of ``emulator/device/app.py``: read the device's config and
certificates from its own filesystem, start the same :class:`firmware.agent.core.Agent`
the emulator runs, with the OTA job handler (:func:`firmware.agent.ota.handler`), carry out
its actions (Wi-Fi + MQTT through :class:`UmqttLink`, HTTP fetches and downloads, reboots)
and feed it events: messages from umqtt's callback, the link going up or down, ticks at
the deadlines it asks for, BOOT button changes, the chunks of a download.  Nothing here
decides anything: when to reconnect and with what backoff, what to queue while offline,
what a message means, whether an update is good, all come from the agent.

One thread, one loop (:meth:`Device.step`): read the network (non-blocking), read one chunk
of a download in progress, the button, tick the agent if its deadline has come, sleep until
the next deadline or :data:`POLL_MS`, whichever is sooner (not at all while a download
runs).  Network calls block (umqtt is synchronous), so a timer can fire late by the length
of a TLS handshake, a QoS 1 round trip or one download read.

The firmware version the agent reports is the slot's (``slot.json``, written when the slot
was installed), not a constant of the code: a bundle's version is what it was built as.
"""

import json
import time

import machine
import requests

from firmware.agent.config import ConfigError, load_config, load_credentials
from firmware.agent.core import Agent
from firmware.agent.events import (
    Button,
    Chunk,
    Connect,
    Connected,
    Disconnected,
    Download,
    Downloaded,
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
from firmware.agent.ota import handler as ota_handler
from firmware.agent.storage import Storage
from firmware.agent.version import FIRMWARE_VERSION
from firmware.boot.selector import slot_dir
from firmware.ota.version import VersionError
from firmware.ota.version import parse as parse_version
from firmware.ports.esp32c3.board import Esp32c3Board
from firmware.ports.esp32c3.fs import LittleFs
from firmware.ports.esp32c3.http import TIMEOUT, DownloadError, Stream
from firmware.ports.esp32c3.mqtt import LinkError, UmqttLink
from firmware.ports.esp32c3.wifi import Station, load_settings

POLL_MS = 20  # longest sleep between network and button polls


class SlotError(Exception):
    """The slot's marker (``slot.json``) is missing or says no usable version."""


def slot_version(fs, slot):
    """The version of the firmware in ``slot``, from its ``slot.json``; for a board without
    slots (the old layout, ``slot`` None) the code's own :data:`FIRMWARE_VERSION`."""
    if slot is None:
        return FIRMWARE_VERSION
    path = slot_dir(slot) + "/slot.json"
    raw = fs.read(path)
    if raw is None:
        raise SlotError("%s: missing (the slot was never installed whole)" % path)
    try:
        marker = json.loads(raw.decode())
    except (ValueError, UnicodeError):
        raise SlotError("%s: not valid JSON" % path)
    version = marker.get("version") if isinstance(marker, dict) else None
    try:
        parse_version(version)
    except VersionError as e:
        raise SlotError("%s: version: %s" % (path, e.message))
    return version


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
    ``firmware_version`` defaults to the slot's (:func:`slot_version`); ``slot`` is the app
    slot this code runs from (None: the old layout).  ``jobs`` is the agent's jobs handler;
    by default the OTA handler, trusting the keys the config names (``ota.trust``).
    """

    def __init__(self, board, fs, firmware_version=None, jobs=None, slot=None):
        self.board = board
        self.clock = Monotonic()
        self.slot = slot
        if firmware_version is None:
            firmware_version = slot_version(fs, slot)
        self.firmware_version = firmware_version
        storage = Storage(fs)
        config = load_config(storage)
        ca, cert, key = load_credentials(storage, config)
        self.station = Station(load_settings(storage))
        self.link = UmqttLink(config.thing_name, config.host, config.port, ca, cert, key)
        if jobs is None:
            jobs = ota_handler(config, storage, fs, firmware_version, slot)
            for problem in jobs.problems:
                board.console("ota: trust: %s" % problem)
        self.agent = Agent(config, board, fs, firmware_version, jobs=jobs, storage=storage)
        self.transfer = None  # the Download in progress: (request id, http.Stream)

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
        if self.transfer is not None:
            self._transfer_step()
        for pressed in self.board.button_changes():
            self.feed(Button(self.clock.now(), pressed))
        now = self.clock.now()
        deadline = self.agent.next_deadline()
        if deadline is not None and deadline <= now:
            self.feed(Tick(now))
            deadline = self.agent.next_deadline()
            now = self.clock.now()
        if self.transfer is not None:
            return  # the download goes on at once: no sleep
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
            elif t is Download:
                failed = self._download(a)
                if failed is not None:
                    events.append(failed)
            elif t is Reboot:
                self.board.console("agent: rebooting (%s)" % a.reason)
                self._stop_transfer()
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
            response = requests.get(action.url, timeout=TIMEOUT)
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

    # --- downloads --------------------------------------------------------------------------

    def _download(self, action):
        """Open the GET of a ``Download`` (replacing one in progress); its chunks are read
        one per pass of the loop (:meth:`_transfer_step`).  Returns the ``Downloaded`` that
        ends it at once when it cannot even start, else None."""
        self._stop_transfer()
        if not self.station.wlan.isconnected():
            return Downloaded(self.clock.now(), action.request_id, "Wi-Fi is down")
        try:
            stream = Stream(action.url, action.offset)
        except DownloadError as e:
            return Downloaded(self.clock.now(), action.request_id, e.message, e.status)
        self.transfer = (action.request_id, stream)
        return None

    def _transfer_step(self):
        """Read one chunk of the download in progress and hand it to the agent; at its end
        (or when it broke) the ``Downloaded``."""
        request_id, stream = self.transfer
        if not self._wanted(request_id):
            self._stop_transfer()  # the job was cancelled or failed: stop reading
            return
        try:
            data = stream.read()
        except DownloadError as e:
            self.transfer = None
            self.feed(Downloaded(self.clock.now(), request_id, e.message, e.status))
            return
        if data is None:
            self.transfer = None
            self.feed(Downloaded(self.clock.now(), request_id))
            return
        self.feed(Chunk(self.clock.now(), request_id, data))

    def _wanted(self, request_id):
        """Whether the agent still waits for this download (the jobs handler says)."""
        jobs = self.agent.jobs
        return jobs is not None and jobs.wants_download(request_id)

    def _stop_transfer(self):
        if self.transfer is not None:
            self.transfer[1].close()
            self.transfer = None


def on_trial(record, slot):
    """Whether ``slot`` is booting on trial (a pending update the selector counts)."""
    return slot is not None and isinstance(record, dict) and record.get("pending") == slot


def main(slot=None, record=None, root="", console=None, board=None, fs=None):
    """Start the agent and run it forever; called by the board's ``/main.py`` with the slot
    it chose (None: the old layout) and the boot record.

    A board that is not provisioned says what is missing and returns (the REPL stays free),
    except on a trial boot of an update: then the error goes up to ``/main.py``, which
    resets, so the selector counts the failed boot and goes back to the old slot.  Any other
    exception goes up too (``/main.py`` prints it and resets the board).
    """
    board = board if board is not None else Esp32c3Board()
    if console is not None:
        board.console = console
    fs = fs if fs is not None else LittleFs(root)
    version = slot_version(fs, slot)
    try:
        device = Device(board, fs, version, slot=slot)
    except ConfigError as e:
        board.console("agent: cannot start: %s" % e)
        if on_trial(record, slot):
            raise
        return None
    where = "slot %s" % slot if slot is not None else "the filesystem root (no slots)"
    trial = " on trial" if on_trial(record, slot) else ""
    board.console("agent: firmware %s from %s%s" % (version, where, trial))
    device.run()
    return device
