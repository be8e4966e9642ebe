"""The provider contract: every adapter passes the same suite against its emulator.

read, write, re-read; parameters the change does not name stay byte for byte; failures raise
errors that name the target (never an empty result).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Protocol

import boto3
import pytest

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.errors import CloudtimeoutsError, TargetNotAllowedError
from cloudtimeouts.model import Change
from cloudtimeouts.profile import Target
from cloudtimeouts.providers.aws import AwsAdapter
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.azure import AzureAdapter
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.base import ProviderAdapter
from cloudtimeouts.providers.gcp import GcpAdapter
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.cloudsql import flag_names

SUB = "00000000-0000-0000-0000-0000000000bb"  # an Azure subscription of the fake
RG = "contract"


class Harness(Protocol):
    """How the suite drives one provider's emulator."""

    def adapter(self) -> ProviderAdapter: ...

    def create(self, name: str, engine: Engine, values: dict[str, str]) -> Target: ...

    def missing(self) -> Target: ...

    def stored(self, target: Target) -> dict[str, Any]: ...


class AwsHarness:
    """RDS parameter groups through boto3 against the realistic RDS emulator: a new group lists
    its family's whole catalogue, and values are set as users set them."""

    family: ClassVar[dict[Engine, str]] = {
        Engine.POSTGRES: "postgres16",
        Engine.MYSQL: "mysql8.0",
        Engine.MARIADB: "mariadb10.11",
    }

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.rds = boto3.client("rds", region_name="eu-west-1")

    def adapter(self) -> ProviderAdapter:
        return AwsAdapter()

    def create(self, name: str, engine: Engine, values: dict[str, str]) -> Target:
        self.emulator.create_group(name, self.family[engine], values)
        return AwsTarget(provider="aws", region="eu-west-1", parameter_group=name)

    def missing(self) -> Target:
        return AwsTarget(provider="aws", region="eu-west-1", parameter_group="no-such-group")

    def stored(self, target: Target) -> dict[str, Any]:
        assert isinstance(target, AwsTarget)
        pages = self.rds.get_paginator("describe_db_parameters").paginate(
            DBParameterGroupName=target.group_name
        )
        return {p["ParameterName"]: p for page in pages for p in page["Parameters"]}


class GcpHarness:
    """Cloud SQL through the real google-cloud-sql REST client against the emulator."""

    version: ClassVar[dict[Engine, str]] = {
        Engine.POSTGRES: "POSTGRES_16",
        Engine.MYSQL: "MYSQL_8_0",
    }

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def adapter(self) -> ProviderAdapter:
        return GcpAdapter()

    def create(self, name: str, engine: Engine, values: dict[str, str]) -> Target:
        target: Target = self.sandbox.add(name, self.version[engine], values)
        return target

    def missing(self) -> Target:
        return GcpTarget(provider="gcp", project=self.sandbox.project, instance="no-such-db")

    def stored(self, target: Target) -> dict[str, Any]:
        """Every flag the version offers (None when unset) and every flag set, as stored."""
        assert isinstance(target, GcpTarget)
        instance = self.sandbox.fake.instance(target.project, target.instance)
        stored: dict[str, Any] = dict.fromkeys(flag_names(instance["databaseVersion"]))
        stored.update({flag["name"]: flag for flag in instance["settings"]["databaseFlags"]})
        return stored


class AzureHarness:
    """Azure flexible servers through the real management clients against the HTTPS fake."""

    def __init__(self, fake: FakeAzure) -> None:
        self.fake = fake

    def adapter(self) -> ProviderAdapter:
        return AzureAdapter(poll_interval=0)

    def create(self, name: str, engine: Engine, values: dict[str, str]) -> Target:
        self.fake.add_server(SUB, RG, name, engine.value, parameters=values)  # type: ignore[arg-type]
        return AzureTarget(provider="azure", subscription_id=SUB, resource_group=RG, server=name)

    def missing(self) -> Target:
        return AzureTarget(
            provider="azure", subscription_id=SUB, resource_group=RG, server="no-such-server"
        )

    def stored(self, target: Target) -> dict[str, Any]:
        assert isinstance(target, AzureTarget)
        return {
            name: self.fake.configuration(SUB, RG, target.server, name)
            for name in self.fake.configuration_names(SUB, RG, target.server)
        }


@pytest.fixture(params=["aws", "gcp", "azure"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "aws":
        yield AwsHarness(request.getfixturevalue("aws"))
    elif request.param == "gcp":
        yield GcpHarness(request.getfixturevalue("gcp"))
    else:
        yield AzureHarness(request.getfixturevalue("azure"))


def _change(name: str, current: str, desired: str, unit: NativeUnit) -> Change:
    return Change(name, current, "target", desired, unit, "immediate", "contract test")


def test_read_returns_what_the_target_holds(harness: Harness) -> None:
    target = harness.create("orders", Engine.POSTGRES, {"idle_session_timeout": "60000"})
    state = harness.adapter().read(
        target, Engine.POSTGRES, ["idle_session_timeout", "lock_timeout"]
    )
    assert state.target_id == target.id
    assert state.parameters["idle_session_timeout"].value == "60000"
    assert not state.parameters["idle_session_timeout"].value_is_default
    assert set(state.parameters) <= {"idle_session_timeout", "lock_timeout"}


def test_write_then_reread_shows_the_new_values(harness: Harness) -> None:
    target = harness.create("orders", Engine.MYSQL, {"wait_timeout": "28800"})
    adapter = harness.adapter()
    state = adapter.read(target, Engine.MYSQL, ["wait_timeout", "interactive_timeout"])
    outcome = adapter.write(
        target,
        state,
        [
            _change("wait_timeout", "28800", "600", NativeUnit.SECONDS),
            _change("interactive_timeout", "28800", "900", NativeUnit.SECONDS),
        ],
    )
    assert set(outcome.written) == {"wait_timeout", "interactive_timeout"}
    again = adapter.read(target, Engine.MYSQL, ["wait_timeout", "interactive_timeout"])
    assert again.parameters["wait_timeout"].value == "600"
    assert again.parameters["interactive_timeout"].value == "900"


def test_write_leaves_every_other_parameter_untouched(harness: Harness) -> None:
    target = harness.create("orders", Engine.POSTGRES, {"statement_timeout": "30000"})
    before = harness.stored(target)
    adapter = harness.adapter()
    state = adapter.read(target, Engine.POSTGRES, ["idle_session_timeout"])
    adapter.write(
        target, state, [_change("idle_session_timeout", "0", "600000", NativeUnit.MILLISECONDS)]
    )
    after = harness.stored(target)
    assert set(after) == set(before)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"idle_session_timeout"}


def test_a_missing_target_raises_an_error_naming_it(harness: Harness) -> None:
    target = harness.missing()
    with pytest.raises(CloudtimeoutsError) as raised:
        harness.adapter().read(target, Engine.POSTGRES, ["idle_session_timeout"])
    assert target.id in raised.value.message


def test_an_engine_mismatch_is_refused_before_any_write(harness: Harness) -> None:
    target = harness.create("orders", Engine.MYSQL, {})
    with pytest.raises(TargetNotAllowedError) as raised:
        harness.adapter().read(target, Engine.POSTGRES, ["idle_session_timeout"])
    assert "postgres" in raised.value.message
