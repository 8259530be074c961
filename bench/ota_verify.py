"""OTA bundle verification cost: the signature, and the whole bundle, on CPython and MicroPython.

    python bench/ota_verify.py                  # CPython, then MicroPython under Node
    python bench/ota_verify.py --no-micropython

Builds a bundle of this checkout's firmware/ with a key made for the run (nothing is
written to the checkout), then times with the device's own reader (firmware/ota):

- the ECDSA P-256 verification of the manifest's signature (pure Python);
- the whole check: header, signature, manifest, every file's sha256, read from the bundle
  file in 4 KB chunks as the device reads it from flash;

and, under MicroPython, how much memory the reader holds.  CPython figures are the best and
the median of repeated runs; MicroPython (the 1.27 WebAssembly build, run by Node through
bench/ota_verify.mjs, which says why it needs a runner of its own) runs in one fresh
instance, its first verification shown apart (the engine warms up).  The ``mp_*``
functions are portable Python: they are what runs under MicroPython.
"""

import sys

VERIFY_RUNS = 7
CHECK_RUNS = 3


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


# -- MicroPython side (bench/ota_verify.mjs calls these, one phase per call) -------------------

_state = {}
STREAM_CHUNKS_PER_STEP = 8
PHASES = ("head", "verify", "json", "fields", "stream")


def mp_setup(bundle_path, key_path):
    from firmware.ota import p256

    with open(key_path, "rb") as f:
        _state["key"] = p256.load_public_key(f.read())
    _state["path"] = bundle_path


def mp_time():
    import gc
    import time

    from firmware.ota import bundle, p256

    def ms_since(start):
        return time.ticks_diff(time.ticks_us(), start) / 1000.0

    key = _state["key"]
    path = _state["path"]
    with open(path, "rb") as f:
        head = bundle.read_head(f)
    r, s = p256.decode_signature(head.signature())
    digest = head.digest()
    verify = []
    for _ in range(VERIFY_RUNS + 1):
        start = time.ticks_us()
        assert p256.verify_digest(key.x, key.y, digest, r, s)
        verify.append(ms_since(start))
    print("verify_first_ms\t%.1f" % verify[0])
    print("verify_ms\t%s" % ",".join("%.1f" % v for v in verify[1:]))
    check = []
    for _ in range(CHECK_RUNS):
        gc.collect()
        start = time.ticks_us()
        with open(path, "rb") as f:
            bundle.check_bundle(f, [key])
        check.append(ms_since(start))
    print("check_ms\t%s" % ",".join("%.1f" % v for v in check))


def mp_mark_base():
    import gc

    gc.collect()
    _state["base"] = _state["live"] = gc.mem_alloc()
    _state["allocated"] = {}
    _state["kept"] = {}


def _phase_end():
    """At the end of a phase's call: nothing has been freed during it (module docstring of
    bench/ota_verify.mjs), so this is what was live before plus all the phase allocated."""
    import gc

    _state["end"] = gc.mem_alloc()


def mp_after(phase):
    """Called in the call after ``phase``: its bound, then what is still live."""
    import gc

    allocated = _state["end"] - _state["live"]
    gc.collect()
    live = gc.mem_alloc()
    _state["allocated"][phase] = max(allocated, _state["allocated"].get(phase, 0))
    _state["kept"][phase] = max(live - _state["base"], _state["kept"].get(phase, 0))
    _state["live"] = live


def mp_phase_head():
    from firmware.ota import bundle

    _state["file"] = open(_state["path"], "rb")  # noqa: SIM115 (kept open across phases)
    _state["head"] = bundle.read_head(_state["file"])
    _phase_end()


def mp_phase_verify():
    _state["head"].verify([_state["key"]])
    _phase_end()


def mp_phase_json():
    """The first half of ``Head.manifest(release=True)``: decode the JSON, drop the bytes."""
    from firmware.ota import manifest

    head = _state["head"]
    _state["digest"] = head.digest()
    _state["data"] = manifest.decode(head.manifest_bytes)
    head.manifest_bytes = None
    _phase_end()


def mp_phase_fields():
    """The second half: check every field; the file entries replace the JSON's dicts."""
    import binascii

    from firmware.ota import bundle, manifest

    del _state["head"]
    parsed = manifest.from_json(
        _state.pop("data"), binascii.hexlify(_state["digest"]).decode(), manifest.MAX_TOTAL_SIZE
    )
    _state["chunks"] = bundle.read_payload(_state["file"], parsed)
    _phase_end()


def mp_stream_step():
    chunks = _state["chunks"]
    for _ in range(STREAM_CHUNKS_PER_STEP):
        try:
            next(chunks)
        except StopIteration:
            _state["file"].close()
            _phase_end()
            return False
    _phase_end()
    return True


