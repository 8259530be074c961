"""Test-suite wide configuration: the local IoT Core fixtures (``iotcore``) for every test
directory that needs a broker."""

pytest_plugins = ["emulator.iotcore.pytest_plugin"]
