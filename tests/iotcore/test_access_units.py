"""Unit tests (no broker) of policy translation, ACL/CRL derivation, the CA and endpoints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from emulator.iotcore.access import compute, render_acl
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.names import SERVICE_IDENTITY
from emulator.iotcore.pki import LocalCA, cert_pem, generate_key, make_csr
from emulator.iotcore.policy_acl import default_device_policy, policy_variables, translate
from emulator.iotcore.registry import CertificateRecord
from emulator.iotcore.s3url import parse_s3_url


def test_default_policy_gives_own_topics_and_broadcast_receive() -> None:
    rules = translate(default_device_policy(), policy_variables("dev-1", "dev-1"))
    assert rules.may_connect
    assert rules.write == {"+/dev-1/#", "$aws/things/dev-1/#"}
    assert rules.read == {"+/dev-1/#", "$aws/things/dev-1/#", "+/broadcast/#"}
    assert rules.lines() == [
        "topic readwrite $aws/things/dev-1/#",
        "topic read +/broadcast/#",
        "topic readwrite +/dev-1/#",
    ]


def test_unresolved_variables_and_unsupported_wildcards_grant_nothing() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iot:Publish",
                "Resource": "arn:aws:iot:*:*:topic/a/${iot:Connection.Thing.ThingName}",
            },
            {
                "Effect": "Allow",
                "Action": "iot:Publish",
                "Resource": "arn:aws:iot:*:*:topic/b/dev-*",
            },
            {
                "Effect": "Allow",
                "Action": "iot:Publish",
                "Resource": "*",
                "Condition": {"Bool": {}},
            },
        ]
    }
    rules = translate(policy, policy_variables(None, "cn"))
    assert rules.write == set()
    assert len(rules.warnings) == 3
    assert not rules.may_connect


def test_wildcard_resource_deny_and_actions() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "iot:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": ["iot:Publish"],
                "Resource": ["arn:aws:iot:*:*:topic/x/*/y"],
            },
            {"Effect": "Deny", "Action": "iot:Connect", "Resource": "arn:aws:iot:*:*:client/*"},
        ]
    }
    rules = translate(policy, {})
    assert rules.read == rules.write == {"#", "$aws/#"}
    assert rules.deny == {"x/+/y"}
    assert rules.connect_allowed and rules.connect_denied and not rules.may_connect


def _record(
    ca: LocalCA, cn: str, status: str = "ACTIVE", things: tuple[str, ...] = ("t",)
) -> tuple[CertificateRecord, int]:
    pem = ca.sign_csr(make_csr(generate_key(), cn), default_cn="x")
    cert = x509.load_pem_x509_certificate(pem)
    record = CertificateRecord(
        cn, f"arn:{cn}", pem.decode(), status, things, (default_device_policy(),)
    )
    return record, cert.serial_number


def test_compute_revokes_everything_not_active_and_authorised(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path)
    good, good_serial = _record(ca, "dev-1", things=("dev-1",))
    inactive, inactive_serial = _record(ca, "dev-2", status="INACTIVE")
    no_policy, no_policy_serial = _record(ca, "dev-3")
    no_policy = CertificateRecord(**{**no_policy.__dict__, "policies": ()})
    _, unregistered_serial = _record(ca, "dev-4")
    state = compute(ca, [good, inactive, no_policy], ca_status="ACTIVE")
    assert state.revoked == {inactive_serial, no_policy_serial, unregistered_serial}
    assert good_serial not in state.revoked
    assert "user dev-1\n" in state.acl and "user dev-2" not in state.acl
    assert state.acl.startswith("#") and f"user {SERVICE_IDENTITY}" in state.acl
    crl = x509.load_pem_x509_crl(ca.make_crl(state.revoked))
    assert crl.is_signature_valid(ca.cert.public_key())  # type: ignore[arg-type]
    assert {r.serial_number for r in crl} == state.revoked
    # a deactivated CA refuses every certificate it issued
    assert good_serial in compute(ca, [good], ca_status="INACTIVE").revoked


def test_certificates_from_another_ca_are_ignored(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path / "ours")
    other = LocalCA.load_or_create(tmp_path / "theirs")
    foreign, _ = _record(other, "dev-x")
    assert compute(ca, [foreign], None).acl == render_acl({})[0]


def test_ca_persists_and_signs_only_valid_csrs(tmp_path: Path) -> None:
    ca = LocalCA.load_or_create(tmp_path)
    again = LocalCA.load_or_create(tmp_path)
    assert cert_pem(again.cert) == cert_pem(ca.cert)
    assert oct((tmp_path / "ca.key").stat().st_mode & 0o777) == "0o600"
    pem = ca.sign_csr(make_csr(generate_key(), "dev-1"), default_cn="x")
    cert = x509.load_pem_x509_certificate(pem)
    assert ca.issued_by_me(cert)
    assert cert.serial_number in ca.issued_serials()
    with pytest.raises(ValueError):
        ca.sign_csr(
            b"-----BEGIN CERTIFICATE REQUEST-----\nnope\n-----END CERTIFICATE REQUEST-----\n", "x"
        )


def test_endpoint_round_trip_keeps_unknown_keys_and_resolves_relative_ca(tmp_path: Path) -> None:
    data = {"mqtt_host": "h", "mqtt_port": "8883", "ca_file": "ca.pem", "future_key": 1}
    (tmp_path / "endpoint.json").write_text(json.dumps(data))
    endpoint = Endpoint.load(tmp_path)
    assert endpoint.ca_file == str(tmp_path / "ca.pem")
    assert endpoint.mqtt_port == 8883
    assert endpoint.to_json()["future_key"] == 1
    assert endpoint.endpoint_url("iot-data") == "https://h"  # real AWS: the data endpoint
    assert endpoint.endpoint_url("iot") is None
    local = Endpoint("127.0.0.1", 1883, "ca", api_endpoint_url="http://127.0.0.1:5000")
    assert local.endpoint_url("iot-data") == "http://127.0.0.1:5000"
    with pytest.raises(ValueError):
        Endpoint.from_json({"mqtt_host": "h"})
    with pytest.raises(FileNotFoundError, match="iotcore up"):
        Endpoint.load(tmp_path / "missing")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://s3.amazonaws.com/b/k/x.bin", ("b", "k/x.bin")),
        ("https://s3.eu-west-1.amazonaws.com/b/k", ("b", "k")),
        ("https://b.s3.amazonaws.com/k/x", ("b", "k/x")),
        ("https://b.s3.us-east-1.amazonaws.com/k", ("b", "k")),
        ("http://127.0.0.1:5000/b/k", ("b", "k")),
        ("s3://b/k", ("b", "k")),
        ("https://s3.amazonaws.com/onlybucket", None),
        ("ftp://x/y/z", None),
    ],
)
def test_s3_urls(url: str, expected: tuple[str, str] | None) -> None:
    assert parse_s3_url(url) == expected


def test_sans_io_cores_import_without_moto_or_boto3() -> None:
    """The device agent's tests use the cores alone; they must not pay for moto."""
    code = (
        "import sys, emulator.iotcore, emulator.iotcore.shadow, emulator.iotcore.jobs; "
        "print(sorted(m for m in ('moto', 'boto3', 'paho') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
