"""Server logs from Azure flexible servers (issue 19, item 3): `providers.azure.logs.server_logs`
with the real SDKs and `requests` against the Azure emulator, reached through the environment
like any user (the `azure` fixture: Entra ID credentials, CLOUDTIMEOUTS_AZURE_ENDPOINT, the CA
bundle).

The API facts the emulator serves are cited in `cloudtimeouts/sandbox/azure/logs.py` (the REST
API specification's LogFilesListByServer examples, Azure Storage's errors); the tool's reading
of them in `cloudtimeouts/providers/azure/logs.py`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from cloudtimeouts.cloud import cloud
from cloudtimeouts.errors import ProviderAPIError, ProviderAuthError, TargetNotAllowedError
from cloudtimeouts.providers.azure import logs
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.base import LogFile
from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.loopback import Fault

SUB = "00000000-0000-0000-0000-00000000a10e"
RG = "shop"
HOUR = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
# Azure PostgreSQL's log_line_prefix `%t-%c-` and the server's idle-session message
IDLE = "FATAL:  terminating connection due to idle-session timeout"
PG_LINE = "2026-12-07 10:{:02d}:00 UTC-6571b3c0.{:x}-" + IDLE
PG_ACTION = "Microsoft.DBforPostgreSQL/flexibleServers/logFiles/read"
MY_ACTION = "Microsoft.DBforMySQL/flexibleServers/logFiles/read"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incident"


def target(server: str = "orders-pg") -> AzureTarget:
    return AzureTarget(provider="azure", subscription_id=SUB, resource_group=RG, server=server)


def pg_lines(count: int) -> list[str]:
    return [PG_LINE.format(index % 60, 0x1A00 + index) for index in range(count)]


def fetch(
    server: str = "orders-pg", since: datetime = LONG_AGO, timeout: float = 30.0
) -> list[LogFile]:
    return list(logs.server_logs(target(server), since, timeout=timeout))


def read(files: list[LogFile]) -> dict[str, list[str]]:
    """Every file's lines, read whole (the notes fill as they are read)."""
    return {file.name: list(file.lines) for file in files}


@pytest.fixture
def fake(azure: FakeAzure, monkeypatch: pytest.MonkeyPatch) -> FakeAzure:
    """The emulator with one PostgreSQL and one MySQL server, retries without waiting."""
    from cloudtimeouts.providers.azure import clients

    fast = {"backoff_s": 0.01, "backoff_max_s": 0.05}
    monkeypatch.setattr(clients, "CALLS", replace(clients.CALLS, **fast))
    monkeypatch.setattr(azure, "throttle_retry_after", 0)
    monkeypatch.setattr(azure.logs, "sas_lifetime", timedelta(hours=1))
    azure.add_server(SUB, RG, "orders-pg", "postgres")
    azure.add_server(SUB, RG, "orders-my", "mysql")
    return azure


# -- the registry ---------------------------------------------------------------------------------
def test_the_azure_cloud_names_its_log_fetch_through_its_face() -> None:
    assert cloud("azure").logs == "cloudtimeouts.providers.azure:server_logs"
    from cloudtimeouts.providers import azure as face

    assert face.server_logs is logs.server_logs


# -- listing and reading --------------------------------------------------------------------------
def test_a_postgres_servers_files_are_listed_oldest_first_and_read_whole(fake: FakeAzure) -> None:
    later = fake.put_log(SUB, RG, "orders-pg", "\n".join(pg_lines(3)), modified=HOUR)
    first = fake.put_log(SUB, RG, "orders-pg", "earlier", modified=HOUR - timedelta(hours=1))

    files = fetch()

    assert first == "postgresql_2026_12_07_09_00_00.log"  # the service's hourly name
    assert [(f.instance, f.name) for f in files] == [("orders-pg", first), ("orders-pg", later)]
    assert read(files) == {first: ["earlier"], later: pg_lines(3)}
    assert all(f.notes == [] for f in files)


def test_a_mysql_servers_error_log_is_read_through_mysqls_own_listing(fake: FakeAzure) -> None:
    aborted = "2026-12-07T10:00:00.000000Z 7 [Note] Aborted connection 7 to db: 'orders'"
    name = fake.put_log(SUB, RG, "orders-my", aborted, modified=HOUR)

    (file,) = fetch("orders-my")

    assert (file.instance, file.name) == ("orders-my", name)
    assert list(file.lines) == [aborted]
    assert fake.calls("logFiles.listByServer") == 2  # PostgreSQL's answered 404 first


