"""The journal: on disk (0600, fsynced) before and after each write, and what rollback reads."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support.memory import MemoryAdapter, applied
from support.profiles import aws_target

from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.journal import Journal, JournalError, default_path, read_entries, restorable
from cloudtimeouts.model import Change
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
