"""The Azure emulator's ARM wire, driven by the real SDK clients and a real azure-identity login.

Nothing is monkeypatched but environment variables: if these pass, an adapter written against the
real ``PostgreSQLManagementClient`` / ``MySQLManagementClient`` sees what it would see on Azure.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.identity import DefaultAzureCredential, EnvironmentCredential
from azure.mgmt.mysqlflexibleservers import MySQLManagementClient
from azure.mgmt.mysqlflexibleservers.models import Configuration as MySQLConfiguration
from azure.mgmt.mysqlflexibleservers.models import (
    ConfigurationForBatchUpdate,
    ConfigurationListForBatchUpdate,
)
from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient
from azure.mgmt.postgresqlflexibleservers.models import (
    ConfigurationForUpdate,
    ConfigurationProperties,
)

from cloudtimeouts.sandbox.azure import FakeAzure

SUB = "00000000-0000-0000-0000-0000000000aa"
RG = "prod"
PG = "orders-pg"
MY = "orders-my"
PG_ARM = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.DBforPostgreSQL"
# Examples of the Azure REST API specification (flexible servers, 2024-08-01): see their README.
SPEC = Path(__file__).resolve().parents[1] / "data" / "azure"


def _spec_example(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((SPEC / f"{name}.json").read_text())  # type: ignore[no-any-return]


def _pg_update(value: str) -> ConfigurationForUpdate:
    return ConfigurationForUpdate(
        properties=ConfigurationProperties(value=value, source="user-override")
    )


def _ops(fake: FakeAzure) -> list[str]:
    return [r.operation for r in fake.requests]


@pytest.fixture
def fake() -> Iterator[FakeAzure]:
    # lro_retry_after=0 + polling_interval=0 keeps the LROs instant; one test restores 1 s.
    with FakeAzure(lro_retry_after=0) as server:
        server.add_server(SUB, RG, PG, "postgres")
        server.add_server(SUB, RG, MY, "mysql")
        yield server


@pytest.fixture
def credential(fake: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> EnvironmentCredential:
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
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

    assert (server.name, server.type) == (PG, "Microsoft.DBforPostgreSQL/flexibleServers")
    assert (server.properties.version, server.properties.state) == ("16", "Ready")
    assert server.id == f"{PG_ARM}/flexibleServers/{PG}"
    assert _ops(fake) == ["openid-configuration", "token", "servers.get"]
    discovery, token, get = fake.requests
    assert discovery.path == f"/{fake.tenant_id}/v2.0/.well-known/openid-configuration"
    assert token.path == f"/{fake.tenant_id}/oauth2/v2.0/token"
    form = {k: v[-1] for k, v in parse_qs(token.body.decode()).items()}
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "https://management.azure.com/.default"
    assert get.query_value("api-version") == "2026-10-01"
    assert get.header("authorization").startswith("Bearer ")


def test_mysql_server_and_default_azure_credential(
    fake: FakeAzure, credential: EnvironmentCredential
) -> None:
    default = DefaultAzureCredential(
        disable_instance_discovery=True,
        exclude_managed_identity_credential=True,
        exclude_workload_identity_credential=True,
        exclude_cli_credential=True,
        exclude_developer_cli_credential=True,
        exclude_powershell_credential=True,
        exclude_visual_studio_code_credential=True,
        exclude_shared_token_cache_credential=True,
    )
    client = MySQLManagementClient(default, SUB, base_url=fake.base_url, polling_interval=0)

    server = client.servers.get(RG, MY)

    assert (server.type, server.version) == ("Microsoft.DBforMySQL/flexibleServers", "8.0.21")
    assert fake.requests[-1].query_value("api-version") == "2024-12-30"


def test_wrong_client_secret_is_refused_by_the_token_endpoint(
    fake: FakeAzure, credential: EnvironmentCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    client = PostgreSQLManagementClient(
        EnvironmentCredential(disable_instance_discovery=True), SUB, base_url=fake.base_url
    )

    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        client.servers.get(RG, PG)
    assert not any(r.path.startswith("/subscriptions") for r in fake.requests)


# ---- reading configurations ---------------------------------------------------------------------


def test_the_emulators_pg_list_pages_and_surfaces_its_documented_values(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.page_size = 5

    configs = {c.name: c.properties for c in pg.configurations.list_by_server(RG, PG)}

    assert set(configs) == set(fake.configuration_names(SUB, RG, PG))
    pages = -(-len(configs) // 5)
    assert fake.calls("configurations.listByServer") == pages  # followed every nextLink
    idle = configs["idle_in_transaction_session_timeout"]
    assert (idle.value, idle.default_value, idle.allowed_values) == ("0", "0", "0-2147483647")
    assert (idle.data_type, idle.unit, idle.source) == ("Integer", "milliseconds", "system-default")
    assert (idle.is_dynamic_config, idle.is_read_only, idle.is_config_pending_restart) == (
        True,
        False,
        False,
    )
    assert [configs[f"tcp_keepalives_{n}"].value for n in ("idle", "interval", "count")] == [
        "120",
        "30",
        "9",
    ]
    assert (configs["max_connections"].value, configs["max_connections"].is_dynamic_config) == (
        "859",
        False,
    )
    assert configs["shared_buffers"].is_dynamic_config is False
    assert configs["client_connection_check_interval"].is_read_only is True
    assert "transaction_timeout" not in configs  # PostgreSQL 17 only
    bouncer = configs["pgbouncer.server_idle_timeout"]
    assert (bouncer.value, bouncer.allowed_values, bouncer.unit) == ("600", "0-86400", "seconds")
    assert configs["pgbouncer.enabled"].value == "false"
    wire = fake.configuration(SUB, RG, PG, "statement_timeout")["properties"]
    assert wire["isDynamicConfig"] is True  # JSON boolean on the PostgreSQL wire
    # a configuration at its default, as the specification's ConfigurationGet example shows one
    documented = _spec_example("ConfigurationGet")["responses"]["200"]["body"]["properties"]
    assert set(documented) <= set(wire)
    assert (wire["source"], documented["source"]) == ("system-default", "system-default")


def test_the_emulators_mysql_list_surfaces_true_false_strings_and_filters(
    fake: FakeAzure, mysql: MySQLManagementClient
) -> None:
    configs = {c.name: c for c in mysql.configurations.list_by_server(RG, MY)}

    wait = configs["wait_timeout"]
    assert (wait.value, wait.default_value, wait.source) == ("28800", "28800", "system-default")
    assert wait.is_dynamic_config == "True"  # the MySQL RP sends strings, the SDK keeps them
    assert (wait.is_read_only, wait.is_config_pending_restart) == ("False", "False")
    assert configs["innodb_strict_mode"].is_read_only == "True"
    assert configs["require_secure_transport"].data_type == "Enumeration"

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
    pages = [r for r in fake.requests if r.operation == "configurations.listByServer"][1:]
    assert [
        (q.query_value("page"), q.query_value("pageSize"), q.query_value("keyword")) for q in pages
    ] == [
        ("", "3", "timeout"),
        ("2", "3", "timeout"),
        ("3", "3", "timeout"),
    ]


def test_an_emulator_parameter_exists_only_in_the_versions_that_have_it(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.add_server(SUB, RG, "pg17", "postgres", version="17")

    with pytest.raises(ResourceNotFoundError) as caught:
        pg.configurations.get(RG, PG, "transaction_timeout")
    assert caught.value.status_code == 404
    assert caught.value.error.code == "ConfigurationNotExists"
    assert "server version 16" in caught.value.error.message

    on17 = pg.configurations.get(RG, "pg17", "transaction_timeout").properties
    assert (on17.value, on17.allowed_values, on17.is_dynamic_config) == ("0", "0-2147483647", True)
    result = pg.configurations.begin_update(
        RG, "pg17", "transaction_timeout", _pg_update("60000")
    ).result()
    assert result.properties.value == "60000"


# ---- updates ------------------------------------------------------------------------------------


def test_pg_update_dynamic_parameter_is_a_polled_lro(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    example = _spec_example("ConfigurationUpdate")
    poller = pg.configurations.begin_update(RG, PG, "idle_session_timeout", _pg_update("600000"))
    result = poller.result()

    assert (result.properties.value, result.properties.source) == ("600000", "user-override")
    assert result.properties.is_config_pending_restart is False
    (patch,) = [r for r in fake.requests if r.operation == "configurations.update"]
    assert json.loads(patch.body) == {"properties": {"value": "600000", "source": "user-override"}}
    assert fake.calls("operations.get") == 2  # one InProgress, one Succeeded
    stored = fake.configuration(SUB, RG, PG, "idle_session_timeout")["properties"]
    assert stored["value"] == "600000"
    # held to the specification's ConfigurationUpdate example: the request the client sent, the
    # properties of the answer, and the 202's Azure-AsyncOperation monitor the poller followed
    assert json.loads(patch.body).keys() == example["parameters"]["parameters"].keys()
    documented = example["responses"]["200"]["body"]["properties"]
    assert set(documented) <= set(stored)
    assert (stored["source"], stored["isConfigPendingRestart"]) == (
        documented["source"],
        documented["isConfigPendingRestart"],
    )
    monitor = urlsplit(example["responses"]["202"]["headers"]["Azure-AsyncOperation"]).path
    form = re.sub(r"/(subscriptions|locations|azureAsyncOperation)/[^/]+", r"/\1/[^/]+", monitor)
    polled = [r.path for r in fake.requests if r.operation == "operations.get"]
    assert polled and all(re.fullmatch(form, path) for path in polled), (form, polled)
    again = pg.configurations.get(RG, PG, "IDLE_SESSION_TIMEOUT")  # names are case-insensitive
    assert again.properties.value == "600000"


def test_the_emulators_static_pg_parameter_waits_for_restart(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    result = pg.configurations.begin_put(RG, PG, "max_connections", _pg_update("500")).result()

    assert (result.properties.value, result.properties.is_config_pending_restart) == ("500", True)
    assert fake.calls("configurations.put") == 1

    pg.servers.begin_restart(RG, PG).result()

    after = pg.configurations.get(RG, PG, "max_connections").properties
    assert (after.value, after.is_config_pending_restart) == ("500", False)
    assert fake.calls("servers.restart") == 1


def test_the_emulators_mysql_update_and_static_parameter(
    fake: FakeAzure, mysql: MySQLManagementClient
) -> None:
    fake.add_server(SUB, RG, "my-static", "mysql", static=["innodb_buffer_pool_size"])
    updated = mysql.configurations.begin_update(
        RG, MY, "wait_timeout", MySQLConfiguration(value="600", source="user-override")
    ).result()
    assert (updated.value, updated.source, updated.current_value) == ("600", "user-override", "600")

    pool = mysql.configurations.begin_create_or_update(
        RG, "my-static", "innodb_buffer_pool_size", MySQLConfiguration(value="2147483648")
    ).result()
    assert pool.value == "2147483648"
    assert pool.current_value == "4294967296"  # still running the old size
    assert pool.is_config_pending_restart == "True"
    # PUT/PATCH use final-state-via "location": the result came from operationResults.
    assert fake.calls("operationResults.get") >= 1
    assert fake.calls("configurations.createOrUpdate") == 1


def test_the_emulators_mysql_batch_update_is_atomic(
    fake: FakeAzure, mysql: MySQLManagementClient
) -> None:
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
    post = next(r for r in fake.requests if r.operation == "configurations.batchUpdate")
    assert json.loads(post.body)["value"][0] == {
        "name": "wait_timeout",
        "properties": {"value": "900"},
    }

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
def test_the_emulator_rejects_an_out_of_range_value_with_an_arm_error(
    fake: FakeAzure, pg: PostgreSQLManagementClient, value: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.begin_update(RG, PG, "statement_timeout", _pg_update(value))

    assert caught.value.status_code == 400
    assert caught.value.error.code == "InvalidParameterValue"
    assert "statement_timeout" in caught.value.error.message
    assert fake.configuration(SUB, RG, PG, "statement_timeout")["properties"]["value"] == "0"


def test_the_emulators_string_parameters_take_values_matching_their_pattern(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    # search_path allows [A-Za-z0-9."$,_ -]+ in Microsoft's table: a comma inside the pattern
    # must not split it into choices.
    ok = pg.configurations.begin_update(RG, PG, "search_path", _pg_update('"$user", app, public'))
    assert ok.result().properties.value == '"$user", app, public'
    with pytest.raises(HttpResponseError) as caught:
        pg.configurations.begin_update(RG, PG, "search_path", _pg_update("app; drop"))
    assert caught.value.error.code == "InvalidParameterValue"
    with pytest.raises(HttpResponseError):
        pg.configurations.begin_update(RG, PG, "pgbouncer.pool_mode", _pg_update("sometimes"))


def test_the_emulator_rejects_read_only_parameters(
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
    credential: EnvironmentCredential, monkeypatch: pytest.MonkeyPatch
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


def test_the_emulators_failed_operation_surfaces_and_applies_nothing(
    fake: FakeAzure, pg: PostgreSQLManagementClient
) -> None:
    fake.fail_next_operation("InternalServerError", "The server is busy; try later.")
    poller = pg.configurations.begin_update(RG, PG, "lock_timeout", _pg_update("5000"))

    with pytest.raises(HttpResponseError, match="The server is busy"):
        poller.result()
    assert pg.configurations.get(RG, PG, "lock_timeout").properties.value == "0"


def test_lro_retry_after_paces_the_poller(fake: FakeAzure, pg: PostgreSQLManagementClient) -> None:
    fake.lro_retry_after = 1
    started = time.monotonic()

    pg.configurations.begin_update(RG, PG, "statement_timeout", _pg_update("30000")).result()

    # polling_interval=0, but the InProgress poll said Retry-After: 1
    assert time.monotonic() - started >= 1.0


# ---- not found and unauthenticated --------------------------------------------------------------


def test_the_emulators_missing_resources_raise_resource_not_found(
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
    assert "Retry-After" not in anonymous.headers  # else azure-core would retry a 401

    forged = requests.get(
        url,
        params={"api-version": "2026-10-01"},
        headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."},
        verify=verify,
        timeout=5,
    )
    assert (forged.status_code, forged.json()["error"]["code"]) == (
        401,
        "InvalidAuthenticationToken",
    )

    auth = {"Authorization": f"Bearer {fake.issue_token()}"}
    missing = requests.get(url, headers=auth, verify=verify, timeout=5)
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        400,
        "MissingApiVersionParameter",
    )
    unknown = requests.get(
        url, params={"api-version": "1999-01-01"}, headers=auth, verify=verify, timeout=5
    )
    assert unknown.json()["error"]["code"] == "NoRegisteredProviderFound"
    ok = requests.get(
        url, params={"api-version": "2026-10-01"}, headers=auth, verify=verify, timeout=5
    )
    assert ok.status_code == 200
    assert ok.headers["x-ms-request-id"]
    deleted = requests.delete(
        url, params={"api-version": "2026-10-01"}, headers=auth, verify=verify, timeout=5
    )
    assert (deleted.status_code, deleted.json()["error"]["code"]) == (405, "MethodNotAllowed")
    assert _ops(fake)[-1] == "unknown"


def test_out_of_band_change_is_visible(fake: FakeAzure, pg: PostgreSQLManagementClient) -> None:
    fake.set_out_of_band(SUB, RG, PG, "idle_in_transaction_session_timeout", "60000")

    config = pg.configurations.get(RG, PG, "idle_in_transaction_session_timeout").properties
    assert (config.value, config.source) == ("60000", "user-override")
    assert fake.calls("configurations.update") == 0
