"""The candidate under test: a firmware directory, staged where the night's processes import it.

``--candidate DIR`` is either a firmware package (a directory with ``agent/`` and
``steel/``, like the repository's ``firmware/``) or a checkout that contains one
(``DIR/firmware``).  It is copied to ``WORK/candidate/firmware`` -- a snapshot: a checkout
that changes during the night does not change what the night tests -- and that directory's
parent is the root the fingerprint hashes and the scenario worker puts first on its path.
Without ``--candidate`` the night tests the firmware of the steelhil it runs with.

Firmware bundles (``--candidate BUNDLE``, a file) are what the OTA issue defines; until it
lands a file is refused with that explanation.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from harness.fingerprint import DEFAULT_ROOT, firmware_fingerprint

PACKAGE_MARKERS = ("agent", "steel")


class CandidateError(Exception):
    """The candidate cannot be used; the message says why."""


@dataclass(frozen=True)
class Candidate:
    given: str  # as the user named it
    root: Path  # the directory holding firmware/
    version: str
    sha256: str

    @property
    def firmware(self) -> Path:
        return self.root / "firmware"


def _package(directory: Path) -> Path | None:
    if all((directory / m).is_dir() for m in PACKAGE_MARKERS):
        return directory
    inner = directory / "firmware"
    if all((inner / m).is_dir() for m in PACKAGE_MARKERS):
        return inner
    return None


def stage(given: Path | None, work: Path) -> Candidate:
    if given is None:
        version, sha = firmware_fingerprint(DEFAULT_ROOT)
        return Candidate("(this steelhil's firmware/)", DEFAULT_ROOT, version, sha)
    if given.is_file():
        raise CandidateError(
            f"--candidate {given}: firmware bundles arrive with the OTA issue; give the "
            "firmware directory (or a checkout holding firmware/) instead"
        )
    if not given.is_dir():
        raise CandidateError(f"--candidate {given}: no such directory")
    package = _package(given)
    if package is None:
        raise CandidateError(
            f"--candidate {given}: not a firmware directory (it needs agent/ and steel/, "
            "or a firmware/ folder holding them)"
        )
    root = work / "candidate"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(
        package, root / "firmware", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    version, sha = firmware_fingerprint(root)
    return Candidate(str(given), root, version, sha)
