"""The local certificate authority: CA, broker certificate, device certificates and the CRL.

AWS IoT authenticates devices by X.509 client certificates; the local IoT Core does the same
with real certificates from its own CA (moto's certificates are not chained to any CA a broker
could trust), and revokes them through a CRL that Mosquitto re-reads on SIGHUP.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .config_lines import ConfigValueError, one_line
from .names import SERVICE_IDENTITY

PrivateKey = ec.EllipticCurvePrivateKey

#: Like AWS IoT's own device certificates, ours do not expire during a product's life.
DEVICE_NOT_AFTER = dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
DEFAULT_SERVER_NAMES = ("localhost", "127.0.0.1", "::1")
#: CNs a device certificate must never get (the services' own identity).
RESERVED_COMMON_NAMES = frozenset({SERVICE_IDENTITY})


def generate_key() -> PrivateKey:
    """ECDSA P-256: what AWS recommends for constrained devices and what the ESP32-C3 can do."""
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_csr(key: PrivateKey, common_name: str) -> bytes:
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class CertificateError(ValueError):
    """A CSR or certificate the CA will not sign or accept."""


class LocalCA:
    """A CA kept in a directory: ``ca.pem``/``ca.key`` plus every certificate it issued."""

    def __init__(self, directory: Path, key: PrivateKey, cert: x509.Certificate) -> None:
        self.directory = directory
        self._key = key
        self.cert = cert
        self._lock = threading.Lock()
        self._common_names: set[str] | None = None

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def issued_dir(self) -> Path:
        return self.directory / "issued"

    @property
    def pem(self) -> bytes:
        return cert_pem(self.cert)

    @classmethod
    def load_or_create(cls, directory: Path, name: str = "steelhil local IoT Core CA") -> LocalCA:
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / "ca.pem", directory / "ca.key"
        if cert_path.exists() and key_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise CertificateError(f"{key_path} is not an EC private key")
            return cls(directory, key, x509.load_pem_x509_certificate(cert_path.read_bytes()))
        key = generate_key()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=365 * 30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        write_private(key_path, key_pem(key))
        write_public(cert_path, cert_pem(cert))
        return cls(directory, key, cert)

    # --- issuing -----------------------------------------------------------------------------

    def issue_server(self, names: Sequence[str]) -> tuple[bytes, bytes]:
        """A broker certificate for ``names`` (DNS names or IP addresses)."""
        key = generate_key()
        sans: list[x509.GeneralName] = []
        for name in dict.fromkeys(names):
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        cert = self._sign(
            key.public_key(),
            names[0] if names else "localhost",
            ExtendedKeyUsageOID.SERVER_AUTH,
            _now() + dt.timedelta(days=365 * 10),
            sans,
        )
        return cert_pem(cert), key_pem(key)

    def issue_client(
        self,
        cn: str,
        key: PrivateKey | None = None,
        record: bool = True,
        valid_for: dt.timedelta | None = None,
    ) -> tuple[bytes, bytes]:
        """A client certificate and its key; ``record`` makes it revocable through the CRL;
        ``valid_for`` makes it short-lived (a device certificate lasts until 2049)."""
        key = key or generate_key()
        not_after = DEVICE_NOT_AFTER if valid_for is None else _now() + valid_for
        cert = self._sign(key.public_key(), cn, ExtendedKeyUsageOID.CLIENT_AUTH, not_after)
        if record:
            self._record(cert)
        return cert_pem(cert), key_pem(key)

    def sign_csr(self, csr_pem: bytes, default_cn: str) -> bytes:
        """Sign a device CSR as AWS's CreateCertificateFromCsr does (the CSR keeps its key)."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError:
            raise CertificateError("the text is not a PEM certificate signing request") from None
        try:
            valid = csr.is_signature_valid
            public = csr.public_key()
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise CertificateError(
                "the CSR's key or signature algorithm is not supported"
            ) from None
        if not valid:
            raise CertificateError("the CSR signature does not verify")
        if not isinstance(public, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise CertificateError("the CSR key must be EC or RSA")
        try:
            wanted = common_name_of_name(csr.subject)
        except ValueError:
            raise CertificateError("the CSR's subject cannot be read") from None
        cn = self._unique_cn(check_common_name(wanted) if wanted else default_cn)
        cert = self._sign(public, cn, ExtendedKeyUsageOID.CLIENT_AUTH, DEVICE_NOT_AFTER)
        self._record(cert)
        return cert_pem(cert)

    def _unique_cn(self, wanted: str) -> str:
        """The broker's identity is the CN, so no two certificates may share one.

        The first certificate for ``dev-1`` is ``CN=dev-1``; a second (a rotation, or a CSR
        naming someone else's CN) becomes ``dev-1.<random hex>`` — a dot cannot occur in a
        thing name, so this never collides with a real one.
        """
        with self._lock:
            if self._common_names is None:
                self._common_names = set()
                for path in self.issued_dir.glob("*.pem") if self.issued_dir.exists() else []:
                    try:
                        issued = x509.load_pem_x509_certificate(path.read_bytes())
                    except ValueError:
                        continue
                    self._common_names.add(common_name(issued) or "")
            cn = wanted
            if cn in self._common_names or cn in RESERVED_COMMON_NAMES:
                cn = f"{wanted[:51]}.{os.urandom(6).hex()}"
            self._common_names.add(cn)
            return cn

    def issued_by_me(self, cert: x509.Certificate) -> bool:
        if cert.issuer != self.cert.subject:
            return False
        try:
            cert.verify_directly_issued_by(self.cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    def issued_serials(self) -> set[int]:
        """Serials of every client certificate this CA ever issued (from ``issued/``)."""
        if not self.issued_dir.exists():
            return set()
        out = set()
        for path in self.issued_dir.glob("*.pem"):
            try:
                out.add(int(path.stem, 16))
            except ValueError:
                continue
        return out

    def make_crl(self, revoked: Iterable[int]) -> bytes:
        now = _now()
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=365 * 10))
        )
        for serial in sorted(revoked):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - dt.timedelta(minutes=5))
                .build()
            )
        crl = builder.sign(self._key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.PEM)

    # --- internals ---------------------------------------------------------------------------

    def _sign(
        self,
        public_key: CertificatePublicKeyTypes,
        cn: str,
        usage: x509.ObjectIdentifier,
        not_after: dt.datetime,
        sans: list[x509.GeneralName] | None = None,
    ) -> x509.Certificate:
        now = _now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), False
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(self._key, hashes.SHA256())

    def _record(self, cert: x509.Certificate) -> None:
        write_public(self.issued_dir / f"{cert.serial_number:x}.pem", cert_pem(cert))


