"""Fixtures for emulated-device tests: a local IoT Core per test."""

from __future__ import annotations

pytest_plugins = ["emulator.iotcore.pytest_plugin"]
