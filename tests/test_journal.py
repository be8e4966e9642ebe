"""The journal: on disk (0600, fsynced) before and after each write, and what rollback reads."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from support.memory import MemoryAdapter, applied
from support.profiles import aws_target, profile_text, write_profile

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.durations import Duration, NativeUnit
from cloudtimeouts.journal import Journal, JournalError, default_path, read_entries, restorable
from cloudtimeouts.model import Change
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.rollback import read_rollback

GROUP_ID = "aws:eu-west-1:parameter-group/orders-pg16"


def test_the_journal_is_private_and_says_before_after_and_outcome(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    memory.values[GROUP_ID] = {"statement_timeout": "0"}
    path = applied(tmp_path, memory)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = list(read_entries(path))
    assert [e["kind"] for e in entries[:2]] == ["apply", "target"]
    writes = [(e["parameter"], e["before"], e["after"], e["outcome"]) for e in entries[2:]]
    assert writes == [
        ("idle_session_timeout", "0", "600000", "intent"),
        ("statement_timeout", "0", "30000", "intent"),
        ("idle_session_timeout", "0", "600000", "written"),
        ("statement_timeout", "0", "30000", "written"),
    ]
    assert entries[1]["declared"] == aws_target("orders-pg16")
    assert entries[1]["profile"] == {  # the whole profile as applied, but its targets
        "name": "orders",
        "engine": "postgres",
        "django": {"conn_max_age": 300, "conn_health_checks": True, "interactive_client": False},
        "guard": {"margin": "off"},
        "server": {"idle_session_timeout": "10min", "statement_timeout": "30s"},
        "path": [],
        "workers": [],
    }


def test_a_write_cut_off_by_a_crash_counts_as_maybe_written(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    path = applied(tmp_path, memory)
    lines = path.read_text().splitlines()
    # kill -9 after the intents: keep them, drop the outcomes, and tear the last line in half
    path.write_text("\n".join(lines[:4]) + "\n" + lines[4][:20])
    assert {(r.parameter, r.outcome) for r in restorable(path)} == {
        ("idle_session_timeout", "intent"),
        ("statement_timeout", "intent"),
    }


def test_not_written_parameters_are_not_rolled_back(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.target(GROUP_ID, aws_target("orders-pg16"), {"engine": "postgres"})
        change = Change("statement_timeout", "0", "default", "30000", NativeUnit.MILLISECONDS,
                        "immediate", "")  # fmt: skip
        journal.writes(GROUP_ID, [change], "intent")
        journal.writes(GROUP_ID, [change], "not-written")
    assert restorable(path) == []
    assert read_rollback(path).profiles == ()


def test_a_damaged_journal_is_one_error_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"kind": "apply"}\nnot json\n{"kind": "apply"}\n')
    with pytest.raises(JournalError, match=r"j.jsonl:2: not a journal line"):
        restorable(path)


def test_an_unwritable_journal_is_refused_before_any_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(JournalError, match="cannot write the journal") as refused:
        Journal(blocker / "journal.jsonl")
    assert "--journal" in (refused.value.hint or "")


def test_the_default_journal_lives_in_the_xdg_state_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = default_path(0)
    assert path.parent == tmp_path / "cloudtimeouts"
    assert path.name.startswith("apply-19700101T000000Z-")


def journal_refused(cli: Any, journal: Path, tmp_path: Path) -> Any:
    """`apply --journal JOURNAL` on a profile whose target does not exist: refused, it never
    gets as far as a cloud call (which would fail differently)."""
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"},
                            targets=[aws_target("orders-pg16")])  # fmt: skip
    return cli("apply", profile, "--yes", "--journal", journal)


def test_dev_null_as_the_journal_is_refused_and_its_mode_left_alone(
    cli: Any, tmp_path: Path
) -> None:
    null = Path("/dev/null")
    before = null.stat()
    with pytest.raises(JournalError, match="/dev/null: it is a character device"):
        Journal(null)
    result = journal_refused(cli, null, tmp_path)
    after = null.stat()
    assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)
    assert result.exit_code == 1
    assert "cannot write the journal /dev/null: it is a character device" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_fifo_a_directory_and_a_link_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo, directory, link = tmp_path / "fifo", tmp_path / "dir", tmp_path / "link"
    os.mkfifo(fifo)  # opening it for writing would block until a reader comes: never opened
    directory.mkdir()
    link.symlink_to(tmp_path / "elsewhere.jsonl")  # a dangling link: never followed
    for path, kind in ((fifo, "a FIFO"), (directory, "a directory"), (link, "a symbolic link")):
        with pytest.raises(JournalError, match=f"{path.name}: it is {kind}") as refused:
            Journal(path)
        assert "--journal" in (refused.value.hint or "")
    assert not (tmp_path / "elsewhere.jsonl").exists()


def test_an_earlier_journal_is_appended_to_and_keeps_its_mode(tmp_path: Path) -> None:
    memory = MemoryAdapter()
    path = applied(tmp_path, memory)
    path.chmod(0o644)  # its owner's choice
    lines = len(path.read_text().splitlines())
    with Journal(path) as journal:
        journal.started()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert len(list(read_entries(path))) == lines + 1


def test_a_new_journal_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with Journal(tmp_path / "new.jsonl") as journal:
            journal.started()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o600


def test_an_existing_file_that_is_not_a_journal_is_refused_and_left_alone(
    cli: Any, tmp_path: Path
) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("my notes\n")
    other.chmod(0o644)
    result = journal_refused(cli, other, tmp_path)
    assert result.exit_code == 1
    assert f"cannot write the journal {other}: it is not a cloudtimeouts journal" in result.stderr
    assert other.read_text() == "my notes\n" and stat.S_IMODE(other.stat().st_mode) == 0o644


def test_the_target_record_holds_the_whole_profile_rollback_rebuilds(tmp_path: Path) -> None:
    text = profile_text(conn_max_age="0", server={"idle_session_timeout": "1h"},
                        targets=[aws_target("orders-pg16")])  # fmt: skip
    text = (
        text.replace(
            "  conn_max_age: 0\n",
            "  conn_max_age: 0\n  conn_health_checks: false\n"
            "  pool: {min_size: 0, max_size: 2, max_idle: 10min}\n  max_idle_in_transaction: 20s\n",
        )
        + "path:\n  - {kind: load-balancer, name: alb, provider: aws, idle_timeout: 2h}\n"
    )
    (tmp_path / "orders.yaml").write_text(text)
    profile = load_profile(tmp_path / "orders.yaml")
    memory = MemoryAdapter()
    memory.values[GROUP_ID] = {"idle_session_timeout": "7200000"}
    plan = make_plan([profile], adapter_loader=memory.loader())
    with Journal(tmp_path / "j.jsonl") as journal:
        apply_plan(plan, adapter_loader=memory.loader(), journal=journal)
    (undo,) = read_rollback(tmp_path / "j.jsonl").profiles
    assert undo.name == "orders"
    assert (undo.django, undo.guard, undo.path) == (profile.django, profile.guard, profile.path)
    assert undo.server == {"idle_session_timeout": Duration.of_seconds(7200)}


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_a_journal_removed_or_replaced_mid_apply_is_a_journal_failure(
    tmp_path: Path, how: str
) -> None:
    """Lines written to a file nobody can find again are no journal: the next record fails, so
    that no write starts whose intent rollback would never see."""
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.started()
    path.unlink()
    if how == "replaced":
        path.write_text('{"kind": "apply"}\n')
    with pytest.raises(JournalError, match=f"{how}"):
        journal.record("target", target="t")
    with pytest.raises(JournalError):  # and it stays broken
        journal.record("target", target="t")
    journal.close()


def test_an_earlier_journal_torn_by_a_crash_is_appended_to_on_a_line_of_its_own(
    tmp_path: Path,
) -> None:
    """A kill -9 (or a full disk) mid-line leaves a torn last line; the next apply appended to
    that journal must not glue its lines to it, and rollback must still read both runs."""
    memory = MemoryAdapter()
    path = applied(tmp_path, memory)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:4]) + "\n" + lines[4][:20])  # killed mid-line
    with Journal(path) as journal:
        journal.started()
        journal.record("target", target="t2", declared={}, profile={})
    kinds = [entry["kind"] for entry in read_entries(path)]
    assert kinds == ["apply", "target", "write", "write", "apply", "target"], kinds
    assert {(r.parameter, r.outcome) for r in restorable(path)} == {
        ("idle_session_timeout", "intent"),
        ("statement_timeout", "intent"),
    }
