"""Scenario files: the format QA engineers write (docs/scenarios.md)."""

from .loader import discover, iter_scenarios, json_schema, load_file
from .model import Scenario, Step
from .source import LoadError, Problem

__all__ = [
    "LoadError",
    "Problem",
    "Scenario",
    "Step",
    "discover",
    "iter_scenarios",
    "json_schema",
    "load_file",
]
