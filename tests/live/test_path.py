"""live.path without a server: telling a pooler from the server, PgBouncer's console, the guard.

The same code runs against real PgBouncer in tests/contrib/test_whole_path.py; here each branch
is driven by small fake cursors that answer the way psycopg and Django's wrapper do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from cloudtimeouts.durations import Duration
from cloudtimeouts.live import path as live_path
from cloudtimeouts.live.connect import DatabaseConnectError
from cloudtimeouts.live.path import (
    PathSeen,
    PoolerSetting,
    judge_path,
    pooler_in_between,
    read_console,
    see_path,
)
from cloudtimeouts.live.url import parse_database_url
from cloudtimeouts.profile import parse_profile


class FakeCursor:
    """Answers queries from a table; `connection` as psycopg's (info.backend_pid)."""

    def __init__(self, answers: dict[str, tuple[list[str], list[tuple[Any, ...]]]], **conn: Any):
        self.answers = answers
        self.connection = SimpleNamespace(**conn)
        self.executed: list[str] = []
        self.description: list[tuple[str]] | None = None
        self._rows: list[tuple[Any, ...]] = []

    def execute(self, query: str) -> None:
        self.executed.append(query)
        columns, self._rows = self.answers[query]
        self.description = [(column,) for column in columns]

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


SERVER_PID = {"SELECT pg_backend_pid()": (["pg_backend_pid"], [(4242,)])}


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        ({"info": SimpleNamespace(backend_pid=4242)}, False),  # psycopg 3, the server itself
        ({"info": SimpleNamespace(backend_pid=-1819348448)}, True),  # PgBouncer's cancel key
        ({"get_backend_pid": lambda: 77}, True),  # psycopg2
    ],
)
def test_a_pooler_is_told_by_the_logins_backend_pid(
    connection: dict[str, Any], expected: bool
) -> None:
    cursor = FakeCursor(SERVER_PID, **connection)
    assert pooler_in_between(cursor) is expected
    wrapper = SimpleNamespace(  # Django's CursorWrapper: the driver's cursor is `.cursor`
        cursor=cursor, execute=cursor.execute, fetchone=cursor.fetchone
    )
    assert pooler_in_between(wrapper) is expected


def test_a_driver_that_does_not_tell_the_pid_says_nothing_and_asks_nothing() -> None:
    cursor = FakeCursor(SERVER_PID)
    assert pooler_in_between(cursor) is None
    assert cursor.executed == []


CONSOLE = {
    "SHOW VERSION": (["version"], [("PgBouncer 1.18.0",)]),
    "SHOW CONFIG": (
        ["key", "value", "default", "changeable"],
        [
            ("client_idle_timeout", "1.5", "0", "yes"),
            ("idle_transaction_timeout", "0", "0", "yes"),
            ("server_idle_timeout", "600", "600", "yes"),
            ("server_lifetime", "soon", "3600", "yes"),
            ("query_timeout", "0", "0", "yes"),
        ],
    ),
}


def test_the_console_gives_the_version_and_the_four_timeouts() -> None:
    version, settings = read_console(FakeCursor(CONSOLE))
    assert version == "PgBouncer 1.18.0"
    assert list(settings) == [
        "client_idle_timeout",
        "idle_transaction_timeout",
        "server_idle_timeout",
        "server_lifetime",
    ]
    assert settings["client_idle_timeout"].value == Duration(1_500_000)
    assert settings["idle_transaction_timeout"].value == Duration(0)
    assert settings["server_lifetime"] == PoolerSetting("server_lifetime", "soon", None)


ENDPOINT = parse_database_url("postgres://app:s3cret@bouncer.internal:6432/orders")


def _console_answers(monkeypatch: pytest.MonkeyPatch, outcome: Any) -> list[str]:
    asked: list[str] = []

    @contextmanager
    def connected(endpoint: Any) -> Iterator[Any]:
        asked.append(endpoint.describe())
        if isinstance(outcome, BaseException):
            raise outcome
        yield outcome

    monkeypatch.setattr(live_path, "connected", connected)
    return asked


