"""MicroPython's raw REPL over a :class:`~harness.backends.serialdev.ConsoleCapture`.

Why not mpremote: mpremote owns its serial port, while the harness must keep capturing the
console the whole time (a scenario's log expectations and the per-device log file depend on
it).  So this speaks the same framing through the capture (``shared/runtime/pyexec.c``, as
reference/micropython.md describes it):

1. ``\\r\\x03`` twice stops ``main.py`` (the firmware); ``\\r\\x01`` enters raw mode and the
   board answers ``raw REPL; CTRL-B to exit\\r\\n>``;
2. code, then ``\\x04``: the board answers ``OK``, the output, ``\\x04``, the traceback if
   any, ``\\x04``, ``>``;
3. ``\\x04`` with nothing buffered is a soft reset (``main.py`` does not run);
4. ``\\r\\x02`` goes back to the friendly REPL, where ``\\x04`` soft-resets *and* runs
   ``main.py``: that is how the firmware is resumed.

Files are written the way mpremote's ``fs_writefile`` does (``w(b'...')`` per 256-byte
chunk), to a ``.tmp`` name that is renamed over the target once its SHA-256 on the board is
right, so a reset in the middle never leaves a torn certificate or config behind.
Plain raw mode only: raw-paste is faster but the virtual board is the only place it could be
tested here, and plain mode works on every MicroPython.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from .base import BackendError
from .serialdev import ConsoleCapture

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
FRIENDLY_PROMPT = b">>> "
_RESULT = re.compile(rb"OK(.*?)\x04(.*?)\x04>", re.DOTALL)
_OK = re.compile(rb"OK")
_SOFT_REBOOT = re.compile(rb"soft reboot\r\n")
#: Bytes of file data per ``w(...)`` call, and calls per exec (mpremote writes 256 per exec).
CHUNK = 256
CHUNKS_PER_EXEC = 8


class ReplError(BackendError):
    """Code run on the board raised; ``traceback`` is what MicroPython printed."""

    def __init__(self, message: str, traceback: str) -> None:
        super().__init__(message)
        self.traceback = traceback


class RawRepl:
    """One board's raw REPL.  ``with repl.session(): repl.exec(...)`` stops the firmware for
    the duration, and the capture marks the traffic as the harness's own."""

    def __init__(
        self,
        capture: ConsoleCapture,
        *,
        timeout: float = 10.0,
        write_pause: float = 0.01,
    ) -> None:
        self.capture = capture
        self.timeout = timeout
        self.write_pause = write_pause
        self.active = False
        self._pos = 0

    # --- modes ----------------------------------------------------------------------------

    @contextmanager
    def session(self, *, resume: bool = True) -> Iterator[RawRepl]:
        """Stop the firmware, enter raw mode; afterwards leave it and (``resume``) restart
        ``main.py`` with a soft reset."""
        exited = False
        try:
            with self.capture.quiet():
                self.enter()
                try:
                    yield self
                finally:
                    if self.active:
                        self.exit()
                        exited = True
        finally:
            # Outside the quiet block: what main.py prints from its first byte on is the
            # firmware's, and must not be taken for REPL traffic however fast it comes.
            if exited and resume:
                self.run_main()

    def enter(self, *, soft_reset: bool = False) -> None:
        self.capture.write(b"\r\x03")
        time.sleep(0.05)
        self.capture.write(b"\r\x03")
        self._settle()
        start = self.capture.mark()
        self.capture.write(b"\r\x01")
        found = self.capture.wait_bytes(re.compile(re.escape(RAW_PROMPT)), start, self.timeout)
        self._pos = start + found.end()
        self.active = True
        if soft_reset:
            self.soft_reset()

    def soft_reset(self) -> None:
        """Ctrl-D in raw mode: RAM cleared, boot.py runs, main.py does not."""
        start = self._pos
        self.capture.write(b"\x04")
        found = self.capture.wait_bytes(_SOFT_REBOOT, start, self.timeout)
        after = start + found.end()
        found = self.capture.wait_bytes(re.compile(re.escape(RAW_PROMPT)), after, self.timeout)
        self._pos = after + found.end()

    def exit(self) -> None:
        """Back to the friendly REPL."""
        start = self.capture.mark()
        self.capture.write(b"\r\x02")
        self.active = False
        self.capture.wait_bytes(re.compile(re.escape(FRIENDLY_PROMPT)), start, self.timeout)

    def run_main(self) -> None:
        """From the friendly REPL: Ctrl-D soft-resets and runs ``main.py`` (the firmware)."""
        self.capture.write(b"\x04")

    # --- code -----------------------------------------------------------------------------

    def exec(self, code: str | bytes, timeout: float | None = None) -> bytes:
        """Run ``code`` on the board; its output, or :class:`ReplError` with the traceback."""
        out, err = self.exec_raw(code, timeout)
        if err:
            text = err.decode("utf-8", "replace").replace("\r\n", "\n")
            last = text.strip().splitlines()[-1] if text.strip() else "error"
            raise ReplError(f"{self.capture.name}: the board raised {last}", text)
        return out

    def exec_raw(self, code: str | bytes, timeout: float | None = None) -> tuple[bytes, bytes]:
        """(stdout, traceback) of ``code``."""
        self._require_raw()
        data = code.encode() if isinstance(code, str) else code
        start = self._pos
        self._send(data)
        self.capture.write(b"\x04")
        found = self.capture.wait_bytes(_RESULT, start, timeout or self.timeout)
        self._pos = start + found.end()
        return found.group(1), found.group(2)

    def exec_no_follow(self, code: str | bytes) -> None:
        """Send ``code`` and wait only for ``OK`` (``machine.reset()`` never answers more)."""
        self._require_raw()
        data = code.encode() if isinstance(code, str) else code
        start = self._pos
        self._send(data)
        self.capture.write(b"\x04")
        found = self.capture.wait_bytes(_OK, start, self.timeout)
        self._pos = start + found.end()
        self.active = False

    def eval(self, expression: str) -> str:
        """``print(repr(expression))`` on the board, as text."""
        return self.exec(f"print(repr({expression}))").decode("utf-8", "replace").strip()

    # --- files ----------------------------------------------------------------------------

    def makedirs(self, directory: str) -> None:
        parts = [p for p in directory.split("/") if p]
        paths = ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
        if not paths:
            return
        self.exec(
            "import os\n"
            f"for _p in {paths!r}:\n"
            "    try:\n"
            "        os.mkdir(_p)\n"
            "    except OSError as _e:\n"
            "        if _e.args[0] != 17:\n"  # EEXIST
            "            raise\n"
        )

    def write_file(self, path: str, data: bytes) -> None:
        """Write ``path`` atomically: ``PATH.tmp``, check its SHA-256, rename."""
        self.makedirs(posixpath.dirname(path))
        tmp = path + ".tmp"
        self.exec(f"_f=open({tmp!r},'wb')\n_w=_f.write")
        step = CHUNK * CHUNKS_PER_EXEC
        for offset in range(0, len(data), step):
            block = data[offset : offset + step]
            calls = [f"_w({block[i : i + CHUNK]!r})" for i in range(0, len(block), CHUNK)]
            self.exec("\n".join(calls))
        self.exec("_f.close()")
        expected = hashlib.sha256(data).hexdigest()
        actual = self.sha256(tmp)
        if actual != expected:
            raise BackendError(
                f"{self.capture.name}: {path} arrived damaged (sha256 {actual} on the board, "
                f"{expected} sent); the serial link is dropping bytes"
            )
        self.exec(f"import os\nos.rename({tmp!r},{path!r})")

    def write_files(self, files: Mapping[str, bytes]) -> None:
        for path, data in files.items():
            self.write_file(path, data)

    def read_file(self, path: str) -> bytes:
        out = self.exec(
            f"_f=open({path!r},'rb')\n"
            "while True:\n"
            f"    _b=_f.read({CHUNK})\n"
            "    if not _b:\n"
            "        break\n"
            "    print(repr(_b))\n"
            "_f.close()"
        )
        data = bytearray()
        for line in out.decode().splitlines():
            line = line.strip()
            if line.startswith(("b'", 'b"')):
                data += _bytes_literal(line)
        return bytes(data)

    def sha256(self, path: str) -> str:
        out = self.exec(
            "import hashlib, binascii\n"
            "_h=hashlib.sha256()\n"
            f"_f=open({path!r},'rb')\n"
            "while True:\n"
            "    _b=_f.read(512)\n"
            "    if not _b:\n"
            "        break\n"
            "    _h.update(_b)\n"
            "_f.close()\n"
            "print(binascii.hexlify(_h.digest()).decode())"
        )
        return out.decode().strip()

    # --- internals ------------------------------------------------------------------------

    def _require_raw(self) -> None:
        if not self.active:
            raise BackendError(f"{self.capture.name}: not in the raw REPL (call enter() first)")

    def _send(self, data: bytes) -> None:
        for i in range(0, len(data), CHUNK):
            self.capture.write(data[i : i + CHUNK])
            if len(data) > CHUNK:
                time.sleep(self.write_pause)

    def _settle(self, quiet: float = 0.1, limit: float = 2.0) -> None:
        """Wait until the board has said everything it was saying (a traceback, a banner)."""
        deadline = time.monotonic() + limit
        seen = self.capture.mark()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.capture.mark()
            if now == seen:
                return
            seen = now


def _bytes_literal(text: str) -> bytes:
    import ast

    value = ast.literal_eval(text)
    if not isinstance(value, bytes):
        raise BackendError(f"expected a bytes literal from the board, got {text!r}")
    return value
