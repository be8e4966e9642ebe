"""`plan --terraform-plan`: the guard judges what a Terraform/OpenTofu plan will leave.

The network is refused in every test here (tests/terraform/conftest.py): no cloud call.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import vendor
from support.profiles import aws_target, azure_target, gcp_target, write_profile
from support.terraform import (
    azure_configuration,
    change,
    cloudsql_instance,
    parameter_group,
    plan_document,
    plan_json,
    write_plan,
)

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
AWS = aws_target("orders-pg16")
AWS_ID = "aws:eu-west-1:parameter-group/orders-pg16"


def test_a_safe_terraform_plan_that_matches_the_profile_passes(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    plan = write_plan(
        tmp_path, [parameter_group("orders-pg16", {"idle_session_timeout": "600000"})]
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert code == 0
    (target,) = shown["targets"]
    assert target["id"] == AWS_ID
    assert (target["changes"], target["refusals"], target["error"]) == ([], [], None)
    assert target["unchanged"] == ["idle_session_timeout"]
    assert shown["source"]["kind"] == "terraform-plan"
    assert shown["source"]["terraform_version"] == "1.9.8"
    assert shown["source"]["unmatched_resources"] == []


def test_an_unsafe_value_terraform_will_set_is_refused_whatever_the_profile_says(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    plan = write_plan(tmp_path, [parameter_group("orders-pg16", {"idle_session_timeout": "60000"})])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    (target,) = shown["targets"]
    (refusal,) = target["refusals"]
    assert refusal["parameter"] == "idle_session_timeout"
    assert "60000 ms" in refusal["message"] and "set by the Terraform plan" in refusal["message"]
    (drift,) = target["changes"]  # and the Terraform code disagrees with the profile
    assert drift["current"] == "60000" and drift["current_source"] == "terraform"
    assert drift["desired"] == "600000"


def test_a_parameter_the_group_does_not_list_is_at_its_default(cli: Any, tmp_path: Path) -> None:
    """A parameter group's `parameter` set is complete: RDS PostgreSQL's idle_session_timeout
    default is 0 (off), so a profile that wants 10min sees a change, and no refusal."""
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    plan = write_plan(tmp_path, [parameter_group("orders-pg16", {"statement_timeout": "30000"})])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert code == 2
    (drift,) = shown["targets"][0]["changes"]
    assert (drift["current"], drift["current_source"]) == ("0", "default")


def test_aurora_postgresql_defaults_follow_the_groups_family(cli: Any, tmp_path: Path) -> None:
    """Aurora PostgreSQL sets idle_in_transaction_session_timeout to 24 h by default; CONN_MAX_AGE
    unlimited is refused by that default even when the cluster group lists nothing."""
    target = aws_target("orders-aurora", cluster=True)
    profile = write_profile(tmp_path, conn_max_age="unlimited", targets=[target])
    group = parameter_group("orders-aurora", {}, family="aurora-postgresql16", cluster=True)
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_in_transaction_session_timeout"
    assert "86400000" in refusal["message"]


def test_a_value_known_only_after_apply_is_unknown_and_refused(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    group = parameter_group(
        "orders-pg16",
        {"idle_session_timeout": "600000"},
        after_unknown={"parameter": [{"value": True}]},
    )
    group["change"]["after"]["parameter"][0]["value"] = None
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert (
        "idle_session_timeout is unknown: the Terraform plan knows it only after apply"
        in (refusal["message"])
    )
    (drift,) = shown["targets"][0]["changes"]
    assert drift["current"] == "(known after apply)"


def test_a_parameter_set_known_only_after_apply_leaves_every_timeout_unknown(
    cli: Any, tmp_path: Path
) -> None:
    """A dynamic block over a collection Terraform knows only at apply: the set is unknown, so
    the guard cannot fall back to defaults (an entry may set any parameter)."""
    profile = write_profile(tmp_path, targets=[AWS])
    group = parameter_group("orders-pg16", {}, after_unknown={"parameter": True})
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    refused = {r["parameter"] for r in shown["targets"][0]["refusals"]}
    assert refused == {"idle_session_timeout", "idle_in_transaction_session_timeout"}


def test_cloud_sql_flags_are_judged_and_matched_by_project(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path,
        engine="mysql",
        server={"interactive_timeout": "10min"},
        targets=[gcp_target("acme-prod", "orders-db")],
    )
    instance = cloudsql_instance(
        "orders-db", {"wait_timeout": "120", "interactive_timeout": "600"}, version="MYSQL_8_0"
    )
    elsewhere = cloudsql_instance("orders-db", {}, project="acme-staging", version="MYSQL_8_0")
    elsewhere["address"] = "module.staging.google_sql_database_instance.orders_db"
    plan = write_plan(tmp_path, [instance, elsewhere])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3  # wait_timeout 120 s < CONN_MAX_AGE 5 min
    (target,) = shown["targets"]
    assert [r["parameter"] for r in target["refusals"]] == ["wait_timeout"]
    assert target["unchanged"] == ["interactive_timeout"]
    assert shown["source"]["unmatched_resources"] == [
        {
            "address": "module.staging.google_sql_database_instance.orders_db",
            "reason": "no profile's target names it",
        }
    ]


def test_azure_server_parameters_by_server_id_and_by_names(cli: Any, tmp_path: Path) -> None:
    pg = azure_target(SUBSCRIPTION, "prod", "orders-pg")
    my = azure_target(SUBSCRIPTION, "prod", "orders-my")
    profiles = [
        write_profile(tmp_path, "pg.yaml", server={"idle_session_timeout": "10min"}, targets=[pg]),
        write_profile(
            tmp_path, "my.yaml", name="shop", engine="mysql", conn_max_age="60", targets=[my]
        ),
    ]
    plan = write_plan(
        tmp_path,
        [
            azure_configuration(
                "orders-pg", "idle_session_timeout", "600000", resource_group="PROD"
            ),
            azure_configuration("orders-my", "wait_timeout", "30", mysql=True),
        ],
    )
    code, shown = plan_json(cli, *profiles, "--terraform-plan", plan)
    assert code == 3
    by_id = {t["id"]: t for t in shown["targets"]}
    postgres = by_id[f"azure:{SUBSCRIPTION}:prod:server/orders-pg"]
    assert postgres["refusals"] == [] and postgres["unchanged"] == ["idle_session_timeout"]
    # idle_in_transaction_session_timeout is not in the plan: assumed default, and said so
    assert any("does not set idle_in_transaction" in w["message"] for w in postgres["warnings"])
    mysql = by_id[f"azure:{SUBSCRIPTION}:prod:server/orders-my"]
    assert [r["parameter"] for r in mysql["refusals"]] == ["wait_timeout"]


def test_an_azure_server_created_in_the_same_plan_is_found_through_the_reference(
    cli: Any, tmp_path: Path
) -> None:
    """The server's id is known only after apply; the configuration's reference names it."""
    profile = write_profile(
        tmp_path, server={"idle_session_timeout": "10min"},
        targets=[azure_target(SUBSCRIPTION, "prod", "orders-pg")],
    )  # fmt: skip
    server = change(
        "module.db.azurerm_postgresql_flexible_server.main",
        {"name": "orders-pg", "resource_group_name": "prod", "location": "westeurope"},
        actions=["create"],
        after_unknown={"id": True},
    )
    setting = azure_configuration(
        "orders-pg",
        "idle_session_timeout",
        "60000",
        address="module.db.azurerm_postgresql_flexible_server_configuration.idle",
        actions=["create"],
        after_unknown={"server_id": True},
    )
    setting["change"]["after"]["server_id"] = None
    configuration = {
        "root_module": {
            "module_calls": {
                "db": {
                    "module": {
                        "resources": [
                            {
                                "address": "azurerm_postgresql_flexible_server_configuration.idle",
                                "expressions": {
                                    "server_id": {
                                        "references": [
                                            "azurerm_postgresql_flexible_server.main.id",
                                            "azurerm_postgresql_flexible_server.main",
                                        ]
                                    }
                                },
                            }
                        ]
                    }
                }
            }
        }
    }
    plan = write_plan(tmp_path, [server, setting], configuration=configuration)
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    assert [r["parameter"] for r in shown["targets"][0]["refusals"]] == ["idle_session_timeout"]


def test_a_target_the_plan_does_not_hold_is_an_error_and_unmatched_resources_are_listed(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    plan = write_plan(tmp_path, [parameter_group("orders-pg15", {})])
    result = cli("plan", profile, "--terraform-plan", plan)
    assert result.exit_code == 1
    assert "holds no aws_db_parameter_group named orders-pg16" in result.stdout
    assert "aws_db_parameter_group.orders_pg15: no profile's target names it" in result.stdout
    assert "Judged from the Terraform plan" in result.stdout


def test_names_are_compared_as_rds_compares_them(cli: Any, tmp_path: Path) -> None:
    documented = vendor.rds_doc("CreateDBParameterGroupMessage", "DBParameterGroupName")
    assert "This value is stored as a lowercase string." in documented
    profile = write_profile(tmp_path, targets=[aws_target("Orders-PG16")])
    plan = write_plan(tmp_path, [parameter_group("orders-pg16", {})])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 0 and shown["targets"][0]["error"] is None


def test_a_group_of_another_engine_is_an_error(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    plan = write_plan(tmp_path, [parameter_group("orders-pg16", {}, family="mysql8.0")])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 1
    assert "is for mysql (mysql8.0)" in shown["targets"][0]["error"]


def test_a_destroyed_group_is_an_error_for_its_target(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    gone = parameter_group("orders-pg16", {}, actions=["delete"])
    gone["change"]["before"], gone["change"]["after"] = gone["change"]["after"], None
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [gone]))
    assert code == 1
    assert "destroyed by the plan" in shown["targets"][0]["error"]


def test_a_name_known_only_after_apply_is_listed_not_matched(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    prefixed = parameter_group(
        "x", {}, address="aws_db_parameter_group.pfx", after_unknown={"name": True}
    )
    prefixed["change"]["after"]["name"] = None
    plan = write_plan(tmp_path, [prefixed, parameter_group("orders-pg16", {})])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 0
    (unmatched,) = shown["source"]["unmatched_resources"]
    assert unmatched["address"] == "aws_db_parameter_group.pfx"
    assert "known only after apply" in unmatched["reason"]


def test_rds_proxy_idle_client_timeout(cli: Any, tmp_path: Path) -> None:
    path = "path:\n  - kind: rds-proxy\n    name: orders-proxy\n"
    profile = write_profile(
        tmp_path, targets=[{"provider": "aws", "region": "eu-west-1", "rds_proxy": "orders-proxy"}]
    )
    profile.write_text(profile.read_text() + path)
    proxy = change(
        "aws_db_proxy.orders",
        {"name": "orders-proxy", "engine_family": "POSTGRESQL", "idle_client_timeout": 120},
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [proxy]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_client_timeout" and "120 s" in refusal["message"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04binary", "binary plan file"),
        (b"{not json", "not JSON"),
        (b"[]", "not a Terraform JSON plan"),
        (b'{"format_version": "2.0", "resource_changes": []}', "format version 2.0"),
        (b'{"format_version": "1.0", "values": {}}', "a Terraform state, not a plan"),
        (b'{"format_version": "1.2", "errored": true, "resource_changes": []}', "errored"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_a_file_that_is_not_a_readable_plan_is_one_clear_error(
    cli: Any, tmp_path: Path, content: bytes, expected: str
) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    plan = tmp_path / "plan.json"
    plan.write_bytes(content)
    result = cli("plan", profile, "--terraform-plan", plan)
    assert result.exit_code == 1
    assert expected in result.stderr and str(plan) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_resource_not_shaped_as_documented_is_one_clear_error(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    broken = parameter_group("orders-pg16", {})
    broken["change"]["after"]["parameter"] = "idle_session_timeout=1"
    result = cli("plan", profile, "--terraform-plan", write_plan(tmp_path, [broken]))
    assert result.exit_code == 1
    assert "aws_db_parameter_group.orders_pg16: parameter is a JSON string, not an array" in (
        result.stderr
    )


def test_a_missing_plan_file_is_one_clear_error(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    result = cli("plan", profile, "--terraform-plan", tmp_path / "nope.json")
    assert result.exit_code == 1
    assert "nope.json: cannot read the plan" in result.stderr


def test_opentofu_plans_read_the_same(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    document = plan_document(
        [parameter_group("orders-pg16", {"idle_session_timeout": "600000"})], version="1.8.5"
    )
    document["format_version"] = "1.2"
    document["planned_values"].setdefault("outputs", {})
    (tmp_path / "tofu.json").write_text(json.dumps(document))
    code, shown = plan_json(cli, profile, "--terraform-plan", tmp_path / "tofu.json")
    assert code == 0 and shown["source"]["terraform_version"] == "1.8.5"


def test_the_table_marks_values_the_terraform_plan_leaves(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    group = parameter_group("orders-pg16", {"idle_session_timeout": "900000"})
    indexed = parameter_group("other", {}, address='module.m[0].aws_db_parameter_group.g["a"]')
    result = cli("plan", profile, "--terraform-plan", write_plan(tmp_path, [group, indexed]))
    assert result.exit_code == 0
    assert "~ idle_session_timeout: 900000 ms (15min) [terraform] -> 600000 ms (10min)" in (
        result.stdout
    )
    assert "update (the Terraform plan leaves another value)" in result.stdout
    assert 'module.m[0].aws_db_parameter_group.g["a"]: no profile' in result.stdout


def test_a_region_the_plan_says_must_agree_and_a_target_held_twice_is_an_error(
    cli: Any, tmp_path: Path
) -> None:
    """AWS provider 6 gives each resource a `region` argument: a group of the same name in
    another region is not the target; two of the same name in its region are ambiguous."""
    profile = write_profile(tmp_path, targets=[AWS])
    other_region = parameter_group("orders-pg16", {}, address="aws_db_parameter_group.us")
    other_region["change"]["after"]["region"] = "us-east-1"
    plan = write_plan(tmp_path, [other_region])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 1 and "holds no aws_db_parameter_group" in shown["targets"][0]["error"]
    assert [u["address"] for u in shown["source"]["unmatched_resources"]] == [
        "aws_db_parameter_group.us"
    ]
    twice = [
        parameter_group("orders-pg16", {}, address="module.a.aws_db_parameter_group.g"),
        parameter_group("orders-pg16", {}, address="module.b.aws_db_parameter_group.g"),
    ]
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, twice))
    assert code == 1
    assert (
        "holds it twice: module.a.aws_db_parameter_group.g, module.b"
        in (shown["targets"][0]["error"])
    )


def test_only_the_selected_targets_are_judged(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS, aws_target("billing-pg16")])
    plan = write_plan(tmp_path, [parameter_group("orders-pg16", {})])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--target", AWS_ID)
    assert code == 0 and [t["id"] for t in shown["targets"]] == [AWS_ID]


def test_a_parameter_given_two_values_is_unknown(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[AWS])
    group = parameter_group("orders-pg16", {"idle_session_timeout": "0"})
    group["change"]["after"]["parameter"].append(
        {"apply_method": "immediate", "name": "idle_session_timeout", "value": "600000"}
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    assert "only after apply" in shown["targets"][0]["refusals"][0]["message"]


def test_a_removed_azure_server_parameter_goes_back_to_its_default(
    cli: Any, tmp_path: Path
) -> None:
    """Destroying a *_flexible_server_configuration resets the parameter (azurerm docs); the
    guard then judges the default, and the removed resource is matched by what it was."""
    target = azure_target(SUBSCRIPTION, "prod", "orders-my")
    profile = write_profile(tmp_path, engine="mysql", conn_max_age="unlimited", targets=[target])
    removed = azure_configuration("orders-my", "wait_timeout", None, mysql=True, actions=["delete"])
    removed["change"]["before"] = {**removed["change"]["after"], "value": "0"}
    removed["change"]["after"] = None
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [removed]))
    assert code == 3  # the default wait_timeout (8 h) closes an unlimited CONN_MAX_AGE
    assert shown["source"]["unmatched_resources"] == []
    assert "wait_timeout" in {r["parameter"] for r in shown["targets"][0]["refusals"]}


@pytest.mark.parametrize("version", ["SQLSERVER_2022_STANDARD", "MARIADB_10_6"])
def test_an_instance_of_another_or_unknown_engine_is_not_a_postgres_target(
    cli: Any, tmp_path: Path, version: str
) -> None:
    """SQL Server is Cloud SQL's third engine; a version it does not document is not taken for
    the profile's engine either: the target is an error, never judged silently."""
    profile = write_profile(tmp_path, targets=[gcp_target("acme-prod", "orders-db")])
    instance = cloudsql_instance("orders-db", {}, version=version)
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [instance]))
    assert code == 1 and f"is for {version.lower()}" in shown["targets"][0]["error"]


