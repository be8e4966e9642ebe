"""Read the timeouts a live database applies to a Django connection, and judge them.

Parameter groups, flags and server parameters say what a server is configured with; a session
can see something else. PostgreSQL applies per-database and per-role overrides (`ALTER DATABASE
… SET`, `ALTER ROLE … SET`, stored in pg_db_role_setting) when a session starts, and MySQL or
MariaDB copy the global wait_timeout into each new non-interactive session. So this module
connects as the application does and asks the session itself; the guard then judges those live
values, since they are what will close Django's connection.

The readers take any DB-API cursor, so the Django system check (cloudtimeouts.contrib.django)
reads through Django's own connection with the same code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from cloudtimeouts import guard
from cloudtimeouts.catalog import Engine, ParameterSpec, Role, parameters
from cloudtimeouts.durations import Duration, DurationError, NativeUnit, format_native
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.model import Finding

if TYPE_CHECKING:
    from cloudtimeouts.profile import Profile

FORMAT_VERSION = "1"
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 30

Family = Literal["postgres", "mysql"]

# URL schemes as dj-database-url spells them; MariaDB speaks MySQL's protocol.
SCHEMES: Mapping[str, Family] = {
    "postgres": "postgres",
    "postgresql": "postgres",
    "pgsql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
}
_FAMILY_OF_ENGINE: Mapping[Engine, Family] = {
    Engine.POSTGRES: "postgres",
    Engine.MYSQL: "mysql",
    Engine.MARIADB: "mysql",
}
_DEFAULT_PORT: Mapping[Family, int] = {"postgres": 5432, "mysql": 3306}
# PyMySQL connect() arguments a URL may carry (libpq takes every query parameter as is).
_MYSQL_OPTIONS = frozenset(
    {"charset", "init_command", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert", "ssl_disabled"}
)
_MYSQL_BOOL_OPTIONS = frozenset({"ssl_verify_cert", "ssl_disabled"})

# pg_settings.source values that come from pg_db_role_setting, applied when a session starts.
PG_ROLE_SOURCES: Mapping[str, str] = {
    "user": "ALTER ROLE … SET",
    "database": "ALTER DATABASE … SET",
    "database user": "ALTER ROLE … IN DATABASE … SET",
}

VERIFY_HINT = "pip install 'cloudtimeouts[verify]'"


class DatabaseUrlError(CloudtimeoutsError):
    """A database URL that cannot be used; the message never repeats the URL (it has secrets)."""


class DatabaseConnectError(CloudtimeoutsError):
    """The live database could not be reached or read; names host:port, never the password."""


class DriverUnavailableError(CloudtimeoutsError):
    """psycopg or PyMySQL is not installed."""


class EngineMismatchError(CloudtimeoutsError):
    """The URL or the server is not of the profile's engine."""


# ---------------------------------------------------------------------------------------------
# Where to connect


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A parsed database URL. The password is kept out of repr() and of every message."""

    family: Family
    host: str | None
    port: int
    database: str
    user: str | None
    password: str | None = field(default=None, repr=False)
    options: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """`app@db.example.com:5432/orders`: what users need to find the database, no secret."""
        user = f"{self.user}@" if self.user else ""
        host = self.host or "localhost"
        where = host if host.startswith("/") else f"{host}:{self.port}"
        return f"{user}{where}/{self.database}"


def parse_database_url(url: str) -> Endpoint:
    """A dj-database-url style URL: postgres://user:pass@host:port/name?sslmode=require."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise DatabaseUrlError(
            "the database URL cannot be parsed (check the host and the port)",
            hint="use scheme://user:password@host:port/database; percent-encode special "
            "characters in the password",
        ) from None
    family = SCHEMES.get(parts.scheme.lower())
    if family is None:
        shown = parts.scheme or "(none)"
        raise DatabaseUrlError(
            f"the database URL's scheme {shown!r} is not supported; "
            f"use one of: {', '.join(f'{scheme}://' for scheme in SCHEMES)}"
        )
    hostport = parts.netloc.rpartition("@")[2]
    if hostport.startswith("["):  # [::1]:5432
        host = hostport[1 : hostport.find("]")]
    else:  # a percent-encoded socket directory (%2Fvar%2Frun%2Fpostgresql) has no colon
        host = unquote(hostport.rsplit(":", 1)[0])
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise DatabaseUrlError(
            "the database URL names no database (…/DATABASE at the end of the URL)"
        )
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if family == "mysql":
        unknown = sorted(set(options) - _MYSQL_OPTIONS)
        if unknown:
            raise DatabaseUrlError(
                f"unsupported MySQL/MariaDB URL option(s): {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(_MYSQL_OPTIONS))}"
            )
    return Endpoint(
        family=family,
        host=host or None,
        port=port or _DEFAULT_PORT[family],
        database=database,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        options=options,
    )


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from a driver's message, however it was quoted."""
    if secret:
        text = text.replace(secret, "***")
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------------------------
# Reading live values through any DB-API cursor


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
        globally = values["GLOBAL"].get(name)
        value = _native_duration(session, spec.unit)
        source = "global" if globally is None or globally == session else "session"
        global_native = globally
        if globally is not None:
            global_value = _native_duration(globally, spec.unit)
            global_native = _to_native(global_value, spec, globally)
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


