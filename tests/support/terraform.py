"""Terraform/OpenTofu JSON plans as `terraform show -json PLANFILE` prints them, for tests.

The shape follows Terraform's documented JSON Output Format
(developer.hashicorp.com/terraform/internals/json-format): `resource_changes[]` with `address`,
`mode`, `type`, `name`, `provider_name`, and `change.{actions, before, after, after_unknown,
before_sensitive, after_sensitive}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_KEY = r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]'  # an instance key; a string key may hold ] or .

PROVIDERS = {
    "aws": "registry.terraform.io/hashicorp/aws",
    "google": "registry.terraform.io/hashicorp/google",
    "azurerm": "registry.terraform.io/hashicorp/azurerm",
}


def change(
    address: str,
    after: Mapping[str, Any] | None,
    *,
    after_unknown: Mapping[str, Any] | None = None,
    actions: Sequence[str] = ("update",),
    before: Mapping[str, Any] | None = None,
    after_sensitive: Mapping[str, Any] | bool | None = None,
) -> dict[str, Any]:
    """One resource_changes entry; `address` may carry a module path and an index.

    `after_sensitive` has the shape of `after`, `true` where a value is sensitive (a sensitive
    variable, `sensitive()`): Terraform still prints the value itself in `after`.
    """
    *_, kind, name = re.sub(_KEY, "", address).split(".")
    entry: dict[str, Any] = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": PROVIDERS[kind.split("_")[0]],
        "change": {
            "actions": list(actions),
            "before": before,
            "after": after,
            "after_unknown": dict(after_unknown or {}),
            "before_sensitive": {},
            "after_sensitive": {} if after_sensitive is None else after_sensitive,
        },
    }
    segments = re.findall(rf"[^.\[]+(?:{_KEY})?", address)  # module.db["a.b"] is two segments
    if len(segments) > 2:
        entry["module_address"] = ".".join(segments[:-2])
    if address.endswith("]"):
        entry["index"] = json.loads(re.findall(_KEY, address)[-1][1:-1])
    return entry


def parameter_group(
    name: str,
    parameters: Mapping[str, str],
    *,
    family: str = "postgres16",
    cluster: bool = False,
    address: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    kind = "aws_rds_cluster_parameter_group" if cluster else "aws_db_parameter_group"
    after = {
        "description": "Managed by Terraform",
        "family": family,
        "name": name,
        "parameter": [
            {"apply_method": "immediate", "name": key, "value": value}
            for key, value in sorted(parameters.items())
        ],
        "skip_destroy": False,
        "tags": None,
    }
    return change(address or f"{kind}.{name.replace('-', '_')}", after, **kwargs)


def cloudsql_instance(
    name: str,
    flags: Mapping[str, str],
    *,
    project: str | None = "acme-prod",
    version: str = "POSTGRES_16",
    address: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    after = {
        "database_version": version,
        "deletion_protection": True,
        "name": name,
        "project": project,
        "region": "europe-west1",
        "settings": [
            {
                "activation_policy": "ALWAYS",
                "database_flags": [{"name": k, "value": v} for k, v in flags.items()],
                "tier": "db-custom-2-7680",
            }
        ],
    }
    kind = "google_sql_database_instance"
    return change(address or f"{kind}.{name.replace('-', '_')}", after, **kwargs)


def azure_configuration(
    server: str,
    name: str,
    value: str | None,
    *,
    subscription: str = "00000000-0000-0000-0000-000000000000",
    resource_group: str = "prod",
    mysql: bool = False,
    address: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    if mysql:
        kind = "azurerm_mysql_flexible_server_configuration"
        after: dict[str, Any] = {
            "name": name,
            "resource_group_name": resource_group,
            "server_name": server,
            "value": value,
        }
    else:
        kind = "azurerm_postgresql_flexible_server_configuration"
        after = {
            "name": name,
            "server_id": f"/subscriptions/{subscription}/resourceGroups/{resource_group}"
            f"/providers/Microsoft.DBforPostgreSQL/flexibleServers/{server}",
            "value": value,
        }
    label = f"{server}_{name}".replace("-", "_").replace(".", "_")
    return change(address or f"{kind}.{label}", after, **kwargs)


def aurora_cluster(
    *instances: tuple[str, str | None], cluster_group: str | None = "orders-aurora"
) -> list[dict[str, Any]]:
    """The aws_rds_cluster `orders` on the cluster group `cluster_group` (None: known only after
    apply), and its aws_rds_cluster_instance members, each (identifier, DB parameter group or
    None when the plan knows it only after apply)."""
    after = {"cluster_identifier": "orders", "engine": "aurora-postgresql"}
    if cluster_group:
        after["db_cluster_parameter_group_name"] = cluster_group
    unknown = {} if cluster_group else {"db_cluster_parameter_group_name": True}
    cluster = change("aws_rds_cluster.orders", after, after_unknown=unknown)
    members = []
    for identifier, group in instances:
        after = {"identifier": identifier, "cluster_identifier": "orders"}
        if group:
            after["db_parameter_group_name"] = group
        unknown = {} if group else {"db_parameter_group_name": True}
        address = f'aws_rds_cluster_instance.member["{identifier}"]'
        members.append(change(address, after, after_unknown=unknown))
    return [cluster, *members]


def plan_document(
    changes: Sequence[Mapping[str, Any]],
    *,
    configuration: Mapping[str, Any] | None = None,
    version: str = "1.9.8",
) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": version,
        "planned_values": {"root_module": {}},
        "resource_changes": list(changes),
        "configuration": dict(configuration or {"root_module": {}}),
        "timestamp": "2026-11-30T01:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def write_plan(directory: Path, changes: Sequence[Mapping[str, Any]], **kwargs: Any) -> Path:
    path = directory / "plan.json"
    path.write_text(json.dumps(plan_document(changes, **kwargs), indent=2))
    return path


def plan_json(cli: Any, *args: Any) -> tuple[int, dict[str, Any]]:
    """`cloudtimeouts plan ... --output json`: its exit code and its JSON."""
    result = cli("plan", *args, "--output", "json")
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, json.loads(result.stdout)
