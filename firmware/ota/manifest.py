"""A bundle's manifest: what the signature covers, checked field by field.

Why so strict: the manifest decides which files land in a slot and where.  A path with
``..`` or a leading ``/`` would write outside the slot; a path listed twice, or as both a
file and a directory, makes the install depend on order; a size that is not an integer
makes the reader's arithmetic lie.  So every field is checked for presence, type and range,
unknown fields are refused (a newer format says so with a new ``format`` number), and each
failure is a :class:`~.errors.BadBundle` naming the field.

Shape (docs/ota.md, "Bundle format")::

    {"format": 1, "version": "1.2.0", "min_version": "1.0.0", "target": "board",
     "files": [{"path": "firmware/agent/core.mpy", "size": 1234, "sha256": "<64 hex>"}, ...],
     "total_size": 1234, "self_test": "firmware/selftest.py"}

``min_version``, ``target`` and ``self_test`` are optional.  ``target`` says which kind of
board the bundle was built for (``board``: compiled ``.mpy``; ``emulated``: source); the
device only checks that it is a short name and keeps it, the host's tools read it.
"""

import json
import sys
from collections import namedtuple

from . import version as versions
from .errors import BadBundle

FORMAT = 1
MAX_MANIFEST_BYTES = 65536  # this checkout's firmware needs ~13 KB
MAX_FILES = 500  # this checkout's firmware has ~100
MAX_PATH_BYTES = 200
MAX_PART_BYTES = 100  # littlefs allows 255 per name; MicroPython's own paths stay short
MAX_TOTAL_SIZE = 2 * 1024 * 1024  # the whole C3 filesystem (reference/micropython.md)
MAX_NESTING = 3  # {files: [{...}]}
# MicroPython's json.loads reads bytes as UTF-8 (and refuses what is not), so the manifest
# need not be copied into a str first; CPython's would also guess UTF-16 or UTF-32.
_LOADS_BYTES = sys.implementation.name == "micropython"

_FIELDS = ("format", "version", "min_version", "target", "files", "total_size", "self_test")
_REQUIRED = ("format", "version", "files", "total_size")
_FILE_FIELDS = ("path", "size", "sha256")
_HEX = "0123456789abcdef"
MAX_TARGET_BYTES = 32
_TARGET_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789-"


# One file of the bundle: its path in the slot, its size and its sha256 (lowercase hex).
# A namedtuple, not a class: under MicroPython an instance of a class carries a dict of its
# own (``__slots__`` is not enforced), three times the size of a tuple, once per file.
FileEntry = namedtuple("FileEntry", ("path", "size", "sha256"))


class Manifest:
    """A parsed, checked manifest.

    ``id`` is the sha256 (hex) of the manifest's exact bytes: one id per bundle content,
    which names the bundle in logs and can name a slot's code.  ``payload_offset`` and
    ``bundle_size`` (set by the reader) let a caller check a download's length up front.
    """

    __slots__ = (
        "version",
        "min_version",
        "target",
        "files",
        "total_size",
        "self_test",
        "id",
        "payload_offset",
        "bundle_size",
    )

    def __init__(
        self, version, min_version, files, total_size, self_test, manifest_id, target=None
    ):
        self.version = version
        self.min_version = min_version
        self.target = target
        self.files = files
        self.total_size = total_size
        self.self_test = self_test
        self.id = manifest_id
        self.payload_offset = None
        self.bundle_size = None

    def may_replace(self, running):
        """Whether this bundle may replace firmware version ``running`` (its ``min_version``)."""
        return self.min_version is None or versions.at_least(running, self.min_version)

    def paths(self):
        return [entry.path for entry in self.files]

    def to_json(self):
        """The manifest as JSON-ready data (in the format's key order on CPython)."""
        out = {"format": FORMAT, "version": self.version}
        if self.min_version is not None:
            out["min_version"] = self.min_version
        if self.target is not None:
            out["target"] = self.target
        out["files"] = [{"path": e.path, "size": e.size, "sha256": e.sha256} for e in self.files]
        out["total_size"] = self.total_size
        if self.self_test is not None:
            out["self_test"] = self.self_test
        return out


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def path_problem(path):
    """Why ``path`` may not name a file in a slot, or None when it may.

    Relative, POSIX, UTF-8, no empty, ``.`` or ``..`` parts, no backslash or control
    characters, bounded in length.
    """
    if not isinstance(path, str):
        return "is not text"
    if not path:
        return "is empty"
    try:
        size = len(path.encode())
    except UnicodeError:
        return "is not UTF-8"
    if size > MAX_PATH_BYTES:
        return "is longer than %d bytes" % MAX_PATH_BYTES
    if path[0] == "/":
        return "is absolute"
    for ch in path:
        if ch < " " or ch == "\x7f":
            return "contains a control character"
        if ch == "\\":
            return "contains a backslash (paths are POSIX)"
    for part in path.split("/"):
        if not part:
            return "has an empty part"
        if part == "." or part == "..":
            return "has a '%s' part" % part
        if len(part.encode()) > MAX_PART_BYTES:
            return "has a part longer than %d bytes" % MAX_PART_BYTES
    return None


