"""What cloudtimeouts knows about each engine's timeout parameters.

The catalog is the fallback: when a cloud API reports a parameter's allowed range, apply type or
default, that report wins (see the adapters). Facts below come from the sources cited per row.
A cloud or a platform whose defaults differ from the engine's says so in its provider package
(`cloud.Cloud.defaults`, `cloud.Platform.defaults`; `cloud.parameter_default` picks).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from cloudtimeouts.durations import Duration, NativeUnit

INT32_MAX = 2_147_483_647
LONG_TIMEOUT = 31_536_000  # MySQL sql/sql_const.h: 3600*24*365 seconds


class Engine(StrEnum):
    POSTGRES = "postgres"
    MYSQL = "mysql"
    MARIADB = "mariadb"


class Role(StrEnum):
    """Why a parameter matters to a Django connection."""

    IDLE = "idle"  # closes a connection Django may still reuse: the guard checks these
    STATEMENT = "statement"  # cancels a running statement or transaction
    LOCK = "lock"  # gives up waiting for a lock
    KEEPALIVE = "keepalive"  # detects dead peers / keeps NAT state alive
    NETWORK = "network"  # per-packet read/write waits


class ApplyType(StrEnum):
    DYNAMIC = "dynamic"  # takes effect without a restart
    STATIC = "static"  # takes effect only after a restart


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    name: str
    unit: NativeUnit
    role: Role
    minimum: Duration
    maximum: Duration
    default: Duration
    summary: str
    # Every parameter here takes effect without a restart on the engines (PGC_USERSET / SIGHUP,
    # MySQL dynamic variables); a cloud that says otherwise reports it, and its report wins.
    apply_type: ApplyType = ApplyType.DYNAMIC
    # An idle timeout that closes a connection only while a transaction is open and idle: the
    # guard judges it against Django's transaction budget, not the budget between requests
    # (docs/guard.md, 3). Each row that sets it cites its source.
    in_transaction: bool = False

    @property
    def closes_idle_connections(self) -> bool:
        return self.role is Role.IDLE

    def to_native_checked(self, value: Duration) -> str:
        """The value in the native unit; raises DurationError or ValueError naming the range."""
        native = value.to_native(self.unit)
        if not self.minimum <= value <= self.maximum:
            low, high = self.minimum.to_native(self.unit), self.maximum.to_native(self.unit)
            raise ValueError(
                f"{value.human()} is outside the allowed range of {self.name} "
                f"({low}..{high} {self.unit.symbol})"
            )
        return native


def _ms(value: int) -> Duration:
    return Duration(value * 1_000)


def _s(value: int) -> Duration:
    return Duration.of_seconds(value)


def _pg_ms(name: str, role: Role, summary: str, **extra: object) -> ParameterSpec:
    # postgres/postgres src/backend/utils/misc/guc_tables.c: GUC_UNIT_MS, 0..INT_MAX, default 0,
    # PGC_USERSET (reloadable, no restart) for every one of these.
    return ParameterSpec(
        name, NativeUnit.MILLISECONDS, role, _ms(0), _ms(INT32_MAX), _ms(0), summary, **extra
    )  # type: ignore[arg-type]


def _pg_s(name: str, role: Role, summary: str, **extra: object) -> ParameterSpec:
    # guc_tables.c: GUC_UNIT_S, 0..INT_MAX, default 0 (= the operating system's value).
    return ParameterSpec(
        name, NativeUnit.SECONDS, role, _s(0), _s(INT32_MAX), _s(0), summary, **extra
    )  # type: ignore[arg-type]


_POSTGRES = (
    _pg_ms("idle_session_timeout", Role.IDLE, "closes sessions idle outside a transaction (PG14+)"),
    _pg_ms(
        "idle_in_transaction_session_timeout",
        Role.IDLE,
        "closes sessions idle inside an open transaction",
        in_transaction=True,  # PostgreSQL runtime-config-client: "within an open transaction"
    ),
    _pg_ms("statement_timeout", Role.STATEMENT, "cancels statements running longer than this"),
    _pg_ms("lock_timeout", Role.LOCK, "cancels statements waiting longer than this for a lock"),
    _pg_ms("transaction_timeout", Role.STATEMENT, "cancels transactions older than this (PG17+)"),
    _pg_s(
        "tcp_keepalives_idle",
        Role.KEEPALIVE,
        "idle time before the server sends a TCP keepalive",
    ),
    _pg_s(
        "tcp_keepalives_interval",
        Role.KEEPALIVE,
        "time between unanswered TCP keepalives",
    ),
    _pg_ms("tcp_user_timeout", Role.KEEPALIVE, "time unacknowledged data may stay unsent (PG12+)"),
    _pg_ms(
        "client_connection_check_interval",
        Role.KEEPALIVE,
        "how often a running query checks that the client is still there (PG14+)",
    ),
)


def _my_s(
    name: str,
    role: Role,
    summary: str,
    minimum: int,
    maximum: int,
    default: int,
    *,
    in_transaction: bool = False,
) -> ParameterSpec:
    return ParameterSpec(
        name, NativeUnit.SECONDS, role, _s(minimum), _s(maximum), _s(default), summary,
        in_transaction=in_transaction,
    )  # fmt: skip


# mysql/mysql-server sql/sys_vars.cc: Sys_net_wait_timeout VALID_RANGE(1, LONG_TIMEOUT)
# DEFAULT(NET_WAIT_TIMEOUT=28800); net_read 30 / net_write 60; lock_wait_timeout
# DEFAULT(LONG_TIMEOUT); max_execution_time in ms, SELECT only (dev.mysql.com blog
# "server-side select statement timeouts"); innodb_lock_wait_timeout 1..1073741824, default 50
# (MySQL reference manual, innodb-parameters).
_MYSQL_AND_MARIADB_COMMON = (
    _my_s(
        "wait_timeout",
        Role.IDLE,
        "closes non-interactive connections idle this long",
        1,
        LONG_TIMEOUT,
        28800,
    ),
    _my_s(
        "interactive_timeout",
        Role.IDLE,
        "closes interactive connections idle this long "
        "(some platforms apply the smaller of the two to every session)",
        1,
        LONG_TIMEOUT,
        28800,
    ),
    _my_s(
        "net_read_timeout",
        Role.NETWORK,
        "wait for more data from a connection",
        1,
        LONG_TIMEOUT,
        30,
    ),
    _my_s(
        "net_write_timeout",
        Role.NETWORK,
        "wait for a block to be written to a connection",
        1,
        LONG_TIMEOUT,
        60,
    ),
)

_MYSQL = (
    *_MYSQL_AND_MARIADB_COMMON,
    _my_s(
        "lock_wait_timeout", Role.LOCK, "wait for a metadata lock", 1, LONG_TIMEOUT, LONG_TIMEOUT
    ),
    _my_s(
        "innodb_lock_wait_timeout", Role.LOCK, "wait for an InnoDB row lock", 1, 1_073_741_824, 50
    ),
    ParameterSpec(
        "max_execution_time",
        NativeUnit.MILLISECONDS,
        Role.STATEMENT,
        _ms(0),
        _ms(4_294_967_295),
        _ms(0),
        "aborts read-only SELECT statements running longer than this",
    ),
)

# MariaDB knowledge base (mariadb.com/kb): server-system-variables, transaction-timeouts,
# aborting-statements; MariaDB/server sql/sys_vars.cc for lock_wait_timeout (DEFAULT 24*60*60).
_MARIADB = (
    *_MYSQL_AND_MARIADB_COMMON,
    _my_s("lock_wait_timeout", Role.LOCK, "wait for a metadata lock", 0, LONG_TIMEOUT, 86400),
    _my_s("innodb_lock_wait_timeout", Role.LOCK, "wait for an InnoDB row lock", 0, 100_000_000, 50),
    ParameterSpec(
        "max_statement_time",
        NativeUnit.FRACTIONAL_SECONDS,
        Role.STATEMENT,
        _s(0),
        _s(LONG_TIMEOUT),
        _s(0),
        "aborts any statement running longer than this (fractional seconds, µs precision)",
    ),
    # These close the whole connection ("MySQL server has gone away"), not just the transaction,
    # and only while one is open and idle (mariadb.com/kb, transaction-timeouts): in_transaction.
    _my_s(
        "idle_transaction_timeout",
        Role.IDLE,
        "closes connections idle in any transaction",
        0,
        LONG_TIMEOUT,
        0,
        in_transaction=True,
    ),
    _my_s(
        "idle_write_transaction_timeout",
        Role.IDLE,
        "closes connections idle in a read-write transaction",
        0,
        LONG_TIMEOUT,
        0,
        in_transaction=True,
    ),
    _my_s(
        "idle_readonly_transaction_timeout",
        Role.IDLE,
        "closes connections idle in a read-only transaction",
        0,
        LONG_TIMEOUT,
        0,
        in_transaction=True,
    ),
)

CATALOG: Mapping[Engine, Mapping[str, ParameterSpec]] = MappingProxyType(
    {
        engine: MappingProxyType({spec.name: spec for spec in specs})
        for engine, specs in (
            (Engine.POSTGRES, _POSTGRES),
            (Engine.MYSQL, _MYSQL),
            (Engine.MARIADB, _MARIADB),
        )
    }
)


def parameters(engine: Engine) -> Mapping[str, ParameterSpec]:
    return CATALOG[engine]


def idle_parameters(engine: Engine) -> tuple[ParameterSpec, ...]:
    return tuple(spec for spec in CATALOG[engine].values() if spec.closes_idle_connections)
