"""django-settings snippets: executed, and loaded by real Django in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from typing import Any

import pytest

from cloudtimeouts.django import databases_dict, django_settings, url_env_var
from cloudtimeouts.errors import UnsafeProfileError
from cloudtimeouts.profile import Profile, parse_profile

PG = "django.db.backends.postgresql"
MY = "django.db.backends.mysql"
SECRET = "s3cr3t-Pa55'\"word"


def make_profile(
    engine: str,
    conn_max_age: str = "5min",
    health: bool | None = None,
    server: dict[str, str] | None = None,
    margin: str | None = None,
    name: str = "orders",
) -> Profile:
    """A profile from YAML text, through the same parser users' files go through."""
    lines = [f"name: {name}", f"engine: {engine}", "django:", f"  conn_max_age: {conn_max_age}"]
    if health is not None:
        lines.append(f"  conn_health_checks: {str(health).lower()}")
    if margin is not None:
        lines += ["guard:", f"  margin: {margin}"]
    if server:
        lines.append("server:")
        lines += [f"  {key}: {value}" for key, value in server.items()]
    return parse_profile("\n".join(lines) + "\n", "t.yaml")


def set_db_env(monkeypatch: pytest.MonkeyPatch, prefix: str = "DB_") -> dict[str, str]:
    values = {
        f"{prefix}NAME": "app",
        f"{prefix}USER": "django",
        f"{prefix}PASSWORD": SECRET,
        f"{prefix}HOST": "127.0.0.1",
        f"{prefix}PORT": "5432",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def run_snippet(snippet: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)
    return namespace["DATABASES"]


KEEPALIVES = {"tcp_keepalives_idle": "2min", "tcp_keepalives_interval": "30s"}
PG_IDLE = {"idle_session_timeout": "10min", "idle_in_transaction_session_timeout": "10min"}


# engine, conn_max_age, health, server, expected ENGINE, CONN_MAX_AGE, CONN_HEALTH_CHECKS, OPTIONS
SNIPPET_CASES = [
    ("postgres", "5min", None, {**PG_IDLE, **KEEPALIVES}, PG, 300, True,
     {"keepalives": 1, "keepalives_idle": 120, "keepalives_interval": 30}),
    ("postgres", "0", False, PG_IDLE, PG, 0, False, None),
    ("postgres", "unlimited", True, {}, PG, None, True, None),
    ("postgres", "300", True, {"tcp_keepalives_idle": "off", "tcp_keepalives_interval": "10s"},
     PG, 300, True, {"keepalives": 1, "keepalives_interval": 10}),
    ("postgres", "60s", True, {"tcp_keepalives_idle": "0", "tcp_keepalives_interval": "off"},
     PG, 60, True, None),
    ("mysql", "5min", True, {"wait_timeout": "1h", "interactive_timeout": "1h"}, MY, 300, True,
     None),
    ("mysql", "7h", False, {}, MY, 25200, False, None),
    ("mariadb", "0", True, {"wait_timeout": "10min", "idle_transaction_timeout": "5min"}, MY, 0,
     True, None),
]  # fmt: skip


def test_the_library_refuses_settings_for_a_profile_its_guard_refuses() -> None:
    unsafe = make_profile("mysql", "unlimited", False, {})  # wait_timeout's default is 8 h
    with pytest.raises(UnsafeProfileError) as refused:
        django_settings(unsafe, "python")
    assert refused.value.exit_code == 3
    # interactive_timeout does not apply to Django's MySQL connections (no CLIENT_INTERACTIVE)
    assert sorted(f.parameter for f in refused.value.refusals) == ["wait_timeout"]


@pytest.mark.parametrize(
    ("engine", "conn_max_age", "health", "server", "backend", "max_age", "checks", "options"),
    SNIPPET_CASES,
)
def test_python_snippet_defines_databases_from_profile_and_env(
    monkeypatch: pytest.MonkeyPatch,
    engine: str,
    conn_max_age: str,
    health: bool | None,
    server: dict[str, str],
    backend: str,
    max_age: int | None,
    checks: bool,
    options: dict[str, int] | None,
) -> None:
    set_db_env(monkeypatch)
    profile = make_profile(engine, conn_max_age, health, server)
    expected: dict[str, Any] = {
        "ENGINE": backend,
        "NAME": "app",
        "USER": "django",
        "PASSWORD": SECRET,
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "CONN_MAX_AGE": max_age,
        "CONN_HEALTH_CHECKS": checks,
    }
    if options is not None:
        expected["OPTIONS"] = options
    assert run_snippet(django_settings(profile, "python")) == {"default": expected}


@pytest.mark.parametrize(
    ("engine", "conn_max_age", "health", "server", "backend", "max_age", "checks", "options"),
    SNIPPET_CASES,
)
def test_dj_database_url_snippet_parses_url_with_profile_values(
    monkeypatch: pytest.MonkeyPatch,
    engine: str,
    conn_max_age: str,
    health: bool | None,
    server: dict[str, str],
    backend: str,
    max_age: int | None,
    checks: bool,
    options: dict[str, int] | None,
) -> None:
    scheme = "postgres" if engine == "postgres" else "mysql"
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://u:p@db.internal:3306/app")
    profile = make_profile(engine, conn_max_age, health, server)
    entry = run_snippet(django_settings(profile, "dj-database-url"))["default"]
    assert entry["ENGINE"] == backend
    assert (entry["NAME"], entry["USER"], entry["HOST"], entry["PORT"]) == (
        "app",
        "u",
        "db.internal",
        3306,
    )
    assert entry["CONN_MAX_AGE"] == max_age
    assert entry["CONN_HEALTH_CHECKS"] is checks
    assert entry.get("OPTIONS") == options


def test_dj_database_url_keeps_options_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """Query-string options survive, and win over the profile's keepalives."""
    monkeypatch.setenv(
        "DATABASE_URL", "postgres://u:p@h:5432/app?sslmode=require&keepalives_idle=45"
    )
    profile = make_profile("postgres", server=KEEPALIVES)
    entry = run_snippet(django_settings(profile, "dj-database-url"))["default"]
    assert entry["OPTIONS"] == {
        "keepalives": 1,
        "keepalives_idle": 45,
        "keepalives_interval": 30,
        "sslmode": "require",
    }
    assert entry["CONN_MAX_AGE"] == 300


@pytest.mark.parametrize(
    ("env_prefix", "url_var"),
    [("DB_", "DATABASE_URL"), ("ORDERS_DB_", "ORDERS_DB_URL"), ("PG", "PGURL")],
)
def test_dj_database_url_reads_the_prefixed_url_variable(
    monkeypatch: pytest.MonkeyPatch, env_prefix: str, url_var: str
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv(url_var, "mysql://u:p@h:3306/shop")
    assert url_env_var(env_prefix) == url_var
    snippet = django_settings(make_profile("mysql"), "dj-database-url", "orders_1", env_prefix)
    assert f'env="{url_var}"' in snippet
    assert run_snippet(snippet)["orders_1"]["NAME"] == "shop"


@pytest.mark.parametrize("fmt", ["python", "dj-database-url", "json"])
def test_no_secret_ever_appears_in_a_snippet(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    set_db_env(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:hunter2@h/app")
    snippet = django_settings(make_profile("postgres", server={**PG_IDLE, **KEEPALIVES}), fmt)  # type: ignore[arg-type]
    for secret in (SECRET, "hunter2", "127.0.0.1", "5432"):
        assert secret not in snippet


def test_python_snippet_reads_connection_details_when_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snippet = django_settings(make_profile("mysql"), "python", "default", "SHOP_")
    assert 'os.environ.get("SHOP_PASSWORD", "")' in snippet
    assert 'os.environ["SHOP_NAME"]' in snippet
    set_db_env(monkeypatch, "SHOP_")
    monkeypatch.setenv("SHOP_PASSWORD", "rotated")
    assert run_snippet(snippet)["default"]["PASSWORD"] == "rotated"
    for optional in ("PASSWORD", "HOST", "PORT"):
        monkeypatch.delenv(f"SHOP_{optional}")
    entry = run_snippet(snippet)["default"]
    assert (entry["PASSWORD"], entry["HOST"], entry["PORT"]) == ("", "", "")
    monkeypatch.delenv("SHOP_NAME")
    with pytest.raises(KeyError, match="SHOP_NAME"):
        run_snippet(snippet)


@pytest.mark.parametrize(
    ("engine", "server", "margin", "expected", "absent"),
    [
        ("postgres", PG_IDLE, "30s",
         "CONN_MAX_AGE 300 s + the margin 30 s must stay below: "
         "idle_session_timeout=10min, idle_in_transaction_session_timeout=10min", []),
        ("postgres", {"idle_session_timeout": "1h", "idle_in_transaction_session_timeout": "0"},
         None, "CONN_MAX_AGE 300 s must stay below: idle_session_timeout=1h",
         ["idle_in_transaction_session_timeout"]),
        ("mariadb", {"wait_timeout": "8h", "idle_readonly_transaction_timeout": "10min",
                     "net_read_timeout": "30s"}, None,
         "wait_timeout=8h, idle_readonly_transaction_timeout=10min", ["net_read_timeout"]),
        ("mysql", {"net_write_timeout": "1min"}, None, None, ["must stay below"]),
    ],
)  # fmt: skip
def test_snippets_name_the_idle_timeouts_conn_max_age_stays_below(
    engine: str, server: dict[str, str], margin: str | None, expected: str | None, absent: list[str]
) -> None:
    profile = make_profile(engine, server=server, margin=margin)
    for fmt in ("python", "dj-database-url"):
        snippet = django_settings(profile, fmt)  # type: ignore[arg-type]
        comments = " ".join(
            line.strip().lstrip("# ") for line in snippet.splitlines() if line.strip()[:1] == "#"
        )
        assert comments.startswith("Generated by cloudtimeouts ")
        assert "from profile 'orders'" in comments
        assert all(len(line) <= 100 for line in snippet.splitlines())
        if expected is not None:
            assert expected in comments
        if expected is not None and fmt == "python":
            # The note sits right above the value it is about.
            lines = snippet.splitlines()
            start = next(i for i, line in enumerate(lines) if "must stay below" in line)
            following = next(line for line in lines[start:] if not line.lstrip().startswith("#"))
            assert following.lstrip().startswith('"CONN_MAX_AGE": ')
        for word in absent:
            assert word not in snippet


@pytest.mark.parametrize(
    ("alias", "env_prefix"),
    [
        ("default", "DB_"),
        ("replica_2", "REPLICA2_"),
        ("_Orders", "_"),
        ("class", "X"),  # a keyword is still a fine dict key
    ],
)
def test_every_snippet_is_valid_python_with_one_key_per_line(alias: str, env_prefix: str) -> None:
    for engine in ("postgres", "mysql"):
        profile = make_profile(engine, server=KEEPALIVES if engine == "postgres" else {})
        for fmt in ("python", "dj-database-url"):
            snippet = django_settings(profile, fmt, alias, env_prefix)  # type: ignore[arg-type]
            ast.parse(snippet)
            assert f'"{alias}": ' in snippet
        python = django_settings(profile, "python", alias, env_prefix)
        keys = [line.strip().split(":")[0] for line in python.splitlines() if '": ' in line]
        assert keys.count('"CONN_MAX_AGE"') == 1
        assert f'os.environ["{env_prefix}USER"]' in python


@pytest.mark.parametrize(
    ("alias", "env_prefix"),
    [
        ("", "DB_"),
        ("1st", "DB_"),
        ("my-db", "DB_"),
        ("default\n", "DB_"),
        ('x"]; import os', "DB_"),
        ("default", ""),
        ("default", "db_"),
        ("default", "9DB_"),
        ("default", "DB-"),
        ("default", "DB_ "),
        ("default", 'X"]'),
    ],
)
def test_invalid_alias_or_env_prefix_is_refused(alias: str, env_prefix: str) -> None:
    profile = make_profile("postgres")
    word = "alias" if env_prefix == "DB_" else "prefix"
    for fmt in ("python", "dj-database-url", "json"):
        with pytest.raises(ValueError, match=word):
            django_settings(profile, fmt, alias, env_prefix)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=word):
        databases_dict(profile, alias, env_prefix)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="yaml"):
        django_settings(make_profile("postgres"), "yaml")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("engine", "conn_max_age", "server", "max_age", "options"),
    [
        ("postgres", "5min", KEEPALIVES, 300,
         {"keepalives": 1, "keepalives_idle": 120, "keepalives_interval": 30}),
        ("postgres", "unlimited", {}, None, None),
        ("mariadb", "0", {"wait_timeout": "1h"}, 0, None),
    ],
)  # fmt: skip
def test_json_round_trips_with_env_references(
    engine: str,
    conn_max_age: str,
    server: dict[str, str],
    max_age: int | None,
    options: dict[str, int] | None,
) -> None:
    profile = make_profile(engine, conn_max_age, server=server)
    text = django_settings(profile, "json", "primary", "APP_DB_")
    loaded = json.loads(text)
    assert loaded == databases_dict(profile, "primary", "APP_DB_")
    expected: dict[str, Any] = {
        "ENGINE": PG if engine == "postgres" else MY,
        "NAME": {"env": "APP_DB_NAME"},
        "USER": {"env": "APP_DB_USER"},
        "PASSWORD": {"env": "APP_DB_PASSWORD", "default": ""},
        "HOST": {"env": "APP_DB_HOST", "default": ""},
        "PORT": {"env": "APP_DB_PORT", "default": ""},
        "CONN_MAX_AGE": max_age,
        "CONN_HEALTH_CHECKS": True,
    }
    if options is not None:
        expected["OPTIONS"] = options
    assert loaded == {"primary": expected}
    if max_age is None:
        assert '"CONN_MAX_AGE": null' in text


# Runs in a fresh interpreter: settings.configure() works once per process. It never connects;
# for PostgreSQL it asks Django for the libpq parameters and has psycopg/libpq validate them.
DJANGO_LOADER = r"""
import json, sys
snippet = sys.stdin.read()
if "django.db.backends.mysql" in snippet or "mysql://" in sys.argv[1]:
    import pymysql
    pymysql.install_as_MySQLdb()  # Django's MySQL backend imports MySQLdb (mysqlclient)
namespace = {}
exec(compile(snippet, "<snippet>", "exec"), namespace)
import django
from django.conf import settings
settings.configure(DATABASES=namespace["DATABASES"])
django.setup()
from django.db import connections
connection = connections["default"]
keys = ("ENGINE", "NAME", "USER", "PASSWORD", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "OPTIONS")
result = {"settings": {key: connection.settings_dict[key] for key in keys}}
if connection.vendor == "postgresql":
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    params = connection.get_connection_params()
    for not_libpq in ("context", "cursor_factory", "prepare_threshold"):
        params.pop(not_libpq)
    result["libpq"] = conninfo_to_dict(make_conninfo(**params))
print(json.dumps(result))
"""

KEEPALIVE_OPTIONS = {"keepalives": 1, "keepalives_idle": 120, "keepalives_interval": 30}


@pytest.mark.parametrize(
    ("fmt", "engine", "server", "url", "options", "libpq"),
    [
        ("python", "postgres", {**PG_IDLE, **KEEPALIVES}, "", KEEPALIVE_OPTIONS,
         {"keepalives": "1", "keepalives_idle": "120", "keepalives_interval": "30"}),
        ("python", "mariadb", {"wait_timeout": "10min"}, "", {}, None),
        ("dj-database-url", "postgres", KEEPALIVES,
         "postgres://u:p@127.0.0.1:5432/app?sslmode=prefer",
         {**KEEPALIVE_OPTIONS, "sslmode": "prefer"},
         {"keepalives": "1", "keepalives_idle": "120", "sslmode": "prefer"}),
        ("dj-database-url", "mysql", {"wait_timeout": "1h"}, "mysql://u:p@127.0.0.1:3306/app",
         {}, None),
    ],
)  # fmt: skip
def test_real_django_loads_the_snippet(
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    engine: str,
    server: dict[str, str],
    url: str,
    options: dict[str, Any],
    libpq: dict[str, str] | None,
) -> None:
    env = set_db_env(monkeypatch)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    if url:
        monkeypatch.setenv("DATABASE_URL", url)
    profile = make_profile(engine, "4min", False, server)
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_LOADER, url],
        input=django_settings(profile, fmt),  # type: ignore[arg-type]
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    settings = result["settings"]
    assert settings["ENGINE"] == (PG if engine == "postgres" else MY)
    assert settings["NAME"] == "app"
    assert settings["PASSWORD"] == ("p" if url else env["DB_PASSWORD"])
    assert settings["CONN_MAX_AGE"] == 240
    assert settings["CONN_HEALTH_CHECKS"] is False
    assert settings["OPTIONS"] == options
    if libpq is None:
        assert "libpq" not in result
    else:
        assert libpq.items() <= result["libpq"].items()
        assert result["libpq"]["dbname"] == "app"