def target_problem(target):
    """Why ``target`` may not name a bundle's target, or None when it may: a name of
    lowercase letters, digits and ``-``, at most :data:`MAX_TARGET_BYTES` long."""
    if not isinstance(target, str):
        return "is not text"
    if not target:
        return "is empty"
    if len(target) > MAX_TARGET_BYTES:
        return "is longer than %d characters" % MAX_TARGET_BYTES
    for ch in target:
        if ch not in _TARGET_CHARS:
            return "has a character other than a-z, 0-9 and '-'"
    return None


def _nesting_exceeds(raw, limit):
    """Whether JSON bytes nest deeper than ``limit`` (brackets in strings do not count).

    Why before parsing: a parser recurses per level, and a manifest refused for depth should
    say so rather than exhaust the stack.  Not recursive itself.
    """
    depth = 0
    in_string = False
    escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte == 0x5B or byte == 0x7B:
            depth += 1
            if depth > limit:
                return True
        elif byte == 0x5D or byte == 0x7D:
            depth -= 1
    return False


def _version_field(data, key, required):
    if key not in data:
        if required:
            raise BadBundle("manifest: '%s' is missing" % key)
        return None
    try:
        versions.parse(data[key])
    except versions.VersionError as exc:
        raise BadBundle("manifest: %s: %s" % (key, exc.message))
    return data[key]


def _file_entry(index, item, max_total_size):
    where = "manifest: files[%d]" % index
    if not isinstance(item, dict):
        raise BadBundle("%s is not an object" % where)
    for key in item:
        if key not in _FILE_FIELDS:
            raise BadBundle("%s has an unknown field %r" % (where, key))
    for key in _FILE_FIELDS:
        if key not in item:
            raise BadBundle("%s: '%s' is missing" % (where, key))
    path = item["path"]
    problem = path_problem(path)
    if problem is not None:
        raise BadBundle("%s: path %r %s" % (where, path, problem))
    size = item["size"]
    if not _is_int(size):
        raise BadBundle("%s: size is not an integer" % where)
    if size < 0:
        raise BadBundle("%s: size %d is negative" % (where, size))
    if size > max_total_size:
        raise BadBundle("%s: size %d is more than %d" % (where, size, max_total_size))
    digest = item["sha256"]
    if not isinstance(digest, str) or len(digest) != 64:
        raise BadBundle("%s: sha256 is not 64 hex digits" % where)
    for ch in digest:
        if ch not in _HEX:
            raise BadBundle("%s: sha256 is not lowercase hex" % where)
    return FileEntry(path, size, digest)


def _check_layout(entries):
    """No path twice, and none that is both a file and another file's directory."""
    files = set()
    dirs = set()
    for entry in entries:
        if entry.path in files:
            raise BadBundle("manifest: %r is listed twice" % entry.path)
        files.add(entry.path)
        parts = entry.path.split("/")
        for i in range(1, len(parts)):
            dirs.add("/".join(parts[:i]))
    for path in files:
        if path in dirs:
            raise BadBundle("manifest: %r is both a file and a directory" % path)