def test_since_leaves_out_files_last_modified_before_it_and_a_naive_since_is_utc(
    fake: FakeAzure,
) -> None:
    fake.put_log(SUB, RG, "orders-pg", "old", modified=HOUR - timedelta(minutes=1))
    new = fake.put_log(SUB, RG, "orders-pg", "new", modified=HOUR + timedelta(hours=1))

    assert read(fetch(since=HOUR)) == {new: ["new"]}
    assert read(fetch(since=HOUR.replace(tzinfo=None))) == {new: ["new"]}


def test_nothing_modified_since_is_one_note_and_no_file(fake: FakeAzure) -> None:
    fake.put_log(SUB, RG, "orders-pg", "old", modified=HOUR - timedelta(hours=1))

    (entry,) = fetch(since=HOUR)

    assert (entry.name, entry.instance, list(entry.lines)) == ("", "orders-pg", [])
    assert entry.notes == ["orders-pg: no server log modified since 2026-12-07 10:00:00 UTC"]


def test_slow_query_and_upgrade_logs_are_not_read(fake: FakeAzure) -> None:
    fake.put_log(SUB, RG, "orders-my", "slow", name="mysql-slow-orders-my-2026120710.log",
                 kind="slowlog", modified=HOUR)  # fmt: skip
    error = fake.put_log(SUB, RG, "orders-my", "error line", modified=HOUR)
    fake.put_log(SUB, RG, "orders-pg", "upgrade", name="pg_upgrade.log", kind="UpgradeLogs")

    assert read(fetch("orders-my")) == {error: ["error line"]}
    (entry,) = fetch("orders-pg")
    assert entry.name == "" and "no server log modified since" in entry.notes[0]


def test_lines_are_split_across_chunks_crlf_and_a_missing_last_line_break(
    fake: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "CHUNK_BYTES", 7)  # lines and a multi-byte character cut across
    text = "first line é\r\nsecond\n\nthird without a break"
    fake.logs.put(fake.state.get(SUB, RG, "orders-pg"), "", "raw.log", HOUR, None)
    fake.logs.files[(SUB.lower(), RG, "orders-pg")]["raw.log"].text = text

    (file,) = fetch()

    assert list(file.lines) == ["first line é", "second", "", "third without a break"]


@pytest.mark.parametrize(
    ("server", "said"),
    [
        ("orders-pg", "logfiles.download_enable is on (off by default): it may be off"),
        ("orders-my", "error_server_log_file = ON and log_output = FILE: they may be off"),
    ],
)
def test_an_empty_listing_is_a_note_naming_the_parameter_that_may_be_off(
    fake: FakeAzure, server: str, said: str
) -> None:
    (entry,) = fetch(server)

    assert (entry.name, entry.instance, list(entry.lines)) == ("", server, [])
    assert entry.notes[0].startswith(f"{server}: no server log files listed: ")
    assert entry.notes[0].endswith(said)


def test_the_listing_is_followed_through_every_page(
    fake: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake, "page_size", 2)
    hours = [HOUR + timedelta(hours=index) for index in range(5)]
    names = [
        fake.put_log(SUB, RG, "orders-pg", f"line {i}", modified=h) for i, h in enumerate(hours)
    ]

    files = fetch()

    assert [f.name for f in files] == names
    assert fake.calls("logFiles.listByServer") == 3


# -- files that vanish or are refused -------------------------------------------------------------
def test_a_file_removed_between_list_and_download_is_a_note_and_the_next_is_read(
    fake: FakeAzure,
) -> None:
    gone = fake.put_log(SUB, RG, "orders-pg", "gone soon", modified=HOUR)
    fake.put_log(SUB, RG, "orders-pg", "still here", modified=HOUR + timedelta(hours=1))

    files = iter(logs.server_logs(target(), LONG_AGO, timeout=30))
    listed = next(files)  # the server's files are listed by now
    fake.remove_log(SUB, RG, "orders-pg", gone)

    assert list(listed.lines) == []
    assert listed.notes == [
        f"{gone} on orders-pg: gone (rotated away or removed since it was listed): "
        "HTTP 404 BlobNotFound; skipped"
    ]
    (following,) = files
    assert list(following.lines) == ["still here"] and following.notes == []


