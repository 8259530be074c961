"""The OTA job document, checked field by field before anything is downloaded.

Why a module of its own: the document is the contract between whoever creates the job (a
release engineer, ``steelhil ota``, the rollout gate) and every board; keeping its check
apart from the handler's state machine lets both sides read it in one place.  The fields
(``docs/ota.md``)::

    {"operation": "steel-ota", "version": "1.2.0", "url": "https://...", "sha256": "<hex>",
     "size": <bytes>, "allow_downgrade": false}

Portable: MicroPython and CPython.
"""

from ..ota import version as versions

OPERATION = "steel-ota"
BAD_JOB = "bad-job-document"
MAX_BUNDLE_BYTES = 4 * 1024 * 1024


class JobError(Exception):
    """A job that must fail: ``reason`` for statusDetails, ``message`` for people."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.message = message


def check_document(doc):
    """The job document's fields, checked; JobError(bad-job-document) naming the first."""
    if not isinstance(doc, dict):
        raise JobError(BAD_JOB, "the job document is not a JSON object")
    if doc.get("operation") != OPERATION:
        raise JobError(BAD_JOB, "operation: expected %r" % OPERATION)
    out = {}
    try:
        versions.parse(doc.get("version"))
    except versions.VersionError as e:
        raise JobError(BAD_JOB, "version: %s" % e.message)
    out["version"] = doc["version"]
    url = doc.get("url")
    if type(url) is not str or not (url.startswith("https://") or url.startswith("http://")):
        raise JobError(BAD_JOB, "url: expected an http(s) URL")
    out["url"] = url
    digest = doc.get("sha256")
    if type(digest) is not str or len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise JobError(BAD_JOB, "sha256: expected 64 lowercase hex digits")
    out["sha256"] = digest
    size = doc.get("size")
    if type(size) is not int or size < 1 or size > MAX_BUNDLE_BYTES:
        raise JobError(BAD_JOB, "size: expected the bundle's size in bytes")
    out["size"] = size
    allow = doc.get("allow_downgrade", False)
    if type(allow) is not bool:
        raise JobError(BAD_JOB, "allow_downgrade: expected true or false")
    out["allow_downgrade"] = allow
    return out
