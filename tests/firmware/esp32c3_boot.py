"""A fake ESP32-C3 that boots what is on its flash: its filesystem is a directory, and each
power-on runs its ``/main.py`` the way MicroPython does after a reset.

What a power-on does (:meth:`FlashBoard.power_on`), as on the board: a fresh interpreter --
nothing of ``firmware`` imported, ``/lib`` on ``sys.path``, new hardware modules (Wi-Fi not
joined) -- then ``/main.py``'s ``main()``, which chooses the slot with ``/lib/steel_boot.py``
and imports the app from it.  The run ends when the code calls ``machine.reset()``
(``"reset"``), when ``main()`` returns (``"returned"``: the REPL), or when the test's
condition comes true (``"halted"``: :meth:`Hardware.run_until`).  Afterwards the test's own
modules are put back, so the slot's copy of the firmware never leaks into other tests.

The factory image (:func:`factory_files`) is the layout ``steelhil image build`` writes:
``/main.py`` = firmware/ports/esp32c3/boot_main.py, ``/lib/steel_boot.py`` =
firmware/boot/selector.py, ``/slots/a/firmware/...`` and ``/slots/a/slot.json``.
Portable: CPython and MicroPython.
"""

import json
import os
import sys

from firmware.agent.version import FIRMWARE_VERSION
from tests.firmware import esp32c3_fakes as fakes
from tests.firmware.support import repo_path

_DIR = 0x4000


def _is_dir(path):
    try:
        return os.stat(path)[0] & _DIR != 0
    except OSError:
        return False


def read_tree(directory, prefix=""):
    """{relative path: bytes} of every ``.py`` under ``directory`` (caches left out)."""
    out = {}
    for name in sorted(os.listdir(directory)):
        if name.startswith(".") or name == "__pycache__":
            continue
        path = directory + "/" + name
        if _is_dir(path):
            inner = read_tree(path, prefix + name + "/")
            for rel in inner:
                out[rel] = inner[rel]
        elif name.endswith(".py"):
            with open(path, "rb") as f:
                out[prefix + name] = f.read()
    return out


_checkout = []


def checkout_firmware():
    """This checkout's ``firmware/`` tree, read once."""
    if not _checkout:
        _checkout.append(read_tree(repo_path("firmware")))
    return _checkout[0]


def read_repo(*parts):
    with open(repo_path(*parts), "rb") as f:
        return f.read()


def slot_files(slot, tree, version):
    """A slot holding ``tree`` ({path under firmware/: bytes}) at ``version``."""
    base = "/slots/" + slot
    files = {}
    for rel in tree:
        files[base + "/firmware/" + rel] = tree[rel]
    files[base + "/slot.json"] = json.dumps({"format": 1, "version": version}).encode()
    return files


def boot_files():
    """What is installed outside the slots and never updated."""
    return {
        "/main.py": read_repo("firmware", "ports", "esp32c3", "boot_main.py"),
        "/lib/steel_boot.py": read_repo("firmware", "boot", "selector.py"),
    }


def factory_files(version=FIRMWARE_VERSION):
    """The image ``steelhil image build`` makes of this checkout (portable spelling)."""
    files = boot_files()
    image = slot_files("a", checkout_firmware(), version)
    for path in image:
        files[path] = image[path]
    return files


def root_layout_files():
    """The layout from before the slots: the firmware at the root (with the new main.py)."""
    files = boot_files()
    tree = checkout_firmware()
    for rel in tree:
        files["/firmware/" + rel] = tree[rel]
    return files


class FlashBoard:
    """One board: ``hw`` (its pins, the Wi-Fi, the broker, the HTTP server) and its flash."""

    def __init__(self, hw=None):
        self.hw = hw if hw is not None else fakes.Hardware()
        self.hw.fakes = self.hw.modules()
        self.root = fakes._fresh_dir()
        self.outcomes = []  # "reset" | "returned" | "halted", one per power-on
        self.booted = []  # the file the firmware package came from, per power-on

    # --- the flash -------------------------------------------------------------------------

    def write(self, path, data):
        parts = path.strip("/").split("/")
        current = self.root
        for part in parts[:-1]:
            current += "/" + part
            try:
                os.mkdir(current)
            except OSError:
                pass
        with open(self.root + path, "wb") as f:
            f.write(data)

    def flash(self, files):
        for path in sorted(files):
            self.write(path, files[path])

    def read(self, path):
        try:
            with open(self.root + path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def exists(self, path):
        try:
            os.stat(self.root + path)
            return True
        except OSError:
            return False

    def fs(self):
        """The filesystem port over this flash (the selector's, which the tests may use)."""
        from firmware.boot.selector import OsFs

        fs = OsFs(self.root)
        fs.listdir = lambda path: os.listdir(self.root + path) if self.exists(path) else []
        return fs

    def record(self):
        from firmware.boot.selector import read_record

        return read_record(self.fs())

    def provision(self, **kwargs):
        fakes.provision_fs(self.fs(), self.hw, **kwargs)

    # --- power -----------------------------------------------------------------------------

    def power_on(self, until=None, budget=500000):
        """Boot once (see the module docstring); returns how the run ended."""
        hw = self.hw
        hw.fakes = hw.modules()  # a reset: the radio and the peripherals start over
        ours = {}
        for name in list(sys.modules):
            if _boot_module(name):
                ours[name] = sys.modules.pop(name)
        saved = {}
        for name in hw.fakes:
            saved[name] = sys.modules.get(name)
            sys.modules[name] = hw.fakes[name]
        path = list(sys.path)
        sys.path.insert(0, self.root + "/lib")
        writes_bytecode = getattr(sys, "dont_write_bytecode", None)
        if writes_bytecode is not None:
            sys.dont_write_bytecode = True  # CPython: no __pycache__ inside the slots
            import importlib

            importlib.invalidate_caches()
        hw.run_until(until if until is not None else (lambda: False), budget)
        outcome = None
        stuck = False
        try:
            source = self.read("/main.py")
            assert source is not None, "nothing at /main.py"
            scope = {"__name__": "boot_main"}
            exec(compile(source, "main.py", "exec"), scope)
            scope["main"](self.root, hw.console.append)
            outcome = "returned"
        except fakes.MachineReset:
            outcome = "reset"
        except fakes.Halt:
            outcome = "halted"
        except fakes.Stuck:
            stuck = True
        finally:
            hw.run_until(None)
            package = sys.modules.get("firmware")
            self.booted.append(getattr(package, "__file__", None) if package else None)
            for name in list(sys.modules):
                if _boot_module(name):
                    del sys.modules[name]
            for name in ours:
                sys.modules[name] = ours[name]
            for name in saved:
                if saved[name] is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = saved[name]
            while sys.path:
                sys.path.pop()
            sys.path.extend(path)
            if writes_bytecode is not None:
                sys.dont_write_bytecode = writes_bytecode
        assert not stuck, "the condition did not come true; console: %r" % hw.console[-12:]
        self.outcomes.append(outcome)
        return outcome

    def booted_slot(self):
        """The slot the last power-on's firmware package came from (None: the root)."""
        where = (self.booted[-1] or "").replace("\\", "/")
        for slot in ("a", "b"):
            if "/slots/%s/firmware/" % slot in where:
                return slot
        return None


def _boot_module(name):
    return name == "firmware" or name.startswith("firmware.") or name == "steel_boot"
