"""Aurora on the realistic RDS emulator: members' own groups override the cluster group.

Aurora User Guide, "Parameter groups for Amazon Aurora": a DB parameter group attached to a cluster
member overrides the DB cluster parameter group for the parameters it sets. A profile that makes
the cluster group safe is still refused while a member's group closes idle sessions sooner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support import vendor
from support.profiles import aws_target, write_profile

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile

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
    recorded = vendor.recorded_aurora_postgresql14()["idle_in_transaction_session_timeout"]
    assert (recorded["ParameterValue"], recorded["Source"]) == ("86400000", "system")  # AWS's
    aws.create_group("search-aurora", "aurora-postgresql16", cluster=True)
    path = write_profile(tmp_path, conn_max_age="unlimited",
                         server={"idle_session_timeout": "0"},
                         targets=[aws_target("search-aurora", cluster=True)])  # fmt: skip
    result = cli("plan", path, "-o", "json")
    assert result.exit_code == 3
    (refusal,) = json.loads(result.stdout)["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_in_transaction_session_timeout"
    assert "86400000 ms" in refusal["message"]


# -- a profile on the members' DB parameter group: the cluster group is below it ----------------
# Aurora User Guide, "Parameter groups for Amazon Aurora": every member inherits the DB cluster
# parameter group's settings, and its DB parameter group overrides them where it sets a parameter.
# So a members' group that leaves idle_session_timeout unset hands the members the cluster's value.
MEMBERS = "search-instances"
MEMBERS_ID = f"aws:eu-west-1:parameter-group/{MEMBERS}"
CLUSTER_ID = "aws:eu-west-1:cluster-parameter-group/search-aurora"


def _aurora_cluster(aws: Any, cluster_values: dict[str, str]) -> None:
    """Cluster `search` (group search-aurora, setting `cluster_values`), two members on
    search-instances, which sets nothing the guard reads."""
    aws.create_group("search-aurora", "aurora-postgresql16", cluster_values, cluster=True)
    aws.create_group(MEMBERS, "aurora-postgresql16", {"statement_timeout": "30000"})
    aws.create_cluster("search", "aurora-postgresql", "search-aurora", members=2,
                       instance_group=MEMBERS)  # fmt: skip


def _members_profile(tmp_path: Path, server: dict[str, str], **fields: Any) -> Path:
    return write_profile(tmp_path, server=server, targets=[aws_target(MEMBERS)], **fields)


def test_a_members_group_inheriting_60s_from_the_cluster_group_is_refused(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    _aurora_cluster(aws, {"idle_session_timeout": "60000"})
    path = _members_profile(tmp_path, {"idle_in_transaction_session_timeout": "10min"})

    result = cli("plan", path, "-o", "json")

    assert result.exit_code == 3, result.stdout + result.stderr
    (target,) = json.loads(result.stdout)["targets"]
    assert target["id"] == MEMBERS_ID
    messages = sorted(r["message"] for r in target["refusals"])
    assert len(messages) == 2, messages  # one per member
    for index, message in enumerate(messages, start=1):
        assert f"member search-{index} (cluster search)" in message
        assert "idle_session_timeout = 60000 ms" in message
        assert "set on DB cluster parameter group search-aurora" in message
    plan = make_plan([load_profile(path)])  # the library says the same
    (planned,) = plan.targets
    assert [f.message for f in planned.refusals] == [r["message"] for r in target["refusals"]]


def test_a_members_group_setting_10min_over_the_cluster_group_passes(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    _aurora_cluster(aws, {"idle_session_timeout": "60000"})
    path = _members_profile(tmp_path, SERVER)

    result = cli("plan", path, "-o", "json")

    assert result.exit_code == 0, result.stdout + result.stderr
    (planned,) = make_plan([load_profile(path)]).targets
    assert planned.refusals == () and planned.state is not None
    # judged on each member, over the cluster group's 60 s that its own 10 min overrides
    members = planned.state.members
    assert [m.instance for m in members] == [f"search-{i} (cluster search)" for i in (1, 2)]
    for member in members:
        assert member.above == () and member.platform == "aurora-postgresql16"
        (below,) = member.below
        assert below.key == CLUSTER_ID
        assert below.label == "DB cluster parameter group search-aurora"
        assert below.parameters["idle_session_timeout"].value == "60000"


def test_two_profiles_on_one_cluster_refuse_each_other_and_apply_writes_nothing(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    """Profile a manages the cluster group for a 5 min CONN_MAX_AGE; profile b lowers
    idle_session_timeout to 2 min on the members' group, which wins on every member."""
    _aurora_cluster(aws, {})
    a = write_profile(tmp_path, name="a", conn_max_age="5min",
                      server={"idle_session_timeout": "10min"},
                      targets=[aws_target("search-aurora", cluster=True)])  # fmt: skip
    b = write_profile(tmp_path, name="b", conn_max_age="1min",
                      server={"idle_session_timeout": "2min"},
                      targets=[aws_target(MEMBERS)])  # fmt: skip
    before = (aws.parameters("search-aurora", cluster=True, source="user"),
              aws.parameters(MEMBERS, source="user"))  # fmt: skip

    result = cli("plan", a, b, "-o", "json")

    assert result.exit_code == 3, result.stdout + result.stderr
    targets = {t["id"]: t for t in json.loads(result.stdout)["targets"]}
    on_members = [r["message"] for r in targets[MEMBERS_ID]["refusals"]]
    assert len(on_members) == 2, on_members  # b's own plan judges a's Django on each member
    assert all("for profile a's Django" in m and "idle_session_timeout" in m for m in on_members)
    assert all("from profile b" in m for m in on_members)
    on_cluster = [r["message"] for r in targets[CLUSTER_ID]["refusals"]]
    assert on_cluster and all("from profile b" in m for m in on_cluster)

    aws.reset_counters()
    applied = cli("apply", a, b, "--yes")

    assert applied.exit_code == 3, applied.stdout + applied.stderr
    after = (aws.parameters("search-aurora", cluster=True, source="user"),
             aws.parameters(MEMBERS, source="user"))  # fmt: skip
    assert after == before
    assert not {"ModifyDBParameterGroup", "ModifyDBClusterParameterGroup"} & set(aws.calls)


def test_apply_stops_when_the_cluster_group_changed_after_the_plan(
    aws: Any, tmp_path: Path
) -> None:
    _aurora_cluster(aws, {"idle_session_timeout": "1200000"})  # 20 min: safe
    plan = make_plan([load_profile(_members_profile(tmp_path, SERVER))])
    assert plan.refusal_count == 0 and plan.error_count == 0 and plan.change_count == 2
    aws.set_parameters("search-aurora", {"idle_session_timeout": "1800000"}, cluster=True)

    result = apply_plan(plan)

    (target,) = result.targets
    assert target.outcome == "changed-since-plan", target
    assert not target.written
    assert "idle_session_timeout" not in aws.parameters(MEMBERS, source="user")
