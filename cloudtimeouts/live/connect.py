"""Connecting the way Django does, and every way that can fail as one message.

psycopg 3 for PostgreSQL and PyMySQL for MySQL/MariaDB, imported only here and only when used
(the `verify` extra). Anything that comes out of a driver's connect — its own errors, an
encoding error, an OSError or ssl error from a TLS file, a ValueError or TypeError from an
option — becomes one DatabaseConnectError naming the endpoint (`user@host:port/database`) and
never the password, nor any part of it, nor where in it a character was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.live.url import Endpoint, redact

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 30
VERIFY_HINT = "pip install 'cloudtimeouts[verify]'"
CONNECT_HINT = (
    "check the host, port, database name and credentials in --database-url or DATABASE_URL, "
    "and that this machine may reach the server"
)

# PyMySQL connect() arguments a URL may carry (libpq takes every query parameter and judges it).
_MYSQL_OPTIONS = frozenset(
    {"charset", "init_command", "ssl_ca", "ssl_cert", "ssl_key", "ssl_verify_cert", "ssl_disabled"}
)
_MYSQL_BOOL_OPTIONS: Mapping[str, bool] = {
    word: value
    for value, words in ((True, ("1", "true", "yes", "on")), (False, ("0", "false", "no", "off")))
    for word in words
}
_FILE_OPTIONS = ("ssl_ca", "ssl_cert", "ssl_key", "sslrootcert", "sslcert", "sslkey", "sslcrl")


class DatabaseConnectError(CloudtimeoutsError):
    """The live database could not be reached or read; names the endpoint, never the password."""


class DriverUnavailableError(CloudtimeoutsError):
    """psycopg or PyMySQL is not installed."""


def connect_error(endpoint: Endpoint, error: BaseException) -> DatabaseConnectError:
    """Any exception out of a connect, as one message that repeats no secret."""
    return DatabaseConnectError(
        f"cannot connect to {endpoint.describe()}: {_safe_detail(endpoint, error)}",
        hint=CONNECT_HINT,
    )


def read_error(
    endpoint: Endpoint, error: BaseException, what: str = "the settings"
) -> DatabaseConnectError:
    """A failure after connecting, while reading `what` (verify: the settings; observe: who
    holds connections)."""
    return DatabaseConnectError(
        f"reading {what} of {endpoint.describe()} failed: {_safe_detail(endpoint, error)}"
    )


def _safe_detail(endpoint: Endpoint, error: BaseException) -> str:
    if isinstance(error, UnicodeError):
        # its message quotes the character and its position in the string, which may be the
        # password: say which setting only
        encoding = getattr(error, "encoding", "the driver's encoding")
        if isinstance(error, UnicodeDecodeError):
            return f"the server sent text that cannot be decoded as {encoding}"
        what = _which_setting(endpoint, error)
        return f"the {what} has a character that cannot be encoded as {encoding}"
    text = redact(str(error), endpoint.password) or type(error).__name__
    if isinstance(error, OSError) and not is_driver_error(error):
        # PyMySQL lets a TLS file's OSError (and ssl.SSLError) through without naming the file
        files = [
            f"{key}={value}" for key, value in endpoint.options.items() if key in _FILE_OPTIONS
        ]
        named = f" (TLS files in the URL: {', '.join(files)})" if files else ""
        return f"{text}{named}"
    if not is_driver_error(error):
        return f"{type(error).__name__}: {text}"
    return text


def _which_setting(endpoint: Endpoint, error: UnicodeError) -> str:
    encoding = getattr(error, "encoding", "utf-8")
    for what, setting in (
        ("password", endpoint.password),
        ("user name", endpoint.user),
        ("database name", endpoint.database),
        ("host", endpoint.host),
    ):
        try:
            (setting or "").encode(encoding)
        except (UnicodeError, LookupError):
            return what
    return "password, user name or another setting"


def is_driver_error(error: BaseException) -> bool:
    """psycopg's and PyMySQL's own errors (and Django's wrappers of them): their words are clear.

    Matched by module, since the drivers are optional imports.
    """
    root = type(error).__module__.partition(".")[0]
    return root in ("psycopg", "pymysql", "MySQLdb", "django")


@contextmanager
def connected(endpoint: Endpoint) -> Iterator[Any]:
    """A DB-API cursor on a new connection to the endpoint, closed afterwards."""
    connection = _connect(endpoint)
    try:
        try:
            cursor = connection.cursor()
        except Exception as error:
            raise connect_error(endpoint, error) from None
        try:
            yield cursor
        finally:
            cursor.close()
    finally:
        connection.close()


def _connect(endpoint: Endpoint) -> Any:
    if endpoint.family == "postgres":
        connect, params = _postgres(endpoint)
    else:
        connect, params = _mysql(endpoint)
    try:
        return connect(**params)
    except Exception as error:  # anything a driver raises is a failure to connect, said once
        raise connect_error(endpoint, error) from None


def _postgres(endpoint: Endpoint) -> tuple[Any, dict[str, Any]]:
    try:
        import psycopg
    except ImportError:
        raise DriverUnavailableError(
            "verify needs psycopg 3 for PostgreSQL, and it is not installed", hint=VERIFY_HINT
        ) from None
    # Django's postgresql backend passes the same keywords to psycopg.connect(); URL query
    # parameters (sslmode, options, …) go to libpq as they would through OPTIONS, and libpq
    # refuses one it does not know ("invalid connection option").
    params: dict[str, Any] = {"connect_timeout": str(CONNECT_TIMEOUT_S), **endpoint.options}
    params.update(dbname=endpoint.database, port=endpoint.port, autocommit=True)
    if endpoint.host:
        params["host"] = endpoint.host
    if endpoint.user:
        params["user"] = endpoint.user
    if endpoint.password is not None:
        params["password"] = endpoint.password
    return psycopg.connect, params


def _mysql(endpoint: Endpoint) -> tuple[Any, dict[str, Any]]:
    try:
        import pymysql
        import pymysql.charset
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
    problems = []
    for key, value in endpoint.options.items():
        if key not in _MYSQL_OPTIONS:
            problems.append(f"unsupported MySQL/MariaDB URL option {key!r}")
        elif key in ("ssl_verify_cert", "ssl_disabled"):
            flag = _MYSQL_BOOL_OPTIONS.get(value.lower())
            if flag is None:
                problems.append(f"{key}={value!r} is not one of: {', '.join(_MYSQL_BOOL_OPTIONS)}")
            params[key] = flag
        else:
            params[key] = value
    if pymysql.charset.charset_by_name(params["charset"]) is None:
        problems.append(f"charset={params['charset']!r} is not a character set PyMySQL knows")
    if problems:
        raise DatabaseConnectError(
            f"cannot connect to {endpoint.describe()}: {'; '.join(problems)}",
            hint=f"the URL's query may set: {', '.join(sorted(_MYSQL_OPTIONS))}",
        )
    if endpoint.host and endpoint.host.startswith("/"):
        params["unix_socket"] = endpoint.host
    else:
        params.update(host=endpoint.host or "localhost", port=endpoint.port)
    if endpoint.user:
        params["user"] = endpoint.user
    if endpoint.password is not None:
        # PyMySQL encodes a str password as Latin-1; mysqlclient (Django's MySQL driver) and the
        # server's CREATE USER … IDENTIFIED BY in a utf8mb4 session use UTF-8: send those bytes.
        try:
            params["password"] = endpoint.password.encode("utf-8")
        except UnicodeError as error:
            raise connect_error(endpoint, error) from None
    return pymysql.connect, params
