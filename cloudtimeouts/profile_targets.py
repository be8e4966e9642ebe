"""A profile's `targets:` entries, one model per cloud: how each names its target, its id, the
scope its API rate limit is spent in, and the key by which the cloud compares names.

Why apart from `profile`: these are each cloud's naming rules (regions, project ids, resource
groups, their case rules), which change with the clouds, not with the guard's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from cloudtimeouts.model import GroupLayer, ParameterState
from cloudtimeouts.profile_messages import matching


class Strict(BaseModel):
    """Every profile model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_Name = Annotated[
    str,
    matching(
        r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        "a name of letters, digits, '.', '_', ':', '/' and '-', starting with a letter or digit",
        min_length=1,
    ),
]


class AwsTarget(Strict):
    provider: Literal["aws"]
    region: Annotated[
        str,
        matching(
            r"^[a-z]{2}(-[a-z]+)+-\d+$",
            "an AWS region: lowercase words joined by '-', ending in a number (e.g. eu-west-1)",
        ),
    ]
    parameter_group: _Name | None = None
    cluster_parameter_group: _Name | None = None
    rds_proxy: _Name | None = None  # RDS Proxy: IdleClientTimeout, from its rds-proxy hop
    aws_profile: str | None = None
    role_arn: (
        Annotated[
            str,
            matching(
                r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$",
                "an IAM role ARN: arn:aws:iam::ACCOUNT:role/NAME, ACCOUNT being 12 digits",
            ),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _exactly_one_group(self) -> AwsTarget:
        named = [self.parameter_group, self.cluster_parameter_group, self.rds_proxy]
        if sum(name is not None for name in named) != 1:
            raise PydanticCustomError(
                "group",
                "an aws target names exactly one of parameter_group, cluster_parameter_group "
                "or rds_proxy",
            )
        return self

    @property
    def group_kind(self) -> Literal["parameter-group", "cluster-parameter-group", "rds-proxy"]:
        if self.rds_proxy:
            return "rds-proxy"
        return "parameter-group" if self.parameter_group else "cluster-parameter-group"

    @property
    def group_name(self) -> str:
        return self.parameter_group or self.cluster_parameter_group or self.rds_proxy or ""

    @property
    def id(self) -> str:
        return f"aws:{self.region}:{self.group_kind}/{self.group_name}"

    @property
    def scope(self) -> str:
        """Whose API rate limit a call spends: RDS limits per account and region."""
        account = self.role_arn.split(":")[4] if self.role_arn else self.aws_profile or ""
        return f"aws:{account}:{self.region}"

    @property
    def key(self) -> str:
        """The id as RDS compares it: parameter group names are stored in lower case (RDS API
        Reference, CreateDBParameterGroup: "This value is stored as a lowercase string")."""
        return self.id.lower()

    @classmethod
    def layer(
        cls, region: str, group: str, parameters: Mapping[str, ParameterState], *, cluster: bool
    ) -> GroupLayer:
        """A group of an Aurora instance's chain, keyed as a target naming it is keyed (so that
        a profile of the same run managing it is found), labelled as RDS names its kind."""
        kind = "cluster_parameter_group" if cluster else "parameter_group"
        named = cls.model_construct(provider="aws", region=region, **{kind: group})
        label = "DB cluster parameter group" if cluster else "DB parameter group"
        return GroupLayer(named.key, f"{label} {group}", parameters)


class GcpTarget(Strict):
    provider: Literal["gcp"]
    project: Annotated[
        str,
        matching(
            r"^[a-z][a-z0-9:.-]*[a-z0-9]$",
            "a project id of lowercase letters, digits, '-', '.' and ':', starting with a letter "
            "and ending with a letter or digit (e.g. acme-prod)",
        ),
    ]
    instance: Annotated[
        str,
        matching(
            r"^[a-z][a-z0-9-]*$",
            "an instance name of lowercase letters, digits and '-', starting with a letter",
        ),
    ]

    @property
    def id(self) -> str:
        return f"gcp:{self.project}:instance/{self.instance}"

    @property
    def scope(self) -> str:
        """Cloud SQL Admin API quotas are per project."""
        return f"gcp:{self.project}"

    @property
    def key(self) -> str:
        """Project ids and instance names are lower case by Cloud SQL's own naming rules."""
        return self.id.lower()


class AzureTarget(Strict):
    provider: Literal["azure"]
    subscription_id: Annotated[
        str,
        matching(
            r"^[0-9a-fA-F-]{36}$",
            "a subscription id of 36 characters, hexadecimal digits and '-' "
            "(e.g. 00000000-0000-0000-0000-000000000000)",
        ),
    ]
    resource_group: Annotated[
        str,
        matching(
            r"^[\w().-]+$",
            "a resource group name of letters, digits, '_', '.', '-', '(' and ')'",
            min_length=1,
        ),
    ]
    server: Annotated[
        str,
        matching(
            r"^[a-z0-9][a-z0-9-]*$",
            "a server name of lowercase letters, digits and '-', starting with a letter or digit",
        ),
    ]

    @property
    def id(self) -> str:
        return f"azure:{self.subscription_id}:{self.resource_group}:server/{self.server}"

    @property
    def scope(self) -> str:
        """ARM throttles per subscription (and principal)."""
        return f"azure:{self.subscription_id.lower()}"

    @property
    def key(self) -> str:
        """The id as ARM compares it: resource group and resource names are not case-sensitive
        (Azure Resource Manager, "Naming rules and restrictions for Azure resources")."""
        return self.id.lower()


Target = Annotated[AwsTarget | GcpTarget | AzureTarget, Field(discriminator="provider")]
