"""GCP specifics the contract suite does not cover, with the real google-cloud-sql client over HTTP
against the Cloud SQL emulator: units, the merged flag list, settingsVersion, flags.list metadata,
restarts, retries, credentials and error mapping, mostly through the CLI's real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import support.profiles as support

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.errors import ProviderAPIError
from cloudtimeouts.model import Change, TargetState, WriteOutcome
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import Target, load_profile
from cloudtimeouts.providers.gcp import GcpAdapter, engine_of_version
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.sandbox.loopback import Fault

REPO = Path(__file__).resolve().parents[2]
PG_SERVER = (
    "  idle_session_timeout: 10min\n"
    "  idle_in_transaction_session_timeout: 10min\n"
    "  statement_timeout: 30s\n"
)
MYSQL_SERVER = "  wait_timeout: 10min\n  interactive_timeout: 10min\n  max_execution_time: 30s\n"
PG_MANAGED = {"idle_session_timeout", "idle_in_transaction_session_timeout", "statement_timeout"}
MYSQL_MANAGED = {"wait_timeout", "interactive_timeout", "max_execution_time"}


def write_profile(
    directory: Path,
    project: str,
    instances: Sequence[str],
    *,
    engine: str = "postgres",
    server: str = PG_SERVER,
    name: str = "orders",
) -> Path:
    return support.write_profile(
        directory,
        name=name,
        engine=engine,
        server=server,
        targets=[support.gcp_target(project, instance) for instance in instances],
    )


def _with_flag(gcp: Any, monkeypatch: pytest.MonkeyPatch, name: str, **changes: Any) -> None:
    """For this test, the emulator's catalogue with one row changed (what flags.list answers)."""
    monkeypatch.setattr(gcp.fake, "catalogue", gcp.fake.catalogue.replaced(name, **changes))


def _tid(gcp: Any, instance: str) -> str:
    return f"gcp:{gcp.project}:instance/{instance}"


def test_plan_in_both_engines_and_units(cli: Any, gcp: Any, tmp_path: Path) -> None:
    gcp.add("orders-db", "POSTGRES_16", {"statement_timeout": "5000"})
    gcp.add("shop-db", "MYSQL_8_0", {"wait_timeout": "28800"})
    pg = write_profile(tmp_path, gcp.project, ["orders-db"])
    mysql = write_profile(
        tmp_path, gcp.project, ["shop-db"], engine="mysql", server=MYSQL_SERVER, name="shop"
    )

    result = cli("plan", pg, mysql, "--detailed-exitcode")

    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"# {_tid(gcp, 'orders-db')} (profile orders, POSTGRES_16)" in result.stdout
    assert "+ idle_session_timeout: 0 ms (off) [default] -> 600000 ms (10min)" in result.stdout
    assert "~ statement_timeout: 5000 ms (5s) [target] -> 30000 ms (30s)" in result.stdout
    assert f"# {_tid(gcp, 'shop-db')} (profile shop, MYSQL_8_0)" in result.stdout
    assert "~ wait_timeout: 28800 s (8h) [target] -> 600 s (10min)" in result.stdout
    assert "+ interactive_timeout: 28800 s (8h) [default] -> 600 s (10min)" in result.stdout
    assert "+ max_execution_time: 0 ms (off) [default] -> 30000 ms (30s)" in result.stdout
    assert "Plan: 6 to change on 2 of 2 target(s), 0 refused, 0 error(s)." in result.stdout

    as_json = json.loads(cli("plan", pg, mysql, "--output", "json").stdout)
    by_id = {target["id"]: target for target in as_json["targets"]}
    shop = by_id[_tid(gcp, "shop-db")]
    assert shop["provider"] == "gcp" and shop["error"] is None
    units = {change["parameter"]: change["unit"] for change in shop["changes"]}
    assert units == {"wait_timeout": "s", "interactive_timeout": "s", "max_execution_time": "ms"}
    idle = next(
        c for c in by_id[_tid(gcp, "orders-db")]["changes"] if c["parameter"] == "statement_timeout"
    )
    assert idle | {"reason": ""} == {
        "parameter": "statement_timeout",
        "current": "5000",
        "current_source": "target",
        "desired": "30000",
        "unit": "ms",
        "apply": "immediate",
        "reason": "",
    }
    assert as_json["summary"] == {"changes": 6, "refusals": 0, "errors": 0}
    assert gcp.flags("orders-db") == {"statement_timeout": "5000"}  # plan wrote nothing


