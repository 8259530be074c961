"""The harness's two IoT Cores.  AWS is exercised against moto (no account here): what the
harness asks of the AWS API -- endpoint discovery, provisioning from a CSR, the observer's
policy, revocation -- runs exactly as it would against an account; MQTT to AWS does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from harness.backends.base import Unsupported
from harness.iotcore import OBSERVER_POLICY, AwsCore, open_core


@pytest.fixture
def aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCore]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    ca = tmp_path / "AmazonRootCA1.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    with mock_aws():
        yield AwsCore(tmp_path / "aws", region="eu-west-1", ca_file=str(ca))


def test_the_endpoint_is_the_accounts_ats_data_endpoint(aws: AwsCore) -> None:
    endpoint = aws.endpoint
    assert endpoint.mqtt_host.endswith("-ats.iot.eu-west-1.amazonaws.com")
    assert endpoint.mqtt_port == 8883
    assert endpoint.iot_data_endpoint_url == f"https://{endpoint.mqtt_host}"
    assert aws.kind == "aws:eu-west-1"


def test_provisioning_registers_thing_certificate_and_policy(aws: AwsCore) -> None:
    creds = aws.provision("dev-1")
    assert Path(creds.cert_file).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert Path(creds.key_file).stat().st_mode & 0o077 == 0
    iot = aws.iot()
    assert iot.list_thing_principals(thingName="dev-1")["principals"] == [creds.certificate_arn]
    policies = iot.list_attached_policies(target=creds.certificate_arn)["policies"]
    assert [p["policyName"] for p in policies] == ["steelhil-device"]


def test_the_observer_gets_its_own_policy(aws: AwsCore) -> None:
    creds = aws.observer_credentials()
    iot = aws.iot()
    document = iot.get_policy(policyName="steelhil-observer")["policyDocument"]
    assert json.loads(document) == OBSERVER_POLICY
    assert creds.policy_name == "steelhil-observer"


def test_revocation_goes_through_the_api(aws: AwsCore) -> None:
    creds = aws.provision("dev-2")
    aws.revoke("dev-2")
    described = aws.iot().describe_certificate(certificateId=creds.certificate_id)
    assert described["certificateDescription"]["status"] == "REVOKED"
    with pytest.raises(Unsupported, match="not provisioned by this run"):
        aws.revoke("someone-else")


def test_what_aws_cannot_do_says_so(aws: AwsCore) -> None:
    with pytest.raises(Unsupported, match="cannot be restarted"):
        aws.restart_broker()


def test_aws_without_region_or_ca_explains_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "STEELHIL_AWS_CA"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(Unsupported, match="needs a region"), open_core("aws", tmp_path):
        pass
    with pytest.raises(Unsupported, match="unknown IoT Core 'gcp'"), open_core("gcp", tmp_path):
        pass
