"""The boot selector: which app slot a board boots (see :mod:`firmware.boot.selector`).

It is installed outside the slots (``/bootsel.py`` beside ``/main.py`` on a board) and no
update ever replaces it, so it imports nothing from the slots: a broken update cannot break
the code that would roll it back.
"""
