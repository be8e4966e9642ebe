"""How fast `cloudtimeouts plan` reads a fleet, against what bounds it (issue #10).

Run (about 2 minutes, most of it the sequential loop it is compared with):

    .venv/bin/python benchmarks/plan_fleet.py

In one run, on the repository's emulators behind a round trip of --latency seconds per answer
(`LoopbackServer(latency=...)`, 50 ms by default: what a cloud API costs a client):

- AWS: N RDS parameter groups (family postgres16) on the realistic RDS emulator, N = --sizes
  (100 and 500). For each N: the wall time of the real CLI (`cloudtimeouts plan`, a subprocess,
  so start-up counts), its API calls per target (the emulator's own count per Action), the
  sequential boto3 loop a user would script for the same reads (DescribeDBParameterGroups and every
  page of DescribeDBParameters, group after group), the bound, and the CLI's peak RSS.
- GCP: --gcp Cloud SQL instances in --gcp-projects projects; Azure: --azure flexible servers. Calls
  per target and wall time, and their bound.

The bound is the start-up (the same CLI planning one target with no latency: interpreter, imports,
SDK clients) plus ceil(targets / concurrency) round trips: the CLI reads --concurrency targets at
once per account and region / project / subscription (16) and 64 in all, and no read can take less
than one round trip. Peak RSS is the CLI's own: Linux keeps a forked process's peak RSS across
exec, so the CLI is started by a small Python in between (as tests/test_hostile_profiles.py does).

One round trip is --latency (the emulators' sockets set TCP_NODELAY, as real HTTP servers do); the
benchmark prints the round trip it measured.

`main(argv)` returns the figures (tests/test_benchmarks.py runs it with tiny fleets).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudtimeouts.concurrency import MAX_CONCURRENT_TARGETS, MAX_THREADS

REGION = "eu-west-1"
FAMILY = "postgres16"
SUBSCRIPTION = "00000000-0000-0000-0000-00000000f1ee"
SERVER = {
    "idle_session_timeout": "10min",
    "idle_in_transaction_session_timeout": "10min",
    "statement_timeout": "30s",
}
SCRIPT = Path(sys.executable).parent / "cloudtimeouts"
# Starts the CLI and reports its wall time and its own peak RSS (KiB, from wait4).
STARTER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
elapsed = time.perf_counter() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{elapsed} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
_CLOUD_VARIABLES = ("AWS_", "GOOGLE_", "AZURE_", "CLOUDTIMEOUTS_", "CLOUDSDK_")


@dataclass
class Run:
    seconds: float
    peak_mib: float
    calls: Counter[str]
    errors: int


@dataclass
class Figures:
    cloud: str
    targets: int
    scopes: int  # accounts and regions / projects / subscriptions
    plan: Run
    startup_s: float
    latency_s: float
    loop_s: float | None = None
    loop_calls: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def calls_per_target(self) -> float:
        return sum(self.plan.calls.values()) / self.targets

    @property
    def round_trips(self) -> int:
        per_scope = math.ceil(self.targets / self.scopes)
        return max(
            math.ceil(per_scope / MAX_CONCURRENT_TARGETS), math.ceil(self.targets / MAX_THREADS)
        )

    @property
    def bound_s(self) -> float:
        return self.startup_s + self.round_trips * self.latency_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "targets": self.targets,
            "plan_s": self.plan.seconds,
            "calls_per_target": self.calls_per_target,
            "calls": dict(self.plan.calls),
            "errors": self.plan.errors,
            "startup_s": self.startup_s,
            "bound_s": self.bound_s,
            "peak_rss_mib": self.plan.peak_mib,
            "loop_s": self.loop_s,
            "loop_calls_per_target": (self.loop_calls or 0) / self.targets,
        }


# -- the CLI, as users run it --------------------------------------------------------------------
def base_environment() -> dict[str, str]:
    """This process's environment without any cloud configuration (nothing real is reached)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLOUD_VARIABLES)}
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("SSL_CERT_FILE", None)
    return env | {
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "NO_GCE_CHECK": "true",
        "GCE_METADATA_HOST": "127.0.0.1:9",
        "GCE_METADATA_IP": "127.0.0.1:9",
        "IDENTITY_ENDPOINT": "http://127.0.0.1:9/msi/token",
        "IDENTITY_HEADER": "cloudtimeouts-benchmark",
    }


