"""A fleet of emulated devices on one virtual clock, connected to an IoT Core.

The clock runs on the fleet's own thread with trio-style autojump: while anything is due
it runs; when nothing has happened for ``autojump`` real seconds (time for MQTT round trips
to land), virtual time jumps to the next deadline.  A 60-second telemetry loop therefore
takes a few tens of milliseconds per virtual minute, while messages to and from the broker
still arrive at the virtual instant they belong to.

Boards, their sensors and the agents are not thread-safe: touch them through
:meth:`Fleet.call`, which runs a function on the clock's thread and returns its result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from emulator.board.clock import Clock, VirtualClock
from emulator.board.models import Environment
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import DEFAULT_POLICY_NAME, Provisioner, ThingCredentials

from .app import Trace
from .device import DeviceIdentity, EmulatedDevice, build_device
from .link import LinkMonitor
from .network import IoTCoreNetwork

T = TypeVar("T")

#: A policy for the harness's own client: it reads and writes every topic.
OBSERVER_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}],
}


class IoTCoreAccess(Protocol):
    """What a fleet needs from an IoT Core: where it is, and a way to provision things.
    :class:`~emulator.iotcore.core.LocalIoTCore` is one; :class:`RemoteIoTCore` wraps any
    other (one running in another process, or AWS) through its endpoint."""

    @property
    def endpoint(self) -> Endpoint: ...

    def provision(
        self,
        thing_name: str,
        *,
        policy_name: str = ...,
        policy_document: Mapping[str, Any] | None = None,
    ) -> ThingCredentials: ...


class RemoteIoTCore:
    """An IoT Core reached only through its endpoint: provisioning goes through boto3."""

    def __init__(self, endpoint: Endpoint, things_dir: Path) -> None:
        self._endpoint = endpoint
        self._provisioner = Provisioner(endpoint, things_dir)

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    def provision(
        self,
        thing_name: str,
        *,
        policy_name: str = DEFAULT_POLICY_NAME,
        policy_document: Mapping[str, Any] | None = None,
    ) -> ThingCredentials:
        return self._provisioner.provision(
            thing_name, policy_name=policy_name, policy_document=policy_document
        )


def identity_for(
    core: IoTCoreAccess, credentials: ThingCredentials, **options: Any
) -> DeviceIdentity:
    """What goes on a device's flash for a thing provisioned by ``core``; ``address=(host,
    port)`` makes it connect somewhere else (a fault proxy in front of the broker)."""
    endpoint = core.endpoint
    host, port = options.pop("address", None) or (endpoint.mqtt_host, endpoint.mqtt_port)
    return DeviceIdentity(
        credentials.thing_name,
        host,
        port,
        Path(credentials.ca_file).read_bytes(),
        Path(credentials.cert_file).read_bytes(),
        Path(credentials.key_file).read_bytes(),
        **options,
    )


class Fleet:
    def __init__(
        self,
        core: IoTCoreAccess,
        workdir: Path,
        *,
        clock: Clock | None = None,
        autojump: float = 0.05,
        trace: Callable[[str, str, dict[str, Any]], None] | None = None,
        monitor: LinkMonitor | None = None,
    ) -> None:
        self.core = core
        self.clock: Clock = (
            clock if clock is not None else VirtualClock(autojump_threshold=autojump)
        )
        self.network = IoTCoreNetwork(workdir / "links", monitor=monitor)
        self.devices: dict[str, EmulatedDevice] = {}
        self.credentials: dict[str, ThingCredentials] = {}
        self._trace = trace
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._error: BaseException | None = None

    # --- building -------------------------------------------------------------------------

    def add(
        self,
        thing_name: str,
        *,
        env: Environment | None = None,
        seed: int | None = None,
        **identity_options: Any,
    ) -> EmulatedDevice:
        """Provision a thing and boot a virtual board for it (on the clock's thread)."""
        credentials = self.core.provision(thing_name)
        self.credentials[thing_name] = credentials
        identity = identity_for(self.core, credentials, **identity_options)
        trace = self._device_trace(thing_name)
        device = self.call(
            lambda: build_device(
                identity, self.network, clock=self.clock, env=env, trace=trace, seed=seed
            )
        )
        self.devices[thing_name] = device
        return device

    def remove(self, thing_name: str) -> None:
        """Power the device off for good and close its link (its thing stays provisioned)."""
        device = self.devices.pop(thing_name, None)
        if device is not None:
            self.call(lambda: device.board.power_cut() if device.board.powered else None)
        link = self.network.links.pop(thing_name, None)
        if link is not None:
            link.close()

    def _device_trace(self, thing_name: str) -> Trace | None:
        sink = self._trace
        if sink is None:
            return None

        def trace(kind: str, fields: dict[str, Any]) -> None:
            sink(thing_name, kind, fields)

        return trace

    # --- running --------------------------------------------------------------------------

    def start(self) -> Fleet:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="fleet-clock", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.devices:  # no device yet: time has nothing to move
                    self._stop.wait(0.02)
                    self._drain()
                    continue
                self.clock.run_until(self.clock.now() + 3600, stop=self._stop.is_set)
        except BaseException as exc:  # surfaced by call() and stop()
            self._error = exc

    def _drain(self) -> None:
        """Run what other threads posted, without letting time pass."""
        self.clock.run_until(self.clock.now())

    def call(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the clock's thread (or directly if the fleet is not running)."""
        if self._thread is None or threading.current_thread() is self._thread:
            return fn()
        done = threading.Event()
        box: list[Any] = []

        def run() -> None:
            try:
                box.append((True, fn()))
            except BaseException as exc:
                box.append((False, exc))
            finally:
                done.set()

        self.clock.call_soon(run)
        if not done.wait(timeout):
            raise TimeoutError(f"the fleet's clock thread did not run the call within {timeout}s")
        ok, value = box[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def now(self) -> float:
        return self.clock.now()

    def wait_ready(self, *things: str, timeout: float = 30.0) -> None:
        """Until each device is connected and its subscriptions are acknowledged by the
        broker (before that, a message sent to it can be missed, as on AWS)."""
        deadline = time.monotonic() + timeout
        names = things or tuple(self.devices)
        while True:
            waiting = [t for t in names if not self._ready(t)]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready within {timeout}s: {', '.join(waiting)}")
            time.sleep(0.02)

    def _ready(self, thing: str) -> bool:
        link = self.network.links.get(thing)
        device = self.devices.get(thing)
        if link is None or device is None:
            return False
        # The agent first: it asks for its subscriptions while it handles the connect, so
        # only after that does "no SUBACK outstanding" on the link mean "subscribed".
        if not self.call(lambda: device.agent is not None and device.agent.connected):
            return False
        return link.ready

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self.clock.call_soon(lambda: None)  # wake the clock if it waits for work
            self._thread.join(timeout=10)
            self._thread = None
        for device in self.devices.values():
            if device.board.powered:
                device.board.power_cut()
        self.network.close()
        if self._error is not None:
            raise RuntimeError("the fleet's clock thread failed") from self._error

    def __enter__(self) -> Fleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the harness's view ---------------------------------------------------------------

    def observer_credentials(self, name: str = "steelhil-observer") -> ThingCredentials:
        """A client identity that may read every device's topics (the harness's eyes)."""
        return self.core.provision(
            name, policy_name="steelhil-observer", policy_document=OBSERVER_POLICY
        )
