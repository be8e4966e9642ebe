"""Aurora on the realistic RDS emulator: members' own groups override the cluster group.

Aurora User Guide, "Parameter groups for Amazon Aurora": a DB parameter group attached to a cluster
member overrides the DB cluster parameter group for the parameters it sets. A profile that makes
the cluster group safe is still refused while a member's group closes idle sessions sooner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.profiles import aws_target, write_profile

SERVER = {"idle_session_timeout": "10min", "idle_in_transaction_session_timeout": "10min"}


def profile(tmp_path: Path) -> Path:
    return write_profile(
        tmp_path, server=SERVER, targets=[aws_target("search-aurora", cluster=True)]
    )


def test_a_member_group_that_closes_idle_sessions_sooner_is_refused_by_name(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("search-aurora", "aurora-postgresql16", cluster=True)
    aws.create_group("search-instances", "aurora-postgresql16", {"idle_session_timeout": "60000"})
    aws.create_cluster("search", "aurora-postgresql", "search-aurora", members=2,
                       instance_group="search-instances")  # fmt: skip
    result = cli("plan", profile(tmp_path), "-o", "json")
    assert result.exit_code == 3, result.stderr
    (target,) = json.loads(result.stdout)["targets"]
    messages = [r["message"] for r in target["refusals"]]
    assert len(messages) == 2  # one per member
    assert all("set on DB parameter group search-instances" in m for m in messages)
    assert any("member search-1 (cluster search)" in m for m in messages)
    assert all("idle_session_timeout = 60000 ms" in m for m in messages)


def test_members_on_a_group_that_sets_nothing_follow_the_cluster(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("search-aurora", "aurora-postgresql16", cluster=True)
    aws.create_group("search-instances", "aurora-postgresql16", {"statement_timeout": "30000"})
    aws.create_cluster("search", "aurora-postgresql", "search-aurora", members=2,
                       instance_group="search-instances")  # fmt: skip
    result = cli("plan", profile(tmp_path), "-o", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    (target,) = json.loads(result.stdout)["targets"]
    assert target["refusals"] == []


def test_aurora_postgresql_reports_its_24_hour_idle_in_transaction_default(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("search-aurora", "aurora-postgresql16", cluster=True)
    path = write_profile(tmp_path, conn_max_age="unlimited",
                         server={"idle_session_timeout": "0"},
                         targets=[aws_target("search-aurora", cluster=True)])  # fmt: skip
    result = cli("plan", path, "-o", "json")
    assert result.exit_code == 3
    (refusal,) = json.loads(result.stdout)["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_in_transaction_session_timeout"
    assert "86400000 ms" in refusal["message"]
