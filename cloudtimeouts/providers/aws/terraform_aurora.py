"""Aurora members in a Terraform plan: the other parameter group of each instance's chain
(`AwsTerraform.members`, `AwsTerraform.related`).

Why: a DB parameter group on an Aurora cluster instance overrides the cluster parameter group for
every parameter it sets; a parameter neither sets is the engine's default (Aurora User Guide,
"Parameter groups for Amazon Aurora"). `plan` reads the instances a target's values reach from
RDS and judges each on the values in force there (`verdict.judge_target`, with
`verdict._first_in_chain` walking the groups of `model.MemberState`); judging a Terraform plan must
do the same, or a short idle timeout on the other group of the chain passes:
- a cluster parameter group target: each member's DB parameter group is `above` it;
- a DB parameter group target on Aurora members: each one's cluster parameter group is `below`
  it, and the cluster group's family is the member's platform (whose defaults apply).

From the plan (AWS provider docs, registry.terraform.io r/rds_cluster and r/rds_cluster_instance,
read by `instances`): the other group is judged from the plan's `aws_db_parameter_group` /
`aws_rds_cluster_parameter_group` of that name, whose `parameter` set is complete; AWS's
`default.*` groups set nothing. A group the plan does not hold or cannot name, and an instance
whose cluster it cannot name, are said in a warning to be unjudged: a refusal would stop every
plan that creates a cluster with names Terraform learns on apply, for values nobody can know yet
(README, "Terraform and OpenTofu").

The instances: the plan reader (`planfile`) keeps only what judging needs, and judging a cluster
parameter group, or a DB parameter group on Aurora instances, needs the instances and the other
group of each one's chain, read once per plan (`instances`). From the plan's `aws_rds_cluster`
(`cluster_identifier`, `db_cluster_parameter_group_name`) and `aws_rds_cluster_instance`
(`identifier`, `cluster_identifier`, `db_parameter_group_name`), AWS provider docs
(registry.terraform.io, hashicorp/aws r/rds_cluster and r/rds_cluster_instance).

A name Terraform knows only after apply (`after_unknown`; typically `aws_rds_cluster.x.id` of a
cluster the same plan creates) is found through the configuration's reference to a resource of
the plan that says it (JSON Output Format, "Expression Representation"); failing that, it stays
unknown and `members` says which instance is not judged, and why.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from cloudtimeouts.model import (
    KNOWN_AFTER_APPLY,
    Finding,
    GroupLayer,
    MemberState,
    ParameterState,
)
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.terraform.configuration import Configuration, segments, without_indexes
from cloudtimeouts.terraform.mapping import Members, agrees
from cloudtimeouts.terraform.planfile import Resource, TerraformPlan, Unknown

CLUSTER_TYPE = "aws_rds_cluster"
CLUSTER_GROUP_TYPE = "aws_rds_cluster_parameter_group"
GROUP_TYPE = "aws_db_parameter_group"
INSTANCE_TYPE = "aws_rds_cluster_instance"


def members(terraform: TerraformPlan, target: AwsTarget, names: Collection[str]) -> Members:
    """The member states of a cluster group or DB parameter group target, and what cannot be
    judged (`TerraformPlan.related`: the plan's `instances`)."""
    if target.group_kind == "cluster-parameter-group":
        return _of_cluster_group(terraform, target, names)
    if target.group_kind == "parameter-group":
        return _of_member_group(terraform, target, names)
    return Members()


def _of_cluster_group(
    terraform: TerraformPlan, target: AwsTarget, names: Collection[str]
) -> Members:
    """Each member of a cluster on the target, with its own DB parameter group above it; an
    instance whose cluster's group the plan cannot name may be one, and is named."""
    found = _Found()
    for instance in _instances(terraform, target):
        if not agrees(instance.region, target.region):
            continue
        default = instance.group is not None and instance.group.lower().startswith("default.")
        if instance.cluster_group is None:
            if not default:  # a default group overrides nothing: the target alone decides
                found.notes.append(_may_be_member(instance, target))
            continue
        if instance.cluster_group != target.group_name.lower() or default:
            continue
        where = f"{instance.identifier} (cluster {instance.cluster})"
        held = _held(terraform, GROUP_TYPE, instance.group, target.region)
        if instance.group is None or len(held) != 1:
            found.notes.append(_unjudged(where, instance, "db_parameter_group_name"))
            continue
        layer = found.layer(held[0], target, names, cluster=False)
        found.states.append(MemberState(where, above=(layer,)))
    return found.members()


def _of_member_group(
    terraform: TerraformPlan, target: AwsTarget, names: Collection[str]
) -> Members:
    """Each Aurora instance on the target, with its cluster's parameter group below it."""
    found = _Found()
    for instance in _instances(terraform, target):
        if (
            instance.group is None
            or instance.group.lower() != target.group_name.lower()
            or not agrees(instance.region, target.region)
        ):
            continue
        where = f"{instance.identifier} (cluster {instance.cluster or KNOWN_AFTER_APPLY})"
        if instance.cluster_group is None:
            found.notes.append(_unjudged(where, instance, "db_cluster_parameter_group_name"))
            continue
        if instance.cluster_group.startswith("default."):
            continue  # sets nothing: the target over the defaults, as the target alone is judged
        held = _held(terraform, CLUSTER_GROUP_TYPE, instance.cluster_group, target.region)
        if len(held) != 1:
            found.notes.append(_unjudged(where, instance, "db_cluster_parameter_group_name"))
            continue
        group = held[0]
        layer = found.layer(group, target, names, cluster=True)
        found.states.append(MemberState(where, below=(layer,), platform=group.version))
    return found.members()


@dataclass
class _Found:
    """The member states and notes being gathered, and the groups judged for them."""

    states: list[MemberState] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    judged: set[str] = field(default_factory=set)
    hidden: dict[str, str] = field(default_factory=dict)

    def layer(
        self, group: Resource, target: AwsTarget, names: Iterable[str], *, cluster: bool
    ) -> GroupLayer:
        """The group as a layer of the chain, keyed as `AwsTarget.key` keys a target of it (so
        that a profile of the same run managing it is found), its sensitive values noted."""
        self.judged.add(group.address)
        parameters = dict(_overrides(group, names))
        sensitive = {n.lower() for n in group.sensitive}
        self.hidden |= {
            name: state.value
            for name, state in parameters.items()
            if name.lower() in sensitive and state.value
        }
        name = group.name if isinstance(group.name, str) else ""
        return AwsTarget.layer(target.region, name, parameters, cluster=cluster)

    def members(self) -> Members:
        return Members(
            tuple(self.states), tuple(self.notes), frozenset(self.judged), dict(self.hidden)
        )


def _held(terraform: TerraformPlan, kind: str, name: str | None, region: str) -> list[Resource]:
    """The plan's groups of a type and name in the target's region (none for no name)."""
    if name is None:
        return []
    return [
        r
        for r in terraform.by_name.get(name.lower(), ())
        if r.type == kind and not r.deleted and agrees(r.where.get("region"), region)
    ]


def _overrides(group: Resource, names: Iterable[str]) -> Iterable[tuple[str, ParameterState]]:
    """The parameters the group sets (all of them unknown when its list is)."""
    values = {name.lower(): value for name, value in group.values.items()}
    for name in names:
        value = values.get(name.lower())
        if isinstance(value, Unknown) or (name.lower() not in values and group.unknown_names):
            yield name, ParameterState(name, value=KNOWN_AFTER_APPLY)
        elif isinstance(value, str):
            yield name, ParameterState(name, value=value)


def _unjudged(where: str, instance: Instance, attribute: str) -> Finding:
    """A member whose other group of the chain the plan does not hold or cannot name."""
    if attribute == "db_parameter_group_name":
        group = (
            f"DB parameter group {instance.group}, which the Terraform plan does not hold"
            if instance.group is not None
            else "a DB parameter group the Terraform plan knows only after apply"
        )
        values = "the values it overrides are"
    else:
        group = (
            f"its cluster's DB cluster parameter group, which the Terraform plan cannot name "
            f"({instance.unknown})"
            if instance.unknown
            else f"DB cluster parameter group {instance.cluster_group}, which the Terraform "
            "plan does not hold"
        )
        values = f"the values it takes where DB parameter group {instance.group} sets none are"
    return Finding(
        attribute,
        f"member {where} ({instance.address}) uses {group}: {values} not judged; cloudtimeouts "
        "plan without --terraform-plan reads them from RDS",
    )


def _may_be_member(instance: Instance, target: AwsTarget) -> Finding:
    """An instance whose cluster's group the plan cannot name may be a member on the target."""
    group = f"DB parameter group {instance.group}" if instance.group else "its DB parameter group"
    return Finding(
        "cluster_identifier" if instance.cluster is None else "db_cluster_parameter_group_name",
        f"instance {instance.identifier} ({instance.address}) may be a member of a cluster on "
        f"{target.group_name} ({instance.unknown}): the values {group} overrides there are not "
        "judged; judge the plan Terraform makes after applying this one, or run cloudtimeouts "
        "plan without --terraform-plan after apply",
    )


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
    managed instance), each in its region as for judged resources (`region`)."""
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
                region if isinstance(region, str) else provider_region(configuration, address),
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


def _instances(terraform: TerraformPlan, target: AwsTarget) -> tuple[Instance, ...]:
    """The plan's cluster instances, as `AwsTerraform.related` read them (`instances`)."""
    return cast(tuple[Instance, ...], terraform.related.get(target.provider, ()))


def provider_region(configuration: Configuration, address: str) -> str | None:
    """A resource's region when it does not set one (`region` on resources is AWS provider 6+):
    the AWS provider (before 6) takes it from the provider block, e.g. `provider = aws.us` with
    `region = "us-east-1"`, which the resource's `provider_config_key` names."""
    return configuration.provider_argument(address, "region")
