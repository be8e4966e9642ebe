"""hops: each kind's documented defaults, what 0 means, what a hop does on an expired flow, and
which hops pass Django's TCP connection through (sources in cloudtimeouts/hops.py)."""

from __future__ import annotations

import pytest

from cloudtimeouts import hops
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import expiry, kinds, passes_tcp
from cloudtimeouts.profile import parse_profile

BASE = "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 5min\npath:\n"


def default(kind: str, name: str, provider: str | None) -> Duration | None:
    return hops.default(kind, kinds()[kind].timeout(name), provider)


@pytest.mark.parametrize(
    ("kind", "provider", "seconds"),
    [
        ("load-balancer", "aws", 350),
        ("load-balancer", "azure", 240),
        ("load-balancer", "gcp", 60),  # external passthrough NLB; internal: 10 min
        ("load-balancer", None, 60),  # the smallest of its kind
        ("nat", "aws", 350),
        ("nat", "azure", 240),
        ("nat", "gcp", 1200),
        ("nat", None, 240),
    ],
)
def test_network_defaults(kind: str, provider: str | None, seconds: int) -> None:
    assert default(kind, "idle_timeout", provider) == Duration.of_seconds(seconds)


@pytest.mark.parametrize(
    ("name", "seconds"),
    [
        ("client_idle_timeout", 0),
        ("idle_transaction_timeout", 0),
        ("server_idle_timeout", 600),
        ("server_lifetime", 3600),
    ],
)
def test_pgbouncer_defaults(name: str, seconds: int) -> None:
    assert default("pgbouncer", name, None) == Duration.of_seconds(seconds)


def test_rds_proxy_default() -> None:
    assert default("rds-proxy", "idle_client_timeout", None) == Duration.of_seconds(1800)


def test_zero_means_disabled_except_server_lifetime_where_it_means_used_once() -> None:
    zero = {t.name: t.zero for t in kinds()["pgbouncer"].timeouts}
    assert zero == {
        "client_idle_timeout": "disabled",
        "idle_transaction_timeout": "disabled",
        "server_idle_timeout": "disabled",
        "server_lifetime": "used once",
    }


@pytest.mark.parametrize(
    ("kind", "provider", "answer"),
    [
        ("load-balancer", "aws", "reset"),
        ("nat", "aws", "reset"),
        ("load-balancer", "azure", "silent"),  # unless TCP reset on idle is enabled
        ("nat", "azure", "reset"),
        ("load-balancer", "gcp", "silent"),
        ("nat", "gcp", "silent"),
        ("load-balancer", None, "silent"),
        ("nat", None, "silent"),
        ("custom", "aws", "silent"),
        ("pgbouncer", None, "silent"),
        ("rds-proxy", "aws", "silent"),
    ],
)
def test_expiry(kind: str, provider: str | None, answer: str) -> None:
    assert expiry(kind, provider) == answer


@pytest.mark.parametrize(
    ("hop", "passes"),
    [
        ("{kind: load-balancer, name: h}", True),
        ("{kind: nat, name: h}", True),
        ("{kind: custom, name: h, idle_timeout: 1h}", False),
        ("{kind: custom, name: h, idle_timeout: 1h, tcp: terminates}", False),
        ("{kind: custom, name: h, idle_timeout: 1h, tcp: passthrough}", True),
        ("{kind: pgbouncer, name: h}", False),
        ("{kind: azure-pgbouncer, name: h}", False),
        ("{kind: rds-proxy, name: h}", False),
    ],
)
def test_passes_tcp(hop: str, passes: bool) -> None:
    (parsed,) = parse_profile(BASE + f"  - {hop}\n").path
    assert passes_tcp(parsed) is passes
