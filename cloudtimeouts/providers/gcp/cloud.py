"""GCP as the core sees it: Cloud SQL's targets and Google Cloud's network hops.

Imports no SDK. Cloud SQL: an unset flag keeps the engine's default; its flag tables
(cloud.google.com/sql/docs/postgres/flags and /mysql/flags) list ranges but no default of their
own for these timeouts, so no default is overridden here, and the adapter reads each flag's range
and restart behaviour from flags.list at run time.
"""

from __future__ import annotations

from cloudtimeouts.catalog import Engine
from cloudtimeouts.cloud import Cloud, LogExport, LogPrefix, Network
from cloudtimeouts.durations import Duration
from cloudtimeouts.providers.gcp.target import GcpTarget

# Cloud SQL for PostgreSQL writes `%m [%p]: [%l-1] db=%d,user=%u ` to its postgres.log (as
# Cloud Logging shows it in `textPayload`). Google's documentation does not print this prefix:
# it is the one a Cloud SQL user reported as the instance's `log_line_prefix` (pgBadger issue
# 699, "Problems with GCP CloudSQL Postgresql logs"), and pgBadger detects Cloud SQL logs by it.
CLOUDSQL_POSTGRES_LOG = LogPrefix(
    "cloudsql-postgres", r" \[(?P<pid>\d+)\]: \[\d+-\d+\] db=(?P<db>[^,]*),user=(?P<user>\S*) "
)
# Cloud Logging's export of an entry (`gcloud logging read --format=json`, a sink's JSON): the
# server's line in `textPayload`, the entry's time in `timestamp` (Google Cloud, "LogEntry").
CLOUD_LOGGING_EXPORT = LogExport("cloudsql-json", text="textPayload", time="timestamp")


CLOUD = Cloud(
    name="gcp",
    target=GcpTarget,
    engines=frozenset({Engine.POSTGRES, Engine.MYSQL}),  # Cloud SQL has no MariaDB
    adapter="cloudtimeouts.providers.gcp:GcpAdapter",
    terraform="cloudtimeouts.providers.gcp.terraform:TERRAFORM",
    imports="cloudtimeouts.providers.gcp.imports:IMPORTS",
    # Cloud Logging's entries.list (`logs`), through the face like the adapter
    logs="cloudtimeouts.providers.gcp:server_logs",
    log_prefixes=(CLOUDSQL_POSTGRES_LOG,),
    log_exports=(CLOUD_LOGGING_EXPORT,),
    network={
        # Passthrough Network Load Balancers:
        # `BackendServiceConnectionTrackingPolicy.idleTimeoutSec`
        # "For internal passthrough Network Load Balancers: The minimum (default) is 10 minutes ...
        # For external passthrough Network Load Balancers the default is 60 seconds" (Compute
        # Engine API reference). A profile cannot say internal or external, so the smaller, 60 s:
        # for an internal one, declare `idle_timeout: 10min`. After idleTimeoutSec: unconfirmed
        # whether it resets; silent either way.
        "load-balancer": Network(Duration.of_seconds(60), "silent"),
        # Cloud NAT `tcpEstablishedIdleTimeoutSec` "Defaults to 1200s if not set" (Compute API
        # RouterNat). It drops the mapping without a reset: unconfirmed by Google's own docs
        # (secondary: oneuptime.com's Cloud NAT timeouts post); silent either way.
        "nat": Network(Duration.of_seconds(1200), "silent"),
    },
    sdk_roots=frozenset({"google", "grpc"}),
)
