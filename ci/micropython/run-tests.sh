#!/usr/bin/env bash
# Install the MicroPython WebAssembly build (once) and run the firmware tests under it.
#
# The install goes through npm, which needs the network: behind a proxy or a TLS-inspecting
# company CA it needs that machine's settings (https_proxy, NODE_EXTRA_CA_CERTS,
# npm_config_*), which tox passes through (tox.ini, passenv).  npm's own output is never
# hidden: when the install fails, its error is on stderr above our advice on what to do.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
package="$here/node_modules/@micropython/micropython-webassembly-pyscript/package.json"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "error: Node.js 18 or newer, with npm, is needed for the MicroPython check." >&2
  echo "  Debian/Ubuntu: sudo apt-get install -y nodejs npm    macOS: brew install node" >&2
  exit 2
fi

install_micropython() {
  local log status
  log="$(mktemp "${TMPDIR:-/tmp}/steelhil-npm.XXXXXX")"
  echo "installing the MicroPython WebAssembly build with npm (once) ..." >&2
  set +e
  npm install --no-audit --no-fund --no-progress --prefix "$here" 2>&1 | tee "$log" >&2
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -eq 0 ] && [ -f "$package" ]; then
    rm -f "$log"
    return 0
  fi
  {
    echo
    echo "error: npm could not install @micropython/micropython-webassembly-pyscript (exit $status); its output is above."
    if grep -qE 'SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED|self.signed certificate' "$log"; then
      echo "  npm does not trust this network's TLS certificate: the network has its own CA (a"
      echo "  TLS-inspecting proxy). Point Node at that CA and run the check again:"
      echo "    export NODE_EXTRA_CA_CERTS=/path/to/company-ca.pem"
    elif grep -qE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH' "$log"; then
      echo "  npm could not reach its registry. Behind a proxy, set https_proxy (and no_proxy);"
      echo "  with a registry mirror, set npm_config_registry; then run the check again."
    elif grep -qE 'E401|E403|E404' "$log"; then
      echo "  The registry refused the request. With a registry mirror, check npm_config_registry"
      echo "  and its credentials (npm_config_//HOST/:_authToken); then run the check again."
    else
      echo "  Fix what npm reports above, then run the check again."
    fi
    echo "  tox passes these settings through (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, SSL_CERT_DIR,"
    echo "  the *_proxy variables, npm_config_*). Run: tox -e mpy   or: bash ci/micropython/run-tests.sh"
  } >&2
  rm -f "$log"
  exit 2
}

if [ ! -f "$package" ]; then
  install_micropython
fi
exec timeout "${MPY_TIMEOUT:-900}" node "$here/run-tests.mjs" "$root" "$@"
