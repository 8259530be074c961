"""Mutual TLS and certificate lifecycle against the real broker: who may connect."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from emulator.iotcore.client import ConnectionRefused, MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.names import SERVICE_IDENTITY
from emulator.iotcore.pki import (
    LocalCA,
    common_name,
    generate_key,
    key_pem,
    make_csr,
    write_private,
    write_public,
)

from .conftest import Connect

pytestmark = pytest.mark.integration


def test_provisioned_thing_connects_and_registry_agrees(core: LocalIoTCore) -> None:
    creds = core.provision("dev-1")
    with core.connect(creds) as client:
        assert client.connected
    iot = core.iot()
    described = iot.describe_certificate(certificateId=creds.certificate_id)
    assert described["certificateDescription"]["status"] == "ACTIVE"
    assert (
        described["certificateDescription"]["certificatePem"] == Path(creds.cert_file).read_text()
    )
    assert iot.list_thing_principals(thingName="dev-1")["principals"] == [creds.certificate_arn]
    assert iot.list_principal_things(principal=creds.certificate_arn)["things"] == ["dev-1"]
    attached = iot.list_attached_policies(target=creds.certificate_arn)["policies"]
    assert [p["policyName"] for p in attached] == [creds.policy_name]
    (ca,) = iot.list_ca_certificates()["certificates"]
    assert described["certificateDescription"]["caCertificateId"] == ca["certificateId"]
    listed = iot.list_certificates_by_ca(caCertificateId=ca["certificateId"])["certificates"]
    assert creds.certificate_id in {c["certificateId"] for c in listed}


def test_tls_1_2_and_1_3_clients_are_accepted(core: LocalIoTCore) -> None:
    creds = core.provision("dev-1")
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        context = ssl.create_default_context(cafile=core.endpoint.ca_file)
        context.load_cert_chain(creds.cert_file, creds.key_file)
        context.minimum_version = context.maximum_version = version
        raw = socket.create_connection(("127.0.0.1", core.endpoint.mqtt_port))
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]


def test_plain_tcp_without_tls_is_refused(core: LocalIoTCore) -> None:
    """An MQTT CONNECT in clear text gets no CONNACK: the listener speaks only TLS."""
    body = b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x05dev-1"
    with socket.create_connection(("127.0.0.1", core.endpoint.mqtt_port), timeout=5) as sock:
        sock.sendall(bytes([0x10, len(body)]) + body)
        try:
            reply = sock.recv(4)
        except ConnectionResetError:
            reply = b""
    assert not reply.startswith(b"\x20")


def test_no_client_certificate_is_refused(core: LocalIoTCore) -> None:
    client = MqttThing(core.endpoint, client_id="anonymous")
    with pytest.raises(ConnectionRefused):
        client.connect(timeout=5)


def test_certificate_from_another_ca_is_refused(core: LocalIoTCore, tmp_path: Path) -> None:
    core.provision("dev-1")
    rogue = LocalCA.load_or_create(tmp_path / "rogue-ca", name="rogue")
    cert, key = rogue.issue_client("dev-1")
    write_public(tmp_path / "rogue.pem", cert)
    write_private(tmp_path / "rogue.key", key)
    client = MqttThing(
        core.endpoint,
        cert_file=str(tmp_path / "rogue.pem"),
        key_file=str(tmp_path / "rogue.key"),
        client_id="dev-1",
    )
    with pytest.raises(ConnectionRefused):
        client.connect(timeout=5)


@pytest.mark.parametrize("status", ["INACTIVE", "REVOKED"])
def test_deactivated_or_revoked_certificate_is_refused_on_next_connect(
    core: LocalIoTCore, device: Connect, status: str
) -> None:
    creds, _connected_before = device("dev-1")
    _, other = device("dev-2")
    core.iot().update_certificate(certificateId=creds.certificate_id, newStatus=status)  # type: ignore[arg-type]
    described = core.iot().describe_certificate(certificateId=creds.certificate_id)
    assert described["certificateDescription"]["status"] == status
    with pytest.raises(ConnectionRefused):
        core.client(creds, client_id="dev-1-again").connect(timeout=5)
    # the broker kept serving the others
    other.subscribe("dt/dev-2/ping")
    other.publish("dt/dev-2/ping", b"1")
    assert other.expect("dt/dev-2/ping").payload == b"1"
    if status == "INACTIVE":
        core.iot().update_certificate(certificateId=creds.certificate_id, newStatus="ACTIVE")
        with core.connect(creds, client_id="dev-1-back") as back:
            assert back.connected


def test_certificate_without_policy_is_refused_until_one_is_attached(core: LocalIoTCore) -> None:
    creds = core.provision("dev-1")
    iot = core.iot()
    iot.detach_policy(policyName=creds.policy_name, target=creds.certificate_arn)
    with pytest.raises(ConnectionRefused):
        core.client(creds).connect(timeout=5)
    iot.attach_policy(policyName=creds.policy_name, target=creds.certificate_arn)
    with core.connect(creds) as client:
        assert client.connected


def test_deleted_certificate_is_refused(core: LocalIoTCore) -> None:
    creds = core.provision("dev-1")
    iot = core.iot()
    iot.update_certificate(certificateId=creds.certificate_id, newStatus="INACTIVE")
    iot.detach_policy(policyName=creds.policy_name, target=creds.certificate_arn)
    iot.detach_thing_principal(thingName="dev-1", principal=creds.certificate_arn)
    iot.delete_certificate(certificateId=creds.certificate_id)
    with pytest.raises(ClientError):
        iot.describe_certificate(certificateId=creds.certificate_id)
    with pytest.raises(ConnectionRefused):
        core.client(creds).connect(timeout=5)


def test_create_keys_and_certificate_mints_a_usable_local_certificate(
    core: LocalIoTCore, tmp_path: Path
) -> None:
    """Cloud tooling written for AWS (CreateKeysAndCertificate) works unchanged."""
    core.provision("dev-0")  # creates the default policy
    iot = core.iot()
    made = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_thing(thingName="dev-9")
    iot.attach_thing_principal(thingName="dev-9", principal=made["certificateArn"])
    iot.attach_policy(policyName="steelhil-device", target=made["certificateArn"])
    write_public(tmp_path / "c.pem", made["certificatePem"].encode())
    write_private(tmp_path / "c.key", made["keyPair"]["PrivateKey"].encode())
    client = MqttThing(
        core.endpoint,
        cert_file=str(tmp_path / "c.pem"),
        key_file=str(tmp_path / "c.key"),
        client_id="dev-9",
    ).connect()
    try:
        client.subscribe("$aws/things/dev-9/shadow/update/+")
        kind, body = client.request(
            "$aws/things/dev-9/shadow/update",
            {"state": {"reported": {"ok": True}}, "clientToken": "k"},
        )
        assert (kind, body["version"]) == ("accepted", 1)
    finally:
        client.close()


def test_describe_endpoint_names_the_local_broker(core: LocalIoTCore) -> None:
    address = core.iot().describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert address == core.endpoint.mqtt_host


def test_access_files_follow_the_registry(core: LocalIoTCore) -> None:
    creds = core.provision("dev-1")
    acl = (core.directory / "broker" / "acl").read_text()
    assert "user dev-1\n" in acl
    assert "topic readwrite $aws/things/dev-1/#" in acl
    policy = core.iot().get_policy(policyName=creds.policy_name)
    assert "iot:Connect" in json.loads(policy["policyDocument"])["Statement"][0]["Action"]


def test_a_rotated_certificate_is_its_own_identity(core: LocalIoTCore) -> None:
    """Two certificates for one thing: each connects, revoking one leaves the other."""
    first = core.provision("dev-1")
    second = core.provision("dev-1")
    assert first.certificate_id != second.certificate_id
    principals = core.iot().list_thing_principals(thingName="dev-1")["principals"]
    assert set(principals) == {first.certificate_arn, second.certificate_arn}
    core.revoke(second)
    with pytest.raises(ConnectionRefused):
        core.client(second, client_id="dev-1-new").connect(timeout=5)
    with core.connect(first) as client:
        client.subscribe("dt/dev-1/#")
        client.publish("dt/dev-1/x", b"1")
        assert client.expect("dt/dev-1/x").payload == b"1"


def test_a_csr_cannot_claim_the_services_identity(core: LocalIoTCore, tmp_path: Path) -> None:
    core.provision("dev-0")
    key = generate_key()
    made = core.iot().create_certificate_from_csr(
        certificateSigningRequest=make_csr(key, SERVICE_IDENTITY).decode(), setAsActive=True
    )
    core.iot().attach_policy(policyName="steelhil-device", target=made["certificateArn"])
    core.iot().create_thing(thingName="dev-imp")
    core.iot().attach_thing_principal(thingName="dev-imp", principal=made["certificateArn"])
    write_public(tmp_path / "s.pem", made["certificatePem"].encode())
    write_private(tmp_path / "s.key", key_pem(key))
    cert = x509.load_pem_x509_certificate(made["certificatePem"].encode())
    assert common_name(cert) != SERVICE_IDENTITY
    impostor = MqttThing(
        core.endpoint, cert_file=str(tmp_path / "s.pem"), key_file=str(tmp_path / "s.key")
    ).connect()
    try:
        # it connects as an ordinary device identity: its own topics, nobody else's
        assert impostor.publish("$aws/things/dev-0/shadow/update", b"{}").value == 135
        assert impostor.publish("anything/at/all", b"{}").value == 135
        assert not impostor.publish("dt/dev-imp/x", b"{}").is_failure
    finally:
        impostor.close()


def test_long_thing_names_get_a_short_unique_common_name(core: LocalIoTCore) -> None:
    name = "t" * 128
    creds = core.provision(name)
    with core.connect(creds, client_id="long") as client:
        client.subscribe(f"dt/{name}/#")
        client.publish(f"dt/{name}/x", b"1")
        assert client.expect(f"dt/{name}/x").payload == b"1"


def test_back_to_back_registry_changes_all_reach_the_broker(core: LocalIoTCore) -> None:
    """Each change reloads Mosquitto; a SIGHUP landing during a reload must not be lost."""
    things = [core.provision(f"burst-{i}") for i in range(6)]
    for creds in things:
        with core.connect(creds, client_id=f"{creds.thing_name}-a") as client:
            assert client.connected
    for creds in things:
        core.deactivate(creds)
    for creds in things:
        with pytest.raises(ConnectionRefused):
            core.client(creds, client_id=f"{creds.thing_name}-b").connect(timeout=5)
