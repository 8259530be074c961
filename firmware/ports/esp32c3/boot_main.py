"""``/main.py`` of the real board: choose the app slot, start the app from it.

This file and ``/lib/steel_boot.py`` (a copy of ``firmware/boot/selector.py``) are installed
outside the slots and are never updated over the air: whatever an update brings, this code
still runs at the next boot, so a bundle that does not even import cannot keep the board
away from the version that worked.  Keep it small, and keep it importing nothing of a slot
before the slot is chosen.

At every boot (MicroPython runs ``boot.py``, then this):

1. BOOT (GPIO9) held: nothing else happens and the REPL is free -- the maintenance escape,
   which works even when the app in every slot is broken.
2. The selector reads the boot record ``/boot.json`` and picks the slot: the active one, or
   a pending update on trial (counting the attempt; after three failed attempts it goes
   back to the active slot).  A board without ``/slots`` boots the old layout (the
   ``firmware`` package at the filesystem root).
3. The slot's directory goes first on ``sys.path``, and its
   ``firmware.ports.esp32c3.app`` is imported and started with the slot's name.
4. Any exception while importing or starting the app is printed with its traceback and the
   board resets after :data:`RESET_DELAY_MS`: on a trial boot that is a failed attempt the
   selector counts.  (``KeyboardInterrupt`` is not caught: Ctrl-C from the host stops the
   app and leaves the REPL, as the harness's raw REPL needs.)

Imports only what MicroPython has (and the selector, from ``/lib``).
"""

import sys
import time

import machine

BUTTON_PIN = 9  # BOOT, pulled up: pressed reads 0
RESET_DELAY_MS = 3000  # between a crash and the reset: no tight reset loop, time to read
APP = "firmware.ports.esp32c3.app"
OLD_MAIN = "firmware.ports.esp32c3.main"  # the app's name in trees from before the slots


def boot_held():
    pin = machine.Pin(BUTTON_PIN, machine.Pin.IN, machine.Pin.PULL_UP)
    return pin.value() == 0


def print_traceback(e, console):
    """``e``'s traceback, a line at a time, to ``console``."""
    import io

    out = io.StringIO()
    if hasattr(sys, "print_exception"):  # MicroPython
        sys.print_exception(e, out)
    else:  # CPython (the tests)
        import traceback

        traceback.print_exception(type(e), e, e.__traceback__, None, out)
    for line in out.getvalue().split("\n"):
        if line:
            console(line)


def _exists(path):
    import os

    try:
        os.stat(path)
        return True
    except OSError:
        return False


def choose(root, console):
    """(slot or None, boot record or None) from the selector.  When the record cannot be
    written (a worn or full flash), the active slot is booted without counting: never a
    reset loop over the boot record itself."""
    import steel_boot

    fs = steel_boot.OsFs(root)
    try:
        return steel_boot.choose(fs)
    except OSError as e:
        console("boot: the boot record cannot be written (%s): booting the active slot" % e)
        if not steel_boot.has_slots(fs):
            return None, None
        record = steel_boot.read_record(fs)
        return record["active"], record


def start(root="", console=print):
    """Steps 2 and 3: the app's ``main`` returns only when the app gives up by itself."""
    import steel_boot

    slot, record = choose(root, console)
    if slot is None:
        base = root if root else "/"
        console("boot: no app slots: the firmware at the filesystem root")
    else:
        base = root + steel_boot.slot_dir(slot)
        pending = record is not None and record.get("pending") == slot
        if pending:
            console("boot: slot %s on trial (attempt %d)" % (slot, record["attempts"]))
        else:
            console("boot: slot %s" % slot)
    if base in sys.path:
        sys.path.remove(base)
    sys.path.insert(0, base)
    name = APP
    app_file = base.rstrip("/") + "/firmware/ports/esp32c3/app"
    if slot is None and not (_exists(app_file + ".py") or _exists(app_file + ".mpy")):
        name = OLD_MAIN  # a tree from before the slots: its main() runs the agent
    app = __import__(name, None, None, ["main"])
    if name == OLD_MAIN:
        return app.main()
    return app.main(slot=slot, record=record, root=root, console=console)


def main(root="", console=print):
    """What the board runs at boot; ``root`` prefixes every path (a directory in tests)."""
    if boot_held():
        console("boot: BOOT held at start: not starting the app (the REPL is free)")
        return None
    try:
        return start(root, console)
    except Exception as e:  # a broken slot (SyntaxError, ImportError) or a crashed app
        console("boot: the app failed: %s; resetting in %d s" % (e, RESET_DELAY_MS // 1000))
        print_traceback(e, console)
        time.sleep_ms(RESET_DELAY_MS)
        machine.reset()
    return None


if __name__ == "__main__":
    main()
