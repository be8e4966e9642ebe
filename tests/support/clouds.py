"""One small harness per cloud emulator, so that one test can run on every provider.

A harness creates targets with initial values (as a user would have left them), names them in a
profile the way users do, and reads their values back fresh from the emulator's state (the truth
a test compares the tool's report with, read without a request the fault switch could break). It
knows the API operations the adapter calls, by the emulator's operation names (the names the
fault switch targets). `run_apply` runs the real CLI and `check_accounting` holds its report
against that truth.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from support.profiles import aws_target, azure_target, gcp_target, profile_text

AZURE_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000fa"
AZURE_RESOURCE_GROUP = "faults"

POSTGRES = {"idle_in_transaction_session_timeout": "10min", "statement_timeout": "30s"}
POSTGRES_SEED = {"statement_timeout": "5000"}  # one value to update, one default to override
POSTGRES_DESIRED = {"idle_in_transaction_session_timeout": "600000", "statement_timeout": "30000"}
MYSQL = {"wait_timeout": "10min", "interactive_timeout": "10min"}
MYSQL_SEED = {"wait_timeout": "3600"}  # interactive_timeout stays at Azure's 28800
MYSQL_DESIRED = {"wait_timeout": "600", "interactive_timeout": "600"}

Values = dict[str, str | None]


class Cloud:
    """What every harness offers; `fake` is the emulator (`faults`, `requests`)."""

    name: ClassVar[str]
    engine: ClassVar[str] = "postgres"
    server: ClassVar[Mapping[str, str]] = POSTGRES  # the profile's values
    seed: ClassVar[Mapping[str, str]] = POSTGRES_SEED  # what each new target starts with
    desired: ClassVar[Mapping[str, str]] = POSTGRES_DESIRED  # native units, as the cloud shows
    write_operation: ClassVar[str]
    read_operations: ClassVar[tuple[str, ...]]  # every operation reading one target, in order
    value_operation: ClassVar[str]  # the read that returns the parameters' values
    write_followup: ClassVar[str]  # the read a write makes after sending (poll, users' note)

    def __init__(self, fake: Any) -> None:
        self.fake = fake

    def create_targets(self, count: int) -> list[str]:
        """`count` new targets; names no earlier test used, so that a request left behind by an
        abandoned target of an earlier test cannot land on them."""
        stem = f"t{uuid.uuid4().hex[:8]}"
        names = [f"{stem}-{index}" for index in range(1, count + 1)]
        for name in names:
            self.create(name)
        return names

    def profile(self, directory: Path, names: Sequence[str], filename: str = "faults.yaml") -> Path:
        path = directory / filename
        path.write_text(
            profile_text(
                name=filename.removesuffix(".yaml"),
                engine=self.engine,
                server=self.server,
                targets=[self.target(name) for name in names],
            )
        )
        return path

    def calls(self) -> dict[str, int]:
        """Requests received so far, per operation."""
        counted: dict[str, int] = {}
        for request in list(self.fake.requests):
            counted[request.operation] = counted.get(request.operation, 0) + 1
        return counted

    # -- per cloud ----------------------------------------------------------------------------
    def create(self, name: str) -> None:
        raise NotImplementedError

    def target(self, name: str) -> dict[str, str]:
        raise NotImplementedError

    def target_id(self, name: str) -> str:
        raise NotImplementedError

    def values(self, name: str) -> Values:
        """The managed parameters' values as the emulator holds them now (None: not set)."""
        raise NotImplementedError

    def endpoint(self) -> str:
        return str(self.fake.url)


class AwsCloud(Cloud):
    """RealisticRds: a DB parameter group of family postgres16 per target."""

    name = "aws"
    write_operation = "ModifyDBParameterGroup"
    read_operations = ("DescribeDBParameterGroups", "DescribeDBParameters")
    value_operation = "DescribeDBParameters"
    write_followup = "DescribeDBInstances"  # which instances use the group (a note)

    def create(self, name: str) -> None:
        self.fake.create_group(name, "postgres16", dict(self.seed))

    def target(self, name: str) -> dict[str, str]:
        return aws_target(name, self.fake.region)

    def target_id(self, name: str) -> str:
        return f"aws:{self.fake.region}:parameter-group/{name}"

    def values(self, name: str) -> Values:
        with self.fake.app.lock:
            group = self.fake.app.groups.get(self.fake.region, False, name)
            user = dict(group.values)  # Source "user": what writes left
        return {parameter: user.get(parameter) for parameter in self.server}


