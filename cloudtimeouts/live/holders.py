"""Who holds connections, and for how long they have been idle: what `observe` reads.

Server settings say what closes an idle connection; only the server's own view of its sessions
says who keeps one idle long enough to be closed. Each reader takes a DB-API cursor and returns
one `Sighting`: every client connection but observe's own, with the words to group it by.

- PostgreSQL, `pg_stat_activity` ("The Cumulative Statistics System", 28.2.3): one row per
  server process; `state` (`idle`: "waiting for a new client command"; `idle in transaction`,
  `idle in transaction (aborted)`), `state_change` ("Time when the state was last changed"), so
  an idle session's idle age is now minus `state_change`; `backend_type` (`client backend` for a
  client's session, other values for background workers), `application_name`, `client_addr`
  (null for a Unix socket), `usename`, `datname`, `backend_start`. Privilege (28.2.2, "Viewing
  Statistics"): "ordinary users can only see all the information about their own sessions
  (sessions belonging to a role that they are a member of). In rows about other sessions, many
  columns will be null. Note, however, that the existence of a session and its general
  properties such as its sessions user and database are visible to all users. Superusers and
  roles with privileges of built-in role pg_read_all_stats can see all the information about all
  sessions": such a row has `state` null and `query` `<insufficient privilege>` (and, seen on
  PostgreSQL 15, `backend_type` null too), so it is counted under its holder, never judged.
- MySQL and MariaDB, `information_schema.PROCESSLIST` (MySQL 8.0 manual, "The INFORMATION_SCHEMA
  PROCESSLIST Table"; MariaDB KB, "Information Schema PROCESSLIST Table"): `COMMAND` `Sleep` is
  "The thread is waiting for the client to send a new statement", `TIME` "The time in seconds
  that the thread has been in its current state" (MariaDB adds `TIME_MS`, the same in
  milliseconds), `HOST` "host_name:client_port" (`localhost` for a socket), `USER`, `DB`.
  "Without the PROCESS privilege, you can see only your own threads", in both manuals: observe
  says so when the user lacks it. Whether a sleeping thread is inside a transaction is not in
  this table.
- PgBouncer's admin console, `SHOW CLIENTS` and `SHOW SERVERS` (pgbouncer.org/usage.html):
  `user`, `database`, `state`, `addr`, `port`, `connect_time`, `request_time` ("Time of latest
  client request" / "Time of last request issued"), `remote_pid` (SHOW SERVERS: "Process
  identifier of backend server process"), `application_name` (1.18 shows it on both). Times are
  shown to the second in PgBouncer's clock, so a client's age is taken against the newest
  `request_time` the console shows: observe's own SHOW, made now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

SeenOn = Literal["server", "pgbouncer-client", "pgbouncer-server"]
OBSERVER = "cloudtimeouts observe"  # observe's own application_name: its sessions are left out
HIDDEN = "hidden"  # the state of a session whose details the role may not see
IN_TRANSACTION_STATES = frozenset({"idle in transaction", "idle in transaction (aborted)"})
IDLE_STATES = frozenset({"idle", "Sleep"}) | IN_TRANSACTION_STATES
# MySQL/MariaDB threads that are no client's: the server's own (MariaDB: "system user", COMMAND
# Daemon for InnoDB's purge threads), the event scheduler, a replica's dump threads.
_MYSQL_NOT_CLIENTS = frozenset({"Daemon", "Binlog Dump", "Binlog Dump GTID"})
_MYSQL_SYSTEM_USERS = frozenset({"system user", "event_scheduler"})


@dataclass(frozen=True, slots=True)
class HeldConnection:
    """One connection someone holds, as the server (or PgBouncer) shows it."""

    seen_on: SeenOn
    holder: str  # application_name when set, else user@client host (no port)
    state: str  # pg_stat_activity.state, PROCESSLIST.COMMAND, PgBouncer's state; HIDDEN
    idle_s: Decimal | None  # how long it has been idle; None when not idle or not shown
    user: str | None = None
    client: str | None = None
    database: str | None = None
    application_name: str | None = None

    @property
    def in_transaction(self) -> bool:
        return self.state in IN_TRANSACTION_STATES


@dataclass(frozen=True, slots=True)
class Sighting:
    """What one read saw: the connections, and what the role could not see."""

    connections: tuple[HeldConnection, ...]
    hidden: int = 0  # sessions whose state and idle time the role may not see
    notes: tuple[str, ...] = ()
    pooler_pids: frozenset[int] = field(default_factory=frozenset)  # PgBouncer's server PIDs


def holder_of(application_name: str | None, user: str | None, client: str | None) -> str:
    """The name a connection is grouped by: its application_name, else `user@host`."""
    if application_name:
        return application_name
    return f"{user or '?'}@{client or 'local'}"


def _age(seconds: Any) -> Decimal | None:
    if seconds is None:
        return None
    return max(Decimal(str(seconds)).quantize(Decimal("0.001")), Decimal(0))


# ---------------------------------------------------------------------------------------------
# PostgreSQL

_PG_ACTIVITY = """
SELECT pid, state, usename, datname, application_name, host(client_addr),
       EXTRACT(EPOCH FROM (statement_timestamp() - state_change)), backend_type,
       query = '<insufficient privilege>'
