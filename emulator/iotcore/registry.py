"""The thing registry as moto keeps it, seen through one narrow door.

moto is the source of truth for things, thing groups, certificates and policies; the broker's
ACL and CRL, job targeting and the persistence across restarts all read it here. Everything
that touches moto's internal models lives in this module, so a moto upgrade breaks one file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from moto.core.config import default_user_config
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iot.models import IoTBackend, iot_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.s3.models import s3_backends


@dataclass(frozen=True)
class CertificateRecord:
    certificate_id: str
    arn: str
    pem: str
    status: str
    things: tuple[str, ...]
    policies: tuple[dict[str, Any], ...]


def reset_moto() -> None:
    """Forget every resource moto holds in this process and use AWS's certificate ids.

    ``use_valid_cert`` makes certificate ids the SHA-256 of the DER certificate, which is how
    AWS IoT computes them, instead of moto's hash of the PEM text.
    """
    moto_api_backend.reset()
    default_user_config.setdefault("iot", {})["use_valid_cert"] = True


class Registry:
    """Read and restore the parts of moto's IoT registry the local IoT Core depends on."""

    def __init__(self, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.region = region
        self.account_id = account_id

    @property
    def backend(self) -> IoTBackend:
        backend: IoTBackend = iot_backends[self.account_id][self.region]
        return backend

    # --- reads ---------------------------------------------------------------------------------

    def certificates(self) -> list[CertificateRecord]:
        be = self.backend
        out = []
        for cert in list(be.certificates.values()):
            things = tuple(t for (p, t) in list(be.principal_things) if p == cert.arn)
            policies = tuple(
                _policy_document(policy.document)
                for (p, _name), (_principal, policy) in list(be.principal_policies.items())
                if p == cert.arn
            )
            out.append(
                CertificateRecord(
                    certificate_id=cert.certificate_id,
                    arn=cert.arn,
                    pem=cert.certificate_pem,
                    status=cert.status,
                    things=things,
                    policies=policies,
                )
            )
        return out

    def ca_status(self, ca_pem: str) -> str | None:
        for ca in list(self.backend.ca_certificates.values()):
            if ca.certificate_pem.strip() == ca_pem.strip():
                return str(ca.status)
        return None

    def ca_certificates(self) -> list[dict[str, Any]]:
        return [
            {
                "certificateArn": ca.arn,
                "certificateId": ca.certificate_id,
                "status": ca.status,
                "creationDate": ca.creation_date.timestamp(),
            }
            for ca in list(self.backend.ca_certificates.values())
        ]

    def certificate_status(self, certificate_id: str) -> str | None:
        cert = self.backend.certificates.get(certificate_id)
        return None if cert is None else str(cert.status)

    def ca_id_of(self, certificate_id: str) -> str | None:
        cert = self.backend.certificates.get(certificate_id)
        return None if cert is None else cert.ca_certificate_id

    def thing_exists(self, name: str) -> bool:
        return any(t.thing_name == name for t in list(self.backend.things.values()))

    def group_exists(self, name: str) -> bool:
        return any(g.thing_group_name == name for g in list(self.backend.thing_groups.values()))

    def things_in_group(self, name: str) -> list[str]:
        """Members of a thing group and of its child groups, in registration order."""
        groups = {g.thing_group_name: g for g in list(self.backend.thing_groups.values())}
        out: dict[str, None] = {}
        todo = [name]
        seen: set[str] = set()
        while todo:
            current = todo.pop(0)
            if current in seen or current not in groups:
                continue
            seen.add(current)
            for thing in list(groups[current].things.values()):
                out[thing.thing_name] = None
            todo += [g for g, grp in groups.items() if grp.parent_group_name == current]
        return list(out)

    def groups_of_thing(self, thing: str) -> set[str]:
        """Every group the thing belongs to, directly or through a parent group."""
        out: set[str] = set()
        groups = list(self.backend.thing_groups.values())
        parents = {g.thing_group_name: g.parent_group_name for g in groups}
        for group in groups:
            if any(t.thing_name == thing for t in list(group.things.values())):
                name: str | None = group.thing_group_name
                while name and name not in out:
                    out.add(name)
                    name = parents.get(name)
        return out

    def s3_object(self, bucket: str, key: str) -> bytes | None:
        backend = s3_backends[self.account_id]["global"]
        try:
            obj = backend.get_object(bucket, key)
        except Exception:  # moto raises its own NoSuchBucket/NoSuchKey types
            return None
        return None if obj is None else bytes(obj.value)

    # --- writes --------------------------------------------------------------------------------

    def register_ca(self, pem: str) -> None:
        if self.ca_status(pem) is None:
            self.backend.register_ca_certificate(
                ca_certificate=pem, set_as_active=True, registration_config={}
            )

    def register_certificate(self, pem: str, ca_pem: str | None, active: bool) -> tuple[str, str]:
        cert = self.backend.register_certificate(
            certificate_pem=pem,
            ca_certificate_pem=ca_pem,
            set_as_active=active,
            status="ACTIVE" if active else "INACTIVE",
        )
        return str(cert.certificate_id), str(cert.arn)

    # --- persistence ---------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        """The registry as plain JSON, enough to rebuild it in a fresh process."""
        be = self.backend
        by_arn = {c.arn: c.certificate_id for c in list(be.certificates.values())}
        return {
            "thing_types": [t.thing_type_name for t in list(be.thing_types.values())],
            "things": [
                {
                    "name": t.thing_name,
                    "type": t.thing_type.thing_type_name if t.thing_type else None,
                    "attributes": dict(t.attributes),
                }
                for t in list(be.things.values())
            ],
            "thing_groups": [
                {
                    "name": g.thing_group_name,
                    "parent": g.parent_group_name,
                    "properties": g.thing_group_properties,
                    "things": [t.thing_name for t in list(g.things.values())],
                }
                for g in list(be.thing_groups.values())
            ],
            "policies": [
                {"name": p.name, "document": _policy_document(p.document)}
                for p in list(be.policies.values())
            ],
            "ca_certificates": [
                {"pem": c.certificate_pem, "status": c.status}
                for c in list(be.ca_certificates.values())
            ],
            "certificates": [
                {"pem": c.certificate_pem, "status": c.status, "ca_id": c.ca_certificate_id}
                for c in list(be.certificates.values())
            ],
            "principal_things": [
                [by_arn[p], t] for (p, t) in list(be.principal_things) if p in by_arn
            ],
            "principal_policies": [
                [by_arn[p], name] for (p, name) in list(be.principal_policies) if p in by_arn
            ],
        }

    def restore(self, data: dict[str, Any]) -> None:
        be = self.backend
        for name in data.get("thing_types", []):
            be.create_thing_type(name, {})
        for thing in data.get("things", []):
            be.create_thing(thing["name"], thing.get("type"), {"attributes": thing["attributes"]})
        pending_groups = list(data.get("thing_groups", []))
        created: set[str] = set()
        while pending_groups:  # parents first
            ready = [g for g in pending_groups if not g["parent"] or g["parent"] in created]
            if not ready:
                break
            for group in ready:
                be.create_thing_group(group["name"], group["parent"], group["properties"])
                created.add(group["name"])
                for thing in group["things"]:
                    be.add_thing_to_thing_group(group["name"], None, thing, None)
                pending_groups.remove(group)
        for policy in data.get("policies", []):
            # moto's annotation says dict, but its API layer passes the JSON text, as we do
            be.create_policy(policy["name"], json.dumps(policy["document"]))  # type: ignore[arg-type]
        ca_pems = {}
        for ca in data.get("ca_certificates", []):
            registered = be.register_ca_certificate(
                ca_certificate=ca["pem"],
                set_as_active=ca["status"] == "ACTIVE",
                registration_config={},
            )
            ca_pems[registered.certificate_id] = ca["pem"]
        for cert in data.get("certificates", []):
            restored = be.register_certificate(
                certificate_pem=cert["pem"],
                ca_certificate_pem=ca_pems.get(cert.get("ca_id") or ""),
                set_as_active=False,
                status=cert["status"],
            )
            restored.status = cert["status"]
        arns = {c.certificate_id: c.arn for c in list(be.certificates.values())}
        for cert_id, thing in data.get("principal_things", []):
            if cert_id in arns:
                be.attach_thing_principal(thing, arns[cert_id])
        for cert_id, policy in data.get("principal_policies", []):
            if cert_id in arns:
                be.attach_principal_policy(policy, arns[cert_id])


def _policy_document(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    try:
        parsed = json.loads(document)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
