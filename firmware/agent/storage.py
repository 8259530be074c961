"""Power-safe files on the device's flash (``ports.FileSystem``).

Why: power can be cut at any flash write (a user unplugs the board, a brown-out, a test
that sweeps every cut point).  A plain overwrite can leave a torn file that the next
boot would trust.  So every file the agent writes goes through :meth:`Storage.write`:

1. write ``PATH.tmp`` (this write may be torn);
2. read it back and compare, so a flash that silently dropped bytes is caught now;
3. ``rename(PATH.tmp, PATH)``, which is atomic (littlefs and the emulated flash promise it).

A cut before step 3 leaves the previous ``PATH`` untouched (the last complete version);
a cut after it leaves the new one.  Boot removes stray ``*.tmp`` files (:meth:`cleanup`).

Every file also carries its own checksum in a one-line header::

    SHS1 <length> <sha256 hex>\\n<data>

so a file damaged later (a worn flash block) is detected on read and ignored rather than
executed.  ``read(..., allow_plain=True)`` also accepts a file with no header, for files a
person or a flashing tool wrote (``/config.json``).

:class:`ProgramStore` keeps programs on top of this; see its docstring for why its
pointer file is the single commit point of a program load.
"""

import binascii
import hashlib
import json

from .wire import dumps

MAGIC = b"SHS1 "
TMP = ".tmp"


class StorageError(Exception):
    """A write could not be completed (flash full, read-back mismatch, ...)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def sha256_hex(data):
    """Lowercase hex SHA-256 of ``data`` (bytes).  MicroPython's digest() works once."""
    return binascii.hexlify(hashlib.sha256(data).digest()).decode()


def frame(data):
    """``data`` with its checksum header."""
    return MAGIC + ("%d %s\n" % (len(data), sha256_hex(data))).encode() + data


PLAIN = "plain"
OK = "ok"
CORRUPT = "corrupt"


def unframe(blob):
    """(data, status): status is "ok", "plain" (no header; data = blob) or "corrupt"."""
    if not blob.startswith(MAGIC):
        return blob, PLAIN
    nl = blob.find(b"\n")
    if nl < 0 or nl > 100:
        return None, CORRUPT
    try:
        parts = blob[len(MAGIC) : nl].decode().split(" ")
        length = int(parts[0])
        digest = parts[1]
    except (ValueError, IndexError, UnicodeError):
        return None, CORRUPT
    data = blob[nl + 1 :]
    if len(data) != length or sha256_hex(data) != digest:
        return None, CORRUPT
    return data, OK


def join(*parts):
    out = parts[0]
    for p in parts[1:]:
        out = out.rstrip("/") + "/" + p.lstrip("/")
    return out


def dirname(path):
    i = path.rfind("/")
    if i <= 0:
        return "/"
    return path[:i]


class Storage:
    """Checksummed, atomically replaced files over a ``ports.FileSystem``.

    ``corrupt`` lists paths found damaged on read (the agent reports them in traces).
    """

    def __init__(self, fs):
        self.fs = fs
        self.corrupt = []

    def write(self, path, data):
        """Replace ``path`` with ``data`` (bytes) so that a power cut leaves old or new."""
        if isinstance(data, str):
            data = data.encode()
        blob = frame(data)
        tmp = path + TMP
        d = dirname(path)
        try:
            if d != "/":
                self.fs.mkdir(d)
            self.fs.write(tmp, blob)
            back = self.fs.read(tmp)
        except OSError as e:
            self._discard(tmp)
            raise StorageError("writing %s failed: %s" % (path, e))
        if back != blob:
            self._discard(tmp)
            raise StorageError(
                "writing %s failed: the flash read back %s bytes that differ from the %d written"
                % (path, "no" if back is None else len(back), len(blob))
            )
        try:
            self.fs.rename(tmp, path)
        except OSError as e:
            self._discard(tmp)
            raise StorageError("replacing %s failed: %s" % (path, e))

    def _discard(self, path):
        try:
            self.fs.remove(path)
        except OSError:
            pass

    def read(self, path, allow_plain=False):
        """The data of ``path``, or None if it is missing or damaged (then it is noted in
        ``corrupt``).  A file without a header is returned only with ``allow_plain``."""
        try:
            blob = self.fs.read(path)
        except OSError:
            blob = None
        if blob is None:
            return None
        data, status = unframe(blob)
        if status == OK or (status == PLAIN and allow_plain):
            return data
        if path not in self.corrupt:
            self.corrupt.append(path)
        return None

    def write_json(self, path, obj):
        self.write(path, dumps(obj))

    def read_json(self, path, allow_plain=False):
        """The decoded JSON of ``path``; None if missing, damaged or not JSON."""
        data = self.read(path, allow_plain)
        if data is None:
            return None
        try:
            return json.loads(data.decode())
        except (ValueError, UnicodeError):
            if path not in self.corrupt:
                self.corrupt.append(path)
            return None

    def remove(self, path):
        try:
            self.fs.remove(path)
        except OSError:
            pass

    def cleanup(self, directory):
        """Remove torn or abandoned ``*.tmp`` files in ``directory``; returns their names."""
        removed = []
        try:
            names = self.fs.listdir(directory)
        except OSError:
            return removed
        for name in names:
            if name.endswith(TMP):
                self.remove(join(directory, name))
                removed.append(name)
        return removed


