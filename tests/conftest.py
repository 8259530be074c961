"""Test-suite wide configuration.

The suite's own tests want a fresh local IoT Core per test (``iotcore``, function scope);
these conftest fixtures override the session-scoped ``iotcore`` of the steelhil pytest plugin
(which scenario files and users' tests get) for everything under ``tests/``.
"""

from emulator.iotcore.pytest_plugin import iotcore, iotcore_devices

__all__ = ["iotcore", "iotcore_devices"]

pytest_plugins = ["pytester"]