FROM pg_stat_activity
WHERE pid <> pg_backend_pid()
  AND (backend_type = 'client backend'
       OR (backend_type IS NULL AND usename IS NOT NULL AND datname IS NOT NULL))
"""
# A hidden row's backend_type is null too; a background worker has no database (the logical
# replication launcher) or no user (autovacuum), a client backend always has both.


def read_postgres(cursor: Any, pooler_pids: frozenset[int] = frozenset()) -> Sighting:
    """pg_stat_activity without observe's own session and the server's background processes.

    A session PgBouncer holds (its PID among SHOW SERVERS' remote_pid) is seen on
    `pgbouncer-server`: the pooler keeps it, not the application.
    """
    cursor.execute(_PG_ACTIVITY)
    rows = cursor.fetchall()
    cursor.execute("SELECT current_user, pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')")
    role, may_see_all = cursor.fetchone() or ("", False)
    connections = []
    hidden = 0
    for pid, state, user, database, app, client, idle, _type, insufficient in rows:
        if app == OBSERVER:
            continue
        if state is None and insufficient:
            hidden += 1
            state = HIDDEN
        state = str(state or "unknown")
        seen_on: SeenOn = "pgbouncer-server" if pid in pooler_pids else "server"
        shown_client = client if state != HIDDEN else "(hidden)"
        idle_s = _age(idle) if state in IDLE_STATES else None
        held = HeldConnection(seen_on, holder_of(app, user, shown_client), state, idle_s)
        connections.append(replace(held, user=user, client=client, database=database,
                                   application_name=app or None))  # fmt: skip
    notes = []
    if not may_see_all:
        notes.append(
            f"role {role} does not have the privileges of pg_read_all_stats: PostgreSQL shows "
            "it the state and idle time of its own roles' sessions only (pg_stat_activity); "
            f"other roles' sessions ({hidden} in this sample) are counted under their holder "
            "but not judged. Grant pg_read_all_stats to see every holder"
        )
    return Sighting(tuple(connections), hidden, tuple(notes), pooler_pids)


# ---------------------------------------------------------------------------------------------
# MySQL and MariaDB


def read_mysql(cursor: Any, *, mariadb: bool) -> Sighting:
    """PROCESSLIST without observe's own thread and the server's; Sleep is idle."""
    time = "TIME_MS / 1000" if mariadb else "TIME"  # MariaDB's TIME_MS: milliseconds
    cursor.execute(
        f"SELECT ID, USER, HOST, DB, COMMAND, {time} FROM information_schema.PROCESSLIST "
        "WHERE ID <> CONNECTION_ID()"
    )
    rows = cursor.fetchall()
    connections = []
    for _id, user, host, database, command, seconds in rows:
        if command in _MYSQL_NOT_CLIENTS or user in _MYSQL_SYSTEM_USERS:
            continue
        client = strip_port(str(host)) if host else None
        state = str(command)
        idle_s = _age(seconds) if state == "Sleep" else None
        held = HeldConnection("server", holder_of(None, user, client), state, idle_s)
        connections.append(replace(held, user=user, client=client, database=database))
    account, has_process = _mysql_process_privilege(cursor)
    notes = []
    if not has_process:
        notes.append(
            f"{account} does not have the PROCESS privilege: MySQL and MariaDB show it its own "
            "threads only (information_schema.PROCESSLIST), so other users' connections are "
            "not seen. GRANT PROCESS ON *.* to see every holder"
        )
    return Sighting(tuple(connections), 0, tuple(notes))


def strip_port(host: str) -> str:
    """PROCESSLIST's `host_name:client_port` without the port (`10.0.0.5`, `::1`, `localhost`)."""
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and name else host


def _mysql_process_privilege(cursor: Any) -> tuple[str, bool]:
    """The account (`'app'@'%'`) and whether it holds PROCESS, as USER_PRIVILEGES says.

    USER_PRIVILEGES lists global privileges (`*.*`), where PROCESS is granted; a privilege held
    only through a role is not listed there and is reported as missing.
    """
    cursor.execute("SELECT CURRENT_USER()")
    row = cursor.fetchone()
    user, _, host = str(row[0] if row else "").rpartition("@")
    account = f"'{user}'@'{host}'"
    cursor.execute(
        "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES "
        "WHERE GRANTEE = %s AND PRIVILEGE_TYPE = 'PROCESS'",
        (account,),
    )
    counted = cursor.fetchone()
    return account, bool(counted and counted[0])


# ---------------------------------------------------------------------------------------------
# PgBouncer's admin console


def read_pgbouncer(cursor: Any) -> Sighting:
    """SHOW CLIENTS (the application's side) and SHOW SERVERS' PIDs, on the admin console.

    Console clients (database `pgbouncer`) and observe's own client are left out. A client's
    idle age is the time since its latest request; PgBouncer does not tell a client waiting for
    its next query from one whose query is still running, so this is the time since it last
    asked for anything.
    """
    clients = _show(cursor, "SHOW CLIENTS")
    servers = _show(cursor, "SHOW SERVERS")
    times = [_pgbouncer_time(row.get("request_time")) for row in clients]
    now = max((t for t in times if t is not None), default=None)
    connections = []
    for row, requested in zip(clients, times, strict=True):
        app = str(row.get("application_name") or "") or None
        if row.get("database") == "pgbouncer" or app == OBSERVER:
            continue
        user, client = str(row.get("user") or ""), str(row.get("addr") or "") or None
        idle = None if now is None or requested is None else _age((now - requested).total_seconds())
        state = str(row.get("state"))
        held = HeldConnection("pgbouncer-client", holder_of(app, user, client), state, idle)
        database = str(row.get("database") or "")
        connections.append(
            replace(held, user=user, client=client, database=database, application_name=app)
        )
    pids = frozenset(int(row["remote_pid"]) for row in servers if row.get("remote_pid"))
    return Sighting(tuple(connections), pooler_pids=pids)


def _show(cursor: Any, command: str) -> list[dict[str, Any]]:
    cursor.execute(command)
    columns: Sequence[str] = [column[0] for column in cursor.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _pgbouncer_time(text: Any) -> datetime | None:
    """`2026-12-07 13:29:37 UTC` (PgBouncer 1.18); the zone is PgBouncer's and the same for
    every row, so it is dropped: only differences between rows are used."""
    if not text:
        return None
    try:
        return datetime.strptime(" ".join(str(text).split()[:2]), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
