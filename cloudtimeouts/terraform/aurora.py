"""Aurora members in a Terraform plan: the DB parameter groups that override a cluster group.

Why: a DB parameter group on an Aurora cluster instance overrides the cluster parameter group for
every parameter it sets (Aurora User Guide, "Parameter groups for Amazon Aurora"). `plan` reads a
cluster's members from RDS and judges each on its effective values (`plan._member_refusals`);
judging a Terraform plan must do the same, or a member group's short idle timeout passes.

From the plan (AWS provider docs, r/rds_cluster and r/rds_cluster_instance): an `aws_rds_cluster`
names its cluster group in `db_cluster_parameter_group_name`; an `aws_rds_cluster_instance`
names its cluster in `cluster_identifier` and its DB parameter group in
`db_parameter_group_name` (known only after apply when left to AWS's default group). A member's
group is judged from the plan's `aws_db_parameter_group` of that name, whose `parameter` set is
complete; AWS's `default.*` groups set nothing; a group the plan does not hold, or does not name,
is said to be unjudged.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from cloudtimeouts.model import (
    KNOWN_AFTER_APPLY,
    Finding,
    GroupLayer,
    MemberState,
    ParameterState,
)
from cloudtimeouts.profile import AwsTarget
from cloudtimeouts.terraform.clusters import Instance
from cloudtimeouts.terraform.planfile import Resource, TerraformPlan, Unknown

_GROUP_TYPE = "aws_db_parameter_group"


@dataclass(frozen=True, slots=True)
class Members:
    """What the plan says of a cluster target's members."""

    states: tuple[MemberState, ...] = ()
    notes: tuple[Finding, ...] = ()
    groups: frozenset[str] = frozenset()  # addresses of the member groups judged
    sensitive: Mapping[str, str] = field(default_factory=dict)  # name -> its raw value


def members(terraform: TerraformPlan, target: AwsTarget, names: Collection[str]) -> Members:
    """The member states of a cluster parameter group target, and what cannot be judged."""
    if target.group_kind != "cluster-parameter-group":
        return Members()
    states: list[MemberState] = []
    notes: list[Finding] = []
    judged: set[str] = set()
    hidden: dict[str, str] = {}
    for instance in terraform.instances:
        if instance.cluster_group != target.group_name.lower() or not _agrees(
            instance.region, target.region
        ):
            continue
        where = f"{instance.identifier} (cluster {instance.cluster})"
        if instance.group is not None and instance.group.lower().startswith("default."):
            continue  # AWS's default groups set no parameter
        held = _groups(terraform, instance, target.region)
        if instance.group is None or len(held) != 1:
            notes.append(_unjudged(where, instance))
            continue
        group = held[0]
        judged.add(group.address)
        parameters = dict(_overrides(group, names))
        hidden |= {
            name: state.value
            for name, state in parameters.items()
            if name.lower() in {n.lower() for n in group.sensitive} and state.value
        }
        layer = GroupLayer(
            f"aws:{target.region}:parameter-group/{instance.group}".lower(),
            f"DB parameter group {instance.group}",
            parameters,
        )
        states.append(MemberState(where, (layer,)))
    return Members(tuple(states), tuple(notes), frozenset(judged), hidden)


def _groups(terraform: TerraformPlan, instance: Instance, region: str) -> list[Resource]:
    if instance.group is None:
        return []
    return [
        r
        for r in terraform.by_name.get(instance.group.lower(), ())
        if r.type == _GROUP_TYPE and not r.deleted and _agrees(r.where.get("region"), region)
    ]


def _overrides(group: Resource, names: Iterable[str]) -> Iterable[tuple[str, ParameterState]]:
    """The parameters the member group sets (all of them unknown when its list is)."""
    values = {name.lower(): value for name, value in group.values.items()}
    for name in names:
        value = values.get(name.lower())
        if isinstance(value, Unknown) or (name.lower() not in values and group.unknown_names):
            yield name, ParameterState(name, value=KNOWN_AFTER_APPLY)
        elif isinstance(value, str):
            yield name, ParameterState(name, value=value)


def _unjudged(where: str, instance: Instance) -> Finding:
    group = (
        f"DB parameter group {instance.group}, which the Terraform plan does not hold"
        if instance.group is not None
        else "a DB parameter group the Terraform plan knows only after apply"
    )
    return Finding(
        "db_parameter_group_name",
        f"member {where} ({instance.address}) uses {group}: the values it overrides are not "
        "judged; cloudtimeouts plan without --terraform-plan reads them from RDS",
    )


def _agrees(said: str | Unknown | None, ours: str) -> bool:
    return not isinstance(said, str) or said.lower() == ours.lower()
