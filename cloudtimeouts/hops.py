"""What each kind of hop between Django and the server closes, and its documented defaults.

A hop's timeout closes one of three things, and only two of them can hurt Django:
- `client`: the connection Django holds, once it has been idle that long (PgBouncer
  `client_idle_timeout`, RDS Proxy `IdleClientTimeout`, a load balancer's or NAT's TCP idle
  timeout). Judged against Django's idle budget between requests.
- `transaction`: Django's connection, once it has been idle that long inside an open transaction
  (PgBouncer `idle_transaction_timeout`). Judged against `django.max_idle_in_transaction`.
- `server`: the pooler's own connections to the server (PgBouncer `server_idle_timeout`,
  `server_lifetime`): the pooler reconnects by itself, Django never sees it. Shown, not judged.

Sources, per kind:
- PgBouncer: pgbouncer.org/config.html — client_idle_timeout 0 (disabled), idle_transaction_timeout
  0 (disabled), server_idle_timeout 600 s, server_lifetime 3600 s; all in seconds.
- Azure Database for PostgreSQL's built-in PgBouncer: learn.microsoft.com/azure/postgresql/
  flexible-server/concepts-pgbouncer and its server-parameters-table-pgbouncer (the `pgbouncer.*`
  server parameters); what it does not list keeps PgBouncer's own default.
- RDS Proxy: Amazon RDS User Guide, "RDS Proxy connection considerations": IdleClientTimeout
  "The default is 1,800 seconds (30 minutes)".
- Load balancers: AWS Network Load Balancer TCP idle timeout 350 s (Elastic Load Balancing,
  "Network Load Balancers", connection idle timeout); Azure Load Balancer 4 minutes by default
  (Azure Load Balancer, "TCP reset and idle timeout"); Google Cloud passthrough Network Load
  Balancers track TCP connections for 600 s idle (Cloud Load Balancing, "connection tracking").
- NAT: AWS NAT gateway 350 s (VPC User Guide, "NAT gateway basics": idle timeout of 350 seconds);
  Azure NAT Gateway 4 minutes by default ("Design virtual networks with NAT gateway"); Google
  Cloud NAT TCP established connection idle timeout 1200 s (Cloud NAT, "NAT timeouts").
- A hop whose provider is not given gets the smallest documented default of its kind: the
  guard assumes the hop that closes soonest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from cloudtimeouts.catalog import Provider
from cloudtimeouts.durations import Duration

Closes = Literal["client", "transaction", "server"]
HopKind = Literal["rds-proxy", "pgbouncer", "azure-pgbouncer", "load-balancer", "nat", "custom"]
NETWORK_KINDS = frozenset({"load-balancer", "nat", "custom"})  # TCP state: keepalives refresh it


@dataclass(frozen=True, slots=True)
class HopTimeout:
    name: str  # the native name, as the profile spells it
    closes: Closes
    default: Duration | None  # None: no documented default (the profile must give it)
    defaults_by_provider: Mapping[Provider, Duration] = field(default_factory=dict)

    def default_for(self, provider: Provider | None) -> Duration | None:
        if provider is not None and provider in self.defaults_by_provider:
            return self.defaults_by_provider[provider]
        if self.defaults_by_provider:
            return min(self.defaults_by_provider.values())
        return self.default


def _s(seconds: int) -> Duration:
    return Duration.of_seconds(seconds)


_PGBOUNCER = (
    HopTimeout("client_idle_timeout", "client", _s(0)),
    HopTimeout("idle_transaction_timeout", "transaction", _s(0)),
    HopTimeout("server_idle_timeout", "server", _s(600)),
    HopTimeout("server_lifetime", "server", _s(3600)),
)

KINDS: Mapping[str, tuple[HopTimeout, ...]] = MappingProxyType(
    {
        "pgbouncer": _PGBOUNCER,
        "azure-pgbouncer": _PGBOUNCER,
        "rds-proxy": (HopTimeout("idle_client_timeout", "client", _s(1800)),),
        "load-balancer": (
            HopTimeout(
                "idle_timeout",
                "client",
                None,
                MappingProxyType(
                    {Provider.AWS: _s(350), Provider.AZURE: _s(240), Provider.GCP: _s(600)}
                ),
            ),
        ),
        "nat": (
            HopTimeout(
                "idle_timeout",
                "client",
                None,
                MappingProxyType(
                    {Provider.AWS: _s(350), Provider.AZURE: _s(240), Provider.GCP: _s(1200)}
                ),
            ),
        ),
        "custom": (HopTimeout("idle_timeout", "client", None),),
    }
)
