"""ECDSA P-256 signature verification in pure Python, the same on CPython and MicroPython.

Why: an update is trusted only if its manifest is signed by a key the device trusts, and
MicroPython has no ECDSA module (its mbedTLS is reachable for TLS only).  AWS's code signing
for IoT signs with ECDSA P-256 over SHA-256 and gives a DER signature, which is what this
verifies, so a manifest signed by AWS Signer checks here too.

How, and what MicroPython forced:
- points in Jacobian coordinates (no inversion per step), doubling specialised for a = -3;
- Shamir's trick: u1*G + u2*Q in one pass of 256 doublings over a table of G, Q and G+Q kept
  in affine form, so every addition is the cheaper mixed one;
- inverses by Fermat, ``pow(x, m - 2, m)``: MicroPython's ``pow(x, -1, m)`` silently
  returns 0, and it has no ``int.bit_length`` (bits are taken by shifting, a fixed 256);
- nothing here depends on secret data, so constant time does not matter: it only verifies.

Keys come as PEM or DER SubjectPublicKeyInfo (``-----BEGIN PUBLIC KEY-----``, what
``openssl`` and ``cryptography`` write) or an X.509 certificate (``-----BEGIN CERTIFICATE-----``,
what AWS's code signing uses; only its key is read, not its chain or dates).  Anything else
is a :class:`P256Error` saying what it is instead.
"""

import binascii

from . import der

P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_P256 = "1.2.840.10045.3.1.7"

_ALGORITHMS = {
    "1.2.840.113549.1.1.1": "an RSA key",
    "1.2.840.113549.1.1.10": "an RSA-PSS key",
    "1.2.840.10040.4.1": "a DSA key",
    "1.3.101.112": "an Ed25519 key",
    "1.3.101.113": "an Ed448 key",
    "1.3.101.110": "an X25519 key",
}
_CURVES = {
    "1.3.132.0.34": "P-384",
    "1.3.132.0.35": "P-521",
    "1.3.132.0.10": "secp256k1",
    "1.2.840.10045.3.1.1": "P-192",
    "1.3.132.0.33": "P-224",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
}


