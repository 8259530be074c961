"""Hypothesis strategies for hostile shadow and jobs requests: the shapes attackers and faults
produce (bytes that are not UTF-8, JSON that is too deep, too big, not finite, lone
surrogates), mixed with requests close enough to valid to reach the deeper checks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

#: Text with the awkward corners: controls, non-characters, surrogate escapes, long runs.
awkward_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "\ufffe", "\u2028", "é", "😀", "a" * 300, "$aws", "+", "#"]),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    awkward_text,
)

json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(awkward_text, inner, max_size=5)
    ),
    max_leaves=30,
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


#: Raw JSON text that Python's json.dumps would never write, spliced into a document.
poison = st.sampled_from(
    [
        b'"\\ud800"',
        b'"\\udfff\\ud800"',
        b"1e400",
        b"-1e999",
        b"NaN",
        b"Infinity",
        b"7" * 5000,
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"[1" + b",1" * 20000 + b"]",
    ]
)


@st.composite
def shadow_documents(draw: st.DrawFn) -> bytes:
    """An /update payload: usually shaped like one, sometimes anything at all."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return _dumps(draw(json_values))
    section = draw(st.sampled_from(["desired", "reported"]))
    key = draw(st.sampled_from(["a", "b", "deep", "é", "k" * 50]))
    if kind == 2:
        value = b"".join([b'{"state":{"', section.encode(), b'":{"', key.encode(), b'":'])
        return value + draw(poison) + b"}}}"
    state: dict[str, Any] = {section: {key: draw(json_values)}}
    doc: dict[str, Any] = {"state": state}
    if draw(st.booleans()):
        doc["clientToken"] = draw(awkward_text)
    if draw(st.booleans()):
        doc["version"] = draw(st.one_of(st.integers(-2, 5), awkward_text, st.none()))
    if kind == 4:  # big: many keys or a long array
        state[section] = {f"k{i}": draw(st.sampled_from([None, 1, "x" * 20])) for i in range(3000)}
    if kind == 5:
        state[section] = {key: [1] * draw(st.integers(0, 6000))}
    return _dumps(doc)


shadow_names = st.sampled_from(["", "n1", "$bad", "a" * 65, "ok:name_-1"])
operations = st.sampled_from(["update", "update", "update", "get", "delete"])
