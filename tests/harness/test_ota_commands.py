"""``steelhil ota keygen | bundle | inspect`` as a release engineer runs them (subprocesses)."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.ota.test_bundle_build import make_tree

ROOT = Path(__file__).resolve().parents[2]


def steelhil(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "ota", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key pair, a small firmware tree and its bundle, made once with the real commands."""
    root = tmp_path_factory.mktemp("ota")
    assert steelhil("keygen", "--out", root / "keys").returncode == 0
    make_tree(root / "fw")
    made = steelhil(
        "bundle", "--from", root / "fw", "--version", "1.2.0", "--min-version", "1.0.0",
        "--sign-key", root / "keys" / "ota-signing.pem", "-o", root / "b.bin",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return root


def test_keygen_writes_the_pair_with_the_private_half_0600(tmp_path: Path) -> None:
    result = steelhil("keygen", "--out", tmp_path / "k")
    assert result.returncode == 0, result.stderr
    private, public = tmp_path / "k" / "ota-signing.pem", tmp_path / "k" / "ota-signing.pub.pem"
    assert str(private) in result.stdout and str(public) in result.stdout
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    again = steelhil("keygen", "--out", tmp_path / "k")
    assert again.returncode == 2
    assert "already exists (pass --force to replace the key pair)" in again.stderr
    assert "Traceback" not in again.stderr
    assert steelhil("keygen", "--out", tmp_path / "k", "--force").returncode == 0


def test_bundle_prints_what_it_wrote(work: Path) -> None:
    out = work / "again.bin"
    result = steelhil(
        "bundle", "--from", work / "fw", "--version", "2.0.0",
        "--sign-key", work / "keys" / "ota-signing.pem", "-o", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bundle 2.0.0 for board: 5 files, ")
    assert lines[0].endswith(f"{out.stat().st_size} bytes in all")
    assert lines[2].startswith("  sha256 ") and len(lines[2].split()[1]) == 64


def test_inspect_with_the_trusted_key_prints_the_manifest_and_exits_0(work: Path) -> None:
    result = steelhil("inspect", work / "b.bin", "--trust", work / "keys" / "ota-signing.pub.pem")
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert "version 1.2.0\ntarget board: a real ESP32-C3: every module compiled" in text
    assert "\nreplaces 1.0.0 or newer\n5 files," in text
    assert "firmware/agent/core.mpy" in text and "firmware/agent/core.py" not in text
    assert "signature: checks (signed by a trusted key)" in text
    assert "files: every size and sha256 matches the manifest" in text


def test_inspect_with_another_key_says_it_does_not_check_and_exits_1(
    work: Path, tmp_path: Path
) -> None:
    assert steelhil("keygen", "--out", tmp_path).returncode == 0
    result = steelhil("inspect", work / "b.bin", "--trust", tmp_path / "ota-signing.pub.pem")
    assert result.returncode == 1
    assert "signature: DOES NOT CHECK" in result.stdout
    assert "error: bad-signature: the manifest is not signed by the key" in result.stdout
    assert "version 1.2.0" in result.stdout  # the manifest is still shown
    # either key of a trust list may have signed
    both = steelhil(
        "inspect", work / "b.bin", "--trust", tmp_path / "ota-signing.pub.pem",
        "--trust", work / "keys" / "ota-signing.pub.pem",
    )  # fmt: skip
    assert both.returncode == 0, both.stdout


def test_inspect_of_a_tampered_bundle_names_the_file_and_exits_1(
    work: Path, tmp_path: Path
) -> None:
    data = bytearray((work / "b.bin").read_bytes())
    data[-3] ^= 0x01
    (tmp_path / "t.bin").write_bytes(bytes(data))
    result = steelhil(
        "inspect", tmp_path / "t.bin", "--trust", work / "keys" / "ota-signing.pub.pem", "--json"
    )
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert found["signature"] == "checked" and found["payload"] == "failed"
    message = "firmware/steel/__init__.mpy: its sha256 is not the one the manifest lists"
    assert found["errors"] == [{"reason": "hash-mismatch", "message": message}]
    assert found["ok"] is False


def test_inspect_of_a_truncated_bundle_exits_1(work: Path, tmp_path: Path) -> None:
    (tmp_path / "cut.bin").write_bytes((work / "b.bin").read_bytes()[:30])
    result = steelhil("inspect", tmp_path / "cut.bin")
    assert result.returncode == 1
    assert "error: bad-bundle: truncated: the bundle ends inside its manifest" in result.stdout


def test_inspect_without_trust_checks_the_files_only(work: Path) -> None:
    result = steelhil("inspect", work / "b.bin", "--json")
    assert result.returncode == 0
    found = json.loads(result.stdout)
    assert found["manifest"]["version"] == "1.2.0"
    assert found["manifest"]["target"] == "board"
    assert [f["path"] for f in found["manifest"]["files"]][:2] == [
        "firmware/__init__.mpy",
        "firmware/agent/__init__.mpy",
    ]
    assert found["signature"] == "not checked" and found["payload"] == "checked"
    assert len(found["sha256"]) == 64 and len(found["manifest_id"]) == 64


def test_unreadable_inputs_exit_2_with_a_message(work: Path, tmp_path: Path) -> None:
    missing = steelhil("inspect", tmp_path / "none.bin")
    assert missing.returncode == 2 and "none.bin: no such file" in missing.stderr
    private = steelhil("inspect", work / "b.bin", "--trust", work / "keys" / "ota-signing.pem")
    assert private.returncode == 2
    assert "this is a private key (PRIVATE KEY); trust the public key" in private.stderr
    for result in (missing, private):
        assert "Traceback" not in result.stderr


def test_bundle_refuses_what_is_not_a_firmware_or_a_signing_key(work: Path, tmp_path: Path) -> None:
    key = work / "keys" / "ota-signing.pem"
    out = tmp_path / "x.bin"
    cases = [
        (("--from", ROOT), "holds a firmware tree but is not one: pass"),
        (("--from", work / "fw", "--version", "1.2.x"), "--version: '1.2.x' is not dotted"),
        (
            ("--from", work / "fw", "--sign-key", work / "keys" / "ota-signing.pub.pem"),
            "holds no private key",
        ),
    ]
    for extra, words in cases:
        args: list[str | Path] = ["bundle", "--version", "1.0", "--sign-key", key, "-o", out]
        args += list(extra)
        result = steelhil(*args)
        assert result.returncode == 2, (extra, result.stdout)
        assert words in result.stderr, (extra, result.stderr)
        assert "Traceback" not in result.stderr
        assert not out.exists()


def test_the_default_tree_is_this_checkouts_firmware(work: Path, tmp_path: Path) -> None:
    out = tmp_path / "fw.bin"
    result = steelhil(
        "bundle", "--version", "1.2.0", "--sign-key", work / "keys" / "ota-signing.pem", "-o", out
    )
    assert result.returncode == 0, result.stderr
    shown = steelhil("inspect", out, "--trust", work / "keys" / "ota-signing.pub.pem", "--json")
    assert shown.returncode == 0
    paths = [f["path"] for f in json.loads(shown.stdout)["manifest"]["files"]]
    assert "firmware/agent/core.mpy" in paths and "firmware/ota/p256.mpy" in paths
    assert "firmware/ports/esp32c3/app.mpy" in paths  # a real board's port goes with it
    assert not [p for p in paths if p.endswith(".py")]


def test_a_bundle_signed_elsewhere_in_two_steps(work: Path, tmp_path: Path) -> None:
    """The AWS Signer path: --manifest-only, sign that file elsewhere, then --signature."""
    manifest = tmp_path / "m.json"
    first = steelhil(
        "bundle", "--from", work / "fw", "--version", "1.5.0", "--manifest-only", "-o", manifest
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("manifest of bundle 1.5.0 for board: 5 files, ")
    signer = serialization.load_pem_private_key(
        (work / "keys" / "ota-signing.pem").read_bytes(), password=None
    )
    assert isinstance(signer, ec.EllipticCurvePrivateKey)
    signature = signer.sign(manifest.read_bytes(), ec.ECDSA(hashes.SHA256()))
    (tmp_path / "m.sig").write_bytes(base64.b64encode(signature))
    out = tmp_path / "b.bin"
    second = steelhil(
        "bundle", "--from", work / "fw", "--version", "1.5.0", "--signature", tmp_path / "m.sig",
        "--trust", work / "keys" / "ota-signing.pub.pem", "-o", out,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("bundle 1.5.0 for board: 5 files, ")
    wrong = steelhil(
        "bundle", "--from", work / "fw", "--version", "1.5.1", "--signature", tmp_path / "m.sig",
        "--trust", work / "keys" / "ota-signing.pub.pem", "-o", tmp_path / "c.bin",
    )  # fmt: skip
    assert wrong.returncode == 2 and "the signature does not check" in wrong.stderr
    assert not (tmp_path / "c.bin").exists()


def test_the_two_steps_for_the_emulated_target_give_the_same_manifest_and_need_it(
    work: Path, tmp_path: Path
) -> None:
    """The manifest of a target is the same each time it is prepared, and a signature over
    one target's manifest does not join another target's payload."""
    firsts = []
    for name in ("e1.json", "e2.json", "board.json"):
        target = "board" if name == "board.json" else "emulated"
        made = steelhil(
            "bundle", "--from", work / "fw", "--version", "1.6.0", "--target", target,
            "--manifest-only", "-o", tmp_path / name,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        firsts.append((tmp_path / name).read_bytes())
    assert firsts[0] == firsts[1] and firsts[0] != firsts[2]
    assert json.loads(firsts[0])["target"] == "emulated"
    signer = serialization.load_pem_private_key(
        (work / "keys" / "ota-signing.pem").read_bytes(), password=None
    )
    assert isinstance(signer, ec.EllipticCurvePrivateKey)
    (tmp_path / "e.sig").write_bytes(signer.sign(firsts[0], ec.ECDSA(hashes.SHA256())))
    joined = {}
    for target in ("emulated", "board"):
        joined[target] = steelhil(
            "bundle", "--from", work / "fw", "--version", "1.6.0", "--target", target,
            "--signature", tmp_path / "e.sig", "--trust", work / "keys" / "ota-signing.pub.pem",
            "-o", tmp_path / f"{target}.bin",
        )  # fmt: skip
    assert joined["emulated"].returncode == 0, joined["emulated"].stderr
    assert joined["board"].returncode == 2
    assert "the same tree, version, options and target" in joined["board"].stderr
    shown = steelhil("inspect", tmp_path / "emulated.bin")
    assert "target emulated: an emulated board: .py source" in shown.stdout
    assert "firmware/agent/core.py" in shown.stdout


def test_an_unknown_target_is_refused_with_the_known_ones(work: Path, tmp_path: Path) -> None:
    result = steelhil(
        "bundle", "--from", work / "fw", "--version", "1.0", "--target", "esp32s3",
        "--manifest-only", "-o", tmp_path / "m.json",
    )  # fmt: skip
    assert result.returncode == 2
    assert "invalid choice: 'esp32s3' (choose from 'board', 'board-source', 'emulated')" in (
        result.stderr
    )
    assert not (tmp_path / "m.json").exists()
