"""Parse the S3 object URLs that job documents and ``documentSource`` use."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def parse_s3_url(url: str) -> tuple[str, str] | None:
    """``(bucket, key)`` for path-style and virtual-hosted S3 URLs, ``None`` otherwise.

    Accepts ``https://s3[.region].amazonaws.com/bucket/key``,
    ``https://bucket.s3[.region].amazonaws.com/key`` and ``s3://bucket/key``, plus the
    path-style URLs of a local endpoint (``http://host:port/bucket/key``).
    """
    parts = urlsplit(url)
    path = unquote(parts.path.lstrip("/"))
    host = (parts.hostname or "").lower()
    if parts.scheme == "s3":
        return (host, path) if host and path else None
    if parts.scheme not in ("http", "https"):
        return None
    if ".s3." in f".{host}" and host.endswith(".amazonaws.com") and not host.startswith("s3."):
        bucket = host.split(".s3", 1)[0]
        return (bucket, path) if bucket and path else None
    bucket, _, key = path.partition("/")
    return (bucket, key) if bucket and key else None
