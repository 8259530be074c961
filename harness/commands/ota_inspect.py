"""``steelhil ota inspect FILE [--trust PUB.pem]``: a bundle's manifest, signature and files.

Exit status 0 when the bundle is whole (and, with ``--trust``, signed by a trusted key),
1 when it is not (every finding is printed), 2 when the bundle or the key file cannot be
read at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "inspect",
        help="print a bundle's manifest and check its signature and files",
        description="Print a bundle's manifest; check its files and, with --trust, its signature.",
    )
    parser.add_argument("bundle", type=Path, metavar="FILE", help="the bundle")
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="PUB.pem",
        help="a public key (or certificate) the devices trust; may be repeated",
    )
    parser.add_argument("--json", action="store_true", help="the findings as JSON on stdout")
    parser.set_defaults(func=_inspect)


def _inspect(args: argparse.Namespace) -> int:
    from harness.ota.inspect import inspect_bundle, render
    from harness.ota.keys import KeyFileError, load_trusted_keys

    trusted = None
    try:
        if args.trust:
            trusted = [key for path in args.trust for key in load_trusted_keys(path)]
    except KeyFileError as exc:
        print(f"steelhil ota inspect: {exc}", file=sys.stderr)
        return 2
    try:
        found = inspect_bundle(args.bundle, trusted)
    except FileNotFoundError:
        print(f"steelhil ota inspect: {args.bundle}: no such file", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"steelhil ota inspect: {args.bundle}: cannot read it ({exc.strerror})", file=sys.stderr
        )
        return 2
    if args.json:
        print(json.dumps(found.to_json(), indent=1))
    else:
        print(render(found))
    return 0 if found.ok else 1
