"""The ESP32-C3-DevKit-RUST-1 port: MicroPython's machine, neopixel, os, network, umqtt.

Thin on purpose: everything with logic lives in the shared agent, which the emulator runs
too; this package only maps the port interfaces onto the board's hardware
(:mod:`.board`, :mod:`.fs`), joins Wi-Fi and sets the clock (:mod:`.wifi`), speaks MQTT
over mutual TLS (:mod:`.mqtt`), streams downloads over HTTP (:mod:`.http`) and runs the
agent's loop (:mod:`.app`).  :mod:`.boot_main` is the board's never-updated ``/main.py``:
it picks the app slot and starts :mod:`.app` from it.  None of this can run on the
development machine (there is no board here); its tests run it against stand-ins for
MicroPython's hardware modules (tests/firmware/test_port_esp32c3*.py).
"""
