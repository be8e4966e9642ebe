"""build_target_plan: the one diff, checked without any cloud."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support import vendor

from cloudtimeouts.catalog import ApplyType, Engine, parameters
from cloudtimeouts.errors import ProfileError
from cloudtimeouts.model import GroupLayer, MemberState, ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.plan import Plan, build_target_plan
from cloudtimeouts.profile import Profile, parse_profile


def profile(server: str, conn_max_age: str = "5min", engine: str = "postgres") -> Profile:
    return parse_profile(
        f"name: orders\nengine: {engine}\ndjango: {{conn_max_age: {conn_max_age}}}\n"
        f"server: {{{server}}}\ntargets:\n"
        "  - {provider: aws, region: eu-west-1, parameter_group: g}\n",
        "t.yaml",
    )


def state(*seen: ParameterState, engine: Engine = Engine.POSTGRES) -> TargetState:
    """A target that has every catalog parameter of engine (unset) except `transaction_timeout`,
    with `seen` as given."""
    has = {
        name: ParameterState(name) for name in parameters(engine) if name != "transaction_timeout"
    }
    return TargetState("aws:eu-west-1:parameter-group/g", engine, has | {p.name: p for p in seen})


def plan_for(p: Profile, s: TargetState):  # type: ignore[no-untyped-def]
    return build_target_plan(p, p.targets[0], s)


def test_a_value_the_api_does_not_show_falls_back_to_the_provider_default() -> None:
    result = plan_for(profile("tcp_keepalives_idle: 60s"), state())
    (change,) = result.changes
    assert (change.current, change.current_source, change.desired) == ("300", "default", "60")


def test_equal_values_in_another_spelling_are_unchanged() -> None:
    result = plan_for(
        profile("statement_timeout: 30s"), state(ParameterState("statement_timeout", "30000"))
    )
    assert result.changes == () and result.unchanged == ("statement_timeout",)


def test_the_targets_apply_type_wins_over_the_catalog() -> None:
    static = ParameterState("lock_timeout", "0", apply_type=ApplyType.STATIC)
    (change,) = plan_for(profile("lock_timeout: 5s"), state(static)).changes
    assert change.apply == "restart"


@pytest.mark.parametrize(
    ("seen", "message"),
    [
        (
            ParameterState("lock_timeout", "0", allowed=(Decimal(0), Decimal(1000))),
            "lock_timeout = 5000 ms is outside what this target allows (0..1000 ms)",
        ),
        (ParameterState("lock_timeout", "0", modifiable=False), "lock_timeout is not modifiable"),
    ],
)
def test_target_limits_are_errors_before_any_write(seen: ParameterState, message: str) -> None:
    result = plan_for(profile("lock_timeout: 5s"), state(seen))
    assert result.changes == ()
    assert result.error is not None and message in result.error


def test_a_value_marked_as_default_by_the_api_is_reported_as_default() -> None:
    seen = ParameterState("statement_timeout", "0", value_is_default=True)
    (change,) = plan_for(profile("statement_timeout: 30s"), state(seen)).changes
    assert change.current_source == "default"


def test_unparseable_current_values_are_shown_as_a_change() -> None:
    seen = ParameterState("statement_timeout", "{DBInstanceClassMemory/1}")
    (change,) = plan_for(profile("statement_timeout: 30s"), state(seen)).changes
    assert change.current == "{DBInstanceClassMemory/1}"


def test_refusal_and_warning_come_from_before_and_after() -> None:
    unsafe_now = ParameterState("idle_session_timeout", "60000")
    fixed = plan_for(profile("idle_session_timeout: 10min"), state(unsafe_now))
    assert fixed.refusals == () and [w.parameter for w in fixed.warnings] == [
        "idle_session_timeout"
    ]
    untouched = plan_for(profile("statement_timeout: 1s"), state(unsafe_now))
    assert [r.parameter for r in untouched.refusals] == ["idle_session_timeout"]
    assert untouched.warnings == ()


def test_plan_json_has_the_design_shape() -> None:
    target_plan = plan_for(profile("statement_timeout: 30s"), state())
    document = Plan((target_plan,)).to_json()
    assert document["summary"] == {"changes": 1, "refusals": 0, "errors": 0}
    (target,) = document["targets"]
    assert set(target) >= {"id", "provider", "changes", "refusals", "warnings", "error"}
    assert set(target["changes"][0]) >= {
        "parameter",
        "current",
        "current_source",
        "desired",
        "unit",
        "apply",
    }


def test_offline_violations_use_engine_defaults() -> None:
    # interactive_timeout is not Django's (no CLIENT_INTERACTIVE) off Aurora MySQL: a note
    assert [v.parameter for v in judge_offline(profile("", "10h", "mysql")).refusals] == [
        "wait_timeout"
    ]
    notes = judge_offline(profile("", "10h", "mysql")).notes
    assert [n.parameter for n in notes] == ["interactive_timeout"]
    assert "CLIENT_INTERACTIVE" in notes[0].message
    assert judge_offline(profile("", "unlimited", "postgres")).refusals == ()


@pytest.mark.parametrize(("unit", "error"), [("milliseconds", False), ("seconds", True)])
def test_a_target_that_counts_in_another_unit_is_an_error_at_plan_time(
    unit: str, error: bool
) -> None:
    seen = ParameterState("idle_session_timeout", "0", unit=unit)
    result = plan_for(profile("idle_session_timeout: 10min"), state(seen))
    assert (result.error is not None) is error
    if error:
        assert "counts idle_session_timeout in seconds" in (result.error or "")
        assert result.changes == ()


def test_a_parameter_the_target_does_not_have_is_an_error_before_any_write() -> None:
    result = plan_for(profile("transaction_timeout: 1min"), state())
    assert result.error is not None and "has no parameter transaction_timeout" in result.error
    assert result.changes == ()


@pytest.mark.parametrize(
    "formula", ["{DBInstanceClassMemory/1073741824}", "LEAST({DBInstanceClassMemory/9531392},5000)"]
)
def test_an_idle_timeout_the_tool_cannot_evaluate_is_refused_unless_the_profile_sets_it(
    formula: str,
) -> None:
    seen = ParameterState("idle_session_timeout", formula)
    refused = plan_for(
        profile("statement_timeout: 30s"), state(seen, ParameterState("statement_timeout", "0"))
    )
    (refusal,) = refused.refusals
    assert refusal.parameter == "idle_session_timeout" and repr(formula) in refusal.message
    fixed = plan_for(profile("idle_session_timeout: 10min"), state(seen))
    assert fixed.refusals == () and [c.parameter for c in fixed.changes] == ["idle_session_timeout"]


def test_an_aurora_member_group_overrides_the_cluster_and_is_judged_on_its_own() -> None:
    member = MemberState(
        "search-1 (cluster search)",
        (
            GroupLayer(
                "aws:eu-west-1:parameter-group/search-instances",
                "DB parameter group search-instances",
                {"idle_session_timeout": ParameterState("idle_session_timeout", "60000")},
            ),
        ),
    )
    cluster = TargetState(
        "aws:eu-west-1:cluster-parameter-group/g",
        Engine.POSTGRES,
        {"idle_session_timeout": ParameterState("idle_session_timeout", "0")},
        members=(member,),
    )
    result = plan_for(profile("idle_session_timeout: 10min"), cluster)
    (refusal,) = result.refusals
    assert "member search-1 (cluster search)" in refusal.message
    assert "60000 ms (60 s, set on DB parameter group search-instances)" in refusal.message
    safe_member = MemberState(
        "search-1 (cluster search)",
        (GroupLayer(member.above[0].key, member.above[0].label, {}),),
    )
    ok = plan_for(
        profile("idle_session_timeout: 10min"),
        TargetState(cluster.target_id, Engine.POSTGRES, cluster.parameters, members=(safe_member,)),
    )
    assert ok.refusals == ()


def test_aurora_postgresql_keeps_idle_transactions_for_24_hours_by_default() -> None:
    recorded = vendor.recorded_aurora_postgresql14()["idle_in_transaction_session_timeout"]
    assert (recorded["ParameterValue"], recorded["Source"]) == ("86400000", "system")  # 24 h
    aurora = TargetState(
        "aws:eu-west-1:cluster-parameter-group/g",
        Engine.POSTGRES,
        {
            "idle_in_transaction_session_timeout": ParameterState(
                "idle_in_transaction_session_timeout"
            )
        },
        version="aurora-postgresql16",
    )
    result = plan_for(profile("", conn_max_age="unlimited"), aurora)
    assert [r.parameter for r in result.refusals] == ["idle_in_transaction_session_timeout"]
    assert "86400000 ms" in result.refusals[0].message


def test_offline_a_cluster_group_is_judged_with_aurora_defaults_too() -> None:
    cluster = parse_profile(
        "name: search\nengine: postgres\ndjango: {conn_max_age: unlimited}\n"
        "server: {idle_session_timeout: 0}\ntargets:\n"
        "  - {provider: aws, region: eu-west-1, cluster_parameter_group: search}\n",
        "t.yaml",
    )
    (refusal,) = judge_offline(cluster).refusals
    assert refusal.parameter == "idle_in_transaction_session_timeout"
    assert "on aurora-postgresql" in refusal.message
    instance_only = profile("idle_session_timeout: 0", conn_max_age="unlimited")
    assert judge_offline(instance_only).refusals == ()


PROXY_NOW = ParameterState("idle_client_timeout", "1800")


def _proxy_profile(django: str, hop: str) -> Profile:
    return parse_profile(
        f"name: orders\nengine: postgres\ndjango: {django}\nserver: {{idle_session_timeout: 0}}\n"
        f"path: [{hop}]\n"
        "targets:\n  - {provider: aws, region: eu-west-1, rds_proxy: orders-proxy}\n",
        "t.yaml",
    )


def test_an_rds_proxy_target_sets_idle_client_timeout_from_its_hop() -> None:
    p = _proxy_profile(
        "{conn_max_age: 10min}", "{kind: rds-proxy, name: orders-proxy, idle_client_timeout: 20min}"
    )
    seen = TargetState(p.targets[0].id, Engine.POSTGRES, {"idle_client_timeout": PROXY_NOW})
    result = build_target_plan(p, p.targets[0], seen)
    (change,) = result.changes
    assert (change.parameter, change.current, change.desired) == (
        "idle_client_timeout",
        "1800",
        "1200",
    )
    assert result.refusals == ()


def test_an_rds_proxy_is_judged_on_its_own_value_when_the_profile_sets_none() -> None:
    p = _proxy_profile("{conn_max_age: 40min}", "{kind: rds-proxy, name: orders-proxy}")
    seen = TargetState(p.targets[0].id, Engine.POSTGRES, {"idle_client_timeout": PROXY_NOW})
    (refusal,) = build_target_plan(p, p.targets[0], seen).refusals
    assert "idle_client_timeout = 1800 s (30min, set on the proxy)" in refusal.message
    assert "RDS Proxy closes a connection once it has been idle for 1800 s" in refusal.message


def test_an_rds_proxy_target_needs_its_hop_in_the_path() -> None:
    with pytest.raises(ProfileError, match="add it to path as"):
        parse_profile(
            "name: o\nengine: postgres\ndjango: {conn_max_age: 0}\n"
            "targets:\n  - {provider: aws, region: eu-west-1, rds_proxy: p}\n",
            "t.yaml",
        )