class P256Error(ValueError):
    """A key or signature that cannot be used; ``message`` says why, in words."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def inverse(x, m):
    """x**-1 mod m for prime m (Fermat; see the module docstring for why not pow(x, -1, m))."""
    return pow(x, m - 2, m)


def on_curve(x, y):
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x - 3 * x + B)) % P == 0


# -- point arithmetic (Jacobian: x = X/Z^2, y = Y/Z^3; Z == 0 is the point at infinity) -------


def _double(X1, Y1, Z1):
    """2*P1 ("dbl-2001-b", a = -3)."""
    if Z1 == 0 or Y1 == 0:
        return 1, 1, 0
    delta = Z1 * Z1 % P
    gamma = Y1 * Y1 % P
    beta = X1 * gamma % P
    alpha = 3 * (X1 - delta) * (X1 + delta) % P
    X3 = (alpha * alpha - 8 * beta) % P
    Z3 = ((Y1 + Z1) * (Y1 + Z1) - gamma - delta) % P
    Y3 = (alpha * (4 * beta - X3) - 8 * gamma * gamma) % P
    return X3, Y3, Z3


def _add_affine(X1, Y1, Z1, x2, y2):
    """P1 + (x2, y2), the second point affine and finite ("madd-2007-bl")."""
    if Z1 == 0:
        return x2, y2, 1
    Z1Z1 = Z1 * Z1 % P
    U2 = x2 * Z1Z1 % P
    S2 = y2 * Z1 * Z1Z1 % P
    H = (U2 - X1) % P
    r = 2 * (S2 - Y1) % P
    if H == 0:
        if r == 0:
            return _double(X1, Y1, Z1)
        return 1, 1, 0
    HH = H * H % P
    I = 4 * HH % P  # noqa: E741 (the formula's own name)
    J = H * I % P
    V = X1 * I % P
    X3 = (r * r - J - 2 * V) % P
    Y3 = (r * (V - X3) - 2 * Y1 * J) % P
    Z3 = ((Z1 + H) * (Z1 + H) - Z1Z1 - HH) % P
    return X3, Y3, Z3


def _affine(X, Y, Z):
    """(x, y), or None for the point at infinity."""
    if Z == 0:
        return None
    zi = inverse(Z, P)
    zi2 = zi * zi % P
    return X * zi2 % P, Y * zi2 * zi % P


def shamir(u1, u2, qx, qy):
    """u1*G + u2*Q in Jacobian coordinates, one double-and-add pass over both scalars."""
    both = _affine(*_add_affine(GX, GY, 1, qx, qy))  # None when Q == -G
    table = (None, (GX, GY), (qx, qy), both)
    X, Y, Z = 1, 1, 0
    i = 255
    while i >= 0:
        X, Y, Z = _double(X, Y, Z)
        entry = table[((u1 >> i) & 1) | (((u2 >> i) & 1) << 1)]
        if entry is not None:
            X, Y, Z = _add_affine(X, Y, Z, entry[0], entry[1])
        i -= 1
    return X, Y, Z


# -- keys -------------------------------------------------------------------------------------


class PublicKey:
    """A P-256 public key: a point on the curve (checked when made)."""

    __slots__ = ("x", "y")

    def __init__(self, x, y):
        if not on_curve(x, y):
            raise P256Error("public key: the point is not on the P-256 curve")
        self.x = x
        self.y = y

    def verify(self, digest, signature):
        """Whether DER ``signature`` signs ``digest`` (the SHA-256 of the message, 32 bytes).

        Raises :class:`P256Error` if ``signature`` is not a DER ECDSA signature at all;
        returns False if it is one but not by this key over this digest.
        """
        r, s = decode_signature(signature)
        return verify_digest(self.x, self.y, digest, r, s)

    def point_bytes(self):
        """The uncompressed point (0x04 || X || Y), 65 bytes."""
        return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    def __eq__(self, other):
        return isinstance(other, PublicKey) and self.x == other.x and self.y == other.y

    def __hash__(self):
        return hash((self.x, self.y))

    def __repr__(self):
        return "PublicKey(%s...)" % binascii.hexlify(self.x.to_bytes(32, "big")[:6]).decode()


def verify_digest(qx, qy, digest, r, s):
    """ECDSA verification (SEC 1, 4.1.4) of (r, s) over ``digest`` for the key (qx, qy)."""
    if not (0 < r < N and 0 < s < N):
        return False
    if len(digest) > 32:
        digest = digest[:32]
    e = int.from_bytes(digest, "big") % N
    w = inverse(s, N)
    X, Y, Z = shamir(e * w % N, r * w % N, qx, qy)
    point = _affine(X, Y, Z)
    return point is not None and point[0] % N == r


def decode_signature(signature):
    """(r, s) from a DER ``SEQUENCE { INTEGER r, INTEGER s }``; P256Error if it is not one."""
    if not isinstance(signature, (bytes, bytearray)):
        raise P256Error("signature: expected bytes")
    try:
        start, stop = der.whole(signature, der.SEQUENCE, "signature")
        r_start, r_stop = der.expect(signature, start, der.INTEGER, "signature r", stop)
        s_start, s_stop = der.expect(signature, r_stop, der.INTEGER, "signature s", stop)
        if s_stop != stop:
            raise der.DerError("signature: %d bytes after s" % (stop - s_stop))
        r = der.positive_integer(signature, r_start, r_stop, "signature r")
        s = der.positive_integer(signature, s_start, s_stop, "signature s")
    except der.DerError as exc:
        raise P256Error("not a DER ECDSA signature (%s)" % exc.message)
    if not (0 < r < N and 0 < s < N):
        raise P256Error("not a P-256 signature (r or s is out of range)")
    return r, s


def _point(data):
    """A PublicKey from an SEC 1 point: uncompressed (04 X Y) or compressed (02/03 X)."""
    if len(data) == 65 and data[0] == 4:
        return PublicKey(int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
    if len(data) == 33 and data[0] in (2, 3):
        x = int.from_bytes(data[1:], "big")
        if x >= P:
            raise P256Error("public key: x is not below the field prime")
        y = pow((x * x * x - 3 * x + B) % P, (P + 1) // 4, P)  # P = 3 mod 4
        if y & 1 != data[0] & 1:
            y = P - y
        return PublicKey(x, y)
    raise P256Error("public key: not a P-256 point (%d bytes)" % len(data))


def _spki(data, start, stop):
    """The key in a SubjectPublicKeyInfo whose content is data[start:stop]."""
    alg_start, alg_stop = der.expect(data, start, der.SEQUENCE, "algorithm", stop)
    oid_start, oid_stop = der.expect(data, alg_start, der.OID, "algorithm", alg_stop)
    algorithm = der.oid(data, oid_start, oid_stop, "algorithm")
    if algorithm != OID_EC_PUBLIC_KEY:
        what = _ALGORITHMS.get(algorithm, "a key of algorithm %s" % algorithm)
        raise P256Error("public key: this is %s, not an ECDSA P-256 key" % what)
    tag, p_start, p_stop = der.read(data, oid_stop, alg_stop)
    if tag != der.OID:
        raise P256Error("public key: explicit curve parameters are not supported (name P-256)")
    curve = der.oid(data, p_start, p_stop, "curve")
    if curve != OID_P256:
        what = _CURVES.get(curve, "curve %s" % curve)
        raise P256Error("public key: this is an ECDSA key on %s, not P-256" % what)
    if p_stop != alg_stop:
        raise der.DerError("algorithm: %d bytes after the curve" % (alg_stop - p_stop))
    bits_start, bits_stop = der.expect(data, alg_stop, der.BIT_STRING, "public key", stop)
    if bits_stop != stop:
        raise der.DerError("public key: %d bytes after the key" % (stop - bits_stop))
    if bits_stop == bits_start or data[bits_start] != 0:
        raise der.DerError("public key: the bit string does not hold whole bytes")
    return _point(data[bits_start + 1 : bits_stop])


def _certificate_spki(data, start, stop):
    """(start, stop) of the SubjectPublicKeyInfo in a certificate's tbsCertificate."""
    pos = start
    tag, _, end = der.read(data, pos, stop)
    if tag == der.CONTEXT_0:  # version
        pos = end
    for _ in range(5):  # serialNumber, signature, issuer, validity, subject
        _, _, pos = der.read(data, pos, stop)
    return der.expect(data, pos, der.SEQUENCE, "subject public key info", stop)


