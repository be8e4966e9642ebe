"""Values of a type the provider's schema never gives, and values Terraform knows only after
apply: a plan error naming the resource and the attribute, or a refusal; never a default.

The schemas (registry.terraform.io): hashicorp/aws r/db_parameter_group, `parameter { name,
value, apply_method }`, all strings; hashicorp/google r/sql_database_instance,
`settings.database_flags { name, value }`, strings; hashicorp/azurerm
r/postgresql_flexible_server_configuration and r/mysql_flexible_server_configuration, `name` and
`value` strings. Terraform converts an HCL number or bool given to a string attribute into a
string before it plans, so `terraform show -json` writes a string attribute as a JSON string
(JSON Output Format, "Values Representation"), or leaves it out of `after` when it is known only
after apply (`after_unknown`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, azure_target, gcp_target, write_profile
from support.terraform import (
    azure_configuration,
    cloudsql_instance,
    parameter_group,
    plan_json,
    write_plan,
)

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
WRONG_TYPES = [{"a": 1}, ["600000"], None, True, 600000]


def _refused_as_malformed(cli: Any, profile: Path, plan: Path, address: str, where: str) -> None:
    result = cli("plan", profile, "--terraform-plan", plan)
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert f"{address}: {where} is a JSON " in result.stderr
    assert "not a string" in result.stderr


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_a_parameter_value_of_another_type_is_a_plan_error(
    cli: Any, tmp_path: Path, value: object
) -> None:
    profile = write_profile(tmp_path, targets=[aws_target("orders-pg16")])
    group = parameter_group("orders-pg16", {"statement_timeout": "0", "idle_session_timeout": "1"})
    group["change"]["after"]["parameter"][0]["value"] = value  # idle_session_timeout (sorted)
    plan = write_plan(tmp_path, [group])
    _refused_as_malformed(
        cli, profile, plan, "aws_db_parameter_group.orders_pg16", "parameter[0].value"
    )


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_a_parameter_name_of_another_type_is_a_plan_error(
    cli: Any, tmp_path: Path, value: object
) -> None:
    profile = write_profile(tmp_path, targets=[aws_target("orders-pg16")])
    group = parameter_group("orders-pg16", {"idle_session_timeout": "600000"})
    group["change"]["after"]["parameter"][0]["name"] = value
    plan = write_plan(tmp_path, [group])
    _refused_as_malformed(
        cli, profile, plan, "aws_db_parameter_group.orders_pg16", "parameter[0].name"
    )


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_a_cloud_sql_flag_value_of_another_type_is_a_plan_error(
    cli: Any, tmp_path: Path, value: object
) -> None:
    profile = write_profile(tmp_path, targets=[gcp_target("acme-prod", "orders")])
    instance = cloudsql_instance("orders", {"idle_session_timeout": "600000"})
    instance["change"]["after"]["settings"][0]["database_flags"][0]["value"] = value
    plan = write_plan(tmp_path, [instance])
    _refused_as_malformed(
        cli,
        profile,
        plan,
        "google_sql_database_instance.orders",
        "settings[0].database_flags[0].value",
    )


@pytest.mark.parametrize("value", WRONG_TYPES)
def test_an_azure_server_parameter_value_of_another_type_is_a_plan_error(
    cli: Any, tmp_path: Path, value: object
) -> None:
    profile = write_profile(tmp_path, targets=[azure_target(SUBSCRIPTION, "prod", "orders-pg")])
    setting = azure_configuration("orders-pg", "idle_session_timeout", "600000")
    setting["change"]["after"]["value"] = value
    address = "azurerm_postgresql_flexible_server_configuration.orders_pg_idle_session_timeout"
    _refused_as_malformed(cli, profile, write_plan(tmp_path, [setting]), address, "value")


def test_the_error_does_not_show_a_sensitive_value(cli: Any, tmp_path: Path) -> None:
    """Only the JSON type is named: the value itself may be a secret (after_sensitive)."""
    profile = write_profile(tmp_path, targets=[aws_target("orders-pg16")])
    group = parameter_group(
        "orders-pg16", {"idle_session_timeout": "1"}, after_sensitive={"parameter": True}
    )
    group["change"]["after"]["parameter"][0]["value"] = 71234
    result = cli("plan", profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert result.exit_code == 1 and "JSON number" in result.stderr
    assert "71234" not in result.stderr + result.stdout


def test_a_null_value_marked_unknown_is_unknown_not_malformed(cli: Any, tmp_path: Path) -> None:
    """A list element's unknown value may be written as null beside its after_unknown marker."""
    profile = write_profile(tmp_path, targets=[azure_target(SUBSCRIPTION, "prod", "orders-pg")])
    setting = azure_configuration(
        "orders-pg", "idle_session_timeout", None, after_unknown={"value": True}
    )
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [setting]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert "knows it only after apply" in refusal["message"]


def _pgbouncer_profile(tmp_path: Path) -> Path:
    target = azure_target(SUBSCRIPTION, "prod", "orders-pg")
    profile = write_profile(tmp_path, conn_max_age="30min", targets=[target])
    profile.write_text(
        profile.read_text() + "path:\n  - kind: azure-pgbouncer\n    name: builtin\n"
    )
    return profile


def test_a_pgbouncer_timeout_known_only_after_apply_is_said_never_a_default(
    cli: Any, tmp_path: Path
) -> None:
    """The built-in PgBouncer hop takes its undeclared timeouts from the server parameters
    (verdict._path_as_read): one Terraform knows only after apply is said to be unknown. Azure's
    only PgBouncer timeout closes the pooler's own server connections, which Django never sees:
    a note, not a refusal."""
    setting = azure_configuration(
        "orders-pg", "pgbouncer.server_idle_timeout", None, after_unknown={"value": True}
    )
    del setting["change"]["after"]["value"]  # an unknown attribute is left out of `after`
    profile = _pgbouncer_profile(tmp_path)
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [setting]))
    assert code == 0
    (note,) = [w for w in shown["targets"][0]["warnings"] if w["parameter"].startswith("pg")]
    assert note["parameter"] == "pgbouncer.server_idle_timeout"
    assert "knows it only after apply" in note["message"]
    assert "Django never sees" in note["message"]


def test_a_pgbouncer_timeout_that_is_not_a_number_is_said_never_a_default(
    cli: Any, tmp_path: Path
) -> None:
    setting = azure_configuration("orders-pg", "pgbouncer.server_idle_timeout", "10s")
    profile = _pgbouncer_profile(tmp_path)
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [setting]))
    assert code == 0
    (note,) = [w for w in shown["targets"][0]["warnings"] if w["parameter"].startswith("pg")]
    assert "'10s'" in note["message"]
    assert "not a number cloudtimeouts can evaluate" in note["message"]
