"""Building bundles on the host (harness/ota/bundle.py) and the signing keys (keys.py).

What a tree contributes (caches and dotfiles left out), which trees are refused and how,
the self-test hook, and that what is built is what the device's reader accepts and what
``cryptography`` (and so AWS's verification) calls a valid signature of the manifest.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from firmware.ota import bundle as device_bundle
from firmware.ota import p256
from harness.ota import keys
from harness.ota.bundle import (
    DEFAULT_FIRMWARE,
    BundleBuildError,
    assemble,
    build_bundle,
    check_tree,
    encode_manifest,
    join,
    manifest_json,
    prepare,
    read_signature,
    sign,
    tree_files,
    write_bundle,
    write_manifest,
)


def make_tree(root: Path) -> Path:
    files = {
        "__init__.py": "",
        "agent/__init__.py": "",
        "agent/core.py": "print('agent')\n",
        "steel/__init__.py": "",
        "programs/blink.scm": "(led-on)\n",
        "__pycache__/x.cpython-311.pyc": "cache",
        "agent/__pycache__/core.cpython-311.pyc": "cache",
        "agent/old.pyc": "cache",
        "agent/old.pyo": "cache",
        "agent/core.py~": "backup",
        ".hidden": "dot",
        ".mypy_cache/3.11/x.json": "{}",
        "agent/.core.py.swp": "swap",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "fw")


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def trust(key: ec.EllipticCurvePrivateKey) -> list[p256.PublicKey]:
    return [
        p256.load_public_key(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    ]


def read(data: bytes, key: ec.EllipticCurvePrivateKey) -> list[tuple[str, bytes]]:
    return list(device_bundle.BundleReader(io.BytesIO(data), trust(key)).files())


def test_a_tree_gives_its_app_files_and_leaves_caches_and_dotfiles_out(tree: Path) -> None:
    assert [path for path, _ in tree_files(tree)] == [
        "firmware/__init__.py",
        "firmware/agent/__init__.py",
        "firmware/agent/core.py",
        "firmware/programs/blink.scm",
        "firmware/steel/__init__.py",
    ]


def test_the_bundle_holds_the_files_and_the_device_reader_accepts_it(
    tree: Path, key: ec.EllipticCurvePrivateKey
) -> None:
    built = build_bundle(tree, "1.2.0", key, min_version="1.0.0", target="emulated")
    files = read(built.data, key)
    assert files == [(path, source.read_bytes()) for path, source in tree_files(tree)]
    assert built.version == "1.2.0" and built.file_count == 5
    assert built.manifest["min_version"] == "1.0.0"
    assert built.manifest["total_size"] == sum(len(data) for _, data in files)
    assert len(built.sha256) == 64 and built.size == len(built.data)


def test_the_signature_is_ecdsa_p256_over_sha256_of_the_manifest_bytes(
    tree: Path, key: ec.EllipticCurvePrivateKey
) -> None:
    """What AWS's code signing produces for a file, checked by OpenSSL as AWS checks it."""
    built = build_bundle(tree, "1.2.0", key)
    head = device_bundle.read_head(io.BytesIO(built.data))
    assert head.manifest_bytes == built.manifest_bytes
    key.public_key().verify(head.signature(), built.manifest_bytes, ec.ECDSA(hashes.SHA256()))


def test_the_manifest_is_compact_json_in_the_formats_key_order(tree: Path) -> None:
    raw = encode_manifest(manifest_json([("firmware/a.py", b"x")], "2", min_version="1"))
    assert raw.startswith(b'{"format":1,"version":"2","min_version":"1","files":[{"path":')
    assert b", " not in raw and b": " not in raw
    assert list(json.loads(raw)) == ["format", "version", "min_version", "files", "total_size"]


def test_a_signature_made_elsewhere_can_be_assembled(tree: Path) -> None:
    """The AWS Signer path: sign the manifest bytes outside, then assemble the bundle."""
    signer = ec.generate_private_key(ec.SECP256R1())
    files = [(path, source.read_bytes()) for path, source in tree_files(tree)]
    raw = encode_manifest(manifest_json(files, "3.0.0"))
    signature = signer.sign(raw, ec.ECDSA(hashes.SHA256()))
    data = assemble(raw, signature, [content for _, content in files])
    assert read(data, signer) == files


