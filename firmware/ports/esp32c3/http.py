"""Streamed HTTP GETs for the agent's ``Download`` action (a firmware bundle), on MicroPython's
``requests``.

Why streamed: a bundle (about 640 KB) is ten times the C3's free heap, so its body is read a
chunk at a time off the response's socket (``response.raw``), and each chunk goes to the
agent before the next is read; ``response.content`` is never touched.

The request asks for the bytes from ``offset`` on (``Range: bytes=N-``) when resuming.  What
counts as an answer: ``206 Partial Content`` whose ``Content-Range`` starts at ``offset``, or
``200`` for a request from 0.  Anything else (a 403 from an expired presigned URL, a 404, a
200 to a Range request, a 416) is a :class:`DownloadError` with the status, and nothing of
the body is read.  The body ends when ``Content-Length`` bytes have arrived; a connection
that closes or breaks before that is a :class:`DownloadError` without a status (the agent
resumes from what it has).  Without a ``Content-Length`` the end of the connection is the
end of the body (MicroPython's ``requests`` sends HTTP/1.0-style ``Connection: close``).

Every socket operation has a timeout (:data:`TIMEOUT`), so a network that goes away in the
middle of a read ends the download instead of hanging the board.  TLS: MicroPython's
``requests`` does not verify the server's certificate (it sets ``CERT_NONE``); the bundle's
integrity comes from its signature and the job document's sha256 instead, both checked
before anything is installed.
"""

import requests

CHUNK = 4096  # bytes read from the socket per call (and handed to the agent as one Chunk)
TIMEOUT = 30  # seconds for the connect, the TLS handshake and each read


class DownloadError(Exception):
    """The download cannot go on: ``message`` for the job's log, ``status`` the HTTP status
    when the server answered with one that is not usable."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


def header(headers, name):
    """A response header by name, whatever its case (None when absent)."""
    if not headers:
        return None
    want = name.lower()
    for key in headers:
        if key.lower() == want:
            return headers[key]
    return None


def _why(e):
    text = str(e)
    return "%s: %s" % (type(e).__name__, text) if text else type(e).__name__


def _content_range_start(value):
    """The first byte of ``bytes START-END/TOTAL``, or None when it is not that."""
    if not value or not value.startswith("bytes "):
        return None
    span = value[6:].split("/")[0]
    first = span.split("-")[0].strip()
    if not first or first.strip("0123456789"):
        return None
    return int(first)


class Stream:
    """One GET of ``url`` from byte ``offset``, open: :meth:`read` until it returns None.

    Opening blocks for the DNS lookup, the TCP connect, the TLS handshake and the response's
    headers (each up to ``timeout`` seconds); raises :class:`DownloadError`.
    """

    def __init__(self, url, offset=0, timeout=TIMEOUT, chunk=CHUNK):
        if type(offset) is not int or offset < 0:
            raise DownloadError("bad offset %r: expected a byte count" % (offset,))
        self.url = url
        self.offset = offset
        self.chunk = chunk
        self.received = 0  # bytes of this response's body read so far
        self.length = None  # its Content-Length, when the server sent one
        self.response = None
        self.raw = None
        headers = {}
        if offset:
            headers["Range"] = "bytes=%d-" % offset
        try:
            response = requests.get(url, headers=headers, timeout=timeout)
        except Exception as e:  # OSError (DNS, refused, TLS, timeout), ValueError (a bad URL)
            raise DownloadError("%s: %s" % (_host(url), _why(e)))
        self.response = response
        status = response.status_code
        expected = 206 if offset else 200
        if status != expected:
            self.close()
            if status == 200:
                why = "HTTP 200: the server ignored the range request from byte %d" % offset
            else:
                why = "HTTP %s" % status
            raise DownloadError(why, status)
        got = response.headers if hasattr(response, "headers") else None
        if offset:
            start = _content_range_start(header(got, "Content-Range"))
            if start != offset:
                self.close()
                raise DownloadError(
                    "HTTP 206 for bytes from %s, not from %d as asked"
                    % ("an unknown byte" if start is None else start, offset),
                    status,
                )
        length = header(got, "Content-Length")
        if length is not None:
            length = length.strip()
            if not length or length.strip("0123456789"):
                self.close()
                raise DownloadError("Content-Length %r is not a byte count" % length, status)
            self.length = int(length)
        self.raw = response.raw

    def read(self):
        """The next bytes of the body (at most ``chunk``), or None when it is all here.

        Blocks until some bytes arrive (or the timeout); raises :class:`DownloadError` when
        the connection breaks or closes before ``Content-Length`` bytes came."""
        if self.raw is None:
            return None
        want = self.chunk
        if self.length is not None:
            left = self.length - self.received
            if left <= 0:
                self.close()
                return None
            if left < want:
                want = left
        try:
            data = self.raw.read(want)
        except Exception as e:  # OSError: reset, timed out; ValueError from requests' reader
            self.close()
            raise DownloadError(
                "the connection broke after %d bytes: %s" % (self.offset + self.received, _why(e))
            )
        if not data:
            self.close()
            if self.length is None:
                return None
            raise DownloadError(
                "the connection closed after %d of %d bytes"
                % (self.offset + self.received, self.offset + self.length)
            )
        self.received += len(data)
        return bytes(data)

    def close(self):
        response = self.response
        self.response = None
        self.raw = None
        if response is not None:
            try:
                response.close()
            except Exception:
                pass  # the socket was gone already


def _host(url):
    """``https://host:port`` of ``url``, for messages (a presigned URL's query is a secret)."""
    parts = url.split("/")
    if len(parts) >= 3:
        return "/".join(parts[:3])
    return url[:40]
