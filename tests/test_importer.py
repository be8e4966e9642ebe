"""import: a profile from the targets' current values, which plans no change against them.

The adapter is in memory (tests/support/memory.py); tests/providers/test_import.py runs the same
command end to end on the three emulators.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.memory import MemoryAdapter

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import Duration
from cloudtimeouts.errors import CloudtimeoutsError, ExitCode, UnsafeProfileError
from cloudtimeouts.importer import (
    PROPOSED,
    SCHEMA_REFERENCE,
    import_options,
    import_profile,
    targets_from_options,
    write_new,
)
from cloudtimeouts.model import GroupLayer, MemberState, ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import Target, parse_profile
from cloudtimeouts.providers.aws.target import AwsTarget

A = AwsTarget(provider="aws", region="eu-west-1", parameter_group="orders-a")
B = AwsTarget(provider="aws", region="eu-west-1", parameter_group="orders-b")


class Memory(MemoryAdapter):
    """MemoryAdapter with what clouds also show: defaults as values, members, failures."""

    def __init__(self) -> None:
        super().__init__()
        self.shown_defaults: dict[str, dict[str, str]] = {}  # id -> values the API marks default
        self.members: dict[str, tuple[MemberState, ...]] = {}
        self.unreadable: dict[str, str] = {}  # id -> the error its read raises
        self.missing_on: dict[str, set[str]] = {}  # id -> parameters its version does not have

    def read(self, target: Target, engine: Engine, names: Collection[str]) -> TargetState:
        if target.id in self.unreadable:
            raise CloudtimeoutsError(self.unreadable[target.id], hint="check the permissions")
        state = super().read(target, engine, names)
        shown = {
            name: ParameterState(name, value, value_is_default=True)
            for name, value in self.shown_defaults.get(target.id, {}).items()
        }
        missing = self.missing_on.get(target.id, set())
        parameters = {k: v for k, v in {**state.parameters, **shown}.items() if k not in missing}
        return dataclasses.replace(
            state,
            parameters=parameters,
            members=self.members.get(target.id, ()),
        )


def imported(memory: MemoryAdapter, *targets: Target, **options: object):  # type: ignore[no-untyped-def]
    return import_profile(list(targets or [A]), "orders", adapter_loader=memory.loader(), **options)  # type: ignore[arg-type]


def assert_plans_nothing(memory: MemoryAdapter, text: str) -> None:
    """The printed text, loaded like a file, planned against the same targets: nothing to do."""
    profile = parse_profile(text, "imported.yaml")
    plan = make_plan([profile], adapter_loader=memory.loader())
    assert (plan.change_count, plan.refusal_count, plan.error_count) == (0, 0, 0), plan.to_json()
    assert judge_offline(profile).refusals == ()  # validate agrees


def test_values_set_on_the_target_are_imported_as_exact_durations_and_defaults_are_not() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "600000", "statement_timeout": "1500"}
    memory.shown_defaults[A.id] = {"lock_timeout": "0"}  # the API shows it, as the default
    result = imported(memory, margin="30s")
    assert dict(result.profile.server) == {
        "idle_session_timeout": Duration.parse("10min"),
        "statement_timeout": Duration.parse("1s500ms"),
    }
    lines = result.text.splitlines()
    assert lines[0] == f"# yaml-language-server: $schema={SCHEMA_REFERENCE}"
    assert "  idle_session_timeout: 10min" in lines and "  statement_timeout: 1s500ms" in lines
    assert "lock_timeout" not in result.text
    assert_plans_nothing(memory, result.text)


def test_the_proposal_is_the_largest_whole_second_below_every_idle_timeout_minus_the_margin() -> (
    None
):
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "600000"}
    memory.values[B.id] = {
        "idle_session_timeout": "600000",
        "idle_in_transaction_session_timeout": "120500",  # 2min and half a second
    }
    result = imported(memory, A, B, margin="30s")
    assert result.proposed and result.profile.django.conn_max_age == 90  # 120.5 - 30 - ε → 90
    lines = result.text.splitlines()
    at = lines.index("  conn_max_age: 1min30s")
    assert lines[at - 2] == f"  {PROPOSED}"
    assert "idle_in_transaction_session_timeout = 2min500ms on " + B.id in lines[at - 1]
    assert_plans_nothing(memory, result.text)


@settings(max_examples=40, deadline=None)
@given(
    timeout_ms=st.integers(min_value=1, max_value=10**9),
    margin_ms=st.integers(min_value=0, max_value=10**6),
)
def test_the_proposal_is_safe_and_one_second_more_is_refused(
    timeout_ms: int, margin_ms: int
) -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": str(timeout_ms)}
    try:
        result = imported(memory, margin=f"{margin_ms}ms")
    except UnsafeProfileError as refused:  # nothing is safe: even 0 + margin reaches the timeout
        assert margin_ms >= timeout_ms and "not even 0" in refused.message
        return
    age = result.profile.django.conn_max_age
    assert age is not None and age * 1000 + margin_ms < timeout_ms
    assert (age + 1) * 1000 + margin_ms >= timeout_ms
    assert_plans_nothing(memory, result.text)


def test_unlimited_is_proposed_when_no_idle_timeout_is_enabled_and_the_comment_says_why() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "0", "statement_timeout": "30000"}
    result = imported(memory)
    assert result.profile.django.conn_max_age is None
    assert "  conn_max_age: unlimited" in result.text
    assert "no idle timeout is enabled on any target" in result.text
    assert "  idle_session_timeout: 0" in result.text  # 0, not `off` (a YAML 1.1 boolean)
    assert_plans_nothing(memory, result.text)


def test_a_given_conn_max_age_is_used_without_a_proposal() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "600000"}
    result = imported(memory, conn_max_age="300", margin="1min")
    assert not result.proposed and "proposed" not in result.text
    assert "  conn_max_age: 5min" in result.text and "  margin: 1min" in result.text
    assert_plans_nothing(memory, result.text)


def test_a_conn_max_age_the_guard_refuses_is_refused_naming_target_and_parameter() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "600000"}
    with pytest.raises(UnsafeProfileError) as refused:
        imported(memory, conn_max_age="10min")
    assert refused.value.exit_code == ExitCode.REFUSED
    assert A.id in refused.value.message and "idle_session_timeout" in refused.value.message
    assert "nothing was imported" in refused.value.message


def test_a_margin_that_leaves_no_safe_value_is_refused() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "30000"}
    with pytest.raises(UnsafeProfileError, match="not even 0"):
        imported(memory, margin="30s")


def test_a_parameter_the_targets_disagree_on_is_left_out_with_a_comment() -> None:
    memory = Memory()
    memory.values[A.id] = {"statement_timeout": "30000", "lock_timeout": "5000"}
    memory.values[B.id] = {"statement_timeout": "5000", "lock_timeout": "5000"}
    result = imported(memory, A, B)
    assert list(result.profile.server) == ["lock_timeout"]
    (note,) = result.left_out
    assert "statement_timeout" in note and "30s on " + A.id in note and "5s on " + B.id in note
    assert f"# not imported (each target keeps its own): {note}" in result.text
    assert_plans_nothing(memory, result.text)


def test_a_value_set_on_one_target_is_imported_only_where_the_others_hold_it_by_default() -> None:
    memory = Memory()
    memory.values[A.id] = {"statement_timeout": "0", "lock_timeout": "5000"}  # 0 = the default
    memory.values[B.id] = {}
    result = imported(memory, A, B)
    assert list(result.profile.server) == ["statement_timeout"]  # B's default is 0 too
    (note,) = result.left_out
    assert note.startswith("lock_timeout = 5s on " + A.id) and B.id + " has 0 ms" in note
    assert_plans_nothing(memory, result.text)


def test_a_parameter_a_target_does_not_have_is_left_out() -> None:
    memory = Memory()
    memory.values[A.id] = {"transaction_timeout": "60000", "statement_timeout": "60000"}
    memory.values[B.id] = {"statement_timeout": "60000"}
    memory.missing_on[B.id] = {"transaction_timeout"}  # PostgreSQL 16 has no transaction_timeout
    result = imported(memory, A, B)
    assert list(result.profile.server) == ["statement_timeout"]
    (note,) = result.left_out
    assert f"{B.id}: the target has no parameter transaction_timeout" in note
    assert_plans_nothing(memory, result.text)


def test_an_idle_timeout_that_is_a_formula_is_refused_naming_target_and_parameter() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "{DBInstanceClassMemory/1073741824}"}
    memory.values[B.id] = {"idle_session_timeout": "600000"}
    with pytest.raises(UnsafeProfileError) as refused:
        imported(memory, A, B)
    message = refused.value.message
    assert message.startswith(f"cannot import: {A.id}: idle_session_timeout = '{{DBInstance")
    assert "\n" not in message and B.id not in message


def test_another_parameter_that_is_a_formula_is_left_out_with_a_comment() -> None:
    memory = Memory()
    memory.values[A.id] = {"statement_timeout": "{DBInstanceClassMemory/1073741824}"}
    result = imported(memory)
    assert result.profile.server == {}
    assert "server: {}" in result.text and "statement_timeout" in result.left_out[0]
    assert_plans_nothing(memory, result.text)


def test_an_aurora_member_that_overrides_an_idle_timeout_lowers_the_proposal() -> None:
    memory = Memory()
    memory.values[A.id] = {"idle_session_timeout": "600000"}
    overrides = {"idle_session_timeout": ParameterState("idle_session_timeout", "60000")}
    layer = GroupLayer("aws:eu-west-1:parameter-group/search-1-pg", "DB parameter group", overrides)
    memory.members[A.id] = (MemberState("search-1 (cluster search)", (layer,)),)
    result = imported(memory)
    assert result.profile.django.conn_max_age == 59
    assert "lowered to what the guard accepts" in result.text
    assert_plans_nothing(memory, result.text)


def test_targets_of_different_engines_are_refused_in_one_message_naming_them() -> None:
    memory = Memory()
    memory.engines[B.id] = Engine.MYSQL
    with pytest.raises(CloudtimeoutsError) as failed:
        imported(memory, A, B)
    assert f"postgres: {A.id}; mysql: {B.id}" in failed.value.message
    assert failed.value.exit_code == ExitCode.ERROR


def test_the_engine_detected_is_the_profiles() -> None:
    memory = Memory()
    memory.engines[A.id] = Engine.MARIADB
    memory.values[A.id] = {"wait_timeout": "600", "max_statement_time": "1.5"}
    result = imported(memory)
    assert "engine: mariadb" in result.text and "  max_statement_time: 1s500ms" in result.text
    assert result.profile.django.conn_max_age == 599
    assert_plans_nothing(memory, result.text)


def test_a_target_that_cannot_be_read_is_one_error_and_nothing_is_imported() -> None:
    memory = Memory()
    memory.unreadable[B.id] = f"{B.id}: DescribeDBParameters failed: AccessDenied"
    with pytest.raises(CloudtimeoutsError) as failed:
        imported(memory, A, B)
    assert failed.value.message == (
        f"could not read: {B.id}: DescribeDBParameters failed: AccessDenied "
        "(hint: check the permissions)"
    )


def test_an_engine_that_cannot_be_told_is_one_error() -> None:
    memory = Memory()

    def engine(target: Target) -> Engine:
        raise CloudtimeoutsError(f"{target.id}: not found")

    memory.engine = engine  # type: ignore[method-assign]
    with pytest.raises(CloudtimeoutsError, match=r"^could not read \(2\):\n  aws:"):
        imported(memory, A, B)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "Orders"}, "--name 'Orders'"),
        ({"conn_max_age": "off"}, "--conn-max-age 'off': conn_max_age: off is ambiguous"),
        ({"margin": "5 parsecs"}, "--margin '5 parsecs'"),
    ],
)
def test_bad_options_are_refused_before_any_cloud_call(options: dict, message: str) -> None:
    memory = Memory()
    arguments = {"name": "orders", **options}
    with pytest.raises(CloudtimeoutsError, match=message.replace("(", r"\(")):
        import_profile([A], adapter_loader=memory.loader(), **arguments)
    assert memory.values == {}


def test_a_target_given_twice_is_refused() -> None:
    twice = AwsTarget(provider="aws", region="eu-west-1", parameter_group="ORDERS-A")
    with pytest.raises(CloudtimeoutsError, match="given twice"):
        imported(Memory(), A, twice)


def test_names_that_yaml_would_read_as_numbers_or_booleans_are_quoted() -> None:
    memory = Memory()
    yes = AwsTarget(provider="aws", region="eu-west-1", parameter_group="yes")
    result = import_profile([yes], "2024", adapter_loader=memory.loader())
    assert 'name: "2024"' in result.text and 'parameter_group: "yes"' in result.text
    assert parse_profile(result.text).name == "2024"


def test_one_region_serves_every_aws_group_and_several_pair_in_order() -> None:
    one = targets_from_options({"--aws-parameter-group": ["a", "b"], "--region": ["eu-west-1"]})
    assert [t.id for t in one] == [
        "aws:eu-west-1:parameter-group/a",
        "aws:eu-west-1:parameter-group/b",
    ]
    paired = targets_from_options(
        {
            "--aws-parameter-group": ["a"],
            "--aws-cluster-parameter-group": ["c"],
            "--region": ["eu-west-1", "us-east-1"],
            "--gcp-instance": ["acme-prod/orders-db"],
            "--azure-server": ["00000000-0000-0000-0000-000000000000/prod/orders-pg"],
        }
    )
    assert [t.id for t in paired] == [
        "aws:eu-west-1:parameter-group/a",
        "aws:us-east-1:cluster-parameter-group/c",
        "gcp:acme-prod:instance/orders-db",
        "azure:00000000-0000-0000-0000-000000000000:prod:server/orders-pg",
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"--aws-parameter-group": ["a"]}, "no --region for 1 AWS group"),
        ({"--region": ["eu-west-1"]}, "--region is only for AWS groups"),
        ({"--aws-parameter-group": ["a"] * 3, "--region": ["eu-west-1"] * 2}, "2 --region for 3"),
        ({"--gcp-instance": ["orders-db"]}, "--gcp-instance takes PROJECT/INSTANCE"),
        ({"--azure-server": ["sub/rg"]}, "--azure-server takes SUBSCRIPTION_ID/RESOURCE_GROUP/"),
        ({"--gcp-instance": ["Acme/db"]}, "--gcp-instance 'Acme/db': project"),
        (
            {"--aws-parameter-group": ["a"], "--region": ["Europe"]},
            "--aws-parameter-group 'a': region",
        ),
        ({"--nowhere-server": ["p"]}, "no cloud reads --nowhere-server"),
    ],
)
def test_target_options_that_cannot_name_a_target_are_errors(options: dict, message: str) -> None:
    with pytest.raises(CloudtimeoutsError, match=message):
        targets_from_options(options)


def test_each_clouds_import_options_are_its_own_and_the_command_line_declares_them() -> None:
    """The options are parsed by the clouds' packages (`Cloud.imports`); `cloudtimeouts import`
    declares each of them, and no other option that names a target."""
    import typer.main

    from cloudtimeouts.cli import app

    options = import_options()
    assert len(options) == len(set(options))
    command = typer.main.get_command(app).commands["import"]  # type: ignore[attr-defined]
    declared = {opt for param in command.params for opt in param.opts}
    assert set(options) <= declared
    own = {"--name", "--conn-max-age", "--margin", "--write", "--force", "--timeout"}
    own |= {"--concurrency", "--help"}
    assert declared - set(options) <= own


def test_write_new_refuses_an_existing_file_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "orders.yaml"
    write_new(path, "first\n")
    with pytest.raises(CloudtimeoutsError, match="exists; nothing was written") as refused:
        write_new(path, "second\n")
    assert "--force" in (refused.value.hint or "")
    assert path.read_text() == "first\n"
    write_new(path, "second\n", force=True)
    assert path.read_text() == "second\n" and sorted(tmp_path.iterdir()) == [path]
    with pytest.raises(CloudtimeoutsError, match="cannot write"):
        write_new(tmp_path / "missing" / "orders.yaml", "x\n")
