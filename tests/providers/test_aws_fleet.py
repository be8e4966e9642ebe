"""A fleet of parameter groups on the realistic RDS emulator: few calls, the same answers (#10).

What is proven here, counting requests by Action on the emulator:
- the fast read (engine defaults once per family + Source=user per group) gives exactly the
  TargetState of the full listing, on every family the emulator has, DB and cluster groups;
- a plan over 100+ groups of one family costs at most 1.2 calls per target;
- apply's re-read before writing and its confirming re-read ask the API for that target (a value
  changed out of band between plan and apply is seen: changed since the plan);
- cluster groups, and their Aurora members, are looked up once per region, and so are the
  members' DB groups with their clusters' groups (none for another family's groups);
- a failure stays its target's: a missing group among many, a shared listing that fails.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from support.profiles import aws_target, write_profile

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.concurrency import MAX_CONCURRENT_TARGETS, MAX_THREADS
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.providers import aws
from cloudtimeouts.providers.aws import AwsAdapter, engine_of_family
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.sandbox.loopback import Fault
from cloudtimeouts.sandbox.ranges import parse_range, split_choices, value_allowed
from cloudtimeouts.sandbox.rds import FAMILIES, family_catalogue
from cloudtimeouts.sandbox.rds.wire import parse_form

REGION = "eu-west-1"
SERVER = {"idle_session_timeout": "10min", "idle_in_transaction_session_timeout": "10min"}


def _target(name: str, *, cluster: bool = False) -> AwsTarget:
    key = "cluster_parameter_group" if cluster else "parameter_group"
    return AwsTarget(provider="aws", region=REGION, **{key: name})  # type: ignore[arg-type]


def _seed_values(family: str, count: int = 8) -> dict[str, str]:
    """`count` modifiable parameters spread over the family's pages, each set to a value it
    allows that differs from its default (its lowest bound, or another choice)."""
    chosen = {}
    for parameter in family_catalogue(family).values():
        if not parameter.modifiable or not parameter.allowed:
            continue
        bounds = parse_range(parameter.allowed)
        if bounds is not None:
            value = str(bounds[0])
        else:
            choices = [c for c in split_choices(parameter.allowed) if c != parameter.value]
            value = choices[0] if choices else ""
        if (
            value
            and value != parameter.value
            and value_allowed(value, parameter.data_type, parameter.allowed)
        ):
            chosen[parameter.name] = value
    names = sorted(chosen)
    step = max(1, len(names) // count)
    return {name: chosen[name] for name in names[::step][:count]}


def _calls(emulator: Any) -> Counter[str]:
    return Counter(emulator.calls)


def _delta(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    return {op: after[op] - before[op] for op in after if after[op] - before[op]}


def _forms(emulator: Any, operation: str) -> list[dict[str, str]]:
    return [parse_form(r.body) for r in emulator.server.recorded() if r.operation == operation]


CASES = [(family, False) for family in FAMILIES] + [
    (family, True) for family, spec in FAMILIES.items() if spec.cluster_groups
]


@pytest.mark.parametrize(
    ("family", "cluster"), CASES, ids=[f"{f}-{'cluster' if c else 'db'}" for f, c in CASES]
)
def test_the_fast_read_equals_the_full_listing(aws: Any, family: str, cluster: bool) -> None:
    """Values, defaults, Source=system values, ranges, apply types and modifiability: the same
    TargetState, for every parameter of the family (and one it does not have)."""
    engine = engine_of_family(family)
    assert engine is not None
    values = _seed_values(family)
    assert len(values) >= 4, values
    aws.create_group("fleet-a", family, values, cluster=cluster)
    aws.create_group("fleet-b", family, cluster=cluster)
    target = _target("fleet-a", cluster=cluster)
    names = [*family_catalogue(family), "no_such_parameter"]

    before = _calls(aws)
    full = AwsAdapter().read(target, engine, names)
    alone = _delta(_calls(aws), before)
    assert not any(op.startswith("DescribeEngineDefault") for op in alone), alone

    adapter = AwsAdapter()
    other = _target("fleet-b", cluster=cluster)
    adapter.expect([target, other])
    adapter.read(other, engine, names)  # lists fleet-b whole, checks the defaults against it
    before = _calls(aws)
    fast = adapter.read(target, engine, names)
    used = _delta(_calls(aws), before)
    listing = "DescribeDBClusterParameters" if cluster else "DescribeDBParameters"
    assert used == {listing: 1}, used  # the family and its defaults: already known
    assert _forms(aws, listing)[-1]["Source"] == "user"

    assert fast == full
    assert set(full.parameters) == set(family_catalogue(family))
    for name, value in values.items():
        assert (full.parameters[name].value, full.parameters[name].value_is_default) == (
            value,
            False,
        )
    if family.startswith("aurora-postgresql"):  # Source system: RDS's own value, a default
        idle = fast.parameters["idle_in_transaction_session_timeout"]
        assert (idle.value, idle.value_is_default) == ("86400000", True)


def _fleet(emulator: Any, count: int, family: str = "postgres16") -> list[str]:
    names = [f"fleet-{index:03d}" for index in range(count)]
    for index, name in enumerate(names):
        values = {"statement_timeout": "30000"} if index % 3 == 0 else {}
        emulator.create_group(name, family, values)
    return names


def _profile(tmp_path: Path, groups: list[str], *, cluster: bool = False, **fields: Any) -> Path:
    targets = [aws_target(name, REGION, cluster=cluster) for name in groups]
    return write_profile(tmp_path, server=SERVER, targets=targets, **fields)


def _alone(target: Any) -> Any:
    """The target read by an adapter that reads nothing else: its full listing."""
    return AwsAdapter().read(target, Engine.POSTGRES, tuple(parameters(Engine.POSTGRES)))


def test_a_plan_over_120_groups_costs_at_most_1_2_calls_per_target(
    aws: Any, tmp_path: Path
) -> None:
    names = _fleet(aws, 120)
    profile = load_profile(_profile(tmp_path, names))
    aws.reset_counters()

    plan = make_plan([profile])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    calls = _calls(aws)
    assert sum(calls.values()) <= 1.2 * len(names), calls
    pages = math.ceil(len(family_catalogue("postgres16")) / 100)
    # One group listed whole (to check the engine defaults against), one Source=user page for
    # each of the others.
    sources = Counter(form.get("Source") for form in _forms(aws, "DescribeDBParameters"))
    assert sources == {"user": len(names) - 1, None: pages}, sources
    assert calls["DescribeEngineDefaultParameters"] == pages  # once for the family
    assert calls["DescribeDBParameterGroups"] <= 2  # the listing, not one per group
    assert all("DBParameterGroupName" not in f for f in _forms(aws, "DescribeDBParameterGroups"))
    # postgres16 groups serve standalone instances only (an Aurora member's group is of an
    # aurora-* family): no cluster or instance lookup
    assert not calls["DescribeDBClusters"] and not calls["DescribeDBInstances"], calls
    for planned in plan.targets[:4]:  # the same as each group read alone (the full listing)
        assert planned.state == _alone(planned.target)


def test_one_group_alone_is_read_whole_as_before(aws: Any) -> None:
    aws.create_group("orders", "postgres16")
    adapter = AwsAdapter()
    adapter.expect([_target("orders")])
    adapter.read(_target("orders"), Engine.POSTGRES, ["idle_session_timeout"])
    calls = _calls(aws)
    pages = math.ceil(len(family_catalogue("postgres16")) / 100)
    assert calls["DescribeDBParameters"] == pages and calls["DescribeDBParameterGroups"] == 1
    assert not calls["DescribeEngineDefaultParameters"]


def test_a_re_read_asks_the_api_for_that_target(aws: Any) -> None:
    _fleet(aws, 3)
    adapter = AwsAdapter()
    targets = [_target(f"fleet-{index:03d}") for index in range(3)]
    adapter.expect(targets)
    first = adapter.read(targets[1], Engine.POSTGRES, ["statement_timeout"])
    aws.set_parameters("fleet-001", {"statement_timeout": "1234"})
    aws.reset_counters()

    again = adapter.read(targets[1], Engine.POSTGRES, ["statement_timeout"])

    assert first.parameters["statement_timeout"].value is None
    assert again.parameters["statement_timeout"].value == "1234"
    (by_name,) = _forms(aws, "DescribeDBParameterGroups")
    assert by_name["DBParameterGroupName"] == "fleet-001"  # the family, asked again
    assert [f["DBParameterGroupName"] for f in _forms(aws, "DescribeDBParameters")] == ["fleet-001"]
    assert not _calls(aws)["DescribeEngineDefaultParameters"]  # the family's defaults: kept


def test_apply_sees_a_change_made_after_the_plan(aws: Any, tmp_path: Path) -> None:
    names = _fleet(aws, 4)
    profile = load_profile(_profile(tmp_path, names))
    plan = make_plan([profile])
    assert plan.error_count == 0 and plan.change_count
    aws.set_parameters("fleet-002", {"idle_session_timeout": "900000"})  # out of band
    aws.reset_counters()

    result = apply_plan(plan)

    outcomes = {target.id.rsplit("/", 1)[1]: target.outcome for target in result.targets}
    assert outcomes == {
        "fleet-000": "applied",
        "fleet-001": "applied",
        "fleet-002": "changed-since-plan",
        "fleet-003": "applied",
    }
    asked = Counter(f.get("DBParameterGroupName") for f in _forms(aws, "DescribeDBParameterGroups"))
    for name in ("fleet-000", "fleet-001", "fleet-003"):
        assert asked[name] == 2, asked  # the re-read before writing and the confirming one
    assert asked["fleet-002"] == 1  # read, found changed, not written
    stored = aws.parameters("fleet-002")
    assert stored["idle_session_timeout"]["ParameterValue"] == "900000"


def _aurora(emulator: Any, clusters: int) -> list[str]:
    """`clusters` cluster groups, each used by one cluster of two members; the members of even
    clusters share one DB group that sets idle_session_timeout, the others have their own."""
    emulator.create_group(
        "shared-instances", "aurora-postgresql16", {"idle_session_timeout": "60000"}
    )
    groups = []
    for index in range(clusters):
        group = f"search-{index}"
        emulator.create_group(group, "aurora-postgresql16", cluster=True)
        instance_group = "shared-instances" if index % 2 == 0 else f"own-{index}"
        if index % 2:
            values = {"statement_timeout": "30000"}
            emulator.create_group(instance_group, "aurora-postgresql16", values)
        emulator.create_cluster(
            f"cluster-{index}", "aurora-postgresql", group, members=2,
            instance_group=instance_group,
        )  # fmt: skip
        groups.append(group)
    return groups


def test_cluster_groups_and_their_members_are_looked_up_once_per_region(
    aws: Any, tmp_path: Path
) -> None:
    groups = _aurora(aws, 4)
    profile = load_profile(_profile(tmp_path, groups, cluster=True))
    aws.reset_counters()

    plan = make_plan([profile])

    calls = _calls(aws)
    assert calls["DescribeDBClusterParameterGroups"] == 1, calls  # one listing
    assert calls["DescribeDBClusters"] == 1 and calls["DescribeDBInstances"] == 1, calls
    pages = math.ceil(len(family_catalogue("aurora-postgresql16")) / 100)
    assert calls["DescribeDBClusterParameters"] == len(groups) - 1 + pages  # one whole
    assert calls["DescribeDBParameters"] == 3  # shared-instances, own-1, own-3: once each
    assert calls["DescribeEngineDefaultClusterParameters"] >= 1
    refused = {t.id: len(t.refusals) for t in plan.targets}
    assert refused == {f"aws:{REGION}:cluster-parameter-group/search-{i}": (2, 0)[i % 2]
                       for i in range(4)}  # fmt: skip
    for planned in plan.targets:  # the same as each target looked up alone
        assert planned.state is not None and planned.state.members
        assert planned.state == _alone(planned.target)


def test_members_groups_and_cluster_groups_share_one_aurora_lookup(
    aws: Any, tmp_path: Path
) -> None:
    """A run with both ends of the chain: the cluster groups in one profile, the members' DB
    groups in another. One DescribeDBClusters and one DescribeDBInstances for all of them, and
    each cluster group read once as a members' layer."""
    groups = _aurora(aws, 4)
    member_groups = ["shared-instances", "own-1", "own-3"]
    clusters = load_profile(_profile(tmp_path, groups, cluster=True, name="clusters"))
    members = load_profile(_profile(tmp_path, member_groups, name="members"))
    aws.reset_counters()

    plan = make_plan([clusters, members])

    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    calls = _calls(aws)
    assert calls["DescribeDBClusters"] == 1 and calls["DescribeDBInstances"] == 1, calls
    pages = math.ceil(len(family_catalogue("aurora-postgresql16")) / 100)
    # the cluster targets' own reads (one whole), then one Source=user read per cluster group
    # as the layer below its members
    assert calls["DescribeDBClusterParameters"] == len(groups) - 1 + pages + len(groups), calls
    forms = _forms(aws, "DescribeDBClusterParameters")
    by_user = Counter(f["DBClusterParameterGroupName"] for f in forms if f.get("Source") == "user")
    assert sorted(by_user.values()) == [1, 2, 2, 2], by_user  # the one listed whole: 1
    for planned in plan.targets:  # the same as each target looked up alone
        assert planned.state is not None and planned.state.members
        assert planned.state == _alone(planned.target)
    shared = next(t for t in plan.targets if t.id.endswith("parameter-group/shared-instances"))
    assert shared.state is not None
    assert sorted(m.instance for m in shared.state.members) == [
        f"cluster-{c}-{i} (cluster cluster-{c})" for c in (0, 2) for i in (1, 2)
    ]


