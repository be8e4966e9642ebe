"""The README's console samples are what the commands print: each is run here and compared.

Run as a user runs them (`python -m cloudtimeouts` in a child process, no terminal), on the
README's own inputs. What is normalised, and why, is said where it is done; nothing else is:
- a path the test chose (a temporary directory) stands where the README shows its own;
- `COLUMNS=100`: the README's `explain` sample is what a terminal 100 columns wide shows (a
  narrower one wraps long names; tests/test_explain.py checks that nothing is cut there);
- the demo's "ready in N s" and its emulators' ports change on every run (the demo's sample is
  compared where the suite runs the demo: tests/test_packaging.py, with `demo_sample_lines`).

Samples compared elsewhere: the `workers:` refusal (tests/test_workers.py), `diagnose`'s
(tests/diagnose/test_command.py). Not compared: the sandbox's commands, which print nothing worth
comparing, and `observe`'s, a captured run on a live server whose ages, ports and version change
from run to run (tests/live/test_observe.py checks what observe says on real servers).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _blocks(heading: str) -> list[str]:
    """The fenced blocks of one `## ` section, in order."""
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```[a-z]*\n(.*?)^```$", section, re.M | re.S)


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts", *args],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


def _sample(block: str, command: str) -> str:
    """What the README shows after `$ COMMAND` (its comment dropped), up to the next `$ `."""
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split("  #")[0].strip() == command)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("$ ")), len(rest))
    return "\n".join(rest[:end]).rstrip("\n")


# -- Quickstart ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's orders.yaml, in a directory of its own."""
    directory = tmp_path_factory.mktemp("quickstart")
    profile = _blocks("Quickstart")[0]
    assert profile.startswith("# orders.yaml\n")
    (directory / "orders.yaml").write_text(profile)
    return directory


def test_quickstart_validate_prints_what_the_readme_shows(quickstart: Path) -> None:
    console = _blocks("Quickstart")[1]
    expected = _sample(console, "$ cloudtimeouts validate orders.yaml")
    assert _run("validate", "orders.yaml", cwd=quickstart).rstrip("\n") == expected


def test_quickstart_plan_prints_what_the_readme_shows(quickstart: Path, aws: Any) -> None:
    """On the RDS emulator (the `aws` fixture: a fresh account, its endpoint and keys in the
    environment), holding what the README's plan reads: orders-pg16 (postgres16) with
    idle_in_transaction_session_timeout set to 1 min, everything else at its default."""
    aws.create_group("orders-pg16", "postgres16", {"idle_in_transaction_session_timeout": "60000"})
    said = _run("plan", "orders.yaml", cwd=quickstart, env={"AWS_DEFAULT_REGION": "eu-west-1"})
    console = _blocks("Quickstart")[1]
    assert said.rstrip("\n") == _sample(console, "$ cloudtimeouts plan orders.yaml")


# -- Explain the whole path ------------------------------------------------------------------


def test_explain_prints_the_readmes_picture_in_a_100_column_terminal(tmp_path: Path) -> None:
    (block,) = [b for b in _blocks("Explain the whole path") if "$ cloudtimeouts explain" in b]
    command = "$ cloudtimeouts explain profiles/aws-postgres-pgbouncer.yaml"
    said = _run("explain", "profiles/aws-postgres-pgbouncer.yaml", cwd=REPO)
    assert said.rstrip("\n") == _sample(block, command)
    svg = tmp_path / "path.svg"  # the README writes docs/path.svg; the test, a path of its own
    wrote = _run(
        "explain", "profiles/aws-postgres-pgbouncer.yaml", "--output", "svg", "--write", str(svg),
        cwd=REPO,
    )  # fmt: skip
    shown = _sample(block, f"{command} --output svg --write docs/path.svg")
    assert wrote.rstrip("\n").replace(str(svg), "docs/path.svg") == shown


# -- The demo ----------------------------------------------------------------------------------


def demo_sample_lines() -> list[str]:
    """The README's demo sample as lines the demo must print, in this order: each as printed
    but for the emulators' start-up time ("ready in N s", a regular expression here); the
    sample's "…" lines stand for output left out, and are not compared."""
    (block,) = [b for b in _blocks("The demo") if b.startswith("$ make demo\n")]
    lines = [line for line in block.splitlines()[1:] if line != "…"]
    ready = r"ready in \d+\.\d s"
    return [ready.join(re.escape(part) for part in re.split(ready, line)) for line in lines]


def assert_prints_the_readmes_demo(stdout: str) -> None:
    """Every line of the README's demo sample, whole and in order, in `stdout` (the sample's
    blank lines included: a note running into the next heading shows here)."""
    printed = stdout.splitlines()
    position = 0
    for pattern in demo_sample_lines():
        while position < len(printed) and not re.fullmatch(pattern, printed[position]):
            position += 1
        assert position < len(printed), f"not printed (in this order): {pattern}\n{stdout}"
        position += 1


def test_the_demo_sample_is_checked_line_by_line_and_knows_its_blank_lines() -> None:
    lines = demo_sample_lines()
    assert lines[0].startswith("Starting\\ the\\ sandbox") and r"ready in \d+\.\d s" in lines[1]
    note = next(i for i, line in enumerate(lines) if "Flags\\ the\\ profile" in line)
    assert lines[note + 1] == "", "step 4's note, then a blank line, then step 5's heading"


def test_the_demos_times_are_the_measured_ones_with_their_command_and_machine() -> None:
    """Issue 20: "ready in 1.5 s" and "about 15 s" were stated, and 4.4-5.1 s and 23 s measured.
    The sample's figure is the one the paragraph under it says was measured, by a command it
    names, on a machine it describes."""
    section = README.split("\n## The demo\n", 1)[1].split("\n## ", 1)[0]
    (shown,) = re.findall(r"ready in (\d+\.\d) s;", section)
    said = " ".join(section.split("```")[2].split())  # the paragraph after the sample
    assert "Measured with `time make demo`" in said and "2-core" in said and "load average" in said
    assert f"the emulators ready in {shown} s" in said
    assert re.search(r"\d+ s in all in two runs \(`real \d+\.\d+`, `real \d+\.\d+`\)", said)
    assert "about 15 s" not in section


# -- import ----------------------------------------------------------------------------------


def test_import_prints_the_readmes_profile(tmp_path: Path, aws: Any) -> None:
    """On the RDS emulator holding what the README's import reads: orders-pg16 (postgres16) with
    idle_in_transaction_session_timeout 10 min and statement_timeout 30 s set."""
    aws.create_group(
        "orders-pg16",
        "postgres16",
        {"idle_in_transaction_session_timeout": "600000", "statement_timeout": "30000"},
    )
    (block,) = [b for b in re.findall(r"^```\n(.*?)^```$", README, re.M | re.S)
                if b.startswith("$ cloudtimeouts import ")]  # fmt: skip
    command = block.splitlines()[0]
    said = _run(*command.split()[2:], cwd=tmp_path, env={"AWS_DEFAULT_REGION": "eu-west-1"})
    assert said.rstrip("\n") == _sample(block, command)
