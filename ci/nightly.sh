#!/usr/bin/env bash
# The nightly rig run, as the CI pipelines in ci/github and ci/gitlab call it.
#
#   ci/nightly.sh [more `steelhil nightly` flags]
#
# Settings (environment variables; the pipelines set them from CI variables):
#   STEELHIL_RIG          the rig file (required)
#   STEELHIL_HISTORY      the history directory, kept across runs on the rig host
#                         (default: $HOME/steelhil-history)
#   STEELHIL_REPORT       tonight's report directory (default: reports/nightly)
#   STEELHIL_SITE         where the trend page and the kept reports are copied for
#                         publishing (GitLab Pages, an artefact) (default: site)
#   STEELHIL_SCENARIOS    scenario paths, space-separated (default: scenarios)
#   STEELHIL_CANDIDATE    the firmware directory to test (default: this checkout's)
#   STEELHIL_MICROPYTHON  the pinned MicroPython image, for the real boards
#   STEELHIL_TAGS         only scenarios with one of these tags (comma-separated)
#   STEELHIL_NIGHT_ID     the night's id (default: the UTC time)
#   STEELHIL_FAIL_ON      verdicts that fail the pipeline (default: failed,error)
#   STEELHIL              how to run steelhil (default: steelhil)
#   STEELHIL_DRY_RUN=1    print the commands instead of running them (tests use it)
#
# The exit status is steelhil nightly's: 0 passed, 1 a scenario failed, 2 bad input,
# 3 the rig is not whole or a board could not be flashed.  The report, the trend page
# and a copy of the history database are left for the artefact upload in every case.
set -euo pipefail

: "${STEELHIL_RIG:?set STEELHIL_RIG to the rig file}"
history="${STEELHIL_HISTORY:-$HOME/steelhil-history}"
report="${STEELHIL_REPORT:-reports/nightly}"
site="${STEELHIL_SITE:-site}"
read -r -a steelhil <<< "${STEELHIL:-steelhil}"
read -r -a scenarios <<< "${STEELHIL_SCENARIOS:-scenarios}"

args=(nightly "${scenarios[@]}" --rig "$STEELHIL_RIG" --history "$history" --report "$report")
[[ -n "${STEELHIL_CANDIDATE:-}" ]] && args+=(--candidate "$STEELHIL_CANDIDATE")
[[ -n "${STEELHIL_MICROPYTHON:-}" ]] && args+=(--micropython "$STEELHIL_MICROPYTHON")
[[ -n "${STEELHIL_TAGS:-}" ]] && args+=(--tags "$STEELHIL_TAGS")
[[ -n "${STEELHIL_NIGHT_ID:-}" ]] && args+=(--night-id "$STEELHIL_NIGHT_ID")
[[ -n "${STEELHIL_FAIL_ON:-}" ]] && args+=(--fail-on "$STEELHIL_FAIL_ON")
args+=("$@")

run() {
  if [[ -n "${STEELHIL_DRY_RUN:-}" ]]; then
    printf '%q ' "$@"
    printf '\n'
  else
    "$@"
  fi
}

status=0
run "${steelhil[@]}" "${args[@]}" || status=$?

# Publishable copy: the trend page with the reports it links to, at the same relative
# places (trend/index.html links ../nights/<night>/report/report.html).
if [[ -z "${STEELHIL_DRY_RUN:-}" && -d "$history" ]]; then
  mkdir -p "$site" "$report"
  rm -rf "$site/trend" "$site/nights"
  [[ -d "$history/trend" ]] && cp -r "$history/trend" "$site/trend"
  [[ -d "$history/nights" ]] && cp -r "$history/nights" "$site/nights"
  [[ -f "$history/history.sqlite" ]] && cp "$history/history.sqlite" "$report/history.sqlite"
fi
run "${steelhil[@]}" history --history "$history" --no-trend || true
exit "$status"
