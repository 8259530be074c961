"""How the rest of the product finds "an IoT Core": broker, CA and AWS API endpoints.

The same description serves the local IoT Core and a real AWS account; code that talks to an
IoT Core takes an ``Endpoint`` and never asks which kind it is. ``endpoint.json`` is its file
form; unknown keys are kept so newer writers do not break older readers.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_iot.client import IoTClient
    from mypy_boto3_iot_data.client import IoTDataPlaneClient
    from mypy_boto3_s3.client import S3Client

AWS_MQTT_PORT = 8883
_KNOWN = (
    "mqtt_host",
    "mqtt_port",
    "ca_file",
    "region",
    "api_endpoint_url",
    "iot_data_endpoint_url",
    "aws_access_key_id",
    "aws_secret_access_key",
)


#: boto3 clients are thread-safe and expensive to build; keep the recent ones (bounded, since
#: every local IoT Core started in a test run has its own ports and so its own endpoint).
_CLIENTS: OrderedDict[tuple[Endpoint, str], Any] = OrderedDict()
_CLIENTS_LOCK = threading.Lock()
_MAX_CLIENTS = 16


@dataclass(frozen=True)
class Endpoint:
    """Where devices connect (MQTT over mutual TLS) and where boto3 calls go.

    ``api_endpoint_url`` is the boto3 ``endpoint_url`` for every AWS service (``None`` on real
    AWS); ``iot_data_endpoint_url`` defaults to it, or on AWS to the account's data endpoint
    (which is the MQTT host). Credentials are only set for the local IoT Core, whose moto
    server accepts any; on AWS boto3's usual credential chain applies.
    """

    mqtt_host: str
    mqtt_port: int
    ca_file: str
    region: str = "us-east-1"
    api_endpoint_url: str | None = None
    iot_data_endpoint_url: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    # --- file form -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.extra)
        for key in _KNOWN:
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], base_dir: Path | None = None) -> Endpoint:
        missing = [k for k in ("mqtt_host", "mqtt_port", "ca_file") if k not in data]
        if missing:
            raise ValueError(f"endpoint description lacks {', '.join(missing)}")
        ca_file = Path(str(data["ca_file"]))
        if base_dir is not None and not ca_file.is_absolute():
            ca_file = base_dir / ca_file
        known = {k: data[k] for k in _KNOWN if k in data}
        known["ca_file"] = str(ca_file)
        known["mqtt_port"] = int(known["mqtt_port"])
        extra = {k: v for k, v in data.items() if k not in _KNOWN}
        return cls(**known, extra=extra)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path | str) -> Endpoint:
        path = Path(path)
        if path.is_dir():
            path = path / "endpoint.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path} does not exist; start a local IoT Core with "
                f"`steelhil iotcore up --dir {path.parent}` or write one for your AWS account"
            ) from None
        return cls.from_json(data, base_dir=path.parent)

    @classmethod
    def for_aws(cls, region: str, ca_file: str, session: boto3.Session | None = None) -> Endpoint:
        """The account's own IoT Core (needs AWS credentials; untested here, no account)."""
        session = session or boto3.Session(region_name=region)
        iot = session.client("iot", region_name=region)
        host = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        return cls(mqtt_host=host, mqtt_port=AWS_MQTT_PORT, ca_file=ca_file, region=region)

    # --- boto3 -------------------------------------------------------------------------------

    def session(self) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
            region_name=self.region,
        )

    def endpoint_url(self, service: str) -> str | None:
        if service == "iot-data":
            return (
                self.iot_data_endpoint_url or self.api_endpoint_url or f"https://{self.mqtt_host}"
            )
        return self.api_endpoint_url

    def client(self, service: str) -> Any:
        """A boto3 client for ``service``; cached, since creating one costs ~0.2 s."""
        key = (self, service)
        with _CLIENTS_LOCK:
            cached = _CLIENTS.get(key)
            if cached is not None:
                _CLIENTS.move_to_end(key)
                return cached
        config = Config(retries={"max_attempts": 2, "mode": "standard"})
        if service == "s3" and self.api_endpoint_url:
            config = config.merge(Config(s3={"addressing_style": "path"}))
        client = self.session().client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url(service),
            config=config,
        )
        with _CLIENTS_LOCK:
            client = _CLIENTS.setdefault(key, client)
            while len(_CLIENTS) > _MAX_CLIENTS:
                _CLIENTS.popitem(last=False)
            return client

    def iot(self) -> IoTClient:
        client: IoTClient = self.client("iot")
        return client

    def iot_data(self) -> IoTDataPlaneClient:
        client: IoTDataPlaneClient = self.client("iot-data")
        return client

    def s3(self) -> S3Client:
        client: S3Client = self.client("s3")
        return client

    def cloudwatch(self) -> CloudWatchClient:
        client: CloudWatchClient = self.client("cloudwatch")
        return client
