"""Predicates over JSON payloads: ``temperature > 30``, ``error.kind == "OutOfMemory"``,
``humidity >= 40 and humidity <= 60``, ``len(readings) == 5``.

QA engineers write these in scenario files, so they are parsed once at load time (a syntax
error names the line and column in the file) and evaluated by a whitelist evaluator: names
are payload fields, ``a.b`` and ``a["b"]``/``a[0]`` reach into objects and arrays, and only
comparisons, ``and``/``or``/``not``, arithmetic, ``in`` and ``len``/``abs``/``min``/``max``
are allowed.  A field the payload lacks makes the predicate false rather than an error: the
message simply does not match.

``{thing}`` and ``{thing:dev-1}`` (:mod:`.things`) stand for thing names: as a value
(``device == {thing}``) or inside a text (``topic == 'sensors/{thing}/data'``).
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from collections.abc import Callable
from typing import Any

from .things import THING_REF, Resolver, Unresolved, expand_text

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {"len": len, "abs": abs, "min": min, "max": max}
_CONSTANTS = {"true": True, "false": False, "null": None}


class ExpressionError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column  # 1-based, within the expression text


class _Missing(Exception):
    """A field the payload does not have."""


def _bind_things(text: str) -> tuple[str, dict[str, str | None]]:
    """``text`` with each ``{thing...}`` outside a string literal replaced by a name of the
    same length (so error columns still point into what was written), and what each name
    stands for (a device name, or None for the current device)."""
    strings: list[tuple[int, int]] = []
    try:
        lines = text.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING:
                strings.append(
                    (starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1])
                )
    except (tokenize.TokenError, SyntaxError, IndexError):
        pass  # the parser will say what is wrong
    names: dict[str, str | None] = {}
    out, pos = [], 0
    for m in THING_REF.finditer(text):
        if any(a <= m.start() < b for a, b in strings):
            continue  # inside a text: expanded when evaluated
        width = m.end() - m.start()
        name = "_thing_" if m.group(1) is None else f"_thing{len(names)}".ljust(width, "_")
        if len(name) != width:
            raise ExpressionError("too many {thing:...} references", m.start() + 1)
        names[name] = m.group(1)
        out += [text[pos : m.start()], name]
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), names


class Predicate:
    """A compiled predicate; call it with a payload (and a resolver of ``{thing}``)."""

    def __init__(self, text: str) -> None:
        self.text = text
        source, self._things = _bind_things(text.strip())
        self._resolve: Resolver | None = None
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"not an expression: {exc.msg}", exc.offset or 1) from None
        self._check(tree.body)
        self._tree = tree.body
        named = {d for d in self._things.values() if d is not None}
        for sub in ast.walk(tree.body):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                named.update(m.group(1) for m in THING_REF.finditer(sub.value) if m.group(1))
        #: the devices named by ``{thing:NAME}`` (checked against the fleet at load time)
        self.devices = sorted(named)

    def __call__(self, payload: Any, things: Resolver | None = None) -> bool:
        self._resolve = things
        try:
            return bool(self._eval(self._tree, payload))
        except (_Missing, TypeError, ZeroDivisionError, ValueError):
            return False
        finally:
            self._resolve = None

    def _thing(self, device: str | None) -> str:
        thing = self._resolve(device) if self._resolve is not None else None
        if thing is None:
            raise _Missing("{thing}")
        return thing

    def __repr__(self) -> str:
        return self.text

    # --- load-time check ---------------------------------------------------------------------

    def _check(self, node: ast.AST) -> None:
        allowed = (
            ast.Compare,
            ast.BoolOp,
            ast.UnaryOp,
            ast.BinOp,
            ast.Name,
            ast.Attribute,
            ast.Subscript,
            ast.Constant,
            ast.List,
            ast.Tuple,
            ast.Call,
            ast.Load,
            ast.And,
            ast.Or,
            ast.Not,
            ast.USub,
            *_COMPARE,
            *_BINARY,
        )
        for sub in ast.walk(node):
            if not isinstance(sub, allowed):
                col = getattr(sub, "col_offset", 0) + 1
                raise ExpressionError(f"{type(sub).__name__} is not allowed here", col)
            if isinstance(sub, ast.Call) and not (
                isinstance(sub.func, ast.Name) and sub.func.id in _FUNCTIONS and not sub.keywords
            ):
                raise ExpressionError(
                    f"only {', '.join(_FUNCTIONS)} can be called", sub.col_offset + 1
                )

    # --- evaluation -----------------------------------------------------------------------

    def _eval(self, node: ast.AST, env: Any) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and "{thing" in node.value:
                try:
                    return expand_text(node.value, self._thing)
                except Unresolved:
                    raise _Missing(node.value) from None
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self._things:
                return self._thing(self._things[node.id])
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            if isinstance(env, dict) and node.id in env:
                return env[node.id]
            if node.id == "payload":
                return env
            raise _Missing(node.id)
        if isinstance(node, ast.Attribute):
            base = self._eval(node.value, env)
            if isinstance(base, dict) and node.attr in base:
                return base[node.attr]
            raise _Missing(node.attr)
        if isinstance(node, ast.Subscript):
            base = self._eval(node.value, env)
            key = self._eval(node.slice, env)
            try:
                return base[key]
            except (KeyError, IndexError, TypeError):
                raise _Missing(str(key)) from None
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, env)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self._eval(right_node, env)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self._eval(v, env) for v in node.values)
            return any(self._safe(v, env) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, env)
            return (not value) if isinstance(node.op, ast.Not) else -value
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.List | ast.Tuple):
            return [self._eval(e, env) for e in node.elts]
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            return _FUNCTIONS[node.func.id](*(self._eval(a, env) for a in node.args))
        raise AssertionError(type(node))

    def _safe(self, node: ast.AST, env: Any) -> Any:
        try:
            return self._eval(node, env)
        except (_Missing, TypeError):
            return False
