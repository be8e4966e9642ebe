"""scripts/ensure-databases.sh, which `make test` runs first: it says what it installs before
apt-get runs (issue 20: the first `make test` took 17 minutes with the apt installs, printing
nothing about them for minutes).

Read, not run: on a machine that has the servers the script returns at once, and on one that
has not it would install system packages as root, which a test must not do. The order of its
lines is what decides what a person sees first.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ensure-databases.sh"


def test_the_script_is_valid_bash() -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


def test_what_is_installed_and_how_long_it_takes_is_said_before_apt_get_runs() -> None:
    lines = [line.strip() for line in SCRIPT.read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    said = next(i for i, line in enumerate(code) if "with apt-get (a few minutes the first" in line)
    assert "installing ${packages[*]} with apt-get" in code[said]
    first_apt = next(i for i, line in enumerate(code) if "apt-get update" in line and "if" in line)
    assert said < first_apt
    # each step is named as it starts, and the end says how long it took
    text = SCRIPT.read_text()
    assert 'echo "ensure-databases: apt-get update" >&2' in text
    assert 'echo "ensure-databases: apt-get install ${packages[*]}" >&2' in text
    assert "installed ${packages[*]} in $((SECONDS - started)) s" in text