def test_a_member_group_changed_after_the_plan_is_seen_by_the_re_read(aws: Any) -> None:
    groups = _aurora(aws, 2)
    adapter = AwsAdapter()
    targets = [_target(group, cluster=True) for group in groups]
    adapter.expect(targets)
    names = ["idle_session_timeout", "statement_timeout"]
    first = adapter.read(targets[0], Engine.POSTGRES, names)
    aws.set_parameters("shared-instances", {"idle_session_timeout": "120000"})
    again = adapter.read(targets[0], Engine.POSTGRES, names)
    seen = {m.above[0].parameters["idle_session_timeout"].value for m in first.members}
    assert seen == {"60000"}
    assert {m.above[0].parameters["idle_session_timeout"].value for m in again.members} == {
        "120000"
    }


def test_a_missing_group_among_many_fails_alone(aws: Any, tmp_path: Path) -> None:
    names = _fleet(aws, 6)
    profile = load_profile(_profile(tmp_path, [*names[:3], "no-such-group", *names[3:]]))

    plan = make_plan([profile])

    failed = {t.id: t.error for t in plan.targets if t.error}
    assert list(failed) == [f"aws:{REGION}:parameter-group/no-such-group"]
    (error,) = failed.values()
    assert "DescribeDBParameterGroups failed: DBParameterGroupNotFound" in error


