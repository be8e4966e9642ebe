"""make_plan and apply_plan: which targets are read, the all-or-nothing rules, re-read and confirm.

The adapter is in memory (tests/support/memory.py): what is tested here is the orchestration, not a
cloud. The providers' own behaviour is tested against their emulators in tests/providers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.memory import MemoryAdapter
from support.profiles import aws_target, write_profile

from cloudtimeouts.errors import CloudtimeoutsError, GuardRefusal
from cloudtimeouts.orchestration import UnknownTargetError, apply_plan, make_plan
from cloudtimeouts.profile import Profile, load_profile

GROUP_ID = "aws:eu-west-1:parameter-group/orders-pg16"


def load(tmp_path: Path, name: str = "orders", **fields: object) -> Profile:
    fields.setdefault("targets", [aws_target("orders-pg16")])
    fields.setdefault("server", {"idle_session_timeout": "10min"})
    return load_profile(write_profile(tmp_path, name=name, **fields))


def test_one_target_in_two_profiles_is_an_error_for_both_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    memory = MemoryAdapter()
    orders, billing = load(tmp_path, "orders"), load(tmp_path, "billing")
    plan = make_plan([orders, billing], adapter_loader=memory.loader())
    assert [target.error is not None for target in plan.targets] == [True, True]
    assert "in several profiles (orders, billing)" in (plan.targets[0].error or "")
    with pytest.raises(CloudtimeoutsError, match="could not be planned"):
        apply_plan(plan, adapter_loader=memory.loader())
    assert memory.writes == []


def test_apply_writes_the_changes_then_the_re_read_confirms_them(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    plan = make_plan([load(tmp_path)], adapter_loader=memory.loader())
    result = apply_plan(plan, adapter_loader=memory.loader())
    (target,) = result.targets
    assert (target.outcome, target.written) == ("applied", ("idle_session_timeout",))
    assert memory.values[GROUP_ID] == {"idle_session_timeout": "600000"}
    replanned = make_plan([load(tmp_path)], adapter_loader=memory.loader())
    assert replanned.change_count == 0


def test_a_target_changed_since_the_plan_is_not_written(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    plan = make_plan([load(tmp_path)], adapter_loader=memory.loader())
    memory.values[GROUP_ID]["idle_session_timeout"] = "700000"  # someone else, meanwhile
    (target,) = apply_plan(plan, adapter_loader=memory.loader()).targets
    assert target.outcome == "changed-since-plan"
    assert memory.writes == []


def test_a_write_the_re_read_does_not_show_fails_the_target(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    plan = make_plan([load(tmp_path)], adapter_loader=memory.loader())

    original = memory.write

    def write_nothing(target, state, changes):  # type: ignore[no-untyped-def]
        outcome = original(target, state, changes)
        memory.values[target.id].pop("idle_session_timeout")
        return outcome

    memory.write = write_nothing  # type: ignore[method-assign]
    (target,) = apply_plan(plan, adapter_loader=memory.loader()).targets
    assert target.outcome == "failed"
    assert "verification failed" in (target.error or "")


def test_a_refusal_anywhere_means_nothing_is_written_anywhere(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    safe = load(tmp_path, "orders")
    unsafe = load(
        tmp_path,
        "billing",
        server={"idle_session_timeout": "1min"},
        targets=[aws_target("billing-pg16")],
    )
    plan = make_plan([safe, unsafe], adapter_loader=memory.loader())
    with pytest.raises(GuardRefusal):
        apply_plan(plan, adapter_loader=memory.loader())
    assert memory.writes == []


def test_restart_bound_changes_need_consent(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    memory.static.add("idle_session_timeout")
    plan = make_plan([load(tmp_path)], adapter_loader=memory.loader())
    assert [change.apply for change in plan.targets[0].changes] == ["restart"]
    with pytest.raises(CloudtimeoutsError, match="only take effect after a restart"):
        apply_plan(plan, adapter_loader=memory.loader())
    assert memory.writes == []
    result = apply_plan(plan, allow_restart=True, adapter_loader=memory.loader())
    assert result.targets[0].outcome == "applied"


def test_an_unknown_target_is_named_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(UnknownTargetError) as error:
        make_plan([load(tmp_path)], only=["aws:eu-west-1:parameter-group/nope"])
    assert GROUP_ID in (error.value.hint or "")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (aws_target("orders-pg16"), aws_target("Orders-PG16")),  # RDS stores names in lower case
        (
            {"provider": "azure", "subscription_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
             "resource_group": "prod", "server": "orders"},
            {"provider": "azure", "subscription_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
             "resource_group": "PROD", "server": "orders"},
        ),
    ],
)  # fmt: skip
def test_one_target_spelled_two_ways_is_still_one_target(
    tmp_path: Path, first: dict[str, str], second: dict[str, str]
) -> None:
    memory = MemoryAdapter()
    one = load(tmp_path, "orders", targets=[first])
    other = load(tmp_path, "billing", targets=[second])
    plan = make_plan([one, other], adapter_loader=memory.loader())
    assert all("in several profiles (orders, billing)" in (t.error or "") for t in plan.targets)
    assert "name one target" in (plan.targets[0].error or "")
    # --target picks one spelling: the rule is checked before the filter, so it still holds
    for wanted in (one.targets[0].id, other.targets[0].id, one.targets[0].id.upper()):
        chosen = make_plan([one, other], only=[wanted], adapter_loader=memory.loader()).targets
        assert chosen and all(
            "in several profiles (orders, billing)" in (t.error or "") for t in chosen
        )
    assert memory.writes == []
