"""make_plan and apply_plan: which targets are read, the all-or-nothing rules, re-read and confirm.

The adapter is in memory (tests/support/memory.py): what is tested here is the orchestration, not a
cloud. The providers' own behaviour is tested against their emulators in tests/providers.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from support.memory import MemoryAdapter
from support.profiles import aws_target, write_profile

import cloudtimeouts.journal
from cloudtimeouts.applying import apply_plan
from cloudtimeouts.errors import CloudtimeoutsError, GuardRefusal
from cloudtimeouts.journal import Journal, read_entries, restorable
from cloudtimeouts.model import GroupLayer, MemberState, ParameterState
from cloudtimeouts.planning import UnknownTargetError, make_plan
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
    # it reads as before (the default): not written, whatever the adapter said
    assert (target.written, target.not_written) == ((), ("idle_session_timeout",))


def test_a_write_the_re_read_does_not_confirm_is_never_reported_written(tmp_path: Path) -> None:
    """One reading as before is not written; one reading a third value is unknown (it may have
    been written): so say the result, the JSON and the journal, and rollback restores it."""
    memory = MemoryAdapter()
    memory.values[GROUP_ID] = {"statement_timeout": "5000", "idle_session_timeout": "900000"}
    profile = load(tmp_path, server={"idle_session_timeout": "10min", "statement_timeout": "30s"})
    plan = make_plan([profile], adapter_loader=memory.loader())
    original = memory.write

    def write_then_drift(target, state, changes):  # type: ignore[no-untyped-def]
        outcome = original(target, state, changes)
        memory.values[target.id]["idle_session_timeout"] = "900000"  # as before
        memory.values[target.id]["statement_timeout"] = "45000"  # someone else's value
        return outcome

    memory.write = write_then_drift  # type: ignore[method-assign]
    with Journal(tmp_path / "j.jsonl") as journal:
        result = apply_plan(plan, adapter_loader=memory.loader(), journal=journal)
    (target,) = result.targets
    assert target.outcome == "failed"
    assert (target.written, target.not_written, target.unknown) == (
        (), ("idle_session_timeout",), ("statement_timeout",)
    )  # fmt: skip
    assert result.to_json()["summary"]["written"] == 0
    assert "statement_timeout reads '45000' after the write" in (target.error or "")
    outcomes = [(e["parameter"], e["outcome"]) for e in read_entries(tmp_path / "j.jsonl")
                if e["kind"] == "write" and e["outcome"] != "intent"]  # fmt: skip
    assert outcomes == [("idle_session_timeout", "not-written"), ("statement_timeout", "unknown")]
    assert [r.parameter for r in restorable(tmp_path / "j.jsonl")] == ["statement_timeout"]


def failing_journal_writes(monkeypatch: pytest.MonkeyPatch, after_lines: int) -> None:
    """The disk fills up: every journal line after the first `after_lines` fails (ENOSPC)."""
    real_write, lines = os.write, []

    def write(fd: int, data: bytes) -> int:
        if bytes(data).startswith(b'{"kind"'):
            lines.append(data)
            if len(lines) > after_lines:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(cloudtimeouts.journal.os, "write", write)


@pytest.mark.parametrize(
    "after_lines",
    [3, 4],  # the disk fills up on orders-a's outcome line; on orders-b's target line
)
def test_a_journal_that_fails_mid_apply_stops_new_writes_and_still_reports_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after_lines: int
) -> None:
    memory = MemoryAdapter()
    groups = ("orders-a", "orders-b", "orders-c")
    profile = load(tmp_path, targets=[aws_target(group) for group in groups])
    plan = make_plan([profile], adapter_loader=memory.loader())
    failing_journal_writes(monkeypatch, after_lines)
    with Journal(tmp_path / "j.jsonl") as journal:  # one at a time: orders-a, then the others
        result = apply_plan(plan, adapter_loader=memory.loader(), journal=journal, concurrency=1)
    a, b, c = result.targets
    assert (a.outcome, a.written) == ("applied", ("idle_session_timeout",))
    assert any("the journal could not record" in note for note in a.notes) == (after_lines == 3)
    assert [(t.outcome, t.not_written) for t in (b, c)] == [
        ("not-started", ("idle_session_timeout",))
    ] * 2
    assert all("No space left on device" in (t.error or "") for t in (b, c))
    assert [target for target, _ in memory.writes] == [f"aws:eu-west-1:parameter-group/{groups[0]}"]
    assert result.failed and "No space left on device" in (result.journal_error or "")
    assert result.to_json()["journal_error"] == result.journal_error
    # what is on disk still says orders-a may have been written: rollback restores it
    assert [r.target_id for r in restorable(tmp_path / "j.jsonl")] == [a.id]


def test_an_aurora_member_s_group_changed_since_the_plan_stops_the_target(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    cluster = "aws:eu-west-1:cluster-parameter-group/orders-aurora"
    member_group = GroupLayer("aws:eu-west-1:parameter-group/orders-1-pg", "orders-1-pg", {})
    memory.members[cluster] = (MemberState("orders-1 (cluster orders)", above=(member_group,)),)
    profile = load(tmp_path, targets=[aws_target("orders-aurora", cluster=True)])
    plan = make_plan([profile], adapter_loader=memory.loader())
    assert plan.change_count == 1 and not plan.refusal_count
    # meanwhile someone sets idle_session_timeout on the member's own DB parameter group
    changed = {"idle_session_timeout": ParameterState("idle_session_timeout", "1200000")}
    memory.members[cluster] = (
        MemberState("orders-1 (cluster orders)", above=(GroupLayer(member_group.key,
                    member_group.label, changed),)),
    )  # fmt: skip
    (target,) = apply_plan(plan, adapter_loader=memory.loader()).targets
    assert target.outcome == "changed-since-plan"
    assert target.not_written == ("idle_session_timeout",) and target.written == ()
    assert memory.writes == []


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
