"""Database log files as RDS serves them: DescribeDBLogFiles and DownloadDBLogFilePortion.

Why here and not moto: moto 5 lists one made-up file per instance (`error/<engine>.log`, or
`error/postgresql.log.<hour>`, always 123 bytes), ignores every filter, Marker and MaxRecords,
and has no DownloadDBLogFilePortion at all; a tool that pages, filters by time and survives
rotation cannot be tested on it. The store knows nothing of HTTP or moto: the app asks moto
whether an instance exists and calls this under its lock.

The API (botocore's model of RDS 2014-10-31, service-2.json, which is the API Reference's text):
- DescribeDBLogFiles: DBInstanceIdentifier (required); FilenameContains; FileLastWritten "files
  written since the specified date, in POSIX timestamp format with milliseconds"; FileSize
  "files larger than the specified size"; MaxRecords and Marker; errors DBInstanceNotFound
  (404) and DBInstanceNotReady. Each DescribeDBLogFilesDetails has LogFileName, LastWritten (a
  POSIX timestamp; RDS answers milliseconds, as FileLastWritten takes them) and Size in bytes.
  The model gives MaxRecords no bounds; 100 per page by default, as RDS's other Describe calls.
- DownloadDBLogFilePortion: "Downloads all or a portion of the specified log file, up to 1 MB
  in size". NumberOfLines: "If the number of lines specified results in a file over 1 MB in
  size, the file is truncated at 1 MB in size"; no Marker and no NumberOfLines: up to 10000
  lines, the most recent; NumberOfLines without Marker: the most recent lines; Marker "0": from
  the file's start, then each answer's Marker "until the AdditionalDataPending response element
  returns false". Errors DBInstanceNotFound, DBInstanceNotReady, DBLogFileNotFoundFault (404).
- What a cut portion looks like: the data ends with " [Your log message was truncated]"
  (aws/aws-sdk#20, 2017: seen 5 to 40 times in a 200 MB to 3 GB download), and the Marker moves
  on past every line asked for, so the rest of the cut lines are lost unless asked again with
  fewer lines (fpietka/rds-pgbadger#10, which also gives 10000 as NumberOfLines' default and
  maximum). Exactly where RDS cuts (byte or line) is UNVERIFIED: here, at 1 MB of the text.
- Wording of DBLogFileNotFoundFault: "DBLog File: <name>, is not found on the DB instance", as
  users quote it from the CLI (UNVERIFIED against a captured answer).

Names (RDS User Guide): PostgreSQL writes `error/postgresql.log.YYYY-MM-DD-HH` (log_filename
`postgresql.log.%Y-%m-%d-%H`; "Monitoring RDS for PostgreSQL log files"); MySQL writes
`error/mysql-error.log`, appended every 5 minutes to `mysql-error-running.log`, rotated hourly
("Overview of RDS for MySQL database logs"); MariaDB the same files ("Accessing MariaDB error
logs").

What the sandbox does not do: an instance lists no file until a test or the demo puts one on it
(`LogFiles.put`), where RDS lists its current file from the start; nothing rotates by itself.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cloudtimeouts.sandbox.rds.wire import RdsError

__all__ = ["PORTION_LIMIT", "TRUNCATED", "LogFiles", "default_name"]

PORTION_LIMIT = 1024 * 1024  # "up to 1 MB in size" (DownloadDBLogFilePortion)
MAX_LINES = 10_000  # NumberOfLines' default and maximum (fpietka/rds-pgbadger#10)
TRUNCATED = " [Your log message was truncated]"  # aws/aws-sdk#20
PAGE = 100  # DescribeDBLogFiles' page when MaxRecords is absent


def default_name(engine: str, written: datetime) -> str:
    """The error log's name RDS gives an engine's instance (module docstring)."""
    if "postgres" in engine:
        return f"error/postgresql.log.{written.astimezone(UTC):%Y-%m-%d-%H}"
    return "error/mysql-error.log"


@dataclass
class _File:
    lines: list[str] = field(default_factory=list)  # each with its line break
    last_written_ms: int = 0
    generation: int = 0  # a Marker of an earlier file of the same name is refused

    @property
    def size(self) -> int:
        return sum(len(line.encode()) for line in self.lines)


class LogFiles:
    """Every instance's log files, by (region, instance); not thread-safe (the app's lock)."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], dict[str, _File]] = {}
        self._generations = 0

    def clear(self) -> None:
        self._files.clear()

    def put(self, region: str, instance: str, name: str, text: str, written: datetime) -> None:
        """Append `text` to a file (made if new) and mark it written at `written`."""
        file = self._files.setdefault((region, instance), {}).get(name)
        if file is None:
            self._generations += 1
            file = _File(generation=self._generations)
            self._files[region, instance][name] = file
        file.lines += text.splitlines(keepends=True)
        if file.lines and not file.lines[-1].endswith("\n"):
            file.lines[-1] += "\n"
        file.last_written_ms = max(file.last_written_ms, int(written.timestamp() * 1000))

    def remove(self, region: str, instance: str, name: str) -> None:
        """The file is gone (rotated away, or past its retention)."""
        self._files.get((region, instance), {}).pop(name, None)

    def forget_instance(self, region: str, instance: str) -> None:
        self._files.pop((region, instance), None)

    # -- the API --------------------------------------------------------------------------------
    def describe(self, region: str, instance: str, form: Mapping[str, str]) -> dict[str, object]:
        files = self._files.get((region, instance), {})
        contains = form.get("FilenameContains", "")
        since = int(form.get("FileLastWritten") or 0)
        larger = int(form.get("FileSize") or 0)
        rows = [
            {"LogFileName": name, "LastWritten": file.last_written_ms, "Size": file.size}
            for name, file in sorted(files.items(), key=lambda item: item[1].last_written_ms)
            if contains in name and file.last_written_ms >= since and file.size > larger
        ]
        size = int(form.get("MaxRecords") or PAGE)
        if size < 1:
            raise RdsError("InvalidParameterValue", "MaxRecords must be a positive number.")
        start = _offset(form.get("Marker"), f"files|{region}|{instance}", len(rows))
        end = start + size
        marker = _marker(f"files|{region}|{instance}", end) if end < len(rows) else None
        return {"DescribeDBLogFiles": rows[start:end], "Marker": marker}

    def download(self, region: str, instance: str, form: Mapping[str, str]) -> dict[str, object]:
        name = form.get("LogFileName", "")
        file = self._files.get((region, instance), {}).get(name)
        if file is None:
            said = f"DBLog File: {name}, is not found on the DB instance"
            raise RdsError("DBLogFileNotFoundFault", said, 404)
        total = len(file.lines)
        asked = form.get("NumberOfLines")
        count = min(MAX_LINES, int(asked)) if asked else MAX_LINES
        if count < 1:
            raise RdsError("InvalidParameterValue", "NumberOfLines must be a positive number.")
        scope = f"{name}|{file.generation}"
        if form.get("Marker") is None:  # the most recent lines, the file's end
            start, end = max(0, total - count), total
        else:
            start = 0 if form["Marker"] == "0" else _offset(form["Marker"], scope, total)
            end = min(total, start + count)
        data = "".join(file.lines[start:end])
        encoded = data.encode()
        if len(encoded) > PORTION_LIMIT:
            data = encoded[:PORTION_LIMIT].decode(errors="ignore") + TRUNCATED
        return {
            "LogFileData": data,
            "Marker": _marker(scope, end),
            "AdditionalDataPending": end < total,
        }


def _marker(scope: str, offset: int) -> str:
    """An opaque Marker that only this listing or file accepts (RDS's are opaque too)."""
    return base64.urlsafe_b64encode(f"{scope}|{offset}".encode()).decode()


def _offset(marker: str | None, scope: str, limit: int) -> int:
    if not marker:
        return 0
    try:
        token_scope, _, offset = base64.urlsafe_b64decode(marker).decode().rpartition("|")
        start = int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        token_scope, start = "", -1
    if token_scope != scope or not 0 <= start <= limit:
        raise RdsError("InvalidParameterValue", "The marker is not valid.")  # UNVERIFIED wording
    return start


def now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)
