"""Server logs from RDS and Aurora (issue 19, item 3): `providers.aws.logs.server_logs` against the
RDS emulator, reached through AWS_ENDPOINT_URL_RDS like any boto3 user (the `aws` fixture).

The API facts the emulator serves are cited in `cloudtimeouts/sandbox/rds/logs.py` (botocore's
model of DescribeDBLogFiles and DownloadDBLogFilePortion; the RDS User Guide's log file names);
the tool's reading of them in `cloudtimeouts/providers/aws/logs.py`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudtimeouts.cloud import cloud
from cloudtimeouts.errors import ProviderAPIError, ProviderAuthError
from cloudtimeouts.providers.aws import logs
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.base import LogFile
from cloudtimeouts.sandbox.loopback import Fault
from cloudtimeouts.sandbox.rds.logs import PORTION_LIMIT, TRUNCATED

REGION = "eu-west-1"
HOUR = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
# RDS PostgreSQL's log_line_prefix `%t:%r:%u@%d:[%p]:` and the server's idle-session message
PG_LINE = (
    "2026-12-07 10:{:02d}:00 UTC:10.0.1.7(5432):app@orders:[{}]:"
    "FATAL:  terminating connection due to idle-session timeout"
)


def group_target(name: str = "orders-pg16") -> AwsTarget:
    return AwsTarget(provider="aws", region=REGION, parameter_group=name)


def pg_instance(aws: Any, identifier: str = "orders-db", group: str = "orders-pg16") -> None:
    if group not in {g.name for g in aws.app.groups.all(REGION, False)}:
        aws.create_group(group, "postgres16")
    aws.create_instance(identifier, "postgres", group=group)


def pg_lines(count: int, pid: int = 100) -> list[str]:
    return [PG_LINE.format(index % 60, pid + index) for index in range(count)]


def fetch(target: AwsTarget, since: datetime = LONG_AGO, timeout: float = 30.0) -> list[LogFile]:
    return list(logs.server_logs(target, since, timeout=timeout))


def read(files: list[LogFile]) -> dict[tuple[str, str], list[str]]:
    """Every file's lines, read whole (the notes fill as they are read)."""
    return {(file.instance, file.name): list(file.lines) for file in files}


# -- the registry ---------------------------------------------------------------------------------
def test_the_aws_cloud_names_its_log_fetch_through_its_face_as_the_others_do() -> None:
    assert cloud("aws").logs == "cloudtimeouts.providers.aws:server_logs"
    from cloudtimeouts.providers import aws as face

    assert face.server_logs is logs.server_logs
    assert cloud("gcp").logs == "cloudtimeouts.providers.gcp:server_logs"
    assert cloud("azure").logs == "cloudtimeouts.providers.azure:server_logs"


