"""The IoT Core a run talks to: the local one (started by the harness) or AWS.

DESIGN.md principle 3: one interface, two implementations.  The engine, the backends and the
fixtures only use :class:`HarnessCore`; which side it is decides nothing else.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from emulator.device.fleet import OBSERVER_POLICY
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import ThingCredentials

from .backends.base import Unsupported

__all__ = ["OBSERVER_POLICY", "AwsCore", "HarnessCore", "LocalCore", "local_core", "open_core"]


class HarnessCore(Protocol):
    kind: str  # "local" or "aws:<region>"

    @property
    def endpoint(self) -> Endpoint: ...

    def provision(self, thing_name: str) -> ThingCredentials: ...

    def observer_credentials(self) -> ThingCredentials: ...

    def iot(self) -> Any: ...

    def iot_data(self) -> Any: ...

    def s3(self) -> Any: ...

    def restart_broker(self, down_for: float = 0.0) -> None: ...

    def revoke(self, thing_name: str) -> None: ...


class _ProvisioningCore:
    """What both IoT Cores do the same way: remember the credentials they made (to revoke
    them later), and give the observer its own identity and policy."""

    def __init__(self) -> None:
        self._credentials: dict[str, ThingCredentials] = {}

    def _provision(self, thing_name: str, **options: Any) -> ThingCredentials:
        raise NotImplementedError

    def _revoke(self, credentials: ThingCredentials) -> None:
        raise NotImplementedError

    def provision(
        self,
        thing_name: str,
        *,
        policy_name: str | None = None,
        policy_document: Mapping[str, Any] | None = None,
    ) -> ThingCredentials:
        options: dict[str, Any] = {}
        if policy_name is not None:
            options["policy_name"] = policy_name
        if policy_document is not None:
            options["policy_document"] = policy_document
        creds = self._provision(thing_name, **options)
        self._credentials[thing_name] = creds
        return creds

    def observer_credentials(self) -> ThingCredentials:
        return self.provision(
            "steelhil-observer", policy_name="steelhil-observer", policy_document=OBSERVER_POLICY
        )

    def revoke(self, thing_name: str) -> None:
        creds = self._credentials.get(thing_name)
        if creds is None:
            raise Unsupported(f"{thing_name} was not provisioned by this run")
        self._revoke(creds)


class LocalCore(_ProvisioningCore):
    """The local IoT Core (Mosquitto + shadow/jobs services + moto) as the harness uses it."""

    kind = "local"

    def __init__(self, core: Any) -> None:
        super().__init__()
        self.core = core

    @property
    def endpoint(self) -> Endpoint:
        endpoint: Endpoint = self.core.endpoint
        return endpoint

    def _provision(self, thing_name: str, **options: Any) -> ThingCredentials:
        creds: ThingCredentials = self.core.provision(thing_name, **options)
        return creds

    def _revoke(self, credentials: ThingCredentials) -> None:
        self.core.revoke(credentials)

    def iot(self) -> Any:
        return self.core.iot()

    def iot_data(self) -> Any:
        return self.core.iot_data()

    def s3(self) -> Any:
        return self.core.s3()

    def restart_broker(self, down_for: float = 0.0) -> None:
        self.core.restart_broker(down_for=down_for)

    def __getattr__(self, name: str) -> Any:
        """Everything else of :class:`~emulator.iotcore.core.LocalIoTCore` (``connect``,
        ``client``, ``s3``, ...): tests that used the core directly keep working with the
        plugin's session fixture."""
        return getattr(self.core, name)


class AwsCore(_ProvisioningCore):
    """A real AWS account: the account's ATS data endpoint on 8883, provisioning through
    boto3 (``CreateCertificateFromCsr``: private keys never leave this machine), the same
    observer policy.  What AWS does not let a client do (restart its broker) raises
    :class:`~harness.backends.base.Unsupported`.

    ``ca_file``: Amazon Root CA 1 (download it once from Amazon Trust Services; this tool
    does not fetch it for you).  ``profile``: a boto3 profile (``AWS_PROFILE`` works too).
    """

    def __init__(
        self, directory: Path, *, region: str, ca_file: str, profile: str | None = None
    ) -> None:
        import boto3

        from emulator.iotcore.provision import Provisioner

        super().__init__()
        session = boto3.Session(region_name=region, profile_name=profile)
        host = session.client("iot").describe_endpoint(endpointType="iot:Data-ATS")[
            "endpointAddress"
        ]
        self.kind = f"aws:{region}"
        self._endpoint = Endpoint(
            mqtt_host=host,
            mqtt_port=8883,
            ca_file=ca_file,
            region=region,
            iot_data_endpoint_url=f"https://{host}",
        )
        self._session = session
        self._provisioner = Provisioner(self._endpoint, directory / "things")

    @property
    def endpoint(self) -> Endpoint:
        return self._endpoint

    def _provision(self, thing_name: str, **options: Any) -> ThingCredentials:
        return self._provisioner.provision(thing_name, **options)

    def _revoke(self, credentials: ThingCredentials) -> None:
        self._provisioner.set_certificate_status(credentials.certificate_id, "REVOKED")

    def iot(self) -> Any:
        return self._session.client("iot")

    def iot_data(self) -> Any:
        return self._session.client("iot-data", endpoint_url=self._endpoint.iot_data_endpoint_url)

    def s3(self) -> Any:
        return self._session.client("s3")

    def restart_broker(self, down_for: float = 0.0) -> None:
        raise Unsupported("AWS IoT Core's broker cannot be restarted by a client")


@contextlib.contextmanager
def open_core(kind: str, directory: Path, *, region: str | None = None) -> Iterator[HarnessCore]:
    """``local``: start the local IoT Core in ``directory``; ``aws``: use the account that
    boto3's credential chain names (region from ``--aws-region`` or ``AWS_REGION``; Amazon
    Root CA 1 from ``STEELHIL_AWS_CA``)."""
    if kind == "local":
        with local_core(directory) as core:
            yield core
        return
    if kind == "aws":
        import os

        region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        ca_file = os.environ.get("STEELHIL_AWS_CA")
        if not region or not ca_file:
            raise Unsupported(
                "--iotcore aws needs a region (--aws-region or AWS_REGION) and Amazon Root CA 1 "
                "in STEELHIL_AWS_CA (a PEM file), plus AWS credentials boto3 can find"
            )
        directory.mkdir(parents=True, exist_ok=True)
        yield AwsCore(directory, region=region, ca_file=ca_file)
        return
    raise Unsupported(f"unknown IoT Core {kind!r}: local or aws")


@contextlib.contextmanager
def local_core(directory: Path | None = None) -> Iterator[LocalCore]:
    """Start a local IoT Core for the duration of the block."""
    from emulator.iotcore.core import LocalIoTCore

    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="steelhil-")))
        core = stack.enter_context(LocalIoTCore(directory))
        yield LocalCore(core)