def run_plan(profile: Path, env: Mapping[str, str]) -> tuple[float, float, int]:
    """`cloudtimeouts plan PROFILE --output json`: (seconds, peak RSS MiB, targets in error)."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cloudtimeouts"]
    with tempfile.TemporaryDirectory() as directory:
        stats = Path(directory) / "stats"
        process = subprocess.run(
            [
                sys.executable,
                "-c",
                STARTER,
                str(stats),
                *command,
                "plan",
                str(profile),
                "-o",
                "json",
            ],
            env=dict(env),
            capture_output=True,
            text=True,
            check=False,
        )
        if process.returncode not in (0, 2, 3):
            raise RuntimeError(f"cloudtimeouts plan failed: {process.stderr or process.stdout}")
        seconds, peak_kib = stats.read_text().split()
    peak = int(peak_kib) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    errors = int(json.loads(process.stdout)["summary"]["errors"])
    return float(seconds), peak, errors


def write_profile(directory: Path, name: str, targets: Sequence[Mapping[str, str]]) -> Path:
    lines = [f"name: {name}", "engine: postgres", "django:", "  conn_max_age: 5min", "server:"]
    lines += [f"  {key}: {value}" for key, value in SERVER.items()]
    lines.append("targets:")
    for target in targets:
        first, *rest = target.items()
        lines.append(f"  - {first[0]}: {first[1]}")
        lines += [f"    {key}: {value}" for key, value in rest]
    path = directory / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure(
    server: Any,
    profile: Path,
    env: Mapping[str, str],
    latency: float,
    repeat: int,
    operation: Callable[[Any], str] = lambda request: request.operation,
) -> Run:
    """The best of `repeat` plans behind `latency` (the machine's other work only ever adds
    time); calls counted on the first."""
    runs, calls = [], Counter[str]()
    for index in range(repeat):
        server.clear_requests()
        server.latency = latency
        try:
            runs.append(run_plan(profile, env))
        finally:
            server.latency = 0.0
        if index == 0:
            calls = Counter(operation(request) for request in server.recorded())
    seconds = min(run[0] for run in runs)
    return Run(seconds, max(run[1] for run in runs), calls, max(run[2] for run in runs))


def startup(server: Any, profile: Path, env: Mapping[str, str], repeat: int) -> float:
    """The CLI planning one target with no latency (the best of `repeat` runs)."""
    return measure(server, profile, env, 0.0, repeat).seconds


def round_trip(emulator: Any, latency: float) -> float:
    """The median time of one small call (DescribeDBParameterGroups of one group)."""
    rds = client(emulator)
    name = emulator.app.groups.all(REGION, False)[-1].name
    rds.describe_db_parameter_groups(DBParameterGroupName=name)  # connect first
    emulator.server.latency = latency
    try:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            rds.describe_db_parameter_groups(DBParameterGroupName=name)
            times.append(time.perf_counter() - started)
    finally:
        emulator.server.latency = 0.0
    return statistics.median(times)


# -- AWS -------------------------------------------------------------------------------------------
@contextmanager
def rds_fleet(count: int) -> Iterator[tuple[Any, list[str]]]:
    """The RDS emulator with `count` groups; a third set statement_timeout, as fleets do."""
    from cloudtimeouts.sandbox.rds import RealisticRds

    with RealisticRds(region=REGION) as emulator:
        rds = client(emulator)
        names = [f"fleet-{index:04d}" for index in range(count)]
        for index, name in enumerate(names):
            rds.create_db_parameter_group(
                DBParameterGroupName=name, DBParameterGroupFamily=FAMILY, Description="fleet"
            )
            if index % 3 == 0:
                rds.modify_db_parameter_group(
                    DBParameterGroupName=name,
                    Parameters=[
                        {
                            "ParameterName": "statement_timeout",
                            "ParameterValue": "30000",
                            "ApplyMethod": "immediate",
                        }
                    ],
                )
        yield emulator, names


def client(emulator: Any) -> Any:
    import boto3

    return boto3.client(
        "rds",
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )


def sequential_loop(emulator: Any, names: Sequence[str], latency: float) -> tuple[float, int]:
    """What a user would script: each group's family, then every page of its parameters."""
    emulator.server.clear_requests()
    emulator.server.latency = latency
    try:
        started = time.perf_counter()
        rds = client(emulator)
        for name in names:
            rds.describe_db_parameter_groups(DBParameterGroupName=name)
            pages = rds.get_paginator("describe_db_parameters").paginate(
                DBParameterGroupName=name, PaginationConfig={"PageSize": 100}
            )
            for page in pages:
                assert page["Parameters"]
        seconds = time.perf_counter() - started
    finally:
        emulator.server.latency = 0.0
    return seconds, len(list(emulator.server.recorded()))


def aws_figures(
    sizes: Sequence[int], latency: float, repeat: int, loop: bool, directory: Path
) -> list[Figures]:
    figures = []
    with rds_fleet(max(sizes)) as (emulator, names):
        env = base_environment() | emulator.env()
        target = lambda name: {  # noqa: E731
            "provider": "aws",
            "region": REGION,
            "parameter_group": name,
        }
        one = write_profile(directory, "aws-one", [target(names[0])])
        start = startup(emulator.server, one, env, repeat)
        measured = round_trip(emulator, latency)
        for size in sizes:
            profile = write_profile(directory, f"aws-{size}", [target(n) for n in names[:size]])
            run = measure(emulator.server, profile, env, latency, repeat)
            loop_s, loop_calls = (
                sequential_loop(emulator, names[:size], latency) if loop else (None, None)
            )
            figure = Figures("aws", size, 1, run, start, latency, loop_s, loop_calls)
            figure.extra["round_trip_s"] = measured
            figures.append(figure)
    return figures


