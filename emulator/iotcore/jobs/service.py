"""The AWS IoT Jobs service as a sans-IO state machine.

Devices talk to it over MQTT (``handle``, in ``device.py``), release engineers and the harness
over the ``iot`` control plane (``create_job``, ``describe_job``, ..., in ``control.py``), and
time moves it on (``tick``, in ``engine.py``). Every call takes ``now`` and returns the MQTT
messages AWS would publish, so rollouts, timeouts and aborts are deterministic under a manual
clock and testable without a broker.
"""

from __future__ import annotations

from .control import ControlPlane
from .device import DeviceApi
from .engine import Presigner
from .requests import JobsRejection, parse_jobs_topic

__all__ = ["JobsRejection", "JobsService", "Presigner", "parse_jobs_topic"]


class JobsService(DeviceApi, ControlPlane):
    """Jobs, their executions per thing, rollout windows, timers and notifications: the device
    API and the control plane over one state."""
