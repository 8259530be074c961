"""What every device backend offers the scenario engine and the pytest fixtures.

A backend turns a :class:`BoardSpec` (a line of the rig file, or ``--backend X --devices N``)
into :class:`Device` handles.  The interface is small on purpose (labgrid's protocols are the
model): observation of the board's outputs, stimulus of its inputs, and faults.  A backend
that cannot do something -- a real board's sensors measure the room, a Renode machine has no
USB power -- raises :class:`Unsupported` with a sentence that says so; the engine reports the
step that needed it instead of pretending.

MQTT traffic is not observed through the device: the harness watches the IoT Core (see
:mod:`harness.observer`), which is what the cloud side sees on AWS too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import ThingCredentials


class BackendError(Exception):
    """A backend could not bring a board up or talk to it (the message says what to do)."""


class Unsupported(BackendError):
    """The backend cannot do this on its kind of board."""


@dataclass(frozen=True)
class BoardSpec:
    """One board as the rig file (or the command line) describes it.

    ``options`` are the backend's own keys from the rig file (``port``, ``usb_location``,
    ``serial_number``, ``mac``, ``power``, ``platform``, ...), already validated by it.
    """

    name: str
    backend: str
    tags: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogLine:
    """One line of a device's console, stamped with the scenario's time base."""

    t: float
    device: str
    text: str


@runtime_checkable
class TimeBase(Protocol):
    """How a scenario waits: virtual time on emulated boards, wall time on hardware.

    All durations are seconds in this time base; ``now()`` starts near 0 for a fresh fleet.
    """

    @property
    def virtual(self) -> bool: ...

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass (virtual: advance the clock, running every timer due)."""

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Until ``predicate()`` is true (then True) or ``timeout`` has passed (False).
        The predicate is called from the waiting thread; it must be cheap."""


class IoTCoreAccess(Protocol):
    """What a backend needs from the IoT Core: where it is, and certificates for a thing."""

    @property
    def endpoint(self) -> Endpoint: ...

    def provision(self, thing_name: str) -> ThingCredentials: ...


@runtime_checkable
class Device(Protocol):
    """One board under test, whatever it runs on."""

    @property
    def name(self) -> str:
        """The thing name (its MQTT client id and the second level of its topics)."""

    @property
    def backend(self) -> str: ...

    # --- observation -----------------------------------------------------------------------

    def led(self) -> bool:
        """The GPIO7 LED (True = lit)."""

    def pixel(self) -> tuple[int, int, int]:
        """The WS2812's colour (r, g, b)."""

    def log(self) -> Sequence[LogLine]:
        """Every console line captured since the device was opened, oldest first."""

    def describe(self) -> dict[str, Any]:
        """Facts for reports: firmware version, port or process, MAC, ..."""

    @property
    def time(self) -> TimeBase:
        """The time base this board runs on (shared by every board of one virtual fleet)."""

    # --- stimulus --------------------------------------------------------------------------

    def set_sensors(self, values: Mapping[str, float]) -> None:
        """Fix sensor readings (``temperature``, ``humidity``, ``accel_x`` ...)."""

    def set_sensor_model(self, quantity: str, model: Mapping[str, Any]) -> None:
        """Drive one quantity by a model: ``{"kind": "sequence", "values": [...],
        "every": 60}``, ``{"kind": "noise", "mean": 24, "stddev": 0.5}``,
        ``{"kind": "csv", "file": "...", "column": "temperature"}``."""

    def press_button(self, hold: float = 0.1) -> None:
        """Press BOOT (GPIO9 low) for ``hold`` seconds of the time base."""

    # --- faults ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Hard reset (EN / RTS): the firmware boots again from flash."""

    def power_cycle(self, off_for: float = 0.0) -> None: ...

    def cut_power_at_write(self, nth: int) -> None:
        """Arm a power cut at the ``nth`` flash write from now (that write is torn); the board
        stays off until :meth:`power_cycle` or :meth:`reset`."""

    def skew_clock(self, seconds: float) -> None:
        """Move the device's wall clock (what ``current-time`` returns) by ``seconds``."""

    def set_network(self, *, down: bool = False, latency: float = 0.0, loss: float = 0.0) -> None:
        """Shape this device's connection to the IoT Core: ``down`` drops the connection and
        refuses new ones; ``latency`` (s) delays every chunk each way; ``loss`` (0..1) is the
        fraction of segments lost and retransmitted.  ``set_network()`` restores it."""

    def close(self) -> None:
        """Release the board (stop capture, close the port or process, unlock it)."""


class Backend(Protocol):
    """A kind of board.  Registered by name (see :mod:`harness.backends`)."""

    #: the name used in rig files and ``--backend``
    name: str

    def open(self, spec: BoardSpec, session: BackendSession) -> Device:
        """Bring the board up, provisioned for ``spec.name`` and connecting to the IoT Core
        (flash once per session: a backend may keep what it flashed in ``session``)."""


@dataclass
class BackendSession:
    """What the backends of one run share: the IoT Core, a work directory, the time base
    the devices run on (the emulated backend supplies a virtual one), and a place for
    backends to keep per-session state (a fleet, flashed-firmware fingerprints, locks)."""

    core: IoTCoreAccess
    workdir: Any  # pathlib.Path
    seed: int = 0
    #: True when the run mixes in boards that run on wall time: emulated boards then run on
    #: a real-time clock too, so one scenario has one time base.
    realtime: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: Called with (topic, payload) for every message the harness's observer receives.
    on_observed: list[Callable[[str, bytes], None]] = field(default_factory=list)
    #: The harness's observer (:class:`harness.observer.Observer`): a backend on virtual
    #: time puts a gate between it and its record.
    observer: Any = None

    def close(self) -> None:
        """Run every backend's session clean-up, newest first."""
        while self.closers:
            self.closers.pop()()
