"""AWS RDS and Aurora: DB parameter groups and DB cluster parameter groups, through boto3.

API facts used here (Amazon RDS API Reference; `listings` cites each call):
- CreateDBParameterGroup: "A DB parameter group is initially created with the default parameters
  for the database engine"; a parameter a user sets has Source `user` (API_Parameter, Source;
  DescribeDBParameters, Source: user | system | engine-default).
- DescribeEngineDefaultParameters / DescribeEngineDefaultClusterParameters: "the default engine
  and system parameter information" of a family, as the same Parameter type.
  So a group's full listing is its family's engine defaults with its Source=user rows on top; a
  fleet is read as: the engine defaults once per family (and credentials and region), one
  DescribeDB(Cluster)Parameters Source=user per group (one page: a group sets far fewer than 100),
  and the families of many groups from one DescribeDB(Cluster)ParameterGroups listing.
  tests/providers/test_aws_fleet.py holds every family of the emulator to that equality. Real
  families may list parameters their engine defaults do not, or the reverse (AWS's own
  CloudFormation provider met it on MariaDB: aws-cloudformation-resource-providers-rds#141 and
  #144), so the defaults of a family are used only after the full listing of one of its groups
  agreed with them on every parameter the engine manages; otherwise every group is read whole.
- ModifyDBParameterGroup / ModifyDBClusterParameterGroup: at most 20 parameters per request;
  ApplyMethod `immediate` (dynamic parameters only) or `pending-reboot`.
- Default groups (`default.<family>`) cannot be modified.
- MaxRecords is 20..100 on every Describe call: 100, the fewest pages.
The endpoint comes from the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_RDS; credentials from the
standard chain; retries from botocore (`standard` mode unless AWS_RETRY_MODE says otherwise).

Which read is served how (see `fleet`): a group read alone, or the first of its family, is one
DescribeDB(Cluster)ParameterGroups and every page of its parameters, as before batching. A second
group of a family makes the engine defaults worth reading; from then on each group costs its
family (from a shared listing on a plan's first read, else by name) and one Source=user call.
When the engine defaults cannot be read (an IAM policy without rds:DescribeEngineDefaultParameters,
say), groups are read whole: slower, never wrong.

What a target's values reach (`model.MemberState`): for a cluster group, each member of each of
its clusters, with the member's own DB parameter group above it; for a DB parameter group of an
Aurora family, each member using it, with its cluster's DB cluster parameter group below it. The
clusters and members of a region are one shared lookup for a plan's first reads (`_shared_view`).

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

import functools
import os
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

import boto3
import botocore.config

from cloudtimeouts.catalog import Engine
from cloudtimeouts.catalog import parameters as catalog
from cloudtimeouts.errors import CloudtimeoutsError, TargetNotAllowedError, WriteError
from cloudtimeouts.model import (
    Change,
    MemberState,
    ParameterState,
    TargetState,
    WriteOutcome,
)
from cloudtimeouts.providers.aws import listings, proxy
from cloudtimeouts.providers.aws.calls import (
    DEFAULT_SOURCES,
    PAGE_SIZE,
    SDK_ERRORS,
    assumed_role_session,
    check_family,
    endpoint_of,
    engine_of_family,
    first_line,
    group_users,
    parameter_state,
    refuse_default_group,
    translated,
)
from cloudtimeouts.providers.aws.fleet import Fleet, client_key, is_cluster
from cloudtimeouts.providers.aws.target import AwsTarget

__all__ = [
    "DEFAULT_SOURCES",
    "MAX_PARAMETERS_PER_MODIFY",
    "PAGE_SIZE",
    "POOL_CONNECTIONS",
    "AwsAdapter",
    "engine_of_family",
    "read_timeout",
]

MAX_PARAMETERS_PER_MODIFY = 20  # ModifyDBParameterGroup: "You can modify up to 20 parameters"
DEFAULT_MAX_ATTEMPTS = 6  # every attempt, the first included (the README documents 6)
CONNECT_TIMEOUT_S = 5.0
CALL_BUDGET_S = 50.0  # all the attempts of one call, back-off included
MIN_READ_TIMEOUT_S = 5.0  # RDS answers in well under a second; this is the floor per attempt
MAX_READ_TIMEOUT_S = 30.0
BACKOFF_ALLOWANCE_S = 2.0  # standard mode's non-throttling back-off over 5 retries: < 1.6 s
# One client serves every target of an account and region, and the orchestration runs up to 64
# targets at once in all (concurrency.MAX_THREADS; --concurrency per account and region is at
# most that): botocore's pool of 10 would make the 11th call wait for a connection.
POOL_CONNECTIONS = 64

SessionFactory = Callable[[str | None], boto3.session.Session]
T = TypeVar("T")


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
        max_pool_connections=POOL_CONNECTIONS,
        user_agent_extra="cloudtimeouts",
    )


def read_timeout(attempts: int) -> float:
    """The read timeout of one attempt, so that `attempts` silent attempts fit the call's budget.

    6 attempts (the default): 8 s each; 2 attempts: 24 s; a single one: 30 s. Past about ten
    attempts the floor wins and the orchestration's --timeout is what ends a silent target.
    """
    share = (CALL_BUDGET_S - BACKOFF_ALLOWANCE_S) / max(1, attempts)
    return max(MIN_READ_TIMEOUT_S, min(MAX_READ_TIMEOUT_S, share))


def _or_none(fetch: Callable[[], T]) -> T | None:
    """A shared read: its failure is no target's error (each falls back to its own calls)."""
    try:
        return fetch()
    except CloudtimeoutsError:
        return None


