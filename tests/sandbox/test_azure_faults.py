"""Each injected fault as the real PostgreSQL management client and azure-identity see it.

Why: the tool's retries, timeouts and reconciliation are only as good as these shapes. Throttling
is ARM's 429 with Retry-After and ``TooManyRequests``; server errors are ARM's 500 and change
nothing; a lost response means the request WAS carried out (the case a client must reconcile by
reading); the token endpoint goes through the same server, so it can be throttled or black-holed.
What azure-core retries is its own rule (``azure/core/pipeline/policies/_retry.py``), three times by
default: any answer with Retry-After, whatever the method; without it GET on 408/429/5xx and
PATCH/POST on 500/503/504; GET on a broken connection.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceResponseError,
)
from azure.identity import EnvironmentCredential
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.postgresqlflexibleservers.models import (
    ConfigurationForUpdate,
    ConfigurationProperties,
)

from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.loopback import Fault

SUB = "00000000-0000-0000-0000-0000000000cc"
RG = "faulty"
PG = "orders-pg"
ATTEMPTS = 4  # azure-core: the first try and retry_status=3 (retry_read=3 for broken answers)


def _update(value: str) -> ConfigurationForUpdate:
    return ConfigurationForUpdate(
        properties=ConfigurationProperties(value=value, source="user-override")
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAzure]:
    with FakeAzure(lro_retry_after=0, throttle_retry_after=0) as server:
        server.add_server(SUB, RG, PG, "postgres")
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


def _client(
    fake: FakeAzure, credential: dict[str, Any] | None = None, **options: Any
) -> PostgreSQLManagementClient:
    fast = {"retry_backoff_factor": 0.01}
    cred = EnvironmentCredential(disable_instance_discovery=True, **{**fast, **(credential or {})})
    return PostgreSQLManagementClient(
        cred, SUB, base_url=fake.base_url, polling_interval=0, **{**fast, **options}
    )


@pytest.fixture
def pg(fake: FakeAzure) -> PostgreSQLManagementClient:
    client = _client(fake)
    client.servers.get(RG, PG)  # the token is fetched before any fault is set
    return client


def _value(fake: FakeAzure, name: str) -> str:
    value: str = fake.configuration(SUB, RG, PG, name)["properties"]["value"]
    return value


# ---- throttle -----------------------------------------------------------------------------------


def test_a_throttled_get_is_retried_then_raised_as_the_emulators_arm_429(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.faults.add(Fault.THROTTLE, operation="configurations.get", rate=1.0)

    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.get(RG, PG, "lock_timeout")

    assert caught.value.status_code == 429
    assert caught.value.error.code == "TooManyRequests"
    assert caught.value.response.headers["Retry-After"] == "0"
    assert caught.value.response.headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
    assert fake.calls("configurations.get") == ATTEMPTS


def test_one_throttle_is_waited_out_as_retry_after_asks(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.throttle_retry_after = 1
    fake.faults.add(Fault.THROTTLE, operation="servers.get", nth=1)

    started = time.monotonic()
    assert pg.servers.get(RG, PG).name == PG

    assert time.monotonic() - started >= 1.0
    assert fake.calls("servers.get") == 3  # the warm-up, the throttled one, the retry


def test_a_throttled_update_is_retried_and_never_half_done(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    # Retry-After makes azure-core retry any method, PATCH included.
    fake.faults.add(Fault.THROTTLE, operation="configurations.update", nth=1)
    result = pg.configurations.begin_update(RG, PG, "lock_timeout", _update("5000")).result()
    assert result.properties.value == "5000"
    assert fake.calls("configurations.update") == 2

    fake.faults.add(Fault.THROTTLE, operation="configurations.update", rate=1.0)
    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.begin_update(RG, PG, "lock_timeout", _update("6000"))
    assert (caught.value.status_code, caught.value.error.code) == (429, "TooManyRequests")
    assert caught.value.response.headers["x-ms-ratelimit-remaining-subscription-writes"] == "0"
    assert fake.calls("configurations.update") == 2 + ATTEMPTS
    assert _value(fake, "lock_timeout") == "5000"  # a throttled request is not processed


# ---- server error -------------------------------------------------------------------------------


def test_server_errors_are_retried_to_success_or_raised_as_the_emulators_arm_500(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.faults.add(Fault.SERVER_ERROR, operation="configurations.get", rate=1.0, times=2)
    assert pg.configurations.get(RG, PG, "lock_timeout").properties.value == "0"
    assert fake.calls("configurations.get") == 3

    fake.faults.clear()
    fake.server.clear_requests()
    fake.faults.add(Fault.SERVER_ERROR, operation="configurations.get", rate=1.0)
    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.get(RG, PG, "lock_timeout")
    assert (caught.value.status_code, caught.value.error.code) == (500, "InternalServerError")
    assert fake.calls("configurations.get") == ATTEMPTS


def test_a_server_error_on_update_is_retried_and_applied_once(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.faults.add(Fault.SERVER_ERROR, operation="configurations.update", nth=1)

    result = pg.configurations.begin_update(RG, PG, "lock_timeout", _update("5000")).result()

    assert result.properties.value == "5000"
    assert fake.calls("configurations.update") == 2  # the failed try did nothing
    assert len(fake.state.operations) == 1


# ---- lost response ------------------------------------------------------------------------------


def test_a_lost_update_response_was_carried_out(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.faults.add(Fault.LOST_RESPONSE, operation="configurations.update", rate=1.0)

    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.begin_update(RG, PG, "statement_timeout", _update("30000"))

    assert (caught.value.status_code, caught.value.error.code) == (503, "ServiceUnavailable")
    assert fake.calls("configurations.update") == ATTEMPTS  # PATCH is retried on 503
    # Azure did the work: reading, not re-sending, is how a client learns it.
    assert pg.configurations.get(RG, PG, "statement_timeout").properties.value == "30000"


# ---- reset, malformed, black hole ---------------------------------------------------------------


def test_a_reset_connection_is_retried_then_raised(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.faults.add(Fault.RESET, operation="configurations.get", nth=1)
    assert pg.configurations.get(RG, PG, "lock_timeout").properties.value == "0"

    fake.faults.clear()
    fake.faults.add(Fault.RESET, operation="configurations.get", rate=1.0)
    with pytest.raises(ServiceResponseError):
        pg.configurations.get(RG, PG, "lock_timeout")


def test_a_malformed_answer_is_a_decode_failure_not_an_http_error(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.faults.add(Fault.MALFORMED, operation="configurations.get", nth=1)

    # The generated 3.0.0 client parses with response.json(): the JSON error escapes as is.
    with pytest.raises(ValueError) as caught:
        pg.configurations.get(RG, PG, "lock_timeout")
    assert not isinstance(caught.value, HttpResponseError)
    assert fake.calls("configurations.get") == 1


def test_a_black_hole_is_only_escaped_by_a_read_timeout(fake: FakeAzure) -> None:
    client = _client(fake, read_timeout=0.5, retry_total=0)
    client.servers.get(RG, PG)
    fake.faults.add(Fault.BLACK_HOLE, operation="configurations.get", rate=1.0)

    started = time.monotonic()
    with pytest.raises(ServiceResponseError, match="timed out"):
        client.configurations.get(RG, PG, "lock_timeout")
    assert time.monotonic() - started < 5


# ---- the token endpoint -------------------------------------------------------------------------


def test_the_token_endpoint_can_be_black_holed(fake: FakeAzure) -> None:
    fake.faults.add(Fault.BLACK_HOLE, operation="token", rate=1.0)
    client = _client(fake, credential={"read_timeout": 0.5, "retry_total": 0})

    with pytest.raises(ClientAuthenticationError, match="timed out"):
        client.servers.get(RG, PG)

    assert fake.calls("token") == 1
    assert fake.calls("servers.get") == 0  # no token, no ARM call


def test_a_throttled_token_endpoint_answers_the_emulators_entra_error(fake: FakeAzure) -> None:
    fake.faults.add(Fault.THROTTLE, operation="token", rate=1.0)

    with pytest.raises(ClientAuthenticationError, match="temporarily unavailable"):
        _client(fake).servers.get(RG, PG)
    assert fake.calls("token") == ATTEMPTS  # azure-identity's pipeline retries 429 too

    raw = requests.post(
        f"{fake.base_url}/{fake.tenant_id}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials"},
        verify=str(fake.ca_bundle),
        timeout=5,
    )
    assert raw.status_code == 429
    assert raw.headers["Retry-After"] == "0"
    assert raw.json()["error"] == "temporarily_unavailable"
