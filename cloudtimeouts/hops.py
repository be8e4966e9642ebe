"""What each kind of hop between Django and the server closes, and its documented defaults.

This module is about hop *kinds* (PgBouncer, RDS Proxy, a load balancer…): what a kind's
timeouts close and their defaults. The hops of one profile, in order from Django to the server,
are its `path:`, judged by the path guard (`path_guard`), a different concept.

A hop's timeout closes one of three things, and only two of them can hurt Django:
- `client`: the connection Django holds, once it has been idle that long (PgBouncer
  `client_idle_timeout`, RDS Proxy `IdleClientTimeout`, a load balancer's or NAT's TCP idle
  timeout). Judged against Django's idle budget between requests.
- `transaction`: Django's connection, once it has been idle that long inside an open transaction
  (PgBouncer `idle_transaction_timeout`). Judged against `django.max_idle_in_transaction`.
- `server`: the pooler's own connections to the server (PgBouncer `server_idle_timeout`,
  `server_lifetime`): the pooler reconnects by itself, Django never sees it. Shown, not judged.

Sources, per kind:
- PgBouncer: pgbouncer.org/config.html (= pgbouncer/pgbouncer doc/config.md) — client_idle_timeout
  0 (disabled), idle_transaction_timeout 0 (disabled), server_idle_timeout 600 s, server_lifetime
  3600 s; all in seconds. `server_lifetime = 0` is not "disabled": "Setting it to 0 means the
  connection is to be used only once, then closed" (config.md, server_lifetime).
- Azure Database for PostgreSQL's built-in PgBouncer: its `pgbouncer.*` server parameters
  (learn.microsoft.com/azure/postgresql/server-parameters/param-pgbouncer, and the table of
  .../connectivity/concepts-pgbouncer) include server_idle_timeout (600 s, 0..86400) but no
  client_idle_timeout, idle_transaction_timeout or server_lifetime: a profile may not set those
  (profile.PgBouncerHop), and they keep PgBouncer's own defaults — unconfirmed: Azure's docs do
  not say which values its PgBouncer runs with.
- RDS Proxy: Amazon RDS User Guide, "RDS Proxy connection considerations": IdleClientTimeout
  "The default is 1,800 seconds (30 minutes)".
- Load balancers: AWS Network Load Balancer, "The default idle timeout value for TCP flows is 350
  seconds" (Elastic Load Balancing, docs.aws.amazon.com/elasticloadbalancing/latest/network/
  update-idle-timeout.html; 60-6000 s). Azure Load Balancer 4 minutes by default, 4-100 minutes
  (azure-docs articles/load-balancer/load-balancer-tcp-idle-timeout.md). Google Cloud passthrough
  Network Load Balancers: `BackendServiceConnectionTrackingPolicy.idleTimeoutSec` "For internal
  passthrough Network Load Balancers: The minimum (default) is 10 minutes ... For external
  passthrough Network Load Balancers the default is 60 seconds" (Compute Engine API reference,
  compute_v1 BackendServiceConnectionTrackingPolicy). A profile cannot say internal or external,
  so the gcp default is the smaller, 60 s: for an internal one, declare `idle_timeout: 10min`.
- NAT: AWS NAT gateway 350 s (VPC User Guide, "NAT gateway basics": idle timeout of 350 seconds);
  Azure NAT Gateway 4 minutes by default, 4-120 ("Set-AzNatGateway -IdleTimeoutInMinutes";
  azure-docs articles/nat-gateway/nat-gateway-resource.md); Google Cloud NAT
  `tcpEstablishedIdleTimeoutSec` "Defaults to 1200s if not set" (Compute API RouterNat).
- A hop whose provider is not given gets the smallest documented default of its kind: the
  guard assumes the hop that closes soonest.

What a hop does with a packet on a flow it has forgotten (`expiry`) decides whether a
connection health check fails fast or hangs; see `EXPIRY` for the sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from cloudtimeouts.catalog import Provider
from cloudtimeouts.durations import Duration

if TYPE_CHECKING:
    from cloudtimeouts.profile import Hop

Closes = Literal["client", "transaction", "server"]
HopKind = Literal["rds-proxy", "pgbouncer", "azure-pgbouncer", "load-balancer", "nat", "custom"]
NETWORK_KINDS = frozenset({"load-balancer", "nat", "custom"})  # a TCP idle timeout of their own
# What 0 means for a timeout: most turn off; PgBouncer's server_lifetime uses a connection once.
ZeroMeans = Literal["disabled", "used once"]
# What a hop answers to a packet on a flow it has dropped: a TCP reset (the sender fails fast),
# or nothing (the sender waits for its own timeout: a health check hangs).
Expiry = Literal["reset", "silent"]


@dataclass(frozen=True, slots=True)
class HopTimeout:
    name: str  # the native name, as the profile spells it
    closes: Closes
    default: Duration | None  # None: no documented default (the profile must give it)
    defaults_by_provider: Mapping[Provider, Duration] = field(default_factory=dict)
    zero: ZeroMeans = "disabled"

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
    HopTimeout("server_lifetime", "server", _s(3600), zero="used once"),
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
                    {Provider.AWS: _s(350), Provider.AZURE: _s(240), Provider.GCP: _s(60)}
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

# Confirmed answers to a packet on an expired flow; anything not listed is "silent", the
# conservative assumption (a check that may hang is judged like no check at all).
EXPIRY: Mapping[tuple[str, Provider], Expiry] = MappingProxyType(
    {
        # "If a client attempts to send traffic after the connection is no longer tracked, then
        # NLB responds with a TCP RST" (ELB User Guide for Network Load Balancers, "Connection
        # idle timeout", quoted at kupczynski.info/posts/load-balancer-gotchas).
        ("load-balancer", Provider.AWS): "reset",
        # "When a connection times out, a NAT gateway returns an RST packet to any resources
        # behind the NAT gateway that attempt to continue the connection (it does not send a FIN
        # packet)" (VPC User Guide, vpc-nat-comparison.html, "Timeout behavior").
        ("nat", Provider.AWS): "reset",
        # Azure Load Balancer: "Load Balancer's default behavior is to silently drop flows when
        # the idle timeout of a flow is reached" unless "TCP Reset on Idle" is enabled per rule
        # (azure-docs articles/load-balancer/load-balancer-tcp-reset.md). The profile cannot say
        # it is enabled, so: silent.
        ("load-balancer", Provider.AZURE): "silent",
        # Azure NAT Gateway: "A TCP reset packet is sent when a NAT gateway detects traffic on a
        # connection flow that doesn't exist" (azure-docs articles/nat-gateway/
        # nat-gateway-resource.md, "TCP reset").
        ("nat", Provider.AZURE): "reset",
        # Google Cloud NAT drops the mapping without a reset: unconfirmed by Google's own docs
        # (secondary: oneuptime.com's Cloud NAT timeouts post); silent either way.
        ("nat", Provider.GCP): "silent",
        # Google Cloud passthrough NLB after idleTimeoutSec: unconfirmed; silent.
        ("load-balancer", Provider.GCP): "silent",
    }
)


def expiry(kind: str, provider: Provider | None) -> Expiry:
    """What a hop of this kind answers to a packet on a flow it has forgotten: "reset" (a
    health check fails fast and Django reconnects) or "silent" (the check waits for its own
    timeout). Unknown providers, custom hops, poolers and proxies: "silent", the conservative
    answer, since nothing here confirms they fail fast."""
    if provider is None:
        return "silent"
    return EXPIRY.get((kind, provider), "silent")


def passes_tcp(hop: Hop) -> bool:
    """Whether the hop forwards Django's TCP connection to the next hop as it is, so that the
    server's TCP keepalives reach the hops before it. Load balancers and NATs pass it through
    by nature; a pooler or proxy (PgBouncer, RDS Proxy) ends it and opens its own; a custom hop
    says so with `tcp:`, and when it does not, is taken to end it (a TCP-terminating proxy such
    as HAProxy: the conservative answer)."""
    if hop.kind in ("load-balancer", "nat"):
        return True
    if hop.kind == "custom":
        return getattr(hop, "tcp", None) == "passthrough"
    return False
