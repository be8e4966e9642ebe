"""The database side's logs: PostgreSQL as each managed service prefixes it, MySQL and MariaDB
error logs, and PgBouncer. Each reader is tried on a line that passed the keyword prefilter and
is anchored at the line's start, so a line is one format's or none.

The formats, and where each shape comes from:
- `postgres`: PostgreSQL's default `log_line_prefix = '%m [%p] '` (PostgreSQL documentation,
  runtime-config-logging, log_line_prefix; Debian's packages add `%q%u@%d `), and any other
  prefix that starts with a time and has a `[pid]` before the severity (the generic reader).
- each cloud's own PostgreSQL prefix and log export (`cloud.LogPrefix`, `cloud.LogExport`,
  each cited in the provider package that declares it, read through the registry): a prefix
  stands between the line's time and its severity; an export is one JSON entry a line (or the
  text field's line of a pretty-printed one) whose text is read as a PostgreSQL or MySQL line,
  the entry's own time standing in when the text has none. `%r` is PostgreSQL's `host(port)`.
- `mysql-error`: MySQL 8's error log, `2026-12-07T10:00:00.123456Z 12 [Note] [MY-010914]
  [Server] Aborted connection ...` (MySQL 8.0 Reference Manual, "Error Log Message Format": time,
  thread id, [label], [err_code], [subsystem], message). `pid` holds the thread (connection) id.
- `mariadb-error`: MariaDB's, `2026-12-07 10:00:00 12 [Warning] Aborted connection ...`
  (MariaDB KB, "Error Log": "Format"; the note needs `log_warnings` >= 2, MariaDB's default).
  Its time has no zone (the server's local time): read in the assumed zone.
- `pgbouncer`: `2026-12-07 10:00:00.123 UTC [123] LOG C-0x...: db/user@host:port closing
  because: <reason> (age=<n>s)` (PgBouncer source: lib/usual/logging.c `log_generic` writes
  "%s [%u] %s %s" as time, pid, level, message; src/util.c `log_socket_prefix` writes
  "%c-%p: %s/%s@%s:%d "; src/objects.c "closing because: %s (age=%us)"). `session` holds the age.

No reader for a managed proxy's log: no provider documents the wording of a client its proxy
closed for idleness, so `evidence.PROXY_IDLE_CLIENT` stays unused until one does (the provider
packages' `logs` modules say where their proxies log).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta, tzinfo
from functools import cache
from typing import Final

from cloudtimeouts.cloud import LogExport, clouds
from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose import formats as fm

_TS: Final = (
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<tz>[A-Za-z]{1,5}|[+-]\d\d(?::?\d\d)?)"
)
_SEVERITY: Final = r"(?P<sev>LOG|FATAL|ERROR|WARNING|PANIC|NOTICE|INFO|DEBUG\d?):\s+(?P<msg>.*)"

_DEFAULT: Final = re.compile(_TS + r" \[(?P<pid>\d+)\] (?:(?P<user>\S*)@(?P<db>\S*) )?" + _SEVERITY)
_GENERIC: Final = re.compile(
    _TS + r"(?:.*?\[(?P<pid>\d+)\])?[^\[]*?\b" + _SEVERITY.replace(r":\s+", r":  ")
)


@cache
def _postgres() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Every PostgreSQL prefix, the clouds' own first (registered in the provider packages),
    then PostgreSQL's default and the generic one."""
    own = tuple(
        (prefix.name, re.compile(_TS + prefix.between + _SEVERITY))
        for described in clouds().values()
        for prefix in described.log_prefixes
    )
    return (*own, ("postgres", _DEFAULT), ("postgres", _GENERIC))


@cache
def _exports() -> tuple[tuple[LogExport, re.Pattern[str]], ...]:
    """Every cloud's log export, with the pattern of its text field's line when pretty-printed."""
    return tuple(
        (
            export,
            re.compile(rf'\s*"{re.escape(export.text)}"\s*:\s*(?P<text>"(?:[^"\\]|\\.)*")\s*,?\s*'),
        )
        for described in clouds().values()
        for export in described.log_exports
    )


_DISCONNECTION: Final = re.compile(
    r"disconnection: session time: (?P<time>\S+) user=(?P<user>\S*) database=(?P<db>\S*)"
    r" host=(?P<host>\S*)(?: port=(?P<port>\d+))?"
)
_REMOTE: Final = re.compile(r"(?P<host>.*)\((?P<port>\d+)\)")  # PostgreSQL's %r: host(port)

_MYSQL: Final = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(?P<tz>Z|[+-]\d\d:\d\d) (?P<thread>\d+)"
    r" \[\w+\] \[MY-\d+\] \[\w+\] (?P<msg>.*)"
)
_MARIADB: Final = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d +\d{1,2}:\d\d:\d\d) +(?P<thread>\d+) \[\w+\] (?P<msg>.*)"
)
_ABORTED: Final = re.compile(
    r"Aborted connection (?P<id>\d+) to db: '(?P<db>.*?)' user: '(?P<user>.*?)'"
    r" host: '(?P<host>.*?)'.*?\((?P<reason>[^()]*)\)\.?\s*$"
)

_PGBOUNCER: Final = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<tz>\S+) \[(?P<pid>\d+)\]"
    r" (?:LOG|WARNING|ERROR|DEBUG|NOISE) (?P<kind>[CS])-0x[0-9a-fA-F]+:"
    r" (?:(?P<db>[^\s/]*)/(?P<user>[^\s@]*)|peer-\d+)@(?P<host>\[[^\]]*\]|[^\s]*?):(?P<port>\d+)"
    r" (?P<msg>closing because: (?P<reason>.*?)(?: \(age=(?P<age>\d+)s?\))?)\s*$"
)