def check_common_name(cn: str) -> str:
    """A CSR's common name, if it can be the broker identity, else :class:`CertificateError`.

    The CN becomes the broker's username and a line of its ACL (``user <cn>``): one with a
    line break or another control character would add ACL lines of the requester's choosing.
    X.509 caps a CN at 64 characters.
    """
    if len(cn) > 64:
        raise CertificateError("the CSR's subject common name is longer than 64 characters")
    try:
        one_line(cn, "the CSR's subject common name")
    except ConfigValueError as exc:
        raise CertificateError(str(exc)) from None
    return cn


def common_name_of_name(name: x509.Name) -> str | None:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def ensure_server_cert(ca: LocalCA, names: Sequence[str]) -> tuple[Path, Path]:
    """The broker's certificate, re-issued whenever the set of names changes."""
    cert_path, key_path = ca.directory / "server.pem", ca.directory / "server.key"
    wanted = set(names)
    if cert_path.exists() and key_path.exists():
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            have = {str(v) for v in san.get_values_for_type(x509.DNSName)}
            have |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
            if have == wanted and ca.issued_by_me(cert):
                return cert_path, key_path
        except (ValueError, x509.ExtensionNotFound):
            pass
    pem, key = ca.issue_server(list(names))
    write_private(key_path, key)
    write_public(cert_path, pem)
    return cert_path, key_path


def ensure_client_cert(ca: LocalCA, cn: str, stem: str) -> tuple[Path, Path]:
    """A long-lived client identity kept beside the CA (the services' own identity)."""
    cert_path, key_path = ca.directory / f"{stem}.pem", ca.directory / f"{stem}.key"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if ca.issued_by_me(cert) and common_name(cert) == cn:
            return cert_path, key_path
    pem, key = ca.issue_client(cn, record=False)
    write_private(key_path, key)
    write_public(cert_path, pem)
    return cert_path, key_path
