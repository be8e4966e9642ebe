"""The edge of the RDS API: SDK errors translated, answers parsed, groups judged.

Every helper here is a pure function of a target, a client and what RDS answered; the adapter
(`cloudtimeouts.providers.aws`) decides which calls are made, and `fleet` which are shared.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import (
    ProviderAPIError,
    ProviderAuthError,
    TargetNotAllowedError,
)
from cloudtimeouts.model import ParameterState
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.trust import (
    BOTOCORE_VARIABLES,
    unreadable_ca_bundle,
    untrusted_hint,
)

PAGE_SIZE = 100  # MaxRecords maximum of every Describe* call used here (RDS API Reference)
DEFAULT_SOURCES = frozenset({"engine-default", "system"})
_AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
_THROTTLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")
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
        allowed=_allowed_range(raw.get("AllowedValues")),
        apply_type=ApplyType(apply_type) if apply_type in ("static", "dynamic") else None,
        modifiable=raw.get("IsModifiable", True),
        value_is_default=raw.get("Source") in DEFAULT_SOURCES,
    )


def _allowed_range(allowed: str | None) -> tuple[Decimal, Decimal] | None:
    match = _RANGE.match(allowed or "")
    return (Decimal(match[1]), Decimal(match[2])) if match else None


def engine_of_family(family: str) -> Engine | None:
    for prefix, engine in _FAMILY_ENGINES:
        if family.startswith(prefix):
            return engine
    return None


def check_family(target: AwsTarget, family: str, engine: Engine) -> None:
    found = engine_of_family(family)
    if found is not engine:
        raise TargetNotAllowedError(
            f"{target.id}: the group's family is {family} ({found or 'unknown engine'}), "
            f"but the profile's engine is {engine}",
            hint="point the target at a parameter group of the profile's engine",
        )


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


def assumed_role_session(
    session: boto3.session.Session,
    target: AwsTarget,
    config: botocore.config.Config,
    waiting: Callable[[str], None] = lambda where: None,
) -> boto3.session.Session:
    """A session on `target.role_arn`'s credentials; `waiting` is told the STS endpoint first, so
    that a target whose AssumeRole goes unanswered is said to wait on STS, not on RDS."""
    sts = session.client("sts", region_name=target.region, config=config)
    where = sts.meta.endpoint_url
    waiting(where)
    with translated(target, "AssumeRole", where):
        credentials = sts.assume_role(
            RoleArn=target.role_arn, RoleSessionName="cloudtimeouts", DurationSeconds=3600
        )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=target.region,
    )


def api_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_")).replace("Db", "DB")


# The SDK errors a call can end with; anything else is a bug, reported as unexpected.
SDK_ERRORS = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
)


@contextlib.contextmanager
def translated(target: AwsTarget, operation: str, where: str | None = None) -> Iterator[None]:
    """SDK errors become one message: what we were doing on which target, what AWS said, and
    which endpoint (`where`; default the RDS endpoint) did not answer."""
    where = where or endpoint_of(target)
    try:
        yield
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        code, message = info.get("Code", "Unknown"), info.get("Message", "")
        text = f"{target.id}: {operation} failed: {code}: {message}".rstrip(": ")
        if code in _AUTH_CODES:
            raise ProviderAuthError(
                text, hint=f"the credentials in use need the IAM permission rds:{operation}"
            ) from None
        hint = None
        if code in _THROTTLE_CODES:
            hint = "AWS kept throttling after retries; try AWS_RETRY_MODE=adaptive"
        raise ProviderAPIError("aws", operation, code, text, hint=hint) from None
    except (
        botocore.exceptions.NoCredentialsError,
        botocore.exceptions.PartialCredentialsError,
        botocore.exceptions.ProfileNotFound,
        botocore.exceptions.TokenRetrievalError,
    ) as error:
        raise ProviderAuthError(
            f"{target.id}: no usable AWS credentials: {error}",
            hint="use the standard chain: AWS_PROFILE / aws_profile, aws configure, "
            "aws sso login, environment variables or an instance role",
        ) from None
    except botocore.parsers.ResponseParserError as error:  # not a BotoCoreError
        raise ProviderAPIError(
            "aws",
            operation,
            "ResponseParserError",
            f"{target.id}: {operation} failed: the answer from {endpoint_of(target)} is not the "
            f"XML RDS sends ({first_line(error)})",
            hint="a proxy or an AWS_ENDPOINT_URL_RDS that is not RDS may be answering; run again",
        ) from None
    except (
        botocore.exceptions.ConnectionError,  # refused, reset, connect timeout
        botocore.exceptions.HTTPClientError,  # closed or silent after the request was sent
    ) as error:
        cause = None
        if isinstance(error, botocore.exceptions.SSLError):
            cause = unreadable_ca_bundle(BOTOCORE_VARIABLES)
        if cause is not None:
            raise ProviderAPIError(
                "aws",
                operation,
                "CaBundle",
                f"{target.id}: {operation} failed: {cause}",
                cause.hint,
            ) from None
        raise ProviderAPIError(
            "aws",
            operation,
            type(error).__name__,
            f"{target.id}: {operation} failed: no usable answer from {where} "
            f"after retries ({first_line(error)})",
            hint=untrusted_hint("AWS_CA_BUNDLE")
            if isinstance(error, botocore.exceptions.SSLError)
            else "check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_RDS if you set them",
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise ProviderAPIError(
            "aws",
            operation,
            type(error).__name__,
            f"{target.id}: {operation} failed: {first_line(error)}",
        ) from None


def endpoint_of(target: AwsTarget) -> str:
    url = os.environ.get("AWS_ENDPOINT_URL_RDS") or os.environ.get("AWS_ENDPOINT_URL")
    return url or f"https://rds.{target.region}.amazonaws.com"


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
