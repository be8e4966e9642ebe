"""The Describe calls a read is made of, each through every page (RDS API Reference).

- DescribeDBParameterGroups / DescribeDBClusterParameterGroups: with a name, that group; without
  one, every group of the account in the region, paginated (MaxRecords 20..100, Marker).
- DescribeDBParameters / DescribeDBClusterParameters: a group's parameters (MaxRecords 20..100);
  `Source` user | system | engine-default returns only the parameters whose value has that source
  ("Default: All parameter types returned"). Filters: "This parameter isn't currently supported",
  so no listing can be narrowed by name.
- DescribeEngineDefaultParameters / DescribeEngineDefaultClusterParameters: "the default engine and
  system parameter information" of a family, as a Parameter list (the same type as
  DescribeDBParameters, API_Parameter), paginated by EngineDefaults.Marker.
- DescribeDBClusters (Engine, DBClusterParameterGroup, DBClusterMembers) and DescribeDBInstances
  (DBParameterGroups[].DBParameterGroupName), whose Filters accept `db-cluster-id`: "DB cluster
  identifiers and DB cluster Amazon Resource Names (ARNs). The results list only includes
  information about the DB instances associated with the DB clusters identified by these ARNs."
  No filter names a DB parameter group, so the instances using one are found through the
  clusters whose members may use it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cloudtimeouts.model import ParameterState
from cloudtimeouts.providers.aws.calls import (
    PAGE_SIZE,
    api_name,
    group_not_found,
    parameter_state,
    translated,
)
from cloudtimeouts.providers.aws.target import AwsTarget

# Cluster identifiers per DescribeDBInstances filter. RDS documents no limit on filter values;
# 50 is a conservative chunk (UNVERIFIED against the real API).
CLUSTERS_PER_FILTER = 50
_PAGES = {"PaginationConfig": {"PageSize": PAGE_SIZE}}


def _group_kind(cluster: bool) -> tuple[str, str]:
    """(the Describe…Groups method, the name field) of DB or DB cluster parameter groups."""
    if cluster:
        return "describe_db_cluster_parameter_groups", "DBClusterParameterGroupName"
    return "describe_db_parameter_groups", "DBParameterGroupName"


def group_family(rds: Any, target: AwsTarget) -> str:
    """The family of the target's group: one DescribeDB(Cluster)ParameterGroups by name."""
    method, field = _group_kind(target.cluster_parameter_group is not None)
    operation = api_name(method)
    with translated(target, operation):
        answer = getattr(rds, method)(**{field: target.group_name})
    groups = answer.get("DBClusterParameterGroups" if "Cluster" in field else "DBParameterGroups")
    if not groups:
        raise group_not_found(target, operation)
    family: str = groups[0]["DBParameterGroupFamily"]
    return family


def list_families(
    rds: Any, target: AwsTarget, cluster: bool, wanted: Collection[str]
) -> dict[str, str]:
    """The families of `wanted` groups (lower-case names), from the listing of every group.

    Stops as soon as every wanted group was seen, or once the pages read outnumber the groups
    still missing (those are then cheaper one by one): never more than twice the calls of one
    DescribeDB(Cluster)ParameterGroups per group. Raises a CloudtimeoutsError on failure.
    """
    method, field = _group_kind(cluster)
    plural = "DBClusterParameterGroups" if cluster else "DBParameterGroups"
    missing, found, pages = set(wanted), {}, 0
    with translated(target, api_name(method)):
        for page in rds.get_paginator(method).paginate(**_PAGES):
            pages += 1
            for group in page.get(plural, []):
                name = str(group.get(field, "")).lower()  # RDS stores names in lower case
                if name in missing:
                    found[name] = group["DBParameterGroupFamily"]
                    missing.discard(name)
            if not missing or pages >= len(missing):
                break
    return found


def parameters(rds: Any, target: AwsTarget, source: str | None = None) -> Iterator[dict[str, Any]]:
    """Every row of the target's group (with `source`, only those of that Source)."""
    if target.parameter_group:
        method, arguments = "describe_db_parameters", {"DBParameterGroupName": target.group_name}
    else:
        method = "describe_db_cluster_parameters"
        arguments = {"DBClusterParameterGroupName": target.group_name}
    if source:
        arguments["Source"] = source
    with translated(target, api_name(method)):
        for page in rds.get_paginator(method).paginate(**arguments, **_PAGES):
            yield from page.get("Parameters", [])


