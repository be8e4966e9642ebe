"""The realistic RDS layer, exercised only through the real boto3 client over HTTP.

Why: the demo and the sandbox trust this layer to answer as Amazon RDS does where cloudtimeouts'
safety depends on it (full catalogue behind pagination, the 20-parameter limit, default groups,
static parameters, allowed values, pending-reboot). Each test would fail against plain moto.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudtimeouts.sandbox.aws_rds import FAMILIES, RealisticRds, family_catalogue

REGION = "eu-west-1"
PG16 = family_catalogue("postgres16")


@pytest.fixture(scope="module")
def layer() -> Iterator[RealisticRds]:
    with RealisticRds(region=REGION) as server:
        yield server


@pytest.fixture
def rds(layer: RealisticRds, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh account, reached the way users reach a custom endpoint."""
    layer.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_RDS", layer.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", layer.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    return boto3.client("rds", region_name=REGION)


def _error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    response = raised.value.response
    return {**response["Error"], "Status": response["ResponseMetadata"]["HTTPStatusCode"]}


def _all_parameters(rds: Any, group: str, **kwargs: Any) -> list[dict[str, Any]]:
    pages = rds.get_paginator("describe_db_parameters").paginate(
        DBParameterGroupName=group, **kwargs
    )
    return [parameter for page in pages for parameter in page["Parameters"]]


def _change(name: str, value: str, method: str = "immediate") -> dict[str, str]:
    return {"ParameterName": name, "ParameterValue": value, "ApplyMethod": method}


def _apply_status(rds: Any, instance: str) -> dict[str, str]:
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=instance)["DBInstances"]
    return {g["DBParameterGroupName"]: g["ParameterApplyStatus"] for g in db["DBParameterGroups"]}


# -- the catalogue ---------------------------------------------------------------------------
def test_every_family_has_the_managed_parameters_with_rds_defaults() -> None:
    required = {"postgres16", "mysql8.0", "mariadb10.11", "aurora-postgresql16", "aurora-mysql8.0"}
    assert required <= set(FAMILIES)
    for name in FAMILIES:
        assert len(family_catalogue(name)) >= 30, name
    assert len(PG16) > 100  # so that one read needs several pages of 100
    keepalive = PG16["tcp_keepalives_idle"]
    assert (keepalive.value, keepalive.source, keepalive.apply_type) == ("300", "system", "dynamic")
    assert PG16["tcp_keepalives_interval"].value == "30"
    assert PG16["tcp_keepalives_count"].value == "2"
    assert PG16["statement_timeout"].value is None  # RDS shows no value: the engine default
    assert PG16["max_connections"].value == "LEAST({DBInstanceClassMemory/9531392},5000)"
    assert PG16["shared_buffers"].apply_type == "static"
    assert family_catalogue("mysql8.0")["innodb_buffer_pool_size"].apply_type == "static"
    assert family_catalogue("mariadb10.11")["max_statement_time"].data_type == "float"
    assert "wait_timeout" in family_catalogue("aurora-mysql8.0")


@pytest.mark.parametrize(
    ("family", "idle_session", "transaction"),
    [("postgres14", True, False), ("postgres16", True, False), ("postgres17", True, True)],
)
def test_version_gated_parameters_appear_only_where_the_engine_has_them(
    family: str, idle_session: bool, transaction: bool
) -> None:
    catalogue = family_catalogue(family)
    assert ("idle_session_timeout" in catalogue) is idle_session
    assert ("transaction_timeout" in catalogue) is transaction


# -- DescribeDBParameters ----------------------------------------------------------------------
def test_a_fresh_group_lists_the_whole_catalogue_across_marker_pages(
    rds: Any, layer: RealisticRds
) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="postgres16", Description="t"
    )
    layer.reset_counters()
    pages = list(
        rds.get_paginator("describe_db_parameters").paginate(
            DBParameterGroupName="orders", PaginationConfig={"PageSize": 20}
        )
    )
    assert len(pages) == math.ceil(len(PG16) / 20) == layer.calls["DescribeDBParameters"]
    assert all(len(page["Parameters"]) == 20 for page in pages[:-1])
    assert all("Marker" in page for page in pages[:-1]) and "Marker" not in pages[-1]
    last = layer.last_params["DescribeDBParameters"]
    assert last["MaxRecords"] == "20" and last["Marker"]
    names = [p["ParameterName"] for page in pages for p in page["Parameters"]]
    assert names == sorted(PG16)
    by_name = {p["ParameterName"]: p for page in pages for p in page["Parameters"]}
    assert "ParameterValue" not in by_name["statement_timeout"]
    assert by_name["shared_buffers"] | {"Description": ""} == {
        "ParameterName": "shared_buffers",
        "ParameterValue": "{DBInstanceClassMemory/32768}",
        "Description": "",
        "Source": "system",
        "ApplyType": "static",
        "DataType": "integer",
        "AllowedValues": "16-1073741823",
        "IsModifiable": True,
        "MinimumEngineVersion": "16.1",
        "ApplyMethod": "pending-reboot",
    }


