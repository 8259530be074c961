"""Test helpers for OTA bundles that run on CPython *and* MicroPython: a signer, a DER
writer and a bundle writer.

Why a signer of our own: the bundle tests must also run under MicroPython, which has no
``cryptography``.  The key is made when a test asks for one (never stored in the
repository); signing is textbook ECDSA over the verifier's own point arithmetic, which the
CPython tests cross-check against ``cryptography`` (tests/ota/).
"""

import binascii
import hashlib
import json
import random

from firmware.ota import p256

SPKI_P256_PREFIX = binascii.unhexlify(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200"
)  # SubjectPublicKeyInfo { ecPublicKey, prime256v1 } BIT STRING { 04 X Y }


def random_scalar():
    """A random integer in 1..n-1 (getrandbits is limited to 32 bits on MicroPython)."""
    while True:
        value = 0
        for _ in range(8):
            value = (value << 32) | random.getrandbits(32)
        if 0 < value < p256.N:
            return value


def multiply_g(k):
    """k*G, affine."""
    return p256._affine(*p256.shamir(k, 0, p256.GX, p256.GY))


# -- DER -----------------------------------------------------------------------------------


def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes(4, "big")
    while body[0] == 0:
        body = body[1:]
    return bytes([0x80 | len(body)]) + body


def tlv(tag, content):
    return bytes([tag]) + der_length(len(content)) + content


def der_int(value):
    body = value.to_bytes(33, "big")
    while len(body) > 1 and body[0] == 0 and not body[1] & 0x80:
        body = body[1:]
    return tlv(0x02, body)


def der_signature(r, s):
    return tlv(0x30, der_int(r) + der_int(s))


def pem(label, der):
    text = binascii.b2a_base64(der).decode().replace("\n", "")
    lines = ["-----BEGIN %s-----" % label]
    for i in range(0, len(text), 64):
        lines.append(text[i : i + 64])
    lines.append("-----END %s-----" % label)
    return "\n".join(lines) + "\n"


# -- keys -------------------------------------------------------------------------------------


class SigningKey:
    """A P-256 key pair made at test time."""

    def __init__(self, d=None):
        self.d = d if d is not None else random_scalar()
        x, y = multiply_g(self.d)
        self.public = p256.PublicKey(x, y)

    def spki_der(self):
        return SPKI_P256_PREFIX + self.public.point_bytes()

    def public_pem(self):
        return pem("PUBLIC KEY", self.spki_der())

    def sign_digest(self, digest):
        """(r, s) over a 32-byte digest."""
        e = int.from_bytes(digest, "big") % p256.N
        while True:
            k = random_scalar()
            r = multiply_g(k)[0] % p256.N
            if r == 0:
                continue
            s = p256.inverse(k, p256.N) * (e + r * self.d) % p256.N
            if s:
                return r, s

    def sign(self, message):
        """The DER signature over SHA-256(message)."""
        r, s = self.sign_digest(hashlib.sha256(message).digest())
        return der_signature(r, s)


# -- bundles -----------------------------------------------------------------------------------


def sha256_hex(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


FILES = [
    ("firmware/__init__.py", b""),
    ("firmware/agent/core.py", b"print('core')\n"),
    ("firmware/agent/extra.py", b"x = 1\n"),
]


def manifest_for(files, version="1.2.0", **fields):
    """The manifest dict for ``files`` [(path, bytes)]; ``fields`` add or replace keys."""
    out = {
        "format": 1,
        "version": version,
        "files": [{"path": p, "size": len(d), "sha256": sha256_hex(d)} for p, d in files],
        "total_size": sum(len(d) for _, d in files),
    }
    for key in fields:
        out[key] = fields[key]
    return out


def encode(manifest):
    return json.dumps(manifest, separators=(",", ":")).encode()


def b64(data):
    return binascii.b2a_base64(data).decode().replace("\n", "").encode()


def assemble(manifest_bytes, signature_text, payload):
    head = b"STEELOTA 1\n" + ("%d %d\n" % (len(manifest_bytes), len(signature_text))).encode()
    return head + manifest_bytes + signature_text + b"\n" + payload


def make_bundle(key, files=None, manifest=None, manifest_bytes=None, payload=None, **fields):
    """A bundle signed by ``key``; any part may be given to make a bad one (still signed)."""
    if files is None:
        files = FILES
    if manifest_bytes is None:
        if manifest is None:
            manifest = manifest_for(files, **fields)
        manifest_bytes = encode(manifest)
    if payload is None:
        payload = b"".join(d for _, d in files)
    return assemble(manifest_bytes, b64(key.sign(manifest_bytes)), payload)


class Trickle:
    """A stream that returns at most ``step`` bytes per read, as a socket may."""

    def __init__(self, data, step=1):
        self.data = data
        self.pos = 0
        self.step = step

    def read(self, n=-1):
        if n < 0:
            n = len(self.data) - self.pos
        n = min(n, self.step)
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out
