"""Faults: network, broker, power, clock, certificates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from .registry import Outcome, StepType, step
from .schema import Field, Fields

if TYPE_CHECKING:
    from .context import RunContext


@step
class Network(StepType):
    key = "network"
    kind = "fault"
    doc = (
        "Drop (`down: true`) or degrade (`latency`, `loss`) a device's network; with `for` it "
        "is restored after that long, otherwise it stays until a `network: {restore: true}`."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "down": Field("boolean"),
        "latency": Field("duration", doc="added each way"),
        "loss": Field("number", minimum=0, maximum=1, doc="fraction of segments lost"),
        "for": Field("duration", doc="restore after this long (the step waits)"),
        "restore": Field("boolean", doc="end an earlier fault"),
    }

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        device = run.device(args["device"])
        if args.get("restore"):
            device.set_network()
            run.event("fault", args["device"], "network restored")
            return Outcome()
        down = bool(args.get("down", False))
        latency = float(args.get("latency", 0.0))
        loss = float(args.get("loss", 0.0))
        device.set_network(down=down, latency=latency, loss=loss)
        shape = {"down": down, "latency": latency, "loss": loss}
        run.event("fault", args["device"], f"network {shape}", shape)
        if "for" in args:
            run.time.sleep(args["for"])
            device.set_network()
            run.event("fault", args["device"], "network restored")
        return Outcome()


@step
class BrokerRestart(StepType):
    key = "broker_restart"
    kind = "fault"
    doc = "Restart the MQTT broker (local IoT Core), down for `down_for` real seconds."
    fields: ClassVar[Fields] = {"down_for": Field("duration", doc="default 0")}
    scalar_field = "down_for"

    def title(self, args: dict[str, Any]) -> str:
        return f"restart the broker (down {args.get('down_for', 0):g}s)"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        run.event("fault", None, "broker restart")
        for device in run.devices.values():  # each sees the drop at this instant
            _expect_disconnect(device)
        run.core.restart_broker(down_for=args.get("down_for", 0.0))
        return Outcome()


def _expect_disconnect(device: Any) -> None:
    """Backends on virtual time wait for a drop the broker causes to reach the device."""
    expect = getattr(device, "expect_disconnect", None)
    if expect is not None:
        expect()


@step
class Power(StepType):
    key = "power"
    kind = "fault"
    doc = (
        "`action: cycle` (off for `off_for`), `reset` (EN), or `cut_at_write` (the `write`-th "
        "flash write from now is torn and the board stays off until a later cycle/reset)."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "action": Field("enum", required=True, choices=("cycle", "reset", "cut_at_write")),
        "off_for": Field("duration"),
        "write": Field("integer", minimum=1, doc="for cut_at_write: which write (1 = the next)"),
    }

    def check_args(self, args: dict[str, Any]) -> str | None:
        return None

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        device = run.device(args["device"])
        action = args["action"]
        if action == "cycle":
            device.power_cycle(args.get("off_for", 0.0))
        elif action == "reset":
            device.reset()
        else:
            device.cut_power_at_write(int(args.get("write", 1)))
        run.event("fault", args["device"], f"power {action}", dict(args))
        return Outcome()


@step
class ClockSkew(StepType):
    key = "clock_skew"
    kind = "fault"
    doc = "Move a device's wall clock (what `current-time` returns) by `seconds`."
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "seconds": Field("number", required=True),
    }

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        run.device(args["device"]).skew_clock(float(args["seconds"]))
        run.event("fault", args["device"], f"clock skewed {args['seconds']:+g}s")
        return Outcome()


@step
class Revoke(StepType):
    key = "revoke"
    kind = "fault"
    doc = (
        "Revoke a device's certificate through the AWS API. The local IoT Core closes its "
        "connection at once and refuses it from then on (AWS: within minutes); "
        "`reconnect: true` also drops the connection from the device's side."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "reconnect": Field("boolean", doc="drop the connection so the device reconnects"),
    }
    scalar_field = "device"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        name = args["device"]
        if run.core.kind == "local":  # the local core closes a revoked certificate's session
            _expect_disconnect(run.device(name))
        run.core.revoke(run.thing(name))
        run.event("fault", name, "certificate revoked")
        if args.get("reconnect"):
            device = run.device(name)
            device.set_network(down=True)
            device.set_network()
        return Outcome()