def test_max_records_defaults_to_100_and_is_bounded(rds: Any) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="postgres16", Description="t"
    )
    first = rds.describe_db_parameters(DBParameterGroupName="orders")
    assert len(first["Parameters"]) == 100 and first["Marker"]
    second = rds.describe_db_parameters(DBParameterGroupName="orders", Marker=first["Marker"])
    assert len(second["Parameters"]) == len(PG16) - 100 and "Marker" not in second
    for bad in (19, 101):
        error = _error(rds.describe_db_parameters, DBParameterGroupName="orders", MaxRecords=bad)
        assert (error["Code"], error["Status"]) == ("InvalidParameterValue", 400)
        assert f"Invalid value {bad} for MaxRecords. Must be between 20 and 100" in error["Message"]
    error = _error(rds.describe_db_parameters, DBParameterGroupName="orders", Marker="bogus")
    assert error["Code"] == "InvalidParameterValue"


def test_the_source_filter_splits_user_system_and_engine_default(rds: Any) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="postgres16", Description="t"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders", Parameters=[_change("statement_timeout", "30000")]
    )
    split = {
        source: {p["ParameterName"] for p in _all_parameters(rds, "orders", Source=source)}
        for source in ("user", "system", "engine-default")
    }
    assert split["user"] == {"statement_timeout"}
    assert "tcp_keepalives_idle" in split["system"] and "work_mem" in split["engine-default"]
    assert sum(map(len, split.values())) == len(PG16)
    error = _error(rds.describe_db_parameters, DBParameterGroupName="orders", Source="mine")
    assert error["Code"] == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("operation", "argument", "kind"),
    [
        ("describe_db_parameters", "DBParameterGroupName", "DBParameterGroup"),
        ("describe_db_parameter_groups", "DBParameterGroupName", "DBParameterGroup"),
        (
            "describe_db_cluster_parameters",
            "DBClusterParameterGroupName",
            "DBClusterParameterGroup",
        ),
        (
            "describe_db_cluster_parameter_groups",
            "DBClusterParameterGroupName",
            "DBClusterParameterGroup",
        ),
    ],
)
def test_an_unknown_group_is_a_404_with_the_rds_error(
    rds: Any, operation: str, argument: str, kind: str
) -> None:
    error = _error(getattr(rds, operation), **{argument: "nope"})
    assert error == {
        "Code": "DBParameterGroupNotFound",
        "Message": f"{kind} not found: nope",
        "Type": "Sender",
        "Status": 404,
    }


# -- groups --------------------------------------------------------------------------------------
def test_default_groups_exist_for_every_family_next_to_created_ones(rds: Any) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="mysql8.0", Description="t"
    )
    pages = rds.get_paginator("describe_db_parameter_groups").paginate(
        PaginationConfig={"PageSize": 20}
    )
    groups = {g["DBParameterGroupName"]: g for page in pages for g in page["DBParameterGroups"]}
    assert {f"default.{family}" for family in FAMILIES} | {"orders"} == set(groups)
    assert groups["orders"]["DBParameterGroupArn"] == f"arn:aws:rds:{REGION}:123456789012:pg:orders"
    (default,) = rds.describe_db_parameter_groups(DBParameterGroupName="default.postgres16")[
        "DBParameterGroups"
    ]
    assert default["DBParameterGroupFamily"] == "postgres16"
    clusters = rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
    names = {g["DBClusterParameterGroupName"] for g in clusters}
    assert {"default.aurora-postgresql16", "default.aurora-mysql8.0"} <= names
    assert "default.mariadb10.11" not in names  # no MariaDB clusters on RDS


