"""rollback: a journal turned back into profiles; values from before, defaults reset."""

from __future__ import annotations

from pathlib import Path

from support.memory import GROUP_ID, MemoryAdapter, applied

from cloudtimeouts.orchestration import apply_plan, make_plan
from cloudtimeouts.rollback import read_rollback, with_resets


def test_rollback_profiles_restore_the_values_from_before(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    memory.values[GROUP_ID] = {"statement_timeout": "15000", "idle_session_timeout": "900000"}
    path = applied(tmp_path, memory)
    undo = read_rollback(path)
    plan = with_resets(make_plan(undo.profiles, adapter_loader=memory.loader()), undo)
    apply_plan(plan, adapter_loader=memory.loader())
    assert memory.values[GROUP_ID] == {
        "statement_timeout": "15000",
        "idle_session_timeout": "900000",
    }


def test_a_parameter_that_was_at_its_default_is_reset_not_overwritten(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    memory.values[GROUP_ID] = {"statement_timeout": "15000"}  # idle_session_timeout: default
    path = applied(tmp_path, memory)
    undo = read_rollback(path)
    plan = with_resets(make_plan(undo.profiles, adapter_loader=memory.loader()), undo)
    resets = {c.parameter: c.reset for t in plan.targets for c in t.changes}
    assert resets == {"idle_session_timeout": True, "statement_timeout": False}
    apply_plan(plan, adapter_loader=memory.loader())
    assert memory.values[GROUP_ID] == {"statement_timeout": "15000"}
