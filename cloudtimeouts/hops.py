"""The hop kinds: one table from which the profile's hop models, its schema, the guard's facts
and the docs' table are made.

This module is about hop *kinds* (PgBouncer, a managed proxy, a load balancer…): what a kind's
timeouts close and their defaults. The hops of one profile, in order from Django to the server,
are its `path:`, judged by the path guard (`path_guard`), a different concept.

A hop's timeout closes one of three things, and only two of them can hurt Django:
- `client`: the connection Django holds, once it has been idle that long (PgBouncer
  `client_idle_timeout`, a proxy's idle client timeout, a load balancer's or NAT's TCP idle
  timeout). Judged against Django's idle budget between requests.
- `transaction`: Django's connection, once it has been idle that long inside an open transaction
  (PgBouncer `idle_transaction_timeout`). Judged against `django.max_idle_in_transaction`.
- `server`: the pooler's own connections to the server (PgBouncer `server_idle_timeout`,
  `server_lifetime`): the pooler reconnects by itself, Django never sees it. Shown, not judged.

The kinds below are the ones any cloud (or none) may have. A cloud adds the kinds only it runs
(a managed proxy, a pooler built into its servers) in its provider package, and says what its
own load balancers and NATs default to and do on an expired flow (`cloud.Network`); `kinds()`
is the whole table.

Sources:
- PgBouncer: pgbouncer.org/config.html (= pgbouncer/pgbouncer doc/config.md) — client_idle_timeout
  0 (disabled), idle_transaction_timeout 0 (disabled), server_idle_timeout 600 s, server_lifetime
  3600 s; all in seconds. `server_lifetime = 0` is not "disabled": "Setting it to 0 means the
  connection is to be used only once, then closed" (config.md, server_lifetime).
- Load balancers and NATs have no default of their own here: each cloud's is in its package. A
  hop whose provider is not given gets the smallest documented default of its kind among the
  clouds: the guard assumes the hop that closes soonest. A custom hop must give its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Literal

from cloudtimeouts import cloud as clouds
from cloudtimeouts.catalog import ParameterSpec
from cloudtimeouts.cloud import Expiry
from cloudtimeouts.durations import Duration

Closes = Literal["client", "transaction", "server"]
# What 0 means for a timeout: most turn off; PgBouncer's server_lifetime uses a connection once.
ZeroMeans = Literal["disabled", "used once"]
# Whether a hop forwards Django's TCP connection as it is ("passes": the server's keepalives
# reach the hops before it), ends it and opens its own ("terminates"), or says so in the
# profile's `tcp:` key ("declared": absent means terminates, the conservative answer).
Tcp = Literal["passes", "terminates", "declared"]
# Where cloudtimeouts writes a hop's timeouts: nowhere (you run it, the profile declares them),
# on a target that names the hop (a managed proxy), or as server parameters of every server of
# the hop's cloud in the profile (a pooler built into the server).
WrittenOn = Literal["", "target", "server"]


@dataclass(frozen=True, slots=True)
class HopTimeout:
    name: str  # the native name, as the profile spells it
    closes: Closes
    default: Duration | None  # None: the cloud's (network hops), else the profile must give it
    zero: ZeroMeans = "disabled"


@dataclass(frozen=True, slots=True)
class HopKind:
    """One kind of hop: its timeouts and what the guard must know of it.

    `network`: a TCP idle timeout of its own whose default and expiry depend on the cloud that
    runs it (`provider:` picks it). `parameters`: for a hop cloudtimeouts writes (`written_on`),
    each settable timeout's parameter as its cloud names it; a timeout of the kind without one
    cannot be set there and keeps its default (`lacks` says why, in the profile error)."""

    kind: str
    timeouts: tuple[HopTimeout, ...]
    title: str  # "a PgBouncer": messages and docs
    tcp: Tcp
    network: bool = False
    pooler: bool = False  # a PgBouncer whose admin console verify can read
    cloud: str = ""  # the cloud that runs it; "" for any
    written_on: WrittenOn = ""
    parameters: Mapping[str, ParameterSpec] = field(default_factory=dict)
    lacks: str = ""  # why the timeouts without a parameter cannot be set on this kind

    def timeout(self, name: str) -> HopTimeout:
        return next(timeout for timeout in self.timeouts if timeout.name == name)


def _s(seconds: int) -> Duration:
    return Duration.of_seconds(seconds)


PGBOUNCER_TIMEOUTS = (
    HopTimeout("client_idle_timeout", "client", _s(0)),
    HopTimeout("idle_transaction_timeout", "transaction", _s(0)),
    HopTimeout("server_idle_timeout", "server", _s(600)),
    HopTimeout("server_lifetime", "server", _s(3600), zero="used once"),
)
_IDLE = (HopTimeout("idle_timeout", "client", None),)

_COMMON = (
    HopKind("pgbouncer", PGBOUNCER_TIMEOUTS, "a PgBouncer", "terminates", pooler=True),
    HopKind("load-balancer", _IDLE, "a load balancer", "passes", network=True),
    HopKind("nat", _IDLE, "a NAT gateway", "passes", network=True),
    HopKind("custom", _IDLE, "a custom hop", "declared", network=True),
)


@cache
def kinds() -> Mapping[str, HopKind]:
    """The whole table: the common kinds, then each cloud's own, in registration order."""
    table = {kind.kind: kind for kind in _COMMON}
    for described in clouds.clouds().values():
        table.update((kind.kind, kind) for kind in described.hop_kinds)
    return MappingProxyType(table)


def default(kind: str, timeout: HopTimeout, provider: str | None) -> Duration | None:
    """A timeout's value when the profile gives none: the kind's own, else (network hops) the
    given cloud's, else the smallest among the clouds that document one."""
    if timeout.default is not None or not kinds()[kind].network:
        return timeout.default
    found = {
        name: described.network[kind].idle_default
        for name, described in clouds.clouds().items()
        if kind in described.network
    }
    if provider is not None and provider in found:
        return found[provider]
    return min(found.values()) if found else None


def expiry(kind: str, provider: str | None) -> Expiry:
    """What a hop of this kind answers to a packet on a flow it has forgotten: "reset" (a
    health check fails fast and Django reconnects) or "silent" (the check waits for its own
    timeout). Unknown providers, custom hops, poolers and proxies: "silent", the conservative
    answer, since nothing here confirms they fail fast; each cloud cites its own."""
    if provider is None or provider not in clouds.clouds():
        return "silent"
    network = clouds.cloud(provider).network.get(kind)
    return network.expiry if network is not None else "silent"


def passes_tcp(hop: object) -> bool:
    """Whether the hop forwards Django's TCP connection to the next hop as it is, so that the
    server's TCP keepalives reach the hops before it (see `Tcp`)."""
    tcp = kinds()[getattr(hop, "kind")].tcp  # noqa: B009 - any profile hop model
    if tcp == "declared":
        return getattr(hop, "tcp", None) == "passthrough"
    return tcp == "passes"
