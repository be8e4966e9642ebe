# Sourced by the action's step scripts: what they print to the step's log, and what they write
# to $GITHUB_OUTPUT, can carry a workflow command or an output key only when the action means it.
#
# GitHub's "Workflow commands for GitHub Actions":
# - A line of the log that starts with `::` is a command (`::error::`, `::add-mask::`, the
#   deprecated `::set-output`...). "Stopping and starting workflow commands": after
#   `::stop-commands::TOKEN` nothing is a command until `::TOKEN::`, "TOKEN" being "a randomly
#   generated token" so that the text in between cannot guess it. `quietly` runs what prints
#   text we did not write (the tool, pip) between the two.
# - A command's message is escaped as the runner unescapes it (actions/toolkit,
#   `escapeData`: % as %25, CR as %0D, LF as %0A), so that a value in our own `::error::` line
#   cannot end it and start another.
# - "Multiline strings" in $GITHUB_OUTPUT: `NAME<<DELIMITER`, the value, `DELIMITER`; the docs
#   warn that the delimiter must not occur on its own line within the value: it is random here,
#   and a value that holds it is refused.

# 32 hex digits from the kernel's random source: nobody writing a file name or a value knows it.
random_token() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# A workflow command's message, escaped as the runner reads it back (actions/toolkit escapeData).
escape_data() {
    local data="${1//%/%25}"
    data="${data//$'\r'/%0D}"
    printf '%s' "${data//$'\n'/%0A}"
}

# TEXT on one line for the log: a CR or LF is shown as \r or \n, as the tool itself shows one.
one_line() {
    local text="${1//$'\r'/\\r}"
    printf '%s' "${text//$'\n'/\\n}"
}

# `::error title=cloudtimeouts::MESSAGE` on stderr, the message escaped.
error_command() {
    echo "::error title=cloudtimeouts::$(escape_data "$1")" >&2
}

# Run "$@" with workflow commands stopped: whatever it prints reaches the log as text. Its
# stderr goes where the tokens go: the runner reads stdout and stderr on two pipes, in no set
# order, so a line on the other stream could be read after the commands resume.
quietly() {
    local token status
    token="$(random_token)"
    echo "::stop-commands::$token"
    "$@" 2>&1 && status=0 || status=$?  # under `set -e` too, the commands resume
    echo "::$token::"
    return "$status"
}

# NAME=VALUE for the step's outputs, as a multiline string with a random delimiter, so that a
# newline in VALUE cannot start another key.
set_output() {
    local file="${GITHUB_OUTPUT:-/dev/null}" delimiter
    delimiter="ghadelimiter_$(random_token)"
    if [[ "$2" == *"$delimiter"* ]]; then  # cannot happen by chance; refuse rather than inject
        error_command "the output $1 holds its own delimiter"
        return 1
    fi
    printf '%s<<%s\n%s\n%s\n' "$1" "$delimiter" "$2" "$delimiter" >>"$file"
}