def decode(raw):
    """The JSON data of the manifest's bytes; BadBundle if they are not a JSON object.

    Memory on the device: ``raw`` and the parsed data, never a text copy of ``raw``.
    """
    if len(raw) > MAX_MANIFEST_BYTES:
        raise BadBundle("manifest: %d bytes, more than %d" % (len(raw), MAX_MANIFEST_BYTES))
    if _nesting_exceeds(raw, MAX_NESTING):
        raise BadBundle("manifest: nested deeper than %d levels" % MAX_NESTING)
    try:
        text = raw if _LOADS_BYTES else bytes(raw).decode()
    except UnicodeError:
        raise BadBundle("manifest: not UTF-8 text")
    try:
        data = json.loads(text)
    except UnicodeError:
        raise BadBundle("manifest: not UTF-8 text")
    except ValueError:
        raise BadBundle("manifest: not valid JSON")
    if not isinstance(data, dict):
        raise BadBundle("manifest: not a JSON object")
    return data


def parse(raw, manifest_id, max_total_size=MAX_TOTAL_SIZE):
    """A :class:`Manifest` from the manifest's bytes; BadBundle naming the first fault.

    ``manifest_id`` is the sha256 hex of ``raw`` (the caller has it from the signature check).
    """
    return from_json(decode(raw), manifest_id, max_total_size)


def from_json(data, manifest_id, max_total_size=MAX_TOTAL_SIZE):
    """A :class:`Manifest` from decoded manifest data (a dict), checked field by field.

    The file list in ``data`` is emptied as it is converted (its dicts freed one by one).
    """
    for key in data:
        if key not in _FIELDS:
            raise BadBundle("manifest: unknown field %r" % key)
    for key in _REQUIRED:
        if key not in data:
            raise BadBundle("manifest: '%s' is missing" % key)
    fmt = data["format"]
    if not _is_int(fmt):
        raise BadBundle("manifest: format is not an integer")
    if fmt != FORMAT:
        raise BadBundle("manifest: format %d is not one this device reads (%d)" % (fmt, FORMAT))
    version = _version_field(data, "version", True)
    min_version = _version_field(data, "min_version", False)
    target = data.get("target")
    if "target" in data:
        problem = target_problem(target)
        if problem is not None:
            raise BadBundle("manifest: target %s" % problem)
    items = data["files"]
    if not isinstance(items, list):
        raise BadBundle("manifest: files is not a list")
    if not items:
        raise BadBundle("manifest: files is empty")
    if len(items) > MAX_FILES:
        raise BadBundle("manifest: %d files, more than %d" % (len(items), MAX_FILES))
    entries = []
    for index in range(len(items)):
        entries.append(_file_entry(index, items[index], max_total_size))
        items[index] = None  # let the parsed dicts go as entries replace them
    del items
    _check_layout(entries)
    total = data["total_size"]
    if not _is_int(total):
        raise BadBundle("manifest: total_size is not an integer")
    actual = 0
    for entry in entries:
        actual += entry.size
    if total != actual:
        raise BadBundle("manifest: total_size is %d but the files add up to %d" % (total, actual))
    if total > max_total_size:
        raise BadBundle(
            "manifest: the files total %d bytes, more than %d" % (total, max_total_size)
        )
    self_test = data.get("self_test")
    if "self_test" in data:
        if not isinstance(self_test, str):
            raise BadBundle("manifest: self_test is not a path")
        found = False
        for entry in entries:
            if entry.path == self_test:
                found = True
        if not found:
            raise BadBundle("manifest: self_test %r is not one of the files" % self_test)
    return Manifest(version, min_version, entries, total, self_test, manifest_id, target)


def encode(manifest_json):
    """The manifest's bytes: compact UTF-8 JSON.  Used by the host, which signs these bytes."""
    return json.dumps(manifest_json, separators=(",", ":")).encode()
