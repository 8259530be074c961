"""ECDSA P-256 verification (firmware/ota/p256.py) and the DER it reads: published test
vectors, signatures by a key made at test time, and every malformed key and signature
refused with a message.  Runs on CPython and under MicroPython (tests/ota/ cross-checks
against ``cryptography`` on CPython)."""

import binascii
import hashlib

from firmware.ota import der, p256
from tests.firmware.ota_support import (
    SPKI_P256_PREFIX,
    SigningKey,
    der_int,
    der_signature,
    multiply_g,
    pem,
    tlv,
)
from tests.firmware.support import raises

# RFC 6979, A.2.5: the P-256 key (public half only) and its SHA-256 signatures.
RFC_UX = 0x60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6
RFC_UY = 0x7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299
RFC_SIGS = [
    (
        b"sample",
        0xEFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716,
        0xF7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8,
    ),
    (
        b"test",
        0xF1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367,
        0x019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083,
    ),
]

OID_RSA = tlv(0x06, binascii.unhexlify("2a864886f70d010101"))
OID_EC = tlv(0x06, binascii.unhexlify("2a8648ce3d0201"))
OID_P256 = tlv(0x06, binascii.unhexlify("2a8648ce3d030107"))
OID_P384 = tlv(0x06, binascii.unhexlify("2b81040022"))


def rfc_key():
    return p256.PublicKey(RFC_UX, RFC_UY)


def spki(algorithm, key_bits):
    return tlv(0x30, tlv(0x30, algorithm) + tlv(0x03, b"\x00" + key_bits))


def test_the_curve_constants_hold_together():
    assert p256.on_curve(p256.GX, p256.GY)
    assert multiply_g(1) == (p256.GX, p256.GY)
    assert p256._affine(*p256.shamir(p256.N, 0, p256.GX, p256.GY)) is None  # n*G = infinity
    assert multiply_g(p256.N - 1) == (p256.GX, p256.P - p256.GY)  # (n-1)*G = -G
    assert multiply_g(2) == p256._affine(*p256._double(p256.GX, p256.GY, 1))


def test_inverse_by_fermat_is_a_real_inverse():
    # MicroPython's pow(x, -1, m) returns 0: the verifier must never use it.
    for x in (1, 2, 3, p256.GX, p256.P - 1):
        assert x * p256.inverse(x, p256.P) % p256.P == 1
        assert x * p256.inverse(x, p256.N) % p256.N == 1


def test_rfc6979_vectors_verify():
    for message, r, s in RFC_SIGS:
        digest = hashlib.sha256(message).digest()
        assert p256.verify_digest(RFC_UX, RFC_UY, digest, r, s)
        assert rfc_key().verify(digest, der_signature(r, s))


def test_rfc6979_vectors_fail_when_anything_changes():
    message, r, s = RFC_SIGS[0]
    digest = hashlib.sha256(message).digest()
    assert not p256.verify_digest(RFC_UX, RFC_UY, hashlib.sha256(b"samplf").digest(), r, s)
    assert not p256.verify_digest(RFC_UX, RFC_UY, digest, r, s ^ 1)
    assert not p256.verify_digest(RFC_UX, RFC_UY, digest, r ^ 1, s)
    assert not p256.verify_digest(RFC_UX, RFC_UY, digest, s, r)
    assert not p256.verify_digest(p256.GX, p256.GY, digest, r, s)  # another key


def test_out_of_range_r_and_s_are_false_not_errors():
    digest = hashlib.sha256(b"sample").digest()
    for r, s in ((0, 1), (1, 0), (p256.N, 1), (1, p256.N), (-1, 1)):
        assert not p256.verify_digest(RFC_UX, RFC_UY, digest, r, s)


def test_signatures_by_a_key_made_now_verify():
    key = SigningKey()
    for message in (b"", b"manifest", b"x" * 1000):
        signature = key.sign(message)
        assert key.public.verify(hashlib.sha256(message).digest(), signature)
        assert not key.public.verify(hashlib.sha256(message + b".").digest(), signature)
        assert not SigningKey().public.verify(hashlib.sha256(message).digest(), signature)


def test_a_signature_with_high_s_still_verifies():
    # ECDSA's (r, n - s) is as valid as (r, s); cryptography accepts both, and so do we.
    message, r, s = RFC_SIGS[1]
    digest = hashlib.sha256(message).digest()
    assert p256.verify_digest(RFC_UX, RFC_UY, digest, r, p256.N - s)


def test_malformed_signatures_are_refused_with_a_message():
    r, s = RFC_SIGS[0][1], RFC_SIGS[0][2]
    good = der_signature(r, s)
    cases = [
        (b"", "truncated"),
        (b"\x30", "truncated"),
        (good[:-1], "runs past the end"),
        (good + b"\x00", "after its end"),
        (tlv(0x31, good[2:]), "expected tag 0x30"),
        (tlv(0x30, der_int(r)), "truncated"),
        (tlv(0x30, der_int(r) + der_int(s) + der_int(1)), "bytes after s"),
        (tlv(0x30, tlv(0x02, b"\x80" + b"\x01" * 31) + der_int(s)), "negative"),
        (tlv(0x30, tlv(0x02, b"\x00\x01") + der_int(s)), "superfluous leading zero"),
        (tlv(0x30, tlv(0x02, b"") + der_int(s)), "empty integer"),
        (b"\x30\x81\x06" + der_int(1) + der_int(1), "shortest form"),
        (b"\x30\x80" + der_int(1) + der_int(1) + b"\x00\x00", "indefinite length"),
        (b"\x30\x85\x00\x00\x00\x00\x06", "too long"),
        (b"\x3f\x06" + der_int(1) + der_int(1), "multi-byte tag"),
        (der_signature(0, s), "out of range"),
        (der_signature(r, p256.N), "out of range"),
    ]
    for blob, expected in cases:
        with raises(p256.P256Error, expected) as caught:
            p256.decode_signature(blob)
        assert caught.value.message
    with raises(p256.P256Error, "expected bytes"):
        p256.decode_signature("MEUCIQ")


