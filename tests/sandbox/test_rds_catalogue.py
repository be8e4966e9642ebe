"""The RDS emulator's catalogue: data files with sources, version gates, RDS vs Aurora facts.

Why: the emulator is only worth testing the tool against if its catalogue says what RDS says,
independently of the tool's own catalog. These tests pin the documented facts (each data row
cites its source) and the loader's guarantees.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cloudtimeouts.sandbox.rds import FAMILIES, family_catalogue
from cloudtimeouts.sandbox.rds.catalogue import ENGINE_FILES, _engine_rows

PACKAGE = Path(__file__).resolve().parents[2] / "cloudtimeouts" / "sandbox" / "rds"
PG16 = family_catalogue("postgres16")


def test_the_rds_emulators_families_of_rds_and_aurora() -> None:
    assert {
        *(f"postgres{major}" for major in range(13, 18)),
        *(f"aurora-postgresql{major}" for major in range(13, 17)),
        "mysql8.0",
        "mysql8.4",
        "aurora-mysql8.0",
        "mariadb10.6",
        "mariadb10.11",
        "mariadb11.4",
    } == set(FAMILIES)
    for name, family in FAMILIES.items():
        assert len(family_catalogue(name)) >= 30, name
        assert family.cluster_groups is (family.engine != "mariadb"), name
    assert FAMILIES["aurora-mysql8.0"].rds_engine == "aurora-mysql"


def test_the_rds_emulator_lists_rds_postgresql_timeouts_as_its_sources_say() -> None:
    assert len(PG16) > 100  # so that one read needs several pages of 100
    keepalive = PG16["tcp_keepalives_idle"]
    assert (keepalive.value, keepalive.source, keepalive.apply_type) == ("300", "system", "dynamic")
    assert "DeadConnectionHandling" in keepalive.url
    assert (PG16["tcp_keepalives_interval"].value, PG16["tcp_keepalives_count"].value) == (
        "30",
        "2",
    )
    for name in (
        "statement_timeout",
        "idle_session_timeout",
        "idle_in_transaction_session_timeout",
    ):
        row = PG16[name]
        assert (row.value, row.source, row.allowed) == (None, "engine-default", "0-2147483647")
    assert PG16["max_connections"].value == "LEAST({DBInstanceClassMemory/9531392},5000)"
    assert PG16["shared_buffers"].apply_type == "static"
    assert (family_catalogue("postgres14")["rds.force_ssl"].value, PG16["rds.force_ssl"].value) == (
        None,
        "1",
    )


def test_the_rds_emulators_aurora_postgresql_differs_where_its_parameter_reference_says() -> None:
    aurora = family_catalogue("aurora-postgresql16")
    idle = aurora["idle_in_transaction_session_timeout"]
    assert (idle.value, idle.source, idle.apply_type) == ("86400000", "system", "dynamic")
    assert "AuroraPostgreSQL.Reference.ParameterGroups" in idle.url
    assert aurora["tcp_keepalives_idle"].value is None  # listed without a value
    assert "lock_timeout" not in aurora and "tcp_user_timeout" not in aurora
    assert "checkpoint_timeout" not in aurora and "max_wal_size" not in aurora


def test_the_rds_emulators_mysql_and_mariadb_timeouts_with_their_engine_ranges() -> None:
    mysql, maria = family_catalogue("mysql8.0"), family_catalogue("mariadb10.11")
    assert mysql["wait_timeout"].allowed == maria["wait_timeout"].allowed == "1-31536000"
    assert mysql["max_execution_time"].allowed == "0-4294967295"
    assert mysql["innodb_lock_wait_timeout"].allowed == "1-1073741824"
    assert maria["innodb_lock_wait_timeout"].allowed == "0-100000000"
    assert maria["lock_wait_timeout"].allowed == "0-31536000"
    assert maria["max_statement_time"].data_type == "float"
    assert {"idle_transaction_timeout", "idle_write_transaction_timeout"} <= set(maria)
    assert "max_statement_time" not in mysql and "max_execution_time" not in maria
    assert mysql["innodb_buffer_pool_size"].apply_type == "static"
    assert "wait_timeout" in family_catalogue("aurora-mysql8.0")


@pytest.mark.parametrize(
    ("family", "present", "absent"),
    [
        ("postgres13", {"tcp_user_timeout", "old_snapshot_threshold"}, {"idle_session_timeout"}),
        ("postgres14", {"idle_session_timeout", "client_connection_check_interval"}, set()),
        ("postgres16", {"scram_iterations"}, {"transaction_timeout", "summarize_wal"}),
        ("postgres17", {"transaction_timeout", "summarize_wal"}, {"old_snapshot_threshold"}),
        ("mysql8.0", {"default_authentication_plugin"}, {"innodb_redo_log_capacity"}),
        ("mysql8.4", {"innodb_redo_log_capacity"}, {"default_authentication_plugin"}),
        ("aurora-mysql8.0", {"wait_timeout"}, {"innodb_log_file_size", "sync_binlog"}),
    ],
)
def test_version_gated_parameters_appear_only_where_the_engine_has_them(
    family: str, present: set[str], absent: set[str]
) -> None:
    catalogue = family_catalogue(family)
    assert present <= set(catalogue)
    assert not absent & set(catalogue)


def test_every_row_cites_a_source_and_lists_sorted() -> None:
    for engine in ENGINE_FILES:
        for row in _engine_rows(engine):
            assert row.parameter.url.startswith("https://"), row.parameter.name
    assert list(PG16) == sorted(PG16)
    for path in (PACKAGE / "data").glob("*.csv"):
        assert path.read_text().startswith("# "), f"{path.name} has no header citing sources"


def test_the_emulator_imports_nothing_from_the_tool() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            else:
                continue
            if module.startswith("cloudtimeouts"):
                assert module.startswith("cloudtimeouts.sandbox."), f"{path.name}: {module}"
