"""What a live connection shows of the path: a pooler in between, and PgBouncer's own timeouts.

Two things can be seen from the application's side of a PostgreSQL connection:

- Whether something answers in the server's place. The BackendKeyData message a server sends at
  login carries "the process ID of this backend" (PostgreSQL, "Message Formats"), which libpq
  returns as PQbackendPID() and psycopg as `connection.info.backend_pid`; pg_backend_pid() is the
  process ID of the server process running the query ("System Information Functions"). Straight
  to the server they are one number. PgBouncer answers the login itself and gives "each client
  its own cancel key" of random bytes (PgBouncer src/proto.c, welcome_client), so through it they
  differ. Any pooler that answers cancel requests itself must do the same; which one it is, only
  its own console says.
- What PgBouncer closes. Its admin console is the special database `pgbouncer` on the same port;
  it answers `SHOW VERSION` and `SHOW CONFIG` (columns key, value, default, changeable; times in
  seconds, "1.5" allowed) to the users named in admin_users or stats_users, speaks only the
  simple query protocol (pgbouncer.org/usage.html, "Admin console"), and refuses any other user
  with "not allowed" after authentication (src/admin.c, admin_post_login). PostgreSQL itself
  answers `database "pgbouncer" does not exist`.

The console is asked only when something is in between or the profile declares a PgBouncer, so
that a plain server never logs a login to a database it does not have. What it says is judged
with the path guard (`cloudtimeouts.path_guard.path_findings`) on a PgBouncer hop built from the
values read, with the profile's budget (conn_max_age, or the pool's) and margin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.hops import PGBOUNCER_TIMEOUTS as _TIMEOUTS
from cloudtimeouts.hops import kinds
from cloudtimeouts.live.connect import DatabaseConnectError, DriverUnavailableError, connected
from cloudtimeouts.live.url import Endpoint
from cloudtimeouts.model import Finding

if TYPE_CHECKING:
    from cloudtimeouts.profile import Hop, Profile

CONSOLE_DATABASE = "pgbouncer"
PGBOUNCER_TIMEOUTS: tuple[str, ...] = tuple(timeout.name for timeout in _TIMEOUTS)
LIVE_SOURCE = "live, SHOW CONFIG"


@dataclass(frozen=True, slots=True)
class PoolerSetting:
    """One PgBouncer timeout as its console shows it."""

    name: str
    shown: str  # SHOW CONFIG's value, in seconds: "0", "600", "1.5"
    value: Duration | None  # None when it is not a number of seconds

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "live": self.shown,
            "live_human": self.value.human() if self.value is not None else None,
        }


@dataclass(frozen=True, slots=True)
class PathSeen:
    """What one connection showed of the path between the application and the server."""

    endpoint: str  # where the application connects: user@host:port/database
    in_between: bool | None  # a pooler answers in the server's place; None: the driver won't say
    pooler: str | None = None  # "PgBouncer 1.18.0", when its console answered SHOW VERSION
    settings: Mapping[str, PoolerSetting] | None = None  # its timeouts, when it answered
    note: str | None = None  # what could not be read, and why
    host: str | None = None  # the endpoint's host (or socket directory): names an undeclared hop

    def to_json(self) -> dict[str, Any]:
        return {
            "pooler_in_between": self.in_between,
            "pooler": self.pooler,
            "settings": [setting.to_json() for setting in (self.settings or {}).values()],
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class PathJudgement:
    """The path guard's word on what was seen: refusals, and differences from the profile."""

    seen: PathSeen
    refusals: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            **self.seen.to_json(),
            "refusals": [finding.to_json() for finding in self.refusals],
            "warnings": [finding.to_json() for finding in self.warnings],
        }


# ---------------------------------------------------------------------------------------------
# Reading


def pooler_in_between(cursor: Any) -> bool | None:
    """True when the login's backend PID is not the server's: a pooler answered the login.

    Takes a driver's cursor or Django's cursor wrapper (its driver cursor is `.cursor`). None
    when the driver does not tell the login's PID (psycopg 3: info.backend_pid; psycopg2:
    get_backend_pid(); both are libpq's PQbackendPID()).
    """
    raw = getattr(cursor, "cursor", cursor)
    connection = getattr(raw, "connection", None)
    login_pid = getattr(getattr(connection, "info", None), "backend_pid", None)
    if login_pid is None and callable(getattr(connection, "get_backend_pid", None)):
        login_pid = connection.get_backend_pid()  # type: ignore[union-attr]
    if not isinstance(login_pid, int):
        return None
    cursor.execute("SELECT pg_backend_pid()")
    row = cursor.fetchone()
    return row is None or row[0] != login_pid


def read_console(cursor: Any) -> tuple[str, dict[str, PoolerSetting]]:
    """PgBouncer's version and timeouts, from a cursor on its admin console."""
    cursor.execute("SHOW VERSION")
    row = cursor.fetchone()
    version = str(row[0]) if row else "PgBouncer"
    cursor.execute("SHOW CONFIG")
    columns = [column[0] for column in cursor.description or ()]
    key, value = columns.index("key"), columns.index("value")
    config = {str(row[key]): str(row[value]) for row in cursor.fetchall()}
    settings = {
        name: PoolerSetting(name, config[name], _seconds(config[name]))
        for name in PGBOUNCER_TIMEOUTS
        if name in config
    }
    return version, settings