# -- paging ---------------------------------------------------------------------------------------
def test_a_file_longer_than_one_portion_comes_whole_and_in_order_portion_by_portion(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LINES_PER_PORTION", 50)
    pg_instance(aws)
    written = pg_lines(520)
    name = aws.put_log("orders-db", "\n".join(written), written=HOUR)
    aws.reset_counters()

    (file,) = fetch(group_target())

    assert (file.instance, file.name) == ("orders-db", "error/postgresql.log.2026-12-07-10")
    assert name == file.name
    assert list(file.lines) == written and file.notes == []
    portions = [r for r in aws.server.recorded() if r.operation == "DownloadDBLogFilePortion"]
    assert len(portions) == 11  # 520 lines, 50 a portion: Marker "0", then each answer's Marker
    assert b"Marker=0&" in portions[0].body or portions[0].body.endswith(b"Marker=0")


def test_describe_db_log_files_is_followed_through_every_page(aws: Any) -> None:
    pg_instance(aws)
    first = HOUR - timedelta(hours=110)
    hours = [first + timedelta(hours=index) for index in range(110)]  # more than a page of 100
    for index, hour in enumerate(hours):
        aws.put_log("orders-db", f"line {index}", written=hour)
    aws.reset_counters()

    files = fetch(group_target())

    assert [f.name for f in files] == [f"error/postgresql.log.{h:%Y-%m-%d-%H}" for h in hours]
    assert aws.calls["DescribeDBLogFiles"] == 2
    assert list(files[-1].lines) == ["line 109"]  # oldest first: the latest is last


def test_a_portion_cut_at_1_mb_is_asked_again_with_fewer_lines_and_nothing_is_lost(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LINES_PER_PORTION", 8)
    pg_instance(aws)
    long = [f"{index}:" + "x" * 300_000 for index in range(6)]  # 8 of them: 2.4 MB, over 1 MB
    aws.put_log("orders-db", "\n".join(long), written=HOUR)

    (file,) = fetch(group_target())

    lines = list(file.lines)
    assert lines == long
    assert not any(TRUNCATED in line for line in lines) and file.notes == []


def test_a_line_longer_than_1_mb_is_kept_cut_and_said(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LINES_PER_PORTION", 2)
    pg_instance(aws)
    aws.put_log("orders-db", "first\n" + "y" * (PORTION_LIMIT + 10) + "\nlast", written=HOUR)

    (file,) = fetch(group_target())

    lines = list(file.lines)
    assert lines[0] == "first" and lines[-1] == "last" and len(lines) == 3
    assert lines[1].endswith(TRUNCATED)
    assert file.notes == [f"{file.name} on orders-db: line 2 is longer than 1 MB: cut there"]


# -- which files, which instances -----------------------------------------------------------------
def test_since_leaves_out_files_last_written_before_it(aws: Any) -> None:
    pg_instance(aws)
    aws.put_log("orders-db", "old", written=HOUR - timedelta(hours=2))
    aws.put_log("orders-db", "new", written=HOUR + timedelta(minutes=5))
    aws.reset_counters()

    files = fetch(group_target(), since=HOUR)

    assert read(files) == {("orders-db", "error/postgresql.log.2026-12-07-10"): ["new"]}
    assert aws.last_params["DescribeDBLogFiles"]["FileLastWritten"] == str(
        int(HOUR.timestamp() * 1000)  # milliseconds, as the model says
    )


def test_only_the_error_log_is_read_not_csvlog_slow_general_or_audit_logs(aws: Any) -> None:
    aws.create_group("orders-my8", "mysql8.0")
    aws.create_instance("orders-my", "mysql", group="orders-my8")
    for name in ("slowquery/mysql-slowquery.log", "general/mysql-general.log",
                 "audit/server_audit.log", "error/postgresql.log.2026-12-07-10.csv"):  # fmt: skip
        aws.put_log("orders-my", "noise", name=name, written=HOUR)
    aborted = "2026-12-07T10:00:00.000000Z 7 [Note] Aborted connection 7 to db: 'orders'"
    error = aws.put_log("orders-my", aborted, written=HOUR)
    running = aws.put_log("orders-my", "older", name="error/mysql-error-running.log.9",
                          written=HOUR - timedelta(minutes=30))  # fmt: skip

    files = fetch(group_target("orders-my8"))

    assert error == "error/mysql-error.log"  # RDS's name for MySQL's (and MariaDB's) error log
    assert [f.name for f in files] == [running, error]  # oldest first


def test_a_naive_since_is_utc(aws: Any) -> None:
    pg_instance(aws)
    aws.put_log("orders-db", "old", written=HOUR - timedelta(minutes=1))
    aws.put_log("orders-db", "new", written=HOUR + timedelta(hours=1))

    files = fetch(group_target(), since=HOUR.replace(tzinfo=None))

    assert [list(f.lines) for f in files] == [["new"]]


def test_a_mariadb_instance_writes_rds_mysql_error_log(aws: Any) -> None:
    aws.create_group("orders-maria", "mariadb10.11")
    aws.create_instance("orders-maria", "mariadb", group="orders-maria")

    name = aws.put_log("orders-maria", "2026-12-07 10:00:00 7 [Warning] Aborted connection 7")

    assert name == "error/mysql-error.log"  # RDS User Guide, "Accessing MariaDB error logs"
    (file,) = fetch(group_target("orders-maria"))
    assert list(file.lines) == ["2026-12-07 10:00:00 7 [Warning] Aborted connection 7"]


def test_an_instance_with_no_logs_is_one_note_and_no_file(aws: Any) -> None:
    pg_instance(aws)

    (entry,) = fetch(group_target(), since=HOUR)

    assert (entry.name, entry.instance, list(entry.lines)) == ("", "orders-db", [])
    assert entry.notes == ["orders-db: no error log written since 2026-12-07 10:00:00 UTC"]


def test_a_db_parameter_group_reaches_only_the_instances_that_use_it(aws: Any) -> None:
    pg_instance(aws, "orders-a")
    pg_instance(aws, "orders-b")
    pg_instance(aws, "billing", group="billing-pg16")
    for instance in ("orders-a", "orders-b", "billing"):
        aws.put_log(instance, f"from {instance}", written=HOUR)

    files = fetch(group_target())

    assert sorted((f.instance, next(iter(f.lines))) for f in files) == [
        ("orders-a", "from orders-a"),
        ("orders-b", "from orders-b"),
    ]


def test_a_cluster_parameter_group_reaches_every_member_of_its_clusters(aws: Any) -> None:
    aws.create_group("search-aurora", "aurora-postgresql16", cluster=True)
    aws.create_cluster("search", "aurora-postgresql", "search-aurora", members=2)
    aws.put_log("search-1", "writer line", written=HOUR)
    aws.put_log("search-2", "reader line", written=HOUR)
    target = AwsTarget(provider="aws", region=REGION, cluster_parameter_group="search-aurora")

    files = fetch(target)

    assert read(files) == {
        ("search-1", "error/postgresql.log.2026-12-07-10"): ["writer line"],
        ("search-2", "error/postgresql.log.2026-12-07-10"): ["reader line"],
    }


def test_an_rds_proxy_target_is_a_note_naming_what_to_read_instead(aws: Any) -> None:
    target = AwsTarget(provider="aws", region=REGION, rds_proxy="orders-proxy")

    (entry,) = fetch(target)

    assert entry.name == "" and "name its database's parameter group" in entry.notes[0]
    assert aws.calls["DescribeDBLogFiles"] == 0


# -- files and instances that vanish --------------------------------------------------------------
def test_a_file_rotated_away_between_list_and_download_is_skipped_with_a_note(aws: Any) -> None:
    pg_instance(aws)
    first = aws.put_log("orders-db", "gone soon", written=HOUR)
    aws.put_log("orders-db", "still here", written=HOUR + timedelta(hours=1))

    files = iter(logs.server_logs(group_target(), LONG_AGO, timeout=30))
    listed = next(files)  # the instance's files are listed by now
    aws.remove_log("orders-db", first)

    assert list(listed.lines) == []
    assert listed.notes == [
        f"{first} on orders-db: gone after 0 lines (DBLogFileNotFoundFault: rotated away or "
        f"removed while read); skipped the rest"
    ]
    (following,) = files
    assert list(following.lines) == ["still here"] and following.notes == []


def test_a_file_rotated_away_mid_download_keeps_the_lines_read_and_says_so(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LINES_PER_PORTION", 10)
    pg_instance(aws)
    name = aws.put_log("orders-db", "\n".join(pg_lines(25)), written=HOUR)

    (file,) = fetch(group_target())
    lines = iter(file.lines)
    head = [next(lines) for _ in range(10)]  # the first portion
    aws.remove_log("orders-db", name)

    assert head + list(lines) == pg_lines(25)[:10]
    assert file.notes and "gone after 10 lines (DBLogFileNotFoundFault" in file.notes[0]


def test_an_instance_deleted_between_the_lookup_and_its_listing_is_a_note(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_instance(aws, "orders-a")
    pg_instance(aws, "orders-b")
    aws.put_log("orders-b", "b", written=HOUR)
    real = logs.instances

    def then_deleted(rds: Any, target: AwsTarget) -> list[str]:
        found = real(rds, target)
        aws.client().delete_db_instance(DBInstanceIdentifier="orders-a", SkipFinalSnapshot=True)
        return found

    monkeypatch.setattr(logs, "instances", then_deleted)
    files = fetch(group_target())

    gone = next(f for f in files if f.instance == "orders-a")
    assert gone.name == "" and gone.notes[0].startswith("orders-a: not read: DBInstanceNotFound")
    assert read([f for f in files if f.instance == "orders-b"]) == {
        ("orders-b", "error/postgresql.log.2026-12-07-10"): ["b"]
    }


# -- faults and permissions ---------------------------------------------------------------------
@pytest.mark.parametrize("fault", [Fault.THROTTLE, Fault.SERVER_ERROR, Fault.LOST_RESPONSE])
def test_a_throttled_or_5xx_call_is_retried_and_the_log_comes_whole(
    aws: Any, monkeypatch: pytest.MonkeyPatch, fault: Fault
) -> None:
    monkeypatch.setattr(logs, "LINES_PER_PORTION", 10)
    pg_instance(aws)
    aws.put_log("orders-db", "\n".join(pg_lines(30)), written=HOUR)
    aws.faults.add(fault, operation="DescribeDBLogFiles", nth=1)
    aws.faults.add(fault, operation="DownloadDBLogFilePortion", nth=2)

    (file,) = fetch(group_target())

    assert list(file.lines) == pg_lines(30) and file.notes == []
    assert [operation for operation, _ in aws.faults.fired] == [
        "DescribeDBLogFiles",
        "DownloadDBLogFilePortion",
    ]


def test_throttling_past_the_retries_is_one_error_naming_the_call(aws: Any) -> None:
    pg_instance(aws)
    aws.put_log("orders-db", "a line", written=HOUR)
    aws.faults.add(Fault.THROTTLE, operation="DownloadDBLogFilePortion", rate=1.0)

    (file,) = fetch(group_target())
    with pytest.raises(ProviderAPIError) as raised:
        list(file.lines)

    assert raised.value.message.startswith(
        "aws:eu-west-1:parameter-group/orders-pg16: DownloadDBLogFilePortion failed: Throttling"
    )
    assert "AWS_RETRY_MODE=adaptive" in (raised.value.hint or "")


@pytest.mark.parametrize(
    "action", ["DescribeDBInstances", "DescribeDBLogFiles", "DownloadDBLogFilePortion"]
)
def test_a_missing_permission_is_one_message_naming_it(aws: Any, action: str) -> None:
    pg_instance(aws)
    aws.put_log("orders-db", "a line", written=HOUR)
    aws.deny(action)

    with pytest.raises(ProviderAuthError) as raised:
        read(fetch(group_target()))

    assert f"{action} failed: AccessDenied" in raised.value.message
    assert raised.value.hint == f"the credentials in use need the IAM permission rds:{action}"


def test_a_budget_spent_mid_file_keeps_the_lines_read_and_reads_no_further_file(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "LINES_PER_PORTION", 5)
    now = [0.0]
    monkeypatch.setattr(logs.LogsDeadline, "clock", staticmethod(lambda: now[0]))
    pg_instance(aws)
    first = aws.put_log("orders-db", "\n".join(pg_lines(20)), written=HOUR)
    aws.put_log("orders-db", "later", written=HOUR + timedelta(hours=1))

    files = iter(logs.server_logs(group_target(), LONG_AGO, timeout=60))
    file = next(files)
    lines = iter(file.lines)
    head = [next(lines) for _ in range(5)]  # the first portion, within the budget
    now[0] = 60.0  # the budget is spent

    assert head + list(lines) == pg_lines(5)
    assert file.notes == [
        f"{first} on orders-db: stopped after 5 lines: the 60 s allowed for the server logs "
        f"was spent"
    ]
    (following,) = files
    assert list(following.lines) == [] and "stopped after 0 lines" in following.notes[0]


def test_a_silent_endpoint_is_one_error_within_the_clients_budget(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.providers.aws import clients

    # 2 attempts (AWS_MAX_ATTEMPTS) of a 1 s read timeout: the client's budget, not the fetch's
    monkeypatch.setattr(clients, "CALLS", replace(clients.CALLS, total_s=2.0))
    monkeypatch.setattr(clients, "MIN_READ_TIMEOUT_S", 1.0)
    monkeypatch.setattr(clients, "BACKOFF_ALLOWANCE_S", 0.0)
    pg_instance(aws)
    aws.put_log("orders-db", "a line", written=HOUR)
    aws.faults.add(Fault.BLACK_HOLE, operation="DownloadDBLogFilePortion", rate=1.0)
    started = time.monotonic()

    (file,) = fetch(group_target(), timeout=600)
    with pytest.raises(ProviderAPIError) as raised:
        list(file.lines)

    assert time.monotonic() - started < 10
    assert "DownloadDBLogFilePortion failed: no usable answer from" in raised.value.message


# -- the emulator speaks the API ------------------------------------------------------------------
def test_the_emulator_answers_unknown_instances_and_files_as_rds_does(aws: Any) -> None:
    pg_instance(aws)
    rds = aws.client()
    with pytest.raises(ClientError) as instance:
        rds.describe_db_log_files(DBInstanceIdentifier="nowhere")
    with pytest.raises(ClientError) as file:
        rds.download_db_log_file_portion(DBInstanceIdentifier="orders-db", LogFileName="error/x")

    assert instance.value.response["Error"]["Code"] == "DBInstanceNotFound"
    assert instance.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert file.value.response["Error"]["Code"] == "DBLogFileNotFoundFault"
    assert file.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_the_emulator_serves_the_latest_lines_without_a_marker_and_refuses_a_foreign_one(
    aws: Any,
) -> None:
    pg_instance(aws)
    name = aws.put_log("orders-db", "\n".join(["1", "2", "3", "4"]), written=HOUR)
    rds = aws.client()

    tail = rds.download_db_log_file_portion(DBInstanceIdentifier="orders-db", LogFileName=name,
                                            NumberOfLines=2)  # fmt: skip
    head = rds.download_db_log_file_portion(DBInstanceIdentifier="orders-db", LogFileName=name,
                                            Marker="0", NumberOfLines=2)  # fmt: skip
    with pytest.raises(ClientError) as foreign:
        rds.download_db_log_file_portion(DBInstanceIdentifier="orders-db", LogFileName=name,
                                         Marker="bm90LW91cnN8Mg==", NumberOfLines=2)  # fmt: skip

    assert (tail["LogFileData"], tail["AdditionalDataPending"]) == ("3\n4\n", False)
    assert (head["LogFileData"], head["AdditionalDataPending"]) == ("1\n2\n", True)
    assert foreign.value.response["Error"]["Code"] == "InvalidParameterValue"
