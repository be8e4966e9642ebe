"""GCP as the core sees it: Cloud SQL's targets and Google Cloud's network hops.

Imports no SDK. Cloud SQL: an unset flag keeps the engine's default; its flag tables
(cloud.google.com/sql/docs/postgres/flags and /mysql/flags) list ranges but no default of their
own for these timeouts, so no default is overridden here, and the adapter reads each flag's range
and restart behaviour from flags.list at run time.
"""

from __future__ import annotations

from cloudtimeouts.catalog import Engine
from cloudtimeouts.cloud import Cloud, Network
from cloudtimeouts.durations import Duration
from cloudtimeouts.providers.gcp.target import GcpTarget

CLOUD = Cloud(
    name="gcp",
    target=GcpTarget,
    engines=frozenset({Engine.POSTGRES, Engine.MYSQL}),  # Cloud SQL has no MariaDB
    adapter="cloudtimeouts.providers.gcp:GcpAdapter",
    terraform="cloudtimeouts.providers.gcp.terraform:TERRAFORM",
    imports="cloudtimeouts.providers.gcp.imports:IMPORTS",
    # Cloud Logging's entries.list (`logs`), through the face like the adapter
    logs="cloudtimeouts.providers.gcp:server_logs",
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
