"""live.verify and `cloudtimeouts verify`, end to end on real PostgreSQL and MariaDB servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dbservers import DatabaseServer, set_mariadb, set_postgres
from support.profiles import write_profile as write_profile_file

SECRET = "s3cr3t/p@ss:word"
QUOTED_SECRET = "s3cr3t%2Fp%40ss%3Aword"


def write_profile(
    tmp_path: Path, engine: str, conn_max_age: str, server: dict[str, str], margin: str = "0s"
) -> Path:
    return write_profile_file(
        tmp_path,
        f"{engine}.yaml",
        name="proof",
        engine=engine,
        conn_max_age=conn_max_age,
        health_checks=False,
        margin=margin,
        server=server,
    )


def _json(result) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _row(report: dict, name: str) -> dict:  # type: ignore[type-arg]
    return next(row for row in report["parameters"] if row["parameter"] == name)


def test_importing_live_loads_no_plan_no_pydantic_and_no_driver() -> None:
    code = (
        "import sys, cloudtimeouts.live; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'psycopg', 'pymysql', 'yaml', 'boto3', 'google', 'azure')"
        " or m == 'cloudtimeouts.plan'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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


def test_postgres_safe_state_passes(postgres: DatabaseServer, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    set_postgres(
        postgres, idle_session_timeout="10000", idle_in_transaction_session_timeout="20000"
    )
    path = write_profile(tmp_path, "postgres", "3", {"idle_session_timeout": "10s"}, margin="30s")
    result = cli("verify", path, "--database-url", postgres.url())
    assert result.exit_code == 3  # 3 s + 30 s margin is not below 10 s
    path = write_profile(tmp_path, "postgres", "3", {"idle_session_timeout": "10s"})
    result = cli("verify", path, "--database-url", postgres.url())
    assert result.exit_code == 0, result.stderr
    assert "idle_session_timeout" in result.stdout
    assert "10000 ms (10s)" in result.stdout
    assert "OK: every live idle timeout is above CONN_MAX_AGE." in result.stdout
    assert result.stderr == ""
    output = cli("verify", path, "--database-url", postgres.url(), "--output", "json")
    assert '"margin_s": 0,' in output.stdout  # a JSON number, not "0E+0"
    report = _json(output)
    assert report["verdict"] == "ok"
    assert report["server_version"] == postgres.version
    assert (report["conn_max_age"], report["margin_s"]) == (3, 0)
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
        f"refused: live app@127.0.0.1:{postgres.port}/app: idle_session_timeout = 1000 ms (1 s, "
        "the live session's value) is not above CONN_MAX_AGE 3 s"
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
    statement = _row(report, "max_statement_time")
    assert (statement["unit"], statement["live"]) == ("s", "0")  # the server shows 0.000000


def test_mariadb_session_value_from_init_command_is_what_counts(  # type: ignore[no-untyped-def]
    mariadb: DatabaseServer, tmp_path: Path, cli
) -> None:
    # Django's OPTIONS["init_command"] can lower the session's wait_timeout below the global.
    path = write_profile(tmp_path, "mariadb", "3", {})
    url = mariadb.url() + "?init_command=SET+SESSION+wait_timeout%3D2"
    result = cli("verify", path, "--database-url", url)
    assert result.exit_code == 3
    assert "wait_timeout = 2 s (the live session's value) is not above CONN_MAX_AGE 3 s" in (
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
    assert "10 s" in result.stdout  # the global column


def test_a_mysql_profile_against_mariadb_is_an_error(  # type: ignore[no-untyped-def]
    mariadb_server: DatabaseServer, tmp_path: Path, cli
) -> None:
    path = write_profile(tmp_path, "mysql", "3", {})
    result = cli("verify", path, "--database-url", mariadb_server.url())
    assert result.exit_code == 1
    assert "profile proof is for mysql but the server at" in result.stderr
    assert "is mariadb (" in result.stderr
    assert "Hint: set engine: mariadb in the profile" in result.stderr
