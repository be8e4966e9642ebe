"""cloudtimeouts against the RDS emulator: the tool reads every page, applies, and is refused
where RDS refuses. Only the CLI's entry point and the real boto3 client are used."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import boto3
import pytest

from cloudtimeouts.sandbox.loopback import Fault
from cloudtimeouts.sandbox.rds import RealisticRds, family_catalogue

REGION = "eu-west-1"
PG16 = family_catalogue("postgres16")


@pytest.fixture
def rds(aws: RealisticRds) -> Any:
    return boto3.client("rds", region_name=REGION)


def _change(name: str, value: str, method: str = "immediate") -> dict[str, str]:
    return {"ParameterName": name, "ParameterValue": value, "ApplyMethod": method}


def _apply_status(rds: Any, instance: str) -> dict[str, str]:
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
    return {g["DBParameterGroupName"]: g["ParameterApplyStatus"] for g in db["DBParameterGroups"]}


def _profile(directory: Path, server: str, target: str, engine: str = "postgres") -> Path:
    path = directory / "orders.yaml"
    path.write_text(
        f"name: orders\nengine: {engine}\ndjango:\n  conn_max_age: 5min\n"
        f"server:\n{server}targets:\n  - provider: aws\n    region: {REGION}\n    {target}\n"
    )
    return path


SERVER = "  idle_session_timeout: 10min\n  statement_timeout: 30s\n  tcp_keepalives_idle: 60s\n"


def test_the_tool_reads_every_page_and_applies_immediately(
    cli: Any, rds: Any, aws: RealisticRds, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16", {"work_mem": "8192"})
    aws.create_instance("orders-db", "postgres", group="orders-pg16")
    profile = _profile(tmp_path, SERVER, "parameter_group: orders-pg16")
    aws.reset_counters()
    plan = cli("plan", profile, "--output", "json")
    assert plan.exit_code == 0, plan.stderr
    reads = aws.calls["DescribeDBParameters"]
    assert reads == math.ceil(len(PG16) / 100) >= 2
    assert aws.last_params["DescribeDBParameters"]["MaxRecords"] == "100"
    assert aws.last_params["DescribeDBParameters"]["Marker"]
    (target,) = json.loads(plan.stdout)["targets"]
    changes = {c["parameter"]: c for c in target["changes"]}
    assert (changes["tcp_keepalives_idle"]["current"], changes["tcp_keepalives_idle"]["apply"]) == (
        "300",
        "immediate",
    )
    assert changes["idle_session_timeout"]["current_source"] == "default"

    applied = cli("apply", profile, "--yes")
    assert applied.exit_code == 0, applied.stderr + applied.stdout
    user = aws.parameters("orders-pg16", source="user")
    assert {name: p["ParameterValue"] for name, p in user.items()} == {
        "idle_session_timeout": "600000",
        "statement_timeout": "30000",
        "tcp_keepalives_idle": "60",
        "work_mem": "8192",  # a parameter the profile does not name stays as it was
    }
    assert {p["ApplyMethod"] for name, p in user.items() if name != "work_mem"} == {"immediate"}
    assert _apply_status(rds, "orders-db") == {"orders-pg16": "in-sync"}

    # A static change made outside the tool shows on the instance; the tool's plan stays empty.
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders-pg16",
        Parameters=[_change("shared_buffers", "65536", "pending-reboot")],
    )
    assert _apply_status(rds, "orders-db") == {"orders-pg16": "pending-reboot"}
    replan = cli("plan", profile, "--detailed-exitcode")
    assert replan.exit_code == 0, replan.stdout


def test_the_tool_refuses_a_default_group_and_its_hint_works(
    cli: Any, rds: Any, tmp_path: Path
) -> None:
    default = _profile(tmp_path, SERVER, "parameter_group: default.postgres16")
    result = cli("plan", default, "--output", "json")
    assert result.exit_code == 1
    (target,) = json.loads(result.stdout)["targets"]
    assert "AWS does not allow modifying default groups" in target["error"]
    assert "copy-db-parameter-group" in target["error"]
    rds.copy_db_parameter_group(
        SourceDBParameterGroupIdentifier="default.postgres16",
        TargetDBParameterGroupIdentifier="orders-pg16",
        TargetDBParameterGroupDescription="custom copy",
    )
    custom = _profile(tmp_path, SERVER, "parameter_group: orders-pg16")
    assert cli("plan", custom, "--detailed-exitcode").exit_code == 2


@pytest.mark.parametrize(
    ("family", "engine", "server", "target"),
    [
        ("mysql8.0", "mysql", "  wait_timeout: 10min\n", "parameter_group: g"),
        ("mariadb10.11", "mariadb", "  max_statement_time: 2500ms\n", "parameter_group: g"),
        (
            "aurora-postgresql16",
            "postgres",
            "  idle_session_timeout: 20min\n",
            "cluster_parameter_group: g",
        ),
        ("aurora-mysql8.0", "mysql", "  interactive_timeout: 1h\n", "cluster_parameter_group: g"),
    ],
)
def test_the_tool_applies_to_every_kind_of_group(
    cli: Any,
    rds: Any,
    aws: RealisticRds,
    tmp_path: Path,
    family: str,
    engine: str,
    server: str,
    target: str,
) -> None:
    aws.create_group("g", family, cluster=target.startswith("cluster"))
    profile = _profile(tmp_path, server, target, engine)
    applied = cli("apply", profile, "--yes")
    assert applied.exit_code == 0, applied.stderr + applied.stdout
    assert cli("plan", profile, "--detailed-exitcode").exit_code == 0
    assert (
        aws.calls[
            "ModifyDBClusterParameterGroup" if "cluster" in target else "ModifyDBParameterGroup"
        ]
        == 1
    )


def test_the_tool_rides_out_a_throttled_read(cli: Any, aws: RealisticRds, tmp_path: Path) -> None:
    aws.create_group("orders-pg16", "postgres16")
    aws.faults.add(Fault.THROTTLE, operation="DescribeDBParameters", nth=1)
    plan = cli("plan", _profile(tmp_path, SERVER, "parameter_group: orders-pg16"))
    assert plan.exit_code == 0, plan.stderr
    assert aws.faults.fired == [("DescribeDBParameters", Fault.THROTTLE)]
