"""How long the CLI takes to start (issue #17, item 5): `--help` and `validate` against a bare
`python -c "import typer, pydantic"`, in fresh processes of the same interpreter.

Run (about 20 seconds on two cores):

    .venv/bin/python benchmarks/startup.py

Each command runs --runs times (default 15), the commands interleaved so that a machine that
gets busier part way slows them all alike; it prints each command's median and p90 wall time in
seconds and its median as a ratio to the baseline's. The goal: `--help` and `validate` within
1.5x of the baseline. `python -X importtime -m cloudtimeouts --help` shows what a command
imports.

Modules run from bytecode, as an installed package's do (pip compiles a wheel's modules when it
installs them): PYTHONDONTWRITEBYTECODE is dropped and the bytecode is written under a temporary
PYTHONPYCACHEPREFIX by the warm-up runs. With --source, the environment is kept as it is (a
checkout with PYTHONDONTWRITEBYTECODE=1 compiles the tool's modules on every run: slower).

`main(argv)` returns the figures (tests/test_benchmarks.py runs it with --runs 1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "aws-postgres.yaml"
SCRIPT = Path(sys.executable).parent / "cloudtimeouts"  # the console script, when installed
# else what the console script runs, by the same interpreter
CLI = (
    [str(SCRIPT)]
    if SCRIPT.is_file()
    else [sys.executable, "-c", "from cloudtimeouts.cli import main; main()"]
)
COMMANDS = {
    "import typer, pydantic": [sys.executable, "-c", "import typer, pydantic"],
    "cloudtimeouts --help": [*CLI, "--help"],
    "cloudtimeouts validate": [*CLI, "validate", str(PROFILE)],
    "python -m cloudtimeouts --version": [sys.executable, "-m", "cloudtimeouts", "--version"],
}
BASELINE = "import typer, pydantic"


def _once(arguments: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(arguments, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=env)
    return time.perf_counter() - started


def _p90(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="Runs of each command (default 15).")
    parser.add_argument(
        "--source",
        action="store_true",
        help="Keep the environment's PYTHONDONTWRITEBYTECODE: modules without bytecode are "
        "compiled on every run, as in a checkout where it is set.",
    )
    options = parser.parse_args(argv)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory(prefix="startup-pycache-") as cache:
        env = dict(os.environ)
        if not options.source:  # bytecode as an installed package has it, kept out of the tree
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cache
        for arguments in COMMANDS.values():  # one warm-up each: caches, not the figure
            _once(arguments, env)
        for _ in range(options.runs):
            for name, arguments in COMMANDS.items():
                times[name].append(_once(arguments, env))
    baseline = statistics.median(times[BASELINE])
    figures = []
    compiled = "from source" if options.source else "from bytecode"
    print(f"{sys.executable}, {options.runs} runs each, {compiled}")
    print(f"{'command':<36}{'median s':>10}{'p90 s':>10}{'ratio':>8}")
    for name, measured in times.items():
        median = statistics.median(measured)
        figure = {"command": name, "median_s": median, "p90_s": _p90(measured)}
        figure["ratio"] = median / baseline
        figures.append(figure)
        print(f"{name:<36}{median:>10.3f}{figure['p90_s']:>10.3f}{figure['ratio']:>7.2f}x")
    return figures


if __name__ == "__main__":
    main()