@pytest.mark.parametrize(
    ("error", "note"),
    [
        (
            "connection failed: FATAL:  not allowed",
            "PgBouncer's admin console refused app (not allowed): add app to PgBouncer's "
            "stats_users (read-only SHOW commands) so that its timeouts can be read and judged",
        ),
        (
            'connection failed: FATAL:  database "pgbouncer" does not exist',
            "no PgBouncer admin console at app@bouncer.internal:6432/orders (the server answers "
            'that database "pgbouncer" does not exist): the pooler in between is not PgBouncer, '
            "or not here",
        ),
        (
            "connection failed: timeout expired",
            "PgBouncer's admin console could not be read: cannot connect: connection failed: "
            "timeout expired",
        ),
    ],
)
def test_what_the_console_refuses_becomes_a_note(
    monkeypatch: pytest.MonkeyPatch, error: str, note: str
) -> None:
    message = "cannot connect: " + error if "timeout" in error else error
    asked = _console_answers(monkeypatch, DatabaseConnectError(message))
    seen = see_path(ENDPOINT, True, None)
    assert asked == ["app@bouncer.internal:6432/pgbouncer"]
    assert (seen.in_between, seen.pooler, seen.settings) == (True, None, None)
    assert seen.note == note


def test_a_console_that_is_not_pgbouncers_is_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {**CONSOLE, "SHOW VERSION": (["version"], [("Odyssey 1.3",)])}
    _console_answers(monkeypatch, FakeCursor(answers))
    seen = see_path(ENDPOINT, True, None)
    assert seen.note == (
        "app@bouncer.internal:6432/pgbouncer answered SHOW VERSION with 'Odyssey 1.3', not "
        "PgBouncer: its timeouts are not read"
    )
    assert seen.settings is None


PROFILE = (
    "name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n"
    "path:\n  - kind: pgbouncer\n    name: edge\n    client_idle_timeout: 10s\n"
)


def test_the_console_is_asked_only_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _console_answers(monkeypatch, FakeCursor(CONSOLE))
    declared = parse_profile(PROFILE).path[0]
    for in_between in (False, None):
        seen = see_path(ENDPOINT, in_between, None)
        assert seen == PathSeen(ENDPOINT.describe(), in_between, host="bouncer.internal")
    direct = see_path(ENDPOINT, False, declared)
    assert direct.note is not None and "the URL does not point at the pooler" in direct.note
    assert asked == []  # a server that is the server never sees a login to `pgbouncer`
    assert see_path(ENDPOINT, None, declared).pooler == "PgBouncer 1.18.0"  # the driver won't say
    assert len(asked) == 1


def _seen(**values: str) -> PathSeen:
    settings = {
        name: PoolerSetting(name, text, Duration.parse(text)) for name, text in values.items()
    }
    endpoint = "app@bouncer.internal:6432/orders"
    return PathSeen(endpoint, True, "PgBouncer 1.18.0", settings, host="bouncer.internal")


def test_the_chain_guard_judges_the_live_values_and_the_profile_gives_the_hop_its_name() -> None:
    judged = judge_path(
        _seen(client_idle_timeout="1", server_lifetime="60"), parse_profile(PROFILE)
    )
    assert [f.parameter for f in judged.refusals] == ["edge.client_idle_timeout"]
    assert judged.refusals[0].message.startswith(
        "path pgbouncer edge: client_idle_timeout = 1 s (live, SHOW CONFIG) is not above "
        "CONN_MAX_AGE 3 s"
    )
    # server_lifetime closes PgBouncer's own server connections: shown, never judged
    assert [f.message for f in judged.warnings] == [
        "path pgbouncer edge: the profile declares client_idle_timeout 10s but PgBouncer 1.18.0 "
        "at app@bouncer.internal:6432/orders has 1 s"
    ]
    assert judged.to_json()["pooler"] == "PgBouncer 1.18.0"


def test_without_a_declared_hop_the_host_names_it() -> None:
    profile = parse_profile("name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n")
    judged = judge_path(_seen(client_idle_timeout="2"), profile)
    assert judged.refusals[0].message.startswith("path pgbouncer bouncer.internal: ")
    assert judged.warnings == ()
    assert live_path._hop_name("/var/run/postgresql") == "var-run-postgresql"  # a socket
    assert live_path._hop_name(None) == "localhost"


def test_a_checked_pool_survives_idle_clients_but_not_idle_transactions() -> None:
    # With CONN_HEALTH_CHECKS the pool replaces a connection PgBouncer closed while it sat in the
    # pool; a transaction left idle is closed under the request, checks or not.
    profile = parse_profile(
        "name: p\nengine: postgres\ndjango:\n  conn_max_age: 0\n  conn_health_checks: true\n"
        "  max_idle_in_transaction: 5s\n  pool:\n    min_size: 2\n"
    )
    judged = judge_path(_seen(client_idle_timeout="1", idle_transaction_timeout="5"), profile)
    assert [f.parameter for f in judged.refusals] == ["bouncer.internal.idle_transaction_timeout"]
    assert "is not above django.max_idle_in_transaction 5 s." in judged.refusals[0].message
