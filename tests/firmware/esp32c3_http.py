"""A fake of MicroPython's ``requests`` (micropython-lib 0.10.x, frozen into v1.27) over an
in-memory HTTP server, for the port's ``Fetch`` and ``Download`` actions.

What the real module does and the fake copies: ``requests.get(url, headers=..., timeout=...)``
returns once the status line and headers are read; ``response.status_code``, ``.headers`` (a
dict with the server's spelling of the names), ``.raw`` (the socket: ``read(n)`` returns at
most ``n`` bytes, ``b""`` when the server closed, raises ``OSError`` when the connection
breaks), ``.content`` (reads the whole body) and ``.close()``.  No network: ``OSError``.

The server (:class:`Resource` per URL in ``hw.http``) answers 200, 206 for ``Range:
bytes=N-`` (with ``Content-Range``), 416 past the end, any fixed status (403 for an expired
presigned URL), and breaks responses at chosen byte offsets (a reset or an early close).
Reading a body advances the fake clock at ``hw.http_bytes_per_ms``, so timers and MQTT pings
come due during a download as they would.  Portable: CPython and MicroPython.
"""

ECONNRESET = 104
EHOSTUNREACH = 113
ETIMEDOUT = 110
EBADF = 9


class FakeModule:
    def __init__(self, name, **attrs):
        self.__name__ = name
        for k in attrs:
            setattr(self, k, attrs[k])


class Resource:
    """What the server answers at one URL.

    ``status``: a status every request gets instead of the body (403, 500, ...);
    ``ranges``: whether Range requests are honoured (False: 200 and the whole body);
    ``drops``: absolute byte offsets, one per response in order, at which it breaks;
    ``drop``: how it breaks: ``"reset"`` (``OSError(ECONNRESET)``) or ``"close"`` (the server
    closes early: ``b""`` before Content-Length bytes); ``length``: send Content-Length;
    ``at``: {byte offset: callable} run once when a read first reaches that offset;
    ``serve_from``: a broken server that answers every Range request from this byte.
    """

    def __init__(
        self,
        body,
        status=200,
        ranges=True,
        drops=(),
        drop="reset",
        length=True,
        at=None,
        serve_from=None,
    ):
        self.body = body
        self.status = status
        self.ranges = ranges
        self.drops = list(drops)
        self.drop = drop
        self.length = length
        self.at = dict(at) if at else {}
        self.serve_from = serve_from
        self.responses = []  # (status, first byte, Range header or None) of each request


class Body:
    """The response's socket after the headers: the body from ``start``."""

    def __init__(self, hw, resource, data, start, drop_at):
        self.hw = hw
        self.resource = resource
        self.data = data  # the whole entity; this response serves data[start:]
        self.pos = start
        self.drop_at = drop_at
        self.closed = False

    def read(self, n=-1):
        hw = self.hw
        if self.closed:
            raise OSError(EBADF)
        if n is None or n < 0:
            out = b""
            while True:
                part = self.read(hw.http_segment)
                if not part:
                    return out
                out += part
        hw.http_read_sizes.append(n)
        if not hw.online():
            raise OSError(ETIMEDOUT)  # the Wi-Fi went away: the read times out
        end = len(self.data)
        if self.drop_at is not None:
            if self.pos >= self.drop_at:
                if self.resource.drop == "reset":
                    raise OSError(ECONNRESET)
                return b""
            end = min(end, self.drop_at)
        k = min(n, hw.http_segment, end - self.pos)
        if k <= 0:
            return b""
        data = self.data[self.pos : self.pos + k]
        self.pos += k
        hw.http_bytes += k
        hw.time.advance(max(1, k // hw.http_bytes_per_ms))
        for offset in sorted(self.resource.at):
            if self.pos >= offset:
                self.resource.at.pop(offset)()
        return data

    def close(self):
        self.closed = True


class Response:
    def __init__(self, hw, status_code, body=None, headers=None):
        self.status_code = status_code
        self.reason = b"OK" if status_code < 300 else b"Error"
        self.headers = headers if headers is not None else {}
        self.raw = body
        self.closed = False
        hw.http_responses.append(self)

    @property
    def content(self):
        try:
            return self.raw.read() if self.raw is not None else b""
        finally:
            self.close()

    def close(self):
        self.closed = True
        if self.raw is not None:
            self.raw.close()
            self.raw = None


def _header(headers, name):
    for key in headers or {}:
        if key.lower() == name.lower():
            return headers[key]
    return None


def _plain(hw, status, text, extra=None):
    data = text.encode()
    headers = {"Content-Type": "application/xml", "Content-Length": str(len(data))}
    if extra:
        for k in extra:
            headers[k] = extra[k]
    return Response(hw, status, Body(hw, Resource(data), data, 0, None), headers)


def make_requests(hw):
    def get(url, headers=None, timeout=None, stream=None, **kw):
        hw.http_requests.append(url)
        hw.http_log.append((url, dict(headers or {}), timeout))
        if not url.startswith("http://") and not url.startswith("https://"):
            raise ValueError("Unsupported protocol: " + url.split("/")[0])
        if not hw.online():
            raise OSError(EHOSTUNREACH)
        res = hw.http.get(url)
        if res is None:
            return _plain(hw, 404, "<Error><Code>NoSuchKey</Code></Error>")
        if not isinstance(res, Resource):
            res = hw.http[url] = Resource(res)
        wanted = _header(headers, "Range")
        if res.status != 200:
            res.responses.append((res.status, None, wanted))
            return _plain(hw, res.status, "<Error><Code>AccessDenied</Code></Error>")
        data = res.body
        start = 0
        status = 200
        out = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes"}
        if wanted is not None and res.ranges:
            if not wanted.startswith("bytes=") or not wanted.endswith("-"):
                raise AssertionError("the fake server knows only bytes=N-, not %r" % wanted)
            start = int(wanted[6:-1])
            if res.serve_from is not None:
                start = res.serve_from
            if start >= len(data):
                res.responses.append((416, start, wanted))
                return _plain(hw, 416, "", {"Content-Range": "bytes */%d" % len(data)})
            status = 206
            out["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        if res.length:
            out["Content-Length"] = str(len(data) - start)
        res.responses.append((status, start, wanted))
        drop_at = res.drops.pop(0) if res.drops else None
        return Response(hw, status, Body(hw, res, data, start, drop_at), out)

    return FakeModule("requests", get=get)