@pytest.mark.parametrize(
    ("version", "engine", "server", "managed", "seed"),
    [
        (
            "POSTGRES_16",
            "postgres",
            PG_SERVER,
            PG_MANAGED,
            {
                "log_min_duration_statement": "1000",
                "cloudsql.iam_authentication": "on",
                "statement_timeout": "5000",
            },
        ),
        (
            "MYSQL_8_0",
            "mysql",
            MYSQL_SERVER,
            MYSQL_MANAGED,
            {"slow_query_log": "on", "long_query_time": "2", "wait_timeout": "28800"},
        ),
    ],
    ids=["postgres", "mysql"],
)
def test_apply_keeps_unnamed_flags_byte_for_byte_and_replan_is_empty(
    cli: Any,
    gcp: Any,
    tmp_path: Path,
    version: str,
    engine: str,
    server: str,
    managed: set[str],
    seed: dict[str, str],
) -> None:
    gcp.add("orders-db", version, seed)
    before = gcp.raw_flags("orders-db")
    profile = write_profile(tmp_path, gcp.project, ["orders-db"], engine=engine, server=server)

    result = cli("apply", profile, "--yes")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "written and verified" in result.stdout
    after = gcp.raw_flags("orders-db")
    assert [f for f in after if f["name"] not in managed] == sorted(
        (f for f in before if f["name"] not in managed), key=lambda f: f["name"]
    )
    assert {f["name"] for f in after} == set(seed) | managed
    replan = cli("plan", profile, "--detailed-exitcode")
    assert replan.exit_code == 0, replan.stdout
    assert "no changes" in replan.stdout
    assert "(3 unchanged parameters hidden)" in replan.stdout


def test_patch_sends_the_full_sorted_list_with_the_settings_version(gcp: Any) -> None:
    target = gcp.add(
        "orders-db",
        "POSTGRES_16",
        {"statement_timeout": "5000", "cloudsql.iam_authentication": "on"},
    )
    gcp.fake.set_flags_out_of_band(
        gcp.project, "orders-db", {"statement_timeout": "5000", "cloudsql.iam_authentication": "on"}
    )  # settingsVersion 2 now
    adapter = GcpAdapter()
    state = adapter.read(target, Engine.POSTGRES, ["idle_session_timeout", "statement_timeout"])
    change = Change(
        "idle_session_timeout", "0", "default", "600000", NativeUnit.MILLISECONDS, "immediate", ""
    )

    outcome = adapter.write(target, state, [change])

    mine = [r for r in gcp.fake.requests if f"/projects/{gcp.project}/" in r.path]
    (patch,) = [r for r in mine if r.operation == "instances.patch"]
    assert json.loads(patch.body) == {
        "settings": {
            "settingsVersion": "2",
            "databaseFlags": [
                {"name": "cloudsql.iam_authentication", "value": "on"},
                {"name": "idle_session_timeout", "value": "600000"},
                {"name": "statement_timeout", "value": "5000"},
            ],
        }
    }
    assert outcome == WriteOutcome(written=("idle_session_timeout",))
    polls = [r for r in mine if r.operation == "operations.get"]
    assert len(polls) == 2  # PENDING -> RUNNING -> DONE


def test_a_change_between_plan_and_apply_stops_that_target(gcp: Any, tmp_path: Path) -> None:
    gcp.add("orders-db", "POSTGRES_16", {"statement_timeout": "5000"})
    profile = load_profile(write_profile(tmp_path, gcp.project, ["orders-db"]))
    plan = make_plan([profile])
    concurrent = {"statement_timeout": "1000", "cloudsql.iam_authentication": "on"}
    gcp.fake.set_flags_out_of_band(gcp.project, "orders-db", concurrent)

    result = apply_plan(plan)

    (target,) = result.targets
    assert target.outcome == "changed-since-plan"
    assert result.failed
    assert gcp.flags("orders-db") == concurrent  # nothing overwritten, nothing added