def _seconds(text: str) -> Duration | None:
    try:
        return Duration.parse(text) if re.fullmatch(r"\d+(\.\d+)?", text) else None
    except DurationError:
        return None


def ask_console(endpoint: Endpoint, in_between: bool | None) -> PathSeen:
    """Ask PgBouncer's admin console at the endpoint's host and port, with its credentials."""
    console = replace(endpoint, database=CONSOLE_DATABASE)
    seen = PathSeen(endpoint.describe(), in_between, host=endpoint.host)
    try:
        with connected(console) as cursor:
            version, settings = read_console(cursor)
    except DriverUnavailableError as error:
        return replace(seen, note=f"{error.message} to read PgBouncer's console")
    except DatabaseConnectError as error:
        return replace(seen, note=_console_refusal(endpoint, error.message))
    except Exception as error:  # a console that is not PgBouncer's: said, not raised
        return replace(seen, note=f"{console.describe()} did not answer SHOW VERSION and SHOW "
                       f"CONFIG as PgBouncer's admin console does: {type(error).__name__}: "
                       f"{error}")  # fmt: skip
    if not version.lower().startswith("pgbouncer"):
        return replace(seen, note=f"{console.describe()} answered SHOW VERSION with "
                       f"{version!r}, not PgBouncer: its timeouts are not read")  # fmt: skip
    return replace(seen, pooler=version, settings=settings)


def console_refusal(endpoint: Endpoint, message: str) -> str:
    """Why the admin console did not answer, and what to do about it (verify and observe)."""
    return _console_refusal(endpoint, message)


def _console_refusal(endpoint: Endpoint, message: str) -> str:
    user = endpoint.user or "this user"
    if "not allowed" in message:
        return (
            f"PgBouncer's admin console refused {user} (not allowed): add {user} to PgBouncer's "
            "stats_users (read-only SHOW commands) so that its timeouts can be read and judged"
        )
    if f'database "{CONSOLE_DATABASE}" does not exist' in message:
        return (
            f"no PgBouncer admin console at {endpoint.describe()} (the server answers that "
            f'database "{CONSOLE_DATABASE}" does not exist): the pooler in between is not '
            "PgBouncer, or not here"
        )
    return f"PgBouncer's admin console could not be read: {message}"


def see_path(endpoint: Endpoint, in_between: bool | None, declared: Hop | None) -> PathSeen:
    """What to say of the path, asking PgBouncer's console only when there is reason to."""
    seen = PathSeen(endpoint.describe(), in_between, host=endpoint.host)
    if in_between or (in_between is None and declared is not None):
        return ask_console(endpoint, in_between)
    if declared is not None:
        return replace(
            seen,
            note=f"the profile declares path {declared.kind} {declared.name}, but this "
            f"connection reaches the server itself (its login's backend PID is the server's "
            "pg_backend_pid()): the URL does not point at the pooler",
        )
    return seen


# ---------------------------------------------------------------------------------------------
# Judging


def declared_pooler(profile: Profile | None) -> Hop | None:
    """The profile's first PgBouncer hop: the one the application's URL points at."""
    if profile is None:
        return None
    return next((hop for hop in profile.path if kinds()[hop.kind].pooler), None)


def judge_path(seen: PathSeen, profile: Profile) -> PathJudgement:
    """The path guard on the PgBouncer seen, with the profile's budget and margin.

    The profile's declared PgBouncer hop gives the hop its kind and name, and its declared values
    are compared with the live ones (warnings); the live values are what is judged.
    """
    from cloudtimeouts.path_guard import path_findings
    from cloudtimeouts.profile_path import MODELS

    warnings = [Finding("path", seen.note)] if seen.note else []
    if not seen.settings:
        return PathJudgement(seen, (), tuple(warnings))
    values = {name: s.value for name, s in seen.settings.items() if s.value is not None}
    declared = declared_pooler(profile)
    kind = declared.kind if declared is not None else "pgbouncer"
    hop = MODELS[kind](
        kind=kind,
        name=declared.name if declared is not None else _hop_name(seen.host),
        **values,
    )
    refusals = path_findings(profile.model_copy(update={"path": [hop]}))[0]
    if declared is not None:
        warnings.extend(_drift(declared, seen))
    return PathJudgement(seen, tuple(map(_live_words, refusals)), tuple(warnings))


def _live_words(finding: Finding) -> Finding:
    # path_findings names where a value came from as it does for a profile's hop; these values
    # were read from the live console
    message = finding.message.replace("(from the profile)", f"({LIVE_SOURCE})", 1)
    return Finding(finding.parameter, message)


def _drift(declared: Hop, seen: PathSeen) -> list[Finding]:
    found = []
    for name, setting in (seen.settings or {}).items():
        wanted = getattr(declared, name, None)
        if wanted is None or setting.value == wanted:
            continue
        found.append(
            Finding(
                f"{declared.name}.{name}",
                f"path {declared.kind} {declared.name}: the profile declares {name} "
                f"{wanted.human()} but {seen.pooler} at {seen.endpoint} has {setting.shown} s",
            )
        )
    return found


def _hop_name(host: str | None) -> str:
    """The host as a hop name (what the path guard's messages show): `bouncer.internal`."""
    name = re.sub(r"[^A-Za-z0-9._-]", "-", host or "localhost").strip("-._")[:63]
    return name or "pgbouncer"
