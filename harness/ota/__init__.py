"""The host side of OTA bundles: signing keys, building and signing bundles, inspecting them.

Why apart from ``firmware.ota``: building and signing need the ``cryptography`` package and
a filesystem, which the device has neither of; reading and verifying are the device's own
code (``firmware.ota``), used here unchanged so that what ``steelhil ota inspect`` accepts is
exactly what a board accepts.
"""
