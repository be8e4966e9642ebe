"""`cloudtimeouts import` end to end on the three emulators: the profile it writes, planned
against the targets it came from, has no change (`plan --detailed-exitcode` exits 0)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.clouds import AZURE_RESOURCE_GROUP as RG
from support.clouds import AZURE_SUBSCRIPTION as SUB

from cloudtimeouts.importer import PROPOSED, SCHEMA_REFERENCE
from cloudtimeouts.sandbox.loopback import Fault

PG = {"idle_in_transaction_session_timeout": "600000", "statement_timeout": "30000"}
MYSQL = {"wait_timeout": "900", "interactive_timeout": "1200", "net_read_timeout": "60"}


def imported(cli: Any, path: Path, *targets: str, margin: str = "30s") -> Any:
    """Import into a new file, then check it the two ways a user would: validate and plan."""
    result = cli("import", *targets, "--name", "adopted", "--margin", margin, "--write", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"Wrote {path}: profile adopted" in result.stderr
    assert path.read_text().startswith(f"# yaml-language-server: $schema={SCHEMA_REFERENCE}\n")
    checked = cli("validate", path)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    planned = cli("plan", path, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert "Plan: 0 to change" in planned.stdout, planned.stdout
    return path.read_text()


def only_error(result: Any) -> str:
    """The one `Error:` of a failed run (its hint may follow); nothing on stdout."""
    assert result.stdout == "" and "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


# -- AWS: the realistic RDS emulator ------------------------------------------------------------
def test_aws_prints_the_profile_of_a_parameter_group(aws: Any, cli: Any) -> None:
    aws.create_group("orders-pg16", "postgres16", PG)
    result = cli(
        "import", "--aws-parameter-group", "orders-pg16", "--region", aws.region,
        "--name", "orders", "--margin", "30s",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"# yaml-language-server: $schema={SCHEMA_REFERENCE}\n"
        "# Imported by `cloudtimeouts import` from the values set on 1 target(s);\n"
        "# parameters at their default are left out. `cloudtimeouts plan` on it shows no "
        "change.\n"
        "name: orders\n"
        "engine: postgres\n"
        "django:\n"
        f"  {PROPOSED}\n"
        "  # (idle_in_transaction_session_timeout = 10min on "
        "aws:eu-west-1:parameter-group/orders-pg16)\n"
        "  conn_max_age: 9min29s\n"
        "  conn_health_checks: true\n"
        "guard:\n"
        "  margin: 30s\n"
        "server:\n"
        "  idle_in_transaction_session_timeout: 10min\n"
        "  statement_timeout: 30s\n"
        "targets:\n"
        "  - provider: aws\n"
        "    region: eu-west-1\n"
        "    parameter_group: orders-pg16\n"
    )


def test_aws_groups_import_and_plan_no_change(aws: Any, cli: Any, tmp_path: Path) -> None:
    aws.create_group("orders-a", "postgres16", PG)
    aws.create_group("orders-b", "postgres16", {**PG, "statement_timeout": "5000"})
    text = imported(
        cli, tmp_path / "orders.yaml",
        "--aws-parameter-group", "orders-a", "--aws-parameter-group", "orders-b",
        "--region", aws.region,
    )  # fmt: skip
    assert "  idle_in_transaction_session_timeout: 10min" in text
    assert "# not imported (each target keeps its own): statement_timeout" in text


def test_aws_mysql_imports_and_plans_no_change(aws: Any, cli: Any, tmp_path: Path) -> None:
    aws.create_group("billing", "mysql8.0", MYSQL)
    text = imported(
        cli, tmp_path / "billing.yaml", "--aws-parameter-group", "billing", "--region", aws.region
    )
    assert "  conn_max_age: 14min29s" in text and "  interactive_timeout: 20min" in text


def test_aws_aurora_members_count_in_the_proposal(aws: Any, cli: Any, tmp_path: Path) -> None:
    aws.create_group("search-aurora", "aurora-postgresql16", PG, cluster=True)
    aws.create_group("search-instances", "aurora-postgresql16", {"idle_session_timeout": "120000"})
    aws.create_cluster("search", "aurora-postgresql", "search-aurora", members=2,
                       instance_group="search-instances")  # fmt: skip
    text = imported(
        cli, tmp_path / "search.yaml",
        "--aws-cluster-parameter-group", "search-aurora", "--region", aws.region,
    )  # fmt: skip
    assert "  conn_max_age: 1min29s" in text  # the members' 2 min, less the 30 s margin


def test_aws_an_idle_timeout_formula_is_refused_naming_target_and_parameter(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    formula = "{DBInstanceClassMemory/1073741824}"  # an RDS formula: bytes of memory / 1 GiB
    aws.create_group("orders-pg16", "postgres16", {"idle_session_timeout": formula})
    path = tmp_path / "orders.yaml"
    result = cli(
        "import", "--aws-parameter-group", "orders-pg16", "--region", aws.region,
        "--name", "orders", "--write", path,
    )  # fmt: skip
    assert result.exit_code == 3
    error = only_error(result)
    assert "aws:eu-west-1:parameter-group/orders-pg16: idle_session_timeout" in error
    assert "'{DBInstanceClassMemory/1073741824}' is not a number" in error
    assert not path.exists()


def test_aws_a_group_that_does_not_exist_is_one_error(aws: Any, cli: Any) -> None:
    aws.create_group("orders-pg16", "postgres16", PG)
    result = cli(
        "import", "--aws-parameter-group", "orders-pg16", "--aws-parameter-group", "missing",
        "--region", aws.region, "--name", "orders",
    )  # fmt: skip
    assert result.exit_code == 1
    error = only_error(result)
    assert "aws:eu-west-1:parameter-group/missing" in error and "DBParameterGroupNotFound" in error


def test_aws_a_read_that_fails_is_one_error(aws: Any, cli: Any) -> None:
    aws.create_group("orders-pg16", "postgres16", PG)
    aws.faults.add(Fault.SERVER_ERROR, operation="DescribeDBParameters", rate=1)
    result = cli(
        "import", "--aws-parameter-group", "orders-pg16", "--region", aws.region,
        "--name", "orders",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "could not read: aws:eu-west-1:parameter-group/orders-pg16" in only_error(result)


def test_aws_a_conn_max_age_the_guard_refuses_writes_nothing(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16", PG)
    path = tmp_path / "orders.yaml"
    result = cli(
        "import", "--aws-parameter-group", "orders-pg16", "--region", aws.region,
        "--name", "orders", "--conn-max-age", "10min", "--write", path,
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: the guard refuses conn_max_age 10min")
    assert "idle_in_transaction_session_timeout = 600000 ms" in result.stderr
    assert not path.exists()


def test_aws_an_existing_file_is_replaced_only_with_force(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16", PG)
    path = tmp_path / "orders.yaml"
    path.write_text("mine\n")
    command = ("import", "--aws-parameter-group", "orders-pg16", "--region", aws.region,
               "--name", "orders", "--conn-max-age", "5min", "--write", path)  # fmt: skip
    refused = cli(*command)
    assert refused.exit_code == 1 and "exists; nothing was written" in only_error(refused)
    assert path.read_text() == "mine\n"
    assert cli(*command, "--force").exit_code == 0
    assert "  conn_max_age: 5min\n" in path.read_text()
    assert cli("plan", path, "--detailed-exitcode").exit_code == 0


# -- Google Cloud SQL ---------------------------------------------------------------------------
@pytest.mark.parametrize(("version", "flags"), [("POSTGRES_16", PG), ("MYSQL_8_0", MYSQL)])
def test_gcp_instance_imports_and_plans_no_change(
    gcp: Any, cli: Any, tmp_path: Path, version: str, flags: dict[str, str]
) -> None:
    gcp.add("orders-db", version, flags=flags)
    text = imported(cli, tmp_path / "orders.yaml", "--gcp-instance", f"{gcp.project}/orders-db")
    assert "    instance: orders-db" in text and f"    project: {gcp.project}" in text


def test_gcp_an_instance_that_does_not_exist_is_one_error(gcp: Any, cli: Any) -> None:
    result = cli("import", "--gcp-instance", f"{gcp.project}/missing", "--name", "orders")
    assert result.exit_code == 1
    assert f"gcp:{gcp.project}:instance/missing" in only_error(result)


# -- Azure flexible servers ---------------------------------------------------------------------
@pytest.mark.parametrize(("engine", "values"), [("postgres", PG), ("mysql", MYSQL)])
def test_azure_server_imports_and_plans_no_change(
    azure: Any, cli: Any, tmp_path: Path, engine: str, values: dict[str, str]
) -> None:
    azure.add_server(SUB, RG, "orders", engine, parameters=values)
    text = imported(cli, tmp_path / "orders.yaml", "--azure-server", f"{SUB}/{RG}/orders")
    assert f"engine: {engine}" in text


def test_azure_a_server_that_does_not_exist_is_one_error(azure: Any, cli: Any) -> None:
    result = cli("import", "--azure-server", f"{SUB}/{RG}/missing", "--name", "orders")
    assert result.exit_code == 1
    assert f"azure:{SUB}:{RG}:server/missing" in only_error(result)


# -- several providers at once ------------------------------------------------------------------
def test_one_engine_on_three_clouds_imports_into_one_profile(
    aws: Any, gcp: Any, azure: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16", PG)
    gcp.add("orders-db", "POSTGRES_16", flags=PG)
    azure.add_server(SUB, RG, "orders", "postgres", parameters=PG)
    text = imported(
        cli, tmp_path / "orders.yaml",
        "--aws-parameter-group", "orders-pg16", "--region", aws.region,
        "--gcp-instance", f"{gcp.project}/orders-db", "--azure-server", f"{SUB}/{RG}/orders",
    )  # fmt: skip
    assert "  idle_in_transaction_session_timeout: 10min" in text
    assert text.count("  - provider: ") == 3


def test_targets_of_two_engines_are_refused_naming_them(gcp: Any, azure: Any, cli: Any) -> None:
    gcp.add("orders-db", "POSTGRES_16", flags=PG)
    azure.add_server(SUB, RG, "billing", "mysql", parameters=MYSQL)
    result = cli(
        "import", "--gcp-instance", f"{gcp.project}/orders-db",
        "--azure-server", f"{SUB}/{RG}/billing", "--name", "mixed",
    )  # fmt: skip
    assert result.exit_code == 1
    error = only_error(result)
    assert f"postgres: gcp:{gcp.project}:instance/orders-db" in error
    assert f"mysql: azure:{SUB}:{RG}:server/billing" in error
