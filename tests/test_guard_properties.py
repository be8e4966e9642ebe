"""The guard against an independent reading of docs/guard.md, over the whole path.

Random profiles (engine, conn_max_age, pool, margin, max_idle_in_transaction, server values,
keepalives), random paths, random instances (a cluster group target whose members' own groups
override it, a DB parameter group target over its cluster's group, Aurora and plain platforms) and
a second profile of the run managing one of those groups: `plan` and `validate` must refuse
exactly what tests/support/reference.py says, and keep open exactly the hops it keeps open.

Where the guard departs from the doc, a strict xfail test below pins the departure, and the
property adopts it by name (`KNOWN`) so that the rest of each case stays covered; fixing the guard
makes the xfail test pass (strict: it then fails, and its deviation comes out of `KNOWN`).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from support import reference
from support.guard_cases import Case, disagreement, make_case

from cloudtimeouts.errors import ProfileError
from cloudtimeouts.model import ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.path_guard import path_findings
from cloudtimeouts.profile import parse_profile

KNOWN: frozenset[str] = frozenset()
assert KNOWN <= reference.DEVIATIONS


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_the_guard_refuses_what_docs_guard_md_refuses(data: st.DataObject) -> None:
    case = make_case(lambda options: data.draw(st.sampled_from(list(options))))
    note(str(case))
    found = disagreement(case, KNOWN)
    assert found is None, f"{found}\n{case}"


def _case(text: str) -> Case:
    """One postgres16 instance with nothing set: only the profile decides."""
    engine = parse_profile(text).engine
    unset = {name: ParameterState(name) for name in reference.in_force_names(engine.value)}
    case = Case([text], TargetState("", engine, unset, version="postgres16"))
    case.state = TargetState(case.profile.targets[0].id, engine, unset, version="postgres16")
    return case


_NAT_BEHIND_A_CHECKED_POOL = (
    "name: a\nengine: postgres\n"
    "django: {{conn_max_age: 0, conn_health_checks: {checks}, "
    "pool: {{min_size: 0, max_size: 1, max_idle: 60s}}}}\n"
    "server: {{idle_session_timeout: 0}}\n"
    "path: [{{kind: nat, name: n, provider: aws}}]\n"
    "targets: [{{provider: aws, region: eu-west-1, parameter_group: g}}]\n"
)


def test_an_unchecked_pool_of_min_size_0_outlives_no_nat_it_idles_less_than() -> None:
    # (1 + 1) x 60 s = 120 s idle at most, below the AWS NAT gateway's 350 s: accepted.
    case = _case(_NAT_BEHIND_A_CHECKED_POOL.format(checks="false"))
    assert disagreement(case) is None
    assert not judge_offline(case.profile).refusals


def test_turning_health_checks_on_never_adds_a_refusal() -> None:
    case = _case(_NAT_BEHIND_A_CHECKED_POOL.format(checks="true"))
    assert disagreement(case) is None
    assert not judge_offline(case.profile).refusals


def test_a_poolers_transaction_idle_timeout_is_never_a_silent_pass() -> None:
    profile = parse_profile(
        "name: a\nengine: postgres\ndjango: {conn_max_age: 0}\n"
        "server: {idle_session_timeout: 0, idle_in_transaction_session_timeout: 30s}\n"
        "path: [{kind: pgbouncer, name: pgb, idle_transaction_timeout: 30s}]\n"
    )
    verdict = judge_offline(profile)
    assert verdict.refusals == ()
    notes = verdict.notes
    noted = {finding.parameter for finding in notes}
    assert "idle_in_transaction_session_timeout" in noted  # the server's: a note, as documented
    assert "pgb.idle_transaction_timeout" in {f.parameter for f in path_findings(profile)[1]}


def test_a_transaction_idle_timeout_within_the_margin_is_refused_even_undeclared() -> None:
    # docs/guard.md step 6 says "every enabled transaction-idle timeout is then a note"; step 4
    # applies the margin to every comparison. The guard (and the reference) refuse one within
    # the margin alone: no max_idle_in_transaction the profile could declare would pass it.
    profile = parse_profile(
        "name: a\nengine: postgres\ndjango: {conn_max_age: 0}\nguard: {margin: 60s}\n"
        "server: {idle_session_timeout: 0, idle_in_transaction_session_timeout: 30s}\n"
    )
    assert [f.parameter for f in judge_offline(profile).refusals] == [
        "idle_in_transaction_session_timeout"
    ]
    assert reference.offline_verdict(profile).refused == {
        ("profile", "idle_in_transaction_session_timeout")
    }


def test_a_pool_of_min_size_0_needs_a_max_size() -> None:
    with pytest.raises(ProfileError, match="max_size"):
        parse_profile("name: a\nengine: postgres\ndjango: {conn_max_age: 0, pool: {min_size: 0}}\n")


def test_max_idle_in_transaction_off_is_an_error() -> None:
    with pytest.raises(ProfileError, match="max_idle_in_transaction"):
        parse_profile(
            "name: a\nengine: postgres\ndjango: {conn_max_age: 60, max_idle_in_transaction: off}\n"
        )


def test_the_cases_reach_every_rule() -> None:
    """The generator is not vacuous: over a fixed seed its cases hold members above and below,
    a second profile, each hop kind, kept-open hops and refusals of every kind of place."""
    from support.guard_cases import reference_verdicts, seeded_cases

    cases = seeded_cases(150)
    places, kinds, kept = set(), set(), 0
    for case in cases:
        plan, _ = reference_verdicts(case, KNOWN)
        places |= {
            where.split(" ")[0] + (" for" if " for " in where else "") for where, _ in plan.refused
        }
        kinds |= {hop.kind for hop in case.profile.path}
        kept += bool(plan.kept_open)
    assert places == {"target", "member", "member for", "path"}
    assert kinds == {"pgbouncer", "rds-proxy", "load-balancer", "nat", "custom"}
    assert kept >= 5
    assert any(len(case.profiles) == 2 and not case.writes for case in cases)
    assert any(m.above for case in cases for m in case.state.members)
    assert any(m.below for case in cases for m in case.state.members)
