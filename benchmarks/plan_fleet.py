"""Figures for the performance claims: startup without cloud SDKs, and planning a fleet on the
RDS emulator.

Run: .venv/bin/python benchmarks/plan_fleet.py [--targets 50]
Prints: median startup of `cloudtimeouts --help` and `validate`; wall time of `make_plan` over N
RDS parameter groups on the realistic RDS emulator (each group lists its family's whole catalogue,
so a read takes every page RDS would send), with the number of API calls per target observed
through botocore's event hooks. The emulator answers from memory, so the figures show the tool's
own overhead and its call count, not AWS latency (where the concurrent reads matter more).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def startup_seconds(args: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cloudtimeouts.cli", *args],
            cwd=REPO,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plan_fleet(count: int) -> None:
    from cloudtimeouts.sandbox.rds import RealisticRds

    with RealisticRds(region="eu-west-1") as emulator:
        os.environ.update(emulator.env())  # AWS_ENDPOINT_URL_RDS and throwaway keys
        for index in range(count):
            emulator.create_group(f"fleet-{index:03d}", "postgres16")
        run_plan(count)


def run_plan(count: int) -> None:
    import boto3

    from cloudtimeouts.catalog import Provider
    from cloudtimeouts.orchestration import make_plan
    from cloudtimeouts.profile import load_profile
    from cloudtimeouts.providers.aws import AwsAdapter

    targets = ""
    for index in range(count):
        targets += f"  - {{provider: aws, region: eu-west-1, parameter_group: fleet-{index:03d}}}\n"
    profile_text = (REPO / "profiles" / "aws-postgres.yaml").read_text().split("targets:")[0]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(profile_text + "targets:\n" + targets)
    profile = load_profile(handle.name)

    calls: Counter[str] = Counter()
    session = boto3.session.Session()
    session.events.register(
        "before-call.rds.*",
        lambda model, **_: calls.update([model.name]),  # type: ignore[misc]
    )
    adapter = AwsAdapter(lambda profile_name: session)

    def loader(provider: Provider) -> Any:
        return adapter

    started = time.perf_counter()
    plan = make_plan([profile], adapter_loader=loader)
    elapsed = time.perf_counter() - started
    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    print(f"plan over {count} targets: {elapsed:.2f} s ({elapsed / count * 1000:.0f} ms/target)")
    print(f"  changes planned: {plan.change_count}")
    for operation, number in sorted(calls.items()):
        print(f"  {operation}: {number} calls ({number / count:.1f} per target)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=50)
    args = parser.parse_args()
    print(f"startup, cloudtimeouts --help: {startup_seconds(['--help']) * 1000:.0f} ms (median)")
    validate = ["validate", "profiles/aws-postgres.yaml"]
    print(f"startup, cloudtimeouts validate: {startup_seconds(validate) * 1000:.0f} ms (median)")
    plan_fleet(args.targets)


if __name__ == "__main__":
    main()
