"""What RDS answers about a parameter group, read: its rows as the core's ParameterState, its
family's engine, whether it may be changed at all, and who uses it.

Every helper here is a pure function of a target, a client and what RDS answered; the adapter
(`adapter`) decides which calls are made, `fleet` which are shared, `errors` says their failures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import ProviderAPIError, TargetNotAllowedError
from cloudtimeouts.model import ParameterState
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.engines import allowed_range, engine_of, other_engine

PAGE_SIZE = 100  # MaxRecords maximum of every Describe* call used here (RDS API Reference)
DEFAULT_SOURCES = frozenset({"engine-default", "system"})
_FAMILY_ENGINES = (
    ("aurora-postgresql", Engine.POSTGRES),
    ("postgres", Engine.POSTGRES),
    ("aurora-mysql", Engine.MYSQL),
    ("aurora", Engine.MYSQL),  # Aurora MySQL 1 families are named aurora5.6
    ("mysql", Engine.MYSQL),
    ("mariadb", Engine.MARIADB),
)


def parameter_state(raw: dict[str, Any]) -> ParameterState:
    """One `Parameter` (API_Parameter) as the core sees it; the same for every listing."""
    apply_type = raw.get("ApplyType")
    return ParameterState(
        name=raw["ParameterName"],
        value=raw.get("ParameterValue"),
        allowed=allowed_range(raw.get("AllowedValues")),
        apply_type=ApplyType(apply_type) if apply_type in ("static", "dynamic") else None,
        modifiable=raw.get("IsModifiable", True),
        value_is_default=raw.get("Source") in DEFAULT_SOURCES,
    )


def engine_of_family(family: str) -> Engine | None:
    return engine_of(family, _FAMILY_ENGINES)


def check_family(target: AwsTarget, family: str, engine: Engine) -> None:
    found = engine_of_family(family)
    if found is not engine:
        what = f"the group's family is {family} ({found or 'unknown engine'})"
        raise other_engine(target.id, what, engine, "a parameter group")


def refuse_default_group(target: AwsTarget) -> None:
    if not target.group_name.startswith("default."):
        return
    if target.parameter_group:
        copy = (
            f"aws rds copy-db-parameter-group --source-db-parameter-group-identifier "
            f"{target.group_name} --target-db-parameter-group-identifier <name> "
            f"--target-db-parameter-group-description <text>"
        )
        attach = "aws rds modify-db-instance --db-parameter-group-name <name>"
    else:
        copy = (
            f"aws rds copy-db-cluster-parameter-group --source-db-cluster-parameter-group-"
            f"identifier {target.group_name} --target-db-cluster-parameter-group-identifier "
            f"<name> --target-db-cluster-parameter-group-description <text>"
        )
        attach = "aws rds modify-db-cluster --db-cluster-parameter-group-name <name>"
    raise TargetNotAllowedError(
        f"{target.id}: {target.group_name} is a default parameter group; AWS does not allow "
        f"modifying default groups",
        hint=f"copy it into a custom group ({copy}), attach that group ({attach}; a new group "
        f"takes effect after a reboot), and name the custom group in the profile",
    )


def group_not_found(target: AwsTarget, operation: str) -> ProviderAPIError:
    """AWS answers DBParameterGroupNotFound; some emulators an empty list."""
    code = "DBParameterGroupNotFound"
    return ProviderAPIError(
        "aws",
        operation,
        code,
        f"{target.id}: {operation} failed: {code}: {target.group_name} does not exist "
        f"in {target.region}",
    )


def group_users(rds: Any, target: AwsTarget) -> Iterator[tuple[str, str]]:
    """Which instances or cluster members use the group, with their ParameterApplyStatus."""
    if target.parameter_group:
        for page in rds.get_paginator("describe_db_instances").paginate():
            for instance in page.get("DBInstances", []):
                for group in instance.get("DBParameterGroups", []):
                    if group.get("DBParameterGroupName") == target.group_name:
                        status = group.get("ParameterApplyStatus", "unknown")
                        yield f"instance {instance['DBInstanceIdentifier']}", status
    else:
        for page in rds.get_paginator("describe_db_clusters").paginate():
            for cluster in page.get("DBClusters", []):
                if cluster.get("DBClusterParameterGroup") == target.group_name:
                    for member in cluster.get("DBClusterMembers", []) or [{}]:
                        status = member.get("DBClusterParameterGroupStatus", "in-sync")
                        name = member.get("DBInstanceIdentifier", cluster["DBClusterIdentifier"])
                        yield f"cluster {cluster['DBClusterIdentifier']} member {name}", status


def api_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_")).replace("Db", "DB")