def test_real_django_takes_unlimited_as_none(monkeypatch: pytest.MonkeyPatch) -> None:
    set_db_env(monkeypatch)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_LOADER, ""],
        input=django_settings(make_profile("postgres", "unlimited"), "python"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    settings = json.loads(done.stdout)["settings"]
    assert settings["CONN_MAX_AGE"] is None
    assert settings["CONN_HEALTH_CHECKS"] is True
    assert settings["OPTIONS"] == {}


# ---------------------------------------------------------------------------------------------
# Django's pool (OPTIONS["pool"]) and keepalives derived from the path


def pool_profile(
    health: bool = True,
    pool: str = "    min_size: 2\n    max_size: 8\n    max_idle: 5min\n    max_lifetime: 30min\n"
    "    timeout: 2.5s\n",
    server: str = "",
    path: str = "",
) -> Profile:
    text = (
        "name: pooled\nengine: postgres\ndjango:\n  conn_max_age: 0\n"
        f"  conn_health_checks: {str(health).lower()}\n  pool:\n{pool}"
    )
    if server:
        text += f"server:\n{server}"
    if path:
        text += f"path:\n{path}"
    return parse_profile(text, "pooled.yaml")


POOL_OPTIONS = {"min_size": 2, "max_size": 8, "max_idle": 300, "max_lifetime": 1800, "timeout": 2.5}


@pytest.mark.parametrize("fmt", ["python", "dj-database-url", "json"])
def test_the_pool_is_emitted_with_every_value_the_guard_judged(
    monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    set_db_env(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal:5432/app")
    profile = pool_profile()
    text = django_settings(profile, fmt)  # type: ignore[arg-type]
    entry = json.loads(text)["default"] if fmt == "json" else run_snippet(text)["default"]
    assert entry["CONN_MAX_AGE"] == 0
    assert entry["CONN_HEALTH_CHECKS"] is True
    assert entry["OPTIONS"] == {"pool": POOL_OPTIONS}
    if fmt != "json":
        assert all(len(line) <= 100 for line in text.splitlines())
        assert "check=ConnectionPool.check_connection" in text


def test_pool_defaults_are_psycopg_pools_written_out() -> None:
    entry = databases_dict(pool_profile(pool="    min_size: 1\n"))["default"]
    # max_size absent: psycopg_pool makes it min_size; the rest as psycopg_pool's defaults
    assert entry["OPTIONS"]["pool"] == {
        "min_size": 1,
        "max_idle": 600,
        "max_lifetime": 3600,
        "timeout": 30,
    }


@pytest.mark.parametrize(
    ("health", "comment"),
    [
        (True, "each pooled connection is checked on checkout (CONN_HEALTH_CHECKS)"),
        (False, "the pool's unchecked idle time (max_size 2 + 1) x max_idle 300 s = 900 s must"),
    ],
)
def test_the_pool_comment_says_what_the_guard_compared(health: bool, comment: str) -> None:
    server = "  idle_session_timeout: 2h\n  idle_in_transaction_session_timeout: 2h\n"
    pool = "    min_size: 0\n    max_size: 2\n    max_idle: 5min\n"
    snippet = django_settings(pool_profile(health, pool=pool, server=server), "python")
    comments = " ".join(line.strip().lstrip("# ") for line in snippet.splitlines() if "#" in line)
    assert comment in comments
    assert "Django's pool requires CONN_MAX_AGE = 0" in comments


# Azure Load Balancer: 240 s idle, and a packet on a forgotten flow is dropped silently (a pool's
# check waits instead of failing fast, unlike behind an AWS NLB's TCP RST)
LB_PATH = "  - kind: load-balancer\n    name: nlb\n    provider: azure\n"


def test_keepalives_keep_a_load_balancer_open_by_construction() -> None:
    from cloudtimeouts.offline import judge_offline
    from cloudtimeouts.path_guard import path_findings

    # Even a checked pool holds a connection up to max_lifetime (30 min) through a load balancer
    # that silently forgets a flow after 240 s idle: only keepalives below 240 s keep it open.
    without = pool_profile(path=LB_PATH)
    with pytest.raises(UnsafeProfileError) as refused:
        django_settings(without)
    assert [f.parameter for f in refused.value.refusals] == ["nlb.idle_timeout"]

    server = "  tcp_keepalives_idle: 2min\n  tcp_keepalives_interval: 30s\n"
    kept = pool_profile(server=server, path=LB_PATH)
    assert judge_offline(kept).refusals == ()
    assert [note.parameter for note in path_findings(kept)[1]] == ["nlb.idle_timeout"]
    snippet = django_settings(kept, "python")
    options = run_snippet_env(snippet)["default"]["OPTIONS"]
    # the client's keepalives_idle is the server's tcp_keepalives_idle the guard counted
    assert (options["keepalives"], options["keepalives_idle"]) == (1, 120)
    assert options["keepalives_interval"] == 30
    assert "the guard counts path load-balancer nlb (4min) as kept open" in snippet

    # a keepalive no sooner than the hop's idle timeout keeps nothing open: refused, no settings
    late = pool_profile(server="  tcp_keepalives_idle: 6min\n", path=LB_PATH)
    with pytest.raises(UnsafeProfileError):
        django_settings(late)


def run_snippet_env(snippet: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__builtins__": __builtins__}
    env = {"DB_NAME": "app", "DB_USER": "u"}
    code = "import os\nos.environ.update(" + repr(env) + ")\n" + snippet
    exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["DATABASES"]  # type: ignore[no-any-return]


# Runs in a fresh interpreter against the real PostgreSQL: Django builds its psycopg_pool from
# the generated OPTIONS["pool"] and opens a pooled connection.
DJANGO_POOL_LOADER = r"""
import json, sys
namespace = {}
exec(compile(sys.stdin.read(), "<snippet>", "exec"), namespace)
import django
from django.conf import settings
settings.configure(DATABASES=namespace["DATABASES"], USE_TZ=True)
django.setup()
from django.db import connection
from psycopg_pool import ConnectionPool
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_backend_pid(), current_user")
    pid, user = cursor.fetchone()
pool = connection.pool
params = connection.connection.info.get_parameters()
stats = pool.get_stats()
print(json.dumps({
    "pool": type(pool).__module__ + "." + type(pool).__qualname__,
    "arguments": {name: getattr(pool, name) for name in
                  ("min_size", "max_size", "max_idle", "max_lifetime", "timeout")},
    "check": "check_connection" if pool._check is ConnectionPool.check_connection else pool._check,
    "keepalives": {k: v for k, v in params.items() if k.startswith("keepalives")},
    "user": user,
    "pool_size": stats.get("pool_size"),
}))
connection.close()
connection.close_pool()
"""


@pytest.mark.parametrize("health", [True, False])
def test_real_django_opens_a_pooled_connection_from_the_generated_settings(  # type: ignore[no-untyped-def]
    postgres, monkeypatch: pytest.MonkeyPatch, health: bool
) -> None:
    pytest.importorskip("psycopg_pool", reason="Django's pool needs psycopg_pool ([verify] extra)")
    server = "  tcp_keepalives_idle: 2min\n  tcp_keepalives_interval: 30s\n"
    profile = pool_profile(health, server=server, path=LB_PATH)
    env = {
        "DB_NAME": postgres.database,
        "DB_USER": postgres.user,
        "DB_PASSWORD": postgres.password,
        "DB_HOST": postgres.host,
        "DB_PORT": str(postgres.port),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    done = subprocess.run(
        [sys.executable, "-c", DJANGO_POOL_LOADER],
        input=django_settings(profile, "python"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["pool"] == "psycopg_pool.pool.ConnectionPool"
    assert result["arguments"] == POOL_OPTIONS
    # Django passes CONN_HEALTH_CHECKS as check=ConnectionPool.check_connection, else None
    assert result["check"] == ("check_connection" if health else None)
    assert result["keepalives"] == {
        "keepalives": "1",
        "keepalives_idle": "120",
        "keepalives_interval": "30",
    }
    assert result["user"] == "app"
    assert result["pool_size"] >= 1


def test_the_snippet_claims_only_the_hops_keepalives_reach() -> None:
    # A load balancer in front of PgBouncer sees Django's TCP connection, which the server's
    # keepalives never cross (the pooler ends it): only Django's own declared keepalives_idle
    # keeps it open, and the snippet claims no hop the guard did not count.
    text = (
        "name: fronted\nengine: postgres\ndjango:\n  conn_max_age: 5min\n"
        "server:\n  tcp_keepalives_idle: 2min\n"
        "path:\n  - kind: load-balancer\n    name: front\n    provider: aws\n"
        "  - kind: pgbouncer\n    name: bouncer\n"
        "  - kind: nat\n    name: egress\n    provider: aws\n"
    )

    def claimed(profile_text: str) -> str:
        snippet = django_settings(parse_profile(profile_text, "fronted.yaml"), "python")
        lines = [line.strip().lstrip("# ") for line in snippet.splitlines() if "#" in line]
        return " ".join(lines).split("the guard counts path ")[1].split(" as kept open")[0]

    assert claimed(text) == "nat egress (5min50s)"
    declared = text.replace("conn_max_age: 5min\n", "conn_max_age: 5min\n  keepalives_idle: 60\n")
    assert claimed(declared) == "load-balancer front (5min50s), nat egress (5min50s)"


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--format", "dj-database-url", "--alias", "replica", "--env-prefix", "ORDERS_"],
        ["-f", "python", "--env-prefix", "PG_"],
    ],
    ids=str,
)
def test_the_header_names_the_command_it_was_run_with_and_that_command_remakes_it(
    cli: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, options: list[str]
) -> None:
    from cloudtimeouts import __version__

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "orders.yaml").write_text(
        make_profile("postgres").model_dump_json()  # JSON is YAML: the same profile
    )
    monkeypatch.chdir(tmp_path)
    made = cli("django-settings", "profiles/orders.yaml", *options)
    assert made.exit_code == 0, made.stderr
    lines = made.stdout.splitlines()
    assert (
        lines[0]
        == f"# Generated by cloudtimeouts {__version__} from profile 'orders' (postgres) by:"
    )
    fmt = options[options.index("--format") + 1] if "--format" in options else "python"
    alias = options[options.index("--alias") + 1] if "--alias" in options else "default"
    prefix = options[options.index("--env-prefix") + 1] if "--env-prefix" in options else "DB_"
    assert lines[1:3] == [
        "#   cloudtimeouts django-settings profiles/orders.yaml \\",
        f"#     --format {fmt} --alias {alias} --env-prefix {prefix}",
    ]
    # the command in the header, run again, makes the same snippet
    command = (lines[1] + lines[2]).replace("#", " ").replace("\\", " ").split()
    assert command[:2] == ["cloudtimeouts", "django-settings"]
    again = cli(*command[1:])
    assert again.stdout == made.stdout, again.stderr
    if fmt == "python":
        assert f"{prefix}NAME" in made.stdout and repr(alias).replace("'", '"') in made.stdout


def test_the_header_states_only_the_rules_the_guard_applies() -> None:
    # max_idle_in_transaction is what idle_in_transaction_session_timeout is judged against, not
    # CONN_MAX_AGE; the PgBouncer hop's client_idle_timeout is judged against CONN_MAX_AGE
    text = (
        "name: orders\nengine: postgres\n"
        "django: {conn_max_age: 600, max_idle_in_transaction: 60s}\nguard: {margin: 30s}\n"
        "server: {idle_session_timeout: 0, idle_in_transaction_session_timeout: 2min}\n"
        "path: [{kind: pgbouncer, name: pgb, client_idle_timeout: 15min}]\n"
    )
    snippet = django_settings(parse_profile(text, "orders.yaml"), "python")
    comments = " ".join(line.strip().lstrip("# ") for line in snippet.splitlines() if "#" in line)
    assert (
        "CONN_MAX_AGE 600 s + the margin 30 s must stay below: "
        "pgbouncer pgb client_idle_timeout=15min" in comments
    )
    assert (
        "django.max_idle_in_transaction 60 s + the margin 30 s must stay below the "
        "transaction-idle timeouts: idle_in_transaction_session_timeout=2min" in comments
    )
    undeclared = text.replace(", max_idle_in_transaction: 60s", "").replace("600", "0")
    snippet = django_settings(parse_profile(undeclared, "orders.yaml"), "python")
    comments = " ".join(line.strip().lstrip("# ") for line in snippet.splitlines() if "#" in line)
    assert (
        "transaction-idle timeouts are not judged: idle_in_transaction_session_timeout" in comments
    )


def test_the_snippet_names_only_the_hop_the_guard_keeps_open_when_two_share_a_name() -> None:
    from cloudtimeouts.django import idle_timeouts_comment, kept_open

    twins = parse_profile(
        "name: twins\nengine: postgres\ndjango: {conn_max_age: 5min}\n"
        "server: {tcp_keepalives_idle: 60}\n"
        "path: [{kind: load-balancer, name: lb, provider: azure, idle_timeout: 400s},"
        " {kind: pgbouncer, name: pgb},"
        " {kind: load-balancer, name: lb, provider: azure, idle_timeout: 120s}]\n"
    )
    # only the lb behind PgBouncer sees the server's keepalives (docs/guard.md, 7)
    assert kept_open(twins) == ["load-balancer lb (2min)"]
    assert idle_timeouts_comment(twins) == (
        "CONN_MAX_AGE 300 s must stay below: load-balancer lb idle_timeout=6min40s"
    )


# -- workers --------------------------------------------------------------------------------------
WORKERS = (
    "workers:\n"
    "  - {name: emails, kind: rq, max_gap: 30s, glue: true}\n"
    "  - {name: reports, kind: celery, max_gap: 1min}\n"
)


@pytest.mark.parametrize("fmt", ["python", "dj-database-url", "json"])
def test_each_worker_names_its_connections_by_the_environment_it_is_started_with(
    monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    profile = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 60}\n"
        "server: {idle_session_timeout: 10min}\n" + WORKERS,
        "t.yaml",
    )
    set_db_env(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", "postgres://django@127.0.0.1:5432/app")
    snippet = django_settings(profile, fmt)  # type: ignore[arg-type]
    if fmt == "json":
        options = json.loads(snippet)["default"]["OPTIONS"]
        assert options["application_name"] == {
            "env": "DB_APPLICATION_NAME",
            "default": "orders-requests",
        }
        return
    assert run_snippet(snippet)["default"]["OPTIONS"]["application_name"] == "orders-requests"
    monkeypatch.setenv("DB_APPLICATION_NAME", "emails")  # how the RQ worker is started
    assert run_snippet(snippet)["default"]["OPTIONS"]["application_name"] == "emails"
    assert "start it with DB_APPLICATION_NAME=emails" in snippet
    assert '"WORKER_CLASS": "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker"' in snippet
    assert "Celery closes or checks connections around each task" in snippet


def test_a_mysql_profile_with_workers_tells_them_apart_by_user_not_by_name() -> None:
    profile = parse_profile(
        "name: orders\nengine: mysql\ndjango: {conn_max_age: 60}\n"
        "server: {wait_timeout: 10min}\n" + WORKERS,
        "t.yaml",
    )
    snippet = django_settings(profile, "python")
    assert "application_name" not in snippet
    assert "give it its own database USER" in snippet


def test_settings_are_refused_for_a_worker_that_keeps_connections_behind_a_timeout() -> None:
    profile = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 60}\n"
        "server: {idle_session_timeout: 10min}\n"
        "workers: [{name: emails, kind: rq, max_gap: 30s}]\n",
        "t.yaml",
    )
    with pytest.raises(UnsafeProfileError) as refused:
        django_settings(profile, "python")
    assert "worker emails (rq)" in refused.value.refusals[0].message
