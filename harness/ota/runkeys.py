"""Signing keys a run makes for itself: the one its boards trust, and one they do not.

Why: a QA engineer writes ``ota: {version: 1.2.0}`` and expects an update, not a key
ceremony.  Each run (backend session) generates a P-256 key pair; the boards it provisions
trust its public key (``ota.trust`` in their config), and the ``ota`` step signs the
bundles it builds with it -- or with the second key, which no board trusts, to rehearse a
bundle signed by someone else.  The private keys never leave memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

_STATE = "ota-run-keys"


@dataclass(frozen=True)
class RunKeys:
    trusted: ec.EllipticCurvePrivateKey
    untrusted: ec.EllipticCurvePrivateKey

    @property
    def trusted_pem(self) -> bytes:
        return public_pem(self.trusted)

    def key(self, signer: str) -> ec.EllipticCurvePrivateKey:
        return self.untrusted if signer == "untrusted" else self.trusted


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def run_keys(state: dict[str, Any]) -> RunKeys:
    """This run's keys (``state``: the backend session's state), made on first use."""
    keys = state.get(_STATE)
    if keys is None:
        keys = RunKeys(
            ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        )
        state[_STATE] = keys
    assert isinstance(keys, RunKeys)
    return keys
