"""Tests of the local IoT Core (emulator/iotcore): sans-IO unit tests and real-broker tests."""
