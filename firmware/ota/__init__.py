"""Over-the-air update bundles: their format, signature and verification, on the device.

Why a package of its own: the job handler (``firmware.agent``), the boot selector and the
host's ``steelhil ota`` commands all read bundles, and they must read them the same way on
CPython and under MicroPython.  Nothing here does I/O of its own: the reader pulls bytes from
whatever file-like object it is given (a file on flash, ``io.BytesIO``).

- :mod:`.der`: the few DER shapes a key, a certificate and a signature are made of;
- :mod:`.p256`: ECDSA P-256 signature verification in pure Python (MicroPython has none);
- :mod:`.version`: dotted-integer versions, parsed and compared numerically;
- :mod:`.bundle`: the bundle format (docs/ota.md, "Bundle format"), a streaming reader.
"""
