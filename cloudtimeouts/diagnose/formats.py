"""What every log format shares: the keywords a line must hold to be worth reading, times and
zones, and the wording that names what happened (`evidence.what`).

Why a keyword prefilter: a real log is mostly lines about something else (requests, jobs,
checkpoints). `read` looks for these few byte strings in whole blocks of the file with
`bytes.find` (C speed, no decoding) and hands only the lines that hold one to a format's reader
(issue 19, item 5: 1 GiB in under 20 s). So every wording a reader recognises must contain one
of `KEYWORDS`; `tests/diagnose` checks it for each format's sample line.

Each wording below is quoted from its source:
- PostgreSQL (src/backend/tcop/postgres.c, `ProcessInterrupts`: "terminating connection due to
  idle-session timeout", "terminating connection due to idle-in-transaction timeout", "...due to
  administrator command", ...; `log_disconnections`: "disconnection: session time: %d:%02d:%02d.%03d
  user=%s database=%s host=%s%s%s"; src/backend/libpq/pqcomm.c: "could not receive data from
  client: %m", "unexpected EOF on client connection with an open transaction"; src/backend/tcop/
  postgres.c `SocketBackend`: "unexpected EOF on client connection").
- libpq, as psycopg relays it (src/interfaces/libpq/fe-misc.c / fe-secure-openssl.c: "server
  closed the connection unexpectedly\\n\\tThis probably means the server terminated abnormally",
  "SSL SYSCALL error: EOF detected", "SSL connection has been closed unexpectedly"); psycopg2's
  `InterfaceError: connection already closed` (psycopg/connection_type.c, `EXC_IF_CONN_CLOSED`).
- MySQL client errors (MySQL reference manual, "Client Error Message Reference": 2006
  CR_SERVER_GONE_ERROR "MySQL server has gone away", 2013 CR_SERVER_LOST "Lost connection to MySQL
  server during query"; "Server Error Message Reference": 4031 ER_CLIENT_INTERACTION_TIMEOUT "The
  client was disconnected by the server because of inactivity. See wait_timeout and
  interactive_timeout for configuring this behavior.") and the server's note (MY-010914
  ER_ABORTING_USER_CONNECTION "Aborted connection %u to db: '%s' user: '%s' host: '%s' (%s).",
  with "Got timeout reading communication packets" when a read timed out).
- PgBouncer (src/objects.c: `closing because: %s (age=%us)`; the reasons in src/janitor.c and
  src/client.c: "client_idle_timeout", "server idle timeout", "server lifetime over", "idle
  transaction timeout", and "client close request").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Final

from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.printable import printable

KEYWORDS: Final[tuple[bytes, ...]] = (
    b"connection already closed",
    b"closed the connection unexpectedly",
    b"SSL SYSCALL error",
    b"SSL connection has been closed unexpectedly",
    b"terminating connection due to",
    b"MySQL server has gone away",
    b"Lost connection to MySQL server",
    b"because of inactivity",
    b"could not receive data from client",
    b"unexpected EOF on client connection",
    b"disconnection: session time:",
    b"Aborted connection",
    b"closing because:",
    b"client_idle_timeout",
    b"idle transaction timeout",
)
"""A line holds one of these or no format reads it (the prefilter's whole list)."""

UTC: Final = timezone.utc  # noqa: UP017 (the name read.py and the tests share)

# Zone abbreviations a log prints (PostgreSQL's %t/%m, PgBouncer's strftime %Z) with one meaning
# only; an ambiguous one (CST, IST) or an unknown one leaves the time unknown rather than wrong.
_ZONES: Final[dict[str, int]] = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 60,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "MSK": 180,
    "EST": -300,
    "EDT": -240,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "JST": 540,
    "KST": 540,
    "AEST": 600,
    "AEDT": 660,
}
_OFFSET: Final = re.compile(r"([+-])(\d\d):?(\d\d)?")


