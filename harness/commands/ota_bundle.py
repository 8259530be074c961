"""``steelhil ota bundle``: build and sign an OTA bundle from a firmware tree.

Exit status 0 when the bundle is written, 2 when it cannot be (a tree that is not a
firmware, a bad version, a key that cannot sign); every error names the file or option.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from harness.ota.bundle import DEFAULT_FIRMWARE

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
        "--sign-key", type=Path, required=True, metavar="KEY.pem", help="the private key"
    )
    parser.add_argument("-o", "--out", type=Path, required=True, metavar="FILE", help="output")
    parser.set_defaults(func=_bundle)


def _bundle(args: argparse.Namespace) -> int:
    from harness.ota.bundle import BundleBuildError, build_bundle, write_bundle
    from harness.ota.keys import KeyFileError, load_signing_key

    try:
        key = load_signing_key(args.sign_key)
        built = build_bundle(
            args.source,
            args.version,
            key,
            min_version=args.min_version,
            self_test=args.self_test,
        )
        write_bundle(built, args.out)
    except (KeyFileError, BundleBuildError) as exc:
        print(f"steelhil ota bundle: {exc}", file=sys.stderr)
        return 2
    total = built.manifest["total_size"]
    print(
        f"bundle {built.version}: {built.file_count} files, {total} bytes of files, "
        f"{built.size} bytes in all"
    )
    print(f"  {args.out}")
    print(f"  sha256 {built.sha256}")
    return 0
