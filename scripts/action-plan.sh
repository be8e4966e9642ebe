#!/usr/bin/env bash
# action.yml's plan step: run `cloudtimeouts plan --detailed-exitcode -o markdown` once, put the
# plan in the job summary and the log, set the outputs `exitcode` and `changes`, and fail the
# step on an error (1) or a refusal (3) but not on changes to make (2).
# Reads INPUT_PROFILES, INPUT_TERRAFORM_PLAN, INPUT_ARGS, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT;
# tests/test_action.py runs it locally with the same variables.
set -uo pipefail
shopt -s globstar

summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
outputs="${GITHUB_OUTPUT:-/dev/null}"

# Profiles: words, each expanded as a glob (unquoted on purpose); a pattern that matches
# nothing stays as it is, and the CLI says which file it cannot read.
read -r -d '' -a profiles <<< "${INPUT_PROFILES-}" || true
files=()
for pattern in "${profiles[@]}"; do
    # shellcheck disable=SC2206
    files+=($pattern)
done
if ((${#files[@]} == 0)); then
    echo "::error title=cloudtimeouts::the profiles input names no file" >&2
    printf '## cloudtimeouts plan: failed\n\nThe profiles input names no file.\n' >>"$summary"
    echo "exitcode=1" >>"$outputs"
    exit 1
fi
read -r -d '' -a extra <<< "${INPUT_ARGS-}" || true

command=(cloudtimeouts plan "${files[@]}" --detailed-exitcode --output markdown)
if [[ -n "${INPUT_TERRAFORM_PLAN-}" ]]; then
    command+=(--terraform-plan "$INPUT_TERRAFORM_PLAN")
fi
command+=("${extra[@]}")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "+ ${command[*]}"
"${command[@]}" >"$work/plan.md" 2>"$work/stderr"
code=$?
cat "$work/stderr" >&2

cat "$work/plan.md"
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
{
    echo "exitcode=$code"
    echo "changes=$changes"
} >>"$outputs"

case "$code" in
    0 | 2) exit 0 ;;
    3) echo "::error title=cloudtimeouts::the guard refused the plan (see the job summary)" >&2 ;;
    *) echo "::error title=cloudtimeouts::cloudtimeouts plan failed with exit code $code" >&2 ;;
esac
exit "$code"