def user_set(
    rds: Any, target: AwsTarget, group: str | None = None, *, cluster: bool = False
) -> dict[str, ParameterState]:
    """What a group sets itself (Source=user): the target's own group, or another group of its
    instances' chain (a member's DB parameter group; with `cluster`, a DB cluster parameter
    group)."""
    if group is None:
        rows = parameters(rds, target, source="user")
    else:
        rows = _other_group_rows(rds, target, group, cluster)
    return {raw["ParameterName"]: parameter_state(raw) for raw in rows}


def _other_group_rows(
    rds: Any, target: AwsTarget, group: str, cluster: bool
) -> Iterator[dict[str, Any]]:
    if cluster:
        method, arguments = "describe_db_cluster_parameters", {"DBClusterParameterGroupName": group}
    else:
        method, arguments = "describe_db_parameters", {"DBParameterGroupName": group}
    with translated(target, api_name(method)):
        pages = rds.get_paginator(method).paginate(**arguments, Source="user", **_PAGES)
        for page in pages:
            yield from page.get("Parameters", [])


def engine_defaults(
    rds: Any, target: AwsTarget, family: str, cluster: bool
) -> dict[str, ParameterState]:
    """Every parameter of a family as a group that sets nothing lists it."""
    method = (
        "describe_engine_default_cluster_parameters"
        if cluster
        else "describe_engine_default_parameters"
    )
    found = {}
    with translated(target, api_name(method)):
        pages = rds.get_paginator(method).paginate(DBParameterGroupFamily=family, **_PAGES)
        for page in pages:
            for raw in page.get("EngineDefaults", {}).get("Parameters", []):
                found[raw["ParameterName"]] = parameter_state(raw)
    return found


@dataclass(frozen=True)
class AuroraView:
    """The clusters using some cluster parameter groups (and, with `every_aurora`, every Aurora
    cluster of the region), and their members' DB parameter groups."""

    groups: frozenset[str]  # the cluster parameter groups (lower case) this view covers
    clusters: tuple[tuple[str, str, tuple[str, ...]], ...]  # (cluster, its group, its members)
    instances: Mapping[str, tuple[str, ...]]  # member instance -> its DB parameter groups
    every_aurora: bool = False  # every Aurora cluster is here: it covers any DB parameter group

    def members(self, group: str) -> Iterator[tuple[str, str]]:
        """(cluster, member instance) of every cluster using `group`, in RDS's order."""
        for cluster, used, members in self.clusters:
            if used == group.lower():
                for member in members:
                    yield cluster, member


def aurora_view(
    rds: Any, target: AwsTarget, groups: Collection[str], *, every_aurora: bool = False
) -> AuroraView:
    """DescribeDBClusters (every page), then DescribeDBInstances filtered by the clusters kept:
    those using one of `groups`, and with `every_aurora` every Aurora cluster (Engine `aurora`,
    `aurora-mysql`, `aurora-postgresql`: DescribeDBClusters also lists Neptune and DocumentDB
    clusters, whose members never use an RDS DB parameter group)."""
    wanted = frozenset(name.lower() for name in groups)
    clusters = []
    with translated(target, "DescribeDBClusters"):
        for page in rds.get_paginator("describe_db_clusters").paginate():
            for cluster in page.get("DBClusters", []):
                used = str(cluster.get("DBClusterParameterGroup", "")).lower()
                aurora = str(cluster.get("Engine", "")).startswith("aurora")
                if used in wanted or (every_aurora and aurora):
                    members = tuple(
                        member["DBInstanceIdentifier"]
                        for member in cluster.get("DBClusterMembers", [])
                    )
                    clusters.append((cluster["DBClusterIdentifier"], used, members))
    with_members = [cluster for cluster, _, members in clusters if members]
    instances: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(with_members), CLUSTERS_PER_FILTER):
        chunk = with_members[start : start + CLUSTERS_PER_FILTER]
        instances |= _instances(rds, target, Filters=[{"Name": "db-cluster-id", "Values": chunk}])
    return AuroraView(wanted, tuple(clusters), instances, every_aurora)


def instance_groups(rds: Any, target: AwsTarget, instance: str) -> tuple[str, ...]:
    """One instance's DB parameter groups (DBInstanceNotFound when it is gone)."""
    (groups,) = _instances(rds, target, DBInstanceIdentifier=instance).values()
    return groups


def _instances(rds: Any, target: AwsTarget, **arguments: Any) -> dict[str, tuple[str, ...]]:
    found = {}
    with translated(target, "DescribeDBInstances"):
        for page in rds.get_paginator("describe_db_instances").paginate(**arguments):
            for instance in page.get("DBInstances", []):
                found[instance["DBInstanceIdentifier"]] = tuple(
                    group["DBParameterGroupName"] for group in instance.get("DBParameterGroups", [])
                )
    return found