PROGRAM_SUFFIX = ".prg"


class ProgramStore:
    """The device's programs, under ``root`` (by default ``/data``)::

        root/current.json             pointer: which program is current, whether it runs,
                                      and the recently stored programs
        root/programs/ID-SHA16.prg    one program: {"program_id", "sha256", "source"}

    Program files are named by id *and* content hash, so storing a new version never
    overwrites the file the pointer still names.  The pointer rename is the single commit
    point: a power cut before it boots the previous program exactly, after it the new one.
    Files the pointer does not name (left by a cut) are deleted at boot.  At most
    ``keep`` programs are kept; older ones are evicted.

    The pointer is ``{"current": [id, sha] or null, "run": bool, "recent": [[id, sha]...]}``
    (most recent first).  ``run`` is the desired state: true after a load with auto_start
    or a start, false after a stop; it decides whether boot starts the program.
    """

    def __init__(self, storage, root="/data", keep=4):
        self.storage = storage
        self.root = root
        self.dir = join(root, "programs")
        self.pointer_path = join(root, "current.json")
        self.keep = keep
        self.state = {"current": None, "run": False, "recent": []}

    def file_for(self, program_id, sha):
        return join(self.dir, "%s-%s%s" % (program_id, sha[:16], PROGRAM_SUFFIX))

    def boot(self):
        """Clean up after any power cut and read the pointer; returns the removed names."""
        removed = self.storage.cleanup(self.root) + self.storage.cleanup(self.dir)
        state = self.storage.read_json(self.pointer_path)
        if not self._valid(state):
            if self.storage.fs.read(self.pointer_path) is not None:
                # A damaged pointer (worn flash, not a power cut: the rename prevents
                # those): keep every program file rather than treat them as orphans.
                self.state = {"current": None, "run": False, "recent": []}
                return removed
            state = {"current": None, "run": False, "recent": []}
        self.state = state
        wanted = [self.file_for(e[0], e[1]) for e in state["recent"]]
        try:
            names = self.storage.fs.listdir(self.dir)
        except OSError:
            names = []
        for name in names:
            path = join(self.dir, name)
            if name.endswith(PROGRAM_SUFFIX) and path not in wanted:
                self.storage.remove(path)
                removed.append(name)
        return removed

    @staticmethod
    def _valid(state):
        if not isinstance(state, dict):
            return False
        recent = state.get("recent")
        if not isinstance(recent, list) or not isinstance(state.get("run"), bool):
            return False
        for e in recent:
            if not (isinstance(e, list) and len(e) == 2):
                return False
        cur = state.get("current")
        return cur is None or (isinstance(cur, list) and len(cur) == 2)

    # --- queries -----------------------------------------------------------------------

    def current(self):
        """(program_id, sha256, run) of the current program, or None."""
        cur = self.state["current"]
        if cur is None:
            return None
        return cur[0], cur[1], self.state["run"]

    def find(self, program_id):
        """The sha256 of the stored program ``program_id``, or None."""
        for e in self.state["recent"]:
            if e[0] == program_id:
                return e[1]
        return None

    def load(self, program_id, sha):
        """The source text of a stored program, or None if missing or damaged."""
        rec = self.storage.read_json(self.file_for(program_id, sha))
        if not isinstance(rec, dict):
            return None
        source = rec.get("source")
        if not isinstance(source, str) or rec.get("program_id") != program_id:
            return None
        if sha256_hex(source.encode()) != sha:
            return None
        return source

    # --- changes -----------------------------------------------------------------------

    def save(self, program_id, sha, source, run):
        """Store a program and make it current (raises StorageError)."""
        path = self.file_for(program_id, sha)
        if self.load(program_id, sha) is None:
            self.storage.write_json(
                path, {"program_id": program_id, "sha256": sha, "source": source}
            )
        recent = [[program_id, sha]]
        for e in self.state["recent"]:
            if e[0] != program_id and len(recent) < self.keep:
                recent.append(e)
        old = self.state["recent"]
        self._commit({"current": [program_id, sha], "run": run, "recent": recent})
        for e in old:
            if e not in recent:
                self.storage.remove(self.file_for(e[0], e[1]))
        # A previous version of the same id is superseded, and is not in `recent` any more.

    def set_current(self, program_id, sha, run):
        """Make an already stored program current (and most recent)."""
        recent = [[program_id, sha]] + [e for e in self.state["recent"] if e[0] != program_id]
        self._commit({"current": [program_id, sha], "run": run, "recent": recent})

    def set_run(self, run):
        if self.state["run"] != run:
            new = dict(self.state)
            new["run"] = run
            self._commit(new)

    def forget(self, program_id):
        """Delete a stored program; if it is current, there is no current program after."""
        sha = self.find(program_id)
        if sha is None:
            return False
        cur = self.state["current"]
        new = {
            "current": None if cur is not None and cur[0] == program_id else cur,
            "run": False if cur is not None and cur[0] == program_id else self.state["run"],
            "recent": [e for e in self.state["recent"] if e[0] != program_id],
        }
        self._commit(new)
        self.storage.remove(self.file_for(program_id, sha))
        return True

    def _commit(self, state):
        self.storage.write_json(self.pointer_path, state)
        self.state = state
