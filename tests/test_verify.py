"""cloudtimeouts verify: URL parsing and the report (pure), then the CLI on real servers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from dbservers import DatabaseServer, set_mariadb, set_postgres

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import Duration
from cloudtimeouts.profile import parse_profile
from cloudtimeouts.verify import (
    DatabaseUrlError,
    DriverUnavailableError,
    LiveSetting,
    build_report,
    parse_database_url,
    verify,
)

SECRET = "s3cr3t/p@ss:word"
QUOTED_SECRET = "s3cr3t%2Fp%40ss%3Aword"


def write_profile(
    tmp_path: Path, engine: str, conn_max_age: str, server: dict[str, str], margin: str = "0s"
) -> Path:
    lines = [
        "name: proof",
        f"engine: {engine}",
        "django:",
        f"  conn_max_age: {conn_max_age}",
        "  conn_health_checks: false",
        "guard:",
        f"  margin: {margin}",
        "server:" if server else "server: {}",
        *(f"  {name}: {value}" for name, value in server.items()),
    ]
    path = tmp_path / f"{engine}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# URLs


@pytest.mark.parametrize(
    ("url", "family", "host", "port", "database", "user"),
    [
        (
            "postgres://app:pw@db.example.com/orders",
            "postgres",
            "db.example.com",
            5432,
            "orders",
            "app",
        ),
        ("postgresql://app@10.0.0.5:6543/orders", "postgres", "10.0.0.5", 6543, "orders", "app"),
        ("pgsql://[::1]:5433/x", "postgres", "::1", 5433, "x", None),
        (
            "postgres://%2Fvar%2Frun%2Fpostgresql/orders",
            "postgres",
            "/var/run/postgresql",
            5432,
            "orders",
            None,
        ),
        ("mysql://app:pw@db:3307/shop", "mysql", "db", 3307, "shop", "app"),
        ("mariadb://app:pw@db/shop", "mysql", "db", 3306, "shop", "app"),
    ],
)
def test_database_urls_are_parsed_like_dj_database_url(
    url: str, family: str, host: str, port: int, database: str, user: str | None
) -> None:
    endpoint = parse_database_url(url)
    assert (endpoint.family, endpoint.host, endpoint.port, endpoint.database, endpoint.user) == (
        family,
        host,
        port,
        database,
        user,
    )


def test_the_password_is_decoded_and_kept_out_of_repr_and_descriptions() -> None:
    endpoint = parse_database_url(f"postgres://app:{QUOTED_SECRET}@db:5432/orders?sslmode=require")
    assert endpoint.password == SECRET
    assert endpoint.options == {"sslmode": "require"}
    assert SECRET not in repr(endpoint)
    assert QUOTED_SECRET not in repr(endpoint)
    assert endpoint.describe() == "app@db:5432/orders"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"sqlite://app:{QUOTED_SECRET}@x/db", "scheme 'sqlite' is not supported"),
        (f"postgres://app:{QUOTED_SECRET}@db:5432", "names no database"),
        (f"postgres://app:{QUOTED_SECRET}@db:notaport/x", "cannot be parsed"),
        (
            f"mysql://app:{QUOTED_SECRET}@db/x?sslmode=require",
            "unsupported MySQL/MariaDB URL option",
        ),
    ],
)
def test_bad_urls_are_refused_without_repeating_them(url: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError) as raised:
        parse_database_url(url)
    assert message in raised.value.message
    assert SECRET not in raised.value.message
    assert QUOTED_SECRET not in raised.value.message


# ---------------------------------------------------------------------------------------------
# The report, from values a server could show


def _pg_live(name: str, ms: int, source: str) -> LiveSetting:
    return LiveSetting(name, f"{ms} ms", Duration(ms * 1000), str(ms), source)


def test_the_guard_judges_live_values_and_profile_differences_are_drift() -> None:
    profile = parse_profile(
        "name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n"
        "server:\n  idle_session_timeout: 10s\n  statement_timeout: 30s\n"
    )
    live = {
        "idle_session_timeout": _pg_live("idle_session_timeout", 1000, "user"),
        "idle_in_transaction_session_timeout": _pg_live(
            "idle_in_transaction_session_timeout", 0, "default"
        ),
        "statement_timeout": _pg_live("statement_timeout", 30000, "configuration file"),
    }
    report = build_report(profile, "app@db:5432/orders", "16.2", live)
    rows = {row.name: row for row in report.parameters}
    assert report.refused
    assert [finding.parameter for finding in report.refusals] == ["idle_session_timeout"]
    assert rows["idle_session_timeout"].verdict == "refused"
    assert rows["idle_session_timeout"].drift
    assert rows["idle_session_timeout"].source == "user (ALTER ROLE … SET)"
    assert rows["idle_in_transaction_session_timeout"].verdict == "off"
    assert not rows["statement_timeout"].drift
    assert rows["statement_timeout"].verdict is None
    assert rows["transaction_timeout"].live is None  # not on this server (PG17+)
    warnings = " | ".join(finding.message for finding in report.warnings)
    assert "the profile declares 10000 ms (10s) but the live session has 1000 ms (1s)" in warnings
    assert "comes from ALTER ROLE … SET (pg_settings.source 'user'" in warnings
    assert report.to_json()["verdict"] == "refused"


def test_the_live_value_wins_over_the_profile_in_the_guard() -> None:
    # The profile is unsafe (1 s) but the server really has 10 s: verify judges the server.
    profile = parse_profile(
        "name: p\nengine: mariadb\ndjango:\n  conn_max_age: 3\nserver:\n  wait_timeout: 1\n"
    )
    live = {
        "wait_timeout": LiveSetting("wait_timeout", "10", Duration.of_seconds(10), "10", "global")
    }
    report = build_report(profile, "app@db:3306/shop", "10.11.6-MariaDB", live)
    assert not report.refused
    assert [row.name for row in report.drift] == ["wait_timeout"]
    assert report.engine is Engine.MARIADB


def test_a_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    profile = parse_profile("name: p\nengine: postgres\ndjango:\n  conn_max_age: 3\n")
    with pytest.raises(DriverUnavailableError) as raised:
        verify(profile, "postgres://app:pw@127.0.0.1:1/x")
    assert raised.value.hint == "pip install 'cloudtimeouts[verify]'"
    path = write_profile(tmp_path, "postgres", "3", {})
    result = cli("verify", path, "--database-url", "postgres://app:pw@127.0.0.1:1/x")
    assert result.exit_code == 1
    assert "Hint: pip install 'cloudtimeouts[verify]'" in result.stderr


def test_an_url_of_another_engine_is_an_error(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = write_profile(tmp_path, "postgres", "3", {})
    result = cli("verify", path, "--database-url", f"mysql://app:{QUOTED_SECRET}@127.0.0.1:1/x")
    assert result.exit_code == 1
    assert "profile proof is for postgres but the database URL is a mysql URL" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert QUOTED_SECRET not in result.stdout + result.stderr


def test_the_database_url_is_required(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("verify", write_profile(tmp_path, "postgres", "3", {}))
    assert result.exit_code == 1
    assert "--database-url" in result.stderr


# ---------------------------------------------------------------------------------------------
# Real servers


def _json(result) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _row(report: dict, name: str) -> dict:  # type: ignore[type-arg]
    return next(row for row in report["parameters"] if row["parameter"] == name)


def test_postgres_safe_state_passes(postgres: DatabaseServer, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    set_postgres(
        postgres, idle_session_timeout="10000", idle_in_transaction_session_timeout="20000"
    )
    path = write_profile(tmp_path, "postgres", "3", {"idle_session_timeout": "10s"})
    result = cli("verify", path, "--database-url", postgres.url())
    assert result.exit_code == 0, result.stderr
    assert "idle_session_timeout" in result.stdout
    assert "10000 ms (10s)" in result.stdout
    assert "OK: every live idle timeout is above CONN_MAX_AGE." in result.stdout
    assert result.stderr == ""
    report = _json(cli("verify", path, "--database-url", postgres.url(), "--output", "json"))
    assert report["verdict"] == "ok"
    assert report["server_version"] == postgres.version
    assert _row(report, "idle_session_timeout") | {"parameter": "x"} == {
        "parameter": "x",
        "role": "idle",
        "unit": "ms",
        "profile": "10000",
        "live": "10000",
        "live_human": "10s",
        "source": "configuration file",  # ALTER SYSTEM writes postgresql.auto.conf
        "global": None,
        "origin": None,
        "drift": False,
        "verdict": "ok",
    }
    assert _row(report, "idle_in_transaction_session_timeout")["live"] == "20000"
    assert _row(report, "tcp_keepalives_idle")["unit"] == "s"  # converted with pg_settings.unit


def test_postgres_unsafe_state_is_refused(postgres: DatabaseServer, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    set_postgres(postgres, idle_session_timeout="1000")
    path = write_profile(tmp_path, "postgres", "3", {"idle_session_timeout": "10s"})
    result = cli("verify", path, "--database-url", postgres.url())
    assert result.exit_code == 3
    assert (
        f"refused: live app@127.0.0.1:{postgres.port}/app: idle_session_timeout = 1000 ms (1s, "
        "set on the target) is not above CONN_MAX_AGE 3 s"
    ) in result.stderr
    assert "warning: idle_session_timeout: the profile declares 10000 ms (10s) but the live" in (
        result.stderr
    )
    assert "Refused: 1 live idle timeout(s)" in result.stdout


@pytest.mark.parametrize(
    ("statement", "source", "words"),
    [
        ("ALTER ROLE app SET idle_session_timeout = '1s'", "user", "ALTER ROLE … SET"),
        ("ALTER DATABASE app SET idle_session_timeout = '1s'", "database", "ALTER DATABASE … SET"),
        (
            "ALTER ROLE app IN DATABASE app SET idle_session_timeout = '1s'",
            "database user",
            "ALTER ROLE … IN DATABASE … SET",
        ),
    ],
)
def test_postgres_per_role_and_per_database_overrides_are_found(  # type: ignore[no-untyped-def]
    postgres: DatabaseServer, tmp_path: Path, cli, statement: str, source: str, words: str
) -> None:
    # The server-wide value is safe; the override only a session of this role/database sees.
    set_postgres(postgres, idle_session_timeout="600000")
    postgres.execute(statement)
    path = write_profile(tmp_path, "postgres", "3", {"idle_session_timeout": "10min"})
    result = cli("verify", path, "--database-url", postgres.url(), "--output", "json")
    assert result.exit_code == 3
    report = _json(result)
    row = _row(report, "idle_session_timeout")
    assert (row["live"], row["source"], row["verdict"], row["drift"]) == (
        "1000",
        source,
        "refused",
        True,
    )
    assert [warning["message"] for warning in report["warnings"]] == [
        "idle_session_timeout: the profile declares 600000 ms (10min) but the live session has "
        f"1000 ms (1s), from {source} ({words})",
        f"idle_session_timeout = 1000 ms (1s) comes from {words} (pg_settings.source "
        f"'{source}', stored in pg_db_role_setting): no parameter group, flag or server "
        "parameter shows it",
    ]
    text = cli("verify", path, "--database-url", postgres.url())
    assert text.exit_code == 3
    assert f"{source} ({words})" in text.stdout
    assert "refused: live app@" in text.stderr


def test_database_url_comes_from_the_environment(  # type: ignore[no-untyped-def]
    postgres: DatabaseServer, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres.url())
    result = cli("verify", write_profile(tmp_path, "postgres", "3", {}))
    assert result.exit_code == 0, result.stderr
    assert f"app@127.0.0.1:{postgres.port}/app" in result.stdout


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_cannot_connect_names_host_and_port_never_the_password(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest, tmp_path: Path, cli, engine: str
) -> None:
    server: DatabaseServer = request.getfixturevalue(f"{engine}_server")
    path = write_profile(tmp_path, engine, "3", {})
    closed = _closed_port()
    outputs = []
    for url, where in (
        (server.url(port=closed), f"app@127.0.0.1:{closed}/app"),
        (server.url(password=SECRET), f"app@127.0.0.1:{server.port}/app"),  # wrong password
        (server.url(port=closed, password=SECRET), f"app@127.0.0.1:{closed}/app"),
    ):
        result = cli("verify", path, "--database-url", url)
        assert result.exit_code == 1
        assert f"Error: cannot connect to {where}: " in result.stderr
        assert "Hint: check the host, port, database name and credentials" in result.stderr
        outputs.append(result.stdout + result.stderr)
    everything = "\n".join(outputs)
    for secret in (SECRET, QUOTED_SECRET, server.password):
        assert secret not in everything


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


def test_mariadb_global_wait_timeout_is_refused(
    mariadb: DatabaseServer, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    set_mariadb(mariadb, wait_timeout="1")
    path = write_profile(tmp_path, "mariadb", "3", {"wait_timeout": "10min"})
    result = cli("verify", path, "--database-url", mariadb.url(), "--output", "json")
    assert result.exit_code == 3
    report = _json(result)
    assert report["server_version"] == mariadb.version
    assert _row(report, "wait_timeout") == {
        "parameter": "wait_timeout",
        "role": "idle",
        "unit": "s",
        "profile": "600",
        "live": "1",
        "live_human": "1s",
        "source": "global",  # a non-interactive session starts with the global wait_timeout
        "global": "1",
        "origin": "SQL",  # information_schema.SYSTEM_VARIABLES: set by SET GLOBAL
        "drift": True,
        "verdict": "refused",
    }
    assert _row(report, "idle_transaction_timeout")["verdict"] == "off"
    assert _row(report, "max_statement_time")["unit"] == "s"


def test_mariadb_session_value_from_init_command_is_what_counts(  # type: ignore[no-untyped-def]
    mariadb: DatabaseServer, tmp_path: Path, cli
) -> None:
    # Django's OPTIONS["init_command"] can lower the session's wait_timeout below the global.
    path = write_profile(tmp_path, "mariadb", "3", {})
    url = mariadb.url() + "?init_command=SET+SESSION+wait_timeout%3D2"
    result = cli("verify", path, "--database-url", url)
    assert result.exit_code == 3
    assert "wait_timeout = 2 s (2s, set on the target) is not above CONN_MAX_AGE 3 s" in (
        result.stderr
    )
    assert "this session has 2 s but the global value is 28800 s" in result.stderr


def test_mariadb_safe_state_passes(mariadb: DatabaseServer, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    set_mariadb(mariadb, wait_timeout="10", interactive_timeout="10", idle_transaction_timeout="20")
    path = write_profile(tmp_path, "mariadb", "3", {"wait_timeout": "10s"})
    result = cli("verify", path, "--database-url", mariadb.url())
    assert result.exit_code == 0, result.stderr
    assert "OK: every live idle timeout is above CONN_MAX_AGE." in result.stdout
    assert "global (SET GLOBAL)" in result.stdout


def test_a_mysql_profile_against_mariadb_is_an_error(  # type: ignore[no-untyped-def]
    mariadb_server: DatabaseServer, tmp_path: Path, cli
) -> None:
    path = write_profile(tmp_path, "mysql", "3", {})
    result = cli("verify", path, "--database-url", mariadb_server.url())
    assert result.exit_code == 1
    assert "profile proof is for mysql but the server at" in result.stderr
    assert "is mariadb (" in result.stderr
    assert "Hint: set engine: mariadb in the profile" in result.stderr
