"""A journal that stops being writable mid-apply, on a real file: the file size limit.

The CLI runs as a child process under RLIMIT_FSIZE with SIGXFSZ ignored, so the kernel answers a
journal write past the limit with EFBIG, as a full disk answers ENOSPC. It writes to the Cloud SQL
emulator, one target at a time (--concurrency 1), so the limit falls after the first target.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from support.profiles import gcp_target, write_profile

from cloudtimeouts.journal import read_entries, restorable

BEFORE = {"statement_timeout": "5000"}


def run_apply(
    gcp: Any, tmp_path: Path, names: tuple[str, ...], limit: int | None, *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    for name in names:
        gcp.add(name, "POSTGRES_16", BEFORE)
    profile = write_profile(
        tmp_path,
        filename=f"{names[0]}.yaml",
        server={"statement_timeout": "30s", "idle_session_timeout": "10min"},
        targets=[gcp_target(gcp.project, name) for name in names],
    )
    journal = tmp_path / f"{names[0]}.jsonl"

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts.cli", "apply", str(profile), "--yes",
         "--journal", str(journal), "--concurrency", "1", *extra],
        capture_output=True, text=True, env=dict(os.environ), timeout=120, preexec_fn=limited,
    )  # fmt: skip
    return done, journal


def first_target_bytes(journal: Path) -> int:
    """Where the lines of the first target end: the offset of the second target's line."""
    lines = journal.read_bytes().splitlines(keepends=True)
    targets = [i for i, line in enumerate(lines) if json.loads(line)["kind"] == "target"]
    return sum(len(line) for line in lines[: targets[1]])


def test_a_journal_past_the_file_size_limit_stops_new_writes_and_reports_them(
    gcp: Any, tmp_path: Path
) -> None:
    free, _ = run_apply(gcp, tmp_path, ("probe-a1", "probe-b1", "probe-c1"), None, "-o", "json")
    assert free.returncode == 0, free.stderr
    limit = first_target_bytes(tmp_path / "probe-a1.jsonl") + 40  # the next target line crosses

    names = ("orders-a", "orders-b", "orders-c")  # ids of the same length: lines too
    done, journal = run_apply(gcp, tmp_path, names, limit, "-o", "json")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert "File too large" in report["journal_error"] and str(journal) in report["journal_error"]
    first, *others = report["targets"]
    assert (first["outcome"], sorted(first["written"])) == (
        "applied", ["idle_session_timeout", "statement_timeout"]
    )  # fmt: skip
    for target in others:
        assert target["outcome"] == "not-started" and target["written"] == [], target
        assert "File too large" in target["error"]
    assert gcp.flags("orders-a")["statement_timeout"] == "30000"
    assert [gcp.flags(name)["statement_timeout"] for name in names[1:]] == ["5000", "5000"]
    assert journal.stat().st_size <= limit
    list(read_entries(journal))  # readable: the torn last line is ignored
    assert {r.target_id for r in restorable(journal)} == {first["id"]}


def test_the_text_report_names_the_journal_error(gcp: Any, tmp_path: Path) -> None:
    free, _ = run_apply(gcp, tmp_path, ("probe-a1", "probe-b1"), None)
    assert free.returncode == 0, free.stderr
    limit = first_target_bytes(tmp_path / "probe-a1.jsonl") + 40
    done, journal = run_apply(gcp, tmp_path, ("orders-a", "orders-b"), limit)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Journal error: cannot write the journal {journal}: File too large" in done.stdout
    assert "orders-a: applied" in done.stdout and "orders-b: not-started" in done.stdout
