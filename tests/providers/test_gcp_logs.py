"""Server logs from Cloud SQL (issue 19, item 3): `providers.gcp.logs.server_logs` against the Cloud
SQL emulator's Cloud Logging `entries:list`, reached through ADC and CLOUDTIMEOUTS_GCP_ENDPOINT
like any user of the tool (the `gcp` fixture, a `GcpSandbox`: one fresh project per test on a
shared server).

The API facts the emulator serves are cited in `cloudtimeouts/sandbox/cloudsql/entries.py`
(Cloud Logging API v2, entries.list; Cloud SQL's "View instance logs"); the tool's reading of
them in `cloudtimeouts/providers/gcp/logs.py`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudtimeouts.cloud import cloud
from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose.read import read_lines
from cloudtimeouts.errors import ProviderAPIError, ProviderAuthError
from cloudtimeouts.providers.base import LogFile
from cloudtimeouts.providers.gcp import logs
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.sandbox.cloudsql.entries import parse_filter
from cloudtimeouts.sandbox.cloudsql.wire import ApiError
from cloudtimeouts.sandbox.loopback import Fault

HOUR = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
# Cloud SQL for PostgreSQL's text in postgres.log (`%m [%p]: [%l-1] db=%d,user=%u `)
PG_LINE = (
    "2026-12-07 10:{:02d}:00.000 UTC [{}]: [1-1] db=orders,user=app "
    "FATAL:  terminating connection due to idle-session timeout"
)
# MySQL 8's error log line, as Cloud SQL for MySQL writes mysql.err
MYSQL_LINE = (
    "2026-12-07T10:05:00.123456Z 42 [Note] [MY-010914] [Server] Aborted connection 42 to db: "
    "'orders' user: 'app' host: '10.0.0.5' (Got timeout reading communication packets)."
)


def fetch(target: GcpTarget, since: datetime = LONG_AGO, timeout: float = 20.0) -> list[LogFile]:
    return list(logs.server_logs(target, since, timeout=timeout))


def texts(file: LogFile) -> list[str]:
    """Each line's textPayload (each line is one `cloudsql-json` entry)."""
    return [json.loads(line)["textPayload"] for line in file.lines]


def put(gcp: Any, name: str, lines: list[str], start: datetime = HOUR) -> None:
    for index, line in enumerate(lines):
        gcp.fake.put_log(gcp.project, name, line, at=start + timedelta(seconds=index))


def listed(gcp: Any) -> list[dict[str, Any]]:
    """The bodies of this test's entries.list calls."""
    bodies = [json.loads(r.body) for r in gcp.fake.requests if r.operation == "entries.list"]
    return [b for b in bodies if b.get("resourceNames") == [f"projects/{gcp.project}"]]


# -- the registry ---------------------------------------------------------------------------------
def test_the_gcp_cloud_names_its_log_fetch_through_its_face() -> None:
    assert cloud("gcp").logs == "cloudtimeouts.providers.gcp:server_logs"
    from cloudtimeouts.providers import gcp as face

    assert face.server_logs is logs.server_logs


# -- paging, order, since -------------------------------------------------------------------------
def test_entries_come_whole_and_in_time_order_page_by_page(
    gcp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "PAGE_SIZE", 50)
    target = gcp.add("orders-db")
    written = [PG_LINE.format(index % 60, 100 + index) for index in range(120)]
    put(gcp, "orders-db", written[60:], start=HOUR + timedelta(minutes=5))  # written out of order
    put(gcp, "orders-db", written[:60])

    (file,) = fetch(target)

    assert (file.instance, file.name) == (
        f"{gcp.project}:orders-db",
        "cloudsql.googleapis.com/postgres.log",
    )
    assert texts(file) == written and file.notes == []
    bodies = listed(gcp)
    assert len(bodies) == 3  # 120 entries, 50 a page: each nextPageToken followed
    assert [b.get("pageToken") is None for b in bodies] == [True, False, False]
    assert {b["orderBy"] for b in bodies} == {"timestamp asc"}


