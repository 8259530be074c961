"""``steelhil ota keygen --out DIR``: a P-256 signing key pair for OTA bundles.

Exit status 0 when written, 2 when not (the files exist, the directory is not writable).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "keygen",
        help="make a signing key pair (ota-signing.pem, ota-signing.pub.pem)",
        description="Write DIR/ota-signing.pem (the private key, mode 0600) and "
        "DIR/ota-signing.pub.pem (the public key the devices trust).",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write")
    parser.add_argument("--force", action="store_true", help="replace an existing key pair")
    parser.set_defaults(func=_keygen)


def _keygen(args: argparse.Namespace) -> int:
    from harness.ota.keys import KeyFileError, generate

    try:
        pair = generate(args.out, force=args.force)
    except KeyFileError as exc:
        print(f"steelhil ota keygen: {exc}", file=sys.stderr)
        return 2
    print(f"private key (keep it secret): {pair.private}")
    print(f"public key (the devices trust it): {pair.public}")
    return 0
