"""Ctrl-C, SIGTERM and kill -9 during a real `cloudtimeouts apply` process, then rollback.

The CLI runs as a child process with the default SIGINT disposition (a background job of a
non-interactive shell would ignore SIGINT, which proves nothing). It writes to the Cloud SQL
emulator, whose fault switch holds one instances.patch in a black hole, so the signal arrives
while a write is in flight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from support.profiles import gcp_target, write_profile

from cloudtimeouts.sandbox.loopback import Fault

INSTANCES = ("orders-a", "orders-b", "orders-c")
BEFORE = {"statement_timeout": "5000"}


def start_apply(gcp: Any, tmp_path: Path, journal: Path) -> subprocess.Popen[str]:
    for name in INSTANCES:
        gcp.add(name, "POSTGRES_16", BEFORE)
    profile = write_profile(
        tmp_path,
        server={"statement_timeout": "30s", "idle_session_timeout": "10min"},
        targets=[gcp_target(gcp.project, name) for name in INSTANCES],
    )
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "cloudtimeouts.cli", "apply", str(profile), "--yes"),
            *("--journal", str(journal), "--timeout", "30", "--output", "json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_black_hole(gcp: Any, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while (gcp.fake.faults.fired or []) == [] and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    assert gcp.fake.faults.fired, "the write never reached the emulator"


def rollback(journal: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudtimeouts.cli", "rollback", str(journal), "--yes"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_mid_apply_reports_every_target_and_exits_130(
    gcp: Any, tmp_path: Path, stop: signal.Signals
) -> None:
    gcp.fake.faults.add(Fault.BLACK_HOLE, operation="instances.patch", nth=1)
    journal = tmp_path / "journal.jsonl"
    process = start_apply(gcp, tmp_path, journal)
    wait_for_black_hole(gcp, process)
    process.send_signal(stop)  # no new write starts; the one in flight is waited for…
    time.sleep(0.5)
    process.send_signal(stop)  # …until a second stop
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    report = json.loads(out)
    assert report["interrupted"] is True and report["journal"] == str(journal)
    outcomes = {t["id"].rsplit("/", 1)[1]: t for t in report["targets"]}
    assert set(outcomes) == set(INSTANCES)
    for name, result in outcomes.items():  # each change is in exactly one of the three sets
        sets = result["written"] + result["not_written"] + result["unknown"]
        assert sorted(sets) == ["idle_session_timeout", "statement_timeout"], name
        if result["written"]:
            assert gcp.flags(name)["statement_timeout"] == "30000"
        if result["outcome"] == "not-started":
            assert gcp.flags(name) == BEFORE
    assert any(t["unknown"] for t in report["targets"])  # the black-holed one

    gcp.fake.faults.clear()
    gcp.fake.complete_operations()  # an operation the stopped run left running ends first
    restored = rollback(journal)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert {name: gcp.flags(name) for name in INSTANCES} == dict.fromkeys(INSTANCES, BEFORE), (
        out + restored.stdout + journal.read_text()
    )


def test_kill_9_mid_apply_leaves_a_journal_rollback_restores_from(gcp: Any, tmp_path: Path) -> None:
    gcp.fake.faults.add(Fault.BLACK_HOLE, operation="instances.patch", nth=2)
    journal = tmp_path / "journal.jsonl"
    process = start_apply(gcp, tmp_path, journal)
    wait_for_black_hole(gcp, process)
    process.kill()
    process.communicate(timeout=30)
    kinds = [json.loads(line)["outcome"] for line in journal.read_text().splitlines()[1:]
             if '"write"' in line]  # fmt: skip
    assert "intent" in kinds

    gcp.fake.faults.clear()
    gcp.fake.complete_operations()  # an operation the stopped run left running ends first
    restored = rollback(journal)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert {name: gcp.flags(name) for name in INSTANCES} == dict.fromkeys(INSTANCES, BEFORE)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_mid_plan_says_that_plan_reads_and_writes_nothing(
    gcp: Any, tmp_path: Path, stop: signal.Signals
) -> None:
    """Issue 20: an interrupted `plan` said "no new write will start; waiting for writes in
    flight", but plan writes nothing: it says what stops (reading) and that nothing is written."""
    gcp.add("orders-a", "POSTGRES_16", BEFORE)
    gcp.fake.faults.add(Fault.BLACK_HOLE, operation="instances.get", nth=1)
    profile = write_profile(
        tmp_path, server={"statement_timeout": "30s"}, targets=[gcp_target(gcp.project, "orders-a")]
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudtimeouts.cli", "plan", str(profile), "--timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    wait_for_black_hole(gcp, process)
    process.send_signal(stop)
    time.sleep(0.5)
    process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert (
        "Stopping: no new target will be read, and nothing is written; waiting for the reads "
        "in flight (press Ctrl-C again to stop waiting)."
    ) in err
    assert "write will start" not in err and "writes in flight" not in err
    assert "Interrupted: nothing was written." in err