class GcpCloud(Cloud):
    """FakeCloudSql: a POSTGRES_16 instance per target, in the test's own project."""

    name = "gcp"
    write_operation = "instances.patch"
    read_operations = ("oauth.token", "instances.get", "flags.list")
    value_operation = "instances.get"
    write_followup = "operations.get"  # polled until the patch's operation is DONE

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox.fake)
        self.project = sandbox.project

    def create(self, name: str) -> None:
        self.fake.add_instance(self.project, name, "POSTGRES_16", flags=dict(self.seed))

    def target(self, name: str) -> dict[str, str]:
        return gcp_target(self.project, name)

    def target_id(self, name: str) -> str:
        return f"gcp:{self.project}:instance/{name}"

    def values(self, name: str) -> Values:
        flags = self.fake.flags(self.project, name)
        return {parameter: flags.get(parameter) for parameter in self.server}

    def patches(self, name: str) -> int:
        """instances.patch requests that reached the emulator for this instance."""
        path = f"/projects/{self.project}/instances/{name}"
        return sum(
            1
            for request in list(self.fake.requests)
            if request.operation == "instances.patch" and request.path.endswith(path)
        )


class AzureCloud(Cloud):
    """FakeAzure: a flexible server per target. PostgreSQL writes one configuration at a time
    (configurations.update), MySQL all of them at once (configurations.batchUpdate)."""

    read_operations = (
        "openid-configuration",
        "token",
        "servers.get",
        "configurations.listByServer",
    )
    value_operation = "configurations.listByServer"
    write_followup = "operations.get"  # the Azure-AsyncOperation status monitor

    def create(self, name: str) -> None:
        self.fake.add_server(
            AZURE_SUBSCRIPTION, AZURE_RESOURCE_GROUP, name, self.engine, parameters=dict(self.seed)
        )

    def target(self, name: str) -> dict[str, str]:
        return azure_target(AZURE_SUBSCRIPTION, AZURE_RESOURCE_GROUP, name)

    def target_id(self, name: str) -> str:
        return f"azure:{AZURE_SUBSCRIPTION}:{AZURE_RESOURCE_GROUP}:server/{name}"

    def values(self, name: str) -> Values:
        return {
            parameter: self.fake.configuration(
                AZURE_SUBSCRIPTION, AZURE_RESOURCE_GROUP, name, parameter
            )["properties"]["value"]
            for parameter in self.server
        }

    def endpoint(self) -> str:
        return str(self.fake.base_url)


class AzurePostgresCloud(AzureCloud):
    name = "azure-postgres"
    write_operation = "configurations.update"


class AzureMysqlCloud(AzureCloud):
    name = "azure-mysql"
    engine = "mysql"
    server = MYSQL
    seed = MYSQL_SEED
    desired = MYSQL_DESIRED
    write_operation = "configurations.batchUpdate"


# -- running apply and holding its report against the truth -------------------------------------
@dataclass
class ApplyRun:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    report: dict[str, Any] | None  # apply --output json; None when apply refused to start

    def target(self, target_id: str) -> dict[str, Any]:
        assert self.report is not None, self.stderr
        (found,) = [t for t in self.report["targets"] if t["id"] == target_id]
        return found


def run_apply(
    cli: Callable[..., Any], profiles: Sequence[Path], journal: Path, timeout: float = 60
):
    started = time.monotonic()
    result = cli(
        "apply",
        *profiles,
        "--yes",
        "--output",
        "json",
        "--journal",
        journal,
        "--timeout",
        f"{timeout:g}",
    )
    seconds = time.monotonic() - started
    report = json.loads(result.stdout) if result.stdout.strip() else None
    return ApplyRun(result.exit_code, result.stdout, result.stderr, seconds, report)


def check_accounting(
    cloud: Cloud,
    run: ApplyRun,
    before: Mapping[str, Values],
    *,
    unknown_allowed: bool = False,
) -> dict[str, bool]:
    """Every planned change of every target in exactly one set; `written` exactly what a fresh
    read shows changed, unknown only where the truth could not be read; each failure one line.
    Returns, per target name, whether it ended with every desired value."""
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    # the orchestration's word for an exception no adapter translated (ARM's own 500 message,
    # "An unexpected error occured…", is a translated answer and may appear)
    unmapped = re.search(r"unexpected [A-Z]\w*(Error|Exception)\b", run.stdout + run.stderr)
    assert unmapped is None, run.stdout + run.stderr
    assert run.report is not None, run.stderr
    ended: dict[str, bool] = {}
    for name, was in before.items():
        reported = run.target(cloud.target_id(name))
        now = cloud.values(name)
        planned = sorted(p for p in cloud.desired if cloud.desired[p] != was[p])
        changed = {p for p in planned if now[p] != was[p]}
        written, unknown = set(reported["written"]), set(reported["unknown"])
        sets = reported["written"] + reported["not_written"] + reported["unknown"]
        assert sorted(sets) == planned, reported
        assert written <= changed <= written | unknown, (name, reported, was, now)
        if not unknown_allowed:
            assert not unknown, reported
        ended[name] = all(now[p] == cloud.desired[p] for p in planned)
        if reported["outcome"] == "applied":
            assert ended[name] and not unknown and written == set(planned), (reported, now)
        else:
            error = reported["error"]
            assert error and "\n" not in error, reported
    applied = all(run.target(cloud.target_id(n))["outcome"] == "applied" for n in before)
    assert run.exit_code == (0 if applied else 1), run.stdout + run.stderr
    return ended
