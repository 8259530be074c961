"""``${name}`` placeholders: a scenario's ``params``/``matrix`` rows, and the parameters
of an included steps file.

Both use one rule, so a QA engineer learns it once: a value that is exactly ``"${name}"``
becomes the parameter's value with its type (``"${hot}"`` is the boolean false); a
placeholder inside a longer text is replaced by the value's text.  An unknown name is a
located error with a suggestion.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from .source import Document, PathKey, Problem, suggest

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def param_rows(doc: Document, top: dict[str, Any], problems: list[Problem]) -> list[dict[str, Any]]:
    """One mapping per scenario the file defines (``[{}]`` without params or matrix)."""
    params, matrix = top.get("params"), top.get("matrix")
    if params is not None and matrix is not None:
        problems.append(doc.problem(("matrix",), "use either params or matrix, not both", key=True))
        return [{}]
    if matrix is not None:
        names = list(matrix)
        for name in names:
            if not isinstance(matrix[name], list) or not matrix[name]:
                problems.append(doc.problem(("matrix", name), "a matrix entry is a non-empty list"))
                return [{}]
        return [
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*matrix.values())
        ]
    if params is not None:
        if not isinstance(params, list) or not params:
            problems.append(doc.problem(("params",), "params is a non-empty list of mappings"))
            return [{}]
        rows = []
        for i, row in enumerate(params):
            if not isinstance(row, Mapping):
                problems.append(doc.problem(("params", i), "each params row is a mapping"))
            else:
                rows.append(dict(row))
        return rows or [{}]
    return [{}]


def substitute(
    value: Any,
    row: Mapping[str, Any],
    path: PathKey,
    doc: Document,
    problems: list[Problem],
    *,
    known: str = "",
) -> Any:
    """``value`` with every ``${name}`` replaced from ``row``; ``known`` ends the message
    of an unknown name (e.g. ``; the steps file's params: a, b``)."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole and whole.group(1) in row:
            return row[whole.group(1)]

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in row:
                problems.append(
                    doc.problem(path, f"unknown parameter ${{{name}}}{suggest(name, row)}{known}")
                )
                return m.group(0)
            return str(row[name])

        return PLACEHOLDER.sub(repl, value)
    if isinstance(value, dict):
        return {
            k: substitute(v, row, (*path, k), doc, problems, known=known) for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            substitute(v, row, (*path, i), doc, problems, known=known) for i, v in enumerate(value)
        ]
    return value


def row_label(row: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in row.items())