def test_an_expired_download_link_is_a_note_never_an_error(fake: FakeAzure) -> None:
    name = fake.put_log(SUB, RG, "orders-pg", "a line", modified=HOUR)
    fake.logs.sas_lifetime = timedelta(seconds=-1)  # every SAS it hands out has expired

    (file,) = fetch()

    assert list(file.lines) == []
    assert file.notes == [
        f"{name} on orders-pg: refused (the download link's SAS expired or was refused: list "
        "again): HTTP 403 AuthenticationFailed; skipped"
    ]


# -- faults and permissions -----------------------------------------------------------------------
@pytest.mark.parametrize("fault", [Fault.THROTTLE, Fault.SERVER_ERROR, Fault.LOST_RESPONSE])
def test_a_throttled_or_5xx_listing_or_download_is_retried_and_the_log_comes_whole(
    fake: FakeAzure, fault: Fault
) -> None:
    fake.put_log(SUB, RG, "orders-pg", "\n".join(pg_lines(30)), modified=HOUR)
    fake.faults.add(fault, operation="logFiles.listByServer", nth=1)
    fake.faults.add(fault, operation="logFiles.download", nth=1)

    (file,) = fetch()

    assert list(file.lines) == pg_lines(30) and file.notes == []
    assert [operation for operation, _ in fake.faults.fired] == [
        "logFiles.listByServer",
        "logFiles.download",
    ]


def test_a_download_throttled_past_the_retries_is_one_error_without_the_sas(
    fake: FakeAzure,
) -> None:
    name = fake.put_log(SUB, RG, "orders-pg", "a line", modified=HOUR)
    fake.faults.add(Fault.THROTTLE, operation="logFiles.download", rate=1.0)

    (file,) = fetch()
    with pytest.raises(ProviderAPIError) as raised:
        list(file.lines)

    assert raised.value.message == (
        f"{target().id}: could not download the server log file {name}: ServerBusy: HTTP 503"
    )
    assert "sig=" not in raised.value.message + (raised.value.hint or "")
    assert fake.calls("logFiles.download") == logs.azure_clients.CALLS.attempts


def test_a_download_reset_past_the_retries_is_one_error_without_the_signature(
    fake: FakeAzure,
) -> None:
    name = fake.put_log(SUB, RG, "orders-pg", "a line", modified=HOUR)
    fake.faults.add(Fault.RESET, operation="logFiles.download", rate=1.0)

    (file,) = fetch()
    with pytest.raises(ProviderAPIError) as raised:
        list(file.lines)

    said = raised.value.message
    assert said.startswith(f"{target().id}: could not download the server log file {name}: ")
    assert f"no usable answer from {fake.base_url}" in said
    # urllib3 names the URL it gave up on: the signature is cut from it
    assert "sig=…" in said
    assert [part for part in said.split("sig=")[1:] if not part.startswith("…")] == []


def test_a_listing_throttled_past_the_retries_is_one_error_naming_the_call(
    fake: FakeAzure,
) -> None:
    fake.faults.add(Fault.THROTTLE, operation="logFiles.listByServer", rate=1.0)

    with pytest.raises(ProviderAPIError) as raised:
        fetch()

    assert raised.value.message.startswith(
        f"{target().id}: could not list the server log files: TooManyRequests"
    )


def test_a_role_without_the_log_files_action_is_one_error_naming_it(fake: FakeAzure) -> None:
    fake.put_log(SUB, RG, "orders-pg", "a line", modified=HOUR)
    fake.deny(PG_ACTION)
    fake.deny(MY_ACTION)

    with pytest.raises(ProviderAuthError) as raised:
        fetch()

    assert raised.value.message.startswith(
        f"{target().id}: could not list the server log files: AuthorizationFailed: "
    )
    assert f"perform action '{PG_ACTION}'" in raised.value.message  # PostgreSQL's refusal first
    assert raised.value.hint is not None
    assert PG_ACTION in raised.value.hint and MY_ACTION in raised.value.hint


def test_a_role_on_mysqls_namespace_alone_reads_a_mysql_server(fake: FakeAzure) -> None:
    name = fake.put_log(SUB, RG, "orders-my", "error line", modified=HOUR)
    fake.deny(PG_ACTION)  # a least-privilege role: MySQL's log files only

    assert read(fetch("orders-my")) == {name: ["error line"]}


def test_a_server_in_neither_namespace_is_one_error(fake: FakeAzure) -> None:
    with pytest.raises(TargetNotAllowedError) as raised:
        fetch("nowhere")

    assert "no PostgreSQL or MySQL flexible server nowhere in resource group shop" in str(
        raised.value.message
    )


