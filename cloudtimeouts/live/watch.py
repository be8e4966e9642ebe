"""`observe`: connect as `verify` does, sample who holds connections, judge what was seen.

One connection (and, with PgBouncer in between, one to its admin console) serves every sample:
a watch must not itself open a connection a second, nor be one more idle holder for long. It
carries `application_name` "cloudtimeouts observe" (PostgreSQL) so that it and PgBouncer leave
it out; MySQL and MariaDB leave out CONNECTION_ID().

`--watch DURATION` samples every `SAMPLE_INTERVAL` (1 s: PgBouncer's times and MySQL's `TIME`
are whole seconds, so a shorter interval would add load and no news) until DURATION has passed,
and keeps each holder's longest idle age. Ctrl-C (or SIGTERM, which the CLI turns into one)
ends the watch with what was seen: the report says `interrupted`; before the first sample there
is nothing to report and the interrupt goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from threading import Event
from typing import TYPE_CHECKING, Any

from cloudtimeouts.budget import budgets_of
from cloudtimeouts.durations import Duration
from cloudtimeouts.live.connect import (
    DatabaseConnectError,
    DriverUnavailableError,
    connected,
    is_driver_error,
    read_error,
)
from cloudtimeouts.live.holders import OBSERVER, Sighting, read_mysql, read_pgbouncer, read_postgres
from cloudtimeouts.live.observe import (
    ObserveReport,
    group,
    idle_timeouts,
    judge,
    merge,
)
from cloudtimeouts.live.path import (
    CONSOLE_DATABASE,
    console_refusal,
    declared_pooler,
    pooler_in_between,
    read_console,
)
from cloudtimeouts.live.read import read_session
from cloudtimeouts.live.url import Endpoint, check_server_engine, profile_endpoint
from cloudtimeouts.model import Finding

if TYPE_CHECKING:
    from cloudtimeouts.profile import Profile

SAMPLE_INTERVAL = Duration.of_seconds(1)


def observe(
    profile: Profile,
    database_url: str,
    *,
    watch: Duration | None = None,
    interval: Duration = SAMPLE_INTERVAL,
    stop: Event | None = None,
) -> ObserveReport:
    """Who holds connections to the database at `database_url`, judged against the profile.

    Once, or for `watch` (a sample every `interval`), keeping each holder's longest idle age.
    `stop` (set from another thread) or a KeyboardInterrupt ends a watch early with what was
    seen (`report.interrupted`). Errors are verify's: DatabaseUrlError, DatabaseConnectError,
    EngineMismatchError, DriverUnavailableError; none repeats the password.
    """
    from cloudtimeouts.django import requests_name

    endpoint = profile_endpoint(profile.name, profile.engine, database_url)
    if endpoint.family == "postgres" and "application_name" not in endpoint.options:
        endpoint = replace(endpoint, options={**endpoint.options, "application_name": OBSERVER})
    budgets = budgets_of(profile)
    notes: list[Finding] = []
    with ExitStack() as stack:
        cursor = stack.enter_context(connected(endpoint))
        session, in_between = _reading(endpoint, lambda: _first_read(cursor, endpoint))
        check_server_engine(
            profile.name, profile.engine, session.engine, session.version, endpoint.describe()
        )
        console, pooler, pooler_settings = None, None, None
        if endpoint.family == "postgres" and (in_between or declared_pooler(profile)):
            console, pooler, pooler_settings, said = _open_console(stack, endpoint)
            if said:
                notes.append(Finding("pgbouncer", said))
        mariadb = session.engine.value == "mariadb"

        def sample() -> Sighting:
            pids: frozenset[int] = frozenset()
            clients: tuple[Any, ...] = ()
            if console is not None:
                seen = read_pgbouncer(console)
                pids, clients = seen.pooler_pids, seen.connections
            if endpoint.family == "postgres":
                server = read_postgres(cursor, pids)
            else:
                server = read_mysql(cursor, mariadb=mariadb)
            return replace(server, connections=server.connections + clients)

        sightings, interrupted = _sample(
            lambda: _reading(endpoint, sample), watch, interval, stop or Event()
        )
    tallies: dict[Any, Any] = {}
    for sighting in sightings:
        tallies = merge(tallies, group(sighting.connections))
    latest = sightings[-1]
    notes.extend(Finding("privilege", note) for note in latest.notes)
    timeouts = idle_timeouts(profile, session, pooler_settings, budgets[0])
    if endpoint.family == "mysql":
        unseen = sorted({t.parameter for t in timeouts if t.in_transaction})
        if unseen:  # PROCESSLIST shows Sleep, not whether a transaction is open
            notes.append(Finding("transaction", f"{', '.join(unseen)} close(s) a connection "
                "idle inside a transaction, and PROCESSLIST does not say which sleeping thread "
                "has one open: no holder is judged against it here"))  # fmt: skip
    return ObserveReport(
        profile=profile.name,
        engine=session.engine,
        endpoint=endpoint.describe(),
        server_version=session.version,
        budgets=budgets,
        timeouts=timeouts,
        holders=judge(tallies, budgets, timeouts, requests_name(profile)),
        samples=len(sightings),
        watch=watch,
        interval=interval if watch is not None else None,
        interrupted=interrupted,
        pooler=pooler,
        hidden=latest.hidden,
        notes=tuple(notes),
    )


def _first_read(cursor: Any, endpoint: Endpoint) -> tuple[Any, bool | None]:
    session = read_session(cursor, endpoint.family)
    in_between = pooler_in_between(cursor) if endpoint.family == "postgres" else None
    return session, in_between


def _reading(endpoint: Endpoint, read: Callable[[], Any]) -> Any:
    """A driver's failure while reading, as one message naming the endpoint and no secret."""
    try:
        return read()
    except Exception as error:
        if not (is_driver_error(error) or isinstance(error, OSError)):
            raise  # a bug of ours, not the database's: the CLI shows it as unexpected
        raise read_error(endpoint, error, "who holds connections") from None


