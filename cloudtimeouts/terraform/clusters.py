"""The Aurora cluster instances of a Terraform plan, for the chains of Aurora parameter groups.

Why here: the plan reader (`planfile`) keeps only what judging needs, and judging a cluster
parameter group, or a DB parameter group on Aurora instances, needs the instances and the other
group of each one's chain (see `aurora`). From the plan's `aws_rds_cluster`
(`cluster_identifier`, `db_cluster_parameter_group_name`) and `aws_rds_cluster_instance`
(`identifier`, `cluster_identifier`, `db_parameter_group_name`), AWS provider docs
(registry.terraform.io, hashicorp/aws r/rds_cluster and r/rds_cluster_instance).

A name Terraform knows only after apply (`after_unknown`; typically `aws_rds_cluster.x.id` of a
cluster the same plan creates) is found through the configuration's reference to a resource of
the plan that says it (JSON Output Format, "Expression Representation"); failing that, it stays
unknown and `aurora` says which instance is not judged, and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudtimeouts.terraform.configuration import Configuration, segments, without_indexes

CLUSTER_TYPE = "aws_rds_cluster"
CLUSTER_GROUP_TYPE = "aws_rds_cluster_parameter_group"
GROUP_TYPE = "aws_db_parameter_group"
INSTANCE_TYPE = "aws_rds_cluster_instance"


@dataclass(frozen=True, slots=True)
class Instance:
    """An Aurora cluster instance of the plan, and the groups of its chain as far as known.

    `cluster_group` is None when the plan cannot name it; `unknown` then says why, in words
    ("its cluster_identifier is known only after apply").
    """

    address: str
    identifier: str
    cluster: str | None  # None when known only after apply
    cluster_group: str | None  # lower case
    group: str | None  # its DB parameter group; None when known only after apply
    region: str | None
    unknown: str = ""


def instances(configuration: Configuration) -> tuple[Instance, ...]:
    """Every cluster instance of a plan (`configuration.afters`: address -> after of every
    managed instance), each in its region as for judged resources."""
    afters = configuration.afters
    aurora = {a: after for a, after in afters.items() if CLUSTER_TYPE in a}  # a cheap sieve
    groups: dict[str, str | None] = {}  # cluster name -> its group, None when unknown
    for address, after in aurora.items():
        if _kind(address) == CLUSTER_TYPE and isinstance(after, dict):
            name = after.get("cluster_identifier")
            if isinstance(name, str):
                groups[name.lower()] = _name(
                    configuration, address, after, "db_cluster_parameter_group_name",
                    CLUSTER_GROUP_TYPE,
                )  # fmt: skip
    found = []
    for address, after in aurora.items():
        if _kind(address) != INSTANCE_TYPE or not isinstance(after, dict):
            continue
        cluster = _name(
            configuration, address, after, "cluster_identifier", CLUSTER_TYPE, "cluster_identifier"
        )
        group = _name(configuration, address, after, "db_parameter_group_name", GROUP_TYPE)
        identifier, region = after.get("identifier"), after.get("region")
        cluster_group, unknown = None, ""
        if cluster is None:
            unknown = "its cluster_identifier is known only after apply"
        elif cluster.lower() not in groups:
            unknown = f"its cluster {cluster} is not in the Terraform plan"
        elif groups[cluster.lower()] is None:
            unknown = (
                f"the db_cluster_parameter_group_name of its cluster {cluster} is known only "
                "after apply"
            )
        else:
            cluster_group = groups[cluster.lower()]
        found.append(
            Instance(
                address,
                identifier if isinstance(identifier, str) else address,
                cluster,
                cluster_group.lower() if cluster_group else None,
                group,
                region if isinstance(region, str) else configuration.region(address),
                unknown,
            )
        )
    return tuple(found)


def _name(
    configuration: Configuration,
    address: str,
    after: Mapping[str, Any],
    attribute: str,
    kind: str,
    key: str = "name",
) -> str | None:
    """The name an attribute gives, or the `key` of the one resource of `kind` its expression
    refers to when the value is known only after apply; None when neither says."""
    value = after.get(attribute)
    if isinstance(value, str):
        return value
    names = {found.get(key) for found in configuration.referenced(address, attribute, kind)}
    if len(names) != 1:
        return None  # none, or one of several: not guessed
    (name,) = names
    return name if isinstance(name, str) else None


def _kind(address: str) -> str:
    """The type of a managed resource instance address (`module.m["a.b"].aws_x.y[0]`: aws_x)."""
    parts = segments(address)
    return without_indexes(parts[-2]) if len(parts) >= 2 else ""
