"""One line of evidence: what a log line says happened to a database connection, and when.

Why a closed set of names: `diagnose` correlates the application's errors with what the server,
the pooler or the proxy said at about the same time, and the correlation (and the verdict that
names the timeout that fired) matches on `what`, never on a format's own wording. Each format's
reader (`formats*`) maps its wording onto these names, citing where the wording comes from; a
reader that cannot tell two causes apart picks the vaguer name (`APP_SERVER_CLOSED` rather than
guessing which timeout it was), so that the verdict never believes more than the line said.

Every `Evidence` is immutable and small (slots): memory grows with the evidence found, not with
the size of the log (issue 19, item 5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

Side = Literal["app", "server", "pooler", "proxy"]

# --- the application's side (Django, psycopg, MySQLdb / PyMySQL, as a worker logs them) ---
APP_CONNECTION_CLOSED: Final = "app-connection-closed"
"""psycopg's `InterfaceError: connection already closed`: the connection was found closed before
the query was sent (Django raises it from `cursor()` / `_cursor()` on a dead connection)."""
APP_SERVER_CLOSED: Final = "app-server-closed"
"""libpq's `server closed the connection unexpectedly` (with "This probably means the server
terminated abnormally before or while processing the request.")."""
APP_SSL_EOF: Final = "app-ssl-eof"
"""libpq's `SSL SYSCALL error: EOF detected` (or `SSL connection has been closed unexpectedly`):
the TLS peer went away without a close_notify, as after a proxy or NAT drop."""
APP_TERMINATING: Final = "app-terminating"
"""The server's own FATAL relayed to the client: `terminating connection due to <reason>`
(the reason is kept in `detail`: idle-session timeout, administrator command, ...)."""
APP_MYSQL_GONE: Final = "app-mysql-gone"
"""MySQL client error 2006 CR_SERVER_GONE_ERROR `MySQL server has gone away`."""
APP_MYSQL_LOST: Final = "app-mysql-lost"
"""MySQL client error 2013 CR_SERVER_LOST `Lost connection to MySQL server during query`."""
APP_MYSQL_INACTIVE: Final = "app-mysql-inactive"
"""MySQL 8.0.24+ server error 4031 ER_CLIENT_INTERACTION_TIMEOUT `The client was disconnected by
the server because of inactivity.`"""
APP_POOLER_CLOSED: Final = "app-pooler-closed"
"""PgBouncer's reason relayed to the client as the error it closes it with (src/objects.c,
`disconnect_client` sends "FATAL" with the reason): `client_idle_timeout`, `idle transaction
timeout`; psycopg raises it (as Django's `OperationalError: client_idle_timeout`)."""

# --- PostgreSQL's server log ---
PG_IDLE_SESSION: Final = "pg-idle-session"
"""`FATAL: terminating connection due to idle-session timeout` (PostgreSQL 14+,
idle_session_timeout)."""
PG_IDLE_IN_TRANSACTION: Final = "pg-idle-in-transaction"
"""`FATAL: terminating connection due to idle-in-transaction timeout`
(idle_in_transaction_session_timeout)."""
PG_TERMINATED: Final = "pg-terminated"
"""Another `FATAL: terminating connection due to <reason>` (administrator command, conflict
with recovery, transaction timeout, ...): not an idle timeout; the reason is in `detail`."""
PG_CLIENT_RESET: Final = "pg-client-reset"
"""`could not receive data from client: Connection reset by peer`: the client side (or a
middlebox in between) reset the TCP connection."""
PG_UNEXPECTED_EOF: Final = "pg-unexpected-eof"
"""`unexpected EOF on client connection` (`with an open transaction` kept in `detail`)."""
PG_DISCONNECTION: Final = "pg-disconnection"
"""`disconnection: session time: H:MM:SS.fff user=... database=... host=...` (log_disconnections);
`session` holds the session time."""

# --- MySQL / MariaDB error log ---
MYSQL_ABORTED_TIMEOUT: Final = "mysql-aborted-timeout"
"""`Aborted connection N to db: ... (Got timeout reading communication packets)`: the server
closed a connection idle past wait_timeout (or interactive_timeout, or MariaDB's
idle_*_transaction_timeout)."""
MYSQL_ABORTED_OTHER: Final = "mysql-aborted-other"
"""Any other `Aborted connection` note (`Got an error reading communication packets`, ...): the
client or the network closed it; the reason is in `detail`."""

# --- PgBouncer ---
PGBOUNCER_CLIENT_IDLE: Final = "pgbouncer-client-idle"
"""`C-0x...: ... closing because: client_idle_timeout` (client_idle_timeout)."""
PGBOUNCER_IDLE_TRANSACTION: Final = "pgbouncer-idle-transaction"
"""`C-0x...: ... closing because: idle transaction timeout` (idle_transaction_timeout)."""
PGBOUNCER_SERVER_IDLE: Final = "pgbouncer-server-idle"
"""`S-0x...: ... closing because: server idle timeout` (server_idle_timeout): the pooler closed
its own server connection; the client keeps its connection to the pooler."""
PGBOUNCER_SERVER_LIFETIME: Final = "pgbouncer-server-lifetime"
"""`S-0x...: ... closing because: server lifetime over` (server_lifetime)."""
PGBOUNCER_CLIENT_CLOSE: Final = "pgbouncer-client-close"
"""`C-0x...: ... closing because: client close request`: the client closed it (not a timeout)."""

# --- a managed proxy ---
PROXY_IDLE_CLIENT: Final = "proxy-idle-client"
"""A managed proxy closed a client connection idle past its idle client timeout (see
`formats_server` for the wording it is recognised by and its source)."""

WHATS: Final = frozenset(
    {
        APP_CONNECTION_CLOSED,
        APP_SERVER_CLOSED,
        APP_SSL_EOF,
        APP_TERMINATING,
        APP_MYSQL_GONE,
        APP_MYSQL_LOST,
        APP_MYSQL_INACTIVE,
        APP_POOLER_CLOSED,
        PG_IDLE_SESSION,
        PG_IDLE_IN_TRANSACTION,
        PG_TERMINATED,
        PG_CLIENT_RESET,
        PG_UNEXPECTED_EOF,
        PG_DISCONNECTION,
        MYSQL_ABORTED_TIMEOUT,
        MYSQL_ABORTED_OTHER,
        PGBOUNCER_CLIENT_IDLE,
        PGBOUNCER_IDLE_TRANSACTION,
        PGBOUNCER_SERVER_IDLE,
        PGBOUNCER_SERVER_LIFETIME,
        PGBOUNCER_CLIENT_CLOSE,
        PROXY_IDLE_CLIENT,
    }
)
"""Every name `Evidence.what` may take."""

DETAIL_LIMIT: Final = 200


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one log line says happened to a connection.

    `at` is timezone-aware UTC, or None when the line (and, for a traceback, the log line it
    belongs to) carries no time. `source` is `path:line` (`-:line` for standard input,
    `<name>:line` for a named stream such as a downloaded log). `client` is `host[:port]` as the
    line gives it. `detail` is the matched text, at most `DETAIL_LIMIT` characters and made
    printable (`cloudtimeouts.printable.printable`): it is outside text.
    """

    at: datetime | None
    source: str
    side: Side
    format: str
    what: str
    pid: int | None = None
    session: timedelta | None = None
    user: str | None = None
    database: str | None = None
    client: str | None = None
    detail: str = ""
