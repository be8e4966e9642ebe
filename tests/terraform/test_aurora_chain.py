"""Aurora members in a Terraform plan: every group of an instance's chain, and instances whose
cluster the plan cannot name.

Aurora User Guide, "Parameter groups for Amazon Aurora": an instance's DB parameter group
overrides its cluster's DB cluster parameter group where it sets a parameter. From the plan (AWS
provider docs, registry.terraform.io r/rds_cluster and r/rds_cluster_instance):
`aws_rds_cluster.db_cluster_parameter_group_name`, `aws_rds_cluster_instance.cluster_identifier`
and `db_parameter_group_name`, any of which Terraform may know only after apply
(`after_unknown`, JSON Output Format "Change Representation").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.profiles import aws_target, write_profile
from support.terraform import aurora_cluster, change, parameter_group, plan_json, write_plan

FAMILY = "aurora-postgresql16"
WRITER = aws_target("orders-aurora-writer")  # the members' DB parameter group
CLUSTER = aws_target("orders-aurora", cluster=True)


def _writer_group(parameters: dict[str, str]) -> dict[str, Any]:
    return parameter_group("orders-aurora-writer", parameters, family=FAMILY)


def _cluster_group(parameters: dict[str, str]) -> dict[str, Any]:
    return parameter_group("orders-aurora", parameters, family=FAMILY, cluster=True)


def test_a_member_db_parameter_group_is_judged_over_its_cluster_group(
    cli: Any, tmp_path: Path
) -> None:
    """A DB parameter group target on Aurora members: a parameter it does not set is the one
    the cluster's group sets (below it in the chain), as `plan` reads it from RDS."""
    profile = write_profile(tmp_path, targets=[WRITER])
    alone = write_plan(tmp_path, [_writer_group({})])
    code, shown = plan_json(cli, profile, "--terraform-plan", alone, "--detailed-exitcode")
    assert (code, shown["targets"][0]["refusals"]) == (0, [])

    cluster_group = _cluster_group({"idle_session_timeout": "60000"})
    members = aurora_cluster(("orders-1", "orders-aurora-writer"))
    plan = write_plan(tmp_path, [_writer_group({}), cluster_group, *members])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_session_timeout"
    assert "orders-1" in refusal["message"]
    assert "DB cluster parameter group orders-aurora" in refusal["message"]
    assert "set by the Terraform plan" in refusal["message"]
    assert shown["source"]["unmatched_resources"] == []  # the cluster group is judged too


