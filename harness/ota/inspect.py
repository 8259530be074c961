"""What ``steelhil ota inspect`` finds in a bundle: its manifest, signature and files.

Why not stop at the first fault, as the device does: a release engineer looking at a bundle
wants every fact it can give (the manifest of a bundle signed with the wrong key is still
worth reading), so each section is checked on its own and the report says which passed.
The checks are the device's own reader (``firmware.ota``), so "the signature checks" here
means a board that trusts the same key accepts it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.ota import bundle as device_bundle
from firmware.ota.errors import BundleError

CHECKED = "checked"
NOT_CHECKED = "not checked"
FAILED = "failed"


@dataclass
class Inspection:
    """The findings; ``ok`` when nothing failed (an unchecked signature is not a failure)."""

    path: Path
    size: int = 0
    sha256: str = ""
    manifest: dict[str, Any] | None = None
    manifest_id: str | None = None
    signature: str = NOT_CHECKED
    payload: str = NOT_CHECKED
    errors: list[tuple[str, str]] = field(default_factory=list)  # (reason, message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "manifest_id": self.manifest_id,
            "manifest": self.manifest,
            "signature": self.signature,
            "payload": self.payload,
            "ok": self.ok,
            "errors": [{"reason": r, "message": m} for r, m in self.errors],
        }


def inspect_bundle(path: Path, trusted: list[Any] | None) -> Inspection:
    """Read ``path`` through; check the signature against ``trusted`` keys when given.

    OSError if the file cannot be read; every fault of the bundle is in the result.
    """
    data = path.read_bytes()
    found = Inspection(path, len(data), hashlib.sha256(data).hexdigest())
    with path.open("rb") as stream:
        try:
            head = device_bundle.read_head(stream)
        except BundleError as exc:
            found.errors.append((exc.reason, exc.message))
            return found
        manifest = None
        try:
            manifest = head.manifest()
            found.manifest = manifest.to_json()
            found.manifest_id = manifest.id
        except BundleError as exc:
            found.errors.append((exc.reason, exc.message))
        if trusted is not None:
            try:
                head.verify(trusted)
                found.signature = CHECKED
            except BundleError as exc:
                found.signature = FAILED
                found.errors.append((exc.reason, exc.message))
        if manifest is not None:
            try:
                for _ in device_bundle.read_payload(stream, manifest):
                    pass
                found.payload = CHECKED
            except BundleError as exc:
                found.payload = FAILED
                found.errors.append((exc.reason, exc.message))
    return found


def describe_target(name: object) -> str:
    """A manifest's target for a person: its name and what it is for."""
    from .targets import TARGETS

    if name is None:
        return "not recorded (a bundle from before targets: its files are what they are)"
    known = TARGETS.get(str(name))
    return f"{name}: {known.summary}" if known else f"{name} (not a target this steelhil knows)"


def render(found: Inspection) -> str:
    """The findings as text for a person."""
    lines = [f"bundle {found.path}: {found.size} bytes, sha256 {found.sha256}"]
    manifest = found.manifest
    if manifest is not None:
        lines.append(f"version {manifest['version']}")
        lines.append(f"target {describe_target(manifest.get('target'))}")
        if "min_version" in manifest:
            lines.append(f"replaces {manifest['min_version']} or newer")
        files = manifest["files"]
        lines.append(f"{len(files)} files, {manifest['total_size']} bytes")
        if "self_test" in manifest:
            lines.append(f"self-test hook {manifest['self_test']}")
        lines.append(f"manifest id {found.manifest_id}")
        width = max(len(str(entry["size"])) for entry in files)
        for entry in files:
            lines.append(f"  {entry['sha256'][:16]}  {entry['size']:>{width}}  {entry['path']}")
    if found.signature == CHECKED:
        lines.append("signature: checks (signed by a trusted key)")
    elif found.signature == FAILED:
        lines.append("signature: DOES NOT CHECK")
    else:
        lines.append("signature: not checked (no --trust given)")
    if found.payload == CHECKED:
        lines.append("files: every size and sha256 matches the manifest")
    elif found.payload == FAILED:
        lines.append("files: DO NOT MATCH the manifest")
    for reason, message in found.errors:
        lines.append(f"error: {reason}: {message}")
    return "\n".join(lines)
