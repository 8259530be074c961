"""Names that reports derive from a scenario: the test name CI shows, the JUnit class name,
and file names for the artefacts folder.

All reports use the same names so that a failure found in the terminal summary can be found
again in the JUnit history, the HTML report and the artefacts folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath

from harness.results import ScenarioResult

_UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]+")


def case_name(scenario: ScenarioResult) -> str:
    """The scenario's name with its parameter row, e.g. ``blink[threshold=30]``.

    The part of the id after ``::`` is what pytest and ``steelhil run`` print, so it is used
    when present: CI then tracks the same test across both runners.
    """
    if "::" in scenario.id:
        return scenario.id.split("::", 1)[1]
    if not scenario.params or scenario.name.endswith("]"):
        return scenario.name
    row = ",".join(f"{key}={scenario.params[key]}" for key in sorted(scenario.params))
    return f"{scenario.name}[{row}]"


def classname(file: str) -> str:
    """A JUnit class name from a scenario file: ``scenarios/net/drop.yaml`` ->
    ``scenarios.net.drop``.

    JUnit readers split the class name at dots into package and class, so the directory
    structure becomes the package tree; dots inside a file name would add bogus levels and
    become underscores.
    """
    path = PurePosixPath(file.replace("\\", "/"))
    parts = [p for p in (*path.parent.parts, path.stem) if p not in ("", ".", "/")]
    cleaned = [_UNSAFE.sub("_", p.replace(".", "_")).strip("_") or "_" for p in parts]
    return ".".join(cleaned) or "scenarios"


def safe_name(text: str, max_length: int = 80) -> str:
    """A portable file name for ``text``: no separators, no leading dot, bounded length.

    Cutting a long name could make two names equal, so a cut name ends in a short hash of
    the full text.
    """
    name = _UNSAFE.sub("_", text).strip("._") or "_"
    if len(name) > max_length:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        name = name[: max_length - 11].rstrip("._") + "-" + digest
    return name


def unique_names(texts: list[str], max_length: int = 80) -> list[str]:
    """:func:`safe_name` for each text, numbered where two would collide (``a``, ``a-2``);
    case-insensitively, because macOS and Windows file systems are."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        base = safe_name(text, max_length)
        name, n = base, 1
        while name.lower() in seen:
            n += 1
            name = f"{base}-{n}"
        seen.add(name.lower())
        out.append(name)
    return out
