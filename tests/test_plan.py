"""build_target_plan: the one diff, checked without any cloud."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.model import ParameterState, TargetState
from cloudtimeouts.plan import Plan, build_target_plan, offline_violations
from cloudtimeouts.profile import Profile, parse_profile


def profile(server: str, conn_max_age: str = "5min", engine: str = "postgres") -> Profile:
    return parse_profile(
        f"name: orders\nengine: {engine}\ndjango: {{conn_max_age: {conn_max_age}}}\n"
        f"server: {{{server}}}\ntargets:\n"
        "  - {provider: aws, region: eu-west-1, parameter_group: g}\n",
        "t.yaml",
    )


def state(*parameters: ParameterState, engine: Engine = Engine.POSTGRES) -> TargetState:
    return TargetState("aws:eu-west-1:parameter-group/g", engine, {p.name: p for p in parameters})


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
    assert [v.parameter for v in offline_violations(profile("", "10h", "mysql"))] == [
        "wait_timeout",
        "interactive_timeout",
    ]
    assert offline_violations(profile("", "unlimited", "postgres")) == []


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
