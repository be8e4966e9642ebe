"""Each injected fault as the real google-cloud-sql client sees it from the Cloud SQL emulator.

Why: the tool's retries and its reconciliation of lost responses are only as good as these
shapes. Throttling and server errors are answered in Google's JSON error shape and change nothing;
a lost response on instances.patch means Cloud SQL DID create the operation, which completes (the
case a client must reconcile by reading, not by blindly sending the patch again).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import google.auth
import google.auth.exceptions
import pytest
import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth.credentials import Credentials
from google.cloud import sqladmin_v1beta4 as sql

from cloudtimeouts.sandbox.cloudsql import FakeCloudSql
from cloudtimeouts.sandbox.loopback import Fault

PROJECT = "faulty"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeCloudSql]:
    with FakeCloudSql() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_leftover_faults(fake: FakeCloudSql) -> Iterator[None]:
    fake.faults.clear()
    fake.server_error_status = 503
    fake.operation_seconds = 2.0
    yield
    fake.faults.clear()


@pytest.fixture(scope="module")
def credentials(fake: FakeCloudSql, tmp_path_factory: pytest.TempPathFactory) -> Credentials:
    adc = fake.write_adc_file(tmp_path_factory.mktemp("adc") / "adc.json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
        creds, _project = google.auth.default()
    return creds


@pytest.fixture(scope="module")
def instances(fake: FakeCloudSql, credentials: Credentials) -> sql.SqlInstancesServiceClient:
    return sql.SqlInstancesServiceClient(
        credentials=credentials, transport="rest", client_options={"api_endpoint": fake.base_url}
    )


@pytest.fixture(scope="module")
def operations(fake: FakeCloudSql, credentials: Credentials) -> sql.SqlOperationsServiceClient:
    return sql.SqlOperationsServiceClient(
        credentials=credentials, transport="rest", client_options={"api_endpoint": fake.base_url}
    )


def _patch(
    client: sql.SqlInstancesServiceClient, name: str, value: str, timeout: float = 5
) -> sql.Operation:
    settings = sql.Settings(
        database_flags=[sql.DatabaseFlags(name="statement_timeout", value=value)],
        settings_version=1,
    )
    request = sql.SqlInstancesPatchRequest(
        project=PROJECT, instance=name, body=sql.DatabaseInstance(settings=settings)
    )
    return client.patch(request=request, timeout=timeout)


def _operations_on(operations: sql.SqlOperationsServiceClient, name: str) -> list[sql.Operation]:
    return list(operations.list(request={"project": PROJECT, "instance": name}, timeout=5).items)


def test_the_emulators_throttle_is_googles_429_and_processes_nothing(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "throttled-db", "POSTGRES_16")
    fake.faults.add(Fault.THROTTLE, operation="instances.patch", nth=1)

    with pytest.raises(gexc.TooManyRequests) as caught:
        _patch(instances, "throttled-db", "1000")

    body = caught.value.response.json()["error"]
    assert (body["code"], body["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert body["errors"][0]["reason"] == "rateLimitExceeded"
    assert "Quota exceeded" in body["message"]
    assert _operations_on(operations, "throttled-db") == []
    assert fake.faults.fired == [("instances.patch", Fault.THROTTLE)]


@pytest.mark.parametrize(
    ("status", "exception", "name"),
    [
        (503, gexc.ServiceUnavailable, "UNAVAILABLE"),
        (500, gexc.InternalServerError, "INTERNAL"),
    ],
)
def test_the_emulators_server_error_is_googles_5xx_and_processes_nothing(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
    status: int,
    exception: type[gexc.GoogleAPICallError],
    name: str,
) -> None:
    instance = f"broken-{status}-db"
    fake.add_instance(PROJECT, instance, "POSTGRES_16")
    fake.server_error_status = status
    fake.faults.add(Fault.SERVER_ERROR, operation="instances.patch", nth=1)

    with pytest.raises(exception) as caught:
        _patch(instances, instance, "1000")

    body = caught.value.response.json()["error"]
    assert (body["code"], body["status"], body["errors"][0]["reason"]) == (
        status,
        name,
        "backendError",
    )
    assert _operations_on(operations, instance) == []
    assert fake.flags(PROJECT, instance) == {}


def test_the_emulators_lost_response_on_patch_created_an_operation_that_completes(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "lost-db", "POSTGRES_16")
    fake.faults.add(Fault.LOST_RESPONSE, operation="instances.patch", nth=1)

    with pytest.raises(gexc.ServiceUnavailable):
        _patch(instances, "lost-db", "1000")

    (created,) = _operations_on(operations, "lost-db")  # reconcile by reading
    assert created.operation_type == sql.Operation.SqlOperationType.UPDATE
    with pytest.raises(gexc.Conflict):  # sending the same patch again is refused while it runs
        _patch(instances, "lost-db", "1000")
    while created.status != sql.Operation.SqlOperationStatus.DONE:
        created = operations.get(request={"project": PROJECT, "operation": created.name}, timeout=5)
    assert fake.flags(PROJECT, "lost-db") == {"statement_timeout": "1000"}
    with pytest.raises(gexc.PreconditionFailed):  # and once it is done, settingsVersion moved on
        _patch(instances, "lost-db", "1000")


def test_the_emulators_lost_operation_nobody_polls_completes_by_itself(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "unpolled-db", "POSTGRES_16")
    fake.operation_seconds = 0.2
    fake.faults.add(Fault.LOST_RESPONSE, operation="instances.patch", nth=1)

    with pytest.raises(gexc.ServiceUnavailable):
        _patch(instances, "unpolled-db", "1000")
    time.sleep(0.3)

    got = instances.get(request={"project": PROJECT, "instance": "unpolled-db"}, timeout=5)
    assert [(f.name, f.value) for f in got.settings.database_flags] == [
        ("statement_timeout", "1000")
    ]
    assert got.settings.settings_version == 2
    (done,) = _operations_on(operations, "unpolled-db")
    assert done.status == sql.Operation.SqlOperationStatus.DONE


def test_the_emulators_reset_breaks_the_connection_before_anything_is_processed(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "reset-db", "POSTGRES_16")
    fake.faults.add(Fault.RESET, operation="instances.patch", nth=1)

    with pytest.raises(requests.exceptions.ConnectionError):
        _patch(instances, "reset-db", "1000")

    assert _operations_on(operations, "reset-db") == []


def test_the_emulators_malformed_answer_comes_after_the_patch_was_processed(
    fake: FakeCloudSql,
    instances: sql.SqlInstancesServiceClient,
    operations: sql.SqlOperationsServiceClient,
) -> None:
    fake.add_instance(PROJECT, "garbled-db", "POSTGRES_16")
    fake.faults.add(Fault.MALFORMED, operation="instances.patch", nth=1)

    # The client cannot parse the 200 (not JSON, not UTF-8): it raises a ValueError, not a
    # GoogleAPICallError.
    with pytest.raises(ValueError):
        _patch(instances, "garbled-db", "1000")

    assert len(_operations_on(operations, "garbled-db")) == 1


def test_black_hole_hangs_a_client_until_its_read_timeout(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "silent-db", "POSTGRES_16")
    fake.faults.add(Fault.BLACK_HOLE, operation="instances.get", nth=1)

    with pytest.raises(requests.exceptions.ReadTimeout):
        instances.get(request={"project": PROJECT, "instance": "silent-db"}, timeout=0.5)

    assert instances.get(request={"project": PROJECT, "instance": "silent-db"}, timeout=5).name


def test_faults_are_retried_to_success_by_the_clients_retry(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "retry-db", "POSTGRES_16")
    retry = gretry.Retry(
        predicate=gretry.if_exception_type(gexc.TooManyRequests, gexc.ServiceUnavailable),
        initial=0.01,
        maximum=0.05,
        multiplier=2,
        timeout=5,
    )
    fake.faults.add(Fault.THROTTLE, operation="instances.get", nth=1)
    fake.faults.add(Fault.SERVER_ERROR, operation="instances.get", rate=1.0, times=2)
    before = fake.server.calls("instances.get")

    got = instances.get(
        request={"project": PROJECT, "instance": "retry-db"}, retry=retry, timeout=5
    )

    assert got.name == "retry-db"
    assert fake.server.calls("instances.get") - before == 4
    assert [fault for _, fault in fake.faults.fired] == [
        Fault.THROTTLE,
        Fault.SERVER_ERROR,
        Fault.SERVER_ERROR,
    ]


def test_a_throttled_token_endpoint_fails_the_refresh(
    fake: FakeCloudSql, instances: sql.SqlInstancesServiceClient
) -> None:
    fake.add_instance(PROJECT, "token-db", "POSTGRES_16")
    fake.revoke_tokens()
    fake.faults.add(Fault.THROTTLE, operation="oauth.token", nth=1)

    with pytest.raises(google.auth.exceptions.GoogleAuthError):
        instances.get(request={"project": PROJECT, "instance": "token-db"}, timeout=5)

    assert fake.faults.fired == [("oauth.token", Fault.THROTTLE)]
    assert instances.get(request={"project": PROJECT, "instance": "token-db"}, timeout=5).name
