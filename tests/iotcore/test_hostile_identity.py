"""Issue 10, items 4-8: identity and authorization at least as strict as AWS's.

Each attack runs against the real broker with real certificates, and ends with another
device still being answered by services that never lost their broker connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.x509.oid import ExtendedKeyUsageOID
from paho.mqtt.enums import MQTTProtocolVersion

from emulator.iotcore.client import ConnectionRefused, MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.pki import (
    DEVICE_NOT_AFTER,
    cert_pem,
    generate_key,
    key_pem,
    make_csr,
    write_private,
    write_public,
)

from .conftest import Connect
from .hostile import Bystander, assert_core_serves

pytestmark = pytest.mark.integration

NOT_AUTHORIZED = 135


@pytest.fixture
def bystander(core: LocalIoTCore, device: Connect) -> Bystander:
    _, client = device("bystander")
    return Bystander(core, client, "bystander")


def api_error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response: Any = exc.value.response
    error = response["Error"]
    return error["Code"], response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def acl_text(core: LocalIoTCore) -> str:
    return (core.directory / "broker" / "acl").read_text()


# --- item 4: client-id takeover -----------------------------------------------------------------


@pytest.mark.parametrize("protocol", [MQTTProtocolVersion.MQTTv5, MQTTProtocolVersion.MQTTv311])
def test_a_certificate_cannot_take_over_another_things_client_id(
    core: LocalIoTCore, bystander: Bystander, protocol: MQTTProtocolVersion
) -> None:
    victim_creds, intruder_creds = core.provision("dev-v"), core.provision("dev-i")
    session = {"clean_start": False, "session_expiry": 3600, "protocol": protocol}
    victim = core.connect(victim_creds, **session)
    intruder: MqttThing | None = None
    try:
        victim.subscribe("dt/dev-v/#", qos=1)
        intruder = core.connect(intruder_creds, client_id="dev-v", **session)
        assert not intruder.session_present  # not the victim's session
        for i in range(100):  # every QoS 1 round trip of the victim completes, none is lost
            victim.publish("dt/dev-v/rt", str(i).encode())
            assert victim.expect("dt/dev-v/rt").payload == str(i).encode()
        assert victim.wait_disconnected(0.2) is None and intruder.connected
        victim.close()
        for i in range(3):  # queued for the offline victim
            core.iot_data().publish(topic="dt/dev-v/queued", qos=1, payload=f"q{i}".encode())
        intruder.close()
        intruder = core.connect(intruder_creds, client_id="dev-v", **session)
        victim = core.connect(victim_creds, **session)
        assert victim.session_present
        got = [victim.expect("dt/dev-v/queued").payload for _ in range(3)]
        assert got == [b"q0", b"q1", b"q2"]
        assert intruder.received("dt/#") == []
    finally:
        victim.close()
        if intruder is not None:
            intruder.close()
    log = (core.directory / "broker" / "mosquitto.log").read_text()
    assert " as dev-i (" in log  # the broker knew the intruder by its own identity
    assert_core_serves(core, bystander)


# --- item 5: ACL injection through a name -----------------------------------------------------

INJECTED = "dev-9\npattern readwrite #"


def test_a_csr_whose_common_name_holds_a_line_break_is_refused(
    core: LocalIoTCore, device: Connect, bystander: Bystander
) -> None:
    _, victim = device("dev-v")
    _, other = device("dev-o")
    with pytest.raises(ClientError) as exc:
        core.iot().create_certificate_from_csr(
            certificateSigningRequest=make_csr(generate_key(), INJECTED).decode(),
            setAsActive=True,
        )
    code, _, message = api_error(exc)
    assert code == "InvalidRequestException" and "U+000A" in message
    assert "pattern" not in acl_text(core)
    # the other device, with the default policy, still cannot touch the victim's topics
    victim.subscribe("steel-programs/dev-v/#")
    other.subscribe("steel-programs/dev-v/#")
    assert other.publish("steel-programs/dev-v/load", b"{}").value == NOT_AUTHORIZED
    core.iot_data().publish(topic="steel-programs/dev-v/load", qos=1, payload=b"mine")
    assert victim.expect("steel-programs/dev-v/load").payload == b"mine"
    with pytest.raises(TimeoutError):
        other.expect("steel-programs/#", timeout=0.5)
    assert_core_serves(core, bystander)


def test_a_certificate_with_such_a_name_from_before_the_check_gets_no_access(
    core: LocalIoTCore, device: Connect, bystander: Bystander, tmp_path: Path
) -> None:
    """A certificate the CA signed before names were checked (or one registered by hand):
    the ACL is built so no value adds a line; the identity is left out and refused."""
    core.provision("dev-0")  # the default policy exists
    _, other = device("dev-o")
    key = generate_key()
    cert = core.ca._sign(  # what the CA issued before the check existed
        key.public_key(), INJECTED, ExtendedKeyUsageOID.CLIENT_AUTH, DEVICE_NOT_AFTER
    )
    core.ca._record(cert)
    iot = core.iot()
    made = iot.register_certificate(
        certificatePem=cert_pem(cert).decode(), caCertificatePem=core.ca.pem.decode()
    )
    iot.update_certificate(certificateId=made["certificateId"], newStatus="ACTIVE")
    iot.create_thing(thingName="dev-9")
    iot.attach_thing_principal(thingName="dev-9", principal=made["certificateArn"])
    iot.attach_policy(policyName="steelhil-device", target=made["certificateArn"])
    acl = acl_text(core)
    assert "pattern" not in acl and "dev-9" not in acl
    assert any("left out" in w or "no usable CN" in w for w in core.access_warnings)
    write_public(tmp_path / "c.pem", cert_pem(cert))
    write_private(tmp_path / "c.key", key_pem(key))
    rogue = MqttThing(
        core.endpoint, cert_file=str(tmp_path / "c.pem"), key_file=str(tmp_path / "c.key")
    )
    with pytest.raises(ConnectionRefused):
        rogue.connect(timeout=5)
    other.subscribe("dt/dev-o/#")
    other.publish("dt/dev-o/x", b"1")
    assert other.expect("dt/dev-o/x").payload == b"1"
    assert_core_serves(core, bystander)


@pytest.mark.parametrize(
    "name", [INJECTED, "has space", "x" * 129, "dot.ted", "slash/ed"], ids=repr
)
def test_create_thing_refuses_names_aws_refuses(
    core: LocalIoTCore, bystander: Bystander, name: str
) -> None:
    with pytest.raises(ClientError) as exc:
        core.iot().create_thing(thingName=name)
    assert api_error(exc)[:2] == ("InvalidRequestException", 400)
    with pytest.raises(ClientError):
        core.iot().create_thing_group(thingGroupName=name)
    assert_core_serves(core, bystander)


# --- item 6: a revoked certificate stays revoked ----------------------------------------------


@pytest.mark.parametrize("status", ["ACTIVE", "INACTIVE"])
def test_a_revoked_certificate_cannot_be_activated_again(
    core: LocalIoTCore, bystander: Bystander, status: str
) -> None:
    creds = core.provision("dev-r")
    core.revoke(creds)
    iot = core.iot()
    with pytest.raises(ClientError) as exc:
        iot.update_certificate(certificateId=creds.certificate_id, newStatus=status)  # type: ignore[arg-type]
    code, http, message = api_error(exc)
    assert (code, http) == ("CertificateStateException", 406) and "REVOKED" in message
    iot.update_certificate(certificateId=creds.certificate_id, newStatus="REVOKED")  # idempotent
    described = iot.describe_certificate(certificateId=creds.certificate_id)
    assert described["certificateDescription"]["status"] == "REVOKED"
    with pytest.raises(ConnectionRefused):
        core.client(creds).connect(timeout=5)
    assert_core_serves(core, bystander)


# --- item 7: the reserved name ``broadcast`` --------------------------------------------------


def test_the_registry_refuses_the_thing_name_broadcast(
    core: LocalIoTCore, device: Connect, bystander: Bystander
) -> None:
    with pytest.raises(ClientError) as exc:
        core.iot().create_thing(thingName="broadcast")
    code, _, message = api_error(exc)
    assert code == "InvalidRequestException" and "reserved" in message
    _, listener = device("dev-l")
    listener.subscribe("steel-programs/broadcast/load")
    # a thing named so that reached the registry some other way (an older state) gets no
    # write access to the broadcast topics
    creds = core.provision("dev-b")
    core.registry.backend.create_thing("broadcast", None, {})  # type: ignore[arg-type]
    core.iot().attach_thing_principal(thingName="broadcast", principal=creds.certificate_arn)
    assert any("reserved" in w for w in core.access_warnings)
    assert "broadcast" not in acl_text(core).replace("topic read +/broadcast/#", "")
    with core.connect(creds) as impostor:
        assert impostor.publish("steel-programs/broadcast/load", b"{}").value == NOT_AUTHORIZED
    with pytest.raises(TimeoutError):
        listener.expect("steel-programs/broadcast/load", timeout=0.5)
    assert_core_serves(core, bystander)


# --- item 8: revocation closes open connections --------------------------------------------------


@pytest.mark.parametrize("status", ["REVOKED", "INACTIVE"])
def test_a_connection_is_closed_when_its_certificate_leaves_active(
    core: LocalIoTCore, device: Connect, bystander: Bystander, status: str
) -> None:
    creds, dev = device("dev-x", clean_start=False, session_expiry=3600)
    dev.subscribe("dt/dev-x/#")
    core.set_certificate_status(creds, status)
    # closed before the API call returned; the wait only collects paho's callback
    assert dev.wait_disconnected(5) is not None
    with pytest.raises(ConnectionRefused):
        core.client(creds, client_id="dev-x").connect(timeout=5)
    if status == "INACTIVE":  # it may come back; its old session was discarded
        dev.close()
        core.set_certificate_status(creds, "ACTIVE")
        with core.connect(creds, clean_start=False, session_expiry=3600) as back:
            assert not back.session_present
    assert_core_serves(core, bystander)


def test_detaching_a_policy_leaves_the_connection_open(
    core: LocalIoTCore, device: Connect, bystander: Bystander
) -> None:
    """AWS disconnects when the certificate's status changes; a policy change applies to
    later actions. The connection stays (and may do nothing)."""
    creds, dev = device("dev-p")
    core.iot().detach_policy(policyName=creds.policy_name, target=creds.certificate_arn)
    assert dev.wait_disconnected(0.5) is None
    assert dev.publish("dt/dev-p/x", b"1").value == NOT_AUTHORIZED
    assert_core_serves(core, bystander)
