"""The server logs of the RDS and Aurora instances a target reaches, through the RDS API.

Why through the API: at 3 a.m. the evidence of which timeout closed Django's connection is in
the database's own log, and the profile already names where that database is. `server_logs` is
the `providers.base.ServerLogs` of AWS (named by `cloud.CLOUD.logs`); it reads with the same
credential chain, clients, per-call budget and retries as a plan (`clients`), and says a failure
the same way (`errors`).

Which instances (as a read finds them, `listings`): a DB parameter group reaches every instance
that uses it (DescribeDBInstances, every page: no filter names a parameter group), Aurora
members included; a DB cluster parameter group reaches every member of every cluster using it
(DescribeDBClusters, then the members). An RDS Proxy writes no log this API serves: a note says
to name its database's group.

Which files: the engine's error log, the one that records a connection the server closed
(`error/postgresql.log.YYYY-MM-DD-HH` for PostgreSQL; `error/mysql-error.log` and
`error/mysql-error-running.log[.N]` for MySQL and MariaDB: RDS User Guide, "Monitoring RDS for
PostgreSQL log files", "Overview of RDS for MySQL database logs", "Accessing MariaDB error
logs"); not `*.csv` (PostgreSQL's csvlog holds the same lines again), nor the slow query,
general or audit logs. MySQL appends mysql-error.log to mysql-error-running.log every 5 minutes,
so a line may come twice: a diagnosis counts an incident once.

The API (botocore's model of RDS 2014-10-31, botocore/data/rds/2014-10-31/service-2.json, and
its paginators-1.json):
- DescribeDBLogFiles(DBInstanceIdentifier, FileLastWritten: "files written since the specified
  date, in POSIX timestamp format with milliseconds"), paged by Marker (paginator `Marker` /
  `DescribeDBLogFiles`); each file's LogFileName, LastWritten, Size. Errors DBInstanceNotFound
  (404) and DBInstanceNotReady ("an Aurora Serverless v2 instance was paused").
- DownloadDBLogFilePortion(DBInstanceIdentifier, LogFileName, Marker, NumberOfLines): "up to 1
  MB"; Marker "0" reads from the file's start, then each answer's Marker "until the
  AdditionalDataPending response element returns false"; "If the number of lines specified
  results in a file over 1 MB in size, the file is truncated at 1 MB". Errors
  DBInstanceNotFound, DBInstanceNotReady, DBLogFileNotFoundFault (404: the file is gone, which
  happens to a file rotated away while it is read).
- A cut portion ends with " [Your log message was truncated]" and its Marker moves past every
  line asked for (aws/aws-sdk#20; fpietka/rds-pgbadger#10, which gives 10000 as NumberOfLines'
  maximum): the same Marker is asked again with half the lines, down to one line (a line longer
  than 1 MB stays cut, and a note says so).
- AWS recommends publishing the logs to CloudWatch Logs for heavy use ("This operation uses
  resources on database instances", DownloadDBLogFilePortion's documentation).

Least privilege: rds:DescribeDBInstances (a DB parameter group's instances), rds:DescribeDBClusters
(a cluster group's members), rds:DescribeDBLogFiles, rds:DownloadDBLogFilePortion; sts:AssumeRole
on `role_arn` when the target names one. A refusal is one message naming the permission.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions

from cloudtimeouts.providers.aws import listings
from cloudtimeouts.providers.aws.clients import Clients, SessionFactory
from cloudtimeouts.providers.aws.errors import translated
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.base import LogFile
from cloudtimeouts.providers.budget import LogsDeadline

# Lines asked per portion: 5000 lines of up to ~200 bytes (RDS PostgreSQL's log_line_prefix
# `%t:%r:%u@%d:[%p]:` and a message) stay under the 1 MB a portion may carry; longer lines make
# RDS cut the portion, and the portion is asked again with fewer lines.
LINES_PER_PORTION = 5_000
TRUNCATED = "[Your log message was truncated]"
ERROR_LOGS = "error/"
# Answers that end one file or one instance, never the run: it was there when listed.
_FILE_GONE = "DBLogFileNotFoundFault"
_INSTANCE_GONE = frozenset({"DBInstanceNotFound", "DBInstanceNotReady", "InvalidDBInstanceState"})


def server_logs(
    target: AwsTarget,
    since: datetime,
    *,
    timeout: float,
    session_factory: SessionFactory | None = None,
) -> Iterator[LogFile]:
    """Every error log file written since `since` (a naive time is UTC) on every instance the
    target reaches, oldest first per instance, each file's lines downloaded while they are read.

    Lazy: nothing is asked before the first item is taken. Raises a CloudtimeoutsError when a
    call fails (credentials, a permission, throttled or unanswered after the retries); an
    instance or a file that vanished since it was listed is a note (`LogFile.notes`).
    """
    budget = LogsDeadline(timeout)
    if target.rds_proxy:
        note = (
            f"{target.id}: an RDS Proxy writes no database log that DescribeDBLogFiles serves; "
            f"name its database's parameter group to read the server's log"
        )
        yield LogFile("", target.rds_proxy, (), [note])
        return
    rds = Clients(session_factory).rds(target)
    after = since if since.tzinfo else since.replace(tzinfo=UTC)
    for instance in instances(rds, target):
        if budget.spent:
            yield LogFile("", instance, (), [f"{instance}: not read: {budget.said()}"])
            continue
        listed, gone = _listed(rds, target, instance, after)
        if gone:
            yield LogFile("", instance, (), [gone])
            continue
        if not listed:
            when = f"{after.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
            yield LogFile("", instance, (), [f"{instance}: no error log written since {when}"])
            continue
        for name in listed:
            notes: list[str] = []
            yield LogFile(name, instance, _lines(rds, target, instance, name, notes, budget), notes)


def instances(rds: Any, target: AwsTarget) -> list[str]:
    """The DB instances whose server applies the target's group (module docstring)."""
    if target.cluster_parameter_group:
        view = listings.aurora_view(rds, target, [target.group_name])
        return list(dict.fromkeys(member for _, member in view.members(target.group_name)))
    wanted, found = target.group_name.lower(), []
    with translated(target, "DescribeDBInstances"):
        for page in rds.get_paginator("describe_db_instances").paginate():
            for instance in page.get("DBInstances", []):
                groups = instance.get("DBParameterGroups", [])
                if any(g.get("DBParameterGroupName", "").lower() == wanted for g in groups):
                    found.append(instance["DBInstanceIdentifier"])
    return found


