"""Reading an OTA bundle: header, signed manifest, signature, then each file, streamed.

The format (docs/ota.md, "Bundle format")::

    STEELOTA 1\\n
    <manifest length> <signature length>\\n      ASCII decimal, in bytes
    <manifest>                                  compact UTF-8 JSON: the bytes that were signed
    <signature>\\n                               base64 of the DER ECDSA P-256 signature
                                                over SHA-256(manifest)
    <payload>                                   each file's bytes, in the manifest's order

Why this shape: the signature covers only the manifest, and the manifest holds every file's
sha256 and size, so the device checks one signature (about a second on a C3, estimated) and
then only hashes, file by file, as it streams them into a slot.  The manifest comes first
so nothing is written before the signature has checked, and the lengths come first so a
reader never scans for a delimiter in untrusted bytes.

Order of checks, and why: lengths and framing; the signature, before the manifest is even
parsed (untrusted JSON is not parsed on the device); the manifest's fields
(:mod:`.manifest`); then each file's size and sha256 as it is read; then that nothing
follows the last file.  Every refusal is a :class:`~.errors.BundleError` (``reason``
``bad-bundle``, ``bad-signature`` or ``hash-mismatch``, and a ``message``); an ``OSError``
from the stream itself passes through, since reading flash or a socket failing is not a
fault of the bundle.

Memory: the reader holds the manifest's bytes until their JSON is decoded, then the parsed
file list, one chunk (``chunk_size``, 4 KB by default) and a SHA-256 state; never the
payload.  Measured under MicroPython for this checkout's firmware (99 files, a 12.6 KB
manifest): a live peak of about 33 KB just after the JSON is decoded, then about 23 KB while
the files stream (docs/ota.md, "Verification cost").  :meth:`BundleReader.files` joins each
file's chunks, so it also holds the largest file (~20 KB today); :meth:`BundleReader.chunks`
does not.

Use (the job handler)::

    reader = BundleReader(open(path, "rb"), trusted_keys)
    manifest = reader.read_manifest()          # signature checked here
    for entry, data, done in reader.chunks():  # write data to the slot; when done is True
        ...                                    # the file's sha256 has been checked, and for
                                               # the last file, the end of the bundle too
"""

import binascii
import hashlib

from . import manifest as manifests
from . import p256
from .errors import BadBundle, BadSignature, HashMismatch

FORMAT_LINE = b"STEELOTA 1\n"
MAGIC = b"STEELOTA "
MAX_LENGTHS_LINE = 24
MAX_SIGNATURE_CHARS = 256  # a P-256 DER signature is at most 72 bytes: 96 base64 characters
MIN_MANIFEST_BYTES = 2
CHUNK_SIZE = 4096  # one flash block


def _hex(digest):
    return binascii.hexlify(digest).decode()


def read_exact(stream, size):
    """``size`` bytes from ``stream``, or fewer only where the stream ends.

    A socket or a raw file may return less than asked without being at its end.
    """
    data = stream.read(size)
    if not data:
        return b""
    if len(data) == size:
        return data
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _printable(data):
    out = []
    for byte in data[:16]:
        out.append(chr(byte) if 0x20 < byte < 0x7F else "?")
    return "".join(out)


def _decimal(text, what, low, high):
    if not text or len(text) > 10:
        raise BadBundle("the header's %s is not a decimal number" % what)
    for byte in text:
        if not 0x30 <= byte <= 0x39:
            raise BadBundle("the header's %s is not a decimal number" % what)
    if len(text) > 1 and text[0] == 0x30:
        raise BadBundle("the header's %s has a leading zero" % what)
    value = int(text)
    if value < low or value > high:
        raise BadBundle("the header's %s is %d, outside %d..%d" % (what, value, low, high))
    return value


def _format_line(stream):
    first = read_exact(stream, len(FORMAT_LINE))
    if first == FORMAT_LINE:
        return
    if not first:
        raise BadBundle("the bundle is empty")
    if FORMAT_LINE.startswith(first):
        raise BadBundle("truncated: the bundle ends inside its first line")
    if first.startswith(MAGIC):
        rest = first[len(MAGIC) :].split(b"\n")[0]
        raise BadBundle("unknown bundle format '%s' (this device reads 1)" % _printable(rest))
    raise BadBundle("not an OTA bundle (it does not begin with 'STEELOTA 1')")