def test_a_concurrent_patch_just_before_the_write_is_refused_not_overwritten(
    gcp: Any, tmp_path: Path
) -> None:
    """The window between apply's re-read and the PATCH: settingsVersion makes Cloud SQL say 412."""
    gcp.add("orders-db", "POSTGRES_16", {"log_min_duration_statement": "1000"})
    profile = load_profile(write_profile(tmp_path, gcp.project, ["orders-db"]))
    plan = make_plan([profile])
    concurrent = {"log_min_duration_statement": "250", "cloudsql.iam_authentication": "on"}

    class RacedAdapter:
        def __init__(self) -> None:
            self.inner = GcpAdapter()

        def read(self, target: Target, engine: Engine, names: Sequence[str]) -> TargetState:
            return self.inner.read(target, engine, names)  # type: ignore[arg-type]

        def write(self, target: Any, state: TargetState, changes: Sequence[Change]) -> Any:
            gcp.fake.set_flags_out_of_band(gcp.project, "orders-db", concurrent)
            return self.inner.write(target, state, changes)

    result = apply_plan(plan, adapter_loader=lambda provider: RacedAdapter())

    (target,) = result.targets
    assert target.outcome == "changed-since-plan"
    assert target.error is not None
    assert f"{_tid(gcp, 'orders-db')} changed since the plan" in target.error
    assert "staleData" in target.error
    assert gcp.flags("orders-db") == concurrent


def test_a_change_to_unnamed_flags_after_the_plan_is_kept(gcp: Any, tmp_path: Path) -> None:
    """apply writes from its fresh re-read: a concurrent change elsewhere survives the merge."""
    gcp.add("orders-db", "POSTGRES_16", {"log_min_duration_statement": "1000"})
    profile = load_profile(write_profile(tmp_path, gcp.project, ["orders-db"]))
    plan = make_plan([profile])
    gcp.fake.set_flags_out_of_band(
        gcp.project,
        "orders-db",
        {"log_min_duration_statement": "250", "cloudsql.iam_authentication": "on"},
    )

    result = apply_plan(plan)

    assert result.targets[0].outcome == "applied", result.targets[0].error
    assert gcp.flags("orders-db") == {
        "cloudsql.iam_authentication": "on",
        "idle_in_transaction_session_timeout": "600000",
        "idle_session_timeout": "600000",
        "log_min_duration_statement": "250",
        "statement_timeout": "30000",
    }


