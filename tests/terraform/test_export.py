"""`export --format terraform`: HCL that an HCL parser of its own reads, and that comes back
through `plan --terraform-plan` accepted and unchanged."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest
from support import vendor
from support.profiles import aws_target, azure_target, gcp_target, write_profile
from support.terraform import change, write_plan

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def profiles(directory: Path) -> list[Path]:
    """Every target kind the exporter writes: RDS groups, Aurora, RDS Proxy, Cloud SQL, Azure
    PostgreSQL (with its built-in PgBouncer) and Azure MySQL."""
    postgres = write_profile(
        directory,
        "orders.yaml",
        server={
            "idle_session_timeout": "10min",
            "idle_in_transaction_session_timeout": "15min",
            "statement_timeout": "30s",
        },
        targets=[
            aws_target("orders-pg16"),
            aws_target("orders-aurora", cluster=True),
            gcp_target("acme-prod", "orders-db"),
            azure_target(SUBSCRIPTION, "prod", "orders-pg"),
        ],
    )
    postgres.write_text(
        postgres.read_text()
        + "  - provider: aws\n    region: eu-west-1\n    rds_proxy: orders-proxy\n"
        + "path:\n  - kind: rds-proxy\n    name: orders-proxy\n    idle_client_timeout: 1h\n"
        + "  - kind: azure-pgbouncer\n    name: builtin\n    server_idle_timeout: 5min\n"
    )
    mysql = write_profile(
        directory,
        "shop.yaml",
        name="shop",
        engine="mysql",
        conn_max_age="60",
        server={"wait_timeout": "10min", "interactive_timeout": "10min"},
        targets=[azure_target(SUBSCRIPTION, "prod", "shop-my"), gcp_target("acme-prod", "shop")],
    )
    return [postgres, mysql]


def _unquoted(value: Any) -> Any:
    """python-hcl2 keeps string literals' quotes and marks blocks; a plan holds plain values."""
    if isinstance(value, str) and value.startswith('"'):
        return json.loads(value.replace("$${", "${"))
    if isinstance(value, list):
        return [_unquoted(item) for item in value]
    if isinstance(value, dict):
        return {
            _unquoted(key): _unquoted(item)
            for key, item in value.items()
            if key not in ("__is_block__", "__comments__", "__inline_comments__")
        }
    return value


def plan_of(hcl: str) -> list[dict[str, Any]]:
    """The resource_changes a `terraform plan` of this HCL would show, variables filled in."""
    document = _unquoted(hcl2.loads(hcl))
    variables = {
        "family": "postgres16",
        "database_version": "POSTGRES_16",
        "tier": "db-custom-2-7680",
    }
    changes = []
    for block in document.get("resource", []):
        for kind, resources in block.items():
            for label, body in resources.items():
                after = {
                    key: next((v for k, v in variables.items() if f"var.{label}_{k}" in value), "")
                    if isinstance(value, str) and value.startswith("${var.")
                    else value
                    for key, value in body.items()
                }
                if kind == "google_sql_database_instance" and label == "shop":
                    after["database_version"] = "MYSQL_8_0"
                if kind == "aws_rds_cluster_parameter_group":
                    after["family"] = "aurora-postgresql16"
                changes.append(change(f"{kind}.{label}", after, actions=["create"]))
    return changes


def test_an_export_comes_back_through_plan_accepted_and_unchanged(cli: Any, tmp_path: Path) -> None:
    paths = profiles(tmp_path)
    exported = cli("export", "--format", "terraform", *paths)
    assert exported.exit_code == 0, exported.stderr
    plan = write_plan(tmp_path, plan_of(exported.stdout))
    result = cli("plan", *paths, "--terraform-plan", plan, "--detailed-exitcode", "-o", "json")
    assert result.exit_code == 0, result.stdout
    shown = json.loads(result.stdout)
    assert shown["summary"] == {"changes": 0, "refusals": 0, "errors": 0}
    assert shown["source"]["unmatched_resources"] == []
    unchanged = {t["id"]: set(t["unchanged"]) for t in shown["targets"]}
    assert unchanged[f"azure:{SUBSCRIPTION}:prod:server/orders-pg"] == {
        "idle_session_timeout",
        "idle_in_transaction_session_timeout",
        "statement_timeout",
        "pgbouncer.server_idle_timeout",
    }
    assert unchanged["aws:eu-west-1:rds-proxy/orders-proxy"] == {"idle_client_timeout"}
    assert len(unchanged) == 7


def test_the_values_are_in_the_units_the_cloud_apis_take(cli: Any, tmp_path: Path) -> None:
    exported = cli("export", *profiles(tmp_path)).stdout
    resources = _unquoted(hcl2.loads(exported))["resource"]
    found: dict[str, dict[str, Any]] = {}
    for block in resources:
        for kind, body in block.items():
            found.setdefault(kind, {}).update(body)
    group = found["aws_db_parameter_group"]["orders_pg16"]
    assert {p["name"]: (p["value"], p["apply_method"]) for p in group["parameter"]} == {
        "idle_session_timeout": ("600000", "immediate"),
        "idle_in_transaction_session_timeout": ("900000", "immediate"),
        "statement_timeout": ("30000", "immediate"),
    }
    assert found["aws_db_proxy"]["orders_proxy"]["idle_client_timeout"] == 3600
    flags = found["google_sql_database_instance"]["shop"]["settings"][0]["database_flags"]
    assert {f["name"]: f["value"] for f in flags} == {
        "interactive_timeout": "600",
        "wait_timeout": "600",
    }
    pg = found["azurerm_postgresql_flexible_server_configuration"]
    assert pg["orders_pg_idle_session_timeout"]["server_id"] == (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod/providers/"
        "Microsoft.DBforPostgreSQL/flexibleServers/orders-pg"
    )
    my = found["azurerm_mysql_flexible_server_configuration"]["shop_my_wait_timeout"]
    assert (my["server_name"], my["resource_group_name"], my["value"]) == ("shop-my", "prod", "600")
    assert '"600000" # 10min' in exported  # people read the unit too


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary here")
def test_terraform_fmt_accepts_the_export_as_it_is(cli: Any, tmp_path: Path) -> None:
    exported = tmp_path / "cloudtimeouts.tf"
    exported.write_text(cli("export", *profiles(tmp_path)).stdout)
    checked = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", str(exported)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_labels_stay_unique_and_required_arguments_are_variables(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path,
        server={"idle_session_timeout": "10min"},
        targets=[aws_target("orders-db"), gcp_target("acme-prod", "orders-db")],
    )
    document = _unquoted(hcl2.loads(cli("export", profile).stdout))
    labels = [label for b in document["resource"] for r in b.values() for label in r]
    assert labels == ["orders_db", "orders_db_2"]
    declared = {name for block in document["variable"] for name in block}
    assert declared == {"orders_db_family", "orders_db_2_database_version", "orders_db_2_tier"}


