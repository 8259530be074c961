"""Acts: what a scenario does to the fleet and the cloud."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, ClassVar

from .expect_messages import resolver
from .quantities import unknown_quantity
from .registry import Outcome, StepFailed, StepType, step
from .schema import Field, Fields, check
from .things import Unresolved, check_refs, expand

if TYPE_CHECKING:
    from .context import RunContext


@step
class Deploy(StepType):
    key = "deploy"
    kind = "act"
    doc = (
        "Load a program from `programs:` onto devices over MQTT "
        "(`steel-programs/<thing>/load`, or the broadcast topic with `to: broadcast`)."
    )
    fields: ClassVar[Fields] = {
        "program": Field("string", required=True, doc="a name from the scenario's programs"),
        "to": Field("json", doc="a device, a list of devices, 'all' (each device) or 'broadcast'"),
        "program_id": Field("string", doc="the id devices report (default: the program's name)"),
        "auto_start": Field("boolean", doc="start at once (default true)"),
        "with_hash": Field("boolean", doc="send the source's sha256 too (default false)"),
    }
    scalar_field = "program"

    def parse(
        self, body: Any, where: Any, doc: Any, problems: Any, scenario: Any
    ) -> dict[str, Any]:
        from .loader import check_names
        from .schema import check

        if isinstance(body, str):
            body = {"program": body}
        args = check(body, self.fields, where, doc, problems, "'deploy'")
        check_names(self.fields, args, where, doc, problems, scenario)
        to = args.get("to", "all")
        if to in ("all", "broadcast"):
            args["to"] = to
        else:
            names = [to] if isinstance(to, str) else to
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                problems.append(
                    doc.problem((*where, "to"), "to: a device, a list, 'all' or 'broadcast'")
                )
                return args
            for n in names:
                if n not in scenario.devices:
                    from .source import suggest

                    problems.append(
                        doc.problem(
                            (*where, "to"), f"unknown device {n!r}{suggest(n, scenario.devices)}"
                        )
                    )
            args["to"] = names
        return args

    def devices(self, args: dict[str, Any]) -> list[str]:
        to = args.get("to")
        return list(to) if isinstance(to, list) else []

    def title(self, args: dict[str, Any]) -> str:
        to = args.get("to", "all")
        return f"deploy {args['program']} to {to if isinstance(to, str) else ', '.join(to)}"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        source = run.scenario.programs[args["program"]]
        body: dict[str, Any] = {
            "program_id": args.get("program_id", args["program"]),
            "auto_start": args.get("auto_start", True),
            "source": source,
        }
        if args.get("with_hash"):
            body["sha256"] = hashlib.sha256(source.encode()).hexdigest()
        to = args.get("to", "all")
        if to == "broadcast":
            run.publish("steel-programs/broadcast/load", body, to=list(run.devices))
        else:
            for name in run.targets(to):
                run.publish(f"steel-programs/{run.thing(name)}/load", body, to=[name])
        return Outcome(observed=f"load request for {body['program_id']} sent")


@step
class ProgramControl(StepType):
    key = "program"
    kind = "act"
    doc = "Start, stop or unload a device's program (`steel-programs/<thing>/<action>`)."
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "action": Field("enum", required=True, choices=("start", "stop", "unload")),
        "program_id": Field("string", doc="default: the current program"),
    }

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        body = {"program_id": args["program_id"]} if "program_id" in args else {}
        name = args["device"]
        run.publish(f"steel-programs/{run.thing(name)}/{args['action']}", body, to=[name])
        return Outcome()


@step
class Sensors(StepType):
    key = "sensors"
    kind = "act"
    doc = "Set sensor values on a device: `sensors: {device: dev-1, temperature: 31.5}`."
    fields: ClassVar[Fields] = {
        "device": Field("devices", doc="a device, a list or 'all' (default all)"),
        "temperature": Field("number", doc="°C"),
        "humidity": Field("number", doc="%RH", minimum=0, maximum=100),
        "accel_x": Field("number", doc="g"),
        "accel_y": Field("number", doc="g"),
        "accel_z": Field("number", doc="g"),
        "gyro_x": Field("number", doc="°/s"),
        "gyro_y": Field("number", doc="°/s"),
        "gyro_z": Field("number", doc="°/s"),
        "imu_temperature": Field("number", doc="°C (the ICM-42670's own sensor)"),
    }

    def unknown_field(self, key: str) -> str | None:
        return unknown_quantity(key)  # a typo reads as it does in the top-level sensors

    def title(self, args: dict[str, Any]) -> str:
        values = ", ".join(f"{k}={v:g}" for k, v in args.items() if k != "device")
        return f"set {values} on {_names(args.get('device', 'all'))}"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        values = {k: float(v) for k, v in args.items() if k != "device"}
        for name in run.targets(args.get("device", "all")):
            run.device(name).set_sensors(values)
            run.event("act", name, f"sensors {values}", dict(values))
        return Outcome()


@step
class SensorModel(StepType):
    key = "sensor_model"
    kind = "act"
    doc = (
        "Drive one quantity by a model: `kind: sequence` (values, every), `noise` (mean, "
        "stddev, seed) or `csv` (file beside the scenario, column)."
    )
    fields: ClassVar[Fields] = {
        "device": Field("devices", doc="default all"),
        "quantity": Field("quantity", required=True, doc="temperature, humidity, ..."),
        "kind": Field("enum", required=True, choices=("sequence", "noise", "csv")),
        "values": Field("list", items="number", doc="sequence: the values in order"),
        "every": Field("duration", doc="sequence: time between values (default 60s)"),
        "interpolation": Field("enum", choices=("step", "linear")),
        "mean": Field("number", doc="noise: the mean"),
        "stddev": Field("number", doc="noise: the standard deviation", minimum=0),
        "seed": Field("integer"),
        "file": Field("string", doc="csv: a file beside the scenario"),
        "column": Field("string", doc="csv: the column (default the quantity)"),
    }

    NEEDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "sequence": ("values",),
        "noise": ("mean",),
        "csv": ("file",),
    }

    def validate(self, args: dict[str, Any]) -> str | None:
        missing = [f for f in self.NEEDS[args["kind"]] if f not in args]
        if missing:
            return f"a {args['kind']} model needs {' and '.join(missing)}"
        return None

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        model = {k: v for k, v in args.items() if k not in ("device", "quantity")}
        model.setdefault("seed", run.scenario.seed)
        if model["kind"] == "csv":
            model["file"] = str(run.scenario.file.parent / model.get("file", ""))
        for name in run.targets(args.get("device", "all")):
            run.device(name).set_sensor_model(args["quantity"], model)
            run.event("act", name, f"{args['quantity']} model {model['kind']}", model)
        return Outcome()


@step
class Press(StepType):
    key = "press"
    kind = "act"
    doc = "Press the BOOT button: `press: {device: dev-1, hold: 200ms}`."
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "hold": Field("duration", doc="how long (default 100ms)"),
    }
    scalar_field = "device"

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        run.device(args["device"]).press_button(args.get("hold", 0.1))
        run.event("act", args["device"], "button pressed")
        return Outcome()


@step
class Desired(StepType):
    key = "desired"
    kind = "act"
    doc = "Update the desired state of a device's shadow through the AWS API (iot-data)."
    fields: ClassVar[Fields] = {
        "device": Field("device", required=True),
        "state": Field("object", required=True, doc="the desired keys"),
        "shadow": Field("string", doc="a named shadow (default: the classic shadow)"),
    }

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        name = args["device"]
        thing = run.thing(name)
        shadow = args.get("shadow")
        prefix = f"$aws/things/{thing}/shadow" + (f"/name/{shadow}" if shadow else "")
        run.expect_delivery([name], f"{prefix}/update/delta")
        options = {"shadowName": shadow} if shadow else {}
        payload = json.dumps({"state": {"desired": args["state"]}}).encode()
        run.core.iot_data().update_thing_shadow(thingName=thing, payload=payload, **options)
        run.event("act", name, f"desired {args['state']}", {"desired": args["state"]})
        return Outcome()


@step
class Publish(StepType):
    key = "publish"
    kind = "act"
    doc = (
        "Publish a message as the cloud: to a device's program topic (`device` + `topic`, "
        "mapped as the agent does) or to a raw `raw_topic`."
    )
    fields: ClassVar[Fields] = {
        "device": Field("device", doc="the device whose program topic this is"),
        "topic": Field("string", doc="a program topic (cmd/led -> cmd/<thing>/led)"),
        "raw_topic": Field("string", doc="an MQTT topic used as written"),
        "payload": Field("json", doc="JSON (mapping, list, number) or text"),
        "qos": Field("integer", minimum=0, maximum=1),
    }

    def parse(
        self, body: Any, where: Any, doc: Any, problems: Any, scenario: Any
    ) -> dict[str, Any]:
        from .steps_parse import check_names

        args = check(body, self.fields, where, doc, problems, "'publish'")
        check_names(self.fields, args, where, doc, problems, scenario)
        if "payload" in args:  # {thing} / {thing:NAME} in what is sent
            check_refs(args["payload"], (*where, "payload"), doc, problems, scenario.devices)
        message = self.validate(args) if args else None
        if message:
            problems.append(doc.problem(where, message))
        return args

    def validate(self, args: dict[str, Any]) -> str | None:
        if "raw_topic" in args:
            if "topic" in args:
                return "give either device + topic (a program topic) or raw_topic, not both"
            return None
        if "device" not in args or "topic" not in args:
            return "publish needs device + topic (a program topic) or raw_topic"
        return None

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        if "raw_topic" in args:
            topic = run.expand(args["raw_topic"])
            to = [n for n, t in run.things.items() if f"/{t}/" in f"/{topic}/"]
        elif "device" in args and "topic" in args:
            topic, to = run.device_topic(args["device"], args["topic"]), [args["device"]]
        else:  # validate() made sure this cannot happen
            raise AssertionError("publish without a topic")
        # {thing} is the device the message is for (the only one its topic names)
        resolve = resolver(run, to[0] if len(to) == 1 else None)
        try:
            payload = expand(args.get("payload", {}), resolve)
        except Unresolved:
            raise StepFailed(
                "the payload's {thing} stands for no single device: this topic is for "
                f"{len(to)} devices; name one with {{thing:NAME}}"
            ) from None
        body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        run.publish(topic, body, to=to, qos=args.get("qos", 1))
        return Outcome()


@step
class Job(StepType):
    key = "job"
    kind = "act"
    doc = "Create an AWS IoT job for devices (boto3 iot create_job against the IoT Core)."
    fields: ClassVar[Fields] = {
        "job_id": Field("string", required=True),
        "to": Field("devices", doc="devices (default all)"),
        "document": Field("object", required=True, doc="the job document"),
    }

    def run(self, run: RunContext, args: dict[str, Any]) -> Outcome:
        iot = run.core.iot()
        names = run.targets(args.get("to", "all"))
        targets = [iot.describe_thing(thingName=run.thing(n))["thingArn"] for n in names]
        for n in names:
            run.expect_delivery([n], f"$aws/things/{run.thing(n)}/jobs/notify-next")
        iot.create_job(jobId=args["job_id"], targets=targets, document=json.dumps(args["document"]))
        run.event("act", None, f"job {args['job_id']} created", {"document": args["document"]})
        return Outcome()


def _names(spec: Any) -> str:
    return spec if isinstance(spec, str) else ", ".join(spec)
