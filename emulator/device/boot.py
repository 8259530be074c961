"""What an emulated board's ``main.py`` does first: choose the app slot with the boot
selector, and load that slot's firmware.

Why apart from the app: the app (:mod:`emulator.device.app`) drives an agent; which agent
-- which code -- is decided here, exactly as the board's ``main.py`` decides it: the
never-updated selector (:mod:`firmware.boot.selector`) picks the slot and counts a trial
boot, and the slot's own modules provide the agent, its events, its storage and its
config loader.  The emulator's own parts (links, the ledger) speak this checkout's event
classes; :meth:`Firmware.event` translates them for a slot on another version.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from firmware.boot import selector

from .slots import SlotCode, SlotError, load


class BootFailure(Exception):
    """The slot's code could not even be loaded (a broken update): the board resets."""


@dataclass(frozen=True)
class Firmware:
    """The firmware a board booted, and the handles the app needs from it."""

    code: SlotCode
    record: dict[str, Any] | None  # the boot record (None: no slots)
    events: ModuleType
    agent_class: type  # the slot's Agent with each action stamped (see stamped())
    storage_class: type
    load_config: Callable[..., Any]
    load_credentials: Callable[..., Any]
    config_error: type[Exception]
    ota: ModuleType | None  # the slot's OTA job handler module, if it has one

    @property
    def version(self) -> str:
        return self.code.version

    @property
    def slot(self) -> str | None:
        return self.code.slot

    def event(self, event: object) -> object:
        """``event`` (made by the emulator with this checkout's classes) as the slot's."""
        cls = getattr(self.events, type(event).__name__, None)
        if cls is None or cls is type(event):
            return event
        out = cls.__new__(cls)
        for name in type(event).__slots__:  # type: ignore[attr-defined]
            setattr(out, name, getattr(event, name))
        return out


def boot(fs: Any) -> Firmware:
    """Run the selector and load the chosen slot; raises :class:`BootFailure`."""
    slot, record = selector.choose(fs)
    try:
        code = load(fs, slot)
        core = code.module("agent.core")
        config = code.module("agent.config")
        storage = code.module("agent.storage")
        events = code.module("agent.events")
        try:
            ota: ModuleType | None = code.module("agent.ota")
        except ImportError:
            ota = None
    except SlotError as exc:  # the slot is not one this board can run: the message says why
        raise BootFailure(f"slot {slot}: {exc}") from exc
    except Exception as exc:  # a SyntaxError in a bundle is as fatal as a missing file
        raise BootFailure(f"slot {slot}: {type(exc).__name__}: {exc}") from exc
    return Firmware(
        code,
        record,
        events,
        stamped(core.Agent),
        storage.Storage,
        config.load_config,
        config.load_credentials,
        config.ConfigError,
        ota,
    )


@functools.cache
def stamped(agent_class: Any) -> type:
    """The firmware's agent, unchanged but for one thing: every action it emits is stamped
    with the board time at which it was emitted (mid-slice, see :mod:`.app`)."""

    def __init__(self: Any, *args: Any, stamp: Callable[[], float], **kwargs: Any) -> None:
        agent_class.__init__(self, *args, **kwargs)
        self._stamp = stamp
        self._stamps = []

    def emit(self: Any, action: object) -> None:
        agent_class.emit(self, action)
        self._stamps.append(self._stamp())

    def take_stamps(self: Any) -> list[float]:
        stamps, self._stamps = self._stamps, []
        return list(stamps)

    return type(
        "StampedAgent",
        (agent_class,),
        {"__init__": __init__, "emit": emit, "take_stamps": take_stamps},
    )
