"""The scenario format, and the steps-file format, as JSON Schema for editors.

Built from the same field declarations the loader validates with, so the editor's marks
and ``steelhil scenario check`` never disagree about which keys exist.
"""

from __future__ import annotations

from typing import Any

from .include import INCLUDE_FIELDS, INCLUDE_KEY, PARAM_FIELDS, STEPS_FILE_FIELDS
from .registry import STEPS, load_all
from .schema import object_schema
from .sections import FLEET_FIELDS, TOP_FIELDS

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def step_schema() -> dict[str, Any]:
    """One step: a registered step type, or an include of a steps file."""
    variants = []
    for key, st in sorted(STEPS.items()):
        body_schema = getattr(st, "body_schema", None)
        body: dict[str, Any] = body_schema() if body_schema else object_schema(st.fields, st.doc)
        if st.scalar_field is not None and not body_schema:
            scalar = object_schema(st.fields)["properties"][st.scalar_field]
            body = {"anyOf": [body, scalar]}
        variants.append(
            {
                "type": "object",
                "properties": {key: body, "title": {"type": "string"}},
                "required": [key],
                "additionalProperties": False,
                "description": st.doc,
            }
        )
    include = object_schema(INCLUDE_FIELDS, "Include a steps file (*.steps.yaml) with parameters.")
    include["properties"]["with"]["additionalProperties"] = True
    variants.append(include)
    return {"oneOf": variants}


def json_schema() -> dict[str, Any]:
    """The scenario format as JSON Schema (draft 2020-12) for editors."""
    load_all()
    top = object_schema(TOP_FIELDS)
    top["properties"]["fleet"] = object_schema(FLEET_FIELDS)
    top["properties"]["fleet"]["properties"]["devices"] = {
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "array", "items": {"type": "string"}},
        ]
    }
    top["properties"]["steps"] = {"type": "array", "items": step_schema()}
    top["properties"]["params"] = {"type": "array", "items": {"type": "object"}}
    top["properties"]["programs"] = {"type": "object", "additionalProperties": {"type": "string"}}
    return {"$schema": SCHEMA_DRAFT, "title": "steelhil scenario", **top}


def steps_file_schema() -> dict[str, Any]:
    """The format of a steps file (``*.steps.yaml``) as JSON Schema."""
    load_all()
    top = object_schema(STEPS_FILE_FIELDS)
    top["properties"]["params"] = {
        "type": "object",
        "additionalProperties": {"anyOf": [{"type": "null"}, object_schema(PARAM_FIELDS)]},
        "description": STEPS_FILE_FIELDS["params"].doc,
    }
    top["properties"]["steps"] = {"type": "array", "items": step_schema(), "minItems": 1}
    return {"$schema": SCHEMA_DRAFT, "title": "steelhil steps file", **top}


__all__ = ["INCLUDE_KEY", "json_schema", "step_schema", "steps_file_schema"]
