"""`observe` and `cloudtimeouts observe` on the real PostgreSQL, MariaDB and PgBouncer.

Each test opens connections with a name of its own (an application_name, or the `app` user),
lets them idle, and observes: the holder's group, its idle age, the verdict against the budget
and the exit code. Ages are asserted from below by the time slept, and from above loosely (a
loaded CI machine can pause); the servers are this worker's, and other tests' leftovers are
other holders, never asserted on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from dbservers import DatabaseServer, PgBouncer, set_mariadb, set_postgres
from support.profiles import write_profile

import cloudtimeouts
from cloudtimeouts import library
from cloudtimeouts.budget import budgets_of
from cloudtimeouts.durations import Duration
from cloudtimeouts.live.holders import OBSERVER, HeldConnection, strip_port
from cloudtimeouts.live.observe import ObserveReport, group, judge, who
from cloudtimeouts.profile import load_profile

SECRET = "s3cr3t/p@ss:word"
QUOTED_SECRET = "s3cr3t%2Fp%40ss%3Aword"
IDLE = 1.5  # seconds a test's connections idle before it observes
SLOW = 30.0  # an idle age above this is not what the test made


def profile_file(
    tmp_path: Path, engine: str = "postgres", conn_max_age: str = "1", **more: Any
) -> Path:
    return write_profile(tmp_path, f"{engine}.yaml", name="proof", engine=engine,
                         conn_max_age=conn_max_age, **more)  # fmt: skip


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextmanager
def postgres_idle(
    url: str, name: str | None, count: int = 1, *, transaction: bool = False
) -> Iterator[list[Any]]:
    """`count` connections that ran one query and now idle (inside a transaction if asked)."""
    import psycopg

    options = {"application_name": name} if name else {}
    connections = [
        psycopg.connect(url, autocommit=not transaction, connect_timeout=5, **options)
        for _ in range(count)
    ]
    try:
        for connection in connections:
            connection.execute("SELECT 1")
        yield connections
    finally:
        for connection in connections:
            connection.close()


@contextmanager
def mariadb_idle(server: DatabaseServer, count: int = 1) -> Iterator[None]:
    import pymysql

    connections = [
        pymysql.connect(host=server.host, port=server.port, user=server.user,
                        password=server.password, database=server.database, connect_timeout=5)
        for _ in range(count)
    ]  # fmt: skip
    try:
        for connection in connections:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        yield
    finally:
        for connection in connections:
            connection.close()


def holder(report: ObserveReport | dict[str, Any], name: str, seen_on: str = "server") -> Any:
    holders = report["holders"] if isinstance(report, dict) else report.holders
    for found in holders:
        found_name, found_side = (
            (found["holder"], found["seen_on"]) if isinstance(found, dict)
            else (found.holder, found.seen_on)
        )  # fmt: skip
        if (found_name, found_side) == (name, seen_on):
            return found
    raise AssertionError(f"no holder {name} on {seen_on} in {holders}")


def idled(age: Decimal | float | None, at_least: float = IDLE) -> bool:
    return age is not None and at_least <= float(age) < SLOW


# ---------------------------------------------------------------------------------------------
# PostgreSQL


def test_an_idle_holder_beyond_the_request_budget_is_named_and_exits_3(
    postgres: DatabaseServer, tmp_path: Path, cli: Any
) -> None:
    name = unique("rq-worker")
    path = profile_file(tmp_path, conn_max_age="1")
    with postgres_idle(postgres.url(), name, count=2):
        time.sleep(IDLE)
        report = cloudtimeouts.observe(path, postgres.url())
        result = cli("observe", path, "--database-url", postgres.url())
    found = holder(report, name)
    assert (found.connections, dict(found.states), found.verdict) == (2, {"idle": 2}, "beyond")
    assert idled(found.longest_idle_s)
    assert found.users == ("app",)
    assert found.outside_request_cycle and name in report.outside_request_cycle
    assert report.refused
    (said,) = [f.message for f in report.beyond if f.parameter == name]
    assert said.startswith(f"{name} (on the server): a connection idle ")
    assert "longer than the budget of Django's requests (CONN_MAX_AGE 1 s)" in said
    assert "something outside the request cycle keeps it (a worker," in said
    assert result.exit_code == 3, result.stderr
    assert name in result.stdout and "Beyond a budget:" in result.stdout
    assert f"beyond: {name} (on the server): a connection idle" in result.stderr


def test_holders_within_the_budget_exit_0(
    postgres: DatabaseServer, tmp_path: Path, cli: Any
) -> None:
    name = unique("web")
    path = profile_file(tmp_path, conn_max_age="5min")
    with postgres_idle(postgres.url(), name):
        result = cli("observe", path, "--database-url", postgres.url(), "-o", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    found = holder(report, name)
    assert (found["verdict"], found["budget"], found["outside_request_cycle"]) == (
        "within", "Django's requests", False,
    )  # fmt: skip
    assert report["verdict"] == "ok"


def test_a_holder_without_application_name_is_user_at_client_host(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    with postgres_idle(postgres.url(), None):
        report = library.observe(profile_file(tmp_path, conn_max_age="5min"), postgres.url())
    found = holder(report, "app@127.0.0.1")
    assert found.connections >= 1 and "idle" in found.states


def test_idle_in_transaction_is_judged_against_the_transaction_budget(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    name = unique("long-task")
    path = tmp_path / "proof.yaml"
    path.write_text(
        "name: proof\nengine: postgres\ndjango:\n  conn_max_age: 5min\n"
        "  max_idle_in_transaction: 1s\n"
    )
    with postgres_idle(postgres.url(), name, transaction=True):
        time.sleep(IDLE)
        report = library.observe(path, postgres.url())
    found = holder(report, name)
    assert dict(found.states) == {"idle in transaction": 1}
    assert idled(found.longest_idle_in_transaction_s) and found.longest_idle_s is None
    assert found.verdict == "beyond"
    (said,) = [f.message for f in report.beyond if f.parameter == name]
    assert "a connection idle inside a transaction" in said
    assert "(django.max_idle_in_transaction 1 s)" in said


def test_holders_near_or_beyond_an_idle_timeout_are_named(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    """The profile's idle_session_timeout (1800 ms, declared but not in force) and the live one
    (60 s, in force): a connection idle 1.5 s is near or past the first, far from the second."""
    set_postgres(postgres, idle_session_timeout="60000")
    name = unique("shell")
    path = profile_file(tmp_path, conn_max_age="5min", server={"idle_session_timeout": "1800ms"})
    with postgres_idle(postgres.url(), name):
        time.sleep(IDLE)
        report = library.observe(path, postgres.url())
    assert [(t.parameter, t.source, str(t.value)) for t in report.timeouts] == [
        ("idle_session_timeout", "profile", "1s800ms"),
        ("idle_session_timeout", "live", "1min"),
    ]
    found = holder(report, name)
    ((timeout, verdict),) = found.timeouts
    assert (timeout.source, verdict in ("near", "beyond")) == ("profile", True)
    (warning,) = [w.message for w in report.warnings if w.parameter == name]
    assert "idle_session_timeout 1.8 s (profile), which closes it at 1.8 s" in warning
    assert found.verdict == "within" and not report.refused  # a timeout warns; budgets exit 3


def test_a_role_without_pg_read_all_stats_sees_others_hidden_and_says_so(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    name = unique("admin-shell")
    path = profile_file(tmp_path, conn_max_age="5min")
    admin = postgres.admin()
    try:
        admin.execute(f"SET application_name = '{name}'")
        report = library.observe(path, postgres.url())
        postgres.execute("GRANT pg_read_all_stats TO app")
        try:
            granted = library.observe(path, postgres.url())
        finally:
            postgres.execute("REVOKE pg_read_all_stats FROM app")
    finally:
        admin.close()
    hidden = holder(report, name)
    assert (dict(hidden.states), hidden.longest_idle_s, hidden.verdict) == (
        {"hidden": 1}, None, "unknown",
    )  # fmt: skip
    assert report.hidden >= 1
    (note,) = [n.message for n in report.notes if n.parameter == "privilege"]
    assert note.startswith("role app does not have the privileges of pg_read_all_stats")
    seen = holder(granted, name)
    assert dict(seen.states) == {"idle": 1} and seen.users == ("postgres",)
    assert granted.notes == () and granted.hidden == 0


# ---------------------------------------------------------------------------------------------
# MariaDB


def test_mariadb_sleep_threads_are_grouped_by_user_at_host_and_judged(
    mariadb: DatabaseServer, tmp_path: Path, cli: Any
) -> None:
    path = profile_file(tmp_path, engine="mariadb", conn_max_age="1")
    with mariadb_idle(mariadb, count=2):
        time.sleep(IDLE)
        report = library.observe(path, mariadb.url())
        result = cli("observe", path, "--database-url", mariadb.url())
    found = holder(report, "app@127.0.0.1")
    assert (found.connections, dict(found.states), found.verdict) == (2, {"Sleep": 2}, "beyond")
    assert idled(found.longest_idle_s)
    assert [t.parameter for t in report.timeouts] == ["wait_timeout"]  # live 28800 s
    assert result.exit_code == 3 and "app@127.0.0.1" in result.stdout


def test_mariadb_without_process_sees_only_its_own_threads_and_says_so(
    mariadb: DatabaseServer, tmp_path: Path
) -> None:
    path = profile_file(tmp_path, engine="mariadb", conn_max_age="5min")
    admin = mariadb.admin()  # root@localhost, over the socket
    try:
        alone = library.observe(path, mariadb.url())
        mariadb.execute("GRANT PROCESS ON *.* TO 'app'@'%'")
        try:
            everyone = library.observe(path, mariadb.url())
        finally:
            mariadb.execute("REVOKE PROCESS ON *.* FROM 'app'@'%'")
    finally:
        admin.close()
    assert all(not found.holder.startswith("root@") for found in alone.holders)
    (note,) = [n.message for n in alone.notes]
    assert note.startswith("'app'@'%' does not have the PROCESS privilege")
    assert holder(everyone, "root@localhost").states == {"Sleep": 1}
    assert everyone.notes == ()


def test_mariadb_transaction_idle_timeouts_are_said_to_be_unjudged(
    mariadb: DatabaseServer, tmp_path: Path
) -> None:
    set_mariadb(mariadb, idle_transaction_timeout="600")
    path = profile_file(tmp_path, engine="mariadb", conn_max_age="5min")
    report = library.observe(path, mariadb.url())
    assert ("idle_transaction_timeout", "live", True) in [
        (t.parameter, t.source, t.in_transaction) for t in report.timeouts
    ]
    (note,) = [n.message for n in report.notes if n.parameter == "transaction"]
    assert note.startswith("idle_transaction_timeout close(s) a connection idle inside a")
    assert "PROCESSLIST does not say which sleeping thread has one open" in note


def test_processlist_hosts_lose_their_port() -> None:
    assert [strip_port(h) for h in ("10.0.0.5:53412", "localhost", "::1:40000", "db:x")] == [
        "10.0.0.5", "localhost", "::1", "db:x",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# PgBouncer


def test_pgbouncer_clients_are_read_on_its_console(pgbouncer: PgBouncer, tmp_path: Path) -> None:
    """In transaction pooling, a client between transactions holds no server session; one
    inside a transaction keeps its session linked, and pg_stat_activity shows that session as
    PgBouncer's (its PID is among SHOW SERVERS' remote_pid)."""
    name = unique("dramatiq")
    path = profile_file(tmp_path, conn_max_age="1")
    with (
        postgres_idle(pgbouncer.url(), name),
        postgres_idle(pgbouncer.url(), f"{name}-tx", transaction=True),
    ):
        # PgBouncer's times are whole seconds: an idle of 1.5 s can read as 1 s, which is not
        # beyond CONN_MAX_AGE 1 s; 2.5 s reads as 2 s at least
        time.sleep(IDLE + 1)
        report = library.observe(path, pgbouncer.url())
    assert report.pooler == pgbouncer.version
    client = holder(report, name, "pgbouncer-client")
    assert client.connections == 1 and client.verdict == "beyond"
    assert idled(client.longest_idle_s, at_least=2)
    kept = holder(report, f"{name}-tx", "pgbouncer-server")
    assert (dict(kept.states), kept.verdict, kept.budget) == (
        {"idle in transaction": 1}, "pooler", None,
    )  # fmt: skip
    assert all(found.holder != "cloudtimeouts observe" for found in report.holders)


# ---------------------------------------------------------------------------------------------
# --watch


def test_watch_keeps_the_longest_idle_age_seen(postgres: DatabaseServer, tmp_path: Path) -> None:
    """Idle 1 s before the watch, used again 2.2 s after it starts: a sample before that sees it
    idle 2 s or more (the first one alone, if connecting took 1.2 s), the samples after see it
    idle less, and the watch reports the longest."""
    name = unique("cron")
    path = profile_file(tmp_path, conn_max_age="5min")
    with postgres_idle(postgres.url(), name) as (connection,):
        time.sleep(1.0)
        busy = threading.Timer(2.2, lambda: connection.execute("SELECT 1"))
        busy.start()
        report = library.observe(path, postgres.url(), watch="3s")
        busy.join()
        once = library.observe(path, postgres.url())
    assert (report.watch, report.interval, report.interrupted) == (
        Duration.parse("3s"), Duration.parse("1s"), False,
    )  # fmt: skip
    assert report.samples == 4  # at 0, 1, 2 and 3 s
    longest = holder(report, name).longest_idle_s
    assert idled(longest, at_least=1.95)
    assert holder(once, name).longest_idle_s < longest


def wait_for_observer(server: DatabaseServer, timeout: float = 30.0) -> None:
    """Until observe's own session (application_name "cloudtimeouts observe") is connected."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        admin = server.admin()
        try:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (OBSERVER,)
            ).fetchone()
        finally:
            admin.close()
        if row and row[0]:
            return
        time.sleep(0.1)
    raise AssertionError("observe did not connect")


