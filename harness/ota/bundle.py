"""Build and sign an OTA bundle from a firmware tree (the format is ``firmware.ota.bundle``'s).

Why the builder reads its own output back with the device's reader before it returns: a
bundle the device would refuse (a path it finds unsafe, a size over its limit) should fail
here, with the file named, not on a board in the field.

What goes in: every file of the tree except caches (``__pycache__``, ``*.pyc``, ``*.pyo``),
dotfiles and dot-directories, and editor backups (``*~``), each under ``firmware/`` in the
slot (a slot's root holds the ``firmware`` package, as the board's filesystem root does
today), in the form the bundle's target takes (:mod:`.targets`: ``board`` compiles every
module to ``.mpy``, ``emulated`` keeps source and leaves ``ports/`` out).  A self-test hook
inside the tree keeps its path; one from elsewhere is added at the slot's root under its
own name.  The hook stays source whatever the target: the agent reads it and runs it as
source (``firmware/agent/ota.py``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import firmware
from firmware.ota import bundle as device_bundle
from firmware.ota import manifest as device_manifest
from firmware.ota import version as versions
from firmware.ota.errors import BundleError

from . import targets

#: This checkout's firmware (the installed ``firmware`` package; editable installs point here).
DEFAULT_FIRMWARE = Path(firmware.__file__).resolve().parent
SLOT_PACKAGE = "firmware"
_SKIP_DIRS = frozenset({"__pycache__"})
_SKIP_SUFFIXES = (".pyc", ".pyo", "~")
#: Files a tree must have to be a firmware: the package, the agent and the language.
REQUIRED = ("__init__.py", "agent/__init__.py", "agent/core.py", "steel/__init__.py")


class BundleBuildError(Exception):
    """The bundle cannot be built; the message names the file or option and says why."""


@dataclass(frozen=True)
class BuiltBundle:
    """A signed bundle in memory, with the facts a job document needs."""

    data: bytes
    manifest: dict[str, Any]
    manifest_bytes: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def file_count(self) -> int:
        return len(self.manifest["files"])

    @property
    def target(self) -> str | None:
        value = self.manifest.get("target")
        return value if isinstance(value, str) else None


def check_tree(tree: Path) -> None:
    """Refuse a directory that is not a firmware tree, saying what it looks like instead."""
    if not tree.exists():
        raise BundleBuildError(f"{tree} does not exist")
    if not tree.is_dir():
        raise BundleBuildError(f"{tree} is not a directory (--from names a firmware tree)")
    if not (tree / "agent" / "core.py").is_file() and (tree / SLOT_PACKAGE / "agent").is_dir():
        raise BundleBuildError(
            f"{tree} holds a firmware tree but is not one: pass {tree / SLOT_PACKAGE}"
        )
    missing = [name for name in REQUIRED if not (tree / name).is_file()]
    if missing:
        raise BundleBuildError(
            f"{tree} is not a firmware tree: it has no {', '.join(missing)} (a firmware tree "
            "is a directory like this checkout's firmware/: the agent/ and steel/ packages)"
        )


def _skipped(rel: Path) -> bool:
    return any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts) or (
        rel.name.endswith(_SKIP_SUFFIXES)
    )


def tree_files(tree: Path, without: Sequence[str] = ()) -> list[tuple[str, Path]]:
    """(path in the slot, file on disk) for every app file of ``tree``, sorted by path;
    ``without``: directories of the tree (``ports``) left out."""
    check_tree(tree)
    root = tree.resolve()
    out: list[tuple[str, Path]] = []
    for path in sorted(tree.rglob("*")):
        rel = path.relative_to(tree)
        if _skipped(rel) or path.is_dir():
            continue
        if any(rel.as_posix().startswith(d.strip("/") + "/") for d in without):
            continue
        if not path.is_file():
            raise BundleBuildError(f"{path} is not a regular file")
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            raise BundleBuildError(f"{path} is a link to outside the firmware tree")
        out.append((f"{SLOT_PACKAGE}/{rel.as_posix()}", path))
    return out


def _self_test_path(tree: Path, hook: Path, taken: Sequence[str]) -> tuple[str, Path | None]:
    """The hook's path in the slot, and the file to add when it is not already in the tree."""
    if not hook.is_file():
        raise BundleBuildError(f"--self-test {hook}: no such file")
    resolved = hook.resolve()
    try:
        rel = resolved.relative_to(tree.resolve())
    except ValueError:
        name = hook.name
        if name == SLOT_PACKAGE or name in taken:
            raise BundleBuildError(f"--self-test {hook}: its name {name!r} is taken") from None
        return name, resolved
    path = f"{SLOT_PACKAGE}/{rel.as_posix()}"
    if path not in taken:
        raise BundleBuildError(f"--self-test {hook}: the bundle leaves it out (a cache or dotfile)")
    return path, None


