"""Azure as the core sees it: flexible servers' targets, defaults, built-in PgBouncer and network.

Imports no SDK: the profile and the offline guard read it; the adapter is loaded on first read.
"""

from __future__ import annotations

from cloudtimeouts.catalog import Engine, ParameterSpec, Role
from cloudtimeouts.cloud import Cloud, LogPrefix, Network
from cloudtimeouts.durations import Duration, NativeUnit
from cloudtimeouts.hops import PGBOUNCER_TIMEOUTS, HopKind
from cloudtimeouts.providers.azure.target import AzureTarget


def _s(seconds: int) -> Duration:
    return Duration.of_seconds(seconds)


# Azure Database for PostgreSQL's built-in PgBouncer, set as server parameters. Azure's table
# (learn.microsoft.com/azure/postgresql/server-parameters/param-pgbouncer; MicrosoftDocs
# azure-databases-docs articles/postgresql/server-parameters/includes/param-17-pgbouncer.md)
# lists default_pool_size, enabled, ignore_startup_parameters, max_client_conn,
# max_prepared_statements, min_pool_size, pool_mode, query_wait_timeout, server_idle_timeout and
# stats_users: no client_idle_timeout, idle_transaction_timeout or server_lifetime. Of its
# timeouts only server_idle_timeout closes an idle connection ("integer", default 600, allowed
# 0-86400, dynamic; seconds, 0 = disabled: pgbouncer.org/config.html). query_wait_timeout (120 s,
# 0-86400) is how long a client may wait for a server connection, not an idle close: not managed.
# Azure lists them only while pgbouncer.enabled is true. The timeouts it does not expose keep
# PgBouncer's own defaults: unconfirmed, Azure's docs do not say which values its PgBouncer runs.
SERVER_IDLE_TIMEOUT = ParameterSpec(
    "pgbouncer.server_idle_timeout",
    NativeUnit.SECONDS,
    Role.NETWORK,
    _s(0),
    _s(86_400),
    _s(600),
    "PgBouncer closes its idle server connections",
)

AZURE_PGBOUNCER = HopKind(
    "azure-pgbouncer",
    PGBOUNCER_TIMEOUTS,
    "Azure's built-in PgBouncer",
    "terminates",
    pooler=True,
    cloud="azure",
    written_on="server",
    parameters={"server_idle_timeout": SERVER_IDLE_TIMEOUT},
    lacks=(
        "Azure's built-in PgBouncer does not expose {name} (there is no pgbouncer.{name} server "
        "parameter), so it cannot be set; it keeps PgBouncer's own default, {default} "
        "(unconfirmed: Azure's docs do not say). Remove the key, or run your own PgBouncer "
        "(kind: pgbouncer)"
    ),
)
# Azure Database for PostgreSQL flexible server's default `log_line_prefix` is `%t-%c-`
# (Microsoft Learn, "Server parameters ... Reporting and Logging / What to Log",
# log_line_prefix); `%c` is the session id, `<start time>.<pid>` in hex (PostgreSQL
# documentation, log_line_prefix `%c`), so the pid is read from it.
AZURE_POSTGRES_LOG = LogPrefix("azure-postgres", r"-(?P<start>[0-9a-f]+)\.(?P<pidhex>[0-9a-f]+)-")


CLOUD = Cloud(
    name="azure",
    target=AzureTarget,
    engines=frozenset({Engine.POSTGRES, Engine.MYSQL}),  # flexible server has no MariaDB
    adapter="cloudtimeouts.providers.azure:AzureAdapter",
    terraform="cloudtimeouts.providers.azure.terraform:TERRAFORM",
    imports="cloudtimeouts.providers.azure.imports:IMPORTS",
    # the server's log files (logFiles - List By Server, then each file's SAS URL: `logs`),
    # through the face like the adapter
    logs="cloudtimeouts.providers.azure:server_logs",
    log_prefixes=(AZURE_POSTGRES_LOG,),
    # concepts-server-parameters, PostgreSQL 16 connection settings table: tcp_keepalives_idle
    # 120 s, tcp_keepalives_interval 30 s.
    defaults={"tcp_keepalives_idle": _s(120), "tcp_keepalives_interval": _s(30)},
    network={
        # Azure Load Balancer: 4 minutes by default, 4-100 minutes (azure-docs articles/
        # load-balancer/load-balancer-tcp-idle-timeout.md). "Load Balancer's default behavior is to
        # silently drop flows when the idle timeout of a flow is reached" unless "TCP Reset on
        # Idle" is enabled per rule (load-balancer-tcp-reset.md); a profile cannot say so: silent.
        "load-balancer": Network(_s(240), "silent"),
        # NAT Gateway: 4 minutes by default, 4-120 ("Set-AzNatGateway -IdleTimeoutInMinutes";
        # nat-gateway-resource.md). "A TCP reset packet is sent when a NAT gateway detects traffic
        # on a connection flow that doesn't exist" (nat-gateway-resource.md, "TCP reset").
        "nat": Network(_s(240), "reset"),
    },
    hop_kinds=(AZURE_PGBOUNCER,),
    sdk_roots=frozenset({"azure", "msal"}),
)
