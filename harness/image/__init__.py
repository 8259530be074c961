"""Images for real boards: the app's littlefs filesystem, and with a pinned MicroPython, one
merged image for the whole flash (``steelhil image build``).

Modules: :mod:`.layout` (which files go where in the filesystem: the one function the OTA
work changes), :mod:`.partitions` (where the filesystem partition is, read from the
MicroPython image's partition table), :mod:`.pin` (the MicroPython image's sha256 checked
against the project's pin), :mod:`.build` (putting it together, with ``image.json``).
"""

from .build import ImageError, ImageManifest, build_image, read_manifest

__all__ = ["ImageError", "ImageManifest", "build_image", "read_manifest"]
