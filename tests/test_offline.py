"""The offline guard: one structured verdict that validate, explain and django-settings render."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtimeouts.django import idle_timeouts_comment, kept_open
from cloudtimeouts.durations import Duration
from cloudtimeouts.explain import explain
from cloudtimeouts.library import validate
from cloudtimeouts.offline import Judged, OfflineVerdict, judge_offline
from cloudtimeouts.profile import Profile, load_profile, parse_profile

REPO = Path(__file__).resolve().parent.parent
S = Duration.of_seconds


def profile(django: str, server: str = "{}", path: str = "[]", targets: str = "[]") -> Profile:
    return parse_profile(
        f"name: orders\nengine: postgres\ndjango: {django}\nserver: {server}\n"
        f"path: {path}\ntargets: {targets}\n",
        "orders.yaml",
    )


def judged(verdict: OfflineVerdict, key: str, platform: str = "") -> Judged:
    (found,) = [j for j in verdict.entries if j.key == key and j.platform == platform]
    return found


def test_each_entry_says_what_value_from_where_against_which_budget_and_the_outcome() -> None:
    verdict = judge_offline(
        profile(
            "{conn_max_age: 10min, max_idle_in_transaction: 30s}",
            "{idle_session_timeout: 5min}",
            "[{kind: pgbouncer, name: pgb, client_idle_timeout: 1h}]",
        )
    )
    server = judged(verdict, "idle_session_timeout")
    assert (server.value, server.declared, server.source) == (S(300), True, "from the profile")
    assert (server.closes, server.against, server.outcome) == ("client", "session", "refused")
    assert server.finding == verdict.refusals[0] and server.hop is None
    in_transaction = judged(verdict, "idle_in_transaction_session_timeout")
    assert (in_transaction.declared, in_transaction.source) == (False, "the documented default")
    assert (in_transaction.closes, in_transaction.against) == ("transaction", None)
    assert in_transaction.outcome == "off"  # PostgreSQL's default 0: never fires
    hop = judged(verdict, "pgb.client_idle_timeout")
    assert hop.hop is not None and hop.hop.index == 0
    assert (hop.value, hop.against, hop.outcome, hop.finding) == (S(3600), "session", "safe", None)
    assert judged(verdict, "pgb.server_idle_timeout").outcome == "pooler only"
    assert [f.parameter for f in verdict.refusals] == ["idle_session_timeout"]
    assert verdict.refused and verdict.platforms == ("",)


def test_a_timeout_accepted_only_because_the_pool_checks_connections_is_checked() -> None:
    verdict = judge_offline(
        profile(
            "{conn_max_age: 0, conn_health_checks: true, pool: {min_size: 2}}",
            "{idle_session_timeout: 5min}",
        )
    )
    assert verdict.budget.checked and not verdict.refused
    assert judged(verdict, "idle_session_timeout").outcome == "checked"


def test_an_undeclared_transaction_budget_is_unjudged_with_its_note() -> None:
    verdict = judge_offline(
        profile("{conn_max_age: 0}", "{idle_in_transaction_session_timeout: 30s}")
    )
    entry = judged(verdict, "idle_in_transaction_session_timeout")
    assert (entry.outcome, entry.against) == ("unjudged", "transaction")
    assert entry.finding is not None and verdict.notes == (entry.finding,)
    assert not verdict.refused


def test_a_cluster_group_is_judged_on_both_platforms_and_the_refusal_is_said_once() -> None:
    mysql = parse_profile(
        "name: orders\nengine: mysql\ndjango: {conn_max_age: 10min}\n"
        "server: {interactive_timeout: 5min}\n"
        "targets: [{provider: aws, region: eu-west-1, cluster_parameter_group: g}]\n"
    )
    verdict = judge_offline(mysql)
    (platform,) = verdict.platforms[1:]
    engine_own = judged(verdict, "interactive_timeout")
    assert (engine_own.outcome, engine_own.against) == ("not Django's", None)
    elsewhere = judged(verdict, "interactive_timeout", platform)
    assert elsewhere.outcome == "refused" and verdict.refusals == (elsewhere.finding,)
    assert verdict.notes == ()  # the engine's "not judged" note yields to the refusal


def test_kept_open_by_keepalives_is_an_outcome_with_its_note() -> None:
    verdict = judge_offline(
        profile(
            "{conn_max_age: 10min}",
            "{tcp_keepalives_idle: 60s}",
            "[{kind: load-balancer, name: nlb, provider: aws}]",
        )
    )
    entry = judged(verdict, "nlb.idle_timeout")
    assert (entry.outcome, entry.against) == ("kept open", None)
    assert entry.finding is not None and entry.finding in verdict.notes


@pytest.mark.parametrize("path", sorted((REPO / "profiles").glob("*.yaml")), ids=lambda p: p.name)
def test_every_offline_command_renders_the_one_verdict(path: Path) -> None:
    p = load_profile(path)
    verdict = judge_offline(p)
    said = validate(p)
    assert (said.refusals, said.notes) == (verdict.refusals, verdict.notes)
    assert explain(p).refusals == verdict.refusals
    kept = [j for j in verdict.entries if j.outcome == "kept open" and j.hop is not None]
    assert len(kept_open(p)) == len(kept)
    comment = idle_timeouts_comment(p) or ""
    for entry in verdict.entries:
        if entry.hop is not None and entry.against is not None:
            assert f"{entry.hop.hop.name} {entry.name}=" in comment