def test_engine_defaults_are_the_family_catalogue_paginated(rds: Any) -> None:
    pages = list(
        rds.get_paginator("describe_engine_default_parameters").paginate(
            DBParameterGroupFamily="postgres16", PaginationConfig={"PageSize": 50}
        )
    )
    assert len(pages) == math.ceil(len(PG16) / 50)
    assert all(page["EngineDefaults"]["DBParameterGroupFamily"] == "postgres16" for page in pages)
    names = [p["ParameterName"] for page in pages for p in page["EngineDefaults"]["Parameters"]]
    assert names == sorted(PG16)
    aurora = rds.describe_engine_default_cluster_parameters(
        DBParameterGroupFamily="aurora-postgresql16"
    )["EngineDefaults"]
    assert {p["ParameterName"] for p in aurora["Parameters"]} >= {"idle_session_timeout"}
    error = _error(rds.describe_engine_default_parameters, DBParameterGroupFamily="postgres99")
    assert error["Code"] == "InvalidParameterValue"


def test_create_validates_the_family_and_the_name(rds: Any) -> None:
    error = _error(
        rds.create_db_parameter_group,
        DBParameterGroupName="x",
        DBParameterGroupFamily="postgres16.3",
        Description="t",
    )
    assert error["Code"] == "InvalidParameterValue"
    assert (
        error["Message"]
        == "ParameterGroupFamily postgres16.3 is not a valid parameter group family"
    )
    error = _error(
        rds.create_db_cluster_parameter_group,
        DBClusterParameterGroupName="x",
        DBParameterGroupFamily="mariadb10.11",
        Description="t",
    )
    assert error["Code"] == "InvalidParameterValue"
    rds.create_db_parameter_group(
        DBParameterGroupName="x", DBParameterGroupFamily="mariadb10.11", Description="t"
    )
    for name in ("x", "default.mariadb10.11"):
        error = _error(
            rds.create_db_parameter_group,
            DBParameterGroupName=name,
            DBParameterGroupFamily="mariadb10.11",
            Description="t",
        )
        assert error["Code"] == "DBParameterGroupAlreadyExists"


def test_copy_makes_a_modifiable_group_with_the_source_user_values(rds: Any) -> None:
    copy = rds.copy_db_parameter_group(
        SourceDBParameterGroupIdentifier="default.postgres16",
        TargetDBParameterGroupIdentifier="orders",
        TargetDBParameterGroupDescription="copy of the default",
    )["DBParameterGroup"]
    assert copy["DBParameterGroupFamily"] == "postgres16"
    assert _all_parameters(rds, "orders", Source="user") == []
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders", Parameters=[_change("lock_timeout", "5000")]
    )
    rds.copy_db_parameter_group(
        SourceDBParameterGroupIdentifier=f"arn:aws:rds:{REGION}:123456789012:pg:orders",
        TargetDBParameterGroupIdentifier="orders-2",
        TargetDBParameterGroupDescription="second copy",
    )
    (copied,) = _all_parameters(rds, "orders-2", Source="user")
    assert (copied["ParameterName"], copied["ParameterValue"]) == ("lock_timeout", "5000")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName="aurora",
        DBParameterGroupFamily="aurora-mysql8.0",
        Description="t",
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName="aurora", Parameters=[_change("wait_timeout", "600")]
    )
    rds.copy_db_cluster_parameter_group(
        SourceDBClusterParameterGroupIdentifier="aurora",
        TargetDBClusterParameterGroupIdentifier="aurora-2",
        TargetDBClusterParameterGroupDescription="copy",
    )
    user = rds.describe_db_cluster_parameters(DBClusterParameterGroupName="aurora-2", Source="user")
    assert [p["ParameterValue"] for p in user["Parameters"]] == ["600"]


def test_delete_refuses_defaults_and_groups_in_use(rds: Any, layer: RealisticRds) -> None:
    layer.create_group("orders", "postgres16")
    layer.create_instance("orders-db", "postgres", group="orders")
    for name in ("default.postgres16", "orders"):
        error = _error(rds.delete_db_parameter_group, DBParameterGroupName=name)
        assert error["Code"] == "InvalidDBParameterGroupState"
    layer.create_group("spare", "postgres16")
    rds.delete_db_parameter_group(DBParameterGroupName="spare")
    error = _error(rds.describe_db_parameters, DBParameterGroupName="spare")
    assert error["Code"] == "DBParameterGroupNotFound"


