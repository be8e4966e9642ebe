"""System checks: Django must never reuse a connection the database has already closed.

The live check reads the idle timeouts through Django's own connection, so it sees what a
request would see: the server's globals, per-role and per-database overrides (PostgreSQL), the
session value an init_command set (MySQL/MariaDB). It then asks the same guard as the CLI.

Ids: E001 a live idle timeout is not above CONN_MAX_AGE (+ the profile's margin); E002 the live
values could not be read; E003/E004 CONN_MAX_AGE/CONN_HEALTH_CHECKS differ from the profile;
E005 the profile is for another engine; E006 CLOUDTIMEOUTS_PROFILE cannot be used;
W001 persistent connections without health checks; W002 a psycopg pool (not covered yet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from cloudtimeouts import guard
from cloudtimeouts.catalog import Engine, idle_parameters
from cloudtimeouts.durations import Duration, format_native
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.profile import Profile, load_profile
from cloudtimeouts.verify import (
    PG_ROLE_SOURCES,
    describe_source,
    is_mariadb,
    live_idle_timeouts,
    read_mysql_settings,
    read_postgres_settings,
    redact,
    server_version,
)

TAG = "cloudtimeouts"
SETTING = "CLOUDTIMEOUTS_PROFILE"
_VENDORS = ("postgresql", "mysql")  # others (sqlite, oracle, third-party) are skipped silently


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
        if connection.vendor not in _VENDORS:
            continue
        messages.extend(_check_alias(alias, connection, profiles.get(alias)))
    return messages


def _check_alias(alias: str, connection: Any, profile: Profile | None) -> list[checks.CheckMessage]:
    where = f"DATABASES[{alias!r}]"
    options = connection.settings_dict
    conn_max_age: int | None = options.get("CONN_MAX_AGE", 0)
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
    if connection.vendor == "postgresql" and (options.get("OPTIONS") or {}).get("pool"):
        messages.append(
            checks.Warning(
                "a psycopg connection pool keeps connections idle up to its max_lifetime and "
                "max_idle, which this check does not compare with the idle timeouts yet.",
                hint="Keep the pool's max_lifetime and max_idle below every idle timeout, or "
                "pass check=ConnectionPool.check_connection (CONN_HEALTH_CHECKS = True does).",
                obj=where,
                id="cloudtimeouts.W002",
            )
        )
    was_open = connection.connection is not None
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                engine = Engine.POSTGRES
                names = [spec.name for spec in idle_parameters(engine)]
                live = read_postgres_settings(cursor, names)
            else:
                mariadb = is_mariadb(server_version(cursor, "mysql"))
                engine = Engine.MARIADB if mariadb else Engine.MYSQL
                names = [spec.name for spec in idle_parameters(engine)]
                live = read_mysql_settings(cursor, names, mariadb=mariadb)
    except (DatabaseError, ImproperlyConfigured) as error:
        host = options.get("HOST") or "localhost"
        port = f":{options['PORT']}" if options.get("PORT") else ""
        text = redact(f"{type(error).__name__}: {error}", options.get("PASSWORD") or None)
        return [
            *messages,
            checks.Error(
                f"cannot read the live idle timeouts of database {options.get('NAME')!r} at "
                f"{host}{port}: {text}",
                hint="The check connects with this alias's own settings; make sure the "
                "database is reachable from here, or run the check without --database.",
                obj=where,
                id="cloudtimeouts.E002",
            ),
        ]
    finally:
        if not was_open:
            connection.close()  # leave the connection as the check found it
    margin = profile.guard.margin if profile else Duration(0)
    observed = live_idle_timeouts(engine, live)
    family = "postgres" if engine is Engine.POSTGRES else "mysql"
    for violation in guard.check(engine, conn_max_age, margin, observed, where):
        setting = live[violation.parameter]
        spec = next(s for s in idle_parameters(engine) if s.name == violation.parameter)
        value = format_native(setting.native, spec.unit)
        source = describe_source(setting, family)
        age = "None (unlimited)" if conn_max_age is None else f"{conn_max_age} s"
        with_margin = f" plus the profile's margin {margin.human()}" if not margin.disabled else ""
        hint = (
            f"Keep CONN_MAX_AGE{with_margin} below {setting.value.human()} "  # type: ignore[union-attr]
            f"or raise {violation.parameter} on the server"
        )
        how = PG_ROLE_SOURCES.get(setting.source) if family == "postgres" else None
        if how:
            hint += (
                f"; this value comes from {how} (pg_settings.source {setting.source!r}, see "
                "pg_db_role_setting), which no parameter group or flag shows"
            )
        messages.append(
            checks.Error(
                f"the server closes connections idle for {violation.parameter} = {value} "
                f"(source: {source}), but CONN_MAX_AGE = {age}{with_margin}: Django may reuse a "
                "connection the server has already closed.",
                hint=hint + ".",
                obj=where,
                id="cloudtimeouts.E001",
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
        family = _family(str(options.get("ENGINE", "")))
        wanted = "postgres" if found.engine is Engine.POSTGRES else "mysql"
        if family != wanted:
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


def _family(engine: str) -> str | None:
    if "postgres" in engine or "postgis" in engine:
        return "postgres"
    if "mysql" in engine:
        return "mysql"
    return None


def _python(conn_max_age: int | None) -> str:
    return "None" if conn_max_age is None else str(conn_max_age)
