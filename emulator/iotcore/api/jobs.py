"""The ``iot`` jobs operations, answered by the jobs service instead of moto.

moto stores jobs but gives them no behaviour (fixed execution numbers, no rollout, abort or
timeouts, one bogus execution per thing group), so every job operation is served here from
the same state the devices see over MQTT.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..errors import invalid_request, not_found
from ..jobs import Target
from ..registry import Registry
from ..s3url import parse_s3_url
from ..services import ServiceHost
from .http import ApiCall, Router, json_response, paginate


def resolve_targets(registry: Registry, arns: Any) -> list[Target]:
    if not isinstance(arns, list) or not arns:
        raise invalid_request("targets must be a non-empty list of ARNs")
    out = []
    for arn in arns:
        if not isinstance(arn, str) or ":" not in arn:
            raise invalid_request(f"invalid target {arn!r}")
        resource = arn.split(":", 5)[-1]
        kind, _, name = resource.partition("/")
        if kind == "thing":
            if not registry.thing_exists(name):
                raise not_found(f"Thing {name} does not exist")
            out.append(Target(arn, (name,)))
        elif kind == "thinggroup":
            if not registry.group_exists(name):
                raise not_found(f"Thing group {name} does not exist")
            out.append(Target(arn, tuple(registry.things_in_group(name)), group=name))
        else:
            raise invalid_request(f"a job target must be a thing or a thing group ARN: {arn}")
    return out


def register(router: Router, host: ServiceHost, registry: Registry) -> None:
    jobs = host.jobs

    def create_job(call: ApiCall) -> Response:
        job_id = call.params["jobId"]
        body = call.json()
        targets = resolve_targets(registry, body.get("targets"))
        source_document = None
        source = body.get("documentSource")
        if source is not None and body.get("document") is None:
            location = parse_s3_url(str(source))
            data = registry.s3_object(*location) if location else None
            if data is None:
                raise invalid_request(f"documentSource {source} cannot be read")
            source_document = data.decode("utf-8", errors="replace")
        result: dict[str, Any] = host.run(
            lambda now: jobs.create_job(job_id, body, targets, now, source_document)
        )
        return json_response(result)

    def update_job(call: ApiCall) -> Response:
        body = call.json()
        host.run(lambda now: (None, jobs.update_job(call.params["jobId"], body, now)))
        return json_response({})

    def describe_job(call: ApiCall) -> Response:
        return json_response(host.run(lambda now: (jobs.describe_job(call.params["jobId"]), [])))

    def get_document(call: ApiCall) -> Response:
        doc = host.run(lambda now: (jobs.get_job_document(call.params["jobId"]), []))
        return json_response(doc)

    def list_jobs(call: ApiCall) -> Response:
        group = call.query.get("thingGroupName")

        def op(now: float) -> tuple[list[dict[str, Any]], list[Any]]:
            items = jobs.list_jobs(call.query.get("status"), call.query.get("targetSelection"))
            if group is not None:
                items = [j for j in items if _targets_group(jobs.describe_job(j["jobId"]), group)]
            return items, []

        return json_response(paginate(host.run(op), call, "jobs"))

    def list_for_job(call: ApiCall) -> Response:
        items = host.run(
            lambda now: (
                jobs.list_executions_for_job(call.params["jobId"], call.query.get("status")),
                [],
            )
        )
        return json_response(paginate(items, call, "executionSummaries"))

    def list_for_thing(call: ApiCall) -> Response:
        items = host.run(
            lambda now: (
                jobs.list_executions_for_thing(call.params["thing"], call.query.get("status")),
                [],
            )
        )
        return json_response(paginate(items, call, "executionSummaries"))

    def describe_execution(call: ApiCall) -> Response:
        number = call.int_query("executionNumber")
        doc = host.run(
            lambda now: (
                jobs.describe_job_execution(
                    call.params["jobId"], call.params["thing"], number, now
                ),
                [],
            )
        )
        return json_response(doc)

    def cancel_job(call: ApiCall) -> Response:
        body = call.json()
        result = host.run(
            lambda now: jobs.cancel_job(
                call.params["jobId"],
                call.flag("force"),
                body.get("reasonCode"),
                body.get("comment"),
                now,
            )
        )
        return json_response(result)

    def cancel_execution(call: ApiCall) -> Response:
        body = call.json()
        details = body.get("statusDetails")
        if details is not None and not (
            isinstance(details, dict) and all(isinstance(v, str) for v in details.values())
        ):
            raise invalid_request("statusDetails must map strings to strings")
        expected = body.get("expectedVersion")
        host.run(
            lambda now: (
                None,
                jobs.cancel_job_execution(
                    call.params["jobId"],
                    call.params["thing"],
                    call.flag("force"),
                    int(expected) if expected is not None else None,
                    details,
                    now,
                ),
            )
        )
        return json_response({})

    def delete_job(call: ApiCall) -> Response:
        host.run(lambda now: (None, jobs.delete_job(call.params["jobId"], call.flag("force"), now)))
        return json_response({})

    def delete_execution(call: ApiCall) -> Response:
        try:
            number = int(call.params["number"])
        except ValueError:
            raise invalid_request("executionNumber must be an integer") from None
        host.run(
            lambda now: (
                None,
                jobs.delete_job_execution(
                    call.params["jobId"], call.params["thing"], number, call.flag("force"), now
                ),
            )
        )
        return json_response({})

    router.add("iot", "PUT", "/jobs/{jobId}", create_job)
    router.add("iot", "PATCH", "/jobs/{jobId}", update_job)
    router.add("iot", "GET", "/jobs/{jobId}", describe_job)
    router.add("iot", "GET", "/jobs", list_jobs)
    router.add("iot", "GET", "/jobs/{jobId}/job-document", get_document)
    router.add("iot", "GET", "/jobs/{jobId}/things", list_for_job)
    router.add("iot", "PUT", "/jobs/{jobId}/cancel", cancel_job)
    router.add("iot", "DELETE", "/jobs/{jobId}", delete_job)
    router.add("iot", "GET", "/things/{thing}/jobs", list_for_thing)
    router.add("iot", "GET", "/things/{thing}/jobs/{jobId}", describe_execution)
    router.add("iot", "PUT", "/things/{thing}/jobs/{jobId}/cancel", cancel_execution)
    router.add(
        "iot", "DELETE", "/things/{thing}/jobs/{jobId}/executionNumber/{number}", delete_execution
    )


def _targets_group(described: dict[str, Any], group: str | None) -> bool:
    targets = described["job"]["targets"]
    return any(t.endswith(f":thinggroup/{group}") for t in targets)
