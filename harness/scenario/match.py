"""JSON subset matching: what a scenario's ``payload:`` means."""

from __future__ import annotations

from typing import Any


def is_subset(expected: Any, actual: Any) -> bool:
    """``expected`` matches ``actual`` when every key it names is there with a matching
    value (recursively); lists must match element by element; numbers compare by value
    (``30`` matches ``30.0``)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and is_subset(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(is_subset(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)
