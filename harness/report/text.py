"""Text that is safe to put where a report puts it.

Device consoles and MQTT payloads are arbitrary bytes from a board under test: a NUL, an ANSI
escape or a lone surrogate from a bad UTF-8 decode is normal input here.  XML 1.0 cannot hold
most C0 control characters at all (a JUnit file containing one is rejected whole by CI
readers), and in a terminal they move the cursor or change colours.  Rather than drop them,
every report shows them as visible escapes, so what the device sent is still readable.
"""

from __future__ import annotations

import re

# Characters XML 1.0 does not allow (https://www.w3.org/TR/xml/#charsets), plus lone
# surrogates, which cannot be encoded as UTF-8 at all.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

# What a terminal would act on: all C0 controls (incl. tab and newline, which would break a
# table row), DEL and the C1 controls.
_TERMINAL_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids replaced by a visible ``\\xNN``."""
    return _XML_ILLEGAL.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` as a single terminal-safe line (controls, newlines included, escaped)."""
    return _TERMINAL_CONTROL.sub(_escape, text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"
