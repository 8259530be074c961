"""``steelhil ota bundle``: build and sign an OTA bundle from a firmware tree.

Signed here (``--sign-key``) or elsewhere, e.g. by AWS Signer, in two steps: write the
manifest (``--manifest-only``), have it signed as a file, then join the signature to the
payload (``--signature SIG --trust PUB.pem``; the same tree and options give the same
manifest bytes).  ``--target`` says which kind of board the bundle is for (default
``board``: a real ESP32-C3, every module compiled to ``.mpy``; ``emulated``: source,
without ``ports/``).  Exit status 0 when the output is written, 2 when it cannot be (a tree that
is not a firmware, a bad version, a key or signature that does not do); every error names
the file or option.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from harness.ota.bundle import DEFAULT_FIRMWARE
    from harness.ota.targets import DEFAULT, TARGETS

    parser = commands.add_parser(
        "bundle",
        help="build and sign a bundle from a firmware tree",
        description="Build a signed OTA bundle of a firmware tree's app files "
        "(caches and dotfiles left out).",
    )
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=DEFAULT_FIRMWARE,
        metavar="DIR",
        help="the firmware tree (default: this steelhil's firmware/)",
    )
    parser.add_argument("--version", required=True, help="the bundle's version, e.g. 1.2.0")
    parser.add_argument(
        "--min-version", metavar="V", help="the oldest version this bundle may replace"
    )
    parser.add_argument(
        "--self-test", type=Path, metavar="FILE", help="a self-test hook to run after installing"
    )
    parser.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default=DEFAULT,
        help=f"the kind of board it is for (default {DEFAULT}): "
        + "; ".join(f"{name}: {TARGETS[name].summary}" for name in sorted(TARGETS)),
    )
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--sign-key", type=Path, metavar="KEY.pem", help="sign with this private key")
    how.add_argument(
        "--manifest-only",
        action="store_true",
        help="write only the manifest, to be signed elsewhere (e.g. by AWS Signer)",
    )
    how.add_argument(
        "--signature",
        type=Path,
        metavar="SIG",
        help="a signature of the manifest made elsewhere (DER or base64); needs --trust",
    )
    parser.add_argument(
        "--trust", type=Path, metavar="PUB.pem", help="with --signature: the key it must check with"
    )
    parser.add_argument("-o", "--out", type=Path, required=True, metavar="FILE", help="output")
    parser.set_defaults(func=_bundle)


def _bundle(args: argparse.Namespace) -> int:
    from harness.ota.bundle import (
        BundleBuildError,
        join,
        prepare,
        public_key,
        read_signature,
        sign,
        write_bundle,
        write_manifest,
    )
    from harness.ota.keys import KeyFileError, load_signing_key, load_trusted_keys

    try:
        if args.signature is not None and args.trust is None:
            raise BundleBuildError("--signature needs --trust PUB.pem, to check it before writing")
        if args.trust is not None and args.signature is None:
            raise BundleBuildError("--trust goes with --signature (a key signs with --sign-key)")
        key = load_signing_key(args.sign_key) if args.sign_key is not None else None
        unsigned = prepare(
            args.source,
            args.version,
            min_version=args.min_version,
            self_test=args.self_test,
            target=args.target,
        )
        if args.manifest_only:
            write_manifest(unsigned, args.out)
            print(
                f"manifest of bundle {args.version} for {args.target}: "
                f"{len(unsigned.payload)} files, {len(unsigned.manifest_bytes)} bytes, "
                "to be signed (ECDSA P-256, SHA-256)"
            )
            print(f"  {args.out}")
            return 0
        if key is not None:
            built = join(unsigned, sign(unsigned.manifest_bytes, key), [public_key(key)])
        else:
            trusted = load_trusted_keys(args.trust)
            built = join(unsigned, read_signature(args.signature), trusted)
        write_bundle(built, args.out)
    except (KeyFileError, BundleBuildError) as exc:
        print(f"steelhil ota bundle: {exc}", file=sys.stderr)
        return 2
    total = built.manifest["total_size"]
    print(
        f"bundle {built.version} for {built.target}: {built.file_count} files, {total} bytes "
        f"of files, {built.size} bytes in all"
    )
    print(f"  {args.out}")
    print(f"  sha256 {built.sha256}")
    return 0
