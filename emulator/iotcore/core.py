"""``LocalIoTCore``: the whole local IoT Core, started and stopped in-process.

It wires the parts together — the local CA, moto's API server with the operations moto lacks,
the shadow and jobs services, Mosquitto with an ACL and CRL derived from the registry, and
the MQTT bridge between them — and keeps their state in one directory so a restart (of the
broker alone, or of everything) loses nothing that was acknowledged.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from .access import AccessController
from .api import ApiServer, dataplane, jobs, registry_ops
from .api.http import Router
from .autosave import DEFAULT_AUTOSAVE, Autosave, SaveDriver
from .bridge import ServiceBridge, TrafficMonitor
from .client import MqttThing
from .clock import Clock, ManualClock, SystemClock
from .endpoint import Endpoint
from .eviction import Evictor
from .jobs import JobsService
from .mosquitto import (
    BrokerConfig,
    BrokerError,
    Mosquitto,
    find_mosquitto,
    free_port,
    port_free,
)
from .names import SERVICE_IDENTITY
from .pki import DEFAULT_SERVER_NAMES, LocalCA, ensure_client_cert, ensure_server_cert
from .provision import DEFAULT_POLICY_NAME, Provisioner, ThingCredentials
from .registry import Registry, reset_moto
from .services import ServiceHost
from .shadow import ShadowService
from .store import StateStore

if TYPE_CHECKING:
    from mypy_boto3_iot.client import IoTClient
    from mypy_boto3_iot_data.client import IoTDataPlaneClient
    from mypy_boto3_s3.client import S3Client

log = logging.getLogger(__name__)

#: moto accepts any credentials; these only exist so boto3 can sign its requests.
LOCAL_ACCESS_KEY = "steelhil-local"
LOCAL_SECRET_KEY = "steelhil-local-secret"
TICK_SECONDS = 0.25


class LocalIoTCore:
    """Start with ``with LocalIoTCore(directory) as core:``; ``core.endpoint`` says where it is.

    Only one may run per process: moto keeps its registry in process-wide globals.
    """

    _active: ClassVar[LocalIoTCore | None] = None
    _active_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        directory: Path | str,
        *,
        mqtt_port: int | None = None,
        api_port: int | None = None,
        bind: str = "127.0.0.1",
        advertise: str | None = None,
        server_names: Sequence[str] = (),
        region: str = "us-east-1",
        clock: Clock | None = None,
        mosquitto: Path | str | None = None,
        autosave: Autosave | str = DEFAULT_AUTOSAVE,
    ) -> None:
        self.directory = Path(directory).resolve()
        self.region = region
        self.clock: Clock = clock or SystemClock()
        #: ``None``: the ports of this directory's last start (so devices provisioned then
        #: reconnect), or free ones the first time; ``0``: free ports whatever happened before.
        self._mqtt_port = mqtt_port
        self._api_port = api_port
        self.autosave = Autosave.parse(autosave) if isinstance(autosave, str) else autosave
        self._bind = bind
        self.advertise = advertise or ("127.0.0.1" if bind in ("0.0.0.0", "::") else bind)
        self._names = list(dict.fromkeys([*DEFAULT_SERVER_NAMES, self.advertise, *server_names]))
        self._mosquitto_binary = find_mosquitto(mosquitto)
        self._sync_lock = threading.Lock()
        self._broker_lock = threading.Lock()
        self._stop_ticker = threading.Event()
        self._ticker: threading.Thread | None = None
        self._endpoint: Endpoint | None = None
        self._api: ApiServer | None = None
        self._broker: Mosquitto | None = None
        self._bridge: ServiceBridge | None = None
        self._access: AccessController | None = None
        self._evictor: Evictor | None = None
        self._saver: SaveDriver | None = None
        self._presigner: Any = None
        self.registry = Registry(region)
        self.store = StateStore(self.directory / "state")
        self.services = self._new_services()

    def _new_services(self) -> ServiceHost:
        return ServiceHost(
            ShadowService(),
            JobsService(self.region, self.registry.account_id, presign=self._presign),
            self.store,
            self.clock,
        )

    # --- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> LocalIoTCore:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Endpoint:
        with LocalIoTCore._active_lock:
            if LocalIoTCore._active is not None:
                raise RuntimeError(
                    "another LocalIoTCore is running in this process (moto's state is "
                    "process-wide); stop it first or run this one in another process"
                )
            LocalIoTCore._active = self
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        assert self._endpoint is not None
        return self._endpoint

    def _start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._keep_ports()
        pki_dir, broker_dir = self.directory / "pki", self.directory / "broker"
        reset_moto()
        self.ca = LocalCA.load_or_create(pki_dir)
        server_cert, server_key = ensure_server_cert(self.ca, self._names)
        service_cert, service_key = ensure_client_cert(self.ca, SERVICE_IDENTITY, "services")

        saved = self.store.load_registry()
        if saved:
            self.registry.restore(saved)
        self.registry.register_ca(self.ca.pem.decode())
        self.services = self._new_services()  # a second start() reads the state afresh
        self.services.load()

        router = Router()
        dataplane.register(router, self.services)
        jobs.register(router, self.services, self.registry)
        registry_ops.register(
            router, self.services, self.registry, self.ca, self.registry_changed, self._mqtt_host
        )
        self._api = ApiServer(router, self._bind, self._api_port or 0)
        self._api.start()

        ca_pem = self.ca.pem.decode()
        self._access = AccessController(
            self.ca,
            broker_dir / "acl",
            broker_dir / "crl.pem",
            lambda: (self.registry.certificates(), self.registry.ca_status(ca_pem)),
        )
        self._access.write()
        self._broker = self._start_broker(
            BrokerConfig(
                directory=broker_dir,
                port=self._mqtt_port or 0,
                host=self._bind,
                cafile=self.ca.ca_file,
                certfile=server_cert,
                keyfile=server_key,
                crlfile=broker_dir / "crl.pem",
                aclfile=broker_dir / "acl",
                autosave=self.autosave,
            )
        )
        local = "127.0.0.1" if self._bind in ("0.0.0.0", "::") else self._bind
        self._bridge = ServiceBridge(
            local,
            self._broker.config.port,
            self.ca.ca_file,
            service_cert,
            service_key,
            self.services.on_message,
        )
        self._bridge.start()
        self.services.attach(self._bridge.publish)
        if self.autosave.driven:
            self._saver = SaveDriver(self.autosave.interval, self._broker_pid, self._save_now)
            self._saver.start()
        self.store.save_registry(self.registry.export())

        self._stop_ticker.clear()
        self._ticker = threading.Thread(target=self._tick_loop, name="iotcore-ticker", daemon=True)
        self._ticker.start()
        if isinstance(self.clock, ManualClock):
            self.clock.add_listener(self.services.tick)

        self._endpoint = Endpoint(
            mqtt_host=self.advertise,
            mqtt_port=self._broker.config.port,
            ca_file=str(self.ca.ca_file),
            region=self.region,
            api_endpoint_url=f"http://{_url_host(self.advertise)}:{self._api.port}",
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )
        self._endpoint.save(self.directory / "endpoint.json")
        self._evictor = Evictor(self.ca, self._endpoint, local, self._broker.config.port)
        # a later stop() + start() of this object keeps the ports, so devices can reconnect
        self._mqtt_port = self._broker.config.port
        self._api_port = self._api.port

    def _keep_ports(self) -> None:
        """Resolve ``None`` ports to the ones in ``endpoint.json``, and refuse to start on a
        kept port that something else now holds (rather than moving devices elsewhere)."""
        if self._mqtt_port is not None and self._api_port is not None:
            return
        kept_mqtt, kept_api = _ports_of(self.directory / "endpoint.json")
        for attribute, kept, option in (
            ("_mqtt_port", kept_mqtt, "--port / mqtt_port"),
            ("_api_port", kept_api, "--api-port / api_port"),
        ):
            if getattr(self, attribute) is not None:
                continue
            if kept and not port_free(self._bind, kept):
                raise BrokerError(
                    f"port {kept} of {self.directory / 'endpoint.json'} is in use by another "
                    "program; it is kept so that devices provisioned before can reconnect. "
                    f"Free it, or pass {option} 0 to start on a new port."
                )
            setattr(self, attribute, kept)

    def _start_broker(self, config: BrokerConfig) -> Mosquitto:
        """Start Mosquitto; with an ephemeral port, retry if another process took it first."""
        attempts = 5 if config.port == 0 else 1
        for attempt in range(attempts):
            if self._mqtt_port == 0:
                config.port = free_port(config.host)
            broker = Mosquitto(config, self._mosquitto_binary)
            try:
                broker.start()
                return broker
            except BrokerError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop everything this core started; safe to call twice or after a failed start."""
        if isinstance(self.clock, ManualClock):
            self.clock.remove_listener(self.services.tick)
        self._stop_ticker.set()
        if self._ticker is not None:
            self._ticker.join(5)
            self._ticker = None
        self.services.attach(None)
        if self._saver is not None:
            self._saver.stop()
            self._saver = None
        for step in (self._stop_bridge, self._stop_broker, self._stop_api):
            try:
                step()
            except Exception:
                log.exception("while stopping the local IoT Core")
        with LocalIoTCore._active_lock:
            if LocalIoTCore._active is self:
                LocalIoTCore._active = None

    def _stop_bridge(self) -> None:
        if self._bridge is not None:
            self._bridge.stop()
            self._bridge = None

    def _stop_broker(self) -> None:
        with self._broker_lock:
            if self._broker is not None:
                self._broker.stop()
                self._broker = None

    def _stop_api(self) -> None:
        if self._api is not None:
            try:
                self.store.save_registry(self.registry.export())
            finally:
                self._api.stop()
                self._api = None

    @property
    def running(self) -> bool:
        return self._broker is not None and self._broker.running

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once the broker runs and the services are subscribed (e.g. after a crash)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bridge = self._bridge
            if self.running and bridge is not None and bridge.wait_ready(0.05):
                return True
            time.sleep(0.02)
        return False

    @property
    def endpoint(self) -> Endpoint:
        if self._endpoint is None:
            raise RuntimeError("the local IoT Core is not started")
        return self._endpoint

    @property
    def broker_pid(self) -> int | None:
        return self._broker.pid if self._broker else None

    # --- what tests and the harness use ------------------------------------------------------

    def provision(
        self,
        thing_name: str,
        *,
        policy_name: str = DEFAULT_POLICY_NAME,
        policy_document: Mapping[str, Any] | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> ThingCredentials:
        """Create the thing, an ECDSA P-256 key and certificate, and attach a policy."""
        return Provisioner(self.endpoint, self.directory / "things").provision(
            thing_name,
            policy_name=policy_name,
            policy_document=policy_document,
            attributes=attributes,
        )

    def set_certificate_status(self, credentials: ThingCredentials | str, status: str) -> None:
        """Through the AWS API (``UpdateCertificate``), as an operator would."""
        cert_id = credentials if isinstance(credentials, str) else credentials.certificate_id
        Provisioner(self.endpoint, self.directory / "things").set_certificate_status(
            cert_id, status
        )

    def deactivate(self, credentials: ThingCredentials | str) -> None:
        self.set_certificate_status(credentials, "INACTIVE")

    def revoke(self, credentials: ThingCredentials | str) -> None:
        self.set_certificate_status(credentials, "REVOKED")

    def restart_broker(
        self, hard: bool = False, down_for: float = 0.0, timeout: float = 10.0
    ) -> None:
        """Fault injection: stop Mosquitto (SIGTERM, or SIGKILL if ``hard``) and start it again
        on the same port with the same persistence file; returns when the services are back."""
        if self._broker is None or self._bridge is None:
            raise RuntimeError("the local IoT Core is not started")
        with self._broker_lock:
            self._bridge.mark_down()
            self._broker.restart(hard=hard, down_for=down_for)
        if not self._bridge.wait_ready(timeout):
            raise BrokerError("the IoT Core services did not reconnect after the restart")

    def monitor_traffic(self, monitor: TrafficMonitor | None) -> None:
        """Tell ``monitor`` each request the services receive and each message they send
        (an emulated fleet's ledger keeps virtual time exact with it); None stops."""
        if self._bridge is None:
            raise RuntimeError("the local IoT Core is not started")
        self._bridge.monitor = monitor

    def pause_services(self) -> None:
        """Fault injection: the shadow and jobs services go offline (the broker stays up).

        Requests published meanwhile wait in the services' persistent session and are
        answered, in order, by ``resume_services``.
        """
        if self._bridge is None:
            raise RuntimeError("the local IoT Core is not started")
        self._bridge.pause()

    def resume_services(self, timeout: float = 10.0) -> None:
        if self._bridge is None:
            raise RuntimeError("the local IoT Core is not started")
        self._bridge.resume(timeout)

    def connect(self, credentials: ThingCredentials, **options: Any) -> MqttThing:
        """A connected paho client for the thing (close it, or use it as a context manager)."""
        return MqttThing(self.endpoint, credentials, **options).connect()

    def client(self, credentials: ThingCredentials, **options: Any) -> MqttThing:
        """The same, not yet connected (to test refusals or set options first)."""
        return MqttThing(self.endpoint, credentials, **options)

    def tick(self) -> None:
        """Run due job timers now (they also run by themselves every quarter second)."""
        self.services.tick()

    def iot(self) -> IoTClient:
        return self.endpoint.iot()

    def iot_data(self) -> IoTDataPlaneClient:
        return self.endpoint.iot_data()

    def s3(self) -> S3Client:
        return self.endpoint.s3()

    @property
    def access_warnings(self) -> list[str]:
        return list(self._access.warnings) if self._access else []

    # --- internals -----------------------------------------------------------------------------

    def registry_changed(self) -> None:
        """After any registry change: regenerate ACL and CRL, reload the broker, persist, and
        close the connections of identities whose certificate is no longer ACTIVE.

        AWS disconnects the devices of a certificate that leaves ACTIVE "within a few
        minutes"; here it happens before the API call that made the change returns.
        """
        with self._sync_lock:
            access = self._access
            before = access.current if access is not None else None
            changed = access is not None and access.write()
            if changed and self._broker is not None and self._broker.running:
                self._broker.reload()
            self.store.save_registry(self.registry.export())
            after = access.current if access is not None else None
            if before is not None and after is not None:
                for identity in sorted(before.connectable - after.active):
                    self._evict(identity)

    def _evict(self, identity: str) -> None:
        broker, evictor = self._broker, self._evictor
        if broker is not None and broker.running and evictor is not None:
            evictor.evict(identity)

    def _broker_pid(self) -> int | None:
        broker = self._broker
        return broker.pid if broker is not None and broker.running else None

    def _save_now(self) -> None:
        broker = self._broker
        if broker is not None:
            broker.save()

    def _mqtt_host(self) -> str:
        return self.advertise

    def _presign(self, bucket: str, key: str, expires: int) -> str:
        if self._presigner is None:
            self._presigner = self.endpoint.s3()
        url: str = self._presigner.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
        )
        return url

    def _tick_loop(self) -> None:
        while not self._stop_ticker.wait(TICK_SECONDS):
            self.services.tick()
            self._supervise()

    def _supervise(self) -> None:
        """Mosquitto died on its own (not through ``restart_broker``): start it again."""
        with self._broker_lock:
            broker = self._broker
            if broker is None or broker.running or self._stop_ticker.is_set():
                return
            log.warning("mosquitto exited unexpectedly; restarting it")
            if self._bridge is not None:
                self._bridge.mark_down()
            try:
                broker.start()
            except BrokerError:
                log.exception("could not restart mosquitto")
                return
        if self._bridge is not None and not self._bridge.wait_ready(10):
            log.error("the IoT Core services did not reconnect after the broker restart")


def _ports_of(endpoint_file: Path) -> tuple[int, int]:
    """MQTT and API ports of an earlier start (0 where there was none)."""
    try:
        endpoint = Endpoint.load(endpoint_file)
    except (OSError, ValueError, KeyError, TypeError):
        return 0, 0
    try:
        api = urlsplit(endpoint.api_endpoint_url or "").port or 0
    except ValueError:
        api = 0
    return int(endpoint.mqtt_port), api


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def default_directory() -> Path:
    """``$STEELHIL_IOTCORE_DIR`` or ``.iotcore`` in the current directory."""
    return Path(os.environ.get("STEELHIL_IOTCORE_DIR", ".iotcore"))
