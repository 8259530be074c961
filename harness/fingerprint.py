"""What a run ran: enough to tell two runs apart and to reproduce one.

The firmware is identified by content, not by its version string alone: a version is bumped
by hand and a run on a dirty tree still says "0.1.0".  The firmware digest is the sha256 of a
manifest -- one ``<path>\\0<sha256 of the file>\\n`` line per file under ``firmware/``,
in sorted path order -- so it can be recomputed without steelhil (see docs/reports.md) and
tells which file differs when two manifests are compared.

A scenario is more than its YAML file: the Steel programs it deploys, the sensor traces it
replays and the steps files it includes change what runs as much as the YAML does.  The
fingerprint therefore names each of them with the sha256 of the bytes the scenario loaded
(``inputs_sha256``), so a changed program gives a different fingerprint.
"""

from __future__ import annotations

import ast
import hashlib
import platform
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from harness.results import RunFingerprint

#: The repository (or site-packages) directory that holds ``firmware/``.
DEFAULT_ROOT = Path(__file__).resolve().parent.parent

#: Where the version the agent reports is defined (read as text, not imported, so the
#: fingerprint of a checkout does not depend on what is installed).
VERSION_SOURCES = ("firmware/agent/version.py",)
VERSION_NAMES = ("FIRMWARE_VERSION", "__version__", "VERSION")

UNKNOWN = "unknown"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def firmware_files(root: Path | None = None) -> list[tuple[str, Path]]:
    """Every file of ``firmware/`` as (POSIX path relative to the root, path), in the
    order the digest uses; bytecode caches are left out (they differ between hosts)."""
    base = (root or DEFAULT_ROOT) / "firmware"
    if not base.is_dir():
        raise FileNotFoundError(f"no firmware/ directory under {base.parent}")
    found = [
        (path.relative_to(base.parent).as_posix(), path)
        for path in _walk(base)
        if path.suffix != ".pyc"
    ]
    return sorted(found)


def _walk(directory: Path) -> Iterator[Path]:
    for entry in directory.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _walk(entry)
        elif entry.is_file():
            yield entry


def firmware_sha256(root: Path | None = None) -> str:
    manifest = hashlib.sha256()
    for relative, path in firmware_files(root):
        manifest.update(f"{relative}\0{file_sha256(path)}\n".encode("utf-8", "surrogateescape"))
    return manifest.hexdigest()


def firmware_version(root: Path | None = None) -> str:
    """The version string the agent reports, read from the source (never imported: the
    root may be a different checkout from the one running)."""
    base = root or DEFAULT_ROOT
    for relative in VERSION_SOURCES:
        path = base / relative
        if path.is_file():
            found = _assigned_string(path, VERSION_NAMES)
            if found is not None:
                return found
    return UNKNOWN


def _assigned_string(path: Path, names: tuple[str, ...]) -> str | None:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError:
        return None
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        for target in targets:
            if (
                isinstance(target, ast.Name)
                and target.id in names
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                return value.value
    return None


def firmware_fingerprint(root: Path | None = None) -> tuple[str, str]:
    """(version the agent reports, sha256 over every file under ``firmware/``)."""
    return firmware_version(root), firmware_sha256(root)


def steelhil_version() -> str:
    try:
        return version("aws-iot-steel")
    except PackageNotFoundError:
        return UNKNOWN


def input_key(path: Path) -> str:
    """How the fingerprint names a file a scenario read: as scenario ids name their files
    (relative to the current directory when near it), POSIX separators."""
    from harness.scenario.loader import display_path

    return display_path(path)


def scenario_inputs(scenario_files: Iterable[Path | str]) -> dict[Path, str]:
    """Every file the scenarios in ``scenario_files`` read, with the sha256 of what they
    read, found by loading them (a file that does not load read nothing that ran)."""
    from harness.scenario.loader import load_file
    from harness.scenario.source import LoadError

    found: dict[Path, str] = {}
    for file in scenario_files:
        try:
            scenarios = load_file(Path(file))
        except (LoadError, OSError):
            continue
        for scenario in scenarios:
            found.update(scenario.inputs)
    return found


def make_fingerprint(
    seed: int,
    iotcore: str,
    scenario_files: Iterable[Path | str],
    rig_file: Path | str | None = None,
    *,
    root: Path | None = None,
    inputs: Mapping[Path, str] | None = None,
) -> RunFingerprint:
    """The fingerprint of a run about to start.

    Scenario files are keyed by the path as given: pass them spelled as the results'
    ``ScenarioResult.file`` is (relative to the repository), so the two can be matched.
    ``inputs`` are the other files the scenarios read with their digests
    (``Scenario.inputs``); without it, the scenario files are loaded to find them.
    """
    fw_version, fw_sha256 = firmware_fingerprint(root)
    files = list(scenario_files)
    scenarios = {Path(f).as_posix(): file_sha256(Path(f)) for f in files}
    read = scenario_inputs(files) if inputs is None else inputs
    others = {input_key(path): digest for path, digest in read.items()}
    rig = None
    if rig_file is not None:
        rig = f"{Path(rig_file).as_posix()} sha256:{file_sha256(Path(rig_file))}"
    return RunFingerprint(
        firmware_version=fw_version,
        firmware_sha256=fw_sha256,
        seed=seed,
        iotcore=iotcore,
        steelhil_version=steelhil_version(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=platform.platform(),
        scenarios_sha256=dict(sorted(scenarios.items())),
        rig=rig,
        inputs_sha256=dict(sorted(others.items())),
    )
