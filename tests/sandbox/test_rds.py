"""The RDS emulator on the wire, exercised only through the real boto3 client over HTTP.

Why: the demo and the tests trust this emulator to answer as Amazon RDS does where cloudtimeouts'
safety depends on it (full catalogue behind pagination, the 20-parameter limit, default groups,
static parameters, allowed values, pending-reboot, requests applied whole or not at all, and the
throttling / 5xx answers botocore retries). Each test would fail against plain moto.
"""

from __future__ import annotations

import math
import threading
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from support import vendor

from cloudtimeouts.sandbox.loopback import Fault
from cloudtimeouts.sandbox.rds import FAMILIES, RealisticRds, family_catalogue

REGION = "eu-west-1"
PG16 = family_catalogue("postgres16")


@pytest.fixture
def rds(aws: RealisticRds, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 client of a fresh account, reached the way users reach a custom endpoint."""
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


# -- DescribeDBParameters ----------------------------------------------------------------------
def test_a_fresh_group_lists_the_whole_catalogue_across_marker_pages(
    rds: Any, aws: RealisticRds
) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="postgres16", Description="t"
    )
    aws.reset_counters()
    pages = list(
        rds.get_paginator("describe_db_parameters").paginate(
            DBParameterGroupName="orders", PaginationConfig={"PageSize": 20}
        )
    )
    assert len(pages) == math.ceil(len(PG16) / 20) == aws.calls["DescribeDBParameters"]
    assert all(len(page["Parameters"]) == 20 for page in pages[:-1])
    assert all("Marker" in page for page in pages[:-1]) and "Marker" not in pages[-1]
    last = aws.last_params["DescribeDBParameters"]
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
    documented = vendor.rds_doc("DescribeDBParametersMessage", "MaxRecords")
    assert "Default: 100" in documented and "Constraints: Minimum 20, maximum 100." in documented
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
    documented = vendor.rds_doc("DescribeDBParametersMessage", "Source")
    assert "Valid Values: user | system | engine-default" in documented
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
    operation_name = "".join(part.title() for part in operation.split("_")).replace("Db", "DB")
    assert "DBParameterGroupNotFound" in vendor.rds_errors(operation_name)
    assert vendor.rds_error("DBParameterGroupNotFoundFault") == ("DBParameterGroupNotFound", 404)
    error = _error(getattr(rds, operation), **{argument: "nope"})
    assert error == {
        "Code": "DBParameterGroupNotFound",
        "Message": f"{kind} not found: nope",
        "Type": "Sender",
        "Status": 404,
    }


# -- groups --------------------------------------------------------------------------------------
def test_emulator_stores_group_names_in_lower_case_and_finds_them_in_any_case(rds: Any) -> None:
    documented = vendor.rds_doc("CreateDBParameterGroupMessage", "DBParameterGroupName")
    assert "This value is stored as a lowercase string." in documented
    rds.create_db_parameter_group(
        DBParameterGroupName="Orders-PG16", DBParameterGroupFamily="postgres16", Description="t"
    )
    (group,) = rds.describe_db_parameter_groups(DBParameterGroupName="ORDERS-pg16")[
        "DBParameterGroups"
    ]
    assert group["DBParameterGroupName"] == "orders-pg16"
    rds.modify_db_parameter_group(
        DBParameterGroupName="Orders-PG16",
        Parameters=[_change("idle_session_timeout", "600000")],
    )
    rows = _all_parameters(rds, "orders-pg16", Source="user")
    assert [(r["ParameterName"], r["ParameterValue"]) for r in rows] == [
        ("idle_session_timeout", "600000")
    ]


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


def test_delete_refuses_defaults_and_groups_in_use(rds: Any, aws: RealisticRds) -> None:
    documented = vendor.rds_operation_doc("DeleteDBParameterGroup")
    assert "can't be associated with any DB instances" in documented
    assert "InvalidDBParameterGroupState" in vendor.rds_errors("DeleteDBParameterGroup")
    aws.create_group("orders", "postgres16")
    aws.create_instance("orders-db", "postgres", group="orders")
    for name in ("default.postgres16", "orders"):
        error = _error(rds.delete_db_parameter_group, DBParameterGroupName=name)
        assert error["Code"] == "InvalidDBParameterGroupState"
    aws.create_group("spare", "postgres16")
    rds.delete_db_parameter_group(DBParameterGroupName="spare")
    error = _error(rds.describe_db_parameters, DBParameterGroupName="spare")
    assert error["Code"] == "DBParameterGroupNotFound"


def test_reset_returns_parameters_to_their_defaults(rds: Any, aws: RealisticRds) -> None:
    assert "to the engine/system default value" in vendor.rds_operation_doc("ResetDBParameterGroup")
    aws.create_group("orders", "postgres16", {"lock_timeout": "5000", "work_mem": "8192"})
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
def test_the_rds_emulator_refuses_these_modifications_and_writes_nothing(
    rds: Any, group: str, changes: list[dict[str, str]], code: str, message: str
) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders", DBParameterGroupFamily="postgres16", Description="t"
    )
    # botocore's model documents only the first refusal ("A maximum of 20 parameters can be
    # modified in a single request"); the codes and messages are the emulator's, after AWS's
    # answers as users report them.
    if len(changes) > 20:
        assert "A maximum of 20 parameters can be modified in a single request." in (
            vendor.rds_operation_doc("ModifyDBParameterGroup")
        )
    batch = [_change("lock_timeout", "5000"), *changes][: max(len(changes), 2)]
    error = _error(rds.modify_db_parameter_group, DBParameterGroupName=group, Parameters=batch)
    assert (error["Code"], error["Status"]) == (code, 400)
    assert message in error["Message"]
    assert _all_parameters(rds, "orders", Source="user") == []  # all or nothing


def test_modify_sets_source_user_with_the_apply_method_used(rds: Any) -> None:
    assert vendor.rds().shape_for("ApplyMethod").enum == ["immediate", "pending-reboot"]
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
    rds: Any, aws: RealisticRds
) -> None:
    documented = vendor.rds_doc("ModifyDBParameterGroupMessage", "Parameters")
    assert "You can use the immediate value with dynamic parameters only." in documented
    aws.create_group("orders", "postgres16")
    aws.create_group("other", "postgres16")
    aws.create_instance("orders-db", "postgres", group="orders")
    aws.create_instance("other-db", "postgres", group="other")
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
    assert aws.pending_reboot() == {"orders-db"}
    rds.reboot_db_instance(DBInstanceIdentifier="orders-db")
    assert _apply_status(rds, "orders-db") == {"orders": "in-sync"}


def test_a_cluster_group_change_leaves_members_pending_until_the_cluster_reboots(
    rds: Any, aws: RealisticRds
) -> None:
    assert "Changes to static parameters are applied only after the DB cluster is rebooted" in (
        vendor.rds_operation_doc("ModifyDBClusterParameterGroup")
    )
    aws.create_group("search", "aurora-postgresql16", cluster=True)
    aws.create_cluster("search", "aurora-postgresql", "search", members=2)
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
    rds: Any, aws: RealisticRds
) -> None:
    aws.create_group("pg15", "postgres15")
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


def test_sts_and_other_services_reach_moto(rds: Any, aws: RealisticRds) -> None:
    sts = boto3.client("sts", region_name=REGION)
    role = "arn:aws:iam::123456789012:role/cloudtimeouts"
    assumed = sts.assume_role(RoleArn=role, RoleSessionName="tests")["Credentials"]
    assert assumed["AccessKeyId"]
    assert rds.describe_db_instances()["DBInstances"] == []


# -- whole or nothing ------------------------------------------------------------------------------
def test_a_reset_naming_an_unknown_parameter_resets_nothing(rds: Any, aws: RealisticRds) -> None:
    aws.create_group("orders", "postgres16", {"lock_timeout": "5000", "work_mem": "8192"})
    error = _error(
        rds.reset_db_parameter_group,
        DBParameterGroupName="orders",
        Parameters=[_change("lock_timeout", "", "immediate"), _change("nope", "", "immediate")],
    )
    assert error["Message"] == "Could not find parameter with name: nope"
    assert set(aws.parameters("orders", source="user")) == {"lock_timeout", "work_mem"}


def test_the_emulator_applies_concurrent_modifies_each_whole(aws: RealisticRds) -> None:
    aws.create_group("orders", "postgres16")
    names = ["statement_timeout", "lock_timeout", "idle_session_timeout", "tcp_user_timeout"]

    def write(value: str) -> None:
        aws.set_parameters("orders", dict.fromkeys(names, value))

    threads = [threading.Thread(target=write, args=(str(n * 1000),)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    values = {row["ParameterValue"] for row in aws.parameters("orders", source="user").values()}
    assert len(values) == 1  # the last request won for every name: no mix of two requests


# -- injected faults, as AWS answers them ----------------------------------------------------------
def _raw_post(url: str, body: bytes, service: str = "rds") -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKID/20240101/{REGION}/{service}/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize(
    ("fault", "status", "code", "kind"),
    [
        (Fault.THROTTLE, 400, "Throttling", "Sender"),
        (Fault.SERVER_ERROR, 500, "InternalFailure", "Receiver"),
        (Fault.LOST_RESPONSE, 503, "ServiceUnavailable", "Receiver"),
    ],
)
def test_faults_answer_with_the_query_protocol_error_document(
    aws: RealisticRds, fault: Fault, status: int, code: str, kind: str
) -> None:
    metadata = vendor.rds().metadata
    assert (metadata["protocol"], metadata["apiVersion"]) == ("query", "2014-10-31")
    assert metadata["xmlNamespace"] == "http://rds.amazonaws.com/doc/2014-10-31/"
    aws.faults.add(fault, operation="DescribeDBParameterGroups", nth=1)
    answer = _raw_post(aws.url, b"Action=DescribeDBParameterGroups&Version=2014-10-31")
    assert answer[0] == status
    assert b'<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">' in answer[1]
    assert f"<Type>{kind}</Type><Code>{code}</Code>".encode() in answer[1]
    if fault is Fault.THROTTLE:
        assert b"<Message>Rate exceeded</Message>" in answer[1]
    assert b"<RequestId>" in answer[1]
    sts = _raw_post(aws.url, b"Action=GetCallerIdentity&Version=2011-06-15", "sts")
    assert sts[0] == 200  # the rule fired once, on its own operation


@pytest.mark.parametrize("fault", [Fault.THROTTLE, Fault.SERVER_ERROR, Fault.LOST_RESPONSE])
def test_botocore_retries_each_fault_and_succeeds(aws: RealisticRds, fault: Fault) -> None:
    retrying = boto3.client(
        "rds",
        region_name=REGION,
        endpoint_url=aws.url,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )
    aws.faults.add(fault, operation="DescribeDBParameterGroups", nth=1)
    answer = retrying.describe_db_parameter_groups(DBParameterGroupName="default.postgres16")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert aws.calls["DescribeDBParameterGroups"] == 2


def test_a_lost_response_was_processed_and_a_throttled_request_was_not(
    rds: Any, aws: RealisticRds
) -> None:
    aws.create_group("orders", "postgres16")
    aws.faults.add(Fault.LOST_RESPONSE, operation="ModifyDBParameterGroup", nth=1)
    # nth counts the calls a rule sees; the first rule that fires hides the call from the rest.
    aws.faults.add(Fault.THROTTLE, operation="ModifyDBParameterGroup", nth=1)
    first = _error(
        rds.modify_db_parameter_group,
        DBParameterGroupName="orders",
        Parameters=[_change("lock_timeout", "5000")],
    )
    assert (first["Code"], first["Status"]) == ("ServiceUnavailable", 503)
    second = _error(
        rds.modify_db_parameter_group,
        DBParameterGroupName="orders",
        Parameters=[_change("statement_timeout", "30000")],
    )
    assert (second["Code"], second["Status"]) == ("Throttling", 400)
    assert set(aws.parameters("orders", source="user")) == {"lock_timeout"}


def test_sts_faults_use_the_sts_namespace(aws: RealisticRds) -> None:
    aws.faults.add(Fault.THROTTLE, operation="AssumeRole", nth=1)
    status, body = _raw_post(aws.url, b"Action=AssumeRole&Version=2011-06-15", "sts")
    assert status == 400
    assert b'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in body
    assert [request.operation for request in aws.requests] == ["AssumeRole"]
