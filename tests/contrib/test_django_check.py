"""The proof on real servers: the failure happens, and validate, verify and the check see it.

A small Django project (tests/contrib/djangoproject) runs in a subprocess, with CONN_MAX_AGE
and the database from the environment. Its scenario sends two requests through Django's real
WSGI handler with an idle pause between them, so close_old_connections() decides about reuse
exactly as in production.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import support.profiles as support
from dbservers import DatabaseServer, set_mariadb, set_postgres
from proofproject import run_django
from workerproofs import FAILURES  # what Django really raises after the pause

CONN_MAX_AGE = 3
UNSAFE_IDLE_S = 1
SAFE_IDLE_S = 10
PAUSE_S = 2.0  # > the unsafe idle timeout, < CONN_MAX_AGE: 1 s of slack on either side

IDLE_PARAMETER = {"postgres": "idle_session_timeout", "mariadb": "wait_timeout"}


@pytest.fixture(params=["postgres", "mariadb"])
def server(request: pytest.FixtureRequest) -> DatabaseServer:
    """Each engine in turn, reset to its defaults around the test."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def set_idle_timeout(server: DatabaseServer, seconds: int) -> None:
    if server.engine == "postgres":
        set_postgres(server, idle_session_timeout=str(seconds * 1000))
    else:
        set_mariadb(server, wait_timeout=str(seconds))


def write_profile(tmp_path: Path, engine: str, idle_s: int, health_checks: bool = False) -> Path:
    return support.write_profile(
        tmp_path,
        f"{engine}-{idle_s}s.yaml",
        name="proof",
        engine=engine,
        conn_max_age=str(CONN_MAX_AGE),
        health_checks=health_checks,
        server={IDLE_PARAMETER[engine]: f"{idle_s}s"},
    )