def test_engine_defaults_that_disagree_with_a_group_are_not_used(aws: Any) -> None:
    """As AWS's CloudFormation provider found for MariaDB: the engine defaults lack a parameter
    the groups list (here idle_session_timeout). Every group is then read whole."""
    _fleet(aws, 4)
    session = boto3.session.Session()

    def drop(parsed: dict[str, Any], **_: Any) -> None:
        rows = parsed["EngineDefaults"]["Parameters"]
        rows[:] = [row for row in rows if row["ParameterName"] != "idle_session_timeout"]

    session.events.register("after-call.rds.DescribeEngineDefaultParameters", drop)
    adapter = AwsAdapter(lambda profile: session)
    targets = [_target(f"fleet-{index:03d}") for index in range(4)]
    adapter.expect(targets)
    names = tuple(parameters(Engine.POSTGRES))
    states = [adapter.read(target, Engine.POSTGRES, names) for target in targets]

    assert states == [_alone(target) for target in targets]
    assert "idle_session_timeout" in states[3].parameters
    assert all("Source" not in form for form in _forms(aws, "DescribeDBParameters"))
    pages = math.ceil(len(family_catalogue("postgres16")) / 100)
    assert _calls(aws)["DescribeEngineDefaultParameters"] == pages  # once, then set aside