def test_public_keys_load_from_pem_der_and_compressed_points():
    key = SigningKey()
    assert p256.load_public_key(key.public_pem()) == key.public
    assert p256.load_public_key(key.public_pem().encode()) == key.public
    assert p256.load_public_key(key.spki_der()) == key.public
    x = key.public.x.to_bytes(32, "big")
    compressed = bytes([2 + (key.public.y & 1)]) + x
    assert p256.load_der(spki(OID_EC + OID_P256, compressed)) == key.public
    flipped = bytes([3 - (key.public.y & 1)]) + x
    assert p256.load_der(spki(OID_EC + OID_P256, flipped)).y == p256.P - key.public.y


def test_a_trust_file_may_hold_several_keys_and_certificates():
    one, two = SigningKey(), SigningKey()
    tbs = tlv(
        0x30,
        tlv(0xA0, der_int(2))
        + der_int(7)
        + tlv(0x30, tlv(0x06, b"\x2a\x86\x48\xce\x3d\x04\x03\x02"))
        + tlv(0x30, b"")
        + tlv(0x30, b"")
        + tlv(0x30, b"")
        + two.spki_der(),
    )
    certificate = tlv(0x30, tbs + tlv(0x30, b"") + tlv(0x03, b"\x00"))
    text = "comment line\n" + one.public_pem() + pem("CERTIFICATE", certificate)
    assert p256.load_public_keys(text) == [one.public, two.public]
    with raises(p256.P256Error, "expected one public key, found 2"):
        p256.load_public_key(text)


def test_keys_that_are_not_p256_say_what_they_are():
    point = b"\x04" + b"\x01" * 64
    cases = [
        (spki(OID_RSA + tlv(0x05, b""), b"\x30\x00"), "this is an RSA key, not an ECDSA P-256 key"),
        (spki(tlv(0x06, b"\x2b\x65\x70"), b"\x00" * 32), "Ed25519"),
        (spki(OID_EC + OID_P384, b"\x04" + b"\x01" * 96), "on P-384, not P-256"),
        (spki(OID_EC + tlv(0x06, b"\x2b\x81\x04\x00\x0a"), point), "secp256k1"),
        (spki(OID_EC + tlv(0x06, b"\x2b\x06\x01"), point), "curve 1.3.6.1"),
        (spki(OID_EC + tlv(0x30, b""), point), "explicit curve parameters"),
        (spki(OID_EC + OID_P256, point), "not on the P-256 curve"),
        (spki(OID_EC + OID_P256, b"\x04" + b"\x01" * 10), "not a P-256 point"),
        (spki(OID_EC + OID_P256, b"\x02" + b"\xff" * 32), "below the field prime"),
        (tlv(0x30, tlv(0x30, OID_EC + OID_P256) + tlv(0x03, b"\x01" + point)), "whole bytes"),
        (SPKI_P256_PREFIX + point + b"\x00", "not a public key"),
        (tlv(0x30, der_int(0) + tlv(0x30, OID_EC + OID_P256) + tlv(0x04, b"k")), "private key"),
        (tlv(0x30, der_int(1) + tlv(0x04, b"\x01" * 32)), "private key"),
        (tlv(0x30, tlv(0x04, b"")), "not a public key"),
        (b"\x30\x03\x02\x01", "not a public key"),
    ]
    for blob, expected in cases:
        with raises(p256.P256Error, expected):
            p256.load_der(blob)


def test_pem_problems_are_named():
    key = SigningKey()
    body = key.public_pem()
    lines = body.split("\n")
    garbled = "\n".join([lines[0], "!" + lines[1][1:]] + lines[2:])
    cases = [
        ("", "no PEM block"),
        ("just text\n", "no PEM block"),
        (body.replace("-----END PUBLIC KEY-----\n", ""), "has no END line"),
        (body.replace("END PUBLIC", "END PRIVATE"), "not begun"),
        (body + body.replace("-----END PUBLIC KEY-----\n", ""), "has no END line"),
        ("-----BEGIN PUBLIC KEY-----\n" + body, "begins a block inside"),
        (body.replace("PUBLIC KEY", "PRIVATE KEY"), "private key"),
        (body.replace("PUBLIC KEY", "EC PRIVATE KEY"), "private key"),
        (body.replace("PUBLIC KEY", "RSA PARAMETERS"), "not a public key"),
        (garbled, "is not base64"),
        (body.replace("=", ""), "multiple of 4"),
        (b"\xff\xfe", "neither PEM text nor DER"),
    ]
    for text, expected in cases:
        with raises(p256.P256Error, expected):
            p256.load_public_keys(text)


def test_base64_is_read_strictly():
    assert p256.strict_b64decode("QUJD", "x") == b"ABC"
    assert p256.strict_b64decode(b"QUI=", "x") == b"AB"
    for text, expected in (("QUJ", "multiple of 4"), ("Q===", "too much"), ("QU C", "not base64")):
        with raises(p256.P256Error, expected):
            p256.strict_b64decode(text, "x")


def test_der_oid_text_and_its_errors():
    assert der.oid(OID_EC, 2, len(OID_EC), "x") == "1.2.840.10045.2.1"
    for content, expected in (
        (b"", "empty"),
        (b"\x2a\x86", "mid-arc"),
        (b"\x2a\x80\x01", "leading"),
    ):
        with raises(der.DerError, expected):
            der.oid(content, 0, len(content), "x")