def _version(value: str | None, option: str) -> None:
    if value is None:
        return
    try:
        versions.parse(value)
    except versions.VersionError as exc:
        raise BundleBuildError(f"{option}: {exc.message}") from None


def manifest_json(
    files: Sequence[tuple[str, bytes]],
    version: str,
    *,
    min_version: str | None = None,
    self_test: str | None = None,
    target: str | None = None,
) -> dict[str, Any]:
    """The manifest for ``files`` (slot path, bytes), in the format's key order."""
    _version(version, "--version")
    _version(min_version, "--min-version")
    out: dict[str, Any] = {"format": device_manifest.FORMAT, "version": version}
    if min_version is not None:
        out["min_version"] = min_version
    if target is not None:
        problem = device_manifest.target_problem(target)
        if problem is not None:
            raise BundleBuildError(f"target {target!r}: a device refuses it: it {problem}")
        out["target"] = target
    entries = []
    for path, data in files:
        problem = device_manifest.path_problem(path)
        if problem is not None:
            raise BundleBuildError(f"{path}: a device refuses this path: it {problem}")
        entries.append(
            {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
    out["files"] = entries
    out["total_size"] = sum(len(data) for _, data in files)
    if self_test is not None:
        out["self_test"] = self_test
    return out


def encode_manifest(manifest: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed."""
    return json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(manifest_bytes: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The DER ECDSA P-256 signature over SHA-256(manifest), as AWS Signer makes one."""
    return key.sign(manifest_bytes, ec.ECDSA(hashes.SHA256()))


def assemble(manifest_bytes: bytes, signature_der: bytes, payload: Sequence[bytes]) -> bytes:
    """The bundle's bytes from its parts (a signature made elsewhere, e.g. by AWS Signer)."""
    text = base64.b64encode(signature_der)
    head = device_bundle.FORMAT_LINE + b"%d %d\n" % (len(manifest_bytes), len(text))
    return b"".join([head, manifest_bytes, text, b"\n", *payload])


def public_key(key: ec.EllipticCurvePrivateKey) -> Any:
    """The device's form (``firmware.ota.p256.PublicKey``) of ``key``'s public half."""
    from firmware.ota import p256

    numbers = key.public_key().public_numbers()
    return p256.PublicKey(numbers.x, numbers.y)


@dataclass(frozen=True)
class Unsigned:
    """A bundle's manifest and payload, waiting for a signature (ours or AWS Signer's)."""

    manifest: dict[str, Any]
    manifest_bytes: bytes
    payload: list[bytes]


def prepare(
    tree: Path,
    version: str,
    *,
    min_version: str | None = None,
    self_test: Path | None = None,
    target: str = targets.DEFAULT,
    without: Sequence[str] = (),
) -> Unsigned:
    """The manifest and payload of firmware tree ``tree`` at ``version`` for ``target``
    (:data:`.targets.TARGETS`: ``board``, ``emulated``, ``board-source``).

    The same tree, options and target give the same manifest bytes (mpy-cross's output
    is deterministic), so a manifest signed elsewhere (AWS Signer) can be joined to a
    payload prepared again later (:func:`join`).  ``without`` leaves more directories out
    than the target does.
    """
    try:
        kind = targets.get(target)
    except targets.TargetError as exc:
        raise BundleBuildError(f"--target: {exc}") from None
    sources = tree_files(tree, (*kind.without, *without))
    files = [(path, source.read_bytes()) for path, source in sources]
    test_path = None
    if self_test is not None:
        test_path, extra = _self_test_path(tree, self_test, [path for path, _ in files])
        if extra is not None:
            files.append((test_path, extra.read_bytes()))
    try:
        files = kind.convert(files, () if test_path is None else (test_path,))
    except targets.TargetError as exc:
        raise BundleBuildError(f"{tree}: {exc}") from None
    manifest = manifest_json(
        files, version, min_version=min_version, self_test=test_path, target=kind.name
    )
    raw = encode_manifest(manifest)
    if len(raw) > device_manifest.MAX_MANIFEST_BYTES:
        raise BundleBuildError(
            f"the manifest is {len(raw)} bytes, more than a device reads "
            f"({device_manifest.MAX_MANIFEST_BYTES}): {len(files)} files is too many"
        )
    total = int(manifest["total_size"])
    if total > device_manifest.MAX_TOTAL_SIZE:
        raise BundleBuildError(
            f"the files total {total} bytes, more than a device installs "
            f"({device_manifest.MAX_TOTAL_SIZE})"
        )
    return Unsigned(manifest, raw, [content for _, content in files])


def join(unsigned: Unsigned, signature_der: bytes, trusted: Sequence[Any]) -> BuiltBundle:
    """The bundle of ``unsigned`` with ``signature_der``, checked with the device's reader
    against ``trusted`` keys (``firmware.ota.p256.PublicKey``) before it is returned."""
    data = assemble(unsigned.manifest_bytes, signature_der, unsigned.payload)
    try:
        device_bundle.check_bundle(io.BytesIO(data), list(trusted))
    except BundleError as exc:
        if exc.reason == "bad-signature":
            raise BundleBuildError(
                f"the signature does not check: {exc.message} (a signature made elsewhere must "
                "be over this exact manifest: the same tree, version, options and target)"
            ) from None
        raise BundleBuildError(f"a device would refuse this bundle: {exc.message}") from None
    return BuiltBundle(data, unsigned.manifest, unsigned.manifest_bytes)


def build_bundle(
    tree: Path,
    version: str,
    key: ec.EllipticCurvePrivateKey,
    *,
    min_version: str | None = None,
    self_test: Path | None = None,
    target: str = targets.DEFAULT,
    without: Sequence[str] = (),
) -> BuiltBundle:
    """A bundle of firmware tree ``tree`` at ``version`` for ``target``, signed with ``key``."""
    unsigned = prepare(
        tree,
        version,
        min_version=min_version,
        self_test=self_test,
        target=target,
        without=without,
    )
    return join(unsigned, sign(unsigned.manifest_bytes, key), [public_key(key)])


def read_signature(path: Path) -> bytes:
    """A signature file as DER: DER itself, or its base64 text (what AWS Signer reports)."""
    from firmware.ota import p256

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleBuildError(f"{path}: no such signature file") from None
    except OSError as exc:
        raise BundleBuildError(f"{path}: cannot read it ({exc.strerror})") from None
    if data[:1] == b"\x30":
        return data
    try:
        der: bytes = p256.strict_b64decode(data.strip(), str(path))
    except p256.P256Error as exc:
        raise BundleBuildError(f"neither a DER signature nor its base64: {exc.message}") from None
    return der


def _write(out: Path, data: bytes, what: str) -> None:
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BundleBuildError(f"{out}: cannot write the {what} ({exc.strerror})") from None


def write_manifest(unsigned: Unsigned, out: Path) -> None:
    """Write the manifest's exact bytes (the file to sign elsewhere) to ``out``."""
    _write(out, unsigned.manifest_bytes, "manifest")


def write_bundle(bundle: BuiltBundle, out: Path) -> None:
    """Write the bundle to ``out`` whole or not at all (a temporary file, then a rename)."""
    _write(out, bundle.data, "bundle")
