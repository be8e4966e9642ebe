"""Plan shapes real Terraform/OpenTofu emit, read as the JSON Output Format documents them.

Sources: developer.hashicorp.com/terraform/internals/json-format ("Change Representation",
"Configuration Representation"), and the resources' provider docs (registry.terraform.io).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, azure_target, gcp_target, write_profile
from support.terraform import (
    aurora_cluster,
    azure_configuration,
    change,
    cloudsql_instance,
    parameter_group,
    plan_json,
    write_plan,
)

AWS = aws_target("orders-pg16")
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


@pytest.mark.parametrize("value", ["{DBInstanceClassMemory/1048576}", "10min", "-1"])
def test_a_known_value_that_is_not_a_number_is_not_called_unknown(
    cli: Any, tmp_path: Path, value: str
) -> None:
    """A formula or a unit suffix is a value Terraform knows at plan time: the guard cannot
    evaluate it, and says so; it does not say Terraform knows it only after apply."""
    profile = write_profile(tmp_path, targets=[AWS])
    group = parameter_group("orders-pg16", {"idle_session_timeout": value})
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert "after apply" not in refusal["message"]
    assert "not a number cloudtimeouts can evaluate" in refusal["message"]
    assert repr(value) in refusal["message"] and "set by the Terraform plan" in refusal["message"]


def test_a_proxy_timeout_that_is_no_duration_is_refused_not_an_unexpected_error(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(
        tmp_path, targets=[{"provider": "aws", "region": "eu-west-1", "rds_proxy": "orders-proxy"}]
    )
    profile.write_text(profile.read_text() + "path:\n  - kind: rds-proxy\n    name: orders-proxy\n")
    proxy = change("aws_db_proxy.orders", {"name": "orders-proxy", "idle_client_timeout": -5})
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [proxy]))
    assert code == 3 and shown["targets"][0]["error"] is None
    (refusal,) = shown["targets"][0]["refusals"]
    assert (
        "'-5'" in refusal["message"]
        and "not a number cloudtimeouts can evaluate" in (refusal["message"])
    )


def _deleted(entry: dict[str, Any]) -> dict[str, Any]:
    """The same resource destroyed: `after` null and `before` its values (actions delete)."""
    entry["change"].update(actions=["delete"], before=entry["change"]["after"], after=None)
    entry["change"]["after_unknown"] = False
    return entry


def test_a_resource_renamed_without_a_moved_block_is_judged_by_the_one_that_stays(
    cli: Any, tmp_path: Path
) -> None:
    """Renaming a resource in code without `moved` plans a delete of the old address and a
    create of the new one, both with the same cloud name: the target is the new one, not
    "held twice" (action_reason delete_because_no_resource_config)."""
    profile = write_profile(
        tmp_path,
        server={"idle_session_timeout": "10min"},
        targets=[AWS, gcp_target("acme-prod", "orders-db")],
    )
    old_group = parameter_group(
        "orders-pg16", {"idle_session_timeout": "0"}, address="aws_db_parameter_group.old"
    )
    new_group = parameter_group(
        "orders-pg16", {"idle_session_timeout": "600000"}, address="aws_db_parameter_group.new"
    )
    old_instance = cloudsql_instance("orders-db", {}, address="google_sql_database_instance.old")
    new_instance = cloudsql_instance(
        "orders-db", {"idle_session_timeout": "600000"}, actions=["create"]
    )
    plan = write_plan(
        tmp_path, [_deleted(old_group), new_group, _deleted(old_instance), new_instance]
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert code == 0, shown
    for target in shown["targets"]:
        assert target["error"] is None and target["unchanged"] == ["idle_session_timeout"]
    assert shown["source"]["unmatched_resources"] == []


def test_an_azure_parameter_reset_and_set_in_one_plan_is_unknown(cli: Any, tmp_path: Path) -> None:
    """Destroying a *_flexible_server_configuration writes the parameter's default back
    (azurerm: its Delete updates the configuration to DefaultValue); nothing orders that
    delete before or after the create of the renamed resource, so either value may stay."""
    target = azure_target(SUBSCRIPTION, "prod", "orders-pg")
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[target])
    old = azure_configuration(
        "orders-pg", "idle_session_timeout", "600000",
        address="azurerm_postgresql_flexible_server_configuration.old",
    )  # fmt: skip
    new = azure_configuration("orders-pg", "idle_session_timeout", "600000", actions=["create"])
    code, shown = plan_json(
        cli, profile, "--terraform-plan", write_plan(tmp_path, [_deleted(old), new])
    )
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_session_timeout"
    assert any("moved" in w["message"] and ".old" in w["message"]
               for w in shown["targets"][0]["warnings"])  # fmt: skip


def _server(address: str, name: str) -> dict[str, Any]:
    """An Azure flexible server the plan creates: its id is known only after apply."""
    return change(
        address,
        {"name": name, "resource_group_name": "prod", "location": "westeurope"},
        actions=["create"],
        after_unknown={"id": True},
    )


def _configured(server_id_references: list[str], **module: Any) -> dict[str, Any]:
    """A module whose configuration resource takes server_id from these references."""
    return {
        "resources": [
            {
                "address": "azurerm_postgresql_flexible_server_configuration.idle",
                "mode": "managed",
                "type": "azurerm_postgresql_flexible_server_configuration",
                "name": "idle",
                "provider_config_key": "azurerm",
                "expressions": {
                    "name": {"constant_value": "idle_session_timeout"},
                    "server_id": {"references": server_id_references},
                },
                "schema_version": 0,
            }
        ],
        **module,
    }


def _setting(address: str, value: str) -> dict[str, Any]:
    setting = azure_configuration(
        "unused", "idle_session_timeout", value, address=address, actions=["create"],
        after_unknown={"server_id": True},
    )  # fmt: skip
    del setting["change"]["after"]["server_id"]  # unknown values are left out of `after`
    return setting


def test_module_instances_each_find_their_own_server(cli: Any, tmp_path: Path) -> None:
    """`module "db" { for_each = ... }`: each instance's configuration refers to the server of
    the same instance (references are relative to the module; the plan's addresses carry the
    instance keys). A key may hold dots and brackets."""
    targets = [azure_target(SUBSCRIPTION, "prod", s) for s in ("orders-eu", "orders-us")]
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=targets)
    references = [
        "azurerm_postgresql_flexible_server.main.id",
        "azurerm_postgresql_flexible_server.main",
    ]
    changes = []
    for key, server, value in (("eu.1]", "orders-eu", "600000"), ("us", "orders-us", "60000")):
        prefix = f'module.db["{key}"]'
        changes += [
            _server(f"{prefix}.azurerm_postgresql_flexible_server.main", server),
            _setting(f"{prefix}.azurerm_postgresql_flexible_server_configuration.idle", value),
        ]
    configuration = {
        "root_module": {
            "module_calls": {"db": {"source": "./db", "module": _configured(references)}}
        }
    }
    plan = write_plan(tmp_path, changes, configuration=configuration)
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    by_id = {t["id"].rsplit("/", 1)[-1]: t for t in shown["targets"]}
    assert by_id["orders-eu"]["error"] is None and by_id["orders-eu"]["refusals"] == []
    assert by_id["orders-eu"]["unchanged"] == ["idle_session_timeout"]
    assert [r["parameter"] for r in by_id["orders-us"]["refusals"]] == ["idle_session_timeout"]
    assert code == 3 and shown["source"]["unmatched_resources"] == []


def test_a_server_passed_into_a_module_as_a_variable_is_followed(cli: Any, tmp_path: Path) -> None:
    """`module "settings" { server_id = azurerm_postgresql_flexible_server.main.id }`, and
    inside it `server_id = var.server_id`: the reference goes through the module call."""
    profile = write_profile(
        tmp_path, server={"idle_session_timeout": "10min"},
        targets=[azure_target(SUBSCRIPTION, "prod", "orders-pg")],
    )  # fmt: skip
    changes = [
        _server("azurerm_postgresql_flexible_server.main", "orders-pg"),
        _setting("module.settings.azurerm_postgresql_flexible_server_configuration.idle", "60000"),
    ]
    call = {
        "source": "./settings",
        "expressions": {
            "server_id": {
                "references": [
                    "azurerm_postgresql_flexible_server.main.id",
                    "azurerm_postgresql_flexible_server.main",
                ]
            }
        },
        "module": _configured(["var.server_id"]),
    }
    configuration = {"root_module": {"module_calls": {"settings": call}}}
    plan = write_plan(tmp_path, changes, configuration=configuration)
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3, shown
    assert [r["parameter"] for r in shown["targets"][0]["refusals"]] == ["idle_session_timeout"]


def test_a_reference_to_one_of_several_servers_is_not_guessed(cli: Any, tmp_path: Path) -> None:
    """`server_id = azurerm_postgresql_flexible_server.main[count.index].id`: the index is not
    in the references, so which server it is stays unknown (listed, not judged)."""
    targets = [azure_target(SUBSCRIPTION, "prod", s) for s in ("orders-a", "orders-b")]
    profile = write_profile(tmp_path, targets=targets)
    changes = [
        _server("azurerm_postgresql_flexible_server.main[0]", "orders-a"),
        _server("azurerm_postgresql_flexible_server.main[1]", "orders-b"),
        _setting("azurerm_postgresql_flexible_server_configuration.idle[0]", "600000"),
    ]
    configuration = {"root_module": _configured(["azurerm_postgresql_flexible_server.main"])}
    plan = write_plan(tmp_path, changes, configuration=configuration)
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 1  # neither target is found in the plan
    (unmatched,) = shown["source"]["unmatched_resources"]
    assert unmatched["address"] == "azurerm_postgresql_flexible_server_configuration.idle[0]"
    assert "server" in unmatched["reason"]


def test_a_server_from_another_modules_output_is_followed(cli: Any, tmp_path: Path) -> None:
    """`server_id = module.server.id`, the output being `azurerm_..._server.main.id`."""
    profile = write_profile(tmp_path, targets=[azure_target(SUBSCRIPTION, "prod", "orders-pg")])
    changes = [
        _server('module.server["x"].azurerm_postgresql_flexible_server.main', "orders-pg"),
        _setting("azurerm_postgresql_flexible_server_configuration.idle", "60000"),
    ]
    output = {"expression": {"references": ["azurerm_postgresql_flexible_server.main.id"]}}
    configuration = {
        "root_module": _configured(
            ['module.server["x"].id', 'module.server["x"]', "module.server"],
            module_calls={"server": {"module": {"outputs": {"id": output}}}},
        )
    }
    plan = write_plan(tmp_path, changes, configuration=configuration)
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3 and shown["source"]["unmatched_resources"] == []


def _group_config(address: str, provider: str) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": "aws_db_parameter_group",
        "name": address.rsplit(".", 1)[-1],
        "provider_config_key": provider,
        "expressions": {"name": {"constant_value": "orders-pg16"}},
        "schema_version": 0,
    }


def test_a_provider_alias_gives_the_region_the_resource_lacks(cli: Any, tmp_path: Path) -> None:
    """AWS provider 5: one group name in two regions through `provider = aws.us`; the region is
    the provider block's (a constant, or a root variable), the resource's own `after` has none.
    A group passed to a module as `providers = { aws = aws.us }` uses that block too."""
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[AWS])
    groups = [
        parameter_group("orders-pg16", {"idle_session_timeout": "600000"},
                        address="aws_db_parameter_group.eu"),
        parameter_group("orders-pg16", {"idle_session_timeout": "0"},
                        address="aws_db_parameter_group.us"),
        parameter_group("orders-pg16", {"idle_session_timeout": "0"},
                        address="module.replica.aws_db_parameter_group.g"),
    ]  # fmt: skip
    aws = {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws"}
    us = {"region": {"constant_value": "us-east-1"}}
    replica = {"resources": [_group_config("aws_db_parameter_group.g", "aws.us")]}
    configuration = {
        "provider_config": {
            "aws": {**aws, "expressions": {"region": {"references": ["var.region"]}}},
            "aws.us": {**aws, "alias": "us", "expressions": us},
        },
        "root_module": {
            "resources": [
                _group_config("aws_db_parameter_group.eu", "aws"),
                _group_config("aws_db_parameter_group.us", "aws.us"),
            ],
            "module_calls": {"replica": {"module": replica}},
        },
    }  # fmt: skip
    document_path = write_plan(tmp_path, groups, configuration=configuration)
    document = json.loads(document_path.read_text())
    document["variables"] = {"region": {"value": "eu-west-1"}}
    document_path.write_text(json.dumps(document))
    code, shown = plan_json(cli, profile, "--terraform-plan", document_path, "--detailed-exitcode")
    assert code == 0, shown["targets"][0]["error"]
    assert shown["targets"][0]["unchanged"] == ["idle_session_timeout"]
    assert [u["address"] for u in shown["source"]["unmatched_resources"]] == [
        "aws_db_parameter_group.us",
        "module.replica.aws_db_parameter_group.g",
    ]


def test_azure_postgres_and_mysql_servers_of_one_name_are_two_targets(
    cli: Any, tmp_path: Path
) -> None:
    """Microsoft.DBforPostgreSQL/flexibleServers/orders and Microsoft.DBforMySQL/...
    /orders are two servers (two resource types, two DNS names): a PostgreSQL profile's
    target is held by the PostgreSQL configurations only. A PostgreSQL configuration whose
    server_id names a MySQL server (the id's casing aside) holds no PostgreSQL target."""
    target = azure_target(SUBSCRIPTION, "prod", "orders")
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[target])
    postgres = azure_configuration("orders", "idle_session_timeout", "600000")
    postgres["change"]["after"]["server_id"] = postgres["change"]["after"]["server_id"].lower()
    mysql = azure_configuration("orders", "wait_timeout", "30", mysql=True)
    astray = azure_configuration(
        "orders", "idle_in_transaction_session_timeout", "1000",
        address="azurerm_postgresql_flexible_server_configuration.astray",
    )  # fmt: skip
    astray["change"]["after"]["server_id"] = astray["change"]["after"]["server_id"].replace(
        "DBforPostgreSQL", "DBforMySQL"
    )
    plan = write_plan(tmp_path, [postgres, mysql, astray])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan, "--detailed-exitcode")
    (judged,) = shown["targets"]
    assert (code, judged["error"]) == (0, None), judged
    assert judged["unchanged"] == ["idle_session_timeout"]
    assert sorted(u["address"] for u in shown["source"]["unmatched_resources"]) == [
        "azurerm_mysql_flexible_server_configuration.orders_wait_timeout",
        "azurerm_postgresql_flexible_server_configuration.astray",
    ]


