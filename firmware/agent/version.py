"""The firmware's version: what devices report in their shadow and metrics, and what a run's
fingerprint names.  One place, so the board, the emulator and the reports agree."""

FIRMWARE_VERSION = "0.1.0"
