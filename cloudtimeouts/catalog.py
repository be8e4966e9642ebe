"""What cloudtimeouts knows about each engine's timeout parameters.

The catalog is the fallback: when a cloud API reports a parameter's allowed range, apply type or
default, that report wins (see the adapters). Facts below come from the sources cited per row.

Provider defaults differ from the engine's only where a row says so. Cloud SQL: an unset flag keeps
the engine's default; its flag tables (cloud.google.com/sql/docs/postgres/flags and /mysql/flags)
list ranges but no default of their own for these timeouts, so no GCP row overrides one, and the
adapter reads each flag's range and restart behaviour from flags.list at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from cloudtimeouts.durations import Duration, NativeUnit

INT32_MAX = 2_147_483_647
LONG_TIMEOUT = 31_536_000  # MySQL sql/sql_const.h: 3600*24*365 seconds
AURORA_POSTGRESQL = "aurora-postgresql"  # the RDS family prefix of Aurora PostgreSQL
AURORA_MYSQL = "aurora-mysql"


class Engine(StrEnum):
    POSTGRES = "postgres"
    MYSQL = "mysql"
    MARIADB = "mariadb"


class Provider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"


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


# Engines each provider offers (Cloud SQL and Azure flexible server have no MariaDB).
PROVIDER_ENGINES: Mapping[Provider, frozenset[Engine]] = MappingProxyType(
    {
        Provider.AWS: frozenset(Engine),
        Provider.GCP: frozenset({Engine.POSTGRES, Engine.MYSQL}),
        Provider.AZURE: frozenset({Engine.POSTGRES, Engine.MYSQL}),
    }
)


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    name: str
    unit: NativeUnit
    role: Role
    minimum: Duration
    maximum: Duration
    default: Duration
    summary: str
    provider_defaults: Mapping[Provider, Duration] = field(default_factory=dict)
    provider_apply: Mapping[Provider, ApplyType] = field(default_factory=dict)
    # Defaults of one platform, keyed by the prefix of its version (an RDS family such as
    # "aurora-postgresql16"): they win over the provider's and the engine's.
    platform_defaults: Mapping[str, Duration] = field(default_factory=dict)
    # An idle timeout that closes a connection only while a transaction is open and idle: the
    # guard judges it against Django's transaction budget, not the budget between requests
    # (docs/guard.md, 3). Each row that sets it cites its source.
    in_transaction: bool = False

    @property
    def closes_idle_connections(self) -> bool:
        return self.role is Role.IDLE

    def default_for(self, provider: Provider | None, version: str = "") -> Duration:
        for prefix, value in self.platform_defaults.items():
            if version.startswith(prefix):
                return value
        if provider is None:
            return self.default
        return self.provider_defaults.get(provider, self.default)

    def apply_type_for(self, provider: Provider) -> ApplyType:
        return self.provider_apply.get(provider, ApplyType.DYNAMIC)

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
        # Aurora PostgreSQL sets 86400000 ms (24 h), Source `system` (Aurora User Guide,
        # AuroraPostgreSQL.Reference.ParameterGroups: "idle_in_transaction_session_timeout").
        platform_defaults={AURORA_POSTGRESQL: _ms(86_400_000)},
    ),
    _pg_ms("statement_timeout", Role.STATEMENT, "cancels statements running longer than this"),
    _pg_ms("lock_timeout", Role.LOCK, "cancels statements waiting longer than this for a lock"),
    _pg_ms("transaction_timeout", Role.STATEMENT, "cancels transactions older than this (PG17+)"),
    _pg_s(
        "tcp_keepalives_idle",
        Role.KEEPALIVE,
        "idle time before the server sends a TCP keepalive",
        # AWS "Dead connection handling in PostgreSQL" (RDS UserGuide,
        # Appendix.PostgreSQL.CommonDBATasks.DeadConnectionHandling): RDS sets 300 s.
        # Azure concepts-server-parameters, PG16 connection settings table: 120 s.
        provider_defaults={Provider.AWS: _s(300), Provider.AZURE: _s(120)},
    ),
    _pg_s(
        "tcp_keepalives_interval",
        Role.KEEPALIVE,
        "time between unanswered TCP keepalives",
        # Same AWS page: 30 s. Azure PG16 connection settings table: 30 s.
        provider_defaults={Provider.AWS: _s(30), Provider.AZURE: _s(30)},
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
# (MySQL reference manual, innodb-parameters). RDS MySQL keeps the engine defaults (AWS blog
# "Best practices for configuring parameters for Amazon RDS for MySQL, part 3").
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
        "(Aurora MySQL applies the smaller of the two to every session)",
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


# RDS Proxy's IdleClientTimeout, managed on an `rds_proxy` target: seconds, default 1,800 (RDS User
# Guide, "RDS Proxy connection considerations"), 1 s to 8 h (the console's range).
RDS_PROXY_IDLE_CLIENT_TIMEOUT = ParameterSpec(
    "idle_client_timeout",
    NativeUnit.SECONDS,
    Role.IDLE,
    _s(1),
    _s(28_800),
    _s(1_800),
    "closes client connections idle this long (RDS Proxy)",
)

# Azure Database for PostgreSQL's built-in PgBouncer, set as server parameters. Azure's table
# (learn.microsoft.com/azure/postgresql/server-parameters/param-pgbouncer; MicrosoftDocs
# azure-databases-docs articles/postgresql/server-parameters/includes/param-17-pgbouncer.md)
# lists default_pool_size, enabled, ignore_startup_parameters, max_client_conn,
# max_prepared_statements, min_pool_size, pool_mode, query_wait_timeout, server_idle_timeout and
# stats_users: no client_idle_timeout, idle_transaction_timeout or server_lifetime. Of its
# timeouts only server_idle_timeout closes an idle connection ("integer", default 600, allowed
# 0-86400, dynamic; seconds, 0 = disabled: pgbouncer.org/config.html). query_wait_timeout (120 s,
# 0-86400) is how long a client may wait for a server connection, not an idle close: not managed.
# Managed on an Azure target when the profile's path has an azure-pgbouncer hop; the key after
# `pgbouncer.` is the hop's field name. Azure lists them only while pgbouncer.enabled is true.
PGBOUNCER_SERVER_PARAMETERS: Mapping[str, ParameterSpec] = MappingProxyType(
    {
        "pgbouncer.server_idle_timeout": ParameterSpec(
            "pgbouncer.server_idle_timeout",
            NativeUnit.SECONDS,
            Role.NETWORK,
            _s(0),
            _s(86_400),
            _s(600),
            "PgBouncer closes its idle server connections",
        )
    }
)
