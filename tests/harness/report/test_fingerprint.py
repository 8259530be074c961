from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from firmware.agent.version import FIRMWARE_VERSION
from harness.fingerprint import (
    DEFAULT_ROOT,
    file_sha256,
    firmware_fingerprint,
    make_fingerprint,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the repository's firmware/ (without caches) to change."""
    shutil.copytree(
        REPO / "firmware",
        tmp_path / "firmware",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    return tmp_path


def _manifest_digest(root: Path) -> str:
    """The documented definition, computed independently."""
    lines = []
    for path in sorted((root / "firmware").rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            lines.append((relative, hashlib.sha256(path.read_bytes()).hexdigest()))
    text = "".join(f"{rel}\0{digest}\n" for rel, digest in sorted(lines))
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_version_is_the_one_the_emulated_agent_reports() -> None:
    # the firmware that runs: this checkout, or the installed copy (tox installs a package)
    assert (DEFAULT_ROOT / "firmware" / "agent").is_dir()
    version, digest = firmware_fingerprint()
    assert version == FIRMWARE_VERSION
    assert digest == _manifest_digest(DEFAULT_ROOT)


def test_digest_is_over_paths_and_contents(tree: Path) -> None:
    _, before = firmware_fingerprint(tree)
    assert before == _manifest_digest(tree)
    assert firmware_fingerprint(tree)[1] == before  # the same tree, the same digest

    target = tree / "firmware" / "agent" / "topics.py"
    original = target.read_bytes()
    target.write_bytes(original + b"\n# changed\n")
    changed = firmware_fingerprint(tree)[1]
    assert changed != before

    target.write_bytes(original)
    assert firmware_fingerprint(tree)[1] == before

    target.rename(target.with_name("topics2.py"))  # same content, other path
    assert firmware_fingerprint(tree)[1] != before


def test_bytecode_caches_do_not_count(tree: Path) -> None:
    _, before = firmware_fingerprint(tree)
    cache = tree / "firmware" / "agent" / "__pycache__"
    cache.mkdir()
    (cache / "core.cpython-311.pyc").write_bytes(b"\x00bytecode")
    (cache / "notes.txt").write_text("still a cache")
    (tree / "firmware" / "stray.pyc").write_bytes(b"\x00")
    assert firmware_fingerprint(tree)[1] == before
    (tree / "firmware" / "new.scm").write_text('(log "hi")')
    assert firmware_fingerprint(tree)[1] != before


def test_version_comes_from_the_firmware(tree: Path) -> None:
    version_file = tree / "firmware" / "agent" / "version.py"
    version_file.write_text('FIRMWARE_VERSION: str = "2.0.0"\n')
    assert firmware_fingerprint(tree)[0] == "2.0.0"
    version_file.unlink()
    assert firmware_fingerprint(tree)[0] == "unknown"


def test_no_firmware_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no firmware/ directory"):
        firmware_fingerprint(tmp_path)


def test_file_sha256(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    data = bytes(range(256)) * 1000
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_make_fingerprint(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    scenarios = Path("scenarios")
    scenarios.mkdir()
    (scenarios / "b.yaml").write_text("name: b\n")
    (scenarios / "a.yaml").write_text("name: a\n")
    Path("rig.yaml").write_text("boards: []\n")
    fp = make_fingerprint(
        7, "aws:eu-west-1", [scenarios / "b.yaml", "scenarios/a.yaml"], "rig.yaml", root=tree
    )
    assert (fp.firmware_version, fp.firmware_sha256) == firmware_fingerprint(tree)
    assert (fp.seed, fp.iotcore) == (7, "aws:eu-west-1")
    assert list(fp.scenarios_sha256) == ["scenarios/a.yaml", "scenarios/b.yaml"]
    assert fp.scenarios_sha256["scenarios/a.yaml"] == hashlib.sha256(b"name: a\n").hexdigest()
    assert fp.rig == "rig.yaml sha256:" + hashlib.sha256(b"boards: []\n").hexdigest()
    assert fp.python and fp.platform and fp.steelhil_version
    assert make_fingerprint(7, "local", []).rig is None


def test_the_fingerprint_hashes_what_the_scenarios_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Programs and sensor traces are part of what ran: a changed program changes the
    fingerprint even though the scenario file did not change."""
    monkeypatch.chdir(tmp_path)
    scenarios = Path("scenarios")
    (scenarios / "programs").mkdir(parents=True)
    (scenarios / "programs" / "p.scm").write_text('(log "info" "one")\n')
    (scenarios / "ramp.csv").write_text("time,temperature\n0,20\n")
    (scenarios / "a.yaml").write_text(
        "programs: {p: programs/p.scm}\nsteps:\n  - deploy: p\n"
        "  - sensor_model: {quantity: temperature, kind: csv, file: ramp.csv}\n"
    )
    (scenarios / "broken.yaml").write_text("steps: [{deplyo: p}]\n")
    files = [scenarios / "a.yaml", scenarios / "broken.yaml"]
    before = make_fingerprint(0, "local", files)
    assert before.inputs_sha256 == {
        "scenarios/programs/p.scm": hashlib.sha256(b'(log "info" "one")\n').hexdigest(),
        "scenarios/ramp.csv": hashlib.sha256(b"time,temperature\n0,20\n").hexdigest(),
    }
    (scenarios / "programs" / "p.scm").write_text('(log "info" "two")\n')
    after = make_fingerprint(0, "local", files)
    assert after.scenarios_sha256 == before.scenarios_sha256
    assert after.inputs_sha256 != before.inputs_sha256
