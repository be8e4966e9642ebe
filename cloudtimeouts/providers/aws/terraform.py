"""AWS in a Terraform plan: the resources that hold an RDS target's values, and the HCL that
`export` writes for one (`terraform.mapping.TerraformMapping`).

Sources (registry.terraform.io/providers/hashicorp/aws):
- aws_db_parameter_group / aws_rds_cluster_parameter_group: `name`, `family`, a set of
  `parameter` blocks {name, value, apply_method} (r/db_parameter_group,
  r/rds_cluster_parameter_group); `region` on AWS provider 6+, else the provider block's
  (`terraform_aurora.provider_region`). The `parameter` set lists every parameter the group
  sets, so a name it lacks is at its default; an entry's name and value are required strings.
- aws_db_proxy: `name`, `idle_client_timeout` in seconds (r/db_proxy: Number, whole seconds for
  ModifyDBProxy's integer IdleClientTimeout).
- `apply_method` is "immediate" for a dynamic parameter and "pending-reboot" for a static one
  (r/db_parameter_group: static parameters need pending-reboot).
- RDS names in lower case: RDS stores them so (RDS API Reference, CreateDBParameterGroup: "This
  value is stored as a lowercase string"), and the AWS provider refuses any other spelling; RDS
  compares parameter names case-blind.
- One parameter given two values is unknown: RDS refuses such a request, so which one it would
  keep is not something to guess.
- Aurora clusters and their instances: `terraform_aurora`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from typing import Any

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.providers.aws import terraform_aurora
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.terraform.configuration import Configuration
from cloudtimeouts.terraform.hcl import Hcl, Setting, string
from cloudtimeouts.terraform.mapping import Members, agrees
from cloudtimeouts.terraform.planfile import Resource, TerraformPlan, whole_list
from cloudtimeouts.terraform.values import Unknown, Values

GROUP_TYPES = {
    "aws_db_parameter_group": "parameter-group",
    "aws_rds_cluster_parameter_group": "cluster-parameter-group",
}
PROXY_TYPE = "aws_db_proxy"

# The engine a group's family names: RDS parameter group families (DescribeDBEngineVersions
# `DBParameterGroupFamily`).
_ENGINE_PREFIXES = (
    ("aurora-postgresql", Engine.POSTGRES),
    ("postgres", Engine.POSTGRES),
    ("aurora-mysql", Engine.MYSQL),
    ("aurora", Engine.MYSQL),  # Aurora MySQL 5.6's family is "aurora5.6"
    ("mysql", Engine.MYSQL),
    ("mariadb", Engine.MARIADB),
)
_OTHER_ENGINES = ("sqlserver", "oracle", "db2", "custom-sqlserver", "custom-oracle")

_PROXY_FAMILIES = {Engine.POSTGRES: "POSTGRESQL", Engine.MYSQL: "MYSQL", Engine.MARIADB: "MYSQL"}
_FAMILIES = {  # examples for the variables' descriptions
    Engine.POSTGRES: "postgres16 or aurora-postgresql16",
    Engine.MYSQL: "mysql8.0 or aurora-mysql8.0",
    Engine.MARIADB: "mariadb10.11",
}


class AwsTerraform:
    """RDS parameter groups, cluster parameter groups and RDS Proxies in a Terraform plan."""

    types = frozenset([*GROUP_TYPES, PROXY_TYPE])
    per_parameter = False  # a group's `parameter` set, or a proxy's attribute
    case_blind = True  # RDS compares names case-blind

    def resource(
        self, address: str, kind: str, values: Values, configuration: Configuration
    ) -> Resource:
        # the resource's own region (provider 6), else its provider block's (an alias)
        region = values.get("region") or terraform_aurora.provider_region(configuration, address)
        where: dict[str, str | Unknown] = {"region": region} if region is not None else {}
        if kind in GROUP_TYPES:
            entries, names_unknown = values.blocks("parameter")
            group = whole_list(address, kind, values, "family", entries, names_unknown)
            return dataclasses.replace(group, where=where)
        key = "idle_client_timeout"  # aws_db_proxy
        return Resource(
            address,
            kind,
            values.name(),
            where=where,
            values={key: values.whole_number(key)},
            sensitive=frozenset([key] if values.sensitive(key) else []),
        )

    def related(self, configuration: Configuration) -> tuple[Any, ...]:
        """The plan's Aurora cluster instances, for the chains of their groups."""
        return terraform_aurora.instances(configuration)

    def key(self, resource: Resource) -> str | None:
        return resource.name.lower() if isinstance(resource.name, str) else None

    def target_key(self, target: Target) -> str:
        return _own(target).group_name.lower()

    def matches(self, resource: Resource, target: Target, engine: Engine) -> bool:
        """Of the target's kind, the same name as RDS compares it, in the same region."""
        target = _own(target)
        kind = PROXY_TYPE if target.group_kind == "rds-proxy" else None
        if kind is None and GROUP_TYPES.get(resource.type) != target.group_kind:
            return False
        if kind is not None and resource.type != kind:
            return False
        return (
            isinstance(resource.name, str)
            and resource.name.lower() == target.group_name.lower()
            and agrees(resource.where.get("region"), target.region)
        )

    def described(self, target: Target) -> str:
        target = _own(target)
        kind = {"parameter-group": "aws_db_parameter_group", "rds-proxy": PROXY_TYPE}.get(
            target.group_kind, "aws_rds_cluster_parameter_group"
        )
        return f"{kind} named {target.group_name} (region {target.region})"

    def engine(self, resource: Resource) -> str | None:
        """The engine a group's family names (a proxy says none)."""
        said = resource.version.lower()
        if said.startswith(_OTHER_ENGINES):
            return said
        return next((e.value for p, e in _ENGINE_PREFIXES if said.startswith(p)), None)

    def unmatched(self, resource: Resource) -> str | None:
        return None

    def members(self, plan: TerraformPlan, target: Target, names: Collection[str]) -> Members:
        return terraform_aurora.members(plan, _own(target), names)

    def export(
        self, out: Hcl, profile: Profile, target: Target, settings: Sequence[Setting]
    ) -> None:
        target = _own(target)
        label = out.label(target.group_name)
        out.comment(
            f"in region {target.region} (the AWS provider's region, or its region argument)"
        )
        if target.rds_proxy:
            out.open(f'resource "aws_db_proxy" "{label}"')
            out.attribute("name", string(target.rds_proxy.lower()))
            out.attribute("engine_family", string(_PROXY_FAMILIES[profile.engine]))
            for setting in settings:
                out.attribute(setting.name, setting.native, comment=setting.human)
            role = out.variable(label, "role_arn", "string", "the proxy's IAM role")
            out.attribute("role_arn", role)
            subnets = out.variable(label, "vpc_subnet_ids", "list(string)", "the proxy's subnets")
            out.attribute("vpc_subnet_ids", subnets)
            out.comment("auth { ... } as your proxy has it")
            out.close()
            return
        kind = (
            "aws_db_parameter_group"
            if target.parameter_group
            else "aws_rds_cluster_parameter_group"
        )
        out.open(f'resource "{kind}" "{label}"')
        out.attribute("name", string(target.group_name.lower()))
        family = f"the group's family, e.g. {_FAMILIES[profile.engine]}"
        out.attribute("family", out.variable(label, "family", "string", family))
        for setting in settings:
            dynamic = setting.spec.apply_type is ApplyType.DYNAMIC
            out.blank()
            out.open("parameter")
            out.attribute("name", string(setting.name))
            out.attribute("value", string(setting.native), comment=setting.human)
            out.attribute("apply_method", string("immediate" if dynamic else "pending-reboot"))
            out.close()
        out.close()


def _own(target: Target) -> AwsTarget:
    """The mapping is called with AWS targets only (`terraform.mapping.of`)."""
    assert isinstance(target, AwsTarget), target
    return target


TERRAFORM = AwsTerraform()
