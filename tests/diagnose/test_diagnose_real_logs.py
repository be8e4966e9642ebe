"""Real logs (issue 19, item 4): the PostgreSQL, MariaDB and PgBouncer the suite starts
(tests/dbservers.py) really close a connection Django keeps, Django really fails on it and logs
the failure, and the readers recognise every line that says so, with its time, pid and session.

Each test runs tests/diagnose/incident.py (Django's WSGI handler, two requests, an idle pause)
against the real server, then copies what the server wrote meanwhile (its log, from the size it
had before the test) and Django's log into the test's directory, and reads both with
`read_logs`. The timeouts are 1 s and the pause 2 s, as in tests/contrib/test_whole_path.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dbservers import DatabaseServer, PgBouncer, set_mariadb, set_postgres

from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose.incidents import Incident, diagnose
from cloudtimeouts.diagnose.read import read_logs
from cloudtimeouts.profile import parse_profile

INCIDENT = Path(__file__).with_name("incident.py")
PAUSE_S = 2.0
SLACK = timedelta(seconds=5)  # the window the evidence's times must fall in, around the run


class Run:
    """An incident's run: the window it ran in, Django's outcome, and the logs it left."""

    def __init__(self, outcome: dict[str, Any], started: datetime, ended: datetime) -> None:
        self.outcome = outcome
        self.started = started
        self.ended = ended

    def within(self, when: datetime | None) -> bool:
        return when is not None and self.started - SLACK <= when <= self.ended + SLACK


def incident(url: str, mode: str, app_log: Path) -> Run:
    started = datetime.now(UTC)
    done = subprocess.run(
        [sys.executable, str(INCIDENT), url, str(PAUSE_S), mode, str(app_log)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    run = Run(json.loads(done.stdout), started, datetime.now(UTC))
    assert run.outcome["first"]["status"] == "200 OK", run.outcome
    assert run.outcome["second"]["status"].startswith("500"), run.outcome
    return run


def copy_since(log: Path, offset: int, to: Path) -> Path:
    """What the server wrote to its log since `offset`, as a file of the test's own."""
    with log.open("rb") as source:
        source.seek(offset)
        to.write_bytes(source.read())
    return to


def read(*paths: Path) -> list[ev.Evidence]:
    found = read_logs([str(p) for p in paths])
    evidence = list(found)
    for counts in found.counts:
        assert counts.recognised == sum(counts.by_format.values())
    return evidence


def only(evidence: list[ev.Evidence], what: str, **fields: Any) -> ev.Evidence:
    matching = [
        e for e in evidence if e.what == what and all(getattr(e, k) == v for k, v in fields.items())
    ]
    assert len(matching) == 1, (what, fields, evidence)
    return matching[0]


def app_side(evidence: list[ev.Evidence], run: Run, app_log: Path) -> list[ev.Evidence]:
    """Django's evidence: from its log, in Django's format, with Django's pid and a time in
    the run's window (the traceback's lines take them from the "Internal Server Error" line)."""
    found = [e for e in evidence if e.side == "app"]
    assert found, app_log.read_text()
    for e in found:
        assert e.source.startswith(f"{app_log}:"), e
        assert (e.format, e.pid) == ("django", run.outcome["pid"]), e
        assert run.within(e.at), (e, run.started, run.ended)
    return found


def the_incident(engine: str, server: str, evidence: list[ev.Evidence], path: str = "") -> Incident:
    """`diagnose`'s one incident on these real logs, for a profile with the run's settings
    (incident.py's CONN_MAX_AGE, the timeout it set)."""
    profile = parse_profile(
        f"name: incident\nengine: {engine}\ndjango: {{conn_max_age: 3}}\n"
        f"server: {{{server}}}\n" + (f"path: {path}\n" if path else ""),
        "incident.yaml",
    )
    (found,) = diagnose(profile, evidence).incidents
    return found


@pytest.fixture
def log_disconnections(postgres: DatabaseServer) -> Iterator[None]:
    """log_disconnections on for new sessions (reset_postgres turns it off again)."""
    set_postgres(postgres, log_disconnections="on")
    yield


def test_idle_session_timeout_really_closes_djangos_connection_and_both_logs_say_so(
    postgres: DatabaseServer, log_disconnections: None, tmp_path: Path
) -> None:
    set_postgres(postgres, idle_session_timeout="1000")
    offset = postgres.log.stat().st_size
    app_log = tmp_path / "django.log"
    run = incident(postgres.url(), "idle", app_log)
    server_log = copy_since(postgres.log, offset, tmp_path / "postgresql.log")
    evidence = read(server_log, app_log)

    session = run.outcome["session"]
    closed = only(evidence, ev.PG_IDLE_SESSION, pid=session)
    assert (closed.side, closed.format, closed.user, closed.database) == (
        "server",
        "postgres",
        None,
        None,
    )  # PostgreSQL's default prefix, '%m [%p] ', names no user or database
    assert run.within(closed.at)
    assert closed.detail == "terminating connection due to idle-session timeout"
    gone = only(evidence, ev.PG_DISCONNECTION, pid=session)
    assert (gone.user, gone.database) == ("app", "app")
    assert gone.client is not None and gone.client.startswith("127.0.0.1:")
    assert gone.session is not None and timedelta(seconds=1) <= gone.session < SLACK
    assert gone.at is not None and closed.at is not None and gone.at >= closed.at

    app = app_side(evidence, run, app_log)
    assert {e.what for e in app} == {ev.APP_TERMINATING}, app
    assert "idle-session timeout" in app[0].detail
    assert all(e.at is not None and e.at >= closed.at for e in app)

    found = the_incident("postgres", "idle_session_timeout: 1s", evidence)
    assert (found.closed_by, found.refused) == ("the server's idle_session_timeout", True)
    assert found.cause == closed and "session had lasted" in found.fix


