"""``steelhil image build``: the app's filesystem image (and a merged image with MicroPython)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.backends.serial import FIRMWARE_DIR


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("image", help="firmware images for real boards")
    commands = parser.add_subparsers(dest="image_command", metavar="COMMAND", required=True)
    build = commands.add_parser("build", help="build the littlefs image (and a merged image)")
    build.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=FIRMWARE_DIR,
        help="the firmware directory (default: this steelhil's firmware/)",
    )
    build.add_argument("--main", type=Path, help="the board's /main.py (default: its boot main)")
    build.add_argument("-o", "--out", type=Path, required=True, help="output directory")
    build.add_argument("--micropython", type=Path, help="the pinned ESP32_GENERIC_C3 .bin")
    build.add_argument("--pin", help="the MicroPython image's sha256 (default: pyproject.toml)")
    build.add_argument(
        "--config",
        type=Path,
        default=Path("pyproject.toml"),
        help="where the pin is ([tool.steelhil.micropython])",
    )
    build.add_argument("--flash-size", default="4MB", help="the board's flash (4MB)")
    build.add_argument(
        "--config-for",
        metavar="THING",
        help="bake THING's /config.json and certificates into the image",
    )
    build.add_argument(
        "--credentials",
        type=Path,
        help="with --config-for: the JSON `steelhil iotcore provision` printed",
    )
    build.add_argument(
        "--source",
        dest="as_source",
        action="store_true",
        help="slot a as .py source, not compiled to .mpy (about twice the blocks: no room "
        "for an update on a 4 MB board)",
    )
    build.set_defaults(func=_build)


def _config_files(thing: str, credentials: Path | None) -> dict[str, bytes]:
    from emulator.iotcore.provision import ThingCredentials
    from harness.backends.base import BackendError
    from harness.backends.serial import device_files

    if credentials is None:
        raise ValueError(
            "--config-for needs --credentials FILE (the JSON `steelhil iotcore provision "
            f"{thing} --dir DIR` prints)"
        )
    try:
        data = json.loads(credentials.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{credentials}: cannot read it as JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{credentials}: expected a JSON object")
    for key in ("thing_name", "cert_file", "key_file", "ca_file", "mqtt_host", "mqtt_port"):
        if key not in data:
            raise ValueError(f"{credentials}: missing field '{key}'")
    if data["thing_name"] != thing:
        raise ValueError(f"{credentials}: thing_name is {data['thing_name']!r}, not {thing!r}")
    data.setdefault("certificate_id", "")
    data.setdefault("certificate_arn", "")
    data.setdefault("policy_name", "")
    try:
        creds = ThingCredentials.from_json(data)
        return device_files(thing, str(data["mqtt_host"]), int(data["mqtt_port"]), creds)
    except (OSError, BackendError) as exc:
        raise ValueError(f"{credentials}: {exc}") from None


def _build(args: argparse.Namespace) -> int:
    from harness.image import ImageError, build_image

    try:
        extra = _config_files(args.config_for, args.credentials) if args.config_for else None
        manifest = build_image(
            args.source,
            args.out,
            main=args.main,
            micropython=args.micropython,
            pin=args.pin,
            config=args.config,
            flash_size=args.flash_size,
            extra_files=extra,
            config_for=args.config_for,
            compiled=not args.as_source,
        )
    except (ImageError, ValueError) as exc:
        print(f"steelhil image build: {exc}", file=sys.stderr)
        return 2
    code = "compiled to .mpy" if manifest.compiled else "as .py source"
    print(
        f"image {manifest.image[:16]}: {manifest.file_count} files, {manifest.used_bytes} bytes "
        f"in {manifest.block_count} blocks at 0x{manifest.fs_offset:x} ({manifest.fs_region}); "
        f"slot a {code}"
    )
    for name in ("fs.bin", manifest.merged, "image.json"):
        if name:
            print(f"  {args.out / name}")
    return 0
