"""Which app slot to boot: the boot record, its atomic updates, and fallback after failures.

Why slots on the filesystem: the stock MicroPython ESP32-C3 image has no OTA partitions,
so an app slot is a directory (``/slots/a``, ``/slots/b``) holding a whole ``firmware/``
tree; ``main.py`` puts the chosen one first on ``sys.path``.  This module is the only code
that decides, and it is never updated (it is installed outside the slots), so a bundle that
does not even import cannot stop the board from going back to the version that worked.

The boot record (``/boot.json``, written as the agent's storage writes files: a checksum
header, written to ``.tmp``, read back, renamed) holds::

    {"format": 1, "active": "a", "pending": "b" or null, "attempts": 0,
     "last": {"slot": "b", "outcome": "committed" | "boot-failed" | "self-test-failed",
              "version": "1.2.0"} or null}

* ``active`` is the slot that last worked; ``pending`` a slot just installed, on trial.
* Each boot of a pending slot counts an attempt; after :data:`MAX_ATTEMPTS` boots without a
  commit the trial has failed (``boot-failed``) and the board boots ``active`` again.
* The new app commits (``pending`` becomes ``active``) once its self-test passed, or rejects
  the trial (``self-test-failed``) and reboots into ``active``.

A missing or damaged record means "slot a, nothing pending" (a factory board), and a board
with no ``/slots`` at all boots the old layout (``/firmware`` at the root).

The record is a contract across versions: a board's installed copy of this module (its
``/lib/steel_boot.py``) is never updated, while each new app arms and commits with its own
copy.  So format 1 stays readable by the oldest copy: fields may be added (a reader ignores
what it does not know), never renamed or given another meaning.

Portable: MicroPython and CPython; ``fs`` is anything with the agent's filesystem port
methods (``read``, ``write``, ``rename``, ``remove``, ``mkdir``), e.g. :class:`OsFs`.
"""

import binascii
import hashlib
import json

RECORD = "/boot.json"
SLOTS_DIR = "/slots"
SLOTS = ("a", "b")
MAX_ATTEMPTS = 3

COMMITTED = "committed"
BOOT_FAILED = "boot-failed"
SELF_TEST_FAILED = "self-test-failed"

_MAGIC = b"SHS1 "  # the agent's storage format (firmware/agent/storage.py)


def slot_dir(slot):
    return SLOTS_DIR + "/" + slot


def other(slot):
    return "b" if slot == "a" else "a"


def default_record():
    return {"format": 1, "active": "a", "pending": None, "attempts": 0, "last": None}


# --- the record on flash ------------------------------------------------------------------


def _digest(data):
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def _unframe(blob):
    if blob is None or not blob.startswith(_MAGIC):
        return None
    nl = blob.find(b"\n")
    if nl < 0 or nl > 100:
        return None
    try:
        length, digest = blob[len(_MAGIC) : nl].decode().split(" ")
        length = int(length)
    except (ValueError, UnicodeError):
        return None
    data = blob[nl + 1 :]
    if len(data) != length or _digest(data) != digest:
        return None
    return data


def read_record(fs):
    """The boot record, or the default one when it is missing or damaged."""
    try:
        data = _unframe(fs.read(RECORD))
        record = json.loads(data.decode()) if data is not None else None
    except (OSError, ValueError, UnicodeError):
        record = None
    if not isinstance(record, dict) or record.get("active") not in SLOTS:
        return default_record()
    out = default_record()
    out["active"] = record["active"]
    if record.get("pending") in SLOTS and record.get("pending") != record["active"]:
        out["pending"] = record["pending"]
    attempts = record.get("attempts")
    if type(attempts) is int and attempts >= 0:
        out["attempts"] = attempts
    last = record.get("last")
    if isinstance(last, dict):
        out["last"] = last
    return out


def write_record(fs, record):
    """Replace the record so that a power cut leaves the old one or the new one."""
    data = json.dumps(record).encode()
    blob = _MAGIC + ("%d %s\n" % (len(data), _digest(data))).encode() + data
    tmp = RECORD + ".tmp"
    fs.write(tmp, blob)
    if fs.read(tmp) != blob:
        raise OSError("the boot record read back differs from what was written")
    fs.rename(tmp, RECORD)


def has_slots(fs):
    """Whether the board uses slots (a factory image with ``/slots/a``)."""
    try:
        return fs.read(slot_dir("a") + "/slot.json") is not None
    except OSError:
        return False


# --- the decisions ------------------------------------------------------------------------


def choose(fs):
    """The slot to boot now (None: the old layout with no slots), and the record; counts an
    attempt of a pending slot, or gives up on it after :data:`MAX_ATTEMPTS`."""
    if not has_slots(fs):
        return None, None
    record = read_record(fs)
    pending = record["pending"]
    if pending is None:
        return record["active"], record
    if record["attempts"] >= MAX_ATTEMPTS:
        record["last"] = {"slot": pending, "outcome": BOOT_FAILED}
        record["pending"] = None
        record["attempts"] = 0
        write_record(fs, record)
        return record["active"], record
    record["attempts"] += 1
    write_record(fs, record)
    return pending, record


def arm(fs, slot, version=None):
    """``slot`` holds a new app: boot it on trial from the next boot on."""
    record = read_record(fs)
    if slot == record["active"]:
        raise ValueError("slot %s is the active one" % slot)
    record["pending"] = slot
    record["attempts"] = 0
    record["last"] = {"slot": slot, "outcome": "armed", "version": version}
    write_record(fs, record)
    return record


def commit(fs, slot, version=None):
    """The app running from pending ``slot`` passed its self-test: it is the active one."""
    record = read_record(fs)
    if record["pending"] != slot:
        return record  # already committed (a cut after the write, before the report)
    record["active"] = slot
    record["pending"] = None
    record["attempts"] = 0
    record["last"] = {"slot": slot, "outcome": COMMITTED, "version": version}
    write_record(fs, record)
    return record


def reject(fs, slot, outcome=SELF_TEST_FAILED):
    """The trial of ``slot`` failed: the next boot goes back to the active slot."""
    record = read_record(fs)
    if record["pending"] == slot:
        record["pending"] = None
        record["attempts"] = 0
        record["last"] = {"slot": slot, "outcome": outcome}
        write_record(fs, record)
    return record


class OsFs:
    """The filesystem port over MicroPython's (or CPython's) ``open`` and ``os``, for the
    board's ``main.py``, which must not import anything from a slot."""

    def __init__(self, root=""):
        self.root = root

    def read(self, path):
        try:
            with open(self.root + path, "rb") as f:
                return f.read()
        except OSError:
            return None

    def write(self, path, data):
        with open(self.root + path, "wb") as f:
            f.write(data)

    def rename(self, src, dst):
        import os

        os.rename(self.root + src, self.root + dst)  # littlefs replaces dst atomically

    def remove(self, path):
        import os

        try:
            os.remove(self.root + path)
        except OSError:
            pass

    def mkdir(self, path):
        import os

        try:
            os.mkdir(self.root + path)
        except OSError:
            pass
