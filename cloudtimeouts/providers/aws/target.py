"""An AWS `targets:` entry: a DB parameter group, a DB cluster parameter group or an RDS Proxy,
in one region, reached with an optional named profile or role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from cloudtimeouts.model import GroupLayer, ParameterState
from cloudtimeouts.profile_messages import matching
from cloudtimeouts.profile_targets import CloudTarget

_Name = Annotated[
    str,
    matching(
        r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        "a name of letters, digits, '.', '_', ':', '/' and '-', starting with a letter or digit",
        min_length=1,
    ),
]

AURORA_POSTGRESQL = "aurora-postgresql"  # the RDS family prefix of Aurora PostgreSQL
AURORA_MYSQL = "aurora-mysql"


class AwsTarget(CloudTarget):
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

    @property
    def hop(self) -> str | None:
        """An RDS Proxy target writes its rds-proxy hop's IdleClientTimeout."""
        return self.rds_proxy

    def platforms_possible(self) -> tuple[str, ...]:
        """A DB cluster parameter group belongs to an Aurora cluster or a Multi-AZ DB cluster;
        offline, it may be Aurora (Aurora User Guide, "Parameter groups for Amazon Aurora")."""
        return (AURORA_POSTGRESQL, AURORA_MYSQL) if self.cluster_parameter_group else ()

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