def server_version(cursor: Any, family: Family) -> str:
    cursor.execute("SHOW server_version" if family == "postgres" else "SELECT VERSION()")
    row = cursor.fetchone()
    return str(row[0]) if row else ""


def is_mariadb(version: str) -> bool:
    return "mariadb" in version.lower()


def read_live(cursor: Any, engine: Engine) -> dict[str, LiveSetting]:
    """Every parameter of the engine's catalog that this server has, as the session sees it."""
    names = list(parameters(engine))
    if engine is Engine.POSTGRES:
        return read_postgres_settings(cursor, names)
    return read_mysql_settings(cursor, names, mariadb=engine is Engine.MARIADB)


def live_idle_timeouts(
    engine: Engine, live: Mapping[str, LiveSetting]
) -> dict[str, guard.Observed]:
    """The live idle timeouts, as the guard takes them (a value it cannot compare is left out)."""
    observed = {}
    for spec in parameters(engine).values():
        setting = live.get(spec.name)
        if spec.role is Role.IDLE and setting is not None and setting.value is not None:
            observed[spec.name] = guard.Observed(setting.value, setting.native, "target")
    return observed


def describe_source(setting: LiveSetting, family: Family) -> str:
    """`user (ALTER ROLE … SET)`, `global (SET GLOBAL)`: where the session's value comes from."""
    if family == "postgres":
        how = PG_ROLE_SOURCES.get(setting.source)
        return f"{setting.source} ({how})" if how else setting.source
    origin = _ORIGIN_WORDS.get(setting.origin or "", (setting.origin or "").lower())
    if setting.source == "session":
        set_by = f", set by {origin}" if origin else ""
        return f"session (global is {setting.global_native}{set_by})"
    return f"global ({origin})" if origin else "global"


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


# ---------------------------------------------------------------------------------------------
# The report


Verdict = Literal["ok", "refused", "off", "absent", "unknown"]


@dataclass(frozen=True, slots=True)
class ParameterReport:
    name: str
    role: Role
    unit: NativeUnit
    profile: Duration | None  # declared in the profile, if it is
    live: LiveSetting | None  # None when the server has no such parameter
    source: str | None  # where the live value comes from, in words
    drift: bool  # the profile declares a value the live session does not have
    verdict: Verdict | None  # idle timeouts only: the guard's word on the live value

    def to_json(self) -> dict[str, Any]:
        live = self.live
        return {
            "parameter": self.name,
            "role": self.role.value,
            "unit": self.unit.symbol,
            "profile": self.profile.to_native(self.unit) if self.profile is not None else None,
            "live": live.native if live else None,
            "live_human": live.value.human() if live and live.value is not None else None,
            "source": live.source if live else None,
            "global": live.global_native if live else None,
            "origin": live.origin if live else None,
            "drift": self.drift,
            "verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    profile: str
    engine: Engine
    endpoint: str  # user@host:port/database, never the password
    server_version: str
    conn_max_age: int | None
    margin: Duration
    parameters: tuple[ParameterReport, ...]
    refusals: tuple[Finding, ...]
    warnings: tuple[Finding, ...]

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    @property
    def drift(self) -> tuple[ParameterReport, ...]:
        return tuple(parameter for parameter in self.parameters if parameter.drift)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "profile": self.profile,
            "engine": self.engine.value,
            "endpoint": self.endpoint,
            "server_version": self.server_version,
            "conn_max_age": self.conn_max_age,
            "margin_s": str(self.margin.seconds.normalize()),
            "parameters": [parameter.to_json() for parameter in self.parameters],
            "refusals": [finding.to_json() for finding in self.refusals],
            "warnings": [finding.to_json() for finding in self.warnings],
            "verdict": "refused" if self.refused else "ok",
        }


