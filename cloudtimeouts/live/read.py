"""What a session sees: each catalogued parameter's value, where it comes from, and the server.

Parameter groups, flags and server parameters say what a server is configured with; a session
can see something else. PostgreSQL applies per-database and per-role overrides (`ALTER DATABASE
… SET`, `ALTER ROLE … SET`, stored in pg_db_role_setting) when a session starts, and MySQL or
MariaDB copy the global wait_timeout into each new non-interactive session. So the session is
asked itself. Every reader takes any DB-API cursor: `verify` passes its own driver's, and the
Django system check passes the cursor of Django's connection, so both read with this code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudtimeouts import guard
from cloudtimeouts.catalog import Engine, ParameterSpec, Role, parameters
from cloudtimeouts.durations import Duration, DurationError, NativeUnit
from cloudtimeouts.live.url import Family

# pg_settings.source values that come from pg_db_role_setting, applied when a session starts.
PG_ROLE_SOURCES: Mapping[str, str] = {
    "user": "ALTER ROLE … SET",
    "database": "ALTER DATABASE … SET",
    "database user": "ALTER ROLE … IN DATABASE … SET",
}

# MariaDB's information_schema.SYSTEM_VARIABLES.GLOBAL_VALUE_ORIGIN and MySQL 8's
# performance_schema.variables_info.VARIABLE_SOURCE, in words.
_ORIGIN_WORDS: Mapping[str, str] = {
    "COMPILE-TIME": "default",
    "COMPILED": "default",
    "SQL": "SET GLOBAL",
    "DYNAMIC": "SET GLOBAL",
    "PERSISTED": "SET PERSIST",
    "CONFIG": "config file",
    "GLOBAL": "config file",
    "SERVER": "config file",
    "EXPLICIT": "config file",
    "EXTRA": "config file",
    "USER": "config file",
    "LOGIN": "config file",
    "COMMAND-LINE": "command line",
    "COMMAND_LINE": "command line",
    "AUTO": "set by the server",
}


@dataclass(frozen=True, slots=True)
class LiveSetting:
    """One parameter as a session sees it, converted exactly into the catalog's native unit."""

    name: str
    shown: str  # as the server reports it: "1000 ms" (pg_settings.setting + unit), "28800"
    value: Duration | None  # None when the server's value is not a duration we can compare
    native: str  # in the catalog's native unit when value is known, else as shown
    source: str  # pg_settings.source; MySQL/MariaDB: "session" or "global"
    global_native: str | None = None  # MySQL/MariaDB: @@global, in the native unit
    origin: str | None = None  # MySQL/MariaDB: where the global value was set, when told


@dataclass(frozen=True, slots=True)
class LiveSession:
    """What one session sees: the server's engine and version, and each catalogued parameter."""

    engine: Engine
    version: str
    settings: Mapping[str, LiveSetting]  # only the parameters this server has

    def idle_timeouts(self) -> dict[str, guard.Observed]:
        """The live idle timeouts as the guard takes them (one it cannot compare is left out)."""
        observed = {}
        for spec in parameters(self.engine).values():
            setting = self.settings.get(spec.name)
            if spec.role is Role.IDLE and setting is not None and setting.value is not None:
                observed[spec.name] = guard.Observed(setting.value, setting.native, "session")
        return observed


def describe_source(setting: LiveSetting, family: Family) -> str:
    """`user (ALTER ROLE … SET)`, `global (SET GLOBAL)`: where the session's value comes from."""
    if family == "postgres":
        how = role_override(setting, family)
        return f"{setting.source} ({how})" if how else setting.source
    origin = _ORIGIN_WORDS.get(setting.origin or "", (setting.origin or "").lower())
    if setting.source == "session":
        set_by = f", set by {origin}" if origin else ""
        return f"session (global is {setting.global_native}{set_by})"
    return f"global ({origin})" if origin else "global"


def role_override(setting: LiveSetting, family: Family) -> str | None:
    """PostgreSQL: the statement behind a value pg_db_role_setting gave the session, if it did."""
    return PG_ROLE_SOURCES.get(setting.source) if family == "postgres" else None


def read_session(cursor: Any, family: Family) -> LiveSession:
    """The server's version and engine (MariaDB or MySQL), then every parameter of its catalog."""
    version = server_version(cursor, family)
    engine = engine_of(family, version)
    names = list(parameters(engine))
    if engine is Engine.POSTGRES:
        settings = read_postgres_settings(cursor, names)
    else:
        settings = read_mysql_settings(cursor, names, mariadb=engine is Engine.MARIADB)
    return LiveSession(engine, version, settings)


def server_version(cursor: Any, family: Family) -> str:
    cursor.execute("SHOW server_version" if family == "postgres" else "SELECT VERSION()")
    row = cursor.fetchone()
    return str(row[0]) if row else ""


