"""Firmware versions: dotted integers ("1.2.0"), compared number by number.

Why numerically: as text "1.10.0" sorts before "1.9.0", and a downgrade check that gets that
wrong either refuses a real upgrade or installs an old firmware.  Missing trailing parts count
as zero ("1.2" equals "1.2.0").  A part may not have a leading zero ("1.02"): two spellings of
one version would let "already running this version" compare unequal strings as equal.
"""

MAX_PARTS = 8
MAX_PART_DIGITS = 9
MAX_LENGTH = 80


class VersionError(ValueError):
    """Text that is not a version; ``message`` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def parse(text):
    """The version as a tuple of ints; VersionError if ``text`` is not dotted integers."""
    if not isinstance(text, str):
        raise VersionError('a version must be text like "1.2.0"')
    if not text or len(text) > MAX_LENGTH:
        raise VersionError("a version must be 1 to %d characters long" % MAX_LENGTH)
    parts = text.split(".")
    if len(parts) > MAX_PARTS:
        raise VersionError("%r has more than %d parts" % (text, MAX_PARTS))
    numbers = []
    for part in parts:
        if not part:
            raise VersionError("%r has an empty part (expected dotted integers like 1.2.0)" % text)
        for ch in part:
            if not "0" <= ch <= "9":
                raise VersionError("%r is not dotted integers like 1.2.0" % text)
        if len(part) > MAX_PART_DIGITS:
            raise VersionError("%r has a part longer than %d digits" % (text, MAX_PART_DIGITS))
        if len(part) > 1 and part[0] == "0":
            raise VersionError("%r has a part with a leading zero" % text)
        numbers.append(int(part))
    return tuple(numbers)


def is_valid(text):
    try:
        parse(text)
    except VersionError:
        return False
    return True


def _padded(a, b):
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def compare(a, b):
    """-1, 0 or 1 as version ``a`` is older than, the same as or newer than ``b`` (texts)."""
    x, y = _padded(parse(a), parse(b))
    return (x > y) - (x < y)


def newer(a, b):
    """Whether version ``a`` is newer than ``b``."""
    return compare(a, b) > 0


def at_least(a, b):
    """Whether version ``a`` is ``b`` or newer."""
    return compare(a, b) >= 0
