"""Installing a bundle as it downloads: the head first (nothing is written before its
signature has checked), then each file into the other app slot, its sha256 checked.

Why streamed straight into the slot: a C3's filesystem holds two slots of this firmware
with little to spare, but not two slots and the bundle beside them, and its RAM holds one
file, not the bundle.  So the bundle is never kept: its bytes go into the slot's files as
they arrive, and the job's own sha256 of the whole bundle is computed on the way.

After a reboot mid-download the install resumes at its last checkpoint (a file boundary):
the head is kept in :data:`HEAD`, and the hash of what came before is rebuilt by reading the
head and the slot's finished files back (and checking them again: flash can wear).

Portable: MicroPython and CPython.
"""

import binascii
import hashlib
import io

from ..boot import selector
from ..ota import bundle as bundles
from ..ota.errors import BadBundle, HashMismatch

HEAD = "/ota/head.bin"
_LINE = len(bundles.FORMAT_LINE)


def hexdigest(hasher):
    return binascii.hexlify(hasher.digest()).decode()


def slot_files_dir(slot):
    return selector.slot_dir(slot) + "/firmware"


def remove_tree(fs, path):
    """Delete ``path`` and everything under it (no error if it is not there)."""
    try:
        names = fs.listdir(path)
    except OSError:
        names = []
    for name in names:
        child = path + "/" + name
        try:
            inner = fs.listdir(child)
        except OSError:
            inner = None
        if inner:
            remove_tree(fs, child)
        else:
            try:
                fs.remove(child)
            except OSError:
                pass
    try:
        fs.remove(path)
    except OSError:
        pass


def _parents(path):
    i = path.rfind("/")
    return path[:i] if i > 0 else "/"


class Install:
    """One bundle streaming into ``slot``.  ``expected_size``/``expected_sha256`` come from
    the job document; ``keys`` are the trusted :class:`~firmware.ota.p256.PublicKey` s."""

    def __init__(self, fs, slot, keys, expected_size, expected_sha256):
        self.fs = fs
        self.slot = slot
        self.keys = keys
        self.expected_size = expected_size
        self.expected_sha256 = expected_sha256
        self.hasher = hashlib.sha256()
        self.buf = b""
        self.received = 0  # bytes of the bundle taken so far
        self.head_size = None
        self.manifest = None
        self.index = 0  # files written
        self.consumed = 0  # bytes of the bundle written out (head and whole files)
        self.head_saved = False

    # --- streaming --------------------------------------------------------------------------

    def feed(self, data):
        """Take the next bytes of the bundle; returns how many files were finished.
        Raises BundleError (its reason for the job) when the bundle must not be installed,
        OSError when the flash refuses a write (ENOSPC: no space)."""
        if not data:
            return 0
        self.received += len(data)
        if self.received > self.expected_size:
            raise BadBundle(
                "oversized: more than the %d bytes the job document announces" % self.expected_size
            )
        self.hasher.update(data)
        self.buf = self.buf + data if self.buf else data
        if self.manifest is None and not self._take_head():
            return 0
        done = 0
        files = self.manifest.files
        while self.index < len(files):
            entry = files[self.index]
            if len(self.buf) < entry.size:
                break
            body = self.buf[: entry.size]
            self.buf = self.buf[entry.size :]
            if hexdigest(hashlib.sha256(body)) != entry.sha256:
                raise HashMismatch("%s: its sha256 is not the one the manifest lists" % entry.path)
            self._write(entry.path, body)
            self.index += 1
            self.consumed += entry.size
            done += 1
        if self.index == len(files) and self.buf:
            raise BadBundle("oversized: the bundle goes on after the last file")
        return done

    def _take_head(self):
        """Parse and verify the head once it is all here; True when it was."""
        buf = self.buf
        if self.head_size is None:
            first = buf.find(b"\n")
            if first < 0:
                if len(buf) > _LINE:
                    bundles.read_head(io.BytesIO(buf))  # raises: not our format
                return False
            second = buf.find(b"\n", first + 1)
            if second < 0:
                if len(buf) > first + 1 + bundles.MAX_LENGTHS_LINE:
                    bundles.read_head(io.BytesIO(buf))  # raises: a garbled lengths line
                return False
            try:
                m, s = buf[first + 1 : second].decode().split(" ")
                self.head_size = second + 1 + int(m) + int(s) + 1
            except (ValueError, UnicodeError):
                bundles.read_head(io.BytesIO(buf))  # raises with the reader's own words
                raise BadBundle("the bundle's lengths line is garbled")
        if len(buf) < self.head_size:
            return False
        raw = buf[: self.head_size]
        head = bundles.read_head(io.BytesIO(raw))
        head.verify(self.keys)
        self.manifest = head.manifest(bundles.manifests.MAX_TOTAL_SIZE, release=True)
        if self.manifest.bundle_size != self.expected_size:
            raise BadBundle(
                "the bundle is %d bytes by its manifest, the job document says %d"
                % (self.manifest.bundle_size, self.expected_size)
            )
        if not self.head_saved:
            self.fs.mkdir("/ota")
            self.fs.write(HEAD, raw)
            self.head_saved = True
        self.buf = buf[self.head_size :]
        self.consumed = self.head_size
        return True

    def _write(self, rel, body):
        path = selector.slot_dir(self.slot) + "/" + rel
        self.fs.mkdir(_parents(path))
        tmp = path + ".tmp"
        self.fs.write(tmp, body)
        self.fs.rename(tmp, path)

    def finish(self):
        """Every byte is in: check the bundle as a whole (its length and the job's sha256)."""
        if self.manifest is None or self.index < len(self.manifest.files):
            raise BadBundle("truncated: the download ended before the bundle did")
        if self.received != self.expected_size:
            raise BadBundle(
                "the bundle is %d bytes, the job document says %d"
                % (self.received, self.expected_size)
            )
        if hexdigest(self.hasher) != self.expected_sha256:
            raise HashMismatch("the bundle's sha256 is not the one the job document names")
        return self.manifest

    # --- resuming ---------------------------------------------------------------------------

    @classmethod
    def resume(cls, fs, slot, keys, expected_size, expected_sha256, files_done):
        """The install as it stood at a checkpoint (``files_done`` files written), its hash
        rebuilt from the flash; None when that cannot be trusted (start again)."""
        install = cls(fs, slot, keys, expected_size, expected_sha256)
        install.head_saved = True
        try:
            raw = fs.read(HEAD)
        except OSError:
            raw = None
        if not raw:
            return None
        # the head only (its signature checked again), not the files after it: those are
        # on the flash already, and checked below
        install.received = len(raw)
        install.hasher.update(raw)
        install.buf = raw
        if not install._take_head() or install.buf:
            return None
        for i in range(min(files_done, len(install.manifest.files))):
            entry = install.manifest.files[i]
            try:
                body = fs.read(selector.slot_dir(slot) + "/" + entry.path)
            except OSError:
                body = None
            if body is None or hexdigest(hashlib.sha256(body)) != entry.sha256:
                break  # worn, or cut before its rename: resume from this file
            install.hasher.update(body)
            install.received += entry.size
            install.consumed += entry.size
            install.index += 1
        return install
