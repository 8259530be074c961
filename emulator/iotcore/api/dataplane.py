"""``iot-data``: shadows through the same service the devices use, and ``publish`` on MQTT.

moto's own shadows never reach MQTT and its ``publish`` only records the call; here a REST
update produces exactly the ``accepted``/``delta``/``documents`` messages an MQTT update does.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ..errors import ApiError, invalid_request
from ..limits import MAX_PAYLOAD_BYTES, aws_topic_problem
from ..messages import Publish
from ..services import ServiceHost
from ..shadow import ShadowRejection
from .http import ApiCall, Router, json_response, paginate

_SHADOW_ERRORS = {
    400: "InvalidRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "ResourceNotFoundException",
    409: "ConflictException",
    413: "RequestEntityTooLargeException",
    415: "UnsupportedDocumentEncodingException",
    429: "ThrottlingException",
}


def _api_error(rej: ShadowRejection) -> ApiError:
    return ApiError(rej.code, _SHADOW_ERRORS.get(rej.code, "InternalFailureException"), rej.message)


def register(router: Router, host: ServiceHost) -> None:
    def get_shadow(call: ApiCall) -> Response:
        thing, name = call.params["thing"], call.query.get("name", "")
        try:
            doc = host.run(lambda now: (host.shadows.get(thing, name, now), []))
        except ShadowRejection as rej:
            raise _api_error(rej) from None
        return json_response(doc)

    def update_shadow(call: ApiCall) -> Response:
        thing, name = call.params["thing"], call.query.get("name", "")
        try:
            doc = host.run(lambda now: host.shadows.update(thing, name, call.body, now))
        except ShadowRejection as rej:
            raise _api_error(rej) from None
        return json_response(doc)

    def delete_shadow(call: ApiCall) -> Response:
        thing, name = call.params["thing"], call.query.get("name", "")
        try:
            doc = host.run(lambda now: host.shadows.delete(thing, name, now))
        except ShadowRejection as rej:
            raise _api_error(rej) from None
        return json_response(doc)

    def list_named(call: ApiCall) -> Response:
        thing = call.params["thing"]
        names: list[Any] = host.run(lambda now: (host.shadows.list_named(thing), []))
        page = paginate(names, call, "results", default_size=25)
        page["timestamp"] = int(host.clock.now())
        return json_response(page)

    def publish(call: ApiCall) -> Response:
        topic = call.params["topic"]
        qos = call.int_query("qos") or 0
        if qos not in (0, 1):
            raise invalid_request("qos must be 0 or 1")
        problem = aws_topic_problem(topic)
        if problem is not None:
            raise invalid_request(f"invalid topic: {problem}")
        if len(call.body) > MAX_PAYLOAD_BYTES:
            # AWS refuses a message over 128 KB; the broker would refuse it too, and with it
            # the services' connection.
            raise ApiError(
                413,
                "RequestEntityTooLargeException",
                "The payload exceeds the maximum size allowed",
            )
        host.publish(Publish(topic, call.body, qos=qos, retain=call.flag("retain")))
        # The services do not hear their own client, so a publish to a request topic
        # (``$aws/things/x/shadow/update``) is handed to them directly, as AWS routes it.
        host.on_message(topic, call.body)
        return json_response({})

    router.add("iot-data", "GET", "/things/{thing}/shadow", get_shadow)
    router.add("iot-data", "POST", "/things/{thing}/shadow", update_shadow)
    router.add("iot-data", "DELETE", "/things/{thing}/shadow", delete_shadow)
    router.add("iot-data", "GET", "/api/things/shadow/ListNamedShadowsForThing/{thing}", list_named)
    router.add("iot-data", "POST", "/topics/{topic}", publish)
