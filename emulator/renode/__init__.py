"""Renode platform files for the ESP32-C3-DevKit-RUST-1, and a stand-in for Renode itself.

Experimental: Renode has no ESP32-C3 platform upstream and is not installed where this was
written.  ``esp32c3.repl`` describes what Renode can model of the chip (a RISC-V core, its
memory map, UART0/1); ``esp32c3.resc`` is the script a person runs; :mod:`.standin` speaks
Renode's monitor protocol and serves a UART socket so the harness's driver
(:mod:`harness.backends.renode`) can be tested without Renode.
"""

from pathlib import Path

#: The platform description and script shipped with the package.
PLATFORM = Path(__file__).with_name("esp32c3.repl")
SCRIPT = Path(__file__).with_name("esp32c3.resc")
