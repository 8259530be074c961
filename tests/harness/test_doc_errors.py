"""docs/scenarios.md quotes the loader's error messages: each quoted line must be what the
loader says, word for word, for the file it names (kept in tests/harness/doc_errors/),
and the YAML lines the doc shows above an error must be in that file.

Why: QA engineers learn the format from that page and recognise their mistakes by its
examples; a message that drifted from the doc sends them looking for the wrong thing.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path, PurePosixPath

from harness.scenario import LoadError, load_file
from harness.scenario.include import is_steps_file

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "scenarios.md"
FIXTURES = Path(__file__).resolve().parent / "doc_errors"

#: ``file.yaml:line:column ...``: a located message (the line may start with directories)
LOCATED = re.compile(r"^(?P<file>(?:[\w.-]+/)*[\w.-]+\.ya?ml):\d+:\d+")
BLOCK = re.compile(r"^```(?P<lang>[^\n]*)\n(?P<body>.*?)^```\s*$", re.S | re.M)


def blocks() -> list[tuple[str, list[str]]]:
    return [(m["lang"].strip(), m["body"].splitlines()) for m in BLOCK.finditer(DOC.read_text())]


def quoted_lines() -> list[str]:
    return [line for lang, body in blocks() if not lang for line in body if LOCATED.match(line)]


def problems(path: Path, display: str) -> list[str]:
    try:
        load_file(path, display)
    except LoadError as exc:
        return [str(p) for p in exc.problems]
    return []


def every_problem() -> set[str]:
    """What the loader says about every example file, each named by its file name."""
    out: set[str] = set()
    for path in sorted(FIXTURES.glob("*.yaml")):
        if not is_steps_file(path):
            out.update(problems(path, path.name))
    return out


def test_every_quoted_loader_message_is_the_loaders_word_for_word() -> None:
    said = every_problem()
    quoted = quoted_lines()
    assert len(quoted) >= 50  # the page quotes this many: the extraction found them
    wrong = []
    for line in quoted:
        written = LOCATED.match(line)
        assert written is not None
        name = PurePosixPath(written["file"]).name
        fixture = FIXTURES / name
        candidates = set(said)
        if fixture.is_file() and not is_steps_file(fixture):
            candidates.update(problems(fixture, written["file"]))  # named as the doc names it
        if line not in candidates:
            wrong.append(line)
    assert wrong == [], "docs/scenarios.md quotes messages the loader does not give"


def test_the_yaml_shown_above_an_error_is_in_the_file_it_names() -> None:
    found = blocks()
    checked = 0
    for (lang, body), (next_lang, following) in itertools.pairwise(found):
        if lang != "yaml" or next_lang:
            continue
        names = {m["file"] for m in map(LOCATED.match, following) if m is not None}
        files = [FIXTURES / n for n in names if (FIXTURES / n).is_file()]
        if not files:
            continue
        text = "\n".join(f.read_text() for f in files)
        shown = [line for line in body if line.strip() and line.strip() != "..."]
        missing = [line for line in shown if line not in text.splitlines()]
        assert missing == [], f"{sorted(names)}: lines not in the example file"
        checked += 1
    assert checked >= 8


def test_every_example_file_is_quoted() -> None:
    """An example nobody quotes any more is a fixture for nothing."""
    quoted = set()
    for line in quoted_lines():
        written = LOCATED.match(line)
        assert written is not None
        quoted.add(PurePosixPath(written["file"]).name)
    examples = {p.name for p in FIXTURES.glob("*.yaml") if not is_steps_file(p)}
    assert examples - quoted == set()
