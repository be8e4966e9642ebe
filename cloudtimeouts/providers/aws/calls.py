"""The edge of the RDS API: SDK errors translated, answers parsed, groups judged.

Every helper here is a pure function of a target, a client and what RDS answered; the adapter
(`cloudtimeouts.providers.aws`) decides which calls are made, and `fleet` which are shared.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import ProviderAPIError, TargetNotAllowedError
from cloudtimeouts.model import ParameterState
from cloudtimeouts.profile import AwsTarget
from cloudtimeouts.providers.engines import allowed_range, engine_of, other_engine
from cloudtimeouts.providers.errors import (
    Call,
    Dialect,
    Failure,
    Kind,
    first_line,
    translating,
    transport,
)
from cloudtimeouts.providers.trust import BOTOCORE_VARIABLES

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
_NO_CREDENTIALS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.ProfileNotFound,
    botocore.exceptions.TokenRetrievalError,
)
_TRANSPORT = (
    botocore.exceptions.ConnectionError,  # refused, reset, connect timeout
    botocore.exceptions.HTTPClientError,  # closed or silent after the request was sent
)
DIALECT = Dialect(
    provider="aws",
    network_hint="check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_RDS if you set them",
    garbled="the XML RDS sends",
    garbled_hint="a proxy or an AWS_ENDPOINT_URL_RDS that is not RDS may be answering; run again",
    throttled_hint="AWS kept throttling after retries; try AWS_RETRY_MODE=adaptive",
    ca_variables=BOTOCORE_VARIABLES,
    # botocore loads its CA bundle for the TLS handshake: only that fails on an unreadable one
    ca_bundle_fails=frozenset({Kind.UNTRUSTED}),
    silent="no usable answer from",  # AWS has always said silent and unreachable alike
)
# AssumeRole goes to STS (its own endpoint variable, AWS_ENDPOINT_URL_STS, and its own XML).
STS_DIALECT = dataclasses.replace(
    DIALECT,
    network_hint="check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS if you set them",
    garbled="the XML STS sends",
    garbled_hint="a proxy or an AWS_ENDPOINT_URL_STS that is not STS may be answering; run again",
)


def classify(
    error: BaseException, target: AwsTarget, operation: str, service: str = "rds"
) -> Failure | None:
    """What botocore raised, by its class and RDS's error code (never by its text)."""
    if isinstance(error, botocore.exceptions.ClientError):
        info = error.response.get("Error", {})
        code, message = info.get("Code", "Unknown"), info.get("Message", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        said = f"{code}: {message}".rstrip(": ")
        if code in _AUTH_CODES:
            hint = f"the credentials in use need the IAM permission {service}:{operation}"
            if service == "sts":  # AssumeRole: the role's trust policy must name them too
                hint += f" on {target.role_arn}, and that role must trust them"
            return Failure(Kind.DENIED, code, said, hint=hint, status=status)
        kind = Kind.THROTTLED if code in _THROTTLE_CODES else Kind.ANSWERED
        return Failure(kind, code, said, status=status)
    if isinstance(error, _NO_CREDENTIALS):
        return Failure(
            Kind.NO_CREDENTIALS,
            message=f"{target.id}: no usable AWS credentials: {error}",
            hint="use the standard chain: AWS_PROFILE / aws_profile, aws configure, "
            "aws sso login, environment variables or an instance role",
        )
    if isinstance(error, botocore.parsers.ResponseParserError):  # not a BotoCoreError
        return Failure(Kind.GARBLED, type(error).__name__, first_line(error))
    if isinstance(error, _TRANSPORT):
        kind = transport(error, untrusted=(botocore.exceptions.SSLError,))
        return Failure(kind, type(error).__name__, first_line(error), retried=True)
    if isinstance(error, botocore.exceptions.BotoCoreError):
        return Failure(Kind.FAILED, type(error).__name__, first_line(error))
    return None


def translated(
    target: AwsTarget, operation: str, where: str | None = None
) -> AbstractContextManager[None]:
    """SDK errors become one message: what we were doing on which target, what AWS said, and
    which endpoint (`where`: STS's for AssumeRole; default the RDS endpoint) did not answer."""
    service = "sts" if operation == "AssumeRole" else "rds"
    call = Call(
        target.id, operation, f"{target.id}: {operation} failed", where or endpoint_of(target)
    )
    classified = functools.partial(classify, target=target, operation=operation, service=service)
    return translating(call, classified, STS_DIALECT if service == "sts" else DIALECT)


def endpoint_of(target: AwsTarget) -> str:
    url = os.environ.get("AWS_ENDPOINT_URL_RDS") or os.environ.get("AWS_ENDPOINT_URL")
    return url or f"https://rds.{target.region}.amazonaws.com"
