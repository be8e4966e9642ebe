"""The Aurora cluster instances of a Terraform plan, for the member groups of a cluster target.

Why here: the plan reader (`planfile`) keeps only what judging needs, and judging a cluster
parameter group needs its members (see `aurora`). From the plan's `aws_rds_cluster`
(`cluster_identifier`, `db_cluster_parameter_group_name`) and `aws_rds_cluster_instance`
(`identifier`, `cluster_identifier`, `db_parameter_group_name`), AWS provider docs
r/rds_cluster and r/rds_cluster_instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudtimeouts.terraform.configuration import segments, without_indexes

CLUSTER_TYPE = "aws_rds_cluster"
INSTANCE_TYPE = "aws_rds_cluster_instance"


@dataclass(frozen=True, slots=True)
class Instance:
    """An Aurora cluster instance of the plan whose cluster's parameter group is known."""

    address: str
    identifier: str
    cluster: str
    cluster_group: str  # lower case
    group: str | None  # its DB parameter group; None when known only after apply
    region: str | None


def instances(
    afters: Mapping[str, Any], region_of: Callable[[str], str | None]
) -> tuple[Instance, ...]:
    """The cluster instances of a plan whose cluster's group the plan knows (`afters`:
    address -> after of every managed instance); `region_of(address)` as for judged resources."""
    groups: dict[str, str] = {}
    aurora = {a: after for a, after in afters.items() if CLUSTER_TYPE in a}  # a cheap sieve
    for address, after in aurora.items():
        if _kind(address) == CLUSTER_TYPE and isinstance(after, dict):
            name = after.get("cluster_identifier")
            group = after.get("db_cluster_parameter_group_name")
            if isinstance(name, str) and isinstance(group, str):
                groups[name.lower()] = group.lower()
    found = []
    for address, after in aurora.items():
        if _kind(address) != INSTANCE_TYPE or not isinstance(after, dict):
            continue
        cluster = after.get("cluster_identifier")
        if not isinstance(cluster, str) or cluster.lower() not in groups:
            continue
        group, identifier = after.get("db_parameter_group_name"), after.get("identifier")
        region = after.get("region")
        found.append(
            Instance(
                address,
                identifier if isinstance(identifier, str) else address,
                cluster,
                groups[cluster.lower()],
                group if isinstance(group, str) else None,
                region if isinstance(region, str) else region_of(address),
            )
        )
    return tuple(found)


def _kind(address: str) -> str:
    """The type of a managed resource instance address (`module.m["a.b"].aws_x.y[0]`: aws_x)."""
    parts = segments(address)
    return without_indexes(parts[-2]) if len(parts) >= 2 else ""
