"""How fast `cloudtimeouts plan` reads a fleet, against what bounds it (issues #10 and #17).

Run (about 5 minutes for the default sizes on a 2-core machine, most of it seeding the emulators
and the sequential loop the AWS figures are compared with):

    .venv/bin/python benchmarks/plan_fleet.py --sizes 100 500

On the repository's emulators behind a round trip of --latency seconds per answer
(`LoopbackServer(latency=...)`, 50 ms by default: what a cloud API costs a client), for each cloud
and each size N (--sizes): N RDS parameter groups (family postgres16) in one region; N Cloud SQL
instances in --gcp-projects projects; N Azure flexible servers in --azure-groups resource groups
of one subscription (a third of each set statement_timeout, as fleets do). For each:

- plan: the wall time of the real CLI (`cloudtimeouts plan PROFILE -o json`, a subprocess, so its
  start-up counts), its API calls (the emulator's own count per operation) and its peak RSS;
- the SDK's calls: a minimal client (benchmarks/fleet_bound.py, a subprocess) makes the same calls
  with the same SDK at the same concurrency (16 at once per account and region / project /
  subscription, 64 in all: the CLI's defaults) and nothing else: no profile, no plan, no
  rendering; it times them from its first request to its last answer. Its calls are counted
  too: they are the CLI's;
- the bound: the CLI's start-up (the same CLI planning one target with no latency: interpreter,
  imports, the profile, the SDK's clients and sign-in) plus the SDK's calls. plan/bound is what
  the fleet costs the tool over what it costs the SDK: scheduling, reading the answers, judging
  and rendering each target. The minimal client's whole run (its own start-up included) is shown
  too, for what it is: the SDK alone, with no tool around it;
- AWS also: the sequential boto3 loop a user would script (each group's family, then every page
  of its parameters, group after group), to show what the concurrency and the batching buy.

Every figure is the best of --repeat runs (the machine's other work only ever adds time). The
emulators run in this process: what they cost is in the plan and in the bound alike. Peak RSS is
the CLI's own: Linux keeps a forked process's peak RSS across exec, so each command is started by
a small Python in between (as tests/test_hostile_profiles.py does).

`main(argv)` returns the figures (tests/test_benchmarks.py runs it with tiny fleets).
"""

from __future__ import annotations

import argparse
import json
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
BOUND = Path(__file__).resolve().with_name("fleet_bound.py")
# Starts a command and reports its wall time and its own peak RSS (KiB, from wait4).
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
    outputs: list[str] = field(default_factory=list)  # each run's stdout, in order


@dataclass
class Figures:
    cloud: str
    targets: int
    scopes: int  # accounts and regions / projects / resource groups
    plan: Run
    minimal: Run  # the minimal client's whole process
    calls_s: float  # the minimal client's calls, first request to last answer
    startup_s: float  # the CLI planning one target with no latency
    latency_s: float
    errors: int = 0
    loop_s: float | None = None
    loop_calls: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def calls_per_target(self) -> float:
        return sum(self.plan.calls.values()) / self.targets

    @property
    def bound_s(self) -> float:
        return self.startup_s + self.calls_s

    @property
    def ratio(self) -> float:
        return self.plan.seconds / self.bound_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "targets": self.targets,
            "plan_s": self.plan.seconds,
            "bound_s": self.bound_s,
            "ratio": self.ratio,
            "sdk_calls_s": self.calls_s,
            "minimal_client_s": self.minimal.seconds,
            "calls_per_target": self.calls_per_target,
            "calls": dict(self.plan.calls),
            "bound_calls": dict(self.minimal.calls),
            "errors": self.errors,
            "startup_s": self.startup_s,
            "peak_rss_mib": self.plan.peak_mib,
            "loop_s": self.loop_s,
            "loop_calls_per_target": (self.loop_calls or 0) / self.targets,
        }


# -- running a command, as users run it --------------------------------------------------------
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