def build_report(
    profile: Profile, endpoint: str, version: str, live: Mapping[str, LiveSetting]
) -> VerifyReport:
    """Judge the live values: the guard on what the session sees, drift against the profile."""
    engine = profile.engine
    family = _FAMILY_OF_ENGINE[engine]
    observed = live_idle_timeouts(engine, live)
    violations = guard.check(
        engine, profile.django.conn_max_age, profile.guard.margin, observed, f"live {endpoint}"
    )
    refused = {violation.parameter for violation in violations}
    rows: list[ParameterReport] = []
    warnings: list[Finding] = []
    for spec in parameters(engine).values():
        declared = profile.server.get(spec.name)
        setting = live.get(spec.name)
        drift = declared is not None and (setting is None or setting.value != declared)
        if drift:
            warnings.append(Finding(spec.name, _drift_message(spec, declared, setting, family)))
        if setting is not None and family == "postgres" and setting.source in PG_ROLE_SOURCES:
            warnings.append(
                Finding(
                    spec.name,
                    f"{spec.name} = {_native_text(setting, spec)} comes from "
                    f"{PG_ROLE_SOURCES[setting.source]} (pg_settings.source '{setting.source}', "
                    "stored in pg_db_role_setting): no parameter group, flag or server "
                    "parameter shows it",
                )
            )
        if (
            setting is not None
            and family == "mysql"
            and setting.source == "session"
            and spec.role is Role.IDLE
        ):
            warnings.append(
                Finding(
                    spec.name,
                    f"{spec.name}: this session has {_native_text(setting, spec)} but the "
                    f"global value is {setting.global_native} {spec.unit.symbol}: set for the "
                    "session (an init_command?) or an interactive client (wait_timeout then "
                    "comes from interactive_timeout); Django's connections follow their own "
                    "OPTIONS",
                )
            )
        verdict: Verdict | None = None
        if spec.role is Role.IDLE:
            if setting is None:
                verdict = "absent"
            elif setting.value is None:
                verdict = "unknown"
            elif spec.name in refused:
                verdict = "refused"
            elif setting.value.disabled:
                verdict = "off"
            else:
                verdict = "ok"
        rows.append(
            ParameterReport(
                name=spec.name,
                role=spec.role,
                unit=spec.unit,
                profile=declared,
                live=setting,
                source=describe_source(setting, family) if setting else None,
                drift=drift,
                verdict=verdict,
            )
        )
    return VerifyReport(
        profile=profile.name,
        engine=engine,
        endpoint=endpoint,
        server_version=version,
        conn_max_age=profile.django.conn_max_age,
        margin=profile.guard.margin,
        parameters=tuple(rows),
        refusals=tuple(Finding(v.parameter, v.message) for v in violations),
        warnings=tuple(warnings),
    )


def _native_text(setting: LiveSetting, spec: ParameterSpec) -> str:
    return setting.shown if setting.value is None else format_native(setting.native, spec.unit)


def _drift_message(
    spec: ParameterSpec, declared: Duration, setting: LiveSetting | None, family: Family
) -> str:
    wanted = format_native(native_or_human(declared, spec.unit), spec.unit)
    if setting is None:
        return f"{spec.name}: the profile declares {wanted} but this server has no such parameter"
    return (
        f"{spec.name}: the profile declares {wanted} but the live session has "
        f"{_native_text(setting, spec)}, from {describe_source(setting, family)}"
    )


def native_or_human(value: Duration, unit: NativeUnit) -> str:
    try:
        return value.to_native(unit)
    except DurationError:
        return value.human()


# ---------------------------------------------------------------------------------------------
# Connecting the way Django does