def _lengths_line(stream):
    line = bytearray()
    while True:
        byte = stream.read(1)
        if not byte:
            raise BadBundle("truncated: the bundle ends inside its header")
        if byte == b"\n":
            break
        if len(line) >= MAX_LENGTHS_LINE:
            raise BadBundle(
                "the header's second line is not '<manifest length> <signature length>'"
            )
        line += byte
    parts = bytes(line).split(b" ")
    if len(parts) != 2:
        raise BadBundle("the header's second line is not '<manifest length> <signature length>'")
    manifest_size = _decimal(
        parts[0], "manifest length", MIN_MANIFEST_BYTES, manifests.MAX_MANIFEST_BYTES
    )
    signature_size = _decimal(parts[1], "signature length", 4, MAX_SIGNATURE_CHARS)
    return len(line) + 1, manifest_size, signature_size


class Head:
    """What precedes the payload: the manifest's bytes and the signature's text, unchecked.

    Nothing here is trusted until :meth:`verify` returns; :meth:`manifest` parses either way
    (``steelhil ota inspect`` shows an unsigned manifest, the device never parses one).
    """

    __slots__ = ("manifest_bytes", "signature_text", "payload_offset", "_digest")

    def __init__(self, manifest_bytes, signature_text, payload_offset):
        self.manifest_bytes = manifest_bytes
        self.signature_text = signature_text
        self.payload_offset = payload_offset
        self._digest = None

    def digest(self):
        """SHA-256 of the manifest's bytes: what the signature signs."""
        if self._digest is None:
            self._digest = hashlib.sha256(self.manifest_bytes).digest()
        return self._digest

    def signature(self):
        """The signature as DER bytes; BadSignature if its text is not base64."""
        try:
            return p256.strict_b64decode(self.signature_text, "signature")
        except p256.P256Error as exc:
            raise BadSignature("the signature is not usable: %s" % exc.message)

    def verify(self, trusted_keys):
        """The trusted key (a :class:`~.p256.PublicKey`) that signed the manifest.

        BadSignature if the signature is not a DER ECDSA signature, if no key is trusted,
        or if none of ``trusted_keys`` signed exactly these manifest bytes.
        """
        if not trusted_keys:
            raise BadSignature("this device trusts no signing key")
        for key in trusted_keys:
            if not isinstance(key, p256.PublicKey):
                raise TypeError("trusted keys must be p256.PublicKey objects")
        try:
            r, s = p256.decode_signature(self.signature())
        except p256.P256Error as exc:
            raise BadSignature("the signature is not usable: %s" % exc.message)
        digest = self.digest()
        for key in trusted_keys:
            if p256.verify_digest(key.x, key.y, digest, r, s):
                return key
        if len(trusted_keys) == 1:
            raise BadSignature("the manifest is not signed by the key this device trusts")
        raise BadSignature(
            "the manifest is not signed by any of the %d keys this device trusts"
            % len(trusted_keys)
        )

    def manifest(self, max_total_size=manifests.MAX_TOTAL_SIZE, release=False):
        """The parsed manifest (BadBundle naming the first fault), with its offsets set.

        With ``release``, the manifest's bytes are let go as soon as their JSON is decoded
        (the reader does this: it saves their size, ~13 KB, while the fields are checked).
        """
        digest = self.digest()
        data = manifests.decode(self.manifest_bytes)
        if release:
            self.manifest_bytes = None
        parsed = manifests.from_json(data, _hex(digest), max_total_size)
        parsed.payload_offset = self.payload_offset
        parsed.bundle_size = self.payload_offset + parsed.total_size
        return parsed