def _code(error: botocore.exceptions.ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _listed(
    rds: Any, target: AwsTarget, instance: str, since: datetime
) -> tuple[list[str], str | None]:
    """(the instance's error logs written since `since`, oldest first; None, or why the
    instance could not be listed: gone or paused since it was found)."""
    files: list[tuple[int, str]] = []
    written = int(since.timestamp() * 1000)  # FileLastWritten: milliseconds
    with translated(target, "DescribeDBLogFiles"):
        try:
            pages = rds.get_paginator("describe_db_log_files").paginate(
                DBInstanceIdentifier=instance, FileLastWritten=written
            )
            for page in pages:
                for row in page.get("DescribeDBLogFiles", []):
                    name = str(row.get("LogFileName", ""))
                    if name.startswith(ERROR_LOGS) and not name.endswith(".csv"):
                        files.append((int(row.get("LastWritten", 0)), name))
        except botocore.exceptions.ClientError as error:
            if _code(error) not in _INSTANCE_GONE:
                raise
            return [], f"{instance}: not read: {_code(error)} (gone or paused since listed)"
    return [name for _, name in sorted(files)], None


def _lines(
    rds: Any, target: AwsTarget, instance: str, name: str, notes: list[str], budget: LogsDeadline
) -> Iterator[str]:
    """The file's lines from its start, portion by portion (module docstring)."""
    marker, count, read = "0", LINES_PER_PORTION, 0
    while True:
        if budget.spent:
            notes.append(f"{name} on {instance}: stopped after {read} lines: {budget.said()}")
            return
        with translated(target, "DownloadDBLogFilePortion"):
            try:
                answer = rds.download_db_log_file_portion(
                    DBInstanceIdentifier=instance,
                    LogFileName=name,
                    Marker=marker,
                    NumberOfLines=count,
                )
            except botocore.exceptions.ClientError as error:
                code = _code(error)
                if code != _FILE_GONE and code not in _INSTANCE_GONE:
                    raise
                notes.append(
                    f"{name} on {instance}: gone after {read} lines ({code}: rotated away or "
                    f"removed while read); skipped the rest"
                )
                return
        data = str(answer.get("LogFileData") or "")
        if data.rstrip("\n").endswith(TRUNCATED):
            if count > 1:  # the Marker we sent still points at the cut lines: fewer at a time
                count = max(1, count // 2)
                continue
            notes.append(f"{name} on {instance}: line {read + 1} is longer than 1 MB: cut there")
        pieces = data.split("\n")
        if pieces[-1] == "":
            pieces.pop()
        for line in pieces:
            read += 1
            yield line.removesuffix("\r")
        following = answer.get("Marker")
        if not answer.get("AdditionalDataPending") or not following:
            return
        if following == marker and not pieces:  # no progress: never ask the same thing forever
            notes.append(f"{name} on {instance}: RDS said more data was pending but sent none")
            return
        marker = following
