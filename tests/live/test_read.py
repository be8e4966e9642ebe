"""live.read: what a session sees, read through a DB-API cursor from real servers."""

from __future__ import annotations

import pytest
from dbservers import DatabaseServer, set_mariadb, set_postgres

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.durations import Duration
from cloudtimeouts.live.connect import connected
from cloudtimeouts.live.read import (
    LiveSession,
    LiveSetting,
    describe_source,
    engine_of,
    is_mariadb,
    read_session,
    role_override,
)
from cloudtimeouts.live.url import parse_database_url


def _read(url: str) -> LiveSession:
    endpoint = parse_database_url(url)
    with connected(endpoint) as cursor:
        return read_session(cursor, endpoint.family)


@pytest.mark.parametrize(
    ("version", "engine"),
    [
        ("10.11.6-MariaDB-0+deb12u1", Engine.MARIADB),
        ("5.5.5-10.6.14-MariaDB-log", Engine.MARIADB),  # the old replication prefix
        ("8.0.36", Engine.MYSQL),
        ("8.0.mysql_aurora.3.05.2", Engine.MYSQL),
    ],
)
def test_mariadb_is_told_from_mysql_by_its_version(version: str, engine: Engine) -> None:
    assert is_mariadb(version) is (engine is Engine.MARIADB)
    assert engine_of("mysql", version) is engine
    assert engine_of("postgres", version) is Engine.POSTGRES


@pytest.mark.parametrize(
    ("setting", "family", "words", "override"),
    [
        (LiveSetting("x", "1", None, "1", "user"), "postgres", "user (ALTER ROLE … SET)", True),
        (
            LiveSetting("x", "1", None, "1", "database user"),
            "postgres",
            "database user (ALTER ROLE … IN DATABASE … SET)",
            True,
        ),
        (LiveSetting("x", "1", None, "1", "default"), "postgres", "default", False),
        (
            LiveSetting("x", "1", None, "1", "global", "1", "SQL"),
            "mysql",
            "global (SET GLOBAL)",
            False,
        ),
        (LiveSetting("x", "1", None, "1", "global", "1"), "mysql", "global", False),
        (
            LiveSetting("x", "2", None, "2", "session", "28800", "CONFIG"),
            "mysql",
            "session (global is 28800, set by config file)",
            False,
        ),
    ],
)
def test_the_source_in_words(setting: LiveSetting, family: str, words: str, override: bool) -> None:
    assert describe_source(setting, family) == words  # type: ignore[arg-type]
    assert bool(role_override(setting, family)) is bool(override)  # type: ignore[arg-type]


def test_values_the_guard_cannot_compare_are_left_out_of_the_idle_timeouts() -> None:
    session = LiveSession(
        Engine.POSTGRES,
        "16",
        {
            "idle_session_timeout": LiveSetting("idle_session_timeout", "-1", None, "-1", "x"),
            "idle_in_transaction_session_timeout": LiveSetting(
                "idle_in_transaction_session_timeout", "5 s", Duration(5_000_000), "5000", "x"
            ),
            "statement_timeout": LiveSetting("statement_timeout", "1 ms", Duration(1000), "1", "x"),
        },
    )
    observed = session.idle_timeouts()
    assert list(observed) == ["idle_in_transaction_session_timeout"]
    assert (
        observed["idle_in_transaction_session_timeout"].native,
        observed["idle_in_transaction_session_timeout"].source,
    ) == ("5000", "session")


# ---------------------------------------------------------------------------------------------
# Real servers


def test_postgres_session_values_units_and_sources(postgres: DatabaseServer) -> None:
    set_postgres(postgres, idle_session_timeout="10000")
    postgres.execute("ALTER ROLE app SET statement_timeout = '2min'")
    session = _read(postgres.url())
    assert (session.engine, session.version) == (Engine.POSTGRES, postgres.version)
    idle = session.settings["idle_session_timeout"]
    assert (idle.shown, idle.native, idle.value, idle.source) == (
        "10000 ms",
        "10000",
        Duration.of_seconds(10),
        "configuration file",  # ALTER SYSTEM writes postgresql.auto.conf
    )
    statement = session.settings["statement_timeout"]
    assert (statement.native, statement.source) == ("120000", "user")
    keepalive = session.settings["tcp_keepalives_idle"]  # pg_settings.unit "s", native s
    assert keepalive.shown.endswith(" s")
    assert set(session.settings) <= set(parameters(Engine.POSTGRES))
    assert set(session.idle_timeouts()) == {
        "idle_session_timeout",
        "idle_in_transaction_session_timeout",
    }


def test_mariadb_session_global_and_origin(mariadb: DatabaseServer) -> None:
    set_mariadb(mariadb, wait_timeout="60", interactive_timeout="120")
    session = _read(mariadb.url() + "?init_command=SET+SESSION+wait_timeout%3D2")
    assert (session.engine, session.version) == (Engine.MARIADB, mariadb.version)
    wait = session.settings["wait_timeout"]
    assert (wait.native, wait.source, wait.global_native, wait.origin) == (
        "2",
        "session",
        "60",
        "SQL",  # information_schema.SYSTEM_VARIABLES.GLOBAL_VALUE_ORIGIN after SET GLOBAL
    )
    interactive = session.settings["interactive_timeout"]
    assert (interactive.native, interactive.source) == ("120", "global")
    assert session.settings["net_read_timeout"].origin == "COMPILE-TIME"
    statement = session.settings["max_statement_time"]  # fractional seconds, µs precision
    assert (statement.shown, statement.native) == ("0.000000", "0")
    assert "lock_wait_timeout" in session.settings
    assert "max_execution_time" not in session.settings  # MySQL's, not MariaDB's