def django(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the proof project (manage.py or -m module) with these settings."""
    return run_django(database_url, *args, **{"CONN_MAX_AGE": str(CONN_MAX_AGE), **env})


def scenario(database_url: str, **env: str) -> dict[str, Any]:
    done = django(database_url, "-m", "proofsite.scenario", str(PAUSE_S), **env)
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout)
    assert outcome["first"]["status"] == "200 OK", outcome
    # The proof only holds if Django still considered the connection young enough to reuse.
    assert outcome["age_at_second"] < CONN_MAX_AGE, outcome
    return outcome


def check(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return django(database_url, "manage.py", "check", *args, **env)


# ---------------------------------------------------------------------------------------------
# The failure, and every tool refusing the state that causes it


def test_unsafe_idle_timeout_breaks_the_next_request_and_every_tool_refuses_it(  # type: ignore[no-untyped-def]
    server: DatabaseServer, tmp_path: Path, cli
) -> None:
    set_idle_timeout(server, UNSAFE_IDLE_S)
    profile = write_profile(tmp_path, server.engine, UNSAFE_IDLE_S)
    parameter = IDLE_PARAMETER[server.engine]

    outcome = scenario(server.url())
    assert outcome["second"] == FAILURES[server.engine]

    refused = cli("validate", profile)
    assert refused.exit_code == 3
    assert f"{parameter} = " in refused.stderr
    assert f"is not above CONN_MAX_AGE {CONN_MAX_AGE} s." in refused.stderr

    verified = cli("verify", profile, "--database-url", server.url())
    assert verified.exit_code == 3
    assert f"refused: live app@127.0.0.1:{server.port}/app: {parameter} = " in verified.stderr

    checked = check(server.url(), "--database", "default")
    assert checked.returncode == 1
    assert "SystemCheckError" in checked.stderr
    # the check says what verify says (the same reading, the same guard), under its own id,
    # naming Django's setting where verify names the profile's key
    value = "1000 ms (1 s, " if server.engine == "postgres" else "1 s ("
    hint = (
        f"HINT: This session's {parameter} is set in the server's configuration: on RDS or "
        if server.engine == "postgres"
        else f"HINT: This session's {parameter} is the server's global value, set with SET GLOBAL"
    )
    refusal = next(line for line in verified.stderr.splitlines() if line.startswith("refused: "))
    said = refusal.removeprefix("refused: ").replace("lower conn_max_age", "lower CONN_MAX_AGE")
    assert f"DATABASES['default']: (cloudtimeouts.E001) {said}" in checked.stderr
    assert (
        f"(cloudtimeouts.E001) live app@127.0.0.1:{server.port}/app: {parameter} = {value}the "
        f"live session's value) is not above CONN_MAX_AGE {CONN_MAX_AGE} s. The server closes a "
        f"connection once it has been idle for {UNSAFE_IDLE_S} s, and Django may hand such a "
        f"connection to a request, which then fails. Raise {parameter} above {CONN_MAX_AGE} s, "
        f"or lower CONN_MAX_AGE below {UNSAFE_IDLE_S} s."
    ) in checked.stderr
    assert hint in checked.stderr


def test_guard_approved_values_reuse_the_connection_without_error(  # type: ignore[no-untyped-def]
    server: DatabaseServer, tmp_path: Path, cli
) -> None:
    set_idle_timeout(server, SAFE_IDLE_S)
    profile = write_profile(tmp_path, server.engine, SAFE_IDLE_S)

    outcome = scenario(server.url())
    assert outcome["second"]["status"] == "200 OK", outcome
    # the same server session: the connection really was reused across the pause
    assert outcome["second"]["session"] == outcome["first"]["session"]

    assert cli("validate", profile).exit_code == 0
    verified = cli("verify", profile, "--database-url", server.url())
    assert verified.exit_code == 0, verified.stderr
    assert "OK: every live idle timeout is above CONN_MAX_AGE." in verified.stdout

    checked = check(server.url(), "--database", "default")
    assert checked.returncode == 0, checked.stderr
    assert "cloudtimeouts.E" not in checked.stdout + checked.stderr
    # health checks are off in this scenario, which the check points out (a warning only)
    assert "(cloudtimeouts.W001)" in checked.stdout + checked.stderr


def test_conn_max_age_zero_is_safe_even_with_a_short_idle_timeout(  # type: ignore[no-untyped-def]
    server: DatabaseServer,
) -> None:
    set_idle_timeout(server, UNSAFE_IDLE_S)
    outcome = scenario(server.url(), CONN_MAX_AGE="0")
    assert outcome["second"]["status"] == "200 OK", outcome
    assert outcome["second"]["session"] != outcome["first"]["session"]  # a new connection
    checked = check(server.url(), "--database", "default", CONN_MAX_AGE="0")
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_health_checks_turn_the_failure_into_a_reconnect(postgres: DatabaseServer) -> None:
    # What W001 promises: with CONN_HEALTH_CHECKS the closed connection is discarded, not used.
    set_idle_timeout(postgres, UNSAFE_IDLE_S)
    outcome = scenario(postgres.url(), CONN_HEALTH_CHECKS="1")
    assert outcome["second"]["status"] == "200 OK", outcome
    assert outcome["second"]["session"] != outcome["first"]["session"]
    checked = check(postgres.url(), "--database", "default", CONN_HEALTH_CHECKS="1")
    assert checked.returncode == 1  # still an error: every idle pause costs a reconnect
    assert "(cloudtimeouts.E001)" in checked.stderr
    assert "W001" not in checked.stderr


def test_per_role_override_is_caught_although_the_server_setting_is_safe(  # type: ignore[no-untyped-def]
    postgres: DatabaseServer, tmp_path: Path, cli
) -> None:
    set_postgres(postgres, idle_session_timeout=str(SAFE_IDLE_S * 1000))
    postgres.execute("ALTER ROLE app SET idle_session_timeout = '1s'")
    profile = write_profile(tmp_path, "postgres", SAFE_IDLE_S)
    assert cli("validate", profile).exit_code == 0  # the profile (and the server) look fine

    outcome = scenario(postgres.url())
    assert outcome["second"] == FAILURES["postgres"]

    verified = cli("verify", profile, "--database-url", postgres.url(), "--output", "json")
    assert verified.exit_code == 3
    row = next(
        row
        for row in json.loads(verified.stdout)["parameters"]
        if row["parameter"] == "idle_session_timeout"
    )
    assert (row["live"], row["source"], row["verdict"]) == ("1000", "user", "refused")

    checked = check(postgres.url(), "--database", "default")
    assert checked.returncode == 1
    assert "(cloudtimeouts.E001) live app@127.0.0.1:" in checked.stderr
    assert "idle_session_timeout = 1000 ms (1 s, the live session's value) is not above" in (
        checked.stderr
    )
    assert (
        "HINT: This session's idle_session_timeout is set for the role app by ALTER ROLE … SET, "
        "which overrides the server's configuration and which no parameter group, flag or "
        'server parameter shows: run ALTER ROLE "app" RESET idle_session_timeout; to use the '
        "server's value, or ALTER ROLE \"app\" SET idle_session_timeout = '…'; with a value the "
        "guard accepts."
    ) in checked.stderr


# ---------------------------------------------------------------------------------------------
# The check's own behaviour


def test_the_check_runs_only_when_databases_are_asked_for(postgres: DatabaseServer) -> None:
    set_idle_timeout(postgres, UNSAFE_IDLE_S)
    plain = check(postgres.url())
    assert plain.returncode == 0, plain.stderr
    assert "System check identified no issues" in plain.stdout
    assert check(postgres.url(), "--database", "default").returncode == 1


def test_a_database_that_cannot_be_reached_is_an_error_not_a_crash(  # type: ignore[no-untyped-def]
    postgres_server: DatabaseServer, mariadb_server: DatabaseServer
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = int(sock.getsockname()[1])
    for server in (postgres_server, mariadb_server):
        # --tag cloudtimeouts: Django's own MySQL check (sql_mode) crashes on an unreachable
        # server before ours would report anything; the tag runs only this app's checks.
        done = check(server.url(port=closed), "--database", "default", "--tag", "cloudtimeouts")
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        # the message verify gives for the same failure
        assert f"(cloudtimeouts.E002) cannot connect to app@127.0.0.1:{closed}/app: " in (
            done.stderr
        )
        assert server.password not in done.stdout + done.stderr


@pytest.mark.parametrize("engine", ["postgres", "mariadb"])
def test_a_password_the_driver_cannot_encode_is_an_error_without_it(
    request: pytest.FixtureRequest, engine: str
) -> None:
    # Django on PyMySQL encodes the password as Latin-1: its UnicodeEncodeError would quote the
    # character and its position; the check says which setting, once, and nothing of it.
    server: DatabaseServer = request.getfixturevalue(f"{engine}_server")
    password = "Zq€9xK/w!Lm7;Vb"
    done = check(server.url(password=password), "--database", "default", "--tag", "cloudtimeouts")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "Traceback" not in output
    assert f"(cloudtimeouts.E002) cannot connect to app@127.0.0.1:{server.port}/app: " in output
    pieces = {password[i:j] for i in range(len(password)) for j in range(i + 3, len(password) + 1)}
    assert not [piece for piece in pieces if piece in output]
    assert "position" not in output


def test_other_engines_are_skipped() -> None:
    # No server needed: the sqlite alias is asked about, the default one is not.
    done = check("postgres://app:pw@127.0.0.1:1/app", "--database", "other", PROOF_SQLITE="1")
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize(
    ("profile", "env", "expected"),
    [
        (
            "conn_max_age: 5",
            {},
            "DATABASES['default']: (cloudtimeouts.E003) CONN_MAX_AGE = 3 but profile proof says "
            "5: the guard checked the profile's value, not this one.",
        ),
        (
            "conn_max_age: unlimited",
            {},
            "(cloudtimeouts.E003) CONN_MAX_AGE = 3 but profile proof says None",
        ),
        (
            "conn_max_age: 3\n  conn_health_checks: true",
            {},
            "(cloudtimeouts.E004) CONN_HEALTH_CHECKS = False but profile proof says True.",
        ),
        (
            "conn_max_age: 3",
            {"DATABASE_URL": "mysql://app:pw@127.0.0.1:1/app"},
            "(cloudtimeouts.E005) profile proof is for postgres but ENGINE is "
            "'django.db.backends.mysql'.",
        ),
    ],
)
def test_settings_are_compared_with_the_profile(
    tmp_path: Path, profile: str, env: dict[str, str], expected: str
) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(f"name: proof\nengine: postgres\ndjango:\n  {profile}\n")
    url = env.pop("DATABASE_URL", "postgres://app:pw@127.0.0.1:1/app")
    done = check(url, PROOF_PROFILE=str(path), **env)  # no database access needed
    assert done.returncode == 1
    assert expected in done.stderr


def test_matching_settings_pass_and_bad_profile_settings_are_errors(tmp_path: Path) -> None:
    url = "postgres://app:pw@127.0.0.1:1/app"
    path = tmp_path / "profile.yaml"
    path.write_text("name: proof\nengine: postgres\ndjango:\n  conn_max_age: 3\n")
    done = check(url, PROOF_PROFILE=json.dumps({"default": str(path)}), CONN_HEALTH_CHECKS="1")
    assert done.returncode == 0, done.stderr

    missing = check(url, PROOF_PROFILE=str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert "CLOUDTIMEOUTS_PROFILE: (cloudtimeouts.E006) CLOUDTIMEOUTS_PROFILE['default']: " in (
        missing.stderr
    )
    assert "nope.yaml: no such file" in missing.stderr

    alias = check(url, PROOF_PROFILE=json.dumps({"replica": str(path)}))
    assert alias.returncode == 1
    assert "names database alias 'replica', which is not in DATABASES ('default')" in (alias.stderr)


def test_the_profile_margin_counts_in_the_live_check(
    postgres: DatabaseServer, tmp_path: Path
) -> None:
    # idle 4 s > CONN_MAX_AGE 3 s, but not > 3 s + the profile's 2 s margin
    set_postgres(postgres, idle_session_timeout="4000")
    path = tmp_path / "profile.yaml"
    path.write_text(
        "name: proof\nengine: postgres\ndjango:\n  conn_max_age: 3\n  conn_health_checks: true\n"
        "guard:\n  margin: 2s\nserver:\n  idle_session_timeout: 10s\n"
    )
    done = check(
        postgres.url(), "--database", "default", PROOF_PROFILE=str(path), CONN_HEALTH_CHECKS="1"
    )
    assert done.returncode == 1
    assert (
        "is not above CONN_MAX_AGE 3 s plus the margin of 2 s (5 s in all). The server closes a "
        "connection once it has been idle for 4 s"
    ) in done.stderr
    assert "Raise idle_session_timeout above 5 s, or lower CONN_MAX_AGE below 2 s." in done.stderr


def test_the_check_names_djangos_settings_and_where_to_change_a_value() -> None:
    from cloudtimeouts.contrib.django.checks import _in_django_terms, _where_to_change

    said = "t: x. Raise wait_timeout above 5 s, or lower conn_max_age below 2 s."
    assert _in_django_terms(said).endswith("or lower CONN_MAX_AGE below 2 s.")
    assert _in_django_terms("Turn conn_health_checks on") == "Turn CONN_HEALTH_CHECKS on"
    assert _in_django_terms("lower django.pool.max_idle below 9 s") == (
        'lower OPTIONS["pool"]["max_idle"] below 9 s'
    )
    assert "is the server's default: set it in the server's configuration" in (
        _where_to_change("idle_session_timeout", "default")
    )


@pytest.mark.parametrize(
    ("source", "hint"),
    [
        (
            "configuration file",
            "This session's idle_session_timeout is set in the server's configuration: on RDS "
            "or Aurora its parameter group, on Cloud SQL a database flag, on Azure a server "
            "parameter (cloudtimeouts apply writes them); on a server you run, postgresql.conf "
            "or ALTER SYSTEM. Change it there.",
        ),
        (
            "user (ALTER ROLE … SET)",
            "This session's idle_session_timeout is set for the role app by ALTER ROLE … SET, "
            "which overrides the server's configuration and which no parameter group, flag or "
            'server parameter shows: run ALTER ROLE "app" RESET idle_session_timeout; to use '
            "the server's value, or ALTER ROLE \"app\" SET idle_session_timeout = '…'; with a "
            "value the guard accepts.",
        ),
        (
            "database (ALTER DATABASE … SET)",
            "This session's idle_session_timeout is set for the database orders by ALTER "
            "DATABASE … SET, which overrides the server's configuration and which no parameter "
            'group, flag or server parameter shows: run ALTER DATABASE "orders" RESET '
            'idle_session_timeout; to use the server\'s value, or ALTER DATABASE "orders" SET '
            "idle_session_timeout = '…'; with a value the guard accepts.",
        ),
        (
            "database user (ALTER ROLE … IN DATABASE … SET)",
            "This session's idle_session_timeout is set for the role app in the database orders "
            "by ALTER ROLE … IN DATABASE … SET, which overrides the server's configuration and "
            'which no parameter group, flag or server parameter shows: run ALTER ROLE "app" IN '
            'DATABASE "orders" RESET idle_session_timeout; to use the server\'s value, or ALTER '
            'ROLE "app" IN DATABASE "orders" SET idle_session_timeout = \'…\'; with a value the '
            "guard accepts.",
        ),
        (
            "client",
            "This session's idle_session_timeout is set by the connection itself (libpq's "
            'options, e.g. OPTIONS["options"] = "-c idle_session_timeout=…" in DATABASES, or '
            "PGOPTIONS in the environment). Change it there.",
        ),
        (
            "session (global is 28800, set by config file)",
            "This session's idle_session_timeout differs from the server's global value: the "
            'connection sets it, usually with OPTIONS["init_command"] = "SET SESSION '
            'idle_session_timeout=…" in DATABASES. Change it there, or remove it to use the '
            "global value.",
        ),
        (
            "global (SET GLOBAL)",
            "This session's idle_session_timeout is the server's global value, set with SET "
            "GLOBAL, which a restart undoes. Set it in the server's configuration instead: on "
            "RDS or Aurora its parameter group, on Cloud SQL a database flag, on Azure a server "
            "parameter (cloudtimeouts apply writes them); on a server you run, my.cnf or SET "
            "PERSIST.",
        ),
    ],
)
def test_the_hint_says_where_the_live_value_is_set_and_how_to_change_it(
    source: str, hint: str
) -> None:
    from cloudtimeouts.contrib.django.checks import _where_to_change

    assert _where_to_change("idle_session_timeout", source, user="app", database="orders") == hint


def test_the_check_judges_with_the_profiles_application_facts_as_validate_does() -> None:
    # The transaction budget and CLIENT_INTERACTIVE are facts of the application, not of
    # DATABASES: the check must judge with them, or it refuses what validate accepts
    # (docs/guard.md: one guard, every mode, the same facts).
    from cloudtimeouts.budget import budget_of
    from cloudtimeouts.contrib.django.checks import _judged
    from cloudtimeouts.durations import Duration
    from cloudtimeouts.offline import judge_offline
    from cloudtimeouts.profile import parse_profile

    profile = parse_profile(
        "name: proof\nengine: postgres\n"
        "django: {conn_max_age: 300, max_idle_in_transaction: 10s}\n"
        "server: {idle_in_transaction_session_timeout: 60s}\n"
    )
    assert judge_offline(profile).refusals == ()
    judged = _judged({"CONN_MAX_AGE": 300, "CONN_HEALTH_CHECKS": True}, profile, "postgres")
    budget = budget_of(judged.django)
    assert budget.transaction == Duration.of_seconds(10)
    assert budget.transaction_declared

    mysql = parse_profile(
        "name: proof\nengine: mysql\ndjango: {conn_max_age: 300, interactive_client: true}\n"
    )
    assert budget_of(_judged({"CONN_MAX_AGE": 300}, mysql, "mysql").django).interactive_client
    # OPTIONS that set CLIENT.INTERACTIVE (MySQLdb.constants.CLIENT.INTERACTIVE = 1024) say it too
    flagged = _judged({"CONN_MAX_AGE": 300, "OPTIONS": {"client_flag": 1024 | 2}}, None, "mysql")
    assert budget_of(flagged.django).interactive_client
