"""YAML with a location for every value, and errors that point at it.

Scenario and rig files are data written by people: when one is wrong, the message must name
the file, the line, the column and the field's path (``steps[3].expect.mqtt.topic``), and
suggest the nearest valid key.  PyYAML's composer keeps a mark on every node; this module
turns a document into plain Python values plus a table from field path to location.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.results import SourceLocation

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


@dataclass
class Problem:
    """One thing wrong with a file."""

    message: str
    location: SourceLocation

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class LoadError(Exception):
    """A file could not be loaded; ``problems`` lists every error found (first first)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        return self.problems[0]


@dataclass
class Document:
    """A loaded YAML document: its value, and where each value came from."""

    file: str
    value: Any
    locations: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_locations: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    text: str = ""

    def at(self, path: PathKey, *, key: bool = False) -> SourceLocation:
        """Where ``path`` was written (its key when ``key``); the nearest enclosing value
        when the field is missing."""
        table = self.key_locations if key else self.locations
        probe = path
        while probe:
            if probe in table:
                line, col = table[probe]
                return SourceLocation(self.file, line, col, format_path(path))
            if probe in self.locations:
                line, col = self.locations[probe]
                return SourceLocation(self.file, line, col, format_path(path))
            probe = probe[:-1]
        line, col = self.locations.get((), (1, 1))
        return SourceLocation(self.file, line, col, format_path(path))

    def problem(self, path: PathKey, message: str, *, key: bool = False) -> Problem:
        return Problem(message, self.at(path, key=key))


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def load_yaml(path: Path, display: str | None = None) -> Document:
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LoadError([Problem(f"not UTF-8 text: {exc}", SourceLocation(name, 1))]) from None
    except OSError as exc:
        raise LoadError(
            [Problem(f"cannot read: {exc.strerror}", SourceLocation(name, 1))]
        ) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Document:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise LoadError(
            [Problem(f"YAML syntax: {what}", SourceLocation(name, line, col))]
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError([Problem(f"YAML: {exc}", SourceLocation(name, 1))]) from None
    doc = Document(name, None, text=text)
    if node is None:
        return doc
    problems: list[Problem] = []
    doc.value = _convert(node, (), doc, problems)
    if problems:
        raise LoadError(problems)
    return doc


_constructor = yaml.SafeLoader("")  # scalar resolution exactly as yaml.safe_load does


def _convert(node: yaml.Node, path: PathKey, doc: Document, problems: list[Problem]) -> Any:
    doc.locations[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                problems.append(
                    Problem("YAML merge keys (<<) are not supported", _loc(doc, key_node, path))
                )
                continue
            # Keys are names as written: YAML 1.1 would turn ``on:``/``off:``/``yes:`` into
            # booleans, which no scenario author means.
            if isinstance(key_node, yaml.ScalarNode):
                key = str(key_node.value)
            else:
                problems.append(Problem("a key must be plain text", _loc(doc, key_node, path)))
                continue
            child = (*path, key)
            if key in out:
                problems.append(Problem(f"duplicate key {key!r}", _loc(doc, key_node, child)))
            doc.key_locations[child] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = _convert(value_node, child, doc, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), doc, problems) for i, item in enumerate(node.value)]
    try:
        return _constructor.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(Problem(f"bad value: {exc}", _loc(doc, node, path)))
        return None


def _loc(doc: Document, node: yaml.Node, path: PathKey) -> SourceLocation:
    return SourceLocation(
        doc.file, node.start_mark.line + 1, node.start_mark.column + 1, format_path(path)
    )
