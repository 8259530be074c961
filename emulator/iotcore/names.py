"""Name rules shared by the shadow, jobs and registry code (from the botocore models)."""

from __future__ import annotations

import re

THING_NAME = re.compile(r"[a-zA-Z0-9:_-]{1,128}")
SHADOW_NAME = re.compile(r"[$a-zA-Z0-9:_-]{1,64}")
JOB_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
STATUS_DETAIL_KEY = re.compile(r"[a-zA-Z0-9:_-]{1,128}")

#: Second-level topic names every device receives; a thing must not be named like them, or its
#: default policy (its own name as the second level) would let it write to every device.
RESERVED_THING_NAMES = frozenset({"broadcast"})

#: The MQTT identity (certificate CN) of the local IoT Core's own services. It contains a dot,
#: which no thing name may contain, so a device can never be provisioned with this identity.
SERVICE_IDENTITY = "iotcore.services"


def is_thing_name(name: str) -> bool:
    return THING_NAME.fullmatch(name) is not None


def is_shadow_name(name: str) -> bool:
    return SHADOW_NAME.fullmatch(name) is not None


def is_job_id(name: str) -> bool:
    return JOB_ID.fullmatch(name) is not None


def is_usable_thing_name(name: str) -> bool:
    """A valid thing name that is not reserved for the project's shared topics."""
    return is_thing_name(name) and name not in RESERVED_THING_NAMES


def thing_name_problem(name: str) -> str | None:
    """Why a thing may not have this name, in words for an error message."""
    if not is_thing_name(name):
        return f"invalid thing name {name!r}: use 1-128 characters of [a-zA-Z0-9:_-]"
    if name in RESERVED_THING_NAMES:
        return f"the thing name {name!r} is reserved: every device receives */{name}/* topics"
    return None