def test_an_unsafe_profile_is_refused_and_nothing_is_printed(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path, server={"idle_session_timeout": "1min"}, targets=[aws_target("orders-pg16")]
    )
    result = cli("export", profile)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "refused" in result.stderr and "idle_session_timeout" in result.stderr


def test_a_target_named_by_two_profiles_is_an_error(cli: Any, tmp_path: Path) -> None:
    target = [aws_target("orders-pg16")]
    first = write_profile(tmp_path, "a.yaml", name="a", targets=target)
    second = write_profile(tmp_path, "b.yaml", name="b", targets=[aws_target("ORDERS-pg16")])
    result = cli("export", first, second)
    assert result.exit_code == 1
    assert "named by profiles a and b" in result.stderr


def test_a_profile_path_cannot_inject_hcl_through_the_header(cli: Any, tmp_path: Path) -> None:
    hostile = tmp_path / 'x\nresource "evil" "e" {}\n#.yaml'
    write_profile(tmp_path, hostile.name, targets=[aws_target("orders-pg16")])
    document = _unquoted(hcl2.loads(cli("export", hostile).stdout))
    assert "evil" not in json.dumps(document.get("resource", []))


def test_aws_names_are_exported_as_rds_stores_them(cli: Any, tmp_path: Path) -> None:
    """RDS stores parameter group and proxy names in lower case (CreateDBParameterGroup: "This
    value is stored as a lowercase string"), and the AWS provider refuses any other spelling
    (validParamGroupName: "only lowercase alphanumeric characters, periods, and hyphens").
    A profile may name the group as the RDS API accepts it, in any case."""
    documented = vendor.rds_doc("CreateDBParameterGroupMessage", "DBParameterGroupName")
    assert "This value is stored as a lowercase string." in documented
    profile = write_profile(
        tmp_path,
        server={"idle_session_timeout": "10min"},
        targets=[
            aws_target("Orders-PG16"),
            aws_target("Orders-Aurora", cluster=True),
            {"provider": "aws", "region": "eu-west-1", "rds_proxy": "Orders-Proxy"},
        ],
    )
    profile.write_text(
        profile.read_text()
        + "path:\n  - kind: rds-proxy\n    name: Orders-Proxy\n    idle_client_timeout: 1h\n"
    )
    exported = cli("export", profile)
    assert exported.exit_code == 0, exported.stderr
    names = [
        body["name"]
        for block in _unquoted(hcl2.loads(exported.stdout))["resource"]
        for resources in block.values()
        for body in resources.values()
    ]
    assert names == ["orders-pg16", "orders-aurora", "orders-proxy"]
    plan = write_plan(tmp_path, plan_of(exported.stdout))
    back = cli("plan", profile, "--terraform-plan", plan, "--detailed-exitcode")
    assert back.exit_code == 0, back.stdout


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary here")
def test_terraform_fmt_accepts_exports_of_unusual_names(cli: Any, tmp_path: Path) -> None:
    """Names a profile allows that are no HCL identifier (dots, colons, slashes, a leading
    digit), a resource group of non-ASCII letters and parentheses, MySQL and MariaDB."""
    unusual = write_profile(
        tmp_path,
        "unusual.yaml",
        server={"idle_session_timeout": "10min", "statement_timeout": "1.5s"},
        targets=[
            aws_target("1orders.v2:x/y"),
            aws_target("Orders-Aurora", cluster=True),
            azure_target(SUBSCRIPTION, "Prod(é)_x.y", "orders-pg"),
            gcp_target("acme-prod", "a1"),
        ],
    )
    mysql = write_profile(
        tmp_path, "shop.yaml", name="shop", engine="mysql", conn_max_age="60",
        server={"wait_timeout": "10min", "net_read_timeout": "45s"},
        targets=[azure_target(SUBSCRIPTION, "rg", "shop"), aws_target("shop-my")],
    )  # fmt: skip
    maria = write_profile(
        tmp_path, "maria.yaml", name="maria", engine="mariadb", conn_max_age="60",
        server={"wait_timeout": "10min"}, targets=[aws_target("shop-maria")],
    )  # fmt: skip
    exported = tmp_path / "cloudtimeouts.tf"
    result = cli("export", unusual, mysql, maria)
    assert result.exit_code == 0, result.stderr
    exported.write_text(result.stdout)
    checked = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", str(exported)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    labels = [label for b in _unquoted(hcl2.loads(result.stdout))["resource"] for r in b.values()
              for label in r]  # fmt: skip
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", label) for label in labels), labels