def is_mariadb(version: str) -> bool:
    """MariaDB says so in VERSION() (`10.11.6-MariaDB-0+deb12u1`); MySQL never does."""
    return "mariadb" in version.lower()


def engine_of(family: Family, version: str) -> Engine:
    if family == "postgres":
        return Engine.POSTGRES
    return Engine.MARIADB if is_mariadb(version) else Engine.MYSQL


def read_postgres_settings(cursor: Any, names: Sequence[str]) -> dict[str, LiveSetting]:
    """pg_settings shows the session's values (SHOW) with their unit and source."""
    specs = parameters(Engine.POSTGRES)
    placeholders = ", ".join(["%s"] * len(names))
    cursor.execute(
        f"SELECT name, setting, unit, source FROM pg_settings WHERE name IN ({placeholders})",
        tuple(names),
    )
    result = {}
    for name, setting, unit, source in cursor.fetchall():
        spec = specs[name]
        shown = f"{setting} {unit}" if unit else str(setting)
        value = _pg_duration(str(setting), unit)
        result[name] = _live(spec, shown, value, str(setting), str(source))
    return result


def _pg_duration(setting: str, unit: str | None) -> Duration | None:
    # pg_settings.setting is an integer in pg_settings.unit (ms, s, min…): exact, unlike SHOW's
    # rounded "1min"; -1 and non-time units are not durations the guard can compare.
    if unit is None or not re.fullmatch(r"\d+", setting):
        return None
    try:
        return Duration.parse(f"{setting}{unit}")
    except DurationError:
        return None


def read_mysql_settings(
    cursor: Any, names: Sequence[str], *, mariadb: bool
) -> dict[str, LiveSetting]:
    """Session and global values; the session's is what this connection will be closed by.

    A non-interactive client (Django's drivers, PyMySQL) starts with session wait_timeout =
    global wait_timeout; an init_command or SET SESSION can change it afterwards.
    """
    specs = parameters(Engine.MARIADB if mariadb else Engine.MYSQL)
    placeholders = ", ".join(["%s"] * len(names))
    values: dict[str, dict[str, str]] = {}
    for scope in ("SESSION", "GLOBAL"):
        cursor.execute(
            f"SHOW {scope} VARIABLES WHERE Variable_name IN ({placeholders})", tuple(names)
        )
        values[scope] = {str(name).lower(): str(value) for name, value in cursor.fetchall()}
    origins = _mysql_origins(cursor, names, mariadb=mariadb)
    result = {}
    for name, session in values["SESSION"].items():
        spec = specs[name]
        globally = values["GLOBAL"].get(name, session)
        value = _native_duration(session, spec.unit)
        source = "global" if globally == session else "session"
        global_native = _to_native(_native_duration(globally, spec.unit), spec, globally)
        result[name] = _live(
            spec, session, value, session, source, global_native, origins.get(name)
        )
    return result


def _mysql_origins(cursor: Any, names: Sequence[str], *, mariadb: bool) -> dict[str, str]:
    """Where each global value was set: MariaDB's GLOBAL_VALUE_ORIGIN, MySQL 8's VARIABLE_SOURCE.

    Optional metadata: a server that hides these tables still gets verified.
    """
    placeholders = ", ".join(["%s"] * len(names))
    if mariadb:
        query = (
            "SELECT VARIABLE_NAME, GLOBAL_VALUE_ORIGIN FROM information_schema.SYSTEM_VARIABLES "
            f"WHERE VARIABLE_NAME IN ({placeholders})"
        )
    else:
        query = (
            "SELECT VARIABLE_NAME, VARIABLE_SOURCE FROM performance_schema.variables_info "
            f"WHERE VARIABLE_NAME IN ({placeholders})"
        )
    try:
        cursor.execute(query, tuple(name.upper() if mariadb else name for name in names))
        return {str(name).lower(): str(origin) for name, origin in cursor.fetchall()}
    except Exception:  # each driver (and Django) has its own error classes; none matters here
        return {}


def _native_duration(value: str, unit: NativeUnit) -> Duration | None:
    try:
        return Duration.from_native(value, unit)
    except DurationError:
        return None


def _to_native(value: Duration | None, spec: ParameterSpec, fallback: str) -> str:
    if value is None:
        return fallback
    try:
        return value.to_native(spec.unit)
    except DurationError:
        return fallback


def _live(
    spec: ParameterSpec,
    shown: str,
    value: Duration | None,
    fallback: str,
    source: str,
    global_native: str | None = None,
    origin: str | None = None,
) -> LiveSetting:
    native = _to_native(value, spec, fallback)
    return LiveSetting(spec.name, shown, value, native, source, global_native, origin)
