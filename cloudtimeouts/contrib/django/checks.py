"""System checks: Django must never reuse a connection the database has already closed.

The live check reads the timeouts through Django's own connection, so it sees what a request
would see: the server's globals, per-role and per-database overrides (PostgreSQL), the session
value an init_command set (MySQL/MariaDB), and what the connection shows of the path (a pooler
answering in the server's place; PgBouncer's own timeouts, read on its admin console). It reads
and judges with cloudtimeouts.live, the code behind `cloudtimeouts verify` (read_session,
assess, see_path, judge_path), with this alias's own budget — CONN_MAX_AGE, or with Django's
pool (OPTIONS["pool"]) how long a pooled connection can sit unchecked (budget.budget_of) — and
only maps what that says to check ids:

E001 a live idle timeout is not above Django's budget (+ the profile's margin): the guard's
refusal; E002 the live values could not be read: the same message as verify's connection errors;
E003/E004 CONN_MAX_AGE/CONN_HEALTH_CHECKS differ from the profile; E005 the profile is for
another engine; E006 CLOUDTIMEOUTS_PROFILE cannot be used; E007 a pooler on the path (PgBouncer)
closes idle connections within Django's budget: the path guard's refusal; W001 persistent
connections without health checks; W002 Django's pool without health checks; W003 what could not
be seen of the path, or differs from the profile's path; W004 a live idle timeout the guard does
not judge, and why (a transaction-idle timeout with no django.max_idle_in_transaction declared,
interactive_timeout where Django's sessions do not use it). W005/W006 (the profile's workers:
against the worker frameworks the settings show, and their glue) are worker_checks'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from cloudtimeouts.budget import budgets_of
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.live import (
    DatabaseConnectError,
    Endpoint,
    Family,
    VerifyReport,
    assess,
    connect_error,
    declared_pooler,
    family_of,
    family_of_name,
    is_driver_error,
    judge_path,
    pooler_in_between,
    read_error,
    read_session,
    see_path,
)
from cloudtimeouts.profile import DjangoSettings, PoolSettings, Profile, load_profile

SETTING = "CLOUDTIMEOUTS_PROFILE"


def check_live_idle_timeouts(
    app_configs: Any = None, databases: Iterable[str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """For each alias Django asks about: CONN_MAX_AGE against the live idle timeouts."""
    if not databases:
        return []
    profiles = {alias: found for alias, found in _profiles().items() if isinstance(found, Profile)}
    messages: list[checks.CheckMessage] = []
    for alias in databases:
        connection = connections[alias]
        family = family_of_name(connection.vendor)
        if family is None:  # sqlite, oracle, third-party vendors: skipped silently
            continue
        messages.extend(_check_alias(alias, connection, family, profiles.get(alias)))
    return messages


def _check_alias(
    alias: str, connection: Any, family: Family, profile: Profile | None
) -> list[checks.CheckMessage]:
    where = f"DATABASES[{alias!r}]"
    options = connection.settings_dict
    conn_max_age: int | None = options.get("CONN_MAX_AGE", 0)
    messages = _connection_warnings(where, connection, conn_max_age)
    endpoint = _endpoint(family, options)
    try:
        report = _read(connection, endpoint, _judged(options, profile, family), profile)
    except DatabaseConnectError as error:
        return [
            *messages,
            checks.Error(
                error.message,
                hint="The check connects with this alias's own settings; make sure the "
                "database is reachable from here, or run the check without --database.",
                obj=where,
                id="cloudtimeouts.E002",
            ),
        ]
    rows = {row.name: row for row in report.parameters}
    path_refusals = set(report.path_refusals)
    for refusal in report.refusals:
        said = _in_django_terms(refusal.message)
        if refusal in path_refusals:
            messages.append(checks.Error(said, hint=_path_hint(report), obj=where, id=_E007))
            continue
        row = rows[refusal.parameter]
        hint = _where_to_change(
            row.name,
            row.source or "",
            user=str(options.get("USER") or "USER"),
            database=str(options.get("NAME") or "NAME"),
        )
        messages.append(checks.Error(said, hint=hint, obj=where, id="cloudtimeouts.E001"))
    for warning in report.path.warnings if report.path else ():
        messages.append(checks.Warning(f"{warning.message}.", obj=where, id="cloudtimeouts.W003"))
    for note in report.notes:  # what the guard cannot judge is said, never passed silently
        said = _in_django_terms(note.message)
        messages.append(checks.Warning(said, obj=where, id="cloudtimeouts.W004"))
    return messages


_E007 = "cloudtimeouts.E007"

# The guard names what to change by the profile's keys; the check judges DATABASES' own settings.
_DJANGO_SETTINGS = {
    "conn_max_age": "CONN_MAX_AGE",
    "conn_health_checks": "CONN_HEALTH_CHECKS",
    "django.pool.max_idle": 'OPTIONS["pool"]["max_idle"]',
}
_PROFILE_KEYS = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, _DJANGO_SETTINGS)) + r")\b")


def _in_django_terms(message: str) -> str:
    return _PROFILE_KEYS.sub(lambda found: _DJANGO_SETTINGS[found.group(1)], message)


_MANAGED = (
    "on RDS or Aurora its parameter group, on Cloud SQL a database flag, on Azure a server "
    "parameter (cloudtimeouts apply writes them)"
)
_OVERRIDES = {  # pg_settings.source of a pg_db_role_setting value: what it is set for, and how
    "user": ("for the role {user}", "ALTER ROLE … SET", 'ALTER ROLE "{user}"'),
    "database": (
        "for the database {database}",
        "ALTER DATABASE … SET",
        'ALTER DATABASE "{database}"',
    ),
    "database user": (
        "for the role {user} in the database {database}",
        "ALTER ROLE … IN DATABASE … SET",
        'ALTER ROLE "{user}" IN DATABASE "{database}"',
    ),
}


def _where_to_change(name: str, source: str, user: str = "USER", database: str = "NAME") -> str:
    """Where this session's value is set, as pg_settings.source or MySQL's origin say, and how
    a Django developer changes it there (the SQL for a per-role or per-database override)."""
    kind = source.split(" (", 1)[0]
    if kind == "default" or source == "global (default)":
        return (
            f"This session's {name} is the server's default: set it in the server's "
            "configuration (a managed database's parameter group, flags or server parameters)."
        )
    if kind == "configuration file" or source == "global (config file)":
        server_file = "postgresql.conf or ALTER SYSTEM" if kind != "global" else "my.cnf"
        return (
            f"This session's {name} is set in the server's configuration: {_MANAGED}; on a "
            f"server you run, {server_file}. Change it there."
        )
    if kind in _OVERRIDES:
        scope, statement, target = (
            part.format(user=user, database=database) for part in _OVERRIDES[kind]
        )
        return (
            f"This session's {name} is set {scope} by {statement}, which overrides the server's "
            "configuration and which no parameter group, flag or server parameter shows: run "
            f"{target} RESET {name}; to use the server's value, or {target} SET {name} = '…'; "
            "with a value the guard accepts."
        )
    if kind == "client":
        return (
            f"This session's {name} is set by the connection itself (libpq's options, e.g. "
            f'OPTIONS["options"] = "-c {name}=…" in DATABASES, or PGOPTIONS in the environment). '
            "Change it there."
        )
    if kind == "session":
        return (
            f"This session's {name} differs from the server's global value: the connection sets "
            f'it, usually with OPTIONS["init_command"] = "SET SESSION {name}=…" in DATABASES. '
            "Change it there, or remove it to use the global value."
        )
    if source == "global (SET GLOBAL)":
        return (
            f"This session's {name} is the server's global value, set with SET GLOBAL, which a "
            f"restart undoes. Set it in the server's configuration instead: {_MANAGED}; on a "
            "server you run, my.cnf or SET PERSIST."
        )
    return f"This session's {name} comes from {source}. Change it there."


def _path_hint(report: VerifyReport) -> str:
    seen = report.path.seen if report.path else None
    pooler = seen.pooler if seen and seen.pooler else "the pooler"
    return (
        f"These values were read on {pooler}'s admin console (SHOW CONFIG) at "
        f"{report.endpoint.rsplit('/', 1)[0]}: change them in its configuration. The pooler "
        "closes Django's connection whatever the server allows."
    )


def _judged(options: Mapping[str, Any], profile: Profile | None, family: Family) -> Profile:
    """A profile carrying this alias's own budget: Django's settings, the profile's margin and
    path. CONN_MAX_AGE is what Django does, so it is judged even when it differs from the
    profile (E003 says so). What DATABASES cannot say is the application's, and the profile's:
    how long a transaction is left idle (`max_idle_in_transaction`), so that the check judges
    transaction-idle timeouts as validate does (docs/guard.md, 1 and 6); a client that sets
    CLIENT_INTERACTIVE says so in the profile or in OPTIONS["client_flag"] (docs/guard.md, 3)."""
    conn_max_age = options.get("CONN_MAX_AGE", 0)
    health = bool(options.get("CONN_HEALTH_CHECKS", False))
    driver = options.get("OPTIONS") or {}
    pool = driver.get("pool") if family == "postgres" else None
    age = "unlimited" if conn_max_age is None else conn_max_age
    declared = profile.django if profile is not None else None
    facts: dict[str, Any] = {
        "max_idle_in_transaction": declared.max_idle_in_transaction if declared else None,
        "interactive_client": bool(declared and declared.interactive_client)
        or _interactive(driver, family),
    }
    django = None
    for attempt in (
        {"conn_max_age": age, "pool": pool},
        {"conn_max_age": age},  # a pool Django refuses too (CONN_MAX_AGE > 0): said on connect
        {"conn_max_age": "unlimited"},  # beyond the profile's range: judged as unlimited
    ):
        try:
            attempt["pool"] = _pool(attempt.get("pool"))
            django = DjangoSettings(conn_health_checks=health, **attempt, **facts)
            break
        except ValueError:  # pydantic's ValidationError
            continue
    assert django is not None
    if profile is not None:
        return profile.model_copy(update={"django": django})
    return Profile(name="django", engine=_ENGINES[family], django=django)  # type: ignore[arg-type]


_ENGINES: Mapping[Family, str] = {"postgres": "postgres", "mysql": "mysql"}
# CLIENT_INTERACTIVE (MySQL include/mysql_com.h; MySQLdb and PyMySQL constants CLIENT.INTERACTIVE)
_CLIENT_INTERACTIVE = 1024


def _interactive(driver: Mapping[str, Any], family: Family) -> bool:
    """OPTIONS["client_flag"] sets CLIENT_INTERACTIVE: the server then starts the session's
    wait_timeout from interactive_timeout (guard.not_judged_because)."""
    flag = driver.get("client_flag")
    return family == "mysql" and isinstance(flag, int) and bool(flag & _CLIENT_INTERACTIVE)


def _pool(pool: Any) -> PoolSettings | None:
    """OPTIONS["pool"] (True, or psycopg_pool.ConnectionPool's arguments in seconds)."""
    if not pool:
        return None
    arguments = pool if isinstance(pool, Mapping) else {}
    known = {key: value for key, value in arguments.items() if key in PoolSettings.model_fields}
    return PoolSettings.model_validate(known)


def _read(
    connection: Any, endpoint: Endpoint, judged: Profile, profile: Profile | None
) -> VerifyReport:
    """The live values through Django's connection, judged by the code behind verify."""
    was_open = connection.connection is not None
    in_between = None
    try:
        try:
            connection.ensure_connection()
        except Exception as error:  # Django's wrappers, or whatever the driver let through
            raise connect_error(endpoint, error) from None
        try:
            with connection.cursor() as cursor:
                session = read_session(cursor, endpoint.family)
                if endpoint.family == "postgres":
                    in_between = pooler_in_between(cursor)
        except Exception as error:
            if not (is_driver_error(error) or isinstance(error, OSError)):
                raise
            raise read_error(endpoint, error) from None
    finally:
        if not was_open:
            connection.close()  # leave the connection as the check found it
    path = None
    if endpoint.family == "postgres":
        path = judge_path(see_path(endpoint, in_between, declared_pooler(profile)), judged)
    return assess(
        session,
        endpoint=endpoint.describe(),
        conn_max_age=judged.django.conn_max_age,
        margin=judged.guard.margin,
        declared=profile.server if profile else None,
        profile=profile.name if profile else None,
        budgets=budgets_of(judged),
        path=path,
    )


def _endpoint(family: Family, options: Mapping[str, Any]) -> Endpoint:
    """Django's HOST, PORT, NAME, USER and PASSWORD, for messages (and their redaction); the
    TLS options of OPTIONS too, which reaching PgBouncer's console needs like Django does."""
    port = str(options.get("PORT") or "")
    tls = {
        key: str(value)
        for key, value in (options.get("OPTIONS") or {}).items()
        if family == "postgres" and key.startswith("ssl") and isinstance(value, str | int)
    }
    return Endpoint.build(
        family,
        host=str(options.get("HOST") or "") or None,
        port=int(port) if port.isdigit() else None,
        database=str(options.get("NAME") or ""),
        user=str(options.get("USER") or "") or None,
        password=str(options.get("PASSWORD") or "") or None,
        options=tls,
    )


def _connection_warnings(
    where: str, connection: Any, conn_max_age: int | None
) -> list[checks.CheckMessage]:
    """What Django's own settings risk, whatever the server says: W001, W002."""
    options = connection.settings_dict
    pool = connection.vendor == "postgresql" and (options.get("OPTIONS") or {}).get("pool")
    messages: list[checks.CheckMessage] = []
    if conn_max_age != 0 and not options.get("CONN_HEALTH_CHECKS", False):
        age = "None (unlimited)" if conn_max_age is None else str(conn_max_age)
        messages.append(
            checks.Warning(
                f"CONN_MAX_AGE = {age} keeps connections open between requests but "
                "CONN_HEALTH_CHECKS is False: a connection closed by the server, a failover or "
                "a proxy fails the next request that reuses it.",
                hint="Set CONN_HEALTH_CHECKS = True: Django then checks a reused connection "
                "before the request's first query and discards a closed one instead of "
                "failing the request.",
                obj=where,
                id="cloudtimeouts.W001",
            )
        )
    if pool and not options.get("CONN_HEALTH_CHECKS", False):
        messages.append(
            checks.Warning(
                "Django's connection pool hands out its connections unchecked: CONN_HEALTH_CHECKS "
                "is False, so a pooled connection closed by the server, a failover or a proxy "
                "fails the next request that gets it (psycopg_pool keeps min_size connections "
                "until max_lifetime).",
                hint="Set CONN_HEALTH_CHECKS = True: Django then passes "
                "check=ConnectionPool.check_connection to the pool, which replaces a closed "
                "connection on checkout instead of handing it to a request.",
                obj=where,
                id="cloudtimeouts.W002",
            )
        )
    return messages


def check_settings_against_profile(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """DATABASES must say what the profile says (no database access)."""
    messages: list[checks.CheckMessage] = []
    for alias, found in _profiles().items():
        where = f"DATABASES[{alias!r}]"
        if isinstance(found, checks.CheckMessage):
            messages.append(found)
            continue
        options = settings.DATABASES[alias]
        vendor = _vendor(alias)
        if vendor is not None and family_of_name(vendor) != family_of(found.engine):
            messages.append(
                checks.Error(
                    f"profile {found.name} is for {found.engine.value} but ENGINE is "
                    f"{options.get('ENGINE')!r}.",
                    hint=f"Point {SETTING} at the profile of this database.",
                    obj=where,
                    id="cloudtimeouts.E005",
                )
            )
            continue
        conn_max_age = options.get("CONN_MAX_AGE", 0)
        if conn_max_age != found.django.conn_max_age:
            expected = _python(found.django.conn_max_age)
            messages.append(
                checks.Error(
                    f"CONN_MAX_AGE = {_python(conn_max_age)} but profile {found.name} says "
                    f"{expected}: the guard checked the profile's value, not this one.",
                    hint=f"Set CONN_MAX_AGE = {expected} (cloudtimeouts django-settings prints "
                    "the settings from the profile), or change the profile and re-run "
                    "cloudtimeouts validate.",
                    obj=where,
                    id="cloudtimeouts.E003",
                )
            )
        health = bool(options.get("CONN_HEALTH_CHECKS", False))
        if health != found.django.conn_health_checks:
            messages.append(
                checks.Error(
                    f"CONN_HEALTH_CHECKS = {health} but profile {found.name} says "
                    f"{found.django.conn_health_checks}.",
                    hint=f"Set CONN_HEALTH_CHECKS = {found.django.conn_health_checks}, or "
                    "change the profile.",
                    obj=where,
                    id="cloudtimeouts.E004",
                )
            )
    return messages


def _profiles() -> dict[str, Profile | checks.CheckMessage]:
    """CLOUDTIMEOUTS_PROFILE as alias -> loaded profile, or the Error explaining why not."""
    raw = getattr(settings, SETTING, None)
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        wanted: Mapping[Any, Any] = raw
    elif isinstance(raw, str | bytes) or hasattr(raw, "__fspath__"):
        wanted = {"default": raw}
    else:
        return {
            "default": _setting_error(
                f"{SETTING} must be a path or a dict of database alias -> path, "
                f"not {type(raw).__name__}"
            )
        }
    result: dict[str, Profile | checks.CheckMessage] = {}
    for alias, path in wanted.items():
        if alias not in settings.DATABASES:
            result[str(alias)] = _setting_error(
                f"{SETTING} names database alias {alias!r}, which is not in DATABASES "
                f"({', '.join(map(repr, settings.DATABASES))})"
            )
            continue
        try:
            result[alias] = load_profile(path)
        except CloudtimeoutsError as error:
            result[alias] = _setting_error(f"{SETTING}[{alias!r}]: {error.message}")
    return result


def _setting_error(message: str) -> checks.Error:
    return checks.Error(
        message,
        hint="Relative paths are read from the current directory; build the path from "
        "BASE_DIR to be independent of it.",
        obj=SETTING,
        id="cloudtimeouts.E006",
    )


def _vendor(alias: str) -> str | None:
    """The alias's backend vendor (`postgresql`, `mysql`, …): loads the backend, never connects."""
    try:
        return str(connections[alias].vendor)
    except ImproperlyConfigured:  # a backend that cannot load: Django says so when it is used
        return None


def _python(conn_max_age: int | None) -> str:
    return "None" if conn_max_age is None else str(conn_max_age)
