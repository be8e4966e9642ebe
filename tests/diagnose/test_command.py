"""`cloudtimeouts diagnose`: the command on files, globs, standard input and gzip; its exit codes,
its formats, and the README's sample."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "incident"


def test_the_readmes_sample_is_what_the_command_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Diagnose an incident from logs", 1)[1]
    sample = section.split("```console\n", 1)[1].split("```", 1)[0]
    command, printed = sample.split("\n", 1)
    assert command == "$ cloudtimeouts diagnose orders.yaml app.log postgresql.log"
    run = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts", *command.split()[2:]],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert run.returncode == 3, run.stderr
    assert run.stdout == printed


def test_no_incident_exits_0_and_an_unreadable_log_exits_1_naming_it(
    cli: Any, tmp_path: Path
) -> None:
    quiet = tmp_path / "quiet.log"
    quiet.write_text("GET /orders/ 200\n" * 3)
    result = cli("diagnose", EXAMPLE / "orders.yaml", quiet)
    assert result.exit_code == 0, result.stderr
    assert "No incident" in result.stdout
    missing = cli("diagnose", EXAMPLE / "orders.yaml", tmp_path / "nope-*.log")
    assert missing.exit_code == 1
    assert "nope-*.log" in missing.stderr and "Traceback" not in missing.stderr


def test_gzip_and_standard_input_are_read_like_files(tmp_path: Path) -> None:
    packed = tmp_path / "server.gz"  # no .gz meaning: the magic bytes decide
    packed.write_bytes(gzip.compress((EXAMPLE / "postgresql.log").read_bytes()))
    run = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts", "diagnose", "orders.yaml", "-", str(packed)],
        cwd=EXAMPLE,
        input=(EXAMPLE / "app.log").read_bytes(),
        capture_output=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    assert run.returncode == 3, run.stderr
    assert b"evidence: -:5, " + str(packed).encode() + b":1" in run.stdout


def test_json_and_markdown_say_the_same_incident(cli: Any) -> None:
    logs = [EXAMPLE / "app.log", EXAMPLE / "postgresql.log"]
    document = json.loads(cli("diagnose", EXAMPLE / "orders.yaml", *logs, "-o", "json").stdout)
    (incident,) = document["incidents"]
    assert incident["closed_by"] == "the server's idle_session_timeout"
    assert incident["value"] == "600 s (from the profile)"
    assert [Path(e).name for e in incident["evidence"]] == ["app.log:5", "postgresql.log:1"]
    assert document["inputs"][0]["lines"] == 5 and document["inputs"][1]["recognised"] == 1
    markdown = cli("diagnose", EXAMPLE / "orders.yaml", *logs, "-o", "markdown")
    assert markdown.exit_code == 3
    assert "#### Incident 1: 2026-12-07T10:15:20+00:00" in markdown.stdout
    assert "closed by the server's idle\\_session\\_timeout" in markdown.stdout


def test_the_clock_offset_moves_the_applications_time(cli: Any) -> None:
    logs = [EXAMPLE / "app.log", EXAMPLE / "postgresql.log"]
    # the application's clock 1 h ahead: its error is at 09:15 on the servers' clock, before
    # the closure, which then explains nothing
    ahead = cli("diagnose", EXAMPLE / "orders.yaml", *logs, "--clock-offset", "1h", "-o", "json")
    (incident,) = json.loads(ahead.stdout)["incidents"]
    assert incident["closed_by"] is None
    assert json.loads(ahead.stdout)["clock_offset_seconds"] == 3600


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--window", "abc", "'abc' is not a duration"),
        ("--window", "0", "a window longer than 0s"),
        ("--clock-offset", "soon", "'soon' is not a duration"),
    ],
)
def test_a_bad_window_or_offset_is_one_usage_error_naming_the_option(
    cli: Any, option: str, value: str, said: str
) -> None:
    result = cli("diagnose", EXAMPLE / "orders.yaml", EXAMPLE / "app.log", option, value)
    assert result.exit_code == 1
    assert f"Invalid value for '{option}': {said}" in result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


# -- --from-target: the server's log through the RDS API (the emulator) ---------------------------
RDS_LINE = (
    "2026-12-07 10:14:58 UTC:10.0.1.7(5432):app@orders:[3131]:"
    "FATAL:  terminating connection due to idle-session timeout"
)


def test_from_target_reads_the_instances_log_through_the_api_and_names_the_cause(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    aws.create_group("orders-pg16", "postgres16")
    aws.create_instance("orders-db", "postgres", group="orders-pg16")
    # the line the application's error followed, on the instance the group reaches
    aws.put_log("orders-db", RDS_LINE, written=datetime.now(UTC).replace(microsecond=0))
    profile = tmp_path / "orders.yaml"
    profile.write_text(
        (EXAMPLE / "orders.yaml").read_text()
        + "targets:\n  - {provider: aws, region: eu-west-1, parameter_group: orders-pg16}\n"
    )
    found = cli("diagnose", profile, EXAMPLE / "app.log", "--from-target", "-o", "json")
    assert found.exit_code == 3, found.stderr
    document = json.loads(found.stdout)
    (incident,) = document["incidents"]
    assert incident["closed_by"] == "the server's idle_session_timeout"
    assert incident["evidence"][-1].startswith("orders-db:error/postgresql.log.")
    assert [i["name"].split(":")[0] for i in document["inputs"]] == [
        str(EXAMPLE / "app.log"),
        "orders-db",
    ]


def test_from_target_with_a_cloud_that_has_no_log_api_says_how_to_export(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts import server_logs

    # a cloud whose API serves no server log (each registered cloud's does today)
    monkeypatch.setattr(server_logs, "load_server_logs", lambda provider: None)
    profile = tmp_path / "orders.yaml"
    profile.write_text(
        (EXAMPLE / "orders.yaml").read_text()
        + "targets:\n  - {provider: gcp, project: shop-prod, instance: orders-pg}\n"
    )
    found = cli("diagnose", profile, "--from-target", "-o", "json")
    assert found.exit_code == 0, found.stderr
    (note,) = json.loads(found.stdout)["notes"]
    assert "export them" in note and note.startswith("gcp:")


def test_diagnose_needs_a_log_or_from_target(cli: Any) -> None:
    found = cli("diagnose", EXAMPLE / "orders.yaml")
    assert found.exit_code == 1
    assert "give at least one LOG, or --from-target" in found.stderr
