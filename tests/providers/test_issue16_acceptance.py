"""Issue 16 acceptance, from the issue text and the README only: the real CLI on the emulators."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from support import vendor
from support.profiles import aws_target, write_profile

REGION = "eu-west-1"
CLUSTER_GROUP = "shop-aurora"
MEMBERS = "shop-members"
CLUSTER_ID = f"aws:{REGION}:cluster-parameter-group/{CLUSTER_GROUP}"
MEMBERS_ID = f"aws:{REGION}:parameter-group/{MEMBERS}"


def _aurora(aws: Any, cluster_values: dict[str, str] | None = None,
            member_values: dict[str, str] | None = None) -> None:  # fmt: skip
    aws.create_group(CLUSTER_GROUP, "aurora-postgresql16", cluster_values or {}, cluster=True)
    aws.create_group(MEMBERS, "aurora-postgresql16", member_values or {"statement_timeout": "1"})
    aws.create_cluster("shop", "aurora-postgresql", CLUSTER_GROUP, members=2,
                       instance_group=MEMBERS)  # fmt: skip


def _ab(tmp_path: Path, cluster_spelling: str = CLUSTER_GROUP,
        member_spelling: str = MEMBERS) -> tuple[Path, Path]:  # fmt: skip
    a = write_profile(tmp_path, name="alpha", conn_max_age="5min",
                      server={"idle_session_timeout": "10min"},
                      targets=[aws_target(cluster_spelling, cluster=True)])  # fmt: skip
    b = write_profile(tmp_path, name="bravo", conn_max_age="1min",
                      server={"idle_session_timeout": "2min"},
                      targets=[aws_target(member_spelling)])  # fmt: skip
    return a, b


def test_two_profiles_on_one_cluster_are_judged_together_and_apart(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    _aurora(aws)
    a, b = _ab(tmp_path)
    together = cli("plan", b, a)  # either order
    assert together.exit_code == 3, together.stdout + together.stderr
    assert "alpha" in together.stdout and "bravo" in together.stdout
    only_members = cli("plan", a, b, "--target", MEMBERS_ID)  # the cluster group as it is now
    assert only_members.exit_code == 3, only_members.stdout
    assert cli("apply", a, b, "--yes", "--journal", tmp_path / "j1").exit_code == 3
    assert "idle_session_timeout" not in aws.parameters(MEMBERS, source="user")
    # planned apart, each sees the other's values as they are now (README, "The guard")
    alone = cli("apply", b, "--yes", "--journal", tmp_path / "j2")
    assert alone.exit_code == 0, alone.stdout + alone.stderr
    after = cli("plan", a)
    assert after.exit_code == 3 and "set on DB parameter group shop-members" in after.stdout


def test_target_checks_one_profile_per_target_on_normalised_ids(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    _aurora(aws)
    b = write_profile(tmp_path, name="bravo", server={"idle_session_timeout": "20min"},
                      targets=[aws_target("SHOP-members")])  # fmt: skip
    c = write_profile(tmp_path, name="charlie", server={"idle_session_timeout": "30min"},
                      targets=[aws_target("Shop-Members")])  # fmt: skip
    for target in (MEMBERS_ID, f"aws:{REGION}:parameter-group/SHOP-members"):
        result = cli("plan", b, c, "--target", target)
        assert result.exit_code == 1, result.stdout
        assert "several profiles (bravo, charlie)" in result.stdout
        assert cli("apply", b, c, "--target", target, "--yes").exit_code == 1


def test_rds_mysql_interactive_timeout_is_shown_not_judged_aurora_judges_it(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    values = {"wait_timeout": "28800", "interactive_timeout": "300"}
    aws.create_group("my-rds", "mysql8.0", values)
    aws.create_group("my-aurora", "aurora-mysql8.0", values, cluster=True)
    rds = write_profile(tmp_path, name="rds", engine="mysql", conn_max_age="10min",
                        targets=[aws_target("my-rds")])  # fmt: skip
    result = cli("plan", rds, "-o", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    (target,) = json.loads(result.stdout)["targets"]
    (shown,) = target["warnings"]
    assert shown["parameter"] == "interactive_timeout" and "CLIENT_INTERACTIVE" in shown["message"]
    aurora = write_profile(tmp_path, name="aurora", engine="mysql", conn_max_age="10min",
                           targets=[aws_target("my-aurora", cluster=True)])  # fmt: skip
    refused = cli("plan", aurora, "-o", "json")
    assert refused.exit_code == 3
    (refusal,) = json.loads(refused.stdout)["targets"][0]["refusals"]
    assert refusal["parameter"] == "interactive_timeout"


def test_keepalive_credit_uses_the_value_in_force_on_the_target(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    path = "  - {kind: load-balancer, name: nlb, provider: aws}\n"  # 350 s
    for name, values, code in (("pg-ka-off", {"tcp_keepalives_idle": "7200"}, 3),
                               ("pg-ka-on", {}, 0)):  # fmt: skip
        aws.create_group(name, "postgres16", values)  # RDS default tcp_keepalives_idle 300 s
        text = write_profile(tmp_path, name="ka", conn_max_age="10min",
                             server={"idle_session_timeout": "0"},
                             targets=[aws_target(name)]).read_text()  # fmt: skip
        profile = tmp_path / f"{name}.yaml"
        profile.write_text(text.replace("targets:", "path:\n" + path + "targets:"))
        result = cli("plan", profile)
        assert result.exit_code == code, result.stdout + result.stderr


def test_a_hop_named_after_the_proxy_keeps_its_refusal(aws: Any, cli: Any, tmp_path: Path) -> None:
    aws.create_proxy("p1")
    text = write_profile(tmp_path, conn_max_age="10min", server={}).read_text()
    text = text.replace("targets: []\n", "")
    text += "path:\n  - {kind: load-balancer, name: p1.nlb, provider: gcp}\n"
    text += "  - {kind: rds-proxy, name: p1, idle_client_timeout: 20min}\ntargets:\n"
    text += "  - {provider: aws, region: eu-west-1, rds_proxy: p1}\n"
    profile = tmp_path / "px.yaml"
    profile.write_text(text)
    result = cli("plan", profile)
    assert result.exit_code == 3, result.stdout
    assert "path load-balancer p1.nlb: idle_timeout = 60 s" in result.stdout


def test_max_idle_in_transaction_off_or_disabled_is_an_error_at_its_line(
    cli: Any, tmp_path: Path
) -> None:
    for word in ("off", "disabled"):
        server = {"idle_in_transaction_session_timeout": "1ms"}
        text = write_profile(tmp_path, conn_max_age="10min", server=server).read_text()
        budget = f"  conn_max_age: 10min\n  max_idle_in_transaction: {word}\n"
        profile = tmp_path / f"{word}.yaml"
        profile.write_text(text.replace("  conn_max_age: 10min\n", budget))
        result = cli("validate", profile)
        assert result.exit_code == 1
        assert f"{profile}:5: django.max_idle_in_transaction: {word} is ambiguous" in result.stderr


def test_an_undeclared_transaction_budget_is_said_never_a_silent_pass(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("pg-z", "postgres16")
    profile = write_profile(tmp_path, conn_max_age="0", targets=[aws_target("pg-z")],
                            server={"idle_in_transaction_session_timeout": "1min"})  # fmt: skip
    result = cli("plan", profile, "-o", "json")
    assert result.exit_code == 0
    (warning,) = json.loads(result.stdout)["targets"][0]["warnings"]
    assert "max_idle_in_transaction" in warning["message"]
    validated = cli("validate", profile)
    assert validated.exit_code == 0 and "max_idle_in_transaction" in validated.stderr


def test_journal_on_dev_null_is_refused_and_its_mode_unchanged(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("pg-j", "postgres16")
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"},
                            targets=[aws_target("pg-j")])  # fmt: skip
    mode = os.stat("/dev/null").st_mode
    result = cli("apply", profile, "--yes", "--journal", "/dev/null")
    assert result.exit_code == 1 and "/dev/null" in result.stderr
    assert os.stat("/dev/null").st_mode == mode
    assert "idle_session_timeout" not in aws.parameters("pg-j", source="user")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert cli("apply", profile, "--yes", "--journal", fifo).exit_code == 1


def test_groups_spelled_in_another_case_are_read_as_rds_reads_them(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    # RDS stores parameter group names in lower case (CreateDBParameterGroup): a profile that
    # spells them otherwise still names them, on the cluster group and on the members' group.
    for shape in ("CreateDBParameterGroupMessage", "CreateDBClusterParameterGroupMessage"):
        member = shape.removeprefix("Create").removesuffix("Message") + "Name"
        assert "stored as a lowercase string" in vendor.rds_doc(shape, member)
    _aurora(aws, cluster_values={"idle_session_timeout": "60000"})
    a, b = _ab(tmp_path, "Shop-Aurora", "SHOP-members")
    result = cli("plan", b, a, "-o", "json")
    assert result.exit_code == 3, result.stdout + result.stderr
    plans = json.loads(result.stdout)["targets"]
    assert [t["error"] for t in plans] == [None, None]