def zone(token: str | None, assumed: tzinfo) -> tzinfo | None:
    """The zone a log wrote (`UTC`, `+0000`, `+01:00`, `-03`), `assumed` when it wrote none,
    None when it wrote one that cannot be read without guessing."""
    if not token:
        return assumed
    if token in _ZONES:
        return timezone(timedelta(minutes=_ZONES[token]))
    match = _OFFSET.fullmatch(token)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def at(stamp: str, token: str | None, assumed: tzinfo) -> datetime | None:
    """`YYYY-MM-DD HH:MM:SS[.,fff]` (or with a `T`) in its zone, as UTC; None if unreadable.

    A time with no zone is taken in `assumed` (UTC unless the caller says otherwise: servers and
    containers usually log in UTC; the correlation states the clock offset it allows)."""
    try:
        when = datetime.fromisoformat(stamp.replace(",", "."))
    except ValueError:
        return None
    if when.tzinfo is None:
        tz = zone(token, assumed)
        if tz is None:
            return None
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)


def detail(text: str) -> str:
    """The matched text as evidence shows it: printable, one line, at most 200 characters."""
    text = printable(text.strip())
    limit = ev.DETAIL_LIMIT
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SESSION: Final = re.compile(r"(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?")


def session_time(text: str) -> timedelta | None:
    """PostgreSQL's `H:MM:SS.fff` session time (hours not wrapped at 24)."""
    match = _SESSION.fullmatch(text)
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    return timedelta(
        hours=int(hours), minutes=int(minutes), seconds=int(seconds), microseconds=micro
    )


def app_what(text: str) -> str | None:
    """What an application's error line says, most specific first: the server's own reason
    (`terminating connection due to ...`) before the symptom libpq reports after it."""
    if "terminating connection due to" in text:
        return ev.APP_TERMINATING
    if "connection already closed" in text:
        return ev.APP_CONNECTION_CLOSED
    if "closed the connection unexpectedly" in text:
        return ev.APP_SERVER_CLOSED
    if "SSL SYSCALL error" in text or "SSL connection has been closed unexpectedly" in text:
        return ev.APP_SSL_EOF
    if "MySQL server has gone away" in text:
        return ev.APP_MYSQL_GONE
    if "Lost connection to MySQL server" in text:
        return ev.APP_MYSQL_LOST
    if "disconnected by the server because of inactivity" in text:
        return ev.APP_MYSQL_INACTIVE
    if "client_idle_timeout" in text or "idle transaction timeout" in text:
        return ev.APP_POOLER_CLOSED
    return None


def postgres_what(message: str) -> str | None:
    """What a PostgreSQL server message says (the text after `FATAL:  `, `LOG:  `, ...)."""
    if message.startswith("terminating connection due to"):
        if message.startswith("terminating connection due to idle-session timeout"):
            return ev.PG_IDLE_SESSION
        if message.startswith("terminating connection due to idle-in-transaction timeout"):
            return ev.PG_IDLE_IN_TRANSACTION
        return ev.PG_TERMINATED
    if message.startswith("could not receive data from client"):
        return ev.PG_CLIENT_RESET
    if message.startswith("unexpected EOF on client connection"):
        return ev.PG_UNEXPECTED_EOF
    if message.startswith("disconnection: session time:"):
        return ev.PG_DISCONNECTION
    return None


PGBOUNCER_REASONS: Final[dict[str, str]] = {
    "client_idle_timeout": ev.PGBOUNCER_CLIENT_IDLE,
    "idle transaction timeout": ev.PGBOUNCER_IDLE_TRANSACTION,
    "server idle timeout": ev.PGBOUNCER_SERVER_IDLE,
    "server lifetime over": ev.PGBOUNCER_SERVER_LIFETIME,
    "client close request": ev.PGBOUNCER_CLIENT_CLOSE,
}
"""PgBouncer's `closing because:` reasons that say which timeout (or the client) closed it."""


def mysql_what(reason: str) -> str:
    """An `Aborted connection` note's reason in parentheses: a timeout, or anything else."""
    if "Got timeout reading communication packets" in reason:
        return ev.MYSQL_ABORTED_TIMEOUT
    return ev.MYSQL_ABORTED_OTHER