def load_der(data):
    """A PublicKey from DER: a SubjectPublicKeyInfo or an X.509 certificate."""
    try:
        start, stop = der.whole(data, der.SEQUENCE, "key")
        tag, inner_start, inner_stop = der.read(data, start, stop)
        if tag == der.INTEGER:  # PKCS#8 and SEC 1 private keys begin with a version number
            raise P256Error("this is a private key; trust the public key instead")
        if tag != der.SEQUENCE:
            raise der.DerError("key: expected a SEQUENCE inside, found tag 0x%02x" % tag)
        first_tag = der.read(data, inner_start, inner_stop)[0]
        if first_tag == der.OID:  # SubjectPublicKeyInfo { AlgorithmIdentifier {OID ...} ...}
            return _spki(data, start, stop)
        if first_tag in (der.CONTEXT_0, der.INTEGER):  # Certificate { tbsCertificate {...} ...}
            return _spki(data, *_certificate_spki(data, inner_start, inner_stop))
        raise der.DerError("neither a public key nor a certificate")
    except der.DerError as exc:
        raise P256Error("not a public key (%s)" % exc.message)


_PEM_PUBLIC = ("PUBLIC KEY", "CERTIFICATE")


def _pem_blocks(text):
    """[(label, body)] for every ``-----BEGIN label----- ... -----END label-----`` in text."""
    blocks = []
    label = None
    body = []
    for number, raw in enumerate(text.split("\n")):
        line = raw.strip()
        if line.startswith("-----BEGIN ") and line.endswith("-----"):
            if label is not None:
                raise P256Error("PEM: line %d begins a block inside %s" % (number + 1, label))
            label = line[11:-5]
            body = []
        elif line.startswith("-----END ") and line.endswith("-----"):
            if line[9:-5] != label:
                raise P256Error("PEM: line %d ends a block that was not begun" % (number + 1))
            blocks.append((label, "".join(body)))
            label = None
        elif label is not None:
            body.append(line)
    if label is not None:
        raise P256Error("PEM: the %s block has no END line" % label)
    return blocks


def strict_b64decode(text, what):
    """Standard base64 (RFC 4648, with padding, nothing else); P256Error otherwise.

    Why not just ``a2b_base64``: it skips characters it does not know, differently on
    CPython and MicroPython, so one text could decode two ways.
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode()
        except UnicodeError:
            raise P256Error("%s: not base64 text" % what)
    if not text or len(text) % 4:
        raise P256Error(
            "%s: base64 text of %d characters (a multiple of 4 expected)" % (what, len(text))
        )
    body = text.rstrip("=")
    if len(text) - len(body) > 2:
        raise P256Error("%s: too much base64 padding" % what)
    for i, ch in enumerate(body):
        if not ("A" <= ch <= "Z" or "a" <= ch <= "z" or "0" <= ch <= "9" or ch in "+/"):
            raise P256Error("%s: character %d (%r) is not base64" % (what, i + 1, ch))
    return binascii.a2b_base64(text.encode())  # bytes: the wasm build's binascii takes no str


def load_public_keys(data):
    """Every public key in PEM text (one or more blocks) or in one DER blob (``bytes``).

    A trust file may hold several keys (the current signing key and the next one).
    """
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data)
        if data[:1] == b"\x30":
            return [load_der(data)]
        try:
            data = data.decode()
        except UnicodeError:
            raise P256Error("neither PEM text nor DER")
    blocks = _pem_blocks(data)
    if not blocks:
        raise P256Error("no PEM block (-----BEGIN PUBLIC KEY-----) found")
    keys = []
    for label, body in blocks:
        if label not in _PEM_PUBLIC:
            if "PRIVATE" in label:
                raise P256Error("this is a private key (%s); trust the public key" % label)
            raise P256Error("a %s block is not a public key or certificate" % label)
        keys.append(load_der(strict_b64decode(body, label)))
    return keys


def load_public_key(data):
    """The one public key in ``data`` (PEM or DER); P256Error if there is not exactly one."""
    keys = load_public_keys(data)
    if len(keys) != 1:
        raise P256Error("expected one public key, found %d" % len(keys))
    return keys[0]
