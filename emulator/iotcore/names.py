"""Name rules shared by the shadow, jobs and registry code (from the botocore models)."""

from __future__ import annotations

import re

THING_NAME = re.compile(r"[a-zA-Z0-9:_-]{1,128}")
SHADOW_NAME = re.compile(r"[$a-zA-Z0-9:_-]{1,64}")
JOB_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
STATUS_DETAIL_KEY = re.compile(r"[a-zA-Z0-9:_-]{1,128}")

#: The MQTT identity (certificate CN) of the local IoT Core's own services. It contains a dot,
#: which no thing name may contain, so a device can never be provisioned with this identity.
SERVICE_IDENTITY = "iotcore.services"


def is_thing_name(name: str) -> bool:
    return THING_NAME.fullmatch(name) is not None


def is_shadow_name(name: str) -> bool:
    return SHADOW_NAME.fullmatch(name) is not None


def is_job_id(name: str) -> bool:
    return JOB_ID.fullmatch(name) is not None
