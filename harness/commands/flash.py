"""``steelhil flash --port P | --board NAME --rig FILE``: write an image and verify it.

Exit status 0 when the board was flashed and verified (or already ran the image), 2 for
bad input (no image, an unknown board, a MicroPython that does not match its pin), 3 when
flashing stopped -- the message says whether the board may be half-flashed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("flash", help="write an image to a real board and verify it")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="the board's serial port (or a pyserial URL)")
    where.add_argument("--board", help="a board of the rig (with --rig)")
    parser.add_argument("--rig", type=Path, help="the rig file that names --board")
    parser.add_argument("--image", type=Path, required=True, help="what `image build` wrote")
    parser.add_argument("--micropython", type=Path, help="the pinned MicroPython (no merged.bin)")
    parser.add_argument("--baud", type=int, default=460800)
    parser.add_argument("--force", action="store_true", help="flash even if it runs the image")
    parser.add_argument("--no-stub", action="store_true", help="use the ROM loader only")
    parser.set_defaults(func=_flash)


def _flash(args: argparse.Namespace) -> int:
    from harness.flash import FlashError, flash_board, flash_port
    from harness.image import ImageError

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        if args.port:
            result = flash_port(
                args.port,
                args.image,
                micropython=args.micropython,
                baud=args.baud,
                stub=not args.no_stub,
                say=say,
            )
        else:
            if args.rig is None:
                print("steelhil flash: --board needs --rig FILE", file=sys.stderr)
                return 2
            from harness.rig import RigError, acquire, load

            try:
                rig = load(args.rig)
            except RigError as exc:
                print(f"steelhil flash: {exc}", file=sys.stderr)
                return 2
            spec = next((b for b in rig.boards if b.name == args.board), None)
            if spec is None or spec.backend != "serial":
                names = ", ".join(b.name for b in rig.boards if b.backend == "serial") or "none"
                print(
                    f"steelhil flash: {args.rig}: no serial board named {args.board!r} "
                    f"(serial boards: {names})",
                    file=sys.stderr,
                )
                return 2
            with acquire(spec, 60.0, rig.lock_dir):
                result = flash_board(
                    spec,
                    args.image,
                    rig.lock_dir,
                    say=say,
                    force=args.force,
                    stub=not args.no_stub,
                )
    except ImageError as exc:
        print(f"steelhil flash: {exc}", file=sys.stderr)
        return 2
    except FlashError as exc:
        print(f"steelhil flash: {exc}", file=sys.stderr)
        return 3
    print(f"{result.board}: {result}")
    return 0
