"""The MicroPython image is pinned: its sha256 must match the project's config.

Why: the nightly flashes whatever file the rig names; a re-downloaded or swapped file must
not quietly change what runs under the app.  The pin is in the project's ``pyproject.toml``::

    [tool.steelhil.micropython]
    version = "1.27.0"
    file = "ESP32_GENERIC_C3-20251209-v1.27.0.bin"
    sha256 = "..."          # sha256sum of the file you checked

(or ``--pin SHA256`` on the command line).  No pin is an error too: pin the file you use.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path


class PinError(Exception):
    """The image does not match its pin, or there is none; the message says what to do."""


@dataclass(frozen=True)
class Pin:
    sha256: str
    version: str = ""
    file: str = ""
    source: str = ""  # where the pin was read


def read_pin(config: Path) -> Pin | None:
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PinError(f"{config}: cannot read it ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise PinError(f"{config}: not valid TOML: {exc}") from None
    section = data.get("tool", {}).get("steelhil", {}).get("micropython")
    if not isinstance(section, dict) or not section.get("sha256"):
        return None
    sha = section["sha256"]
    if (
        not isinstance(sha, str)
        or len(sha) != 64
        or any(c not in "0123456789abcdef" for c in sha.lower())
    ):
        raise PinError(
            f"{config}: [tool.steelhil.micropython] sha256: expected 64 hex digits, got {sha!r}"
        )
    return Pin(
        sha.lower(),
        str(section.get("version", "")),
        str(section.get("file", "")),
        f"{config} [tool.steelhil.micropython]",
    )


def check_pin(image: Path, data: bytes, pin: Pin | None, config: Path) -> str:
    """The image's sha256, once it matches ``pin``."""
    digest = hashlib.sha256(data).hexdigest()
    if pin is None:
        raise PinError(
            f'{image}: MicroPython is not pinned; add sha256 = "{digest}" under '
            f"[tool.steelhil.micropython] in {config} once you have checked this file "
            "(or pass --pin)"
        )
    if digest != pin.sha256:
        named = f" ({pin.file} {pin.version})".replace(" )", ")") if pin.file else ""
        raise PinError(
            f"{image}: sha256 {digest} does not match the pin {pin.sha256}{named} in "
            f"{pin.source}; use the pinned image, or update the pin after checking this one"
        )
    return digest
