"""rollback: a journal turned back into profiles; values from before, defaults reset."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.memory import GROUP_ID, MemoryAdapter, applied
from support.profiles import aws_target, profile_text, write_profile

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.durations import Duration, NativeUnit
from cloudtimeouts.journal import Journal, JournalError
from cloudtimeouts.model import Change
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
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


def test_a_journal_of_an_earlier_version_still_rolls_back(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    short = {"name": "orders", "engine": "postgres", "conn_max_age": 300, "margin": "30s"}
    with Journal(path) as journal:
        journal.started()
        journal.target(GROUP_ID, aws_target("orders-pg16"), short)
        change = Change("idle_session_timeout", "900000", "target", "600000",
                        NativeUnit.MILLISECONDS, "immediate", "")  # fmt: skip
        journal.writes(GROUP_ID, [change], "written")
    (undo,) = read_rollback(path).profiles
    assert (undo.name, undo.django.conn_max_age, undo.guard.margin.human()) == (
        "orders",
        300,
        "30s",
    )
    assert undo.server == {"idle_session_timeout": Duration.of_seconds(900)}


def test_target_picks_targets_as_make_plan_compares_ids(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    targets = [aws_target("orders-a"), aws_target("orders-b")]
    profile = load_profile(
        write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=targets)
    )
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        plan = make_plan([profile], adapter_loader=memory.loader())
        apply_plan(plan, adapter_loader=memory.loader(), journal=journal)
    (undo,) = read_rollback(path, only=["AWS:eu-west-1:parameter-group/ORDERS-B"]).profiles
    assert [t.id for t in undo.targets] == ["aws:eu-west-1:parameter-group/orders-b"]
    with pytest.raises(JournalError, match="has no write to roll back on aws:eu-west-1:nope") as no:
        read_rollback(path, only=["aws:eu-west-1:nope"])
    assert "aws:eu-west-1:parameter-group/orders-a" in (no.value.hint or "")


def pool_profile(tmp_path: Path, groups: tuple[str, ...]) -> Path:
    """Django's pool without health checks: an idle connection may wait (2 + 1) x 10min."""
    text = profile_text(conn_max_age="0", margin="0s", server={"idle_session_timeout": "1h"},
                        targets=[aws_target(group) for group in groups])  # fmt: skip
    text = text.replace(
        "  conn_max_age: 0\n",
        "  conn_max_age: 0\n  conn_health_checks: false\n"
        "  pool: {min_size: 0, max_size: 2, max_idle: 10min}\n",
    )
    path = tmp_path / "orders.yaml"
    path.write_text(text)
    return path


def test_a_restore_the_journaled_profile_refuses_is_refused_and_the_others_restored(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-a", "postgres16", {"idle_session_timeout": "1000"})  # 1 s
    aws.create_group("orders-b", "postgres16", {"idle_session_timeout": "2700000"})  # 45 min
    journal = tmp_path / "apply.jsonl"
    applied = cli("apply", pool_profile(tmp_path, ("orders-a", "orders-b")), "--yes",
                  "--journal", journal)  # fmt: skip
    assert applied.exit_code == 0, applied.stdout + applied.stderr

    undone = cli("rollback", journal, "--yes", "--output", "json", "--journal", tmp_path / "u")
    assert undone.exit_code == 3, undone.stdout + undone.stderr
    report = {target["id"]: target for target in json.loads(undone.stdout)["targets"]}
    refused, restored = report[f"{AWS}/orders-a"], report[f"{AWS}/orders-b"]
    assert refused["outcome"] == "refused"
    assert refused["not_written"] == ["idle_session_timeout"] and refused["written"] == []
    assert "profile orders " in refused["error"] and str(journal) in refused["error"]
    assert "rollback-orders" not in undone.stdout + undone.stderr
    assert "--target" in refused["error"] and "change the profile" not in refused["error"]
    assert (restored["outcome"], restored["written"]) == ("applied", ["idle_session_timeout"])
    assert value(aws, "orders-a") == "3600000"  # the 1 s the pool cannot live with: not back
    assert value(aws, "orders-b") == "2700000"


def test_a_target_that_cannot_be_read_does_not_block_the_others(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    for group in ("orders-a", "orders-b", "orders-c"):
        aws.create_group(group, "postgres16", {"idle_session_timeout": "900000"})
    journal = tmp_path / "apply.jsonl"
    targets = [aws_target(group) for group in ("orders-a", "orders-b", "orders-c")]
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=targets)
    assert cli("apply", profile, "--yes", "--journal", journal).exit_code == 0
    aws.client().delete_db_parameter_group(DBParameterGroupName="orders-b")

    undone = cli("rollback", journal, "--yes", "--target", f"{AWS}/ORDERS-A", "--target",
                 f"{AWS}/orders-b", "--journal", tmp_path / "u")  # fmt: skip
    assert undone.exit_code == 1, undone.stdout + undone.stderr
    assert f"# {AWS}/orders-b: failed" in undone.stdout
    assert f"rollback {journal} --target {AWS}/orders-b" in undone.stdout
    assert f"# {AWS}/orders-a: applied" in undone.stdout
    assert "Traceback" not in undone.stderr
    assert value(aws, "orders-a") == "900000"
    assert value(aws, "orders-c") == "600000"  # not picked by --target: left as applied


AWS = "aws:eu-west-1:parameter-group"


def value(aws: Any, group: str) -> str | None:
    return aws.parameters(group)["idle_session_timeout"].get("ParameterValue")