def read_head(stream):
    """The :class:`Head` of the bundle ``stream`` is positioned at; the stream is left at
    the payload.  BadBundle if the framing is wrong or the bundle ends early."""
    _format_line(stream)
    line_size, manifest_size, signature_size = _lengths_line(stream)
    manifest_bytes = read_exact(stream, manifest_size)
    if len(manifest_bytes) < manifest_size:
        raise BadBundle(
            "truncated: the bundle ends inside its manifest (%d of %d bytes)"
            % (len(manifest_bytes), manifest_size)
        )
    signature = read_exact(stream, signature_size)
    if len(signature) < signature_size:
        raise BadBundle(
            "truncated: the bundle ends inside its signature (%d of %d bytes)"
            % (len(signature), signature_size)
        )
    newline = stream.read(1)
    if not newline:
        raise BadBundle("truncated: the bundle ends after its signature")
    if newline != b"\n":
        raise BadBundle("the signature is not followed by a newline (its length is wrong)")
    offset = len(FORMAT_LINE) + line_size + manifest_size + signature_size + 1
    return Head(manifest_bytes, signature, offset)


def read_payload(stream, manifest, chunk_size=CHUNK_SIZE):
    """Yield ``(entry, data, done)`` for each file of ``manifest``, chunk by chunk.

    ``done`` is True on a file's last chunk (``b""`` for an empty file), which is yielded
    only after the file's size and sha256 have checked; on the last file's last chunk, also
    after checking that nothing follows it.  So a caller that writes each chunk where it
    belongs has a complete, verified slot exactly when the generator finishes.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    files = manifest.files
    last = len(files) - 1
    for index in range(len(files)):
        entry = files[index]
        hasher = hashlib.sha256()
        remaining = entry.size
        while True:
            data = b""
            if remaining:
                data = read_exact(stream, chunk_size if remaining > chunk_size else remaining)
                if not data:
                    done = entry.size - remaining
                    if done:
                        raise BadBundle(
                            "truncated: the bundle ends %d bytes into %s (of %d)"
                            % (done, entry.path, entry.size)
                        )
                    raise BadBundle("truncated: the bundle ends before %s" % entry.path)
                hasher.update(data)
                remaining -= len(data)
            if remaining:
                yield entry, data, False
                continue
            if _hex(hasher.digest()) != entry.sha256:
                raise HashMismatch("%s: its sha256 is not the one the manifest lists" % entry.path)
            if index == last and stream.read(1):
                raise BadBundle("oversized: the bundle goes on after the last file")
            yield entry, data, True
            break


class BundleReader:
    """A bundle read once, front to back, from a file-like ``stream`` (``read(n)``).

    ``trusted_keys`` are :class:`~.p256.PublicKey` objects (:func:`~.p256.load_public_keys`
    makes them from the device's trust file).  ``max_total_size`` bounds the payload (the
    caller may pass the free space it has); ``chunk_size`` is how much is read at a time.
    """

    def __init__(
        self,
        stream,
        trusted_keys,
        max_total_size=manifests.MAX_TOTAL_SIZE,
        chunk_size=CHUNK_SIZE,
    ):
        self.stream = stream
        self.trusted_keys = list(trusted_keys)
        self.max_total_size = max_total_size
        self.chunk_size = chunk_size
        self.manifest = None
        self.key = None
        self._payload_started = False

    def read_manifest(self):
        """The verified :class:`~.manifest.Manifest` (reads the head on the first call)."""
        if self.manifest is None:
            head = read_head(self.stream)
            self.key = head.verify(self.trusted_keys)
            self.manifest = head.manifest(self.max_total_size, release=True)
        return self.manifest

    def chunks(self):
        """``(entry, data, done)`` for each chunk of each file; see :func:`read_payload`."""
        manifest = self.read_manifest()
        if self._payload_started:
            raise RuntimeError("the payload of this bundle has already been read")
        self._payload_started = True
        return read_payload(self.stream, manifest, self.chunk_size)

    def files(self):
        """Yield ``(path, data)`` for each file, whole, after its sha256 has checked."""
        parts = []
        for entry, data, done in self.chunks():
            parts.append(data)
            if done:
                whole = parts[0] if len(parts) == 1 else b"".join(parts)
                parts = []
                yield entry.path, whole

    def check(self):
        """Read and check the whole bundle without keeping any file; return the manifest."""
        for _ in self.chunks():
            pass
        return self.manifest


def check_bundle(stream, trusted_keys, max_total_size=manifests.MAX_TOTAL_SIZE):
    """The manifest of a bundle that checks end to end (signature, manifest, every file)."""
    return BundleReader(stream, trusted_keys, max_total_size).check()