_PGBOUNCER_LINE: Final = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\]"
    r" (?:LOG|WARNING|ERROR|DEBUG|NOISE) [CS]-0x"
)


def _client(host: str | None, port: str | None) -> str | None:
    if not host:
        return None
    return f"{host}:{port}" if port else host


def postgres(
    line: str, source: str, assumed: tzinfo, *, fmt: str | None = None
) -> ev.Evidence | None:
    """A PostgreSQL log line in one of the prefixes above, if its message is evidence."""
    for name, pattern in _postgres():
        match = pattern.match(line)
        if match is None:
            continue
        message = match["msg"]
        what = fm.postgres_what(message)
        if what is None:
            return None
        fields = match.groupdict()
        pid: int | None = int(fields["pid"]) if fields.get("pid") else None
        if fields.get("pidhex"):
            pid = int(fields["pidhex"], 16)
        user, database = fields.get("user") or None, fields.get("db") or None
        client = None
        if fields.get("remote"):
            remote = _REMOTE.fullmatch(fields["remote"])
            client = _client(remote["host"], remote["port"]) if remote else fields["remote"]
        session: timedelta | None = None
        if what == ev.PG_DISCONNECTION:
            disconnection = _DISCONNECTION.match(message)
            if disconnection is not None:
                session = fm.session_time(disconnection["time"])
                user = disconnection["user"] or user
                database = disconnection["db"] or database
                client = _client(disconnection["host"], disconnection["port"]) or client
        return ev.Evidence(
            at=fm.at(match["ts"], match["tz"], assumed),
            source=source,
            side="server",
            format=fmt or name,
            what=what,
            pid=pid,
            session=session,
            user=user if user not in ("[unknown]",) else None,
            database=database if database not in ("[unknown]",) else None,
            client=client,
            detail=fm.detail(message),
        )
    return None


def mysql(line: str, source: str, assumed: tzinfo, *, fmt: str | None = None) -> ev.Evidence | None:
    """A MySQL 8 or MariaDB error log's `Aborted connection` note."""
    for name, pattern in (("mysql-error", _MYSQL), ("mariadb-error", _MARIADB)):
        match = pattern.match(line)
        if match is None:
            continue
        aborted = _ABORTED.search(match["msg"])
        if aborted is None:
            return None
        return ev.Evidence(
            at=fm.at(match["ts"], match.groupdict().get("tz"), assumed),
            source=source,
            side="server",
            format=fmt or name,
            what=fm.mysql_what(aborted["reason"]),
            pid=int(aborted["id"]),
            user=aborted["user"] or None,
            database=aborted["db"] or None,
            client=aborted["host"] or None,
            detail=fm.detail(match["msg"]),
        )
    return None


def pgbouncer(line: str, source: str, assumed: tzinfo) -> ev.Evidence | None:
    """A PgBouncer `closing because:` line whose reason names a timeout (or the client)."""
    match = _PGBOUNCER.match(line)
    if match is None:
        return None
    what = fm.PGBOUNCER_REASONS.get(match["reason"])
    if what is None:
        return None
    age = match["age"]
    client = _client(match["host"], match["port"]) if match["kind"] == "C" else None
    return ev.Evidence(
        at=fm.at(match["ts"], match["tz"], assumed),
        source=source,
        side="pooler",
        format="pgbouncer",
        what=what,
        pid=int(match["pid"]),
        session=timedelta(seconds=int(age)) if age else None,
        user=match["user"] or None,
        database=match["db"] or None,
        client=client,
        detail=fm.detail(line[match.start("kind") :]),
    )


def exported(line: str, source: str, assumed: tzinfo) -> ev.Evidence | None:
    """A cloud's log export entry (a JSON object on one line, or the text field's line of a
    pretty-printed export) whose text is a PostgreSQL or MySQL line we read."""
    stripped = line.lstrip()
    for export, text_line in _exports():
        stamp: object = None
        if stripped.startswith("{"):
            try:
                entry = json.loads(stripped)
            except ValueError:
                return None
            if not isinstance(entry, dict):
                return None
            text, stamp = entry.get(export.text), entry.get(export.time)
        else:
            match = text_line.fullmatch(line)
            text = json.loads(match["text"]) if match else None
        if not isinstance(text, str):
            continue
        text = text.rstrip("\n")
        found = postgres(text, source, assumed, fmt=export.name) or mysql(
            text, source, assumed, fmt=export.name
        )
        if found is None:
            return None
        if found.at is None and isinstance(stamp, str):
            found = replace(found, at=fm.at(stamp.replace("Z", "+00:00"), None, assumed))
        return found
    return None


def claims(line: str) -> bool:
    """Whether a line no server reader took is still the database side's, not an application's
    (PgBouncer's `pooler error: client_idle_timeout`, the error it sends, repeats its closing
    line: it is not the application's evidence)."""
    return _PGBOUNCER_LINE.match(line) is not None


def shaped(line: str) -> bool:
    """Whether a line has a database-side prefix: never the log line a traceback belongs to."""
    patterns = (*(p for _, p in _postgres()), _MYSQL, _MARIADB, _PGBOUNCER_LINE)
    return any(p.match(line) for p in patterns)


def server(line: str, source: str, assumed: tzinfo) -> ev.Evidence | None:
    """The first of the database side's readers that reads this line, or None."""
    head = line[:1]
    if head in ("{", " ", "\t", '"'):
        return exported(line, source, assumed)
    if "closing because:" in line:
        return pgbouncer(line, source, assumed)
    if "Aborted connection" in line:
        return mysql(line, source, assumed)
    return postgres(line, source, assumed)
