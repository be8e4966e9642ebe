#!/usr/bin/env bash
# action.yml's plan step: run `cloudtimeouts plan --detailed-exitcode -o markdown` once, put the
# plan in the job summary and the log, set the outputs `exitcode` and `changes`, and fail the
# step on an error (1) or a refusal (3) but not on changes to make (2).
# Reads INPUT_PROFILES, INPUT_TERRAFORM_PLAN, INPUT_ARGS, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT;
# tests/test_action.py runs it locally with the same variables.
set -uo pipefail
shopt -s globstar nullglob
# shellcheck source=scripts/action-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/action-lib.sh"  # error_command, quietly, set_output

summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {  # the step fails before any plan: say why in the log and the summary
    error_command "$1"
    local said
    said="$(printf '%s' "${1^}" | tr '\r\n' '  ')"  # one paragraph: a line break is a space
    printf '## cloudtimeouts plan: failed\n\n%s.\n' "$said" >>"$summary"
    set_output exitcode 1
    exit 1
}

# An input's words as a shell splits them: spaces and newlines separate, quotes and backslashes
# keep a path with spaces whole, and nothing in it is run (shlex, not eval). NUL-separated.
words() {
    python -c '
import shlex, sys
try:
    words = shlex.split(sys.argv[1])
except ValueError as error:
    sys.exit(f"{error}".lower())
sys.stdout.write("".join(word + "\0" for word in words))
' "$1" >"$work/words" 2>"$work/words.error" || fail "the $2 input cannot be split into words: $(cat "$work/words.error")"
}

# Profiles: each word expanded as a glob (`**` too); a pattern that matches nothing is an error,
# a plain path is passed on as it is (the CLI says if it cannot read it).
words "${INPUT_PROFILES-}" profiles
files=()
while IFS= read -r -d '' pattern; do
    IFS=''  # expanded as a glob, never split: a path with spaces stays one path
    # shellcheck disable=SC2206  # unquoted on purpose: the word is a glob
    matched=($pattern)
    unset IFS
    if ((${#matched[@]} == 0)); then
        fail "the profiles input's pattern $pattern matches no file"
    fi
    files+=("${matched[@]}")
done <"$work/words"
if ((${#files[@]} == 0)); then
    fail "the profiles input names no file"
fi
words "${INPUT_ARGS-}" args
extra=()
while IFS= read -r -d '' word; do
    extra+=("$word")
done <"$work/words"

command=(cloudtimeouts plan "${files[@]}" --detailed-exitcode --output markdown)
if [[ -n "${INPUT_TERRAFORM_PLAN-}" ]]; then
    command+=(--terraform-plan "$INPUT_TERRAFORM_PLAN")
fi
command+=("${extra[@]}")

printf -v shown '%q ' "${command[@]}"  # as a shell would read it back: spaces, newlines escaped
quietly echo "+ ${shown% }"
"${command[@]}" >"$work/plan.md" 2>"$work/stderr"
code=$?
# What the tool printed, file names and clouds' answers included, is text in the log, never a
# command (the tool escapes control characters too; this holds whatever it prints).
quietly cat "$work/stderr" >&2
quietly cat "$work/plan.md"
if [[ -s "$work/plan.md" ]]; then
    cat "$work/plan.md" >>"$summary"
else  # no plan was made (a profile that does not load, a bad argument): say why instead
    {
        echo "## cloudtimeouts plan: failed (exit code $code)"
        echo
        # indented: an indented code block, which nothing in it can close
        sed 's/^/    /' "$work/stderr"
    } >>"$summary"
fi

# The counts are on the plan's first line: <!-- cloudtimeouts-plan changes=N refusals=N ... -->
changes="$(sed -n '1s/^<!-- cloudtimeouts-plan changes=\([0-9]*\) .*/\1/p' "$work/plan.md")"
set_output exitcode "$code"
set_output changes "$changes"

case "$code" in
    0 | 2) exit 0 ;;
    3) error_command "the guard refused the plan (see the job summary)" ;;
    *) error_command "cloudtimeouts plan failed with exit code $code" ;;
esac
exit "$code"
