"""AWS RDS and Aurora: DB parameter groups and DB cluster parameter groups, through boto3.

API facts used here (Amazon RDS API Reference):
- DescribeDBParameters / DescribeDBClusterParameters: MaxRecords 20..100, paginated by Marker;
  every parameter comes with Source, ApplyType, AllowedValues, IsModifiable.
- ModifyDBParameterGroup / ModifyDBClusterParameterGroup: at most 20 parameters per request;
  ApplyMethod `immediate` (dynamic parameters only) or `pending-reboot`.
- Default groups (`default.<family>`) cannot be modified.
The endpoint comes from the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_RDS; credentials from the
standard chain; retries from botocore (`standard` mode unless AWS_RETRY_MODE says otherwise).

Retries and time (AWS SDKs and Tools Reference Guide, "Retry behavior"; botocore "Retries"): the
standard mode retries throttling errors, 5xx answers and connection failures with jittered
exponential back-off (base 1 s for throttling, 50 ms otherwise, at most 20 s), and honours
`x-amz-retry-after`. AWS_MAX_ATTEMPTS counts every attempt, the first included. Every attempt has a
connect and a read timeout, and the read timeout shrinks as the attempts grow so that all the
attempts of one call fit in CALL_BUDGET_S: an unresponsive endpoint ends a target with an error
well within the 60 s the README promises, without relying on the orchestration's deadline. The
SDK resends ModifyDB*ParameterGroup after a lost answer; that is safe because the call sets
absolute values (sending it twice leaves the group as sending it once does).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from decimal import Decimal
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import (
    CloudtimeoutsError,
    ProviderAPIError,
    ProviderAuthError,
    TargetNotAllowedError,
    WriteError,
)
from cloudtimeouts.model import Change, MemberState, ParameterState, TargetState, WriteOutcome
from cloudtimeouts.profile import AwsTarget

MAX_PARAMETERS_PER_MODIFY = 20  # ModifyDBParameterGroup: "You can modify up to 20 parameters"
DEFAULT_MAX_ATTEMPTS = 6  # every attempt, the first included (the README documents 6)
CONNECT_TIMEOUT_S = 5.0
CALL_BUDGET_S = 50.0  # all the attempts of one call, back-off included
MIN_READ_TIMEOUT_S = 5.0  # RDS answers in well under a second; this is the floor per attempt
MAX_READ_TIMEOUT_S = 30.0
BACKOFF_ALLOWANCE_S = 2.0  # standard mode's non-throttling back-off over 5 retries: < 1.6 s
PAGE_SIZE = 100  # DescribeDBParameters MaxRecords maximum: fewest calls for ~350 parameters
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

SessionFactory = Callable[[str | None], boto3.session.Session]


def _client_config() -> botocore.config.Config:
    attempts = max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", str(DEFAULT_MAX_ATTEMPTS))))
    return botocore.config.Config(
        retries={
            "mode": os.environ.get("AWS_RETRY_MODE", "standard"),  # type: ignore[typeddict-item]
            # AWS_MAX_ATTEMPTS counts every attempt, the first included (botocore's
            # total_max_attempts; its `max_attempts` key would count retries only).
            "total_max_attempts": attempts,
        },
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=read_timeout(attempts),
        user_agent_extra="cloudtimeouts",
    )


def read_timeout(attempts: int) -> float:
    """The read timeout of one attempt, so that `attempts` silent attempts fit the call's budget.

    6 attempts (the default): 8 s each; 2 attempts: 24 s; a single one: 30 s. Past about ten
    attempts the floor wins and the orchestration's --timeout is what ends a silent target.
    """
    share = (CALL_BUDGET_S - BACKOFF_ALLOWANCE_S) / max(1, attempts)
    return max(MIN_READ_TIMEOUT_S, min(MAX_READ_TIMEOUT_S, share))


class AwsAdapter:
    """One adapter per run; clients are cached per (region, profile, role) and thread-safe."""

    def __init__(self, session_factory: SessionFactory | None = None) -> None:
        self._session_factory = session_factory or (
            lambda profile: boto3.session.Session(profile_name=profile)
        )
        self._clients: dict[tuple[str, str | None, str | None], Any] = {}
        self._lock = threading.Lock()

    def read(self, target: AwsTarget, engine: Engine, names: Collection[str]) -> TargetState:
        rds = self._client(target)
        family = self._family(rds, target)
        _check_family(target, family, engine)
        _refuse_default_group(target, family)
        wanted = set(names)
        found = {
            raw["ParameterName"]: _parameter_state(raw)
            for raw in self._describe_parameters(rds, target)
            if raw["ParameterName"] in wanted
        }
        members = () if target.parameter_group else self._members(rds, target, wanted)
        return TargetState(
            target_id=target.id, engine=engine, parameters=found, version=family, members=members
        )

    def expect(self, targets: Sequence[AwsTarget]) -> None:
        """Reads are one target at a time today (batching: issue #10)."""

    def engine(self, target: AwsTarget) -> Engine:
        family = self._family(self._client(target), target)
        engine = engine_of_family(family)
        if engine is None:
            raise TargetNotAllowedError(
                f"{target.id}: family {family} is not an engine cloudtimeouts knows"
            )
        return engine

    def endpoint(self, target: AwsTarget) -> str:
        return _endpoint_of(target)

    def _members(self, rds: Any, target: AwsTarget, wanted: set[str]) -> tuple[MemberState, ...]:
        """Every instance of every cluster using the cluster group, with what its own DB
        parameter group sets: there it overrides the cluster group (Aurora User Guide,
        "Parameter groups for Amazon Aurora")."""
        name = target.group_name.lower()  # RDS stores group names in lower case
        members, groups = [], {}
        with _translated(target, "DescribeDBClusters"):
            for page in rds.get_paginator("describe_db_clusters").paginate():
                for cluster in page.get("DBClusters", []):
                    if str(cluster.get("DBClusterParameterGroup", "")).lower() != name:
                        continue
                    for member in cluster.get("DBClusterMembers", []):
                        members.append(
                            (cluster["DBClusterIdentifier"], member["DBInstanceIdentifier"])
                        )
        result = []
        for cluster_id, instance_id in members:
            with _translated(target, "DescribeDBInstances"):
                (instance,) = rds.describe_db_instances(DBInstanceIdentifier=instance_id)[
                    "DBInstances"
                ]
            for group in instance.get("DBParameterGroups", []):
                group_name = group["DBParameterGroupName"]
                if group_name not in groups:
                    groups[group_name] = self._user_set(rds, target, group_name, wanted)
                result.append(
                    MemberState(
                        f"{instance_id} (cluster {cluster_id})", group_name, groups[group_name]
                    )
                )
        return tuple(result)

    def _user_set(
        self, rds: Any, target: AwsTarget, group: str, wanted: set[str]
    ) -> dict[str, ParameterState]:
        """The parameters a DB parameter group sets itself (Source=user)."""
        paginator = rds.get_paginator("describe_db_parameters")
        with _translated(target, "DescribeDBParameters"):
            pages = paginator.paginate(
                DBParameterGroupName=group,
                Source="user",
                PaginationConfig={"PageSize": PAGE_SIZE},
            )
            return {
                raw["ParameterName"]: _parameter_state(raw)
                for page in pages
                for raw in page.get("Parameters", [])
                if raw["ParameterName"] in wanted
            }

    def write(
        self, target: AwsTarget, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome:
        rds = self._client(target)
        written: list[str] = []
        for reset in (False, True):  # ResetDB*ParameterGroup puts defaults back (rollback)
            parameters = [
                {
                    "ParameterName": change.parameter,
                    "ApplyMethod": "immediate" if change.apply == "immediate" else "pending-reboot",
                    **({} if reset else {"ParameterValue": change.desired}),
                }
                for change in changes
                if change.reset is reset
            ]
            for start in range(0, len(parameters), MAX_PARAMETERS_PER_MODIFY):
                batch = parameters[start : start + MAX_PARAMETERS_PER_MODIFY]
                try:
                    self._modify(rds, target, batch, reset)
                except CloudtimeoutsError as error:
                    # The failing batch may have reached RDS (a lost answer looks like any error).
                    unknown = [parameter["ParameterName"] for parameter in batch]
                    raise WriteError(error.message, written, unknown, error.hint) from None
                written.extend(parameter["ParameterName"] for parameter in batch)
        restart = tuple(change.parameter for change in changes if change.apply == "restart")
        return WriteOutcome(
            written=tuple(written), pending_restart=restart, notes=self._users_note(rds, target)
        )

    def _client(self, target: AwsTarget) -> Any:
        key = (target.region, target.aws_profile, target.role_arn)
        with self._lock, _translated(target, "create an RDS client"):
            if key not in self._clients:
                session = self._session_factory(target.aws_profile)
                if target.role_arn:
                    session = _assumed_role_session(session, target)
                self._clients[key] = session.client(
                    "rds", region_name=target.region, config=_client_config()
                )
            return self._clients[key]

    def _family(self, rds: Any, target: AwsTarget) -> str:
        if target.parameter_group:
            operation, code = "DescribeDBParameterGroups", "DBParameterGroupNotFound"
            with _translated(target, operation):
                groups = rds.describe_db_parameter_groups(DBParameterGroupName=target.group_name)[
                    "DBParameterGroups"
                ]
        else:
            operation, code = "DescribeDBClusterParameterGroups", "DBParameterGroupNotFound"
            with _translated(target, operation):
                groups = rds.describe_db_cluster_parameter_groups(
                    DBClusterParameterGroupName=target.group_name
                )["DBClusterParameterGroups"]
        if not groups:  # AWS answers DBParameterGroupNotFound; some emulators an empty list
            raise ProviderAPIError(
                "aws",
                operation,
                code,
                f"{target.id}: {operation} failed: {code}: {target.group_name} does not exist "
                f"in {target.region}",
            )
        family: str = groups[0]["DBParameterGroupFamily"]
        return family

    def _describe_parameters(self, rds: Any, target: AwsTarget) -> Iterator[dict[str, Any]]:
        if target.parameter_group:
            operation, arguments = (
                "describe_db_parameters",
                {"DBParameterGroupName": target.group_name},
            )
        else:
            operation, arguments = (
                "describe_db_cluster_parameters",
                {"DBClusterParameterGroupName": target.group_name},
            )
        paginator = rds.get_paginator(operation)
        with _translated(target, _api_name(operation)):
            for page in paginator.paginate(**arguments, PaginationConfig={"PageSize": PAGE_SIZE}):
                yield from page.get("Parameters", [])

    def _modify(
        self, rds: Any, target: AwsTarget, batch: list[dict[str, str]], reset: bool
    ) -> None:
        verb = "Reset" if reset else "Modify"
        cluster = "" if target.parameter_group else "Cluster"
        operation = f"{verb}DB{cluster}ParameterGroup"
        name = {f"DB{cluster}ParameterGroupName": target.group_name}
        extra = {"ResetAllParameters": False} if reset else {}
        with _translated(target, operation):
            getattr(rds, botocore.xform_name(operation))(**name, Parameters=batch, **extra)

    def _users_note(self, rds: Any, target: AwsTarget) -> tuple[str, ...]:
        """Which instances or clusters use the group, and whether they wait for a reboot."""
        try:
            users = list(_group_users(rds, target))
        except (
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
            botocore.parsers.ResponseParserError,
        ) as error:
            said = _first_line(error)
            return (f"could not list the DB instances using {target.group_name}: {said}",)
        if not users:
            return (f"no DB instance or cluster uses {target.group_name} yet",)
        return tuple(f"{name} uses {target.group_name}: {status}" for name, status in users)


def _group_users(rds: Any, target: AwsTarget) -> Iterator[tuple[str, str]]:
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


def _assumed_role_session(
    session: boto3.session.Session, target: AwsTarget
) -> boto3.session.Session:
    sts = session.client("sts", region_name=target.region, config=_client_config())
    with _translated(target, "AssumeRole"):
        credentials = sts.assume_role(
            RoleArn=target.role_arn, RoleSessionName="cloudtimeouts", DurationSeconds=3600
        )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=target.region,
    )


def _parameter_state(raw: dict[str, Any]) -> ParameterState:
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


def _check_family(target: AwsTarget, family: str, engine: Engine) -> None:
    found = engine_of_family(family)
    if found is not engine:
        raise TargetNotAllowedError(
            f"{target.id}: the group's family is {family} ({found or 'unknown engine'}), "
            f"but the profile's engine is {engine}",
            hint="point the target at a parameter group of the profile's engine",
        )


def _refuse_default_group(target: AwsTarget, family: str) -> None:
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


def _api_name(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_")).replace("Db", "DB")


@contextlib.contextmanager
def _translated(target: AwsTarget, operation: str) -> Iterator[None]:
    """SDK errors become one message: what we were doing on which target, what AWS said."""
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
            f"{target.id}: {operation} failed: the answer from {_endpoint_of(target)} is not the "
            f"XML RDS sends ({_first_line(error)})",
            hint="a proxy or an AWS_ENDPOINT_URL_RDS that is not RDS may be answering; run again",
        ) from None
    except (
        botocore.exceptions.ConnectionError,  # refused, reset, connect timeout
        botocore.exceptions.HTTPClientError,  # closed or silent after the request was sent
    ) as error:
        raise ProviderAPIError(
            "aws",
            operation,
            type(error).__name__,
            f"{target.id}: {operation} failed: no usable answer from {_endpoint_of(target)} "
            f"after retries ({_first_line(error)})",
            hint="check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_RDS if you set them",
        ) from None
    except botocore.exceptions.BotoCoreError as error:
        raise ProviderAPIError(
            "aws",
            operation,
            type(error).__name__,
            f"{target.id}: {operation} failed: {_first_line(error)}",
        ) from None


def _endpoint_of(target: AwsTarget) -> str:
    url = os.environ.get("AWS_ENDPOINT_URL_RDS") or os.environ.get("AWS_ENDPOINT_URL")
    return url or f"https://rds.{target.region}.amazonaws.com"


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