def test_reset_returns_parameters_to_their_defaults(rds: Any, layer: RealisticRds) -> None:
    layer.create_group("orders", "postgres16", {"lock_timeout": "5000", "work_mem": "8192"})
    rds.reset_db_parameter_group(
        DBParameterGroupName="orders", Parameters=[_change("lock_timeout", "", "immediate")]
    )
    assert [p["ParameterName"] for p in _all_parameters(rds, "orders", Source="user")] == [
        "work_mem"
    ]
    rds.reset_db_parameter_group(DBParameterGroupName="orders", ResetAllParameters=True)
    assert _all_parameters(rds, "orders", Source="user") == []


# -- ModifyDBParameterGroup ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("group", "changes", "code", "message"),
    [
        (
            "orders",
            [_change("lock_timeout", str(ms)) for ms in range(21)],
            "InvalidParameterCombination",
            "Cannot modify more than 20 parameters in a single request",
        ),
        (
            "default.postgres16",
            [_change("statement_timeout", "30000")],
            "InvalidParameterValue",
            "Cannot modify a default parameter group.",
        ),
        (
            "orders",
            [_change("wait_timeout", "600")],
            "InvalidParameterValue",
            "Could not find parameter with name: wait_timeout",
        ),
        (
            "orders",
            [_change("shared_buffers", "16384", "immediate")],
            "InvalidParameterCombination",
            "cannot use immediate apply method for static parameter",
        ),
        (
            "orders",
            [_change("statement_timeout", "2147483648")],
            "InvalidParameterValue",
            "Invalid parameter value: 2147483648 for: statement_timeout",
        ),
        (
            "orders",
            [_change("statement_timeout", "30s")],
            "InvalidParameterValue",
            "Invalid parameter value: 30s for: statement_timeout",
        ),
        (
            "orders",
            [_change("full_page_writes", "0")],
            "InvalidParameterValue",
            "full_page_writes cannot be modified",
        ),
    ],
    ids=[
        "21-parameters",
        "default-group",
        "unknown-name",
        "static-immediate",
        "out-of-range",
        "not-a-number",
        "not-modifiable",
    ],
)
def test_modify_refuses_what_rds_refuses_and_writes_nothing(
    rds: Any, group: str, changes: list[dict[str, str]], code: str, message: str
) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="postgres16", Description="t"
    )
    batch = [_change("lock_timeout", "5000"), *changes][: max(len(changes), 2)]
    error = _error(rds.modify_db_parameter_group, DBParameterGroupName=group, Parameters=batch)
    assert (error["Code"], error["Status"]) == (code, 400)
    assert message in error["Message"]
    assert _all_parameters(rds, "orders", Source="user") == []  # all or nothing


def test_modify_sets_source_user_with_the_apply_method_used(rds: Any) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="mariadb10.11", Description="t"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders",
        Parameters=[
            _change("max_statement_time", "2.5"),
            _change("innodb_buffer_pool_size", "{DBInstanceClassMemory*1/2}", "pending-reboot"),
            _change("wait_timeout", "600", "pending-reboot"),
        ],
    )
    user = {p["ParameterName"]: p for p in _all_parameters(rds, "orders", Source="user")}
    assert {name: (p["ParameterValue"], p["ApplyMethod"]) for name, p in user.items()} == {
        "innodb_buffer_pool_size": ("{DBInstanceClassMemory*1/2}", "pending-reboot"),
        "max_statement_time": ("2.5", "immediate"),
        "wait_timeout": ("600", "pending-reboot"),
    }


def test_a_static_change_leaves_the_instances_using_the_group_pending_reboot(
    rds: Any, layer: RealisticRds
) -> None:
    layer.create_group("orders", "postgres16")
    layer.create_group("other", "postgres16")
    layer.create_instance("orders-db", "postgres", group="orders")
    layer.create_instance("other-db", "postgres", group="other")
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders", Parameters=[_change("statement_timeout", "30000")]
    )
    assert _apply_status(rds, "orders-db") == {"orders": "in-sync"}  # dynamic + immediate
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders",
        Parameters=[_change("shared_buffers", "65536", "pending-reboot")],
    )
    assert _apply_status(rds, "orders-db") == {"orders": "pending-reboot"}
    assert _apply_status(rds, "other-db") == {"other": "in-sync"}
    assert layer.pending_reboot() == {"orders-db"}
    rds.reboot_db_instance(DBInstanceIdentifier="orders-db")
    assert _apply_status(rds, "orders-db") == {"orders": "in-sync"}