def test_idle_in_transaction_timeout_really_closes_djangos_connection_inside_atomic(
    postgres: DatabaseServer, log_disconnections: None, tmp_path: Path
) -> None:
    set_postgres(postgres, idle_in_transaction_session_timeout="1000")
    offset = postgres.log.stat().st_size
    app_log = tmp_path / "django.log"
    run = incident(postgres.url(), "atomic", app_log)
    server_log = copy_since(postgres.log, offset, tmp_path / "postgresql.log")
    evidence = read(server_log, app_log)

    session = run.outcome["session"]  # CONN_MAX_AGE: the second request reuses the session
    closed = only(evidence, ev.PG_IDLE_IN_TRANSACTION, pid=session)
    assert run.within(closed.at) and closed.format == "postgres"
    gone = only(evidence, ev.PG_DISCONNECTION, pid=session)
    assert gone.session is not None and timedelta(seconds=PAUSE_S / 2) <= gone.session < SLACK

    app = app_side(evidence, run, app_log)
    assert {e.what for e in app} == {ev.APP_TERMINATING}, app
    assert "idle-in-transaction timeout" in app[0].detail

    found = the_incident("postgres", "idle_in_transaction_session_timeout: 1s", evidence)
    assert found.closed_by == "the server's idle_in_transaction_session_timeout"
    assert found.cause == closed and found.refused is True


@pytest.fixture
def aborted_notes(mariadb: DatabaseServer) -> Iterator[None]:
    """MariaDB writes "Aborted connection" for a session it closed when log_warnings >= 2
    (MariaDB KB, "log_warnings"; 2 is its default since 10.2.4): set so for the test, whatever
    the server was started with (observed: with 2, the note comes; restored after)."""
    mariadb.execute("SET GLOBAL log_warnings = 2")
    try:
        yield
    finally:
        mariadb.execute("SET GLOBAL log_warnings = DEFAULT")


def test_wait_timeout_really_closes_djangos_mariadb_connection(
    mariadb: DatabaseServer, aborted_notes: None, tmp_path: Path
) -> None:
    set_mariadb(mariadb, wait_timeout="1")
    offset = mariadb.log.stat().st_size
    app_log = tmp_path / "django.log"
    run = incident(mariadb.url(), "idle", app_log)
    server_log = copy_since(mariadb.log, offset, tmp_path / "mariadb.err")
    evidence = read(server_log, app_log)

    closed = only(evidence, ev.MYSQL_ABORTED_TIMEOUT, pid=run.outcome["session"])
    assert (closed.side, closed.format, closed.user, closed.database) == (
        "server",
        "mariadb-error",
        "app",
        "app",
    )
    assert closed.client == "127.0.0.1"
    # MariaDB writes its local time with no zone, read in the assumed zone (UTC); the test
    # machine runs in UTC, as its PostgreSQL's "UTC" shows
    assert run.within(closed.at)

    app = app_side(evidence, run, app_log)
    assert {e.what for e in app} <= {ev.APP_MYSQL_GONE, ev.APP_MYSQL_LOST}, app

    found = the_incident("mariadb", "wait_timeout: 1s", evidence)
    assert (found.closed_by, found.refused) == ("the server's wait_timeout", True)
    assert found.cause == closed


def test_pgbouncer_client_idle_timeout_really_closes_djangos_connection(
    pgbouncer: PgBouncer, tmp_path: Path
) -> None:
    pgbouncer.set(client_idle_timeout="1")
    offset = pgbouncer.log.stat().st_size
    app_log = tmp_path / "django.log"
    run = incident(pgbouncer.url(), "idle", app_log)
    pooler_log = copy_since(pgbouncer.log, offset, tmp_path / "pgbouncer.log")
    evidence = read(pooler_log, app_log)

    closed = only(evidence, ev.PGBOUNCER_CLIENT_IDLE)
    assert (closed.side, closed.format, closed.user, closed.database) == (
        "pooler",
        "pgbouncer",
        "app",
        "app",
    )
    assert closed.client is not None and closed.client.startswith("127.0.0.1:")
    assert closed.session is not None and closed.session >= timedelta(seconds=1)
    assert closed.pid is not None and run.within(closed.at)

    app = app_side(evidence, run, app_log)
    assert {e.what for e in app} == {ev.APP_POOLER_CLOSED}, app
    assert "client_idle_timeout" in app[0].detail

    hop = "[{kind: pgbouncer, name: pgb, client_idle_timeout: 1s}]"
    found = the_incident("postgres", "", evidence, path=hop)
    assert found.closed_by == "path pgbouncer pgb's client_idle_timeout"
    assert found.cause == closed and found.refused is True