# -- GCP and Azure ---------------------------------------------------------------------------------
def gcp_figures(count: int, projects: int, latency: float, repeat: int, directory: Path) -> Figures:
    from cloudtimeouts.sandbox.cloudsql import FakeCloudSql

    with FakeCloudSql() as fake:
        targets = []
        for index in range(count):
            project, name = f"fleet-{index % projects}", f"db-{index:04d}"
            flags = {"statement_timeout": "30000"} if index % 3 == 0 else {}
            fake.add_instance(project, name, "POSTGRES_16", flags=flags)
            targets.append({"provider": "gcp", "project": project, "instance": name})
        config = directory / "gcloud"
        config.mkdir(exist_ok=True)
        env = base_environment() | {
            "GOOGLE_APPLICATION_CREDENTIALS": str(fake.write_adc_file(directory / "adc.json")),
            "CLOUDTIMEOUTS_GCP_ENDPOINT": fake.base_url,
            "CLOUDSDK_CONFIG": str(config),
        }
        one = write_profile(directory, "gcp-one", targets[:1])
        start = startup(fake.server, one, env, repeat)
        profile = write_profile(directory, f"gcp-{count}", targets)
        run = measure(fake.server, profile, env, latency, repeat)
    return Figures("gcp", count, projects, run, start, latency)


def azure_figures(count: int, latency: float, repeat: int, directory: Path) -> Figures:
    from cloudtimeouts.sandbox.azure import FakeAzure

    with FakeAzure() as fake:
        targets = []
        for index in range(count):
            group, name = f"fleet-{index % 4}", f"pg-{index:04d}"
            values = {"statement_timeout": "30000"} if index % 3 == 0 else {}
            fake.add_server(SUBSCRIPTION, group, name, "postgres", parameters=values)
            targets.append(
                {
                    "provider": "azure",
                    "subscription_id": SUBSCRIPTION,
                    "resource_group": group,
                    "server": name,
                }
            )
        env = base_environment() | fake.env()
        one = write_profile(directory, "azure-one", targets[:1])
        start = startup(fake.server, one, env, repeat)
        profile = write_profile(directory, f"azure-{count}", targets)
        run = measure(fake.server, profile, env, latency, repeat)
    return Figures("azure", count, 1, run, start, latency)


# -- the report ------------------------------------------------------------------------------------
def report(figures: Sequence[Figures], latency: float) -> None:
    ms = latency * 1000
    print(
        f"cloudtimeouts plan behind a {ms:.0f} ms round trip per API answer; --concurrency "
        f"{MAX_CONCURRENT_TARGETS} per account+region / project / subscription, {MAX_THREADS} "
        "in all; best of the runs. bound = start-up + ceil(targets / concurrency) round trips; "
        "start-up = the same CLI planning 1 target with no latency."
    )
    header = (
        f"{'cloud':<6}{'targets':>8}{'plan':>9}{'calls/target':>14}{'bound':>9}{'plan/bound':>12}"
        f"{'seq. loop':>11}{'speed-up':>10}{'peak RSS':>11}"
    )
    print(header)
    for f in figures:
        loop = f"{f.loop_s:.1f} s" if f.loop_s is not None else "-"
        speedup = f"{f.loop_s / f.plan.seconds:.1f}x" if f.loop_s is not None else "-"
        print(
            f"{f.cloud:<6}{f.targets:>8}{f.plan.seconds:>7.2f} s{f.calls_per_target:>14.2f}"
            f"{f.bound_s:>7.2f} s{f.plan.seconds / f.bound_s:>11.2f}x{loop:>11}{speedup:>10}"
            f"{f.plan.peak_mib:>7.0f} MiB"
            + (f"  ({f.plan.errors} target(s) in error!)" if f.plan.errors else "")
        )
    print()
    for f in figures:
        calls = ", ".join(f"{op} {n}" for op, n in sorted(f.plan.calls.items()))
        print(f"{f.cloud} {f.targets}: start-up {f.startup_s:.2f} s; calls: {calls}")
        if "round_trip_s" in f.extra:
            measured = f.extra["round_trip_s"] * 1000
            print(f"  one small call measured behind the latency: {measured:.0f} ms")
        if f.loop_calls is not None:
            per = f.loop_calls / f.targets
            print(f"  sequential loop: {f.loop_calls} calls ({per:.1f} per group)")


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--repeat", type=int, default=3, help="plans per figure (the best)")
    parser.add_argument("--gcp", type=int, default=200, help="Cloud SQL instances (0: none)")
    parser.add_argument("--gcp-projects", type=int, default=4)
    parser.add_argument("--azure", type=int, default=100, help="Azure servers (0: none)")
    parser.add_argument("--no-loop", action="store_true", help="skip the sequential loop")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        figures = aws_figures(args.sizes, args.latency, args.repeat, not args.no_loop, directory)
        if args.gcp:
            figures.append(
                gcp_figures(args.gcp, args.gcp_projects, args.latency, args.repeat, directory)
            )
        if args.azure:
            figures.append(azure_figures(args.azure, args.latency, args.repeat, directory))
    report(figures, args.latency)
    print(f"\n(benchmark ran {time.perf_counter() - started:.0f} s)")
    return [f.as_dict() for f in figures]


if __name__ == "__main__":
    main()
