"""Helpers for the firmware tests, which run under pytest on CPython *and* under MicroPython.

Only what both support: no pytest fixtures or ``pytest.raises`` in tests/firmware, no
dependence on dict order or on float precision beyond 32 bits.
"""


class raises:
    """``with raises(SteelError) as r: ...`` then inspect ``r.value``."""

    def __init__(self, exc_type, match=None):
        self.exc_type = exc_type
        self.match = match
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            raise AssertionError("expected %s, nothing was raised" % self.exc_type.__name__)
        if not issubclass(exc_type, self.exc_type):
            return False
        self.value = exc
        if self.match is not None and self.match not in str(exc):
            raise AssertionError("%r does not contain %r" % (str(exc), self.match))
        return True


def repo_path(*parts):
    """A path inside the repository, from this file's location (works in both runtimes)."""
    here = __file__.replace("\\", "/")
    root = here.rsplit("/", 3)[0]  # strip tests/firmware/support.py
    return "/".join((root,) + parts)


def read_text(*parts):
    with open(repo_path(*parts)) as f:
        return f.read()


def approx(a, b, rel=1e-5):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