def test_since_leaves_out_entries_written_before_it(gcp: Any) -> None:
    target = gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", "old", at=HOUR - timedelta(hours=2))
    gcp.fake.put_log(gcp.project, "orders-db", "new", at=HOUR + timedelta(minutes=5))

    (file,) = fetch(target, since=HOUR)

    assert texts(file) == ["new"]
    assert 'timestamp>="2026-12-07T10:00:00.000000Z"' in listed(gcp)[0]["filter"]


def test_a_naive_since_is_utc(gcp: Any) -> None:
    target = gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", "old", at=HOUR - timedelta(minutes=1))
    gcp.fake.put_log(gcp.project, "orders-db", "new", at=HOUR + timedelta(minutes=1))

    (file,) = fetch(target, since=HOUR.replace(tzinfo=None))

    assert texts(file) == ["new"]


def test_only_the_targets_instance_is_read_not_its_neighbours(gcp: Any) -> None:
    target = gcp.add("orders-db")
    gcp.add("billing-db")
    gcp.fake.put_log(gcp.project, "billing-db", "neighbour", at=HOUR)
    gcp.fake.put_log(gcp.project, "orders-db", "ours", at=HOUR)

    (file,) = fetch(target)

    assert texts(file) == ["ours"]
    assert f'resource.labels.database_id="{gcp.project}:orders-db"' in listed(gcp)[0]["filter"]


def test_a_mysql_instance_reads_mysql_err(gcp: Any) -> None:
    target = gcp.add("orders-my", "MYSQL_8_0")
    gcp.fake.put_log(gcp.project, "orders-my", MYSQL_LINE, at=HOUR)

    (file,) = fetch(target)

    assert file.name == "cloudsql.googleapis.com/mysql.err" and texts(file) == [MYSQL_LINE]


# -- what the readers make of it ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("version", "line", "what"),
    [
        ("POSTGRES_16", PG_LINE.format(1, 4242), ev.PG_IDLE_SESSION),
        ("MYSQL_8_0", MYSQL_LINE, ev.MYSQL_ABORTED_TIMEOUT),
    ],
)
def test_each_line_is_read_by_diagnose_as_cloud_logging_evidence(
    gcp: Any, version: str, line: str, what: str
) -> None:
    target = gcp.add("orders-db", version)
    gcp.fake.put_log(gcp.project, "orders-db", line, at=HOUR)

    (file,) = fetch(target)
    read = read_lines(f"{file.instance}:{file.name}", file.lines)
    (found,) = list(read)

    assert (found.what, found.format, found.side) == (what, "cloudsql-json", "server")
    assert found.source == f"{gcp.project}:orders-db:{file.name}:1"
    assert found.at is not None and found.at.tzinfo is not None
    assert read.counts[0].recognised == 1


# -- nothing there --------------------------------------------------------------------------------
def test_no_entry_since_is_one_note_and_no_file(gcp: Any) -> None:
    target = gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", "old", at=HOUR - timedelta(days=1))

    (only,) = fetch(target, since=HOUR)

    assert only.name == "" and list(only.lines) == []
    assert only.notes == [
        f"{gcp.project}:orders-db: no server log entry in Cloud Logging since 2026-12-07 "
        "10:00:00 UTC (cloudsql.googleapis.com/postgres.log, cloudsql.googleapis.com/mysql.err):"
        " nothing was logged, or the entries are past the log bucket's retention"
    ]


def test_a_spent_budget_is_a_note_and_nothing_is_asked(gcp: Any) -> None:
    target = gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", "a line", at=HOUR)

    (only,) = fetch(target, timeout=0)

    assert only.name == "" and listed(gcp) == []
    assert only.notes == [
        f"{gcp.project}:orders-db: stopped after 0 entries: the 0 s allowed for the server logs "
        "was spent"
    ]