def mp_report():
    for phase in PHASES:
        print("mem_%s\t%d,%d" % (phase, _state["kept"][phase], _state["allocated"][phase]))


# -- CPython side --------------------------------------------------------------------------------


def build(workdir):
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from harness.ota.bundle import DEFAULT_FIRMWARE, build_bundle, write_bundle

    key = ec.generate_private_key(ec.SECP256R1())
    built = build_bundle(DEFAULT_FIRMWARE, "1.0.0", key)
    bundle_path = os.path.join(workdir, "bundle.bin")
    key_path = os.path.join(workdir, "ota-signing.pub.pem")
    from pathlib import Path

    write_bundle(built, Path(bundle_path))
    with open(key_path, "wb") as f:
        f.write(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return built, key, bundle_path, key_path


def measure_cpython(built, key, bundle_path, key_path, repeats):
    import hashlib
    import io
    import time

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from firmware.ota import bundle, p256

    with open(key_path, "rb") as f:
        public = p256.load_public_key(f.read())
    head = bundle.read_head(io.BytesIO(built.data))
    r, s = p256.decode_signature(head.signature())
    digest = head.digest()
    der = head.signature()

    def timed(fn, runs):
        out = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000.0)
        return out

    def check_file():
        with open(bundle_path, "rb") as f:
            bundle.check_bundle(f, [public])

    def sha256_payload():
        hashlib.sha256(built.data[head.payload_offset :]).digest()

    return {
        "verify": timed(lambda: p256.verify_digest(public.x, public.y, digest, r, s), repeats),
        "openssl": timed(
            lambda: key.public_key().verify(der, built.manifest_bytes, ec.ECDSA(hashes.SHA256())),
            repeats,
        ),
        "check": timed(check_file, max(3, repeats // 4)),
        "sha256": timed(sha256_payload, repeats),
    }


def main_cpython():
    import argparse
    import os
    import platform
    import shutil
    import subprocess
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-micropython", action="store_true")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    micro = {}
    note = ""
    with tempfile.TemporaryDirectory() as workdir:
        built, key, bundle_path, key_path = build(workdir)
        cpython = measure_cpython(built, key, bundle_path, key_path, args.repeats)
        if not args.no_micropython:
            runner = os.path.join(root, "bench", "ota_verify.mjs")
            modules = os.path.join(root, "ci", "micropython", "node_modules")
            if shutil.which("node") is None or not os.path.isdir(modules):
                note = "(MicroPython skipped: run `bash ci/micropython/run-tests.sh` once)"
            else:
                out = subprocess.run(
                    ["node", runner, root, bundle_path, key_path],
                    capture_output=True, text=True, check=True, timeout=600,
                ).stdout  # fmt: skip
                for line in out.splitlines():
                    name, value = line.split("\t")
                    micro[name] = value

    def cell(values):
        return "%8.1f %8.1f" % (min(values), _median(values))

    print(
        "OTA bundle verification — %s, %d cores, CPython %s"
        % (platform.machine(), os.cpu_count() or 0, platform.python_version())
    )
    print(
        "bundle of this checkout's firmware/: %d files, %d bytes of files, manifest %d bytes, "
        "bundle %d bytes" % (
            built.file_count, built.manifest["total_size"], len(built.manifest_bytes), built.size)
    )  # fmt: skip
    print()
    print("%-44s %17s %17s" % ("ms (best, median)", "CPython", "MicroPython wasm"))

    def micro_cell(name):
        if name is None or name not in micro:
            return "-"
        values = [float(v) for v in micro[name].split(",")]
        return cell(values)

    rows = [
        ("signature: ECDSA P-256 verify, pure Python", "verify", "verify_ms"),
        ("signature: the same in OpenSSL (cryptography)", "openssl", None),
        ("whole bundle check (file, 4 KB chunks)", "check", "check_ms"),
        ("  of which: sha256 of the payload (one call)", "sha256", None),
    ]
    for label, ours, theirs in rows:
        print("%-44s %17s %17s" % (label, cell(cpython[ours]), micro_cell(theirs)))
    if micro:
        print()
        print("MicroPython: first verify (engine warming up) %s ms" % micro["verify_first_ms"])
        print()
        print("MicroPython memory (bytes): what the reader holds after each phase, and what the")
        print("phase allocated in all (mostly short-lived: the live peak is at most the holding")
        print("before it plus this)")
        names = {
            "head": "read the header, manifest bytes, signature",
            "verify": "verify the signature",
            "json": "decode the manifest's JSON (bytes let go)",
            "fields": "check its fields (entries replace the JSON)",
            "stream": "stream the files (4 KB chunks)",
        }
        for phase in PHASES:
            kept, allocated = micro["mem_" + phase].split(",")
            print("  %-44s holds %7s   allocated %8s" % (names[phase], kept, allocated))
    if note:
        print(note)


if __name__ == "__main__":
    main_cpython()