def test_an_unsupported_flag_and_a_missing_instance_fail_only_their_targets(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # transaction_timeout is PostgreSQL 17+: flags.list offers it for POSTGRES_17, not 16 (pinned
    # here, since the emulator's row for it is marked unverified).
    _with_flag(gcp, monkeypatch, "transaction_timeout", applies_to=("POSTGRES_17",))
    gcp.add("pg16-db", "POSTGRES_16")
    gcp.add("pg17-db", "POSTGRES_17")
    server = PG_SERVER + "  transaction_timeout: 1min\n"
    profile = write_profile(
        tmp_path, gcp.project, ["pg16-db", "pg17-db", "missing-db"], server=server
    )

    result = cli("plan", profile, "--output", "json")

    assert result.exit_code == 1
    errors = {t["id"]: t["error"] for t in json.loads(result.stdout)["targets"]}
    # flags.list does not offer it for POSTGRES_16: the instance does not have it
    assert errors[_tid(gcp, "pg16-db")] == (
        "the target has no parameter transaction_timeout (POSTGRES_16)"
    )
    assert "instance not found: missing-db does not exist" in errors[_tid(gcp, "missing-db")]
    assert "instanceDoesNotExist" in errors[_tid(gcp, "missing-db")]
    assert errors[_tid(gcp, "pg17-db")] is None
    table = cli("plan", profile)
    assert "+ transaction_timeout: 0 ms (off) [default] -> 60000 ms (1min)" in table.stdout
    assert "Plan: 4 to change on 1 of 3 target(s), 0 refused, 2 error(s)." in table.stdout
    refused = cli("apply", profile, "--yes")
    assert refused.exit_code == 1
    assert "nothing was applied" in refused.stderr
    assert gcp.flags("pg17-db") == {}
    only = cli("apply", profile, "--yes", "--target", _tid(gcp, "pg17-db"))
    assert only.exit_code == 0, only.stdout + only.stderr
    assert gcp.flags("pg17-db")["transaction_timeout"] == "60000"


def test_a_value_outside_flags_list_range_is_refused_before_any_write(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_flag(gcp, monkeypatch, "wait_timeout", max_value=86400)
    gcp.add("shop-db", "MYSQL_8_0")
    server = "  wait_timeout: 2d\n  interactive_timeout: 10min\n"
    profile = write_profile(tmp_path, gcp.project, ["shop-db"], engine="mysql", server=server)

    result = cli("apply", profile, "--yes")

    assert result.exit_code == 1
    assert "wait_timeout = 172800 s is outside what this target allows (1..86400 s)" in (
        result.stdout
    )
    assert gcp.requests("/instances/shop-db", "PATCH") == 0


def test_the_minimum_flags_list_gives_wins_over_the_engines(
    cli: Any, gcp: Any, tmp_path: Path
) -> None:
    """MySQL accepts net_read_timeout from 1 s; Cloud SQL documents 30 ... 4294967295
    (cloud.google.com/sql/docs/mysql/flags). flags.list decides, before any write."""
    gcp.add("shop-db", "MYSQL_8_0")
    server = "  wait_timeout: 10min\n  net_read_timeout: 10s\n"
    profile = write_profile(tmp_path, gcp.project, ["shop-db"], engine="mysql", server=server)

    assert cli("validate", profile).exit_code == 0  # offline, the engine's range: fine
    result = cli("apply", profile, "--yes")

    assert result.exit_code == 1
    assert "net_read_timeout = 10 s is outside what this target allows (30..4294967295 s)" in (
        result.stdout
    )
    assert gcp.requests("/instances/shop-db", "PATCH") == 0


def test_write_errors_name_the_flag_and_quote_cloud_sql(gcp: Any) -> None:
    target = gcp.add("orders-db", "POSTGRES_16", {"statement_timeout": "5000"})
    adapter = GcpAdapter()
    state = adapter.read(target, Engine.POSTGRES, ["statement_timeout"])

    def write(name: str, value: str) -> ProviderAPIError:
        change = Change(name, "0", "default", value, NativeUnit.MILLISECONDS, "immediate", "")
        with pytest.raises(ProviderAPIError) as raised:
            adapter.write(target, state, [change])
        return raised.value

    unknown = write("no_such_flag", "1")
    assert unknown.code == "invalidFlagName"
    assert "Cloud SQL does not know the flag no_such_flag" in unknown.message
    bad = write("statement_timeout", "-5")
    assert bad.code == "invalidFlagValue"
    assert "Failed to set statement_timeout" in bad.message
    assert _tid(gcp, "orders-db") in bad.message
    assert gcp.flags("orders-db") == {"statement_timeout": "5000"}


def test_a_failed_operation_is_reported_with_its_message(
    cli: Any, gcp: Any, tmp_path: Path
) -> None:
    gcp.add("orders-db", "POSTGRES_16")
    profile = write_profile(tmp_path, gcp.project, ["orders-db"])
    gcp.fake.fail_next_operation("INTERNAL_ERROR", "disk is on fire")

    result = cli("apply", profile, "--yes")

    assert result.exit_code == 1
    assert "failed: INTERNAL_ERROR: disk is on fire" in result.stdout
    assert gcp.flags("orders-db") == {}


def test_throttling_and_unavailability_are_retried(cli: Any, gcp: Any, tmp_path: Path) -> None:
    gcp.add("orders-db", "POSTGRES_16")
    profile = write_profile(tmp_path, gcp.project, ["orders-db"])
    gcp.fake.faults.add(Fault.THROTTLE, operation="instances.get", nth=1)
    gcp.fake.faults.add(Fault.SERVER_ERROR, operation="instances.get", rate=1.0, times=2)

    result = cli("plan", profile, "--detailed-exitcode")

    assert result.exit_code == 2, result.stdout + result.stderr
    assert gcp.requests("/instances/orders-db", "GET") == 4  # three refused, one answered


def test_throttling_that_outlasts_the_retries_is_an_error_with_a_hint(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudtimeouts.providers.gcp import clients

    # the first refusal is the last
    monkeypatch.setattr(clients, "CALLS", replace(clients.CALLS, total_s=1e-9))
    gcp.add("orders-db", "POSTGRES_16")
    profile = write_profile(tmp_path, gcp.project, ["orders-db"])
    gcp.fake.faults.add(Fault.THROTTLE, operation="instances.get", nth=1)

    result = cli("plan", profile)

    assert result.exit_code == 1
    assert "instances.get failed: 429 rateLimitExceeded" in result.stdout
    assert "kept answering 429/503 after retries" in result.stdout


def test_a_401_from_cloud_sql_is_an_auth_error_not_an_api_error(gcp: Any) -> None:
    """google-api-core raises Unauthorized for an HTTP 401 over REST (only gRPC's UNAUTHENTICATED
    is its subclass Unauthenticated, which the translation used to wait for): a token Cloud SQL
    refuses was a plain API error, without the hint that says what to do. (The clients refresh
    the token and ask again once on a 401 by themselves, so the emulator cannot show a lasting
    one; tests/providers/data/error_messages.json holds the whole message.)"""
    from google.api_core import exceptions as gexc

    from cloudtimeouts.errors import ProviderAuthError
    from cloudtimeouts.providers.gcp.clients import default_clients
    from cloudtimeouts.providers.gcp.errors import translate

    refused = gexc.from_http_status(401, "Request had invalid authentication credentials.")
    assert type(refused) is gexc.Unauthorized
    target = GcpTarget(provider="gcp", project=gcp.project, instance="orders-db")
    said = translate(target, "instances.get", default_clients(), refused)
    assert isinstance(said, ProviderAuthError), said
    assert "gcloud auth application-default login" in (said.hint or "")


def test_permission_denied_names_the_iam_permission(cli: Any, gcp: Any, tmp_path: Path) -> None:
    gcp.add("orders-db", "POSTGRES_16")
    profile = write_profile(tmp_path, gcp.project, ["orders-db"])
    gcp.fake.deny(gcp.project, "cloudsql.instances.get")

    result = cli("plan", profile)

    assert result.exit_code == 1
    assert "instances.get failed: 403" in result.stdout
    assert "IAM permission cloudsql.instances.get" in result.stdout


def test_a_restart_bound_flag_needs_allow_restart(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_flag(gcp, monkeypatch, "tcp_keepalives_idle", requires_restart=True)
    gcp.add("orders-db", "POSTGRES_16")
    server = PG_SERVER + "  tcp_keepalives_idle: 60s\n"
    profile = write_profile(tmp_path, gcp.project, ["orders-db"], server=server)

    plan = cli("plan", profile)

    assert "+ tcp_keepalives_idle: 0 s (off) [default] -> 60 s (1min)  # restart required" in (
        plan.stdout
    )
    assert (
        "tcp_keepalives_idle: flags.list marks it requiresRestart: Cloud SQL may restart the "
        "instance (and its replicas)"
    ) in plan.stdout
    refused = cli("apply", profile, "--yes")
    assert refused.exit_code == 1
    assert "--allow-restart" in refused.stderr
    assert gcp.requests("/instances/orders-db", "PATCH") == 0
    allowed = cli("apply", profile, "--yes", "--allow-restart")
    assert allowed.exit_code == 0, allowed.stdout + allowed.stderr
    assert (
        "Cloud SQL may restart the instance (and its replicas) to apply: tcp_keepalives_idle"
        in (allowed.stdout)
    )
    assert "waiting for a reboot you schedule" not in allowed.stdout  # Cloud SQL restarts itself
    assert gcp.flags("orders-db")["tcp_keepalives_idle"] == "60"


def test_flags_list_is_read_once_per_database_version(gcp: Any, tmp_path: Path) -> None:
    for name in ("a-db", "b-db", "c-db"):
        gcp.add(name, "POSTGRES_16")
    gcp.add("d-db", "POSTGRES_17")
    before = len(gcp.fake.requests)
    profile = load_profile(write_profile(tmp_path, gcp.project, ["a-db", "b-db", "c-db", "d-db"]))

    plan = make_plan([profile])

    assert plan.error_count == 0
    flag_lists = [r for r in gcp.fake.requests[before:] if r.operation == "flags.list"]
    assert sorted(r.query_value("databaseVersion") for r in flag_lists) == [
        "POSTGRES_16",
        "POSTGRES_17",
    ]


def test_no_credentials_is_one_clear_error(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.auth.compute_engine import _metadata

    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)  # even on a GCE machine
    gcp.add("orders-db", "POSTGRES_16")
    profile = write_profile(tmp_path, gcp.project, ["orders-db", "other-db"])

    result = cli("plan", profile)

    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("no usable Google credentials") == 2  # once per target
    assert "gcloud auth application-default login" in result.stdout
    assert "GOOGLE_APPLICATION_CREDENTIALS" in result.stdout


def test_credentials_the_token_endpoint_refuses_are_an_auth_error(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = json.loads(gcp.adc.read_text())
    info["client_secret"] = "wrong"
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    gcp.add("orders-db", "POSTGRES_16")
    profile = write_profile(tmp_path, gcp.project, ["orders-db"])

    result = cli("plan", profile)

    assert result.exit_code == 1
    assert "the Google credentials could not be refreshed" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreachable_endpoint_is_an_api_error(
    cli: Any, gcp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDTIMEOUTS_GCP_ENDPOINT", "http://127.0.0.1:9")  # discard: refused
    profile = write_profile(tmp_path, gcp.project, ["orders-db"])

    result = cli("plan", profile)

    assert result.exit_code == 1
    assert "could not reach http://127.0.0.1:9" in result.stdout


@pytest.mark.parametrize(
    ("version", "engine"),
    [
        ("POSTGRES_16", Engine.POSTGRES),
        ("POSTGRES_9_6", Engine.POSTGRES),
        ("MYSQL_8_0_31", Engine.MYSQL),
        ("MYSQL_5_7", Engine.MYSQL),
        ("SQLSERVER_2019_STANDARD", None),
        ("SQL_DATABASE_VERSION_UNSPECIFIED", None),
        ("999", None),
    ],
)
def test_engine_of_database_version(version: str, engine: Engine | None) -> None:
    assert engine_of_version(version) is engine


EXAMPLES = sorted((REPO / "profiles").glob("gcp-*.yaml"))


def test_there_are_gcp_example_profiles_for_both_engines() -> None:
    assert [path.name for path in EXAMPLES] == ["gcp-mysql.yaml", "gcp-postgres.yaml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_profile_validates_and_plans_against_the_emulator(
    cli: Any, gcp: Any, path: Path
) -> None:
    assert cli("validate", path).exit_code == 0
    profile = load_profile(path)
    version = {Engine.POSTGRES: "POSTGRES_16", Engine.MYSQL: "MYSQL_8_0"}[profile.engine]
    for target in profile.targets:
        assert isinstance(target, GcpTarget)
        gcp.fake.add_instance(target.project, target.instance, version)

    result = cli("plan", path, "--output", "json")

    assert result.exit_code == 0, result.stdout + result.stderr
    planned = json.loads(result.stdout)
    assert planned["summary"] == {
        "changes": len(profile.server) * len(profile.targets),
        "refusals": 0,
        "errors": 0,
    }
    assert {t["provider"] for t in planned["targets"]} == {"gcp"}


def test_validate_of_gcp_profiles_loads_no_google_library() -> None:
    script = (
        "import sys\nfrom cloudtimeouts.cli import main\n"
        f"try:\n    main(['validate', *{[str(p) for p in EXAMPLES]!r}])\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('google', 'grpc')]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