def test_a_budget_spent_before_a_file_reads_no_further_file(
    fake: FakeAzure, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    monkeypatch.setattr(logs.LogsDeadline, "clock", staticmethod(lambda: now[0]))
    first = fake.put_log(SUB, RG, "orders-pg", "first", modified=HOUR)
    later = fake.put_log(SUB, RG, "orders-pg", "later", modified=HOUR + timedelta(hours=1))

    files = iter(logs.server_logs(target(), LONG_AGO, timeout=60))
    assert list(next(files).lines) == ["first"]
    now[0] = 60.0  # the budget is spent
    (following,) = files

    assert list(following.lines) == []
    assert following.notes == [
        f"{later} on orders-pg: not read: the 60 s allowed for the server logs was spent"
    ]
    assert first != later


# -- the whole path: diagnose --from-target -------------------------------------------------------
def test_from_target_reads_an_azure_servers_log_and_names_the_cause(
    fake: FakeAzure, cli: Any, tmp_path: Path
) -> None:
    line = f"2026-12-07 10:14:58 UTC-6571b3c0.c3b-{IDLE}"
    fake.put_log(SUB, RG, "orders-pg", line)  # modified now: within --since
    profile = tmp_path / "orders.yaml"
    profile.write_text(
        (EXAMPLE / "orders.yaml").read_text()
        + f"targets:\n  - {{provider: azure, subscription_id: {SUB}, resource_group: {RG}, "
        "server: orders-pg}\n"
    )

    found = cli("diagnose", profile, EXAMPLE / "app.log", "--from-target", "-o", "json")

    assert found.exit_code == 3, found.stderr
    (incident,) = json.loads(found.stdout)["incidents"]
    assert incident["closed_by"] == "the server's idle_session_timeout"
    assert incident["evidence"][-1].startswith("orders-pg:postgresql_")


# -- the emulator speaks the API ------------------------------------------------------------------
def test_the_emulator_lists_files_in_the_shape_of_the_specs_examples(fake: FakeAzure) -> None:
    fake.put_log(SUB, RG, "orders-pg", "a", modified=HOUR)
    fake.put_log(SUB, RG, "orders-my", "b", modified=HOUR)
    token = fake.issue_token()
    shapes = {}
    for server, namespace, version in (
        ("orders-pg", "Microsoft.DBforPostgreSQL", "2024-08-01"),
        ("orders-my", "Microsoft.DBforMySQL", "2023-12-30"),
    ):
        path = (
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{namespace}"
            f"/flexibleServers/{server}/logFiles"
        )
        answer = requests.get(
            f"{fake.base_url}{path}?api-version={version}",
            headers={"Authorization": f"Bearer {token}"},
            verify=str(fake.ca_bundle),
            timeout=10,
        )
        (item,) = answer.json()["value"]
        shapes[server] = (sorted(item), sorted(item["properties"]), item["type"], item["id"])

    # the keys of LogFilesListByServer.json (PostgreSQL 2024-08-01, MySQL 2023-12-30)
    common = ["createdTime", "lastModifiedTime", "type", "url"]
    assert shapes["orders-pg"][:3] == (
        ["id", "name", "properties", "type"],
        sorted([*common, "sizeInKb"]),
        "Microsoft.DBforPostgreSQL/flexibleServers/logFiles",
    )
    assert shapes["orders-my"][:3] == (
        ["id", "name", "properties", "type"],
        sorted([*common, "sizeInKB"]),
        "Microsoft.DBforMySQL/flexibleServers/logFiles",
    )
    assert shapes["orders-pg"][3].endswith("/flexibleServers/orders-pg/logFiles/"
                                           "postgresql_2026_12_07_10_00_00.log")  # fmt: skip


def test_the_emulators_blob_refuses_a_link_without_its_signature(fake: FakeAzure) -> None:
    fake.put_log(SUB, RG, "orders-pg", "a", modified=HOUR)
    from azure.identity import EnvironmentCredential
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

    credential = EnvironmentCredential(disable_instance_discovery=True)
    client = PostgreSQLManagementClient(credential, SUB, base_url=fake.base_url)
    (listed,) = client.captured_logs.list_by_server(RG, "orders-pg")
    unsigned = listed.url.split("&sig=")[0]

    ok = requests.get(listed.url, verify=str(fake.ca_bundle), timeout=10)
    refused = requests.get(unsigned, verify=str(fake.ca_bundle), timeout=10)

    assert (ok.status_code, ok.text) == (200, "a\n")
    assert refused.status_code == 403
    assert refused.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert "<Code>AuthenticationFailed</Code>" in refused.text