def verify(profile: Profile, database_url: str) -> VerifyReport:
    """Connect as the application, read the live values, and judge them against the profile."""
    endpoint = parse_database_url(database_url)
    expected = _FAMILY_OF_ENGINE[profile.engine]
    if endpoint.family != expected:
        raise EngineMismatchError(
            f"profile {profile.name} is for {profile.engine.value} but the database URL is a "
            f"{endpoint.family} URL ({endpoint.describe()})",
            hint="pass the URL of the database this profile describes",
        )
    with _connected(endpoint) as cursor:
        try:
            version = server_version(cursor, endpoint.family)
            _check_flavor(profile, endpoint, version)
            live = read_live(cursor, profile.engine)
        except CloudtimeoutsError:
            raise
        except Exception as error:
            # the driver's own errors; the imports are optional, so they are matched here
            if not _is_driver_error(error):
                raise
            raise DatabaseConnectError(
                f"reading the settings of {endpoint.describe()} failed: "
                f"{redact(str(error), endpoint.password)}"
            ) from None
    return build_report(profile, endpoint.describe(), version, live)


def _check_flavor(profile: Profile, endpoint: Endpoint, version: str) -> None:
    if endpoint.family != "mysql":
        return
    actual = Engine.MARIADB if is_mariadb(version) else Engine.MYSQL
    if actual is not profile.engine:
        raise EngineMismatchError(
            f"profile {profile.name} is for {profile.engine.value} but the server at "
            f"{endpoint.describe()} is {actual.value} ({version})",
            hint=f"set engine: {actual.value} in the profile if this is the right database",
        )


def _is_driver_error(error: Exception) -> bool:
    root = type(error).__module__.partition(".")[0]
    return root in ("psycopg", "pymysql")


@contextmanager
def _connected(endpoint: Endpoint) -> Iterator[Any]:
    connection = (
        _connect_postgres(endpoint) if endpoint.family == "postgres" else _connect_mysql(endpoint)
    )
    try:
        cursor = connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
    finally:
        connection.close()


def _connect_failed(endpoint: Endpoint, error: Exception) -> DatabaseConnectError:
    return DatabaseConnectError(
        f"cannot connect to {endpoint.describe()}: {redact(str(error), endpoint.password)}",
        hint="check the host, port, database name and credentials in --database-url or "
        "DATABASE_URL, and that this machine may reach the server",
    )


def _connect_postgres(endpoint: Endpoint) -> Any:
    try:
        import psycopg
    except ImportError:
        raise DriverUnavailableError(
            "verify needs psycopg 3 for PostgreSQL, and it is not installed", hint=VERIFY_HINT
        ) from None
    # Django's postgresql backend passes the same keywords to psycopg.connect(); URL query
    # parameters (sslmode, options, …) go to libpq as they would through OPTIONS.
    params: dict[str, Any] = {"connect_timeout": str(CONNECT_TIMEOUT_S), **endpoint.options}
    params.update(dbname=endpoint.database, port=endpoint.port)
    if endpoint.host:
        params["host"] = endpoint.host
    if endpoint.user:
        params["user"] = endpoint.user
    if endpoint.password is not None:
        params["password"] = endpoint.password
    try:
        return psycopg.connect(autocommit=True, **params)
    except psycopg.Error as error:
        raise _connect_failed(endpoint, error) from None


def _connect_mysql(endpoint: Endpoint) -> Any:
    try:
        import pymysql
    except ImportError:
        raise DriverUnavailableError(
            "verify needs PyMySQL for MySQL and MariaDB, and it is not installed",
            hint=VERIFY_HINT,
        ) from None
    # Non-interactive, like Django's MySQL backend: the session's wait_timeout then starts as
    # the global wait_timeout (an interactive client would get interactive_timeout instead).
    params: dict[str, Any] = {
        "database": endpoint.database,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
        "charset": "utf8mb4",
    }
    for key, value in endpoint.options.items():
        params[key] = value.lower() in ("1", "true", "yes") if key in _MYSQL_BOOL_OPTIONS else value
    if endpoint.host and endpoint.host.startswith("/"):
        params["unix_socket"] = endpoint.host
    else:
        params.update(host=endpoint.host or "localhost", port=endpoint.port)
    if endpoint.user:
        params["user"] = endpoint.user
    if endpoint.password is not None:
        params["password"] = endpoint.password
    try:
        return pymysql.connect(**params)
    except pymysql.err.MySQLError as error:
        raise _connect_failed(endpoint, error) from None