def timed(command: Sequence[str], env: Mapping[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS MiB, stdout) of `command`, started by STARTER."""
    with tempfile.TemporaryDirectory() as directory:
        stats = Path(directory) / "stats"
        process = subprocess.run(
            [sys.executable, "-c", STARTER, str(stats), *command],
            env=dict(env),
            capture_output=True,
            text=True,
            check=False,
        )
        if process.returncode not in (0, 2, 3):
            raise RuntimeError(f"{command[0]} failed: {process.stderr or process.stdout}")
        seconds, peak_kib = stats.read_text().split()
    peak = int(peak_kib) / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return float(seconds), peak, process.stdout


def plan_command(profile: Path) -> list[str]:
    cli = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cloudtimeouts"]
    return [*cli, "plan", str(profile), "-o", "json"]


def bound_command(cloud: str, spec: Path) -> list[str]:
    return [sys.executable, str(BOUND), cloud, str(spec)]


def measure(
    server: Any,
    command: Sequence[str],
    env: Mapping[str, str],
    latency: float,
    repeat: int,
    operation: Callable[[Any], str] = lambda request: request.operation,
) -> Run:
    """The best of `repeat` runs of `command` behind `latency`; calls counted on the first."""
    runs, calls = [], Counter[str]()
    for index in range(repeat):
        server.clear_requests()
        server.latency = latency
        try:
            runs.append(timed(command, env))
        finally:
            server.latency = 0.0
        if index == 0:
            calls = Counter(operation(request) for request in server.recorded())
    seconds = min(run[0] for run in runs)
    return Run(seconds, max(run[1] for run in runs), calls, [run[2] for run in runs])


def plan_errors(output: str) -> int:
    return int(json.loads(output)["summary"]["errors"])


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


def write_spec(directory: Path, name: str, spec: Mapping[str, Any]) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(spec))
    return path


@dataclass
class Fleet:
    """One cloud's emulator, seeded with the largest size, and how to name its first N targets."""

    cloud: str
    server: Any  # the emulator's LoopbackServer
    env: dict[str, str]
    targets: list[dict[str, str]]  # as profile entries
    spec: Callable[[int], dict[str, Any]]  # fleet_bound.py's spec for the first N targets
    scopes: Callable[[int], int]


def figures_of(
    fleet: Fleet, sizes: Sequence[int], latency: float, repeat: int, directory: Path
) -> list[Figures]:
    """For each size: the CLI's plan and the minimal client's run, behind the same latency."""
    name = fleet.cloud
    one = write_profile(directory, f"{name}-one", fleet.targets[:1])
    start = measure(fleet.server, plan_command(one), fleet.env, 0.0, repeat).seconds
    found = []
    for size in sizes:
        profile = write_profile(directory, f"{name}-{size}", fleet.targets[:size])
        spec = write_spec(directory, f"{name}-{size}", fleet.spec(size))
        plan = measure(fleet.server, plan_command(profile), fleet.env, latency, repeat)
        minimal = measure(fleet.server, bound_command(name, spec), fleet.env, latency, repeat)
        said = [json.loads(output) for output in minimal.outputs]
        if any(run["read"] != size for run in said):
            raise RuntimeError(f"the {name} minimal client read {said} of {size} targets")
        calls_s = min(run["calls_s"] for run in said)
        errors = max(plan_errors(output) for output in plan.outputs)
        found.append(
            Figures(name, size, fleet.scopes(size), plan, minimal, calls_s, start, latency, errors)
        )
    return found


# -- AWS -------------------------------------------------------------------------------------------
@contextmanager
def aws_fleet(count: int, per_scope: int) -> Iterator[tuple[Fleet, Any]]:
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
        targets = [{"provider": "aws", "region": REGION, "parameter_group": n} for n in names]
        spec = {"region": REGION, "per_scope": per_scope, "total": MAX_THREADS}
        yield (
            Fleet(
                "aws",
                emulator.server,
                base_environment() | emulator.env(),
                targets,
                lambda size: spec | {"groups": names[:size]},
                lambda size: 1,
            ),
            emulator,
        )


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


def aws_figures(
    sizes: Sequence[int], latency: float, repeat: int, loop: bool, per_scope: int, directory: Path
) -> list[Figures]:
    with aws_fleet(max(sizes), per_scope) as (fleet, emulator):
        found = figures_of(fleet, sizes, latency, repeat, directory)
        measured = round_trip(emulator, latency)
        for figure in found:
            names = [target["parameter_group"] for target in fleet.targets[: figure.targets]]
            if loop:
                figure.loop_s, figure.loop_calls = sequential_loop(emulator, names, latency)
            figure.extra["round_trip_s"] = measured
    return found


# -- GCP and Azure ---------------------------------------------------------------------------------
def gcp_figures(
    sizes: Sequence[int],
    projects: int,
    latency: float,
    repeat: int,
    per_scope: int,
    directory: Path,
) -> list[Figures]:
    from cloudtimeouts.sandbox.cloudsql import FakeCloudSql

    with FakeCloudSql() as fake:
        instances = []
        for index in range(max(sizes)):
            project, name = f"fleet-{index % projects}", f"db-{index:04d}"
            flags = {"statement_timeout": "30000"} if index % 3 == 0 else {}
            fake.add_instance(project, name, "POSTGRES_16", flags=flags)
            instances.append((project, name))
        config = directory / "gcloud"
        config.mkdir(exist_ok=True)
        env = base_environment() | {
            "GOOGLE_APPLICATION_CREDENTIALS": str(fake.write_adc_file(directory / "adc.json")),
            "CLOUDTIMEOUTS_GCP_ENDPOINT": fake.base_url,
            "CLOUDSDK_CONFIG": str(config),
        }
        spec = {"endpoint": fake.base_url, "per_scope": per_scope, "total": MAX_THREADS}
        fleet = Fleet(
            "gcp",
            fake.server,
            env,
            [{"provider": "gcp", "project": p, "instance": n} for p, n in instances],
            lambda size: spec | {"instances": instances[:size]},
            lambda size: len({project for project, _ in instances[:size]}),
        )
        return figures_of(fleet, sizes, latency, repeat, directory)


def azure_figures(
    sizes: Sequence[int], groups: int, latency: float, repeat: int, per_scope: int, directory: Path
) -> list[Figures]:
    from cloudtimeouts.sandbox.azure import FakeAzure

    with FakeAzure() as fake:
        servers = []
        for index in range(max(sizes)):
            group, name = f"fleet-{index % groups}", f"pg-{index:04d}"
            values = {"statement_timeout": "30000"} if index % 3 == 0 else {}
            fake.add_server(SUBSCRIPTION, group, name, "postgres", parameters=values)
            servers.append((group, name))
        spec = {
            "endpoint": fake.base_url,
            "subscription": SUBSCRIPTION,
            "per_scope": per_scope,
            "total": MAX_THREADS,
        }
        targets = [
            {"provider": "azure", "subscription_id": SUBSCRIPTION, "resource_group": g, "server": n}
            for g, n in servers
        ]
        fleet = Fleet(
            "azure",
            fake.server,
            base_environment() | fake.env(),
            targets,
            lambda size: spec | {"servers": servers[:size]},
            lambda size: 1,
        )
        return figures_of(fleet, sizes, latency, repeat, directory)


# -- the report ------------------------------------------------------------------------------------
def report(figures: Sequence[Figures], latency: float, per_scope: int) -> None:
    ms = latency * 1000
    print(
        f"cloudtimeouts plan behind a {ms:.0f} ms round trip per API answer, {per_scope} targets "
        f"at once per account+region / project / subscription, {MAX_THREADS} in all; best of the "
        "runs. bound = start-up (the CLI planning 1 target, no latency) + SDK calls (a minimal "
        "client making the same calls with the same SDK at the same concurrency, "
        "benchmarks/fleet_bound.py); minimal client = its whole process."
    )
    header = (
        f"{'cloud':<6}{'targets':>8}{'plan':>9}{'start-up':>10}{'SDK calls':>11}{'bound':>9}"
        f"{'plan/bound':>12}{'minimal client':>16}{'calls/target':>14}{'seq. loop':>11}"
        f"{'speed-up':>10}{'peak RSS':>11}"
    )
    print(header)
    for f in figures:
        loop = f"{f.loop_s:.1f} s" if f.loop_s is not None else "-"
        speedup = f"{f.loop_s / f.plan.seconds:.1f}x" if f.loop_s is not None else "-"
        print(
            f"{f.cloud:<6}{f.targets:>8}{f.plan.seconds:>7.2f} s{f.startup_s:>8.2f} s"
            f"{f.calls_s:>9.2f} s{f.bound_s:>7.2f} s{f.ratio:>11.2f}x{f.minimal.seconds:>14.2f} s"
            f"{f.calls_per_target:>14.2f}{loop:>11}{speedup:>10}{f.plan.peak_mib:>7.0f} MiB"
            + (f"  ({f.errors} target(s) in error!)" if f.errors else "")
        )
    print()
    for f in figures:
        calls = ", ".join(f"{op} {n}" for op, n in sorted(f.plan.calls.items()))
        same = (
            "the same"
            if f.minimal.calls == f.plan.calls
            else "DIFFERENT: " + ", ".join(f"{op} {n}" for op, n in sorted(f.minimal.calls.items()))
        )
        print(f"{f.cloud} {f.targets}: plan's calls: {calls}; the minimal client's: {same}")
        if "round_trip_s" in f.extra:
            measured = f.extra["round_trip_s"] * 1000
            print(f"  one small call measured behind the latency: {measured:.0f} ms")
        if f.loop_calls is not None:
            per = f.loop_calls / f.targets
            print(f"  sequential loop: {f.loop_calls} calls ({per:.1f} per group)")


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--clouds", nargs="+", default=["aws", "gcp", "azure"])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the best)")
    parser.add_argument("--gcp-projects", type=int, default=4)
    parser.add_argument("--azure-groups", type=int, default=4)
    parser.add_argument("--no-loop", action="store_true", help="skip the sequential loop")
    args = parser.parse_args(argv)
    per_scope = MAX_CONCURRENT_TARGETS
    started = time.perf_counter()
    figures: list[Figures] = []
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        common = (args.latency, args.repeat)
        if "aws" in args.clouds:
            loop = not args.no_loop
            figures += aws_figures(args.sizes, *common, loop, per_scope, directory)
        if "gcp" in args.clouds:
            figures += gcp_figures(args.sizes, args.gcp_projects, *common, per_scope, directory)
        if "azure" in args.clouds:
            figures += azure_figures(args.sizes, args.azure_groups, *common, per_scope, directory)
    report(figures, args.latency, per_scope)
    print(f"\n(benchmark ran {time.perf_counter() - started:.0f} s)")
    return [f.as_dict() for f in figures]


if __name__ == "__main__":
    main()