@pytest.mark.parametrize(
    "operation", ["DescribeDBParameterGroups", "DescribeEngineDefaultParameters"]
)
def test_a_shared_listing_that_fails_leaves_each_target_to_its_own_calls(
    aws: Any, tmp_path: Path, operation: str
) -> None:
    names = _fleet(aws, 5)
    profile = load_profile(_profile(tmp_path, names))
    clean = make_plan([profile])
    aws.faults.add(Fault.MALFORMED, operation=operation, nth=1)  # garbled: not retried

    plan = make_plan([profile])

    assert aws.faults.fired == [(operation, Fault.MALFORMED)]
    assert plan.error_count == 0, [t.error for t in plan.targets if t.error]
    assert [t.state for t in plan.targets] == [t.state for t in clean.targets]


def test_engine_names_what_a_group_runs(aws: Any) -> None:
    aws.create_group("billing", "mysql8.0")
    aws.create_group("search", "aurora-postgresql16", cluster=True)
    adapter = AwsAdapter()
    assert adapter.engine(_target("billing")) is Engine.MYSQL
    assert adapter.engine(_target("search", cluster=True)) is Engine.POSTGRES
    with pytest.raises(Exception, match="DBParameterGroupNotFound"):
        adapter.engine(_target("nope"))


def test_the_connection_pool_fits_the_concurrency() -> None:
    """botocore's default pool is 10 connections: the 11th concurrent call would wait."""
    config = aws._client_config()
    assert config.max_pool_connections >= MAX_THREADS >= MAX_CONCURRENT_TARGETS


def test_the_registry_still_names_the_adapter() -> None:
    from cloudtimeouts.providers import REGISTRY, load_adapter

    assert REGISTRY["aws"] == "cloudtimeouts.providers.aws:AwsAdapter"
    assert isinstance(load_adapter("aws"), AwsAdapter)
