"""The device's verifier (firmware/ota/p256.py) against ``cryptography`` (OpenSSL).

Why: our verifier is new code doing security work; OpenSSL is the reference.  Signatures
``cryptography`` makes must verify, signatures it rejects must be refused by ours, and keys
and certificates it writes must load (or be refused with the right words).
"""

from __future__ import annotations

import datetime
import hashlib
import random
from collections.abc import Callable
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.x509.oid import NameOID

from firmware.ota import p256

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def ours(key: ec.EllipticCurvePrivateKey) -> p256.PublicKey:
    return p256.load_public_key(key.public_key().public_bytes(PEM, SPKI))


def theirs_accept(key: ec.EllipticCurvePrivateKey, message: bytes, signature: bytes) -> bool:
    try:
        key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def ours_accept(key: p256.PublicKey, message: bytes, signature: bytes) -> bool:
    try:
        return bool(key.verify(hashlib.sha256(message).digest(), signature))
    except p256.P256Error:
        return False


def test_signatures_by_cryptography_verify() -> None:
    rng = random.Random(1)
    for _ in range(25):
        key = ec.generate_private_key(ec.SECP256R1())
        message = rng.randbytes(rng.randrange(0, 300))
        signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
        public = ours(key)
        assert public.verify(hashlib.sha256(message).digest(), signature)
        assert not public.verify(hashlib.sha256(message + b"!").digest(), signature)


def test_signatures_cryptography_rejects_are_refused_and_the_rest_agree() -> None:
    """Every single-byte change and every truncation of a signature: same verdict as OpenSSL."""
    rng = random.Random(2)
    key = ec.generate_private_key(ec.SECP256R1())
    public = ours(key)
    message = b'{"format":1,"version":"1.2.0"}'
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    variants = [signature[:cut] for cut in range(len(signature))]
    for at in range(len(signature)):
        for _ in range(3):
            changed = bytearray(signature)
            changed[at] = rng.randrange(256)
            variants.append(bytes(changed))
    variants.append(signature + b"\x00")
    rejected = 0
    for variant in variants:
        verdict = theirs_accept(key, message, variant)
        assert ours_accept(public, message, variant) == verdict, variant.hex()
        rejected += not verdict
    assert rejected > len(variants) // 2


def test_another_key_and_another_message_are_refused() -> None:
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    signature = key.sign(b"m", ec.ECDSA(hashes.SHA256()))
    assert not ours_accept(ours(other), b"m", signature)
    assert not ours_accept(ours(key), b"n", signature)


def test_high_s_and_non_der_encodings_match_openssl() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"payload"
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    high = encode_dss_signature(r, p256.N - s)
    assert theirs_accept(key, message, high) and ours_accept(ours(key), message, high)
    # the same integers with a needless leading zero before r: OpenSSL refuses what is not
    # DER, and so do we (one signature, one encoding)
    sig = encode_dss_signature(r, s)
    r_len = sig[3]
    loose = b"\x02" + bytes([r_len + 1]) + b"\x00" + sig[4:]
    loose = b"\x30" + bytes([len(loose)]) + loose
    assert not theirs_accept(key, message, loose)
    assert not ours_accept(ours(key), message, loose)


def test_keys_written_by_cryptography_load_in_every_public_form() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    expected = key.public_key().public_numbers()
    for blob in (
        key.public_key().public_bytes(PEM, SPKI),
        key.public_key().public_bytes(DER, SPKI),
    ):
        loaded = p256.load_public_key(blob)
        assert (loaded.x, loaded.y) == (expected.x, expected.y)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ota signer")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CODE_SIGNING]), False)
        .sign(key, hashes.SHA256())
    )
    for blob in (certificate.public_bytes(PEM), certificate.public_bytes(DER)):
        loaded = p256.load_public_key(blob)
        assert (loaded.x, loaded.y) == (expected.x, expected.y)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: ec.generate_private_key(ec.SECP384R1()), "on P-384, not P-256"),
        (lambda: ec.generate_private_key(ec.SECP521R1()), "on P-521, not P-256"),
        (lambda: ec.generate_private_key(ec.SECP256K1()), "on secp256k1, not P-256"),
        (lambda: rsa.generate_private_key(65537, 2048), "this is an RSA key"),
        (lambda: ed25519.Ed25519PrivateKey.generate(), "this is an Ed25519 key"),
        (lambda: dsa.generate_private_key(2048), "this is a DSA key"),
    ],
)
def test_a_key_that_is_not_p256_is_refused_by_name(make: Callable[[], Any], words: str) -> None:
    key = make()
    blob = key.public_key().public_bytes(PEM, SPKI)
    with pytest.raises(p256.P256Error, match=words):
        p256.load_public_key(blob)


def test_private_keys_are_refused_in_every_encoding() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    none = serialization.NoEncryption()
    for encoding in (PEM, DER):
        for fmt in (
            serialization.PrivateFormat.PKCS8,
            serialization.PrivateFormat.TraditionalOpenSSL,
        ):
            with pytest.raises(p256.P256Error, match="private key"):
                p256.load_public_key(key.private_bytes(encoding, fmt, none))
