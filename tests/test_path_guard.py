"""The path guard: Django's idle budget against every hop's timeout, and the server's."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudtimeouts.budget import budget_of
from cloudtimeouts.durations import Duration
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.path_guard import path_findings
from cloudtimeouts.profile import Profile, parse_profile


def profile(django: str, server: str = "{}", path: str = "[]", engine: str = "postgres") -> Profile:
    return parse_profile(
        f"name: chain\nengine: {engine}\ndjango: {django}\nserver: {server}\npath: {path}\n",
        "chain.yaml",
    )


def refused(p: Profile) -> list[str]:
    return sorted(f.parameter for f in judge_offline(p).refusals)


def test_pgbouncer_defaults_close_no_client_connection() -> None:
    # client_idle_timeout and idle_transaction_timeout are off by default; server_* never matter
    p = profile("{conn_max_age: 1d}", "{idle_session_timeout: 0}", "[{kind: pgbouncer, name: pgb}]")
    assert refused(p) == []


def test_a_hop_that_closes_idle_clients_before_django_is_refused_by_name() -> None:
    p = profile(
        "{conn_max_age: 10min}",
        "{idle_session_timeout: 1h}",
        "[{kind: pgbouncer, name: pgb, client_idle_timeout: 5min}]",
    )
    (finding,) = judge_offline(p).refusals
    assert finding.parameter == "pgb.client_idle_timeout"
    assert finding.message.startswith(
        "path pgbouncer pgb: client_idle_timeout = 300 s (from the profile) is not above "
        "CONN_MAX_AGE 600 s. The pgbouncer closes a connection once it has been idle for 300 s"
    )


def test_rds_proxy_and_network_hops_use_the_defaults_the_catalog_cites() -> None:
    proxy = profile(
        "{conn_max_age: 30min}", "{idle_session_timeout: 0}", "[{kind: rds-proxy, name: p}]"
    )
    assert refused(proxy) == ["p.idle_client_timeout"]  # 1800 s default, not above 1800 s
    nlb = profile("{conn_max_age: 6min}", "{idle_session_timeout: 0}",
                  "[{kind: load-balancer, name: nlb, provider: aws}]")  # fmt: skip
    assert refused(nlb) == ["nlb.idle_timeout"]  # 350 s
    any_nat = profile("{conn_max_age: 5min}", "{idle_session_timeout: 0}", "[{kind: nat, name: n}]")
    assert refused(any_nat) == ["n.idle_timeout"]  # no provider: the smallest default, 240 s


def test_keepalives_keep_a_network_hop_open_but_never_a_pooler() -> None:
    path = "[{kind: pgbouncer, name: pgb, client_idle_timeout: 5min}, " \
           "{kind: load-balancer, name: nlb, provider: aws}]"  # fmt: skip
    p = profile(
        "{conn_max_age: 10min}", "{idle_session_timeout: 1h, tcp_keepalives_idle: 60}", path
    )
    assert refused(p) == ["pgb.client_idle_timeout"]
    (note,) = path_findings(p)[1]
    assert note.parameter == "nlb.idle_timeout"
    assert "is kept open: the server's tcp_keepalives_idle 60 s" in note.message


def test_transaction_idle_timeouts_are_judged_against_max_idle_in_transaction() -> None:
    server = "{idle_session_timeout: 0, idle_in_transaction_session_timeout: 60s}"
    today = profile("{conn_max_age: 10min}", server)
    assert refused(today) == ["idle_in_transaction_session_timeout"]  # the old rule stays
    declared = profile("{conn_max_age: 10min, max_idle_in_transaction: 30s}", server)
    assert refused(declared) == []
    too_long = profile("{conn_max_age: 10min, max_idle_in_transaction: 60s}", server)
    assert refused(too_long) == ["idle_in_transaction_session_timeout"]


def test_a_pool_without_health_checks_keeps_min_size_connections_unchecked_forever() -> None:
    # psycopg_pool enforces max_lifetime only when a connection is returned (proven on real
    # Django: tests/contrib/test_whole_path.py)
    server = "{idle_session_timeout: 10min, idle_in_transaction_session_timeout: 0}"
    unchecked = profile("{conn_max_age: 0, conn_health_checks: false, pool: {min_size: 2}}", server)
    (finding,) = judge_offline(unchecked).refusals
    assert "min_size connections is unlimited" in finding.message
    assert "Turn conn_health_checks on" in finding.message
    checked = profile("{conn_max_age: 0, conn_health_checks: true, pool: {min_size: 2}}", server)
    assert refused(checked) == []
    no_min = profile(
        "{conn_max_age: 0, conn_health_checks: false, "
        "pool: {min_size: 0, max_size: 2, max_idle: 3min}}",
        server,
    )
    assert refused(no_min) == []  # at most (2 + 1) x 3min = 9min idle, below 10min
    assert budget_of(no_min.django).session == Duration.of_seconds(540)
    slower = profile(
        "{conn_max_age: 0, conn_health_checks: false, "
        "pool: {min_size: 0, max_size: 3, max_idle: 3min}}",
        server,
    )
    assert refused(slower) == ["idle_session_timeout"]  # (3 + 1) x 3min = 12min


def test_a_checked_pool_still_loses_a_flow_a_nat_dropped_silently() -> None:
    # Cloud NAT drops a packet on a forgotten flow: the pool's check waits instead of failing
    silent = profile("{conn_max_age: 0, pool: {min_size: 1}}", "{idle_session_timeout: 0}",
                     "[{kind: nat, name: n, provider: gcp}]")  # fmt: skip
    assert refused(silent) == ["n.idle_timeout"]
    (finding,) = judge_offline(silent).refusals
    assert "drops a packet on a flow it has forgotten silently" in finding.message
    # an AWS NAT gateway answers with a TCP RST: the check fails at once and the pool reconnects
    reset = profile("{conn_max_age: 0, pool: {min_size: 1}}", "{idle_session_timeout: 0}",
                    "[{kind: nat, name: n, provider: aws}]")  # fmt: skip
    assert refused(reset) == []
    unchecked = profile("{conn_max_age: 0, conn_health_checks: false, pool: {min_size: 1}}",
                        "{idle_session_timeout: 0}",
                        "[{kind: nat, name: n, provider: aws}]")  # fmt: skip
    assert refused(unchecked) == ["n.idle_timeout"]  # no check, nothing to fail fast


@settings(max_examples=200, deadline=None)
@given(
    conn_max_age=st.integers(0, 100_000),
    margin=st.integers(0, 1000),
    timeout=st.integers(1, 200_000),
    keepalive=st.one_of(st.none(), st.integers(1, 200_000)),
    kind=st.sampled_from(["pgbouncer", "rds-proxy", "load-balancer", "nat", "custom"]),
)
def test_a_client_idle_hop_is_refused_exactly_when_django_may_outlive_it(
    conn_max_age: int, margin: int, timeout: int, keepalive: Any, kind: str
) -> None:
    name = {"pgbouncer": "client_idle_timeout", "rds-proxy": "idle_client_timeout"}.get(
        kind, "idle_timeout"
    )
    server = (
        "{idle_session_timeout: 0"
        + (f", tcp_keepalives_idle: {keepalive}" if keepalive else "")
        + "}"
    )
    p = parse_profile(
        f"name: chain\nengine: postgres\ndjango: {{conn_max_age: {conn_max_age}}}\n"
        f"guard: {{margin: {margin}}}\nserver: {server}\n"
        f"path: [{{kind: {kind}, name: h, {name}: {timeout}}}]\n",
        "chain.yaml",
    )
    # a custom hop is taken to end the TCP connection unless it says `tcp: passthrough`
    kept_open = kind in ("load-balancer", "nat") and keepalive and keepalive + margin < timeout
    expected = not kept_open and conn_max_age + margin >= timeout
    assert (refused(p) == [f"h.{name}"]) is expected


def test_server_keepalives_do_not_reach_a_hop_in_front_of_a_pooler_djangos_do() -> None:
    server = "{idle_session_timeout: 0, tcp_keepalives_idle: 60}"
    pgb, nat = "{kind: pgbouncer, name: pgb}", "{kind: nat, name: n, provider: aws}"
    behind = profile("{conn_max_age: 10min}", server, f"[{pgb}, {nat}]")
    assert refused(behind) == []  # Django → PgBouncer → NAT → server: the NAT sees keepalives
    (note,) = path_findings(behind)[1]
    assert "the server's tcp_keepalives_idle" in note.message
    in_front = profile("{conn_max_age: 10min}", server, f"[{nat}, {pgb}]")
    assert refused(in_front) == ["n.idle_timeout"]  # Django → NAT → PgBouncer: the server's miss it
    djangos = profile("{conn_max_age: 10min, keepalives_idle: 60}", server, f"[{nat}, {pgb}]")
    assert refused(djangos) == []  # Django's own keepalives_idle reach it
    (note,) = path_findings(djangos)[1]
    assert "Django's keepalives_idle 60 s" in note.message
    pgb2 = "{kind: pgbouncer, name: pgb2}"
    between = profile(
        "{conn_max_age: 10min, keepalives_idle: 60}", server, f"[{pgb}, {nat}, {pgb2}]"
    )
    assert refused(between) == ["n.idle_timeout"]  # between two poolers: neither end's reach it


def test_a_keepalive_credits_a_hop_only_with_the_margin() -> None:
    server = "{idle_session_timeout: 0, tcp_keepalives_idle: 349}"
    nat = "[{kind: nat, name: n, provider: aws}]"  # AWS NAT gateway: 350 s
    assert refused(profile("{conn_max_age: 10min}", server, nat)) == []
    tight = profile("{conn_max_age: 10min}\nguard: {margin: 60s}", server, nat)
    assert refused(tight) == ["n.idle_timeout"]  # 349 s + 60 s is not before 350 s
