"""Cloud Logging's `entries.list`, holding the server log entries of the emulated instances.

Why here: Cloud SQL writes its instances' server logs to Cloud Logging only, so the emulator of
Cloud SQL serves the one Logging method a reader of those logs calls, at the same base URL, with
the same bearer tokens and fault switch.

The method (Cloud Logging API v2 reference, "Method: entries.list",
https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/list): `POST /v2/entries:list`
with a JSON body: `resourceNames` (required; "projects/[PROJECT_ID]" is the form served here),
`filter`, `orderBy` ("timestamp asc", the default, or "timestamp desc"; anything else is 400),
`pageSize` ("Default is 50. If the value is negative or exceeds 1000, the request is rejected"),
`pageToken`; the answer `{"entries": [LogEntry...], "nextPageToken": ...}`, `entries` left out
when there are none. A denied caller gets 403 PERMISSION_DENIED ("Permission
'logging.logEntries.list' denied on resource (or it may not exist)."; wording UNVERIFIED
against a captured body).

The filter: only the shape a reader of one instance's server log sends is read (the Logging
query language is far larger): terms joined by AND, each `FIELD="VALUE"` or a parenthesised
OR of them, or `timestamp` compared with >=, >, <= or < to an RFC 3339 time; FIELD is
`resource.type`, `resource.labels.NAME`, `logName` or `severity`. Anything else is a 400 that
names what was not understood, never a silently wider answer.

The entries are what Cloud SQL writes (Cloud SQL docs, "View instance logs"): resource
`cloudsql_database` with the labels `database_id` ("PROJECT:INSTANCE"), `project_id` and
`region`; the log `projects/PROJECT/logs/cloudsql.googleapis.com%2Fpostgres.log`
(`...%2Fmysql.err` for MySQL); one server log line each, in `textPayload`.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from cloudtimeouts.sandbox.cloudsql.wire import ApiError, decode_page_token, encode_page_token

__all__ = ["DEFAULT_PAGE_SIZE", "LOG_IDS", "MAX_PAGE_SIZE", "LogEntries", "parse_filter"]

JSON = dict[str, Any]
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PERMISSION = "logging.logEntries.list"
LOG_IDS = {
    "postgres": "cloudsql.googleapis.com/postgres.log",
    "mysql": "cloudsql.googleapis.com/mysql.err",
}
_FIELDS = re.compile(r"resource\.type|resource\.labels\.[a-z_]+|logName|severity|timestamp")
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<word>AND|OR)(?=[\s(])"
    r'|(?P<field>[A-Za-z_.]+)\s*(?P<op>>=|<=|=|>|<)\s*(?P<value>"(?:[^"\\]|\\.)*"))'
)


@dataclass(frozen=True, slots=True)
class _Term:
    field: str
    op: str
    value: str

    def holds(self, entry: JSON) -> bool:
        if self.field == "timestamp":
            at, bound = _time(entry["timestamp"]), _time(self.value)
            return {
                ">=": at >= bound,
                ">": at > bound,
                "<=": at <= bound,
                "<": at < bound,
            }[self.op]
        return _field(entry, self.field) == self.value


Filter = list[list[_Term]]  # AND of ORs


def parse_filter(text: str) -> Filter:
    """The AND of ORs the filter says, or a 400 naming the first part not understood."""
    clauses: Filter = []
    position, group = 0, None
    expect_term = True
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _unsupported(text[position:])
        position = match.end()
        if match["open"]:
            if group is not None or not expect_term:
                raise _unsupported(match.group(0))
            group = []
        elif match["close"]:
            if group is None or not group or expect_term:
                raise _unsupported(match.group(0))
            clauses.append(group)
            group, expect_term = None, False
        elif match["word"]:
            if expect_term or (match["word"] == "OR") != (group is not None):
                raise _unsupported(match["word"])
            expect_term = True
        else:
            term = _term(match)
            if not expect_term:
                raise _unsupported(match.group(0))
            if group is not None:
                group.append(term)
            else:
                clauses.append([term])
            expect_term = False
    if group is not None or (clauses and expect_term):
        raise _unsupported(text[-20:])
    return clauses


def _term(match: re.Match[str]) -> _Term:
    name, op = match["field"], match["op"]
    if not _FIELDS.fullmatch(name) or (op != "=" and name != "timestamp"):
        raise _unsupported(match.group(0).strip())
    value = bytes(match["value"][1:-1], "utf-8").decode("unicode_escape")
    if name == "timestamp":
        try:
            _time(value)
        except ValueError:
            raise ApiError(400, f"Invalid timestamp in filter: {value}", "badRequest") from None
    return _Term(name, op, value)


def _unsupported(part: str) -> ApiError:
    return ApiError(
        400,
        f'Unparseable filter: the sandbox reads AND of FIELD="VALUE" terms, parenthesised ORs '
        f"and timestamp comparisons only; not understood: {part.strip()!r}",
        "badRequest",
    )


def _time(text: str) -> datetime:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _field(entry: JSON, path: str) -> Any:
    value: Any = entry
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass
class LogEntries:
    """Entries by project, in the order written; every method takes the lock."""

    entries: dict[str, list[JSON]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def put(
        self,
        project: str,
        instance: str,
        text: str,
        *,
        engine: str,
        at: datetime,
        region: str,
        severity: str = "DEFAULT",
    ) -> JSON:
        """One entry as Cloud SQL writes a line of the instance's server log (module docstring)."""
        stamp = at if at.tzinfo else at.replace(tzinfo=UTC)
        log_id = LOG_IDS[engine]
        entry: JSON = {
            "textPayload": text,
            "insertId": f"s{next(self._ids):08d}",
            "resource": {
                "type": "cloudsql_database",
                "labels": {
                    "database_id": f"{project}:{instance}",
                    "project_id": project,
                    "region": region,
                },
            },
            "timestamp": stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "severity": severity,
            "logName": f"projects/{project}/logs/{quote(log_id, safe='')}",
            "receiveTimestamp": stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        with self.lock:
            self.entries.setdefault(project, []).append(entry)
        return dict(entry)

    def list(self, body: Any) -> tuple[list[str], JSON]:
        """(the projects read, the answer); raises ApiError for a request Google refuses."""
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received.", "badRequest")
        names = body.get("resourceNames")
        if not isinstance(names, list) or not names:
            raise ApiError(
                400, "resourceNames: at least one resource name is required", "badRequest"
            )
        projects = []
        for name in names:
            kind, _, project = str(name).partition("/")
            if kind != "projects" or not project or "/" in project:
                raise ApiError(400, f"Invalid resource name: {name}", "badRequest")
            projects.append(project)
        order = str(body.get("orderBy") or "timestamp asc").strip()
        if order not in ("timestamp asc", "timestamp desc"):
            raise ApiError(400, f"Invalid orderBy: {order}", "badRequest")
        size = _page_size(body.get("pageSize"))
        clauses = parse_filter(str(body.get("filter") or ""))
        with self.lock:
            found = [e for p in projects for e in self.entries.get(p, [])]
        matching = [e for e in found if all(any(t.holds(e) for t in c) for c in clauses)]
        matching.sort(key=lambda e: _time(e["timestamp"]), reverse=order.endswith("desc"))
        start = decode_page_token(str(body.get("pageToken") or ""))
        end = start + size
        answer: JSON = {}
        if matching[start:end]:
            answer["entries"] = [dict(e) for e in matching[start:end]]
        if end < len(matching):
            answer["nextPageToken"] = encode_page_token(end)
        return projects, answer


def _page_size(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, f"Invalid value for pageSize: {raw}", "badRequest") from None
    if size < 0 or size > MAX_PAGE_SIZE:
        raise ApiError(400, f"pageSize must be between 0 and {MAX_PAGE_SIZE}", "badRequest")
    return size or DEFAULT_PAGE_SIZE
