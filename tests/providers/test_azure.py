"""Azure flexible servers: the real SDK clients and azure-identity against the HTTPS fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import support.profiles as support

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.errors import CloudtimeoutsError, TargetNotAllowedError, WriteError
from cloudtimeouts.model import Change
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile
from cloudtimeouts.providers.azure import AzureAdapter
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.sandbox.azure import FakeAzure
from cloudtimeouts.sandbox.loopback import Fault

SUB = "00000000-0000-0000-0000-0000000000aa"
RG = "prod"


def fast_adapter(provider: str) -> AzureAdapter:
    assert provider == "azure"
    return AzureAdapter(poll_interval=0)


def write_profile(
    directory: Path,
    engine: str,
    server: str,
    servers: tuple[str, ...],
    conn_max_age: str = "5min",
    name: str = "orders",
) -> Path:
    return support.write_profile(
        directory,
        name=name,
        engine=engine,
        conn_max_age=conn_max_age,
        server=server,
        targets=[support.azure_target(SUB, RG, s) for s in servers],
    )


def target_id(server: str) -> str:
    return f"azure:{SUB}:{RG}:server/{server}"


def values(fake: FakeAzure, server: str, names: list[str]) -> dict[str, str]:
    return {
        name: fake.configuration(SUB, RG, server, name)["properties"]["value"] for name in names
    }


PG_SERVER = "  idle_in_transaction_session_timeout: 10min\n  statement_timeout: 30s\n"
MY_SERVER = "  wait_timeout: 10min\n  interactive_timeout: 10min\n"


@pytest.mark.parametrize(
    ("engine", "server", "expected"),
    [
        (
            "postgres",
            PG_SERVER,
            {
                "idle_in_transaction_session_timeout": ("0", "600000", "ms"),
                "statement_timeout": ("0", "30000", "ms"),
            },
        ),
        (
            "mysql",
            MY_SERVER,
            {"wait_timeout": ("28800", "600", "s"), "interactive_timeout": ("28800", "600", "s")},
        ),
    ],
)
def test_plan_in_both_engines_and_units(
    cli: Any,
    azure: FakeAzure,
    tmp_path: Path,
    engine: str,
    server: str,
    expected: dict[str, tuple[str, str, str]],
) -> None:
    azure.add_server(SUB, RG, "db1", engine)
    result = cli("plan", write_profile(tmp_path, engine, server, ("db1",)), "-o", "json")
    assert result.exit_code == 0, result.stderr
    (target,) = json.loads(result.stdout)["targets"]
    assert target["id"] == target_id("db1") and target["provider"] == "azure"
    found = {c["parameter"]: (c["current"], c["desired"], c["unit"]) for c in target["changes"]}
    assert found == expected
    assert {c["current_source"] for c in target["changes"]} == {"default"}


@pytest.mark.parametrize(("engine", "server"), [("postgres", PG_SERVER), ("mysql", MY_SERVER)])
def test_apply_then_replan_is_empty_and_nothing_else_moves(
    azure: FakeAzure, tmp_path: Path, engine: str, server: str
) -> None:
    azure.add_server(SUB, RG, "db1", engine)
    every = azure.configuration_names(SUB, RG, "db1")
    before = values(azure, "db1", every)
    profile = load_profile(write_profile(tmp_path, engine, server, ("db1",)))
    plan = make_plan([profile], adapter_loader=fast_adapter)
    result = apply_plan(plan, adapter_loader=fast_adapter)
    (outcome,) = result.targets
    assert outcome.outcome == "applied", outcome.error
    after = values(azure, "db1", every)
    changed = {name for name in every if before[name] != after[name]}
    assert changed == {c.parameter for c in plan.targets[0].changes}
    for name in changed:
        assert azure.configuration(SUB, RG, "db1", name)["properties"]["source"] == "user-override"
    replan = make_plan([profile], adapter_loader=fast_adapter)
    assert replan.change_count == 0 and replan.refusal_count == 0


def test_cli_apply_waits_for_the_operation_and_verifies(
    cli: Any, azure: FakeAzure, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "db1", "mysql")
    profile = write_profile(tmp_path, "mysql", MY_SERVER, ("db1",))
    azure.lro_retry_after = 1  # as Azure does: the poller waits what the service asks
    try:
        result = cli("apply", profile, "--yes")
    finally:
        azure.lro_retry_after = 0
    assert result.exit_code == 0, result.stderr
    assert "written and verified: wait_timeout, interactive_timeout" in result.stdout
    assert values(azure, "db1", ["wait_timeout"]) == {"wait_timeout": "600"}
    batch = [r for r in azure.requests if r.path.endswith("/updateConfigurations")]
    assert len(batch) == 1  # MySQL: one batch operation for the whole change


def test_a_static_parameter_needs_allow_restart_and_is_reported_pending(
    cli: Any, azure: FakeAzure, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "db1", "postgres", static=["tcp_keepalives_idle"])
    profile = write_profile(tmp_path, "postgres", "  tcp_keepalives_idle: 1min\n", ("db1",))
    plan = cli("plan", profile)
    assert "tcp_keepalives_idle: 120 s (2min) [default] -> 60 s (1min)  # restart required" in (
        plan.stdout
    )
    refused = cli("apply", profile, "--yes")
    assert refused.exit_code == 1 and "--allow-restart" in refused.stderr
    assert values(azure, "db1", ["tcp_keepalives_idle"]) == {"tcp_keepalives_idle": "120"}
    result = apply_plan(
        make_plan([load_profile(profile)], adapter_loader=fast_adapter),
        allow_restart=True,
        adapter_loader=fast_adapter,
    )
    (outcome,) = result.targets
    assert outcome.outcome == "applied", outcome.error
    assert outcome.pending_restart == ("tcp_keepalives_idle",)
    config = azure.configuration(SUB, RG, "db1", "tcp_keepalives_idle")["properties"]
    assert config["isConfigPendingRestart"] is True
    assert not [r for r in azure.requests if r.path.endswith("/restart")]  # never restarts


def test_static_change_with_allow_restart_reports_pending_restart(
    azure: FakeAzure, tmp_path: Path
) -> None:
    # Dynamic in MySQL 8.0; this server reports it static (isDynamicConfig "False").
    azure.add_server(SUB, RG, "db1", "mysql", static=["innodb_buffer_pool_size"])
    adapter = AzureAdapter(poll_interval=0)
    target = AzureTarget(provider="azure", subscription_id=SUB, resource_group=RG, server="db1")
    state = adapter.read(target, Engine.MYSQL, ["innodb_buffer_pool_size", "wait_timeout"])
    static = [
        Change(
            "innodb_buffer_pool_size",
            "x",
            "target",
            "268435456",
            NativeUnit.SECONDS,
            "restart",
            "test",
        )
    ]
    outcome = adapter.write(target, state, static)
    assert outcome.pending_restart == ("innodb_buffer_pool_size",)
    assert any("restart it when you choose" in note for note in outcome.notes)


def test_a_read_only_parameter_is_an_error_and_still_counts_in_the_guard(
    azure: FakeAzure, tmp_path: Path
) -> None:
    azure.add_server(
        SUB,
        RG,
        "ro",
        "postgres",
        parameters={"idle_session_timeout": "60000"},
        read_only=["idle_session_timeout"],
    )
    sets_it = load_profile(
        write_profile(tmp_path, "postgres", "  idle_session_timeout: 10min\n", ("ro",), name="sets")
    )
    plan = make_plan([sets_it], adapter_loader=fast_adapter)
    assert plan.targets[0].error and "idle_session_timeout is not modifiable" in (
        plan.targets[0].error
    )
    leaves_it = load_profile(
        write_profile(tmp_path, "postgres", "  statement_timeout: 30s\n", ("ro",), name="leaves")
    )
    plan = make_plan([leaves_it], adapter_loader=fast_adapter)
    (refusal,) = plan.targets[0].refusals
    assert refusal.parameter == "idle_session_timeout"
    assert "60000 ms (60 s, set on the target)" in refusal.message


def test_an_out_of_range_value_is_refused_before_writing_and_by_the_emulators_api(
    azure: FakeAzure, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "db1", "mysql", allowed_values={"wait_timeout": "60-86400"})
    profile = load_profile(write_profile(tmp_path, "mysql", "  wait_timeout: 2d\n", ("db1",)))
    plan = make_plan([profile], adapter_loader=fast_adapter)
    assert plan.targets[0].error and "outside what this target allows" in plan.targets[0].error
    assert not [
        r
        for r in azure.requests
        if r.method in ("PUT", "PATCH", "POST") and "/oauth2/" not in r.path
    ]

    adapter = AzureAdapter(poll_interval=0)
    target = AzureTarget(provider="azure", subscription_id=SUB, resource_group=RG, server="db1")
    state = adapter.read(target, Engine.MYSQL, ["wait_timeout"])
    bad = [Change("wait_timeout", "28800", "default", "0", NativeUnit.SECONDS, "immediate", "t")]
    with pytest.raises(WriteError) as raised:  # MySQL: one batch, so the adapter says unknown
        adapter.write(target, state, bad)
    assert "InvalidParameterValue" in raised.value.message
    assert target.id in raised.value.message and "wait_timeout" in raised.value.message
    assert raised.value.written == ()
    assert azure.configuration(SUB, RG, "db1", "wait_timeout")["properties"]["value"] == "28800"


@pytest.mark.parametrize(
    ("fault", "times"), [(Fault.THROTTLE, 2), (Fault.SERVER_ERROR, 2), (Fault.LOST_RESPONSE, 1)]
)
def test_throttling_and_server_errors_are_retried(
    azure: FakeAzure, tmp_path: Path, fault: Fault, times: int
) -> None:
    azure.add_server(SUB, RG, "db1", "mysql")
    profile = load_profile(write_profile(tmp_path, "mysql", MY_SERVER, ("db1",)))
    make_plan([profile], adapter_loader=fast_adapter)  # token acquired, clients warm
    azure.server.clear_requests()
    azure.faults.add(fault, operation="servers.get", rate=1.0, times=times)
    plan = make_plan([profile], adapter_loader=fast_adapter)
    assert plan.error_count == 0 and plan.change_count == 2
    assert azure.calls("servers.get") == times + 1


def test_throttling_that_outlasts_the_retries_is_one_error_with_a_hint(
    azure: FakeAzure, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "db1", "postgres")
    azure.faults.add(Fault.THROTTLE, operation="configurations.listByServer", rate=1.0)
    plan = make_plan(
        [load_profile(write_profile(tmp_path, "postgres", PG_SERVER, ("db1",)))],
        adapter_loader=fast_adapter,
    )
    (target,) = plan.targets
    assert target.error is not None and "TooManyRequests" in target.error
    assert azure.calls("configurations.listByServer") == 4  # azure-core's first try + 3 retries


def test_one_failing_server_does_not_hide_the_others(
    cli: Any, azure: FakeAzure, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "db1", "postgres")
    profile = write_profile(tmp_path, "postgres", PG_SERVER, ("db1", "gone"))
    result = cli("plan", profile, "-o", "json")
    assert result.exit_code == 1
    targets = {t["id"]: t for t in json.loads(result.stdout)["targets"]}
    assert "ResourceNotFound" in targets[target_id("gone")]["error"]
    assert len(targets[target_id("db1")]["changes"]) == 2


def test_a_server_of_the_other_engine_is_named_as_such(azure: FakeAzure) -> None:
    azure.add_server(SUB, RG, "my1", "mysql")
    target = AzureTarget(provider="azure", subscription_id=SUB, resource_group=RG, server="my1")
    with pytest.raises(TargetNotAllowedError, match="is an Azure Database for MySQL flexible"):
        AzureAdapter().read(target, Engine.POSTGRES, ["statement_timeout"])


def test_missing_credentials_are_one_clear_error(
    cli: Any, fake_azure: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDTIMEOUTS_AZURE_ENDPOINT", fake_azure.base_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake_azure.ca_bundle))
    monkeypatch.setenv("HOME", str(tmp_path))  # no Azure CLI login to find
    profile = write_profile(tmp_path, "postgres", PG_SERVER, ("db1",))
    result = cli("plan", profile)
    assert result.exit_code == 1
    assert "no usable Azure credentials" in result.stdout
    assert "az login" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_mariadb_on_azure_is_refused_by_the_profile(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, "mariadb", "  wait_timeout: 10min\n", ("db1",))
    result = cli("validate", profile)
    assert result.exit_code == 1
    assert "azure does not offer mariadb" in result.stderr


@pytest.mark.parametrize("name", ["azure-postgres.yaml", "azure-mysql.yaml"])
def test_example_profiles_plan_against_the_fake(azure: FakeAzure, name: str) -> None:
    profile = load_profile(Path(__file__).resolve().parents[2] / "profiles" / name)
    for target in profile.targets:
        assert isinstance(target, AzureTarget)
        azure.add_server(
            target.subscription_id, target.resource_group, target.server, profile.engine.value
        )  # type: ignore[arg-type]
    plan = make_plan([profile], adapter_loader=fast_adapter)
    assert plan.error_count == 0 and plan.refusal_count == 0
    assert plan.change_count > 0


def test_transaction_timeout_exists_only_on_the_emulators_postgresql_17_server(
    azure: FakeAzure, tmp_path: Path
) -> None:
    # Microsoft's PostgreSQL 17 parameter table has transaction_timeout; the 16 table does not.
    azure.add_server(SUB, RG, "pg16", "postgres", version="16")
    azure.add_server(SUB, RG, "pg17", "postgres", version="17")
    profile = load_profile(
        write_profile(tmp_path, "postgres", "  transaction_timeout: 30s\n", ("pg16", "pg17"))
    )
    plan = make_plan([profile], adapter_loader=fast_adapter)
    on16, on17 = plan.targets
    assert on16.error is not None and "no parameter transaction_timeout" in on16.error
    assert [(c.parameter, c.current, c.desired) for c in on17.changes] == [
        ("transaction_timeout", "0", "30000")
    ]
    assert not [r for r in azure.requests if r.operation.startswith("configurations.update")]


def test_a_broken_answer_stays_that_targets_error(azure: FakeAzure, tmp_path: Path) -> None:
    azure.add_server(SUB, RG, "db1", "postgres")
    azure.add_server(SUB, RG, "db2", "postgres")
    # One garbled answer (not retried by azure-core): whichever target receives it, only it fails.
    azure.faults.add(Fault.MALFORMED, operation="configurations.listByServer", nth=1)
    profile = load_profile(write_profile(tmp_path, "postgres", PG_SERVER, ("db1", "db2")))
    plan = make_plan([profile], adapter_loader=fast_adapter)
    (broken,) = [t for t in plan.targets if t.error]
    (fine,) = [t for t in plan.targets if not t.error]
    assert isinstance(broken.target, AzureTarget)
    assert target_id(broken.target.server) in (broken.error or "")
    assert len(fine.changes) == 2


@pytest.mark.parametrize("fault", [Fault.RESET, Fault.MALFORMED])
def test_a_broken_answer_is_translated_by_the_adapter(azure: FakeAzure, fault: Fault) -> None:
    azure.add_server(SUB, RG, "db1", "postgres")
    azure.faults.add(fault, operation="servers.get", rate=1.0)
    target = AzureTarget(provider="azure", subscription_id=SUB, resource_group=RG, server="db1")
    with pytest.raises(CloudtimeoutsError) as raised:
        AzureAdapter(poll_interval=0).read(target, Engine.POSTGRES, ["statement_timeout"])
    assert target.id in raised.value.message
