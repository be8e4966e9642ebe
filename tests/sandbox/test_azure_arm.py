"""The Azure ARM fake, driven by the real SDK clients and a real azure-identity credential.

Nothing is monkeypatched but environment variables: if these pass, an adapter written against the
real ``PostgreSQLManagementClient`` / ``MySQLManagementClient`` sees what it would see on Azure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.identity import DefaultAzureCredential, EnvironmentCredential
from azure.mgmt.mysqlflexibleservers import MySQLManagementClient
from azure.mgmt.mysqlflexibleservers.models import (
    Configuration as MySQLConfiguration,
)
from azure.mgmt.mysqlflexibleservers.models import (
    ConfigurationForBatchUpdate,
    ConfigurationListForBatchUpdate,
)
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.postgresqlflexibleservers.models import (
    ConfigurationForUpdate,
    ConfigurationProperties,
)

from cloudtimeouts.sandbox.azure_arm import FakeAzure, value_allowed

SUB = "00000000-0000-0000-0000-0000000000aa"
RG = "prod"
PG = "orders-pg"
MY = "orders-my"
PG_ARM = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DBforPostgreSQL"


def _pg_update(value: str) -> ConfigurationForUpdate:
    return ConfigurationForUpdate(
        properties=ConfigurationProperties(value=value, source="user-override")
    )


def _arm_calls(fake: FakeAzure, method: str, path_suffix: str) -> list[str]:
    return [r.path for r in fake.requests if r.method == method and r.path.endswith(path_suffix)]


@pytest.fixture
def fake() -> Iterator[FakeAzure]:
    # lro_retry_after=0 + polling_interval=0 keeps the LROs instant; one test restores 1 s.
    with FakeAzure(lro_retry_after=0) as server:
        server.add_server(SUB, RG, PG, "postgres")
        server.add_server(SUB, RG, MY, "mysql")
        yield server


@pytest.fixture
def env(fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = fake.env()
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


@pytest.fixture
def credential(env: dict[str, str]) -> EnvironmentCredential:
    # MSAL would ask login.microsoftonline.com whether 127.0.0.1 is a known authority otherwise.
    return EnvironmentCredential(disable_instance_discovery=True)


@pytest.fixture
def pg(fake: FakeAzure, credential: EnvironmentCredential) -> PostgreSQLManagementClient:
    return PostgreSQLManagementClient(
        credential, SUB, base_url=fake.base_url, polling_interval=0, retry_backoff_factor=0.05
    )


@pytest.fixture
def mysql(fake: FakeAzure, credential: EnvironmentCredential) -> MySQLManagementClient:
    return MySQLManagementClient(
        credential, SUB, base_url=fake.base_url, polling_interval=0, retry_backoff_factor=0.05
    )


# ---- credentials and servers --------------------------------------------------------------------


def test_get_server_through_entra_token_and_api_version(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    server = pg.servers.get(RG, PG)

    assert server.name == PG
    assert server.type == "Microsoft.DBforPostgreSQL/flexibleServers"
    assert server.properties.version == "16"
    assert server.properties.state == "Ready"
    assert server.id == f"{PG_ARM}/flexibleServers/{PG}"
    paths = [r.path for r in fake.requests]
    assert paths[0] == f"/{fake.tenant_id}/v2.0/.well-known/openid-configuration"
    token_request = fake.requests[1]
    assert token_request.path == f"/{fake.tenant_id}/oauth2/v2.0/token"
    assert token_request.body["grant_type"] == "client_credentials"
    assert token_request.body["client_secret"] == "***"  # redacted in the log
    assert token_request.body["scope"] == "https://management.azure.com/.default"
    assert fake.requests[2].query == {"api-version": "2026-10-01"}


def test_mysql_server_and_default_azure_credential(fake: FakeAzure, env: dict[str, str]) -> None:
    credential = DefaultAzureCredential(
        disable_instance_discovery=True,
        exclude_managed_identity_credential=True,
        exclude_workload_identity_credential=True,
        exclude_cli_credential=True,
        exclude_developer_cli_credential=True,
        exclude_powershell_credential=True,
        exclude_visual_studio_code_credential=True,
        exclude_shared_token_cache_credential=True,
    )
    client = MySQLManagementClient(credential, SUB, base_url=fake.base_url, polling_interval=0)

    server = client.servers.get(RG, MY)

    assert server.type == "Microsoft.DBforMySQL/flexibleServers"
    assert server.version == "8.0.21"
    assert fake.requests[-1].query == {"api-version": "2024-12-30"}


def test_wrong_client_secret_is_refused_by_the_token_endpoint(
    fake: FakeAzure, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    client = PostgreSQLManagementClient(
        EnvironmentCredential(disable_instance_discovery=True), SUB, base_url=fake.base_url
    )

    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        client.servers.get(RG, PG)
    assert not any(r.path.startswith("/subscriptions") for r in fake.requests)


# ---- reading configurations ---------------------------------------------------------------------


def test_pg_list_pages_and_surfaces_booleans(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.page_size = 5

    configs = {c.name: c for c in pg.configurations.list_by_server(RG, PG)}

    assert len(_arm_calls(fake, "GET", f"{PG}/configurations")) == 3  # 5 + 5 + 2 via nextLink
    assert len(configs) == 12
    idle = configs["idle_in_transaction_session_timeout"].properties
    assert (idle.value, idle.default_value, idle.allowed_values) == ("0", "0", "0-2147483647")
    assert (idle.data_type, idle.unit, idle.source) == ("Integer", "milliseconds", "system-default")
    assert idle.is_dynamic_config is True
    assert idle.is_read_only is False
    assert idle.is_config_pending_restart is False
    assert configs["tcp_keepalives_idle"].properties.value == "120"
    assert configs["tcp_keepalives_interval"].properties.value == "30"
    assert configs["tcp_keepalives_count"].properties.value == "9"
    assert configs["max_connections"].properties.is_dynamic_config is False
    assert configs["shared_buffers"].properties.is_dynamic_config is False
    assert configs["client_connection_check_interval"].properties.is_read_only is True
    wire = fake.configuration(SUB, RG, PG, "statement_timeout")["properties"]
    assert wire["isDynamicConfig"] is True  # JSON boolean on the PostgreSQL wire


def test_mysql_list_surfaces_true_false_strings_and_filters(
    fake: FakeAzure, mysql: MySQLManagementClient
) -> None:
    configs = {c.name: c for c in mysql.configurations.list_by_server(RG, MY)}

    wait = configs["wait_timeout"]
    assert (wait.value, wait.default_value, wait.source) == ("28800", "28800", "system-default")
    assert wait.is_dynamic_config == "True"  # the MySQL RP sends strings, the SDK keeps them
    assert wait.is_read_only == "False"
    assert wait.is_config_pending_restart == "False"
    assert configs["innodb_buffer_pool_size"].is_dynamic_config == "False"
    assert configs["innodb_strict_mode"].is_read_only == "True"
    assert fake.configuration(SUB, RG, MY, "wait_timeout")["properties"]["isReadOnly"] == "False"

    timeouts = list(mysql.configurations.list_by_server(RG, MY, keyword="timeout", page_size=3))
    assert {c.name for c in timeouts} == {
        "wait_timeout",
        "interactive_timeout",
        "net_read_timeout",
        "net_write_timeout",
        "connect_timeout",
        "lock_wait_timeout",
        "innodb_lock_wait_timeout",
    }
    pages = [r.query for r in fake.requests if r.path.endswith(f"{MY}/configurations")][1:]
    assert [(q.get("page"), q["pageSize"], q["keyword"]) for q in pages] == [
        (None, "3", "timeout"),
        ("2", "3", "timeout"),
        ("3", "3", "timeout"),
    ]


# ---- updates ------------------------------------------------------------------------------------


def test_pg_update_dynamic_parameter_is_a_polled_lro(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    poller = pg.configurations.begin_update(RG, PG, "idle_session_timeout", _pg_update("600000"))
    result = poller.result()

    assert result.properties.value == "600000"
    assert result.properties.source == "user-override"
    assert result.properties.is_config_pending_restart is False
    patch = next(r for r in fake.requests if r.method == "PATCH")
    assert patch.body == {"properties": {"value": "600000", "source": "user-override"}}
    assert len(_arm_calls(fake, "GET", "")) >= 2
    polls = [r for r in fake.requests if "/azureAsyncOperation/" in r.path]
    assert len(polls) == 2  # one InProgress, one Succeeded
    assert fake.configuration(SUB, RG, PG, "idle_session_timeout")["properties"]["value"] == (
        "600000"
    )
    again = pg.configurations.get(RG, PG, "IDLE_SESSION_TIMEOUT")  # names are case-insensitive
    assert again.properties.value == "600000"


def test_pg_static_parameter_waits_for_restart(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    result = pg.configurations.begin_put(RG, PG, "max_connections", _pg_update("500")).result()

    assert result.properties.value == "500"
    assert result.properties.is_config_pending_restart is True

    pg.servers.begin_restart(RG, PG).result()

    after = pg.configurations.get(RG, PG, "max_connections").properties
    assert (after.value, after.is_config_pending_restart) == ("500", False)


def test_mysql_update_and_static_parameter(fake: FakeAzure, mysql: MySQLManagementClient) -> None:
    updated = mysql.configurations.begin_update(
        RG, MY, "wait_timeout", MySQLConfiguration(value="600", source="user-override")
    ).result()
    assert (updated.value, updated.source, updated.current_value) == ("600", "user-override", "600")

    pool = mysql.configurations.begin_create_or_update(
        RG, MY, "innodb_buffer_pool_size", MySQLConfiguration(value="2147483648")
    ).result()
    assert pool.value == "2147483648"
    assert pool.current_value == "4294967296"  # still running the old size
    assert pool.is_config_pending_restart == "True"
    # PUT/PATCH use final-state-via "location": the result came from operationResults.
    assert any("/operationResults/" in r.path for r in fake.requests)


def test_mysql_batch_update_is_atomic(fake: FakeAzure, mysql: MySQLManagementClient) -> None:
    batch = ConfigurationListForBatchUpdate(
        value=[
            ConfigurationForBatchUpdate(name="wait_timeout", value="900"),
            ConfigurationForBatchUpdate(name="interactive_timeout", value="900"),
        ]
    )
    result = mysql.configurations.begin_batch_update(RG, MY, batch).result()

    # final-state-via "azure-async-operation" on a POST: the result is the status body, so the
    # list is empty and callers must re-read.
    assert result.value is None
    assert mysql.configurations.get(RG, MY, "wait_timeout").value == "900"
    assert mysql.configurations.get(RG, MY, "interactive_timeout").source == "user-override"
    post = next(r for r in fake.requests if r.method == "POST" and "updateConfigurations" in r.path)
    assert post.body["value"][0] == {"name": "wait_timeout", "properties": {"value": "900"}}

    bad = ConfigurationListForBatchUpdate(
        value=[
            ConfigurationForBatchUpdate(name="wait_timeout", value="60"),
            ConfigurationForBatchUpdate(name="interactive_timeout", value="0"),  # min is 1
        ]
    )
    with pytest.raises(HttpResponseError) as caught:
        mysql.configurations.begin_batch_update(RG, MY, bad)
    assert caught.value.error.code == "InvalidParameterValue"
    assert mysql.configurations.get(RG, MY, "wait_timeout").value == "900"  # nothing applied


# ---- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-5", "2147483648", "10s", ""])
def test_out_of_range_value_is_rejected_with_arm_error(
    fake: FakeAzure, pg: PostgreSQLManagementClient, value: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.begin_update(RG, PG, "statement_timeout", _pg_update(value))

    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidParameterValue"
    assert "statement_timeout" in caught.value.error.message
    assert fake.configuration(SUB, RG, PG, "statement_timeout")["properties"]["value"] == "0"


def test_read_only_parameters_are_rejected(
    fake: FakeAzure, pg: PostgreSQLManagementClient, mysql: MySQLManagementClient
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.begin_update(RG, PG, "client_connection_check_interval", _pg_update("0"))
    assert (caught.value.status_code, caught.value.error.code) == (400, "ConfigurationReadOnly")

    with pytest.raises(HttpResponseError) as caught:
        mysql.configurations.begin_update(
            RG, MY, "innodb_strict_mode", MySQLConfiguration(value="OFF")
        )
    assert caught.value.error.code == "ConfigurationReadOnly"
    assert "innodb_strict_mode" in caught.value.error.message


def test_idle_session_timeout_read_only_switch(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeAzure(pg_idle_session_timeout_read_only=True, lro_retry_after=0) as strict:
        strict.add_server(SUB, RG, PG, "postgres")
        for key, value in strict.env().items():
            monkeypatch.setenv(key, value)
        client = PostgreSQLManagementClient(
            EnvironmentCredential(disable_instance_discovery=True),
            SUB,
            base_url=strict.base_url,
            polling_interval=0,
        )
        assert client.configurations.get(RG, PG, "idle_session_timeout").properties.is_read_only
        with pytest.raises(HttpResponseError) as caught:
            client.configurations.begin_update(RG, PG, "idle_session_timeout", _pg_update("1000"))
        assert caught.value.error.code == "ConfigurationReadOnly"
        # the other idle timeout stays writable
        client.configurations.begin_update(
            RG, PG, "idle_in_transaction_session_timeout", _pg_update("1000")
        ).result()


def test_failed_operation_surfaces_and_applies_nothing(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.fail_next_operation("InternalServerError", "The server is busy; try later.")
    poller = pg.configurations.begin_update(RG, PG, "lock_timeout", _pg_update("5000"))

    with pytest.raises(HttpResponseError, match="The server is busy"):
        poller.result()
    assert pg.configurations.get(RG, PG, "lock_timeout").properties.value == "0"


# ---- retries, throttling, LRO pacing ------------------------------------------------------------


def test_throttling_429_honours_retry_after(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    pg.servers.get(RG, PG)  # token fetched outside the timed part
    fake.fail_next(1, status=429, retry_after=1)

    started = time.monotonic()
    server = pg.servers.get(RG, PG)

    assert server.name == PG
    assert time.monotonic() - started >= 1.0
    assert len(_arm_calls(fake, "GET", f"flexibleServers/{PG}")) == 3


def test_503_and_500_are_retried_to_success(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.fail_next(2, status=503, retry_after=None)
    assert pg.configurations.get(RG, PG, "lock_timeout").properties.value == "0"
    assert len(_arm_calls(fake, "GET", "configurations/lock_timeout")) == 3

    fake.fail_next(1, status=500, retry_after=None)
    result = pg.configurations.begin_update(RG, PG, "lock_timeout", _pg_update("100")).result()
    assert result.properties.value == "100"
    assert len([r for r in fake.requests if r.method == "PATCH"]) == 2


def test_exhausted_retries_raise_the_arm_error(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.fail_next(4, status=503, retry_after=None)  # azure-core retries a status 3 times

    with pytest.raises(HttpResponseError) as caught:
        pg.servers.get(RG, PG)
    assert (caught.value.status_code, caught.value.error.code) == (503, "ServiceUnavailable")


def test_lro_retry_after_paces_the_poller(fake: FakeAzure, pg: PostgreSQLManagementClient) -> None:
    fake.lro_retry_after = 1
    started = time.monotonic()

    pg.configurations.begin_update(RG, PG, "statement_timeout", _pg_update("30000")).result()

    # polling_interval=0, but the InProgress poll said Retry-After: 1
    assert time.monotonic() - started >= 1.0


# ---- not found and unauthenticated --------------------------------------------------------------


def test_missing_resources_raise_resource_not_found(
    fake: FakeAzure, pg: PostgreSQLManagementClient, mysql: MySQLManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        pg.servers.get(RG, "ghost")
    assert caught.value.error.code == "ResourceNotFound"

    with pytest.raises(ResourceNotFoundError) as caught:
        list(pg.configurations.list_by_server(RG, "ghost"))
    assert caught.value.error.code == "ParentResourceNotFound"

    with pytest.raises(ResourceNotFoundError) as caught:
        pg.configurations.get(RG, PG, "no_such_parameter")
    assert caught.value.error.code == "ConfigurationNotExists"

    with pytest.raises(ResourceNotFoundError) as caught:
        mysql.servers.get("other-rg", MY)
    assert caught.value.error.code == "ResourceGroupNotFound"

    with pytest.raises(ResourceNotFoundError):
        mysql.servers.get(RG, PG)  # a PostgreSQL server is not a MySQL one


def test_raw_requests_need_a_token_and_an_api_version(fake: FakeAzure) -> None:
    url = f"{fake.base_url}{PG_ARM}/flexibleServers/{PG}"
    verify = str(fake.ca_bundle)

    anonymous = requests.get(url, params={"api-version": "2026-10-01"}, verify=verify, timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer ")
    assert anonymous.json()["error"]["code"] == "AuthenticationFailed"

    forged = requests.get(
        url,
        params={"api-version": "2026-10-01"},
        headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
        verify=verify,
        timeout=5,
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "InvalidAuthenticationToken"

    auth = {"Authorization": f"Bearer {fake.issue_token()}"}
    missing = requests.get(url, headers=auth, verify=verify, timeout=5)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "MissingApiVersionParameter"
    unknown = requests.get(url, params={"api-version": "1999-01-01"}, headers=auth, verify=verify)
    assert unknown.json()["error"]["code"] == "NoRegisteredProviderFound"
    ok = requests.get(url, params={"api-version": "2026-10-01"}, headers=auth, verify=verify)
    assert ok.status_code == 200
    assert "Retry-After" not in anonymous.headers  # else azure-core would retry a 401


def test_out_of_band_change_is_visible(fake: FakeAzure, pg: PostgreSQLManagementClient) -> None:
    fake.set_out_of_band(SUB, RG, PG, "idle_in_transaction_session_timeout", "60000")

    config = pg.configurations.get(RG, PG, "idle_in_transaction_session_timeout").properties
    assert (config.value, config.source) == ("60000", "user-override")
    assert not any(r.method == "PATCH" for r in fake.requests)


@pytest.mark.parametrize(
    ("value", "data_type", "allowed", "ok"),
    [
        ("0", "Integer", "0-2147483647", True),
        ("-1", "Integer", "-1-2147483647", True),
        ("-2", "Integer", "-1-2147483647", False),
        ("on", "Boolean", "on,off", True),
        ("ON", "Enumeration", "ON,OFF", True),
        ("maybe", "Enumeration", "ON,OFF", False),
        ("7", "Integer", "1-5,7", True),
        ("1.5", "Integer", "0-10", False),
        ("1.5", "Numeric", "1-1000", True),
    ],
)
def test_value_allowed(value: str, data_type: str, allowed: str, ok: bool) -> None:
    assert value_allowed(value, data_type, allowed) is ok