class AwsAdapter:
    """One adapter per run; clients are cached per (region, profile, role) and thread-safe."""

    def __init__(self, session_factory: SessionFactory | None = None) -> None:
        self._session_factory = session_factory or (
            lambda profile: boto3.session.Session(profile_name=profile)
        )
        self._clients: dict[tuple[str, str | None, str | None], Any] = {}
        self._lock = threading.Lock()
        self._fleet = Fleet()
        # target id -> the endpoint (STS) its client's creation waits on, for `endpoint`
        self._waiting: dict[str, str] = {}

    def expect(self, targets: Sequence[AwsTarget]) -> None:
        """Remember the plan's targets: their first reads may share listings (no I/O here)."""
        self._fleet.expect([target for target in targets if not target.rds_proxy])

    def read(self, target: AwsTarget, engine: Engine, names: Collection[str]) -> TargetState:
        rds = self._client(target)
        if target.rds_proxy:
            return proxy.read(rds, target, engine)
        first = self._fleet.first_read(target)  # only this read may be served by a batch
        family = self._family(rds, target, first)
        check_family(target, family, engine)
        refuse_default_group(target)
        wanted = set(names)
        whole: dict[str, dict[str, Any]] = {}  # this group's full listing, when this read made it
        defaults = self._engine_defaults(rds, target, family, engine, wanted, whole)
        if defaults is None or whole:
            raw_rows = whole.values() if whole else listings.parameters(rds, target)
            rows = {
                raw["ParameterName"]: parameter_state(raw)
                for raw in raw_rows
                if raw["ParameterName"] in wanted
            }
        else:  # what the group sets itself, on its family's defaults: its full listing
            rows = {name: state for name, state in defaults.items() if name in wanted}
            rows |= {
                name: state
                for name, state in listings.user_set(rds, target).items()
                if name in wanted
            }
        chain = self._aurora_users if target.parameter_group else self._members
        members = chain(rds, target, wanted, first, family)
        return TargetState(
            target_id=target.id, engine=engine, parameters=rows, version=family, members=members
        )

    def engine(self, target: AwsTarget) -> Engine:
        if target.rds_proxy:
            return proxy.engine(self._client(target), target)
        family = listings.group_family(self._client(target), target)
        engine = engine_of_family(family)
        if engine is None:
            raise TargetNotAllowedError(
                f"{target.id}: family {family} is not an engine cloudtimeouts knows"
            )
        return engine

    def endpoint(self, target: AwsTarget) -> str:
        """RDS, unless the target waits on STS for its role's credentials (`_client`)."""
        return self._waiting.get(target.id) or endpoint_of(target)

    # -- what a read is made of ----------------------------------------------------------------
    def _family(self, rds: Any, target: AwsTarget, first: bool) -> str:
        """From the shared listing on an announced target's first read, else by name."""
        if first:
            family = self._listed_families(rds, target).get(target.group_name.lower())
            if family:
                return family
        return listings.group_family(rds, target)

    def _listed_families(self, rds: Any, target: AwsTarget) -> Mapping[str, str]:
        """The families of the announced groups of the target's kind, credentials and region,
        from one listing of every group (when several were announced: for one, by name is
        cheaper)."""
        announced = self._fleet.announced(target)
        if len(announced) < 2:
            return {}
        cluster = is_cluster(target)
        listing = self._fleet.shared("families", client_key(target), cluster)
        found = listing.get(
            lambda: _or_none(lambda: listings.list_families(rds, target, cluster, announced))
        )
        return found or {}

    def _engine_defaults(
        self,
        rds: Any,
        target: AwsTarget,
        family: str,
        engine: Engine,
        wanted: set[str],
        whole: dict[str, dict[str, Any]],
    ) -> Mapping[str, ParameterState] | None:
        """The family's engine defaults, once two of its groups are read; None: read whole.

        The read that fetches them also lists its own group whole (at the same time) and keeps
        them only if they agree with that listing on every parameter the engine manages: a
        family whose defaults and groups differ (AWS's CloudFormation provider met MariaDB
        groups listing parameters the engine defaults do not, and the reverse) is read whole.
        That listing, left in `whole`, is the read's own answer.
        """
        cluster, key = is_cluster(target), client_key(target)
        defaults = self._fleet.shared("defaults", key, cluster, family)
        if not defaults.done:
            known = self._fleet.shared("families", key, cluster).peek() or {}
            if self._fleet.groups_of_family(target, family, known) < 2:
                return None
        checked: Mapping[str, ParameterState] | None = defaults.get(
            lambda: self._checked_defaults(
                rds, target, family, set(catalog(engine)) | wanted, whole
            )
        )
        return checked

    @staticmethod
    def _checked_defaults(
        rds: Any,
        target: AwsTarget,
        family: str,
        compared: set[str],
        whole: dict[str, dict[str, Any]],
    ) -> Mapping[str, ParameterState] | None:
        cluster = is_cluster(target)
        fetched: list[Mapping[str, ParameterState] | None] = []
        helper = threading.Thread(
            target=lambda: fetched.append(
                _or_none(lambda: listings.engine_defaults(rds, target, family, cluster))
            ),
            name="engine-defaults",
            daemon=True,
        )
        helper.start()
        whole.update((raw["ParameterName"], raw) for raw in listings.parameters(rds, target))
        helper.join()
        defaults = fetched[0] if fetched else None
        if defaults is None:
            return None
        for name in compared:
            raw = whole.get(name)
            listed = parameter_state(raw) if raw is not None else None
            own = raw is not None and raw.get("Source") == "user"
            if listed != (listed if own else defaults.get(name)):
                return None
        return defaults

    def _members(
        self, rds: Any, target: AwsTarget, wanted: set[str], first: bool, family: str
    ) -> tuple[MemberState, ...]:
        """Every instance of every cluster using the cluster group, with what its own DB
        parameter group sets: there it overrides the cluster group (Aurora User Guide,
        "Parameter groups for Amazon Aurora").

        On an announced target's first read, the clusters and members come from the region's
        shared lookup (`_shared_view`) and each member group is read once for all; any other read
        looks up this target's clusters afresh."""
        view = self._shared_view(rds, target) if first else None
        shared = view is not None and target.group_name.lower() in view.groups
        if view is None or not shared:
            view = listings.aurora_view(rds, target, [target.group_name])
        user_set = self._chain_reader(rds, target, shared)
        result = []
        for cluster, instance in view.members(target.group_name):
            groups = view.instances.get(instance)
            if groups is None:  # not in the shared lookup (created since): ask for it alone
                groups = listings.instance_groups(rds, target, instance)
            for group in groups:
                parameters = {n: s for n, s in user_set(group, False).items() if n in wanted}
                layer = AwsTarget.layer(target.region, group, parameters, cluster=False)
                result.append(
                    MemberState(f"{instance} (cluster {cluster})", (layer,), platform=family)
                )
        return tuple(result)

    def _aurora_users(
        self, rds: Any, target: AwsTarget, wanted: set[str], first: bool, family: str
    ) -> tuple[MemberState, ...]:
        """Every Aurora member using the DB parameter group, with its cluster's DB cluster
        parameter group below it: the member takes a parameter from the target where the target
        sets it, else from the cluster group, else the engine's default (Aurora User Guide,
        "Parameter groups for Amazon Aurora": "Each DB instance within a provisioned or Aurora
        Serverless v2 cluster inherits the settings from that DB cluster parameter group", and a
        DB parameter group's settings override them for its instance).

        Only a group of an Aurora family can be a member's: an instance's group must be of its
        engine's family (CreateDBInstance answers InvalidParameterCombination otherwise), and
        the instances of a Multi-AZ DB cluster use their engine's default DB parameter group (RDS
        User Guide, "Overview of parameter groups"), which no target may name. Another family's
        group serves DB instances standing alone, whose only group is the target, judged as
        such by the plan: no lookup, no call.

        On an announced target's first read the region's shared lookup serves, and each cluster
        group is read once for all; any other read (apply's re-reads) looks up afresh."""
        if not family.startswith("aurora"):
            return ()
        view = self._shared_view(rds, target) if first else None
        shared = view is not None and view.every_aurora
        if view is None or not shared:
            view = listings.aurora_view(rds, target, (), every_aurora=True)
        user_set = self._chain_reader(rds, target, shared)
        mine = target.group_name.lower()
        result = []
        for cluster, cluster_group, members in view.clusters:
            for instance in members:
                # The instances were listed after the clusters, by cluster: a member missing
                # there was deleted in between, and reaches no application.
                groups = view.instances.get(instance, ())
                if mine not in (group.lower() for group in groups):
                    continue
                parameters = {n: s for n, s in user_set(cluster_group, True).items() if n in wanted}
                layer = AwsTarget.layer(target.region, cluster_group, parameters, cluster=True)
                result.append(
                    MemberState(f"{instance} (cluster {cluster})", below=(layer,), platform=family)
                )
        return tuple(result)

    def _shared_view(self, rds: Any, target: AwsTarget) -> listings.AuroraView | None:
        """The region's Aurora lookup, one for every announced target of these credentials: the
        clusters using an announced cluster group and, once a DB parameter group is announced
        too (it may be a members' group), every Aurora cluster. None: the lookup failed."""
        groups = self._fleet.announced(target, cluster=True)
        every_aurora = bool(self._fleet.announced(target, cluster=False))
        view: listings.AuroraView | None = self._fleet.shared("aurora", client_key(target)).get(
            lambda: _or_none(
                lambda: listings.aurora_view(rds, target, groups, every_aurora=every_aurora)
            )
        )
        return view

    def _chain_reader(
        self, rds: Any, target: AwsTarget, shared: bool
    ) -> Callable[[str, bool], Mapping[str, ParameterState]]:
        """What another group of an instance's chain sets (Source=user), by (name, cluster?):
        read once for every first read of the plan when `shared`, else once for this read."""
        key = client_key(target)
        seen: dict[tuple[str, bool], Mapping[str, ParameterState]] = {}

        def user_set(group: str, cluster: bool) -> Mapping[str, ParameterState]:
            if shared:
                once = self._fleet.shared("chain-group", key, cluster, group.lower())
                found: Mapping[str, ParameterState] = once.get(
                    lambda: listings.user_set(rds, target, group, cluster=cluster)
                )
                return found
            if (group, cluster) not in seen:
                seen[group, cluster] = listings.user_set(rds, target, group, cluster=cluster)
            return seen[group, cluster]

        return user_set

    # -- writing -------------------------------------------------------------------------------
    def write(
        self, target: AwsTarget, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome:
        rds = self._client(target)
        if target.rds_proxy:
            return proxy.write(rds, target, list(changes))
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
        key = client_key(target)
        with self._lock, translated(target, "create an RDS client"):
            if key not in self._clients:
                session = self._session_factory(target.aws_profile)
                if target.role_arn:
                    waiting = functools.partial(self._waiting.__setitem__, target.id)
                    try:
                        session = assumed_role_session(session, target, _client_config(), waiting)
                    finally:
                        self._waiting.pop(target.id, None)
                self._clients[key] = session.client(
                    "rds", region_name=target.region, config=_client_config()
                )
            return self._clients[key]

    def _modify(
        self, rds: Any, target: AwsTarget, batch: list[dict[str, str]], reset: bool
    ) -> None:
        verb = "Reset" if reset else "Modify"
        cluster = "" if target.parameter_group else "Cluster"
        operation = f"{verb}DB{cluster}ParameterGroup"
        name = {f"DB{cluster}ParameterGroupName": target.group_name}
        extra = {"ResetAllParameters": False} if reset else {}
        with translated(target, operation):
            getattr(rds, botocore.xform_name(operation))(**name, Parameters=batch, **extra)

    def _users_note(self, rds: Any, target: AwsTarget) -> tuple[str, ...]:
        """Which instances or clusters use the group, and whether they wait for a reboot."""
        try:
            users = list(group_users(rds, target))
        except SDK_ERRORS as error:
            said = first_line(error)
            return (f"could not list the DB instances using {target.group_name}: {said}",)
        if not users:
            return (f"no DB instance or cluster uses {target.group_name} yet",)
        return tuple(f"{name} uses {target.group_name}: {status}" for name, status in users)