def test_two_azure_resources_setting_one_parameter_differently_leave_it_unknown(
    cli: Any, tmp_path: Path
) -> None:
    target = azure_target(SUBSCRIPTION, "prod", "orders-pg")
    profile = write_profile(tmp_path, targets=[target])
    plan = write_plan(
        tmp_path,
        [
            azure_configuration(
                "orders-pg",
                "idle_session_timeout",
                "0",
                address="module.old.azurerm_postgresql_flexible_server_configuration.x",
            ),
            azure_configuration("orders-pg", "idle_session_timeout", "600000"),
        ],
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert "only after apply" in refusal["message"]


def test_the_plan_can_come_on_standard_input(tmp_path: Path) -> None:
    """`terraform show -json tfplan | cloudtimeouts plan PROFILE --terraform-plan -`."""
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    document = plan_document([parameter_group("orders-pg16", {"idle_session_timeout": "60000"})])
    result = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts", "plan", str(profile), "--terraform-plan", "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert "Judged from the Terraform plan read from standard input (Terraform" in result.stdout
    markdown = subprocess.run(
        [sys.executable, "-m", "cloudtimeouts", "plan", str(profile), "--terraform-plan", "-",
         "--output", "markdown"],
        input=json.dumps(document), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert markdown.returncode == 3, markdown.stderr
    assert "Judged from the Terraform plan read from standard input" in markdown.stdout
    assert "plan standard input" not in result.stdout + markdown.stdout  # issue 20
