#!/usr/bin/env bash
# Install the MicroPython WebAssembly build (once) and run the firmware tests under it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "error: Node.js (18 or newer) is needed for the MicroPython check: apt-get install -y nodejs npm" >&2
  exit 2
fi
if [ ! -d "$here/node_modules/@micropython/micropython-webassembly-pyscript" ]; then
  npm install --silent --no-audit --no-fund --prefix "$here" >/dev/null
fi
exec timeout "${MPY_TIMEOUT:-900}" node "$here/run-tests.mjs" "$root" "$@"