def test_a_self_test_hook_inside_the_tree_keeps_its_path(
    tree: Path, key: ec.EllipticCurvePrivateKey
) -> None:
    (tree / "selftest.py").write_text("def run(): return True\n")
    built = build_bundle(tree, "1.2.0", key, self_test=tree / "selftest.py")
    assert built.manifest["self_test"] == "firmware/selftest.py"
    assert built.file_count == 6


def test_a_self_test_hook_from_elsewhere_goes_to_the_slot_root(
    tree: Path, key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    hook = tmp_path / "check_update.py"
    hook.write_text("def run(): return True\n")
    built = build_bundle(tree, "1.2.0", key, self_test=hook)
    assert built.manifest["self_test"] == "check_update.py"
    assert dict(read(built.data, key))["check_update.py"] == hook.read_bytes()


def test_self_test_hook_problems_are_named(
    tree: Path, key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    with pytest.raises(BundleBuildError, match="no such file"):
        build_bundle(tree, "1", key, self_test=tmp_path / "missing.py")
    with pytest.raises(BundleBuildError, match="leaves it out"):
        build_bundle(tree, "1", key, self_test=tree / "agent" / "old.pyc")
    taken = tmp_path / "elsewhere" / "firmware"
    taken.parent.mkdir()
    taken.write_text("")
    with pytest.raises(BundleBuildError, match="'firmware' is taken"):
        build_bundle(tree, "1", key, self_test=taken)


def test_trees_that_are_not_firmware_are_refused_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(BundleBuildError, match="does not exist"):
        check_tree(tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    with pytest.raises(BundleBuildError, match="is not a directory"):
        check_tree(tmp_path / "file")
    make_tree(tmp_path / "checkout" / "firmware")
    with pytest.raises(BundleBuildError, match=r"pass .*checkout/firmware"):
        check_tree(tmp_path / "checkout")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BundleBuildError, match=r"it has no __init__\.py, agent/__init__\.py"):
        check_tree(empty)
    partial = make_tree(tmp_path / "partial")
    (partial / "agent" / "core.py").unlink()
    with pytest.raises(
        BundleBuildError, match=r"is not a firmware tree: it has no agent/core\.py \("
    ):
        check_tree(partial)


def test_a_link_out_of_the_tree_is_refused(tree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not firmware")
    os.symlink(secret, tree / "agent" / "link.py")
    with pytest.raises(BundleBuildError, match="link to outside the firmware tree"):
        tree_files(tree)


def test_a_path_the_device_would_refuse_is_refused_when_building(
    tree: Path, key: ec.EllipticCurvePrivateKey
) -> None:
    (tree / "agent" / ("x" * 120 + ".py")).write_text("")
    with pytest.raises(BundleBuildError, match="a device refuses this path: it has a part longer"):
        build_bundle(tree, "1", key)


@pytest.mark.parametrize(
    ("version", "min_version", "words"),
    [
        ("1.x", None, "--version: '1.x' is not dotted integers"),
        ("1.2", "01", "--min-version: '01' has a part with a leading zero"),
    ],
)
def test_bad_versions_are_refused(
    tree: Path, key: ec.EllipticCurvePrivateKey, version: str, min_version: str | None, words: str
) -> None:
    with pytest.raises(BundleBuildError, match=words):
        build_bundle(tree, version, key, min_version=min_version)


def test_this_checkouts_firmware_builds_and_checks(key: ec.EllipticCurvePrivateKey) -> None:
    built = build_bundle(DEFAULT_FIRMWARE, "1.2.0", key)
    paths = [entry["path"] for entry in built.manifest["files"]]
    assert "firmware/agent/core.mpy" in paths and "firmware/ota/bundle.mpy" in paths
    assert not [p for p in paths if "__pycache__" in p or p.endswith(".pyc") or "/." in p]
    assert device_bundle.check_bundle(io.BytesIO(built.data), trust(key)).version == "1.2.0"


def test_write_bundle_is_all_or_nothing(
    tree: Path, key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    built = build_bundle(tree, "1", key)
    out = tmp_path / "b.bin"
    write_bundle(built, out)
    assert out.read_bytes() == built.data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    with pytest.raises(BundleBuildError, match="cannot write the bundle"):
        write_bundle(built, tmp_path / "no" / "dir" / "b.bin")


def test_sign_gives_a_der_signature_cryptography_accepts(key: ec.EllipticCurvePrivateKey) -> None:
    signature = sign(b"manifest", key)
    assert signature[0] == 0x30
    key.public_key().verify(signature, b"manifest", ec.ECDSA(hashes.SHA256()))


# -- keys -----------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    pair = keys.generate(tmp_path / "k")
    assert stat.S_IMODE(pair.private.stat().st_mode) == 0o600
    assert stat.S_IMODE(pair.public.stat().st_mode) == 0o644
    signing = keys.load_signing_key(pair.private)
    assert keys.load_trusted_keys(pair.public) == trust(signing)
    assert sorted(p.name for p in pair.private.parent.iterdir()) == [
        "ota-signing.pem",
        "ota-signing.pub.pem",
    ]


def test_keygen_keeps_an_existing_pair_unless_forced(tmp_path: Path) -> None:
    pair = keys.generate(tmp_path)
    before = pair.private.read_bytes()
    with pytest.raises(keys.KeyFileError, match=r"already exists .*--force"):
        keys.generate(tmp_path)
    assert pair.private.read_bytes() == before
    keys.generate(tmp_path, force=True)
    assert pair.private.read_bytes() != before
    assert stat.S_IMODE(pair.private.stat().st_mode) == 0o600
    (tmp_path / "plain").write_text("")
    with pytest.raises(keys.KeyFileError, match="is not a directory"):
        keys.generate(tmp_path / "plain")


def test_signing_keys_that_cannot_sign_are_refused_with_why(tmp_path: Path) -> None:
    pair = keys.generate(tmp_path / "k")
    ec_key = keys.load_signing_key(pair.private)
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    p384 = tmp_path / "p384.pem"
    p384.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    rsa_key = tmp_path / "rsa.pem"
    rsa_key.write_bytes(
        rsa.generate_private_key(65537, 2048).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("hello")
    cases = [
        (pair.public, "holds no private key"),
        (encrypted, "is encrypted"),
        (p384, "on secp384r1, not P-256"),
        (rsa_key, "is not an ECDSA key"),
        (garbage, "is not a PEM private key"),
        (tmp_path / "missing.pem", "no such signing key file"),
        (tmp_path, "is a directory"),
    ]
    for path, words in cases:
        with pytest.raises(keys.KeyFileError, match=words):
            keys.load_signing_key(path)


def test_trusted_key_files_are_read_by_the_device_parser(tmp_path: Path) -> None:
    pair = keys.generate(tmp_path / "k")
    with pytest.raises(keys.KeyFileError, match="this is a private key"):
        keys.load_trusted_keys(pair.private)
    with pytest.raises(keys.KeyFileError, match="no such public key file"):
        keys.load_trusted_keys(tmp_path / "none.pem")


# -- signed elsewhere (AWS Signer) -------------------------------------------------------------


def test_a_manifest_signed_elsewhere_joins_its_payload(tree: Path, tmp_path: Path) -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    unsigned = prepare(tree, "1.4.0", min_version="1.0")
    again = prepare(tree, "1.4.0", min_version="1.0")
    assert again.manifest_bytes == unsigned.manifest_bytes  # the same tree: the same bytes
    write_manifest(unsigned, tmp_path / "m.json")
    signature = signer.sign((tmp_path / "m.json").read_bytes(), ec.ECDSA(hashes.SHA256()))
    (tmp_path / "sig.der").write_bytes(signature)
    (tmp_path / "sig.b64").write_bytes(base64.b64encode(signature) + b"\n")
    for path in (tmp_path / "sig.der", tmp_path / "sig.b64"):
        built = join(again, read_signature(path), trust(signer))
        assert read(built.data, signer) == [
            (entry["path"], data)
            for entry, data in zip(built.manifest["files"], again.payload, strict=True)
        ]


def test_a_signature_over_another_manifest_is_refused_before_writing(
    tree: Path, tmp_path: Path
) -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    signature = signer.sign(prepare(tree, "1.4.0").manifest_bytes, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(BundleBuildError, match=r"the signature does not check: .*the same tree"):
        join(prepare(tree, "1.4.1"), signature, trust(signer))
    with pytest.raises(BundleBuildError, match="the signature does not check"):
        join(prepare(tree, "1.4.0"), signature, trust(ec.generate_private_key(ec.SECP256R1())))
    (tmp_path / "bad.sig").write_text("not a signature!")
    with pytest.raises(BundleBuildError, match="neither a DER signature nor its base64"):
        read_signature(tmp_path / "bad.sig")
    with pytest.raises(BundleBuildError, match="no such signature file"):
        read_signature(tmp_path / "none.sig")