def _open_console(stack: ExitStack, endpoint: Endpoint) -> tuple[Any, Any, Any, str | None]:
    """A cursor on PgBouncer's admin console, its version and timeouts; or why there is none."""
    console = replace(endpoint, database=CONSOLE_DATABASE)
    try:
        cursor = stack.enter_context(connected(console))
        version, settings = read_console(cursor)
    except DriverUnavailableError as error:
        return None, None, None, error.message
    except DatabaseConnectError as error:
        return (
            None,
            None,
            None,
            (f"{console_refusal(endpoint, error.message)}; its clients are not seen"),
        )
    except Exception as error:  # a console that is not PgBouncer's: said, not raised
        if not is_driver_error(error):
            raise
        return (
            None,
            None,
            None,
            (
                f"{console.describe()} did not answer SHOW VERSION and SHOW CONFIG as PgBouncer's "
                "admin console does: its clients are not seen"
            ),
        )
    if not version.lower().startswith("pgbouncer"):
        return None, None, None, f"{console.describe()} is not PgBouncer's admin console"
    return cursor, version, settings, None


def _sample(
    read: Callable[[], Sighting], watch: Duration | None, interval: Duration, stop: Event
) -> tuple[list[Sighting], bool]:
    """One sample, or one every `interval` for `watch`; interrupted when stopped early."""
    sightings = [read()]  # an interrupt before the first sample is not caught: nothing to show
    if watch is None:
        return sightings, False
    start = time.monotonic()
    step, length = float(interval.seconds), float(watch.seconds)
    try:
        while (elapsed := time.monotonic() - start) < length:
            wait = min(step * (int(elapsed / step) + 1), length) - elapsed
            if stop.wait(max(wait, 0)):
                return sightings, True
            sightings.append(read())
    except KeyboardInterrupt:
        return sightings, True
    return sightings, False
