"""Provision a thing: key pair, certificate, policy, registry entry — through the AWS API only.

Everything goes through boto3 against an ``Endpoint`` (``CreateCertificateFromCsr`` keeps the
private key on this machine), so the same code provisions on the local IoT Core and on a
real account. Locally the certificate is signed by the local CA and the broker's ACL/CRL
follow the registry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .endpoint import Endpoint
from .names import RESERVED_THING_NAMES, is_thing_name
from .pki import generate_key, key_pem, make_csr, write_private, write_public
from .policy_acl import default_device_policy

DEFAULT_POLICY_NAME = "steelhil-device"


@dataclass(frozen=True)
class ThingCredentials:
    """What a device (or a test acting as one) needs to connect as a thing."""

    thing_name: str
    cert_file: str
    key_file: str
    certificate_id: str
    certificate_arn: str
    policy_name: str
    ca_file: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ThingCredentials:
        return cls(**{k: str(data[k]) for k in cls.__dataclass_fields__})


def common_name_for(thing_name: str) -> str:
    """The thing name, unless it exceeds the 64 characters X.509 allows in a CN."""
    if len(thing_name) <= 64:
        return thing_name
    return f"{thing_name[:51]}.{hashlib.sha256(thing_name.encode()).hexdigest()[:12]}"


class ProvisioningError(RuntimeError):
    pass


class Provisioner:
    def __init__(self, endpoint: Endpoint, out_dir: Path) -> None:
        self.endpoint = endpoint
        self.out_dir = out_dir

    def provision(
        self,
        thing_name: str,
        *,
        policy_name: str = DEFAULT_POLICY_NAME,
        policy_document: Mapping[str, Any] | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> ThingCredentials:
        if not is_thing_name(thing_name):
            raise ProvisioningError(
                f"invalid thing name {thing_name!r}: use 1-128 characters of [a-zA-Z0-9:_-]"
            )
        if thing_name in RESERVED_THING_NAMES:
            raise ProvisioningError(f"{thing_name!r} is reserved for broadcast topics")
        iot = self.endpoint.iot()
        key = generate_key()
        created = iot.create_certificate_from_csr(
            certificateSigningRequest=make_csr(key, common_name_for(thing_name)).decode(),
            setAsActive=True,
        )
        arn, cert_id = created["certificateArn"], created["certificateId"]
        self._ensure_policy(policy_name, policy_document or default_device_policy())
        iot.attach_policy(policyName=policy_name, target=arn)
        self._ensure_thing(thing_name, attributes)
        iot.attach_thing_principal(thingName=thing_name, principal=arn)

        # named like the AWS console's downloads; one pair per certificate (rotations keep both)
        directory = self.out_dir / thing_name
        prefix = cert_id[:10]
        cert_file = directory / f"{prefix}-certificate.pem.crt"
        key_file = directory / f"{prefix}-private.pem.key"
        write_private(key_file, key_pem(key))
        write_public(cert_file, created["certificatePem"].encode())
        return ThingCredentials(
            thing_name=thing_name,
            cert_file=str(cert_file),
            key_file=str(key_file),
            certificate_id=cert_id,
            certificate_arn=arn,
            policy_name=policy_name,
            ca_file=self.endpoint.ca_file,
        )

    def set_certificate_status(self, certificate_id: str, status: str) -> None:
        """``INACTIVE`` or ``REVOKED`` refuse the certificate at its next connect."""
        self.endpoint.iot().update_certificate(
            certificateId=certificate_id,
            newStatus=status,  # type: ignore[arg-type]
        )

    def _ensure_policy(self, name: str, document: Mapping[str, Any]) -> None:
        iot = self.endpoint.iot()
        try:
            iot.get_policy(policyName=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            iot.create_policy(policyName=name, policyDocument=json.dumps(document))

    def _ensure_thing(self, name: str, attributes: Mapping[str, str] | None) -> None:
        iot = self.endpoint.iot()
        try:
            iot.describe_thing(thingName=name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            payload: Any = {"attributes": dict(attributes or {})}
            iot.create_thing(thingName=name, attributePayload=payload)