# -- faults and permissions ---------------------------------------------------------------------
@pytest.mark.parametrize("fault", [Fault.THROTTLE, Fault.SERVER_ERROR, Fault.LOST_RESPONSE])
def test_a_throttled_or_5xx_page_is_asked_again_and_the_log_comes_whole(
    gcp: Any, monkeypatch: pytest.MonkeyPatch, fault: Fault
) -> None:
    monkeypatch.setattr(logs, "PAGE_SIZE", 10)
    target = gcp.add("orders-db")
    written = [f"line {index}" for index in range(25)]
    put(gcp, "orders-db", written)
    gcp.fake.faults.add(fault, operation="entries.list", nth=2)

    (file,) = fetch(target)

    assert texts(file) == written and file.notes == []
    assert [operation for operation, _ in gcp.fake.faults.fired] == ["entries.list"]


def test_throttling_past_the_retries_is_one_error_naming_the_call(gcp: Any) -> None:
    target = gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", "a line", at=HOUR)
    gcp.fake.faults.add(Fault.THROTTLE, operation="entries.list", rate=1.0)

    with pytest.raises(ProviderAPIError) as raised:
        fetch(target)

    assert raised.value.message.startswith(
        f"{target.id}: entries.list failed: 429 rateLimitExceeded: Quota exceeded"
    )
    assert "logging.googleapis.com" in raised.value.message


def test_a_missing_permission_is_one_message_naming_roles_logging_viewer(
    gcp: Any,
) -> None:
    target = gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", "a line", at=HOUR)
    gcp.fake.deny(gcp.project, "logging.logEntries.list")

    with pytest.raises(ProviderAuthError) as raised:
        fetch(target)

    assert f"{target.id}: entries.list failed: 403" in raised.value.message
    assert "Permission 'logging.logEntries.list' denied" in raised.value.message
    assert raised.value.hint == (
        "the Application Default Credentials in use need the IAM permission "
        f"logging.logEntries.list on project {gcp.project} (roles/logging.viewer has it)"
    )


# -- the emulator's filter ------------------------------------------------------------------------
def test_the_emulator_reads_the_tools_own_filter_shape() -> None:
    target = GcpTarget(provider="gcp", project="acme-co", instance="orders-db")

    clauses = parse_filter(logs.log_filter(target, HOUR))

    assert [[t.field for t in clause] for clause in clauses] == [
        ["resource.type"],
        ["resource.labels.database_id"],
        ["logName", "logName"],
        ["timestamp"],
    ]
    assert clauses[2][0].value == "projects/acme-co/logs/cloudsql.googleapis.com%2Fpostgres.log"


@pytest.mark.parametrize(
    "text",
    [
        'textPayload:"timeout"',  # the `:` (has) operator
        'resource.type="a" OR logName="b"',  # an OR outside parentheses
        'NOT severity="ERROR"',
        'timestamp>="yesterday"',
        'resource.type="a" AND',
    ],
)
def test_the_emulator_refuses_a_filter_it_does_not_read_with_a_400(text: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_filter(text)

    assert raised.value.code == 400


# -- through the command --------------------------------------------------------------------------
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incident"
# the server's line the example application's error (10:15:20) followed, as Cloud SQL writes it
CLOUDSQL_LINE = (
    "2026-12-07 10:14:58.120 UTC [3131]: [1-1] db=orders,user=app "
    "FATAL:  terminating connection due to idle-session timeout"
)


def test_diagnose_from_target_reads_the_instances_log_from_cloud_logging_and_names_the_cause(
    gcp: Any, cli: Any, tmp_path: Path
) -> None:
    gcp.add("orders-db")
    gcp.fake.put_log(gcp.project, "orders-db", CLOUDSQL_LINE, at=datetime.now(UTC))
    profile = tmp_path / "orders.yaml"
    profile.write_text(
        (EXAMPLE / "orders.yaml").read_text()
        + f"targets:\n  - {{provider: gcp, project: {gcp.project}, instance: orders-db}}\n"
    )

    found = cli("diagnose", profile, EXAMPLE / "app.log", "--from-target", "-o", "json")

    assert found.exit_code == 3, found.stderr
    document = json.loads(found.stdout)
    (incident,) = document["incidents"]
    assert incident["closed_by"] == "the server's idle_session_timeout"
    assert incident["evidence"][-1] == (
        f"{gcp.project}:orders-db:cloudsql.googleapis.com/postgres.log:1"
    )