def test_a_default_that_depends_on_a_family_known_only_after_apply_is_unknown(
    cli: Any, tmp_path: Path
) -> None:
    """Aurora PostgreSQL's idle_in_transaction_session_timeout defaults to 24 h, RDS
    PostgreSQL's to 0 (off): with the group's family known only after apply (say, from a
    data source that waits on a resource), the default the guard would judge is a guess."""
    target = aws_target("orders-aurora", cluster=True)
    profile = write_profile(tmp_path, conn_max_age="unlimited", targets=[target])
    group = parameter_group(
        "orders-aurora", {}, cluster=True, after_unknown={"family": True}, actions=["create"]
    )
    del group["change"]["after"]["family"]
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_in_transaction_session_timeout"
    assert "only after apply" in refusal["message"]


def test_a_target_whose_change_is_deferred_says_so(cli: Any, tmp_path: Path) -> None:
    """Terraform 1.10+ may defer a change to a later plan (`deferred_changes`, e.g. a for_each
    over values known only after apply); the plan is then not complete. The deferred change is
    not in `resource_changes`: the target's error says it is deferred, not that it is absent."""
    profile = write_profile(tmp_path, targets=[AWS])
    deferred = parameter_group(
        "orders-pg16", {"idle_session_timeout": "0"},
        address='module.db["a"].aws_db_parameter_group.this', actions=["create"],
    )  # fmt: skip
    path = write_plan(tmp_path, [])
    document = json.loads(path.read_text())
    document["deferred_changes"] = [
        {"reason": "instance_count_unknown", "resource_change": deferred}
    ]
    document["complete"] = False
    path.write_text(json.dumps(document))
    code, shown = plan_json(cli, profile, "--terraform-plan", path)
    assert code == 1
    error = shown["targets"][0]["error"]
    assert "deferred" in error and "instance_count_unknown" in error
    assert 'module.db["a"].aws_db_parameter_group.this' in error


