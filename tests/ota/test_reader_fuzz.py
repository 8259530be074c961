"""Hostile input to the device's bundle reader and key parser: refused, never a crash.

Why property tests: the reader runs on a device that must stay up whatever it downloads.
Any change to a good bundle (a byte changed, inserted or removed; a cut; random bytes)
must end in a ``BundleError`` with a known reason, and any bytes given as a key or a
signature in a ``P256Error``; no other exception may escape (an IndexError or a
RecursionError would take the job handler down with it).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware.ota import bundle as device_bundle
from firmware.ota import p256
from firmware.ota.errors import BAD_BUNDLE, BAD_SIGNATURE, HASH_MISMATCH, BundleError
from harness.ota.bundle import build_bundle
from tests.ota.test_bundle_build import make_tree, trust

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_KEY = ec.generate_private_key(ec.SECP256R1())
_CACHE: dict[str, bytes] = {}


def good_bundle() -> bytes:
    """One small signed bundle, built on first use (hypothesis calls the tests many times)."""
    if "good" not in _CACHE:
        with tempfile.TemporaryDirectory() as tmp:
            tree = make_tree(Path(tmp) / "fw")
            _CACHE["good"] = build_bundle(tree, "1.2.0", _KEY, min_version="1.0").data
    return _CACHE["good"]


def outcome(data: bytes) -> str:
    try:
        device_bundle.check_bundle(io.BytesIO(data), trust(_KEY))
    except BundleError as exc:
        assert exc.reason in (BAD_BUNDLE, BAD_SIGNATURE, HASH_MISMATCH)
        assert exc.message and "Traceback" not in exc.message
        return str(exc.reason)
    return "accepted"


@SETTINGS
@given(st.data())
def test_any_single_edit_of_a_good_bundle_is_refused(data: st.DataObject) -> None:
    good = good_bundle()
    at = data.draw(st.integers(0, len(good) - 1))
    kind = data.draw(st.sampled_from(["change", "insert", "delete", "cut"]))
    if kind == "change":
        new = data.draw(st.integers(0, 255).filter(lambda b: b != good[at]))
        mutated = good[:at] + bytes([new]) + good[at + 1 :]
    elif kind == "insert":
        mutated = good[:at] + data.draw(st.binary(min_size=1, max_size=4)) + good[at:]
    elif kind == "delete":
        mutated = good[:at] + good[at + 1 :]
    else:
        mutated = good[:at]
    if mutated != good:
        assert outcome(mutated) != "accepted"


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes_are_refused(blob: bytes) -> None:
    assert outcome(blob) == BAD_BUNDLE
    assert outcome(b"STEELOTA 1\n" + blob) != "accepted"


@SETTINGS
@given(st.binary(max_size=200))
def test_any_bytes_as_a_signature_or_key_give_a_p256_error_or_a_verdict(blob: bytes) -> None:
    public = trust(_KEY)[0]
    try:
        assert public.verify(b"\x00" * 32, blob) in (True, False)
    except p256.P256Error as exc:
        assert exc.message
    for candidate in (blob, b"\x30" + blob, blob.decode("latin-1")):
        try:
            p256.load_public_keys(candidate)
        except p256.P256Error as exc:
            assert exc.message


def test_the_good_bundle_itself_is_accepted() -> None:
    assert outcome(good_bundle()) == "accepted"
