"""JSON on the wire: compact for what the device sends, bounded for what it receives.

Compact because every byte is airtime and broker quota. Bounded because a parser may recurse
once per nesting level (CPython's does, and raises ``RecursionError`` at about a thousand; a
device's stack is smaller still): a request 10,000 levels deep must be refused before it is
parsed, by a scan that does not recurse itself. The scan works on the raw bytes, the same on
CPython and MicroPython.
"""

import json

_SEPARATORS = (",", ":")

_QUOTE = 0x22  # "
_BACKSLASH = 0x5C
_OPEN = (0x5B, 0x7B)  # [ {
_CLOSE = (0x5D, 0x7D)  # ] }


def dumps(obj):
    return json.dumps(obj, separators=_SEPARATORS)


def nesting_exceeds(data, limit):
    """Whether JSON ``data`` (bytes) nests objects and arrays deeper than ``limit``.

    Brackets inside strings do not count. Cheap when there are few brackets at all (the
    usual case: a request nests one level), linear otherwise; never recursive.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False
