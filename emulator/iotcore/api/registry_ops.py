"""``iot`` registry operations that must touch the broker, not only moto's tables.

Certificates are minted by the local CA (moto's are not chained to any CA a broker trusts);
any other successful change (certificate status, policies, attachments) regenerates the ACL
and CRL; group membership changes reach CONTINUOUS jobs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from werkzeug.wrappers import Response

from ..errors import ApiError, invalid_request
from ..messages import Publish
from ..names import THING_NAME, thing_name_problem
from ..pki import CertificateError, LocalCA, generate_key
from ..registry import Registry
from ..services import ServiceHost
from .http import ApiCall, Router, json_response, paginate


def register(
    router: Router,
    host: ServiceHost,
    registry: Registry,
    ca: LocalCA,
    on_change: Callable[[], None],
    mqtt_host: Callable[[], str],
) -> None:
    def issue(cert_pem: str, call: ApiCall) -> dict[str, Any]:
        cert_id, arn = registry.register_certificate(
            cert_pem, ca.pem.decode(), active=call.flag("setAsActive")
        )
        on_change()
        return {"certificateArn": arn, "certificateId": cert_id, "certificatePem": cert_pem}

    def keys_and_certificate(call: ApiCall) -> Response:
        key = generate_key()
        pem, private = ca.issue_client(f"awsiot-{uuid.uuid4().hex}", key)
        out = issue(pem.decode(), call)
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        out["keyPair"] = {"PublicKey": public.decode(), "PrivateKey": private.decode()}
        return json_response(out)

    def certificate_from_csr(call: ApiCall) -> Response:
        csr = call.json().get("certificateSigningRequest")
        if not isinstance(csr, str):
            raise invalid_request("certificateSigningRequest is required")
        try:
            pem = ca.sign_csr(csr.encode(), default_cn=f"awsiot-{uuid.uuid4().hex}")
        except CertificateError as exc:
            raise invalid_request(str(exc)) from None
        return json_response(issue(pem.decode(), call))

    def describe_endpoint(call: ApiCall) -> Response:
        kind = call.query.get("endpointType", "iot:Data")
        if kind not in ("iot:Data", "iot:Data-ATS", "iot:Jobs"):
            return call.forward()
        return json_response({"endpointAddress": mqtt_host()})

    def list_ca_certificates(call: ApiCall) -> Response:
        return json_response(paginate(registry.ca_certificates(), call, "certificates"))

    def describe_certificate(call: ApiCall) -> Response:
        """moto leaves ``caCertificateId`` out of the description; AWS includes it."""
        response = call.forward()
        ca_id = registry.ca_id_of(call.params["certificateId"])
        if response.status_code == 200 and ca_id:
            body = json.loads(response.get_data())
            body.setdefault("certificateDescription", {})["caCertificateId"] = ca_id
            return json_response(body)
        return response

    def create_thing(call: ApiCall) -> Response:
        """Names reach the broker's ACL through policy variables: refuse what AWS refuses,
        and ``broadcast``, which every device receives."""
        problem = thing_name_problem(call.params["thingName"])
        if problem is not None:
            raise invalid_request(problem)
        return call.forward()

    def create_thing_group(call: ApiCall) -> Response:
        name = call.params["thingGroupName"]
        if THING_NAME.fullmatch(name) is None:  # the same pattern as a thing name
            raise invalid_request(
                f"invalid thing group name {name!r}: use 1-128 characters of [a-zA-Z0-9:_-]"
            )
        return call.forward()

    def update_certificate(call: ApiCall) -> Response:
        """AWS: a revoked certificate stays revoked; the PENDING_* states are AWS's own."""
        cert_id, wanted = call.params["certificateId"], call.query.get("newStatus", "")
        if wanted in ("PENDING_TRANSFER", "PENDING_ACTIVATION"):
            raise invalid_request(f"newStatus {wanted} is used internally by AWS IoT")
        if registry.certificate_status(cert_id) == "REVOKED" and wanted != "REVOKED":
            raise ApiError(
                406,
                "CertificateStateException",
                f"Certificate {cert_id} is REVOKED; a revoked certificate's status cannot change",
            )
        response = call.forward()
        if 200 <= response.status_code < 300:
            on_change()
        return response

    def membership(call: ApiCall) -> Response:
        body = call.json()
        thing = body.get("thingName") or str(body.get("thingArn", "")).rpartition("/")[2]
        before = registry.groups_of_thing(thing) if thing else set()
        response = call.forward()
        if 200 <= response.status_code < 300 and thing:
            after = registry.groups_of_thing(thing)

            def op(now: float) -> tuple[None, list[Publish]]:
                out: list[Publish] = []
                for group in sorted(after - before):
                    out += host.jobs.thing_added_to_group(group, thing, now)
                for group in sorted(before - after):
                    out += host.jobs.thing_removed_from_group(group, thing, now)
                return None, out

            host.run(op)
            on_change()
        return response

    router.add("iot", "POST", "/keys-and-certificate", keys_and_certificate)
    router.add("iot", "POST", "/certificates", certificate_from_csr)
    router.add("iot", "GET", "/endpoint", describe_endpoint)
    router.add("iot", "GET", "/cacertificates", list_ca_certificates)
    router.add("iot", "GET", "/certificates/{certificateId}", describe_certificate)
    router.add("iot", "PUT", "/certificates/{certificateId}", update_certificate)
    router.add("iot", "POST", "/things/{thingName}", create_thing)
    router.add("iot", "POST", "/thing-groups/{thingGroupName}", create_thing_group)
    for operation in (
        "addThingToThingGroup",
        "removeThingFromThingGroup",
        "updateThingGroupsForThing",
    ):
        router.add("iot", "PUT", f"/thing-groups/{operation}", membership)
    router.after_moto.append(lambda call, response: on_change())
