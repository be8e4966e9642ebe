"""The Cloud SQL emulator's REST methods, exercised through the real google-cloud-sql client.

Why: the GCP adapter's tests trust this emulator; these tests pin that it speaks the wire protocol
the real client speaks (paths, `$alt=json;enum-encoding=int`, int64-as-string, Google error
bodies, ADC token refresh) and behaves like Cloud SQL where the tool's safety depends on it (flag
lists replace, stale settingsVersion is refused, operations take time and run one at a time).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth
import pytest
from google.api_core import exceptions as gexc
from google.auth.credentials import Credentials
from google.cloud import sqladmin_v1beta4 as sql

from cloudtimeouts.sandbox.cloudsql import ENUM_VALUES, FakeCloudSql
from cloudtimeouts.sandbox.cloudsql.wire import ApiError

PROJECT = "acme-prod"
INT32_MAX = 2_147_483_647


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCloudSql]:
    with FakeCloudSql() as server:
        yield server


@pytest.fixture(scope="module")
def credentials(fake: FakeCloudSql, tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    """Credentials from the standard ADC chain, pointed at the emulator's ADC file."""
    adc = fake.write_adc_file(tmp_path_factory.mktemp("adc") / "adc.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
        mp.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
        creds, _project = google.auth.default()
    return creds


@pytest.fixture(scope="module")
def options(fake: FakeCloudSql) -> dict[str, str]:
    # The REST transport keeps an explicit scheme in the endpoint, so plain http works.
    return {"api_endpoint": fake.base_url}


@pytest.fixture(scope="module")
def instances(credentials: Credentials, options: dict[str, str]) -> sql.SqlInstancesServiceClient:
    return sql.SqlInstancesServiceClient(
        credentials=credentials, transport="rest", client_options=options
    )


@pytest.fixture(scope="module")
def operations(credentials: Credentials, options: dict[str, str]) -> sql.SqlOperationsServiceClient:
    return sql.SqlOperationsServiceClient(
        credentials=credentials, transport="rest", client_options=options
    )


@pytest.fixture(scope="module")
def flags_client(credentials: Credentials, options: dict[str, str]) -> sql.SqlFlagsServiceClient:
    return sql.SqlFlagsServiceClient(
        credentials=credentials, transport="rest", client_options=options
    )


def _patch_flags(
    client: sql.SqlInstancesServiceClient,
    name: str,
    flags: dict[str, str],
    settings_version: int | None = None,
    project: str = PROJECT,
) -> sql.Operation:
    settings = sql.Settings(
        database_flags=[sql.DatabaseFlags(name=k, value=v) for k, v in flags.items()]
    )
    if settings_version is not None:
        settings.settings_version = settings_version
    request = sql.SqlInstancesPatchRequest(
        project=project, instance=name, body=sql.DatabaseInstance(settings=settings)
    )
    return client.patch(request=request, timeout=5)


def _wait(operations: sql.SqlOperationsServiceClient, op: sql.Operation) -> sql.Operation:
    for _ in range(10):
        op = operations.get(request={"project": op.target_project, "operation": op.name}, timeout=5)
        if op.status == sql.Operation.SqlOperationStatus.DONE:
            return op
    raise AssertionError(f"operation {op.name} never finished")


def _raw(
    fake: FakeCloudSql, path: str, token: str | None = None, method: str = "GET"
) -> tuple[int, dict[str, Any], Any]:
    """A plain HTTP call, for what the client library would hide (headers, 401s, raw JSON)."""
    request = urllib.request.Request(fake.base_url + path, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def test_get_instance_through_the_real_client(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "get-db", "POSTGRES_16", flags={"statement_timeout": "30000"})

    got = instances.get(request={"project": PROJECT, "instance": "get-db"}, timeout=5)

    assert got.name == "get-db"
    assert got.project == PROJECT
    assert got.database_version == sql.SqlDatabaseVersion.POSTGRES_16
    assert got.state == sql.DatabaseInstance.SqlInstanceState.RUNNABLE
    assert got.instance_type == sql.SqlInstanceType.CLOUD_SQL_INSTANCE
    assert got.settings.settings_version == 1
    assert [(f.name, f.value) for f in got.settings.database_flags] == [
        ("statement_timeout", "30000")
    ]
    assert got.self_link == f"{fake.base_url}/sql/v1beta4/projects/{PROJECT}/instances/get-db"
    sent = [r for r in fake.requests if r.path.endswith("/instances/get-db")][-1]
    assert (sent.method, sent.operation) == ("GET", "instances.get")
    assert sent.header("authorization").startswith("Bearer ya29.")
    assert sent.query_value("$alt") == "json;enum-encoding=int"


def test_token_endpoint_saw_the_refresh_grant(
    fake: FakeCloudSql, credentials: Credentials, instances: sql.SqlInstancesServiceClient
) -> None:
    # a call through the client of its own: refreshes the token if no earlier test of this
    # module did on this worker (pytest-xdist spreads a module over several)
    fake.add_instance(PROJECT, "token-db", "POSTGRES_16")
    instances.get(request={"project": PROJECT, "instance": "token-db"}, timeout=5)
    assert credentials.token
    grants = [r for r in fake.requests if r.operation == "oauth.token"]
    assert grants, "the client never asked the emulator for a token"
    form = {k: v[-1] for k, v in urllib.parse.parse_qs(grants[0].body.decode()).items()}
    assert form == {"grant_type": "refresh_token", "refresh_token": fake.refresh_token}
    assert grants[0].header("authorization").startswith("Basic ")


def test_enum_numbers_match_the_client_library() -> None:
    proto_enums = {
        "databaseVersion": sql.SqlDatabaseVersion,
        "appliesTo": sql.SqlDatabaseVersion,
        "state": sql.DatabaseInstance.SqlInstanceState,
        "instanceType": sql.SqlInstanceType,
        "backendType": sql.SqlBackendType,
        "activationPolicy": sql.Settings.SqlActivationPolicy,
        "availabilityType": sql.SqlAvailabilityType,
        "pricingPlan": sql.SqlPricingPlan,
        "dataDiskType": sql.SqlDataDiskType,
        "status": sql.Operation.SqlOperationStatus,
        "operationType": sql.Operation.SqlOperationType,
        "type": sql.SqlFlagType,
        "flagScope": sql.SqlFlagScope,
    }
    assert set(proto_enums) == set(ENUM_VALUES)
    for field, table in ENUM_VALUES.items():
        for name, number in table.items():
            assert proto_enums[field][name].value == number, (field, name)


def test_enum_encoding_follows_the_alt_parameter(
    fake: FakeCloudSql, credentials: Credentials
) -> None:
    fake.add_instance(PROJECT, "enum-db", "MYSQL_8_0")
    path = f"/sql/v1beta4/projects/{PROJECT}/instances/enum-db"

    _, _, names = _raw(fake, path, credentials.token)
    _, _, numbers = _raw(fake, path + "?%24alt=json%3Benum-encoding%3Dint", credentials.token)

    assert (names["state"], names["databaseVersion"]) == ("RUNNABLE", "MYSQL_8_0")
    assert (numbers["state"], numbers["databaseVersion"]) == (1, 20)
    assert names["settings"]["settingsVersion"] == "1"  # int64 travels as a JSON string
    assert (names["settings"]["pricingPlan"], numbers["settings"]["pricingPlan"]) == ("PER_USE", 2)


def test_v1_paths_are_served_too(fake: FakeCloudSql, credentials: Credentials) -> None:
    fake.add_instance(PROJECT, "v1-db", "POSTGRES_15")

    status, _, body = _raw(fake, f"/v1/projects/{PROJECT}/instances/v1-db", credentials.token)
    _, _, flags = _raw(fake, "/v1/flags?databaseVersion=POSTGRES_15", credentials.token)

    assert status == 200
    assert body["kind"] == "sql#instance"
    assert body["selfLink"].endswith(f"/v1/projects/{PROJECT}/instances/v1-db")
    assert flags["kind"] == "sql#flagsList" and flags["items"]


def test_the_emulator_lists_instances_page_by_page_with_settings_and_flags(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance("paging-project", "page-a", "POSTGRES_14", {"lock_timeout": "5000"})
    fake.add_instance("paging-project", "page-b", "MYSQL_8_4", {"wait_timeout": "600"})
    fake.add_instance("paging-project", "page-c", "POSTGRES_17")
    fake.add_instance("other-project", "page-z", "POSTGRES_17")

    pager = instances.list(
        request=sql.SqlInstancesListRequest(project="paging-project", max_results=2), timeout=5
    )

    # The generated ListPager iterates `warnings`, not `items` (its first repeated field), so
    # callers must walk `.pages`; nextPageToken drives that walk.
    listed = [i for page in pager.pages for i in page.items]
    assert [i.name for i in listed] == ["page-a", "page-b", "page-c"]
    assert {i.name: {f.name: f.value for f in i.settings.database_flags} for i in listed} == {
        "page-a": {"lock_timeout": "5000"},
        "page-b": {"wait_timeout": "600"},
        "page-c": {},
    }
    assert all(i.settings.settings_version == 1 for i in listed)
    calls = [r for r in fake.requests if r.path.endswith("/paging-project/instances")]
    assert [r.operation for r in calls] == ["instances.list", "instances.list"]
    assert calls[1].query_value("pageToken")


def test_the_emulators_flags_list_carries_ranges_restart_and_string_values(
    flags_client: sql.SqlFlagsServiceClient,
) -> None:
    def listed(version: str) -> dict[str, sql.Flag]:
        answer = flags_client.list(request={"database_version": version}, timeout=5)
        return {flag.name: flag for flag in answer.items}

    pg, mysql = listed("POSTGRES_16"), listed("MYSQL_8_0")

    idle = pg["idle_in_transaction_session_timeout"]
    assert idle.type_ == sql.SqlFlagType.INTEGER
    assert (idle.min_value, idle.max_value, idle.requires_restart) == (0, INT32_MAX, False)
    assert sql.SqlDatabaseVersion.POSTGRES_16 in idle.applies_to
    assert pg["max_connections"].requires_restart is True
    assert pg["cloudsql.iam_authentication"].type_ == sql.SqlFlagType.BOOLEAN
    assert list(pg["log_statement"].allowed_string_values) == ["none", "ddl", "mod", "all"]
    assert "wait_timeout" not in pg
    # Values of cloud.google.com/sql/docs/mysql/flags, as the page states them.
    assert (mysql["wait_timeout"].min_value, mysql["wait_timeout"].max_value) == (1, 31_536_000)
    assert (mysql["net_read_timeout"].min_value, mysql["net_write_timeout"].min_value) == (30, 60)
    assert mysql["max_execution_time"].max_value == 9_223_372_036_854_775_807
    assert mysql["performance_schema"].requires_restart is True
    assert mysql["max_connections"].requires_restart is False
    assert mysql["long_query_time"].type_ == sql.SqlFlagType.FLOAT
    assert "idle_session_timeout" not in mysql and "cloudsql.iam_authentication" not in mysql


@pytest.mark.parametrize(
    ("flag", "offered", "not_offered"),
    [
        ("idle_session_timeout", ["POSTGRES_14", "POSTGRES_18"], ["POSTGRES_13"]),
        ("transaction_timeout", ["POSTGRES_17"], ["POSTGRES_16"]),
        ("default_authentication_plugin", ["MYSQL_8_0"], ["MYSQL_8_4", "MYSQL_5_7"]),
    ],
)
def test_the_emulators_flags_list_applies_the_version_gates(
    flags_client: sql.SqlFlagsServiceClient, flag: str, offered: list[str], not_offered: list[str]
) -> None:
    def names(version: str) -> set[str]:
        answer = flags_client.list(request={"database_version": version}, timeout=5)
        return {f.name for f in answer.items}

    assert all(flag in names(version) for version in offered)
    assert not any(flag in names(version) for version in not_offered)
    everything = flags_client.list(request={}, timeout=5).items
    assert len([f for f in everything if f.name == flag]) == 1


def test_the_emulators_patch_replaces_the_whole_flag_list_and_bumps_settings_version(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(
        PROJECT, "patch-db", "POSTGRES_16", flags={"statement_timeout": "0", "lock_timeout": "0"}
    )

    op = _patch_flags(instances, "patch-db", {"idle_session_timeout": "600000"}, 1)

    assert op.operation_type == sql.Operation.SqlOperationType.UPDATE
    assert fake.flags(PROJECT, "patch-db") == {"statement_timeout": "0", "lock_timeout": "0"}
    done = _wait(operations, op)
    assert not done.error.errors
    assert fake.flags(PROJECT, "patch-db") == {"idle_session_timeout": "600000"}
    got = instances.get(request={"project": PROJECT, "instance": "patch-db"}, timeout=5)
    assert got.settings.settings_version == 2
    sent = [r for r in fake.requests if r.operation == "instances.patch"][-1]
    assert json.loads(sent.body)["settings"]["settingsVersion"] == "1"


def test_the_emulators_patch_without_flags_keeps_them(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "tier-db", "MYSQL_8_4", flags={"wait_timeout": "600"})
    request = sql.SqlInstancesPatchRequest(
        project=PROJECT,
        instance="tier-db",
        body=sql.DatabaseInstance(
            settings=sql.Settings(availability_type=sql.SqlAvailabilityType.REGIONAL)
        ),
    )

    _wait(operations, instances.patch(request=request, timeout=5))

    stored = fake.instance(PROJECT, "tier-db")["settings"]
    assert stored["availabilityType"] == "REGIONAL"  # int from the client, stored as a name
    assert fake.flags(PROJECT, "tier-db") == {"wait_timeout": "600"}


def test_the_emulators_operation_goes_pending_running_done(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "op-db", "POSTGRES_17")
    status = sql.Operation.SqlOperationStatus

    op = _patch_flags(instances, "op-db", {"lock_timeout": "5000"})
    seen = [op.status]
    for _ in range(3):
        op = operations.get(request={"project": PROJECT, "operation": op.name}, timeout=5)
        seen.append(op.status)

    assert seen == [status.PENDING, status.RUNNING, status.DONE, status.DONE]
    assert (op.target_id, op.target_project) == ("op-db", PROJECT)
    assert op.self_link == f"{fake.base_url}/sql/v1beta4/projects/{PROJECT}/operations/{op.name}"
    assert op.end_time is not None
    assert op.end_time >= op.start_time >= op.insert_time


def test_the_emulators_operations_list_is_newest_first_per_instance_and_paged(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    project = "ops-project"
    fake.add_instance(project, "ops-db", "POSTGRES_16")
    fake.add_instance(project, "quiet-db", "POSTGRES_16")
    names = []
    for value in ("1000", "2000", "3000"):
        names.append(
            _wait(
                operations,
                _patch_flags(instances, "ops-db", {"lock_timeout": value}, project=project),
            ).name
        )

    pager = operations.list(
        request={"project": project, "instance": "ops-db", "max_results": 2}, timeout=5
    )
    quiet = operations.list(request={"project": project, "instance": "quiet-db"}, timeout=5)

    assert [op.name for page in pager.pages for op in page.items] == names[::-1]
    assert list(quiet.items) == []


def test_the_emulators_failed_operation_reports_error_and_changes_nothing(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "fail-db", "POSTGRES_16", flags={"statement_timeout": "1"})
    fake.fail_next_operation("INTERNAL_ERROR", "disk is on fire")

    done = _wait(operations, _patch_flags(instances, "fail-db", {"statement_timeout": "2"}))

    assert done.status == sql.Operation.SqlOperationStatus.DONE
    assert [(e.code, e.message) for e in done.error.errors] == [
        ("INTERNAL_ERROR", "disk is on fire")
    ]
    assert fake.flags(PROJECT, "fail-db") == {"statement_timeout": "1"}
    assert fake.instance(PROJECT, "fail-db")["settings"]["settingsVersion"] == "1"


def test_the_emulator_refuses_a_second_patch_while_an_operation_runs_as_a_conflict(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "busy-db", "POSTGRES_16")
    _patch_flags(instances, "busy-db", {"statement_timeout": "1000"})

    with pytest.raises(gexc.Conflict) as caught:
        _patch_flags(instances, "busy-db", {"statement_timeout": "2000"})

    assert caught.value.errors[0]["reason"] == "operationInProgress"
    assert caught.value.response.json()["error"]["status"] == "ABORTED"
    fake.complete_operations()
    assert fake.flags(PROJECT, "busy-db") == {"statement_timeout": "1000"}


def test_the_emulator_refuses_a_stale_settings_version_with_412(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "stale-db", "MYSQL_8_0", flags={"wait_timeout": "28800"})
    planned = instances.get(request={"project": PROJECT, "instance": "stale-db"}, timeout=5)
    fake.set_flags_out_of_band(PROJECT, "stale-db", {"wait_timeout": "100"})

    with pytest.raises(gexc.PreconditionFailed) as caught:
        _patch_flags(
            instances, "stale-db", {"wait_timeout": "600"}, planned.settings.settings_version
        )

    assert caught.value.code == 412
    assert "Condition does not match." in caught.value.message
    assert caught.value.errors[0]["reason"] == "staleData"
    assert caught.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert fake.flags(PROJECT, "stale-db") == {"wait_timeout": "100"}
    assert fake.instance(PROJECT, "stale-db")["settings"]["settingsVersion"] == "2"


@pytest.mark.parametrize(
    ("version", "flag"),
    [
        ("POSTGRES_16", "no_such_flag"),
        ("POSTGRES_16", "wait_timeout"),  # a MySQL flag on PostgreSQL
        ("MYSQL_8_0", "cloudsql.iam_authentication"),  # PostgreSQL's spelling on MySQL
        ("POSTGRES_13", "idle_session_timeout"),  # PostgreSQL 14+
    ],
)
def test_the_emulator_refuses_an_unknown_flag_as_invalid_flag_name(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient, version: str, flag: str
) -> None:
    name = f"unknown-{version.lower()}-{flag.replace('.', '-').replace('_', '-')}"
    fake.add_instance(PROJECT, name, version)

    # Cloud SQL answers 404 (NotFound) here, not 400; see the citation in state.py.
    with pytest.raises(gexc.NotFound) as caught:
        _patch_flags(instances, name, {flag: "on"})

    assert caught.value.errors[0]["reason"] == "invalidFlagName"
    assert "misspelled or unsupported" in caught.value.message
    assert fake.flags(PROJECT, name) == {}


@pytest.mark.parametrize(
    ("version", "flag", "value", "expected"),
    [
        ("MYSQL_8_0", "wait_timeout", "0", "wait_timeout must be between 1 and 31536000"),
        ("MYSQL_8_0", "wait_timeout", "31536001", "Flag value is 31536001"),
        ("MYSQL_8_0", "net_read_timeout", "10", "must be between 30 and 4294967295"),
        ("POSTGRES_16", "statement_timeout", "-5", "must be between 0 and 2147483647"),
        ("POSTGRES_16", "statement_timeout", "30s", "is not a valid integer"),
        ("MYSQL_8_4", "slow_query_log", "yes", "not an expected boolean"),
        ("MYSQL_8_4", "binlog_row_image", "MINIMAL", "MINIMAL was not an expected string"),
        ("MYSQL_8_0", "long_query_time", "30000001", "must be between 0 and 30000000"),
    ],
)
def test_the_emulator_answers_a_bad_flag_value_with_a_bad_request(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    version: str,
    flag: str,
    value: str,
    expected: str,
) -> None:
    name = re.sub(r"[^a-z0-9]+", "-", f"bad-{version}-{flag}-{value}".lower())
    fake.add_instance(PROJECT, name, version)

    with pytest.raises(gexc.BadRequest) as caught:
        _patch_flags(instances, name, {flag: value})

    assert caught.value.errors[0]["reason"] == "invalidFlagValue"
    assert "Value requested is not valid. Failed to set " + flag in caught.value.message
    assert expected in caught.value.message


def test_seeding_a_state_cloud_sql_would_refuse_raises() -> None:
    server = FakeCloudSql()
    with pytest.raises(ApiError, match="Failed to set wait_timeout"):
        server.add_instance(PROJECT, "x", "MYSQL_8_0", {"wait_timeout": "0"})
    with pytest.raises(ValueError, match="unsupported database_version"):
        server.add_instance(PROJECT, "y", "SQLSERVER_2019_STANDARD")


def test_missing_instance_is_not_found(instances: sql.SqlInstancesServiceClient) -> None:
    with pytest.raises(gexc.NotFound) as caught:
        instances.get(request={"project": PROJECT, "instance": "no-such-db"}, timeout=5)

    assert caught.value.errors[0]["reason"] == "instanceDoesNotExist"


def test_the_emulator_denies_a_permission_with_a_403_on_that_project_only(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance("locked-project", "db", "POSTGRES_16")
    fake.add_instance("open-project", "db", "POSTGRES_16")
    fake.deny("locked-project", "cloudsql.instances.get")

    with pytest.raises(gexc.Forbidden) as caught:
        instances.get(request={"project": "locked-project", "instance": "db"}, timeout=5)

    assert caught.value.errors[0]["reason"] == "notAuthorized"
    assert instances.get(request={"project": "open-project", "instance": "db"}, timeout=5).name


def test_request_without_or_with_a_bad_token_gets_401(fake: FakeCloudSql) -> None:
    fake.add_instance(PROJECT, "auth-db", "POSTGRES_16")
    path = f"/sql/v1beta4/projects/{PROJECT}/instances/auth-db"

    missing = _raw(fake, path)
    forged = _raw(fake, path, token="ya29.forged")

    for (status, headers, body), reason in ((missing, "required"), (forged, "authError")):
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert body["error"]["status"] == "UNAUTHENTICATED"
        assert body["error"]["errors"][0]["reason"] == reason


def test_revoked_token_is_refreshed_by_the_client(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "refresh-db", "POSTGRES_16")
    grants_before = sum(r.operation == "oauth.token" for r in fake.requests)
    fake.revoke_tokens()

    got = instances.get(request={"project": PROJECT, "instance": "refresh-db"}, timeout=5)

    assert got.name == "refresh-db"
    assert sum(r.operation == "oauth.token" for r in fake.requests) == grants_before + 1


def test_token_endpoint_rejects_bad_client_credentials(fake: FakeCloudSql) -> None:
    request = urllib.request.Request(
        fake.base_url + "/token",
        data=b"grant_type=refresh_token&refresh_token=" + fake.refresh_token.encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)

    assert caught.value.code == 401
    assert json.loads(caught.value.read())["error"] == "invalid_client"


def test_adc_file_is_an_external_account_authorized_user(
    fake: FakeCloudSql, tmp_path: Path
) -> None:
    info = json.loads(fake.write_adc_file(tmp_path / "adc.json").read_text())

    assert info["type"] == "external_account_authorized_user"
    assert info["token_url"] == f"{fake.base_url}/token"
    assert {"audience", "client_id", "client_secret", "refresh_token"} <= info.keys()


def test_the_emulator_answers_unknown_paths_with_a_404_in_googles_shape(
    fake: FakeCloudSql, credentials: Credentials
) -> None:
    status, _, body = _raw(fake, f"/sql/v1beta4/projects/{PROJECT}/backupRuns", credentials.token)

    assert status == 404
    assert body["error"]["status"] == "NOT_FOUND"
    assert fake.requests[-1].operation == "unknown"
