"""Azure's built-in PgBouncer: its `pgbouncer.*` server parameters planned, guarded and written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.profiles import azure_target, profile_text

from cloudtimeouts.providers.azure.cloud import AZURE_PGBOUNCER
from cloudtimeouts.sandbox.azure import catalogue

PGBOUNCER_SERVER_PARAMETERS = {spec.name: spec for spec in AZURE_PGBOUNCER.parameters.values()}

SUB, RG = "00000000-0000-0000-0000-0000000000cc", "pgb"


def write(tmp_path: Path, hop: str, conn_max_age: str = "5min") -> Path:
    text = profile_text(
        conn_max_age=conn_max_age,
        server={"idle_session_timeout": "1h"},
        targets=[azure_target(SUB, RG, "orders-pg")],
    )
    path = tmp_path / "orders.yaml"
    path.write_text(text + f"path:\n  - {hop}\n")
    return path


def test_a_declared_pgbouncer_timeout_is_planned_and_written(
    azure: Any, cli: Any, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "orders-pg", "postgres", version="16")
    profile = write(tmp_path, "{kind: azure-pgbouncer, name: builtin, server_idle_timeout: 5min}")
    plan = cli("plan", profile, "-o", "json")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    (target,) = json.loads(plan.stdout)["targets"]
    changes = {c["parameter"]: (c["current"], c["desired"]) for c in target["changes"]}
    assert changes["pgbouncer.server_idle_timeout"] == ("600", "300")
    applied = cli("apply", profile, "--yes")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    value = azure.configuration(SUB, RG, "orders-pg", "pgbouncer.server_idle_timeout")
    assert value["properties"]["value"] == "300"


def test_a_timeout_the_catalog_says_azure_lacks_is_a_profile_error_at_its_line(
    azure: Any, cli: Any, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "orders-pg", "postgres", version="16")
    profile = write(tmp_path, "{kind: azure-pgbouncer, name: builtin, client_idle_timeout: 1h}")
    plan = cli("plan", profile, "-o", "json")
    assert plan.exit_code == 1
    assert plan.stdout == ""
    line = (
        profile.read_text()
        .splitlines()
        .index("  - {kind: azure-pgbouncer, name: builtin, client_idle_timeout: 1h}")
    )
    assert (
        f"{profile}:{line + 1}: path.0.client_idle_timeout: Azure's built-in PgBouncer does not "
        "expose client_idle_timeout"
    ) in plan.stderr
    assert "Traceback" not in plan.stderr


def test_the_catalog_manages_exactly_the_pgbouncer_timeouts_the_azure_emulator_lists() -> None:
    """Each managed pgbouncer.* parameter is one Azure's emulator lists (data from Microsoft's
    tables), with its default and range; of Azure's timeouts, query_wait_timeout (a wait for a
    server connection, not an idle close) is the one left unmanaged."""
    rows = {spec.name: spec for spec in catalogue.parameters("postgres", "16")}
    for name, spec in PGBOUNCER_SERVER_PARAMETERS.items():
        row = rows[name]
        assert spec.default.to_native(spec.unit) == row.default_value, name
        low, high = row.allowed_values.split("-")
        assert (spec.minimum.to_native(spec.unit), spec.maximum.to_native(spec.unit)) == (
            low,
            high,
        ), name
    timeouts = {name for name in rows if name.startswith("pgbouncer.") and "timeout" in name}
    assert timeouts - set(PGBOUNCER_SERVER_PARAMETERS) == {"pgbouncer.query_wait_timeout"}


def test_rollback_restores_the_pgbouncer_parameters_exactly(
    azure: Any, cli: Any, tmp_path: Path
) -> None:
    azure.add_server(SUB, RG, "orders-pg", "postgres", version="16")
    before = azure.configuration(SUB, RG, "orders-pg", "pgbouncer.server_idle_timeout")
    profile = write(tmp_path, "{kind: azure-pgbouncer, name: builtin, server_idle_timeout: 5min}")
    journal = tmp_path / "apply.jsonl"
    applied = cli("apply", profile, "--yes", "--journal", journal)
    assert applied.exit_code == 0, applied.stdout + applied.stderr

    undone = cli("rollback", journal, "--yes", "-o", "json", "--journal", tmp_path / "undo")
    assert undone.exit_code == 0, undone.stdout + undone.stderr
    (target,) = json.loads(undone.stdout)["targets"]
    assert "pgbouncer.server_idle_timeout" in target["written"]
    after = azure.configuration(SUB, RG, "orders-pg", "pgbouncer.server_idle_timeout")
    assert after["properties"]["value"] == before["properties"]["value"] == "600"
    assert after["properties"]["source"] == before["properties"]["source"]