def test_a_member_group_that_sets_the_parameter_overrides_the_cluster_group(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[WRITER])
    plan = write_plan(
        tmp_path,
        [
            _writer_group({"idle_session_timeout": "600000"}),
            _cluster_group({"idle_session_timeout": "60000"}),
            *aurora_cluster(("orders-1", "orders-aurora-writer")),
        ],
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert (code, shown["targets"][0]["refusals"]) == (0, [])


def test_a_member_whose_cluster_group_the_plan_does_not_hold_is_named_not_judged(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, targets=[WRITER])
    members = aurora_cluster(("orders-1", "orders-aurora-writer"), cluster_group="elsewhere")
    plan = write_plan(tmp_path, [_writer_group({}), *members])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert code == 0
    (warning,) = shown["targets"][0]["warnings"]
    assert 'aws_rds_cluster_instance.member["orders-1"]' in warning["message"]
    assert "elsewhere" in warning["message"] and "not judged" in warning["message"]


def test_a_member_of_a_cluster_whose_group_is_known_only_after_apply_is_warned_about(
    cli: Any, tmp_path: Path
) -> None:
    """Nothing is known of the group below the member's: a warning names the instance and says
    its values are not judged (README, "Terraform and OpenTofu"), for either target."""
    members = aurora_cluster(("orders-1", "orders-aurora-writer"), cluster_group=None)
    for target in (WRITER, CLUSTER):
        profile = write_profile(tmp_path, targets=[target])
        plan = write_plan(tmp_path, [_writer_group({}), _cluster_group({}), *members])
        code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
        assert code == 0, target
        warned = [w["message"] for w in shown["targets"][0]["warnings"]]
        assert any(
            'aws_rds_cluster_instance.member["orders-1"]' in w
            and "db_cluster_parameter_group_name" in w
            and "known only after apply" in w
            and "not judged" in w
            for w in warned
        ), warned


def _unknown_member(address: str = 'aws_rds_cluster_instance.member["orders-9"]') -> dict:
    return change(
        address,
        {"identifier": "orders-9", "db_parameter_group_name": "orders-aurora-writer"},
        after_unknown={"cluster_identifier": True},
        actions=["create"],
    )


def test_an_instance_whose_cluster_is_known_only_after_apply_is_warned_about(
    cli: Any, tmp_path: Path
) -> None:
    """It may be a member of the target's cluster, and its own group overrides the cluster
    group there; but it may as well be another cluster's, where this Django never connects: a
    warning, not a refusal."""
    profile = write_profile(tmp_path, targets=[CLUSTER])
    writer = _writer_group({"idle_session_timeout": "60000"})
    plan = write_plan(tmp_path, [_cluster_group({}), writer, _unknown_member()])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert code == 0
    (warning,) = shown["targets"][0]["warnings"]
    assert warning["parameter"] == "cluster_identifier"
    assert 'aws_rds_cluster_instance.member["orders-9"]' in warning["message"]
    assert "known only after apply" in warning["message"]
    assert "not judged" in warning["message"]


def test_a_cluster_known_through_the_configurations_reference_is_judged(
    cli: Any, tmp_path: Path
) -> None:
    """`cluster_identifier = aws_rds_cluster.orders.id` on a cluster created by the same plan:
    its id is known only after apply, but the configuration's reference names the cluster."""
    profile = write_profile(tmp_path, targets=[CLUSTER])
    writer = _writer_group({"idle_session_timeout": "60000"})
    (cluster,) = aurora_cluster()
    member = _unknown_member("aws_rds_cluster_instance.member")
    configuration = {
        "root_module": {
            "resources": [
                {
                    "address": "aws_rds_cluster_instance.member",
                    "expressions": {
                        "cluster_identifier": {
                            "references": ["aws_rds_cluster.orders.id", "aws_rds_cluster.orders"]
                        }
                    },
                }
            ]
        }
    }
    plan = write_plan(
        tmp_path, [_cluster_group({}), writer, cluster, member], configuration=configuration
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert "orders-9" in refusal["message"] and "orders-aurora-writer" in refusal["message"]
    assert shown["targets"][0]["warnings"] == []


# Django -> PgBouncer -> load balancer -> database: Django's own keepalives (the profile's
# tcp_keepalives_idle, in OPTIONS) end at PgBouncer, so only the server's reach the balancer.
LB_PATH = (
    "path:\n  - kind: pgbouncer\n    name: pgb\n"
    "  - kind: load-balancer\n    name: nlb\n    idle_timeout: 350s\n"
)


def _keepalive_profile(tmp_path: Path, target: dict[str, str]) -> Path:
    """A profile that declares a 60 s server keepalive and a 350 s load-balancer hop between
    its PgBouncer and the database, which that keepalive would keep open; Django's 10 min idle
    budget is longer than the hop."""
    profile = write_profile(
        tmp_path, server={"tcp_keepalives_idle": "60"}, conn_max_age="10min", targets=[target]
    )
    profile.write_text(profile.read_text() + LB_PATH)
    return profile


def _hop_refusals(shown: dict[str, Any]) -> list[dict[str, str]]:
    return [r for r in shown["targets"][0]["refusals"] if r["parameter"] == "nlb.idle_timeout"]


def test_the_keepalive_the_terraform_plan_leaves_decides_the_hop_not_the_profiles(
    cli: Any, tmp_path: Path
) -> None:
    """The server's keepalive in force is Terraform's 7200 s, not the profile's 60 s: the hop
    sees the connection idle and closes it (plan._guard reads the target's state)."""
    profile = _keepalive_profile(tmp_path, aws_target("orders-pg16"))
    kept = write_plan(tmp_path, [parameter_group("orders-pg16", {"tcp_keepalives_idle": "60"})])
    code, shown = plan_json(cli, profile, "--terraform-plan", kept)
    assert _hop_refusals(shown) == [], shown
    assert any("is kept open" in w["message"] for w in shown["targets"][0]["warnings"])

    hours = write_plan(tmp_path, [parameter_group("orders-pg16", {"tcp_keepalives_idle": "7200"})])
    code, shown = plan_json(cli, profile, "--terraform-plan", hours)
    assert code == 3
    assert len(_hop_refusals(shown)) == 1
    assert not any("is kept open" in w["message"] for w in shown["targets"][0]["warnings"])


def test_a_member_groups_keepalive_decides_the_hop_for_that_member(
    cli: Any, tmp_path: Path
) -> None:
    """The cluster group keeps the profile's 60 s, but a member's DB parameter group sets
    7200 s: on that instance the hop is not kept open."""
    profile = _keepalive_profile(tmp_path, CLUSTER)
    cluster_group = _cluster_group({"tcp_keepalives_idle": "60"})
    members = aurora_cluster(("orders-1", "orders-aurora-writer"))
    for keepalive, refused in (("60", 0), ("7200", 1)):
        writer = _writer_group({"tcp_keepalives_idle": keepalive})
        plan = write_plan(tmp_path, [cluster_group, writer, *members])
        code, shown = plan_json(cli, profile, "--terraform-plan", plan)
        assert len(_hop_refusals(shown)) == refused, shown
        assert code == (3 if refused else 0)
