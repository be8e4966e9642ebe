#!/usr/bin/env bash
# action.yml's install step: pip-install cloudtimeouts with the chosen extras.
# Reads INPUT_EXTRAS, INPUT_VERSION and GITHUB_ACTION_PATH (set by the runner for composite
# actions); tests/test_action.py runs it with a stand-in `python` that records the command.
set -euo pipefail
# shellcheck source=scripts/action-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/action-lib.sh"  # error_command, quietly

extras="${INPUT_EXTRAS-all}"
extras="${extras// /}"
# Checked here so that a typo is one clear line rather than pip's parse error, and so that
# nothing but extras' names ever reaches the requirement.
if [[ ! "$extras" =~ ^[a-z0-9_-]*(,[a-z0-9_-]+)*$ ]]; then
    error_command "extras must be names separated by commas (aws,gcp,azure,verify,all), not '$extras'"
    exit 1
fi
brackets="${extras:+[$extras]}"
version="${INPUT_VERSION-}"

if [[ -z "$version" ]]; then
    requirement="${GITHUB_ACTION_PATH:?is not set (the action runs from its own checkout)}${brackets}"
elif [[ "$version" =~ ^[0-9][0-9A-Za-z.+!-]*$ ]]; then
    requirement="cloudtimeouts${brackets}==${version}"
else
    requirement="cloudtimeouts${brackets} @ ${version}"
fi

# The version input and pip's words about it are text in the log, never a workflow command.
quietly echo "Installing $(one_line "$requirement")"
quietly python -m pip install --disable-pip-version-check --quiet "$requirement"