def test_ctrl_c_during_watch_reports_what_was_seen_and_exits_130(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    name = unique("beat")
    path = profile_file(tmp_path, conn_max_age="5min")
    env = {**os.environ, "DATABASE_URL": postgres.url()}
    with postgres_idle(postgres.url(), name):
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudtimeouts", "observe", str(path), "--watch", "1min",
             "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        wait_for_observer(postgres)
        time.sleep(0.5)  # its first sample takes milliseconds once it is connected
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    report = json.loads(out)
    assert report["interrupted"] is True and report["samples"] >= 1
    assert holder(report, name)["connections"] == 1
    assert "Interrupted: the report shows what" in err


def test_a_watch_of_nothing_is_a_usage_error(tmp_path: Path, cli: Any) -> None:
    result = cli("observe", profile_file(tmp_path), "--database-url", "postgres://a@b/c",
                 "--watch", "0")  # fmt: skip
    assert result.exit_code == 1
    assert "a watch lasts longer than 0s" in result.stderr


# ---------------------------------------------------------------------------------------------
# Output, errors, budgets


def test_json_is_the_report_value_by_value(
    postgres: DatabaseServer, tmp_path: Path, cli: Any
) -> None:
    name = unique("huey")
    path = profile_file(tmp_path, conn_max_age="1")
    with postgres_idle(postgres.url(), name):
        time.sleep(IDLE)
        result = cli("observe", path, "--database-url", postgres.url(), "-o", "json")
    assert result.exit_code == 3, result.stderr
    report = json.loads(result.stdout)
    found = holder(report, name)
    age = found["longest_idle_s"]
    assert idled(age)
    assert found == {
        "holder": name,
        "seen_on": "server",
        "users": ["app"],
        "connections": 1,
        "states": {"idle": 1},
        "longest_idle_s": age,
        "longest_idle_in_transaction_s": None,
        "budget": "Django's requests",
        "verdict": "beyond",
        "beyond_budgets": ["Django's requests"],
        "outside_request_cycle": True,
        "timeouts": [],
    }
    left_out = ("holders", "beyond", "warnings", "outside_request_cycle", "notes")
    top = {key: value for key, value in report.items() if key not in left_out}
    assert top == {
        "format_version": "1",
        "profile": "proof",
        "engine": "postgres",
        "endpoint": f"app@127.0.0.1:{postgres.port}/app",
        "server_version": postgres.version,
        "pooler": None,
        "samples": 1,
        "watch_s": None,
        "interval_s": None,
        "interrupted": False,
        "budgets": [
            {"who": "Django's requests", "worker": None, "session_s": 1, "transaction_s": 1}
        ],
        "timeouts": [],
        "hidden_connections": report["hidden_connections"],
        "verdict": "beyond",
    }
    assert name in report["outside_request_cycle"]
    assert [n["parameter"] for n in report["notes"]] == ["privilege"]


def test_markdown_has_a_verdict_heading_and_a_row_per_holder(
    postgres: DatabaseServer, tmp_path: Path, cli: Any
) -> None:
    name = unique("celery_beat")
    with postgres_idle(postgres.url(), name):
        time.sleep(IDLE)
        result = cli("observe", profile_file(tmp_path), "--database-url", postgres.url(),
                     "-o", "markdown")  # fmt: skip
    assert result.exit_code == 3
    assert result.stdout.startswith("## cloudtimeouts observe: beyond a budget\n")
    escaped = name.replace("_", "\\_")
    (row,) = [line for line in result.stdout.splitlines() if line.startswith(f"| {escaped} |")]
    assert row.endswith("| Django's requests | **beyond** |")


def test_a_bad_url_is_one_clear_message_and_exit_1_without_the_secret(
    tmp_path: Path, cli: Any
) -> None:
    path = profile_file(tmp_path)
    closed = cli(
        "observe", path, "--database-url", f"postgres://app:{QUOTED_SECRET}@127.0.0.1:1/app"
    )
    assert closed.exit_code == 1
    assert closed.stderr.startswith("Error: cannot connect to app@127.0.0.1:1/app: ")
    unparsable = cli("observe", path, "--database-url", f"postgres://app:{QUOTED_SECRET}@h:port/x")
    assert unparsable.exit_code == 1
    assert "the database URL cannot be parsed" in unparsable.stderr
    other = cli("observe", path, "--database-url", f"mysql://app:{QUOTED_SECRET}@127.0.0.1:1/x")
    assert "profile proof is for postgres but the database URL is a mysql URL" in other.stderr
    for result in (closed, unparsable, other):
        assert result.stdout == ""
        text = result.stderr
        assert SECRET not in text and QUOTED_SECRET not in text and "s3cr3t" not in text


def worker_profile(tmp_path: Path) -> Path:
    path = tmp_path / "workers.yaml"
    path.write_text(
        "name: shop\nengine: postgres\ndjango:\n  conn_max_age: 1\nworkers:\n"
        "  - {name: reports, kind: celery, max_gap: 2min}\n"
        "  - {name: emails, kind: rq, max_gap: 30s}\n"
    )
    return path


def test_a_holder_named_as_a_worker_is_judged_against_that_workers_budget(tmp_path: Path) -> None:
    """Idle 200 s everywhere, CONN_MAX_AGE 1 s: past the celery worker's max_gap (2min), but
    Celery's fixup checks between tasks, so the connection is closed before reuse (stale, exit
    0); RQ keeps connections (unlimited between jobs: within); the requests' own holder is
    stale; a holder nobody declared is beyond: something outside the request cycle."""
    profile = load_profile(worker_profile(tmp_path))
    budgets = budgets_of(profile)
    seen = [
        HeldConnection("server", name, "idle", Decimal("200"))
        for name in ("reports", "emails", "shop-requests", "manage.py shell")
    ]
    emails, shell, reports, requests = judge(group(seen), budgets, (), "shop-requests")
    assert (reports.budget, reports.verdict) == (budgets[1], "stale")
    assert (emails.budget, emails.verdict) == (budgets[2], "within")
    assert (requests.budget, requests.verdict) == (budgets[0], "stale")
    assert (shell.budget, shell.verdict, shell.outside_request_cycle) == (
        budgets[0],
        "beyond",
        True,
    )
    assert reports.beyond_budgets == ("Django's requests", "worker reports")  # every budget
    assert [who(b) for b in budgets] == ["Django's requests", "worker reports", "worker emails"]


def test_a_mysql_user_named_as_a_worker_is_that_worker(tmp_path: Path) -> None:
    budgets = budgets_of(load_profile(worker_profile(tmp_path)))
    seen = [HeldConnection("server", "emails@10.0.0.7", "Sleep", Decimal("50"), user="emails")]
    (emails,) = judge(group(seen), budgets, ())
    assert (emails.budget, emails.verdict) == (budgets[2], "within")


def test_a_declared_worker_is_observed_under_its_application_name(
    postgres: DatabaseServer, tmp_path: Path, cli: Any
) -> None:
    path = worker_profile(tmp_path)
    with postgres_idle(postgres.url(), "reports"), postgres_idle(postgres.url(), "emails"):
        time.sleep(IDLE)
        result = cli("observe", path, "--database-url", postgres.url(), "-o", "json")
    report = json.loads(result.stdout)
    assert (holder(report, "reports")["budget"], holder(report, "reports")["verdict"]) == (
        "worker reports", "within",  # idle 2 s: within its max_gap of 2min
    )  # fmt: skip
    assert (holder(report, "emails")["budget"], holder(report, "emails")["verdict"]) == (
        "worker emails", "within",
    )  # fmt: skip
    assert [b["worker"] for b in report["budgets"]] == [None, "reports", "emails"]
    assert result.exit_code in (0, 3)  # other holders on this worker's server may be beyond


def test_a_stop_event_ends_a_library_watch_with_what_was_seen(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    name = unique("worker")
    stop = threading.Event()
    with postgres_idle(postgres.url(), name):
        threading.Timer(1.5, stop.set).start()
        started = time.monotonic()
        report = library.observe(profile_file(tmp_path, conn_max_age="5min"), postgres.url(),
                                 watch="1min", stop=stop)  # fmt: skip
    assert time.monotonic() - started < 10
    assert report.interrupted and 1 <= report.samples <= 3
    assert holder(report, name).connections == 1