def test_a_value_missing_from_after_is_unknown_even_without_after_unknown(
    cli: Any, tmp_path: Path
) -> None:
    """Terraform leaves every unknown value out of `after` ("omitUnknowns") and writes every
    known one, null included: a required value that is missing is unknown, whatever
    `after_unknown` says (a tool that trims the plan may drop it). Never the default."""
    targets = [
        AWS,
        gcp_target("acme-prod", "orders-db"),
        azure_target(SUBSCRIPTION, "prod", "orders-pg"),
    ]
    profile = write_profile(tmp_path, conn_max_age="unlimited", targets=targets)
    group = parameter_group("orders-pg16", {"idle_session_timeout": "0"})
    del group["change"]["after"]["parameter"][0]["value"]
    instance = cloudsql_instance("orders-db", {})
    del instance["change"]["after"]["settings"]
    setting = azure_configuration("orders-pg", "idle_session_timeout", "0")
    del setting["change"]["after"]["value"]
    for entry in (group, instance, setting):
        del entry["change"]["after_unknown"]
    plan = write_plan(tmp_path, [group, instance, setting])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    for target in shown["targets"]:
        refused = {r["parameter"]: r["message"] for r in target["refusals"]}
        assert "only after apply" in refused["idle_session_timeout"], target


def test_a_plan_of_terraform_1_0_or_older_says_what_to_use_instead(
    cli: Any, tmp_path: Path
) -> None:
    """Format 0.x is what Terraform 0.12 to 1.0 printed; 1.x is Terraform 1.1+ and OpenTofu's."""
    profile = write_profile(tmp_path, targets=[AWS])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"format_version": "0.2", "resource_changes": []}))
    result = cli("plan", profile, "--terraform-plan", plan)
    assert result.exit_code == 1
    assert "format version 0.2" in result.stderr and "Terraform 1.1" in result.stderr


