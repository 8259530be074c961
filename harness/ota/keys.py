"""Signing keys for OTA bundles: make a pair, load the private half, load trusted public keys.

Why P-256: AWS's code signing for IoT signs ESP32 images with ECDSA P-256 over SHA-256
(reference: ota-load-cloud.md B.1), so one key can sign here and in AWS Signer.  The private
key is written unencrypted, readable by its owner only (0600): it is a test and CI key made
with ``steelhil ota keygen``; a production key belongs in AWS Signer or an HSM, and the
device only ever holds the public half.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from firmware.ota import p256

PRIVATE_NAME = "ota-signing.pem"
PUBLIC_NAME = "ota-signing.pub.pem"


class KeyFileError(Exception):
    """A key file that cannot be used; the message names the file and says why."""


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path


def _write_private(path: Path, data: bytes, force: bool) -> None:
    """Write ``data`` so that no other user can ever read it, not even for an instant."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # in case the umask or the filesystem widened it
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the file appeared meanwhile
    finally:
        tmp.unlink(missing_ok=True)


def generate(out: Path, *, force: bool = False) -> KeyPair:
    """Make a P-256 key pair in ``out``: ``ota-signing.pem`` (0600) and ``.pub.pem``.

    Existing key files are kept unless ``force``: overwriting a signing key by accident
    would strand every device that trusts the old one.
    """
    pair = KeyPair(out / PRIVATE_NAME, out / PUBLIC_NAME)
    if out.exists() and not out.is_dir():
        raise KeyFileError(f"{out} exists and is not a directory")
    if not force:
        for path in (pair.private, pair.public):
            if path.exists():
                raise KeyFileError(f"{path} already exists (pass --force to replace the key pair)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _write_private(pair.private, private, force)
        tmp = pair.public.with_name(f".{PUBLIC_NAME}.{os.getpid()}.tmp")
        tmp.write_bytes(public)
        os.chmod(tmp, 0o644)
        os.replace(tmp, pair.public)
    except FileExistsError:
        raise KeyFileError(
            f"{pair.private} already exists (pass --force to replace the key pair)"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"{out}: cannot write the key pair ({exc.strerror})") from None
    return pair


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise KeyFileError(f"{path} is a directory, not a {what}") from None
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read it ({exc.strerror})") from None


def load_signing_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The P-256 private key in PEM file ``path``; KeyFileError saying why not otherwise."""
    data = _read(path, "signing key file")
    if b"-----BEGIN" in data and b"PRIVATE KEY-----" not in data:
        raise KeyFileError(
            f"{path} holds no private key (a public key or certificate signs nothing; "
            f"sign with the private half, {PRIVATE_NAME})"
        )
    key: Any
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            f"{path} is encrypted; steelhil signs with an unencrypted key "
            "(decrypt a copy with `openssl pkey -in KEY -out PLAIN.pem`)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{path} is not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyFileError(f"{path} is not an ECDSA key; OTA bundles are signed with ECDSA P-256")
    if not isinstance(key.curve, ec.SECP256R1):
        raise KeyFileError(f"{path} is an ECDSA key on {key.curve.name}, not P-256 (secp256r1)")
    return key


def load_trusted_keys(path: Path) -> list[Any]:
    """The public keys (``firmware.ota.p256.PublicKey``) in PEM or DER file ``path``.

    Read by the device's own parser, so a key the harness accepts is one a board accepts.
    """
    data = _read(path, "public key file")
    try:
        keys: list[Any] = p256.load_public_keys(data)
    except p256.P256Error as exc:
        raise KeyFileError(f"{path}: {exc.message}") from None
    return keys
