"""The live database: what a session really gets, and the guard's word on it.

`verify(profile, database_url)` connects as the application does (live.connect), reads what
the session sees (live.read) and judges it (live.report). The Django system check
(cloudtimeouts.contrib.django) reads through Django's own connection with the same
`read_session` and judges with the same `assess`; it only maps the findings to its check ids.

    url      parse_database_url, Endpoint, Family, redact
    connect  connected(endpoint), connect_error/read_error -> DatabaseConnectError
    read     read_session(cursor, family) -> LiveSession (settings, source, engine, version)
    path     pooler_in_between(cursor), see_path(…) -> PathSeen (PgBouncer's console), judge_path
    report   assess(session, …) / build_report(profile, …) -> VerifyReport

`observe` (who holds connections and for how long) reads with the same connection, session
reader and PgBouncer console, in its own modules, loaded only by `cloudtimeouts.library.observe`:

    holders  read_postgres / read_mysql / read_pgbouncer(cursor) -> Sighting
    observe  group, merge, idle_timeouts, judge -> HolderGroup; ObserveReport
    watch    observe(profile, database_url, watch=…) -> ObserveReport (one sample, or a watch)

No cloud SDK and no plan here: the drivers are imported on first use, the profile only for
types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudtimeouts.live.connect import (
    DatabaseConnectError,
    DriverUnavailableError,
    connect_error,
    connected,
    is_driver_error,
    read_error,
)
from cloudtimeouts.live.path import (
    PathJudgement,
    PathSeen,
    declared_pooler,
    judge_path,
    pooler_in_between,
    see_path,
)
from cloudtimeouts.live.read import LiveSession, LiveSetting, read_session
from cloudtimeouts.live.report import ParameterReport, VerifyReport, assess, build_report
from cloudtimeouts.live.url import (
    DatabaseUrlError,
    Endpoint,
    EngineMismatchError,
    Family,
    check_server_engine,
    family_of,
    family_of_name,
    parse_database_url,
    profile_endpoint,
)

if TYPE_CHECKING:
    from cloudtimeouts.profile import Profile

__all__ = [
    "DatabaseConnectError",
    "DatabaseUrlError",
    "DriverUnavailableError",
    "Endpoint",
    "EngineMismatchError",
    "Family",
    "LiveSession",
    "LiveSetting",
    "ParameterReport",
    "PathJudgement",
    "PathSeen",
    "VerifyReport",
    "assess",
    "build_report",
    "connect_error",
    "connected",
    "declared_pooler",
    "family_of",
    "family_of_name",
    "is_driver_error",
    "judge_path",
    "parse_database_url",
    "pooler_in_between",
    "read_error",
    "read_session",
    "see_path",
    "verify",
]


def verify(profile: Profile, database_url: str) -> VerifyReport:
    """Connect as the application, read the live values, and judge them against the profile.

    For PostgreSQL, also what the connection shows of the path: a pooler answering in the
    server's place, and when it is PgBouncer, its timeouts (read on its admin console with the
    URL's credentials) judged by the path guard.
    """
    endpoint = profile_endpoint(profile.name, profile.engine, database_url)
    in_between = None
    with connected(endpoint) as cursor:
        try:
            session = read_session(cursor, endpoint.family)
            if endpoint.family == "postgres":
                in_between = pooler_in_between(cursor)
        except Exception as error:
            if not (is_driver_error(error) or isinstance(error, OSError)):
                raise  # a bug of ours, not the database's: the CLI shows it as unexpected
            raise read_error(endpoint, error) from None
    check_server_engine(
        profile.name, profile.engine, session.engine, session.version, endpoint.describe()
    )
    path = None
    if endpoint.family == "postgres":
        path = see_path(endpoint, in_between, declared_pooler(profile))
    return build_report(profile, endpoint.describe(), session, path)