def test_a_cluster_group_change_leaves_members_pending_until_the_cluster_reboots(
    rds: Any, layer: RealisticRds
) -> None:
    layer.create_group("search", "aurora-postgresql16", cluster=True)
    layer.create_cluster("search", "aurora-postgresql", "search", members=2)
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName="search",
        Parameters=[_change("idle_session_timeout", "600000", "pending-reboot")],
    )

    def statuses() -> set[str]:
        (cluster,) = rds.describe_db_clusters(DBClusterIdentifier="search")["DBClusters"]
        return {m["DBClusterParameterGroupStatus"] for m in cluster["DBClusterMembers"]}

    assert statuses() == {"pending-reboot"}
    rds.reboot_db_cluster(DBClusterIdentifier="search")
    assert statuses() == {"in-sync"}


def test_instances_and_clusters_must_name_a_fitting_existing_group(
    rds: Any, layer: RealisticRds
) -> None:
    layer.create_group("pg15", "postgres15")
    error = _error(
        rds.create_db_instance,
        DBInstanceIdentifier="db",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.3",
        DBParameterGroupName="pg15",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="sandbox-only-1",
    )
    assert error["Code"] == "InvalidParameterCombination"
    assert "Please use a Parameter Group with DBParameterGroupFamily postgres16" in error["Message"]
    error = _error(
        rds.create_db_cluster,
        DBClusterIdentifier="c",
        Engine="aurora-postgresql",
        EngineVersion="16.4",
        DBClusterParameterGroupName="missing",
        MasterUsername="app",
        MasterUserPassword="sandbox-only-1",
    )
    assert (error["Code"], error["Status"]) == ("DBClusterParameterGroupNotFound", 404)


def test_sts_and_other_services_reach_moto(rds: Any, layer: RealisticRds) -> None:
    sts = boto3.client("sts", region_name=REGION)
    role = "arn:aws:iam::123456789012:role/cloudtimeouts"
    assumed = sts.assume_role(RoleArn=role, RoleSessionName="tests")["Credentials"]
    assert assumed["AccessKeyId"]
    assert rds.describe_db_instances()["DBInstances"] == []


# -- cloudtimeouts on the layer ------------------------------------------------------------------
def _profile(directory: Path, server: str, target: str, engine: str = "postgres") -> Path:
    path = directory / "orders.yaml"
    path.write_text(
        f"name: orders\nengine: {engine}\ndjango:\n  conn_max_age: 5min\n"
        f"server:\n{server}targets:\n  - provider: aws\n    region: {REGION}\n    {target}\n"
    )
    return path


SERVER = "  idle_session_timeout: 10min\n  statement_timeout: 30s\n  tcp_keepalives_idle: 60s\n"


def test_the_tool_reads_every_page_and_applies_immediately(
    cli: Any, rds: Any, layer: RealisticRds, tmp_path: Path
) -> None:
    layer.create_group("orders-pg16", "postgres16", {"work_mem": "8192"})
    layer.create_instance("orders-db", "postgres", group="orders-pg16")
    profile = _profile(tmp_path, SERVER, "parameter_group: orders-pg16")
    layer.reset_counters()
    plan = cli("plan", profile, "--output", "json")
    assert plan.exit_code == 0, plan.stderr
    reads = layer.calls["DescribeDBParameters"]
    assert reads == math.ceil(len(PG16) / 100) >= 2
    assert layer.last_params["DescribeDBParameters"]["MaxRecords"] == "100"
    assert layer.last_params["DescribeDBParameters"]["Marker"]
    (target,) = json.loads(plan.stdout)["targets"]
    changes = {c["parameter"]: c for c in target["changes"]}
    assert (changes["tcp_keepalives_idle"]["current"], changes["tcp_keepalives_idle"]["apply"]) == (
        "300",
        "immediate",
    )
    assert changes["idle_session_timeout"]["current_source"] == "default"

    applied = cli("apply", profile, "--yes")
    assert applied.exit_code == 0, applied.stderr + applied.stdout
    user = {p["ParameterName"]: p for p in _all_parameters(rds, "orders-pg16", Source="user")}
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
    layer: RealisticRds,
    tmp_path: Path,
    family: str,
    engine: str,
    server: str,
    target: str,
) -> None:
    layer.create_group("g", family, cluster=target.startswith("cluster"))
    profile = _profile(tmp_path, server, target, engine)
    applied = cli("apply", profile, "--yes")
    assert applied.exit_code == 0, applied.stderr + applied.stdout
    assert cli("plan", profile, "--detailed-exitcode").exit_code == 0
    assert (
        layer.calls[
            "ModifyDBClusterParameterGroup" if "cluster" in target else "ModifyDBParameterGroup"
        ]
        == 1
    )
