"""Close the connections of an identity that may no longer connect (its certificate revoked,
deactivated or deleted), as AWS does when a certificate leaves ACTIVE.

Mosquitto re-reads its CRL on SIGHUP but judges only new connections by it, and it has no
administrative "disconnect this client" without a plugin. It does close a connection when
another one arrives with the same client id, and the broker's client id is the certificate's
identity (``use_username_as_clientid``). So the core connects once as that identity, with a
short-lived certificate of its own for the same common name and a clean session, and leaves:
the old connection is closed, its session (queued messages included) discarded, and the
device's reconnect attempts are refused by the CRL.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from .client import ConnectionRefused, MqttThing
from .endpoint import Endpoint
from .pki import LocalCA, write_private, write_public

log = logging.getLogger(__name__)

#: How long an evicting certificate is valid; it is used once, within seconds, and its key
#: never outlives the connect.
EVICTOR_VALIDITY = dt.timedelta(minutes=10)
#: How long one eviction may take before the core gives up on it (and logs that).
EVICT_TIMEOUT_S = 5.0


class Evictor:
    def __init__(self, ca: LocalCA, endpoint: Endpoint, host: str, port: int) -> None:
        self.ca = ca
        self.endpoint = endpoint
        self.host = host
        self.port = port

    def evict(self, identity: str) -> bool:
        """Close ``identity``'s connection and session; False if the broker did not take the
        evicting connect within ``EVICT_TIMEOUT_S``."""
        scratch = Path(tempfile.mkdtemp(prefix="evict-", dir=self.ca.directory))
        try:
            cert, key = self.ca.issue_client(identity, record=False, valid_for=EVICTOR_VALIDITY)
            write_public(scratch / "cert.pem", cert)
            write_private(scratch / "key.pem", key)
            client = MqttThing(
                self.endpoint,
                cert_file=str(scratch / "cert.pem"),
                key_file=str(scratch / "key.pem"),
                client_id=identity,  # the broker uses the certificate's identity anyway
                clean_start=True,
                session_expiry=0,
                host=self.host,
                port=self.port,
            )
            try:
                client.connect(timeout=EVICT_TIMEOUT_S)
            except (ConnectionRefused, TimeoutError):
                log.error("could not close the connections of %s", identity)
                return False
            client.close()
            return True
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
