"""Line-based configuration files (``mosquitto.conf``, the ACL) built so no value can add a line.

Mosquitto reads both files a line at a time, and a value is the rest of its line. A value that
carries a line break therefore adds a directive of the writer's choosing: a certificate whose
common name was ``dev-9\\npattern readwrite #`` once gave every device every topic. Every value
goes through :func:`one_line`, which refuses line breaks and every other control character,
and the files are assembled only from checked values.
"""

from __future__ import annotations

from .limits import forbidden_character


class ConfigValueError(ValueError):
    """A value that cannot be written on one line of a configuration file."""


def one_line(value: str, what: str) -> str:
    """``value`` if it is safe as the rest of a config line, else :class:`ConfigValueError`.

    Refused: empty values, leading or trailing whitespace (Mosquitto strips it, so the value
    read back would differ), and any character Mosquitto refuses in a name (control
    characters, line breaks included, and non-characters).
    """
    if not value:
        raise ConfigValueError(f"{what} is empty")
    if value != value.strip():
        raise ConfigValueError(f"{what} {value!r} starts or ends with whitespace")
    bad = forbidden_character(value)
    if bad is not None:
        raise ConfigValueError(f"{what} {value!r} contains the character {bad}")
    return value


class ConfigFile:
    """A file of ``keyword value...`` lines, each value checked by :func:`one_line`."""

    def __init__(self, header: str) -> None:
        self._lines = [f"# {one_line(header, 'the header')}"]

    def line(self, keyword: str, *values: str | int) -> ConfigFile:
        parts = [one_line(keyword, "a keyword")]
        parts += [one_line(str(v), f"the value of {keyword}") for v in values]
        self._lines.append(" ".join(parts))
        return self

    def blank(self) -> ConfigFile:
        self._lines.append("")
        return self

    def extend(self, other: ConfigFile) -> ConfigFile:
        """Append another file's lines (without its header)."""
        self._lines += other._lines[1:]
        return self

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"