def test_an_azure_parameter_name_in_another_case_is_the_same_parameter(
    cli: Any, tmp_path: Path
) -> None:
    """ARM resource names are case-insensitive ("Naming rules and restrictions for Azure
    resources"), a server parameter (.../flexibleServers/S/configurations/NAME) included: a
    value set as Idle_Session_Timeout is idle_session_timeout's, not a parameter left unset."""
    target = azure_target(SUBSCRIPTION, "prod", "orders-pg")
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[target])
    setting = azure_configuration("orders-pg", "Idle_Session_Timeout", "60000")
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [setting]))
    assert code == 3
    (judged,) = shown["targets"]
    assert [r["parameter"] for r in judged["refusals"]] == ["idle_session_timeout"]
    assert not any("does not set idle_session_timeout" in w["message"] for w in judged["warnings"])


def test_an_aurora_member_groups_override_is_judged_as_in_a_cloud_plan(
    cli: Any, tmp_path: Path
) -> None:
    """Aurora: a DB parameter group on a cluster instance overrides the cluster group where it
    sets a parameter (Aurora User Guide, "Parameter groups for Amazon Aurora"); `plan` reads the
    members from the cloud, `--terraform-plan` from the plan's aws_rds_cluster and
    aws_rds_cluster_instance (`db_parameter_group_name`). A member group the plan does not hold
    is said to be unjudged; AWS's default groups override nothing."""
    target = aws_target("orders-aurora", cluster=True)
    profile = write_profile(tmp_path, targets=[target])
    cluster_group = parameter_group("orders-aurora", {}, family="aurora-postgresql16", cluster=True)
    writer = parameter_group(
        "orders-aurora-writer", {"idle_in_transaction_session_timeout": "60000"},
        family="aurora-postgresql16",
    )  # fmt: skip
    members = aurora_cluster(
        ("orders-1", "orders-aurora-writer"),
        ("orders-2", "elsewhere"),
        ("orders-3", "default.aurora-postgresql16"),
        ("orders-4", None),
    )
    plan = write_plan(tmp_path, [cluster_group, writer, *members])
    code, shown = plan_json(cli, profile, "--terraform-plan", plan)
    assert code == 3
    (judged,) = shown["targets"]
    (refusal,) = judged["refusals"]
    assert refusal["parameter"] == "idle_in_transaction_session_timeout"
    assert "orders-1" in refusal["message"] and "orders-aurora-writer" in refusal["message"]
    warned = " ".join(w["message"] for w in judged["warnings"])
    assert "orders-2" in warned and "elsewhere" in warned and "orders-4" in warned
    assert "orders-3" not in warned
    assert shown["source"]["unmatched_resources"] == []  # the member group is judged too
    assert "set by the Terraform plan" in refusal["message"]
