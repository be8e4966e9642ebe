"""The Cloud SQL flag catalogue: a package data file written from Google's docs, loaded as such.

Why: the emulator must be able to disagree with the tool, so its flags come from the provider's
documentation (with sources), never from cloudtimeouts' own catalogue, and the sandbox imports
nothing from the tool.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

from cloudtimeouts.sandbox.cloudsql import ENUM_VALUES, FlagRow, flag_names
from cloudtimeouts.sandbox.cloudsql.catalogue import Catalogue, default_catalogue

DATA = resources.files("cloudtimeouts.sandbox.cloudsql").joinpath("data", "flags.json")


def _raw_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(DATA.read_text("utf-8"))["flags"]
    return rows


def test_the_data_file_is_package_data_with_its_sources() -> None:
    document = json.loads(DATA.read_text("utf-8"))

    assert set(document["sources"]) == {"flag fields", "mysql", "postgres"}
    assert "cloud.google.com/sql/docs/mysql/flags" in document["sources"]["mysql"]
    assert "cloud.google.com/sql/docs/postgres/flags" in document["sources"]["postgres"]
    assert len(default_catalogue()) == len(document["flags"]) > 40


@pytest.mark.parametrize("row", _raw_rows(), ids=lambda row: f"{row['name']}")
def test_every_row_is_a_well_formed_flag_with_a_source(row: dict[str, object]) -> None:
    flag = FlagRow.from_json(row)

    assert flag.source.startswith("https://cloud.google.com/sql/docs/")
    assert flag.applies_to and set(flag.applies_to) <= set(ENUM_VALUES["databaseVersion"])
    engine = "postgres" if flag.applies_to[0].startswith("POSTGRES") else "mysql"
    assert all(v.lower().startswith(engine) for v in flag.applies_to)
    assert f"/docs/{engine}/flags" in flag.source
    if flag.confidence == "unverified":
        assert row.get("note"), "an unverified row says where its value comes from"
    if flag.type in ("INTEGER", "FLOAT"):
        assert flag.min_value is not None and flag.max_value is not None
        assert flag.min_value <= flag.max_value
    else:
        assert flag.min_value is None and flag.max_value is None
    assert not flag.allowed_string_values or flag.type == "STRING"


@pytest.mark.parametrize(
    ("version", "flag", "low", "high", "restart"),
    [
        # As cloud.google.com/sql/docs/mysql/flags states them.
        ("MYSQL_8_0", "wait_timeout", 1, 31_536_000, False),
        ("MYSQL_8_4", "interactive_timeout", 1, 31_536_000, False),
        ("MYSQL_8_0", "lock_wait_timeout", 1, 31_536_000, False),
        ("MYSQL_8_0", "innodb_lock_wait_timeout", 1, 1_073_741_824, False),
        ("MYSQL_8_0", "net_read_timeout", 30, 4_294_967_295, False),
        ("MYSQL_8_0", "net_write_timeout", 60, 4_294_967_295, False),
        ("MYSQL_8_0", "max_execution_time", 0, 9_223_372_036_854_775_807, False),
        ("MYSQL_8_0", "max_connections", 1, 100_000, False),
        # cloud.google.com/sql/docs/postgres/flags, as transcribed (see the file's sources).
        ("POSTGRES_16", "idle_in_transaction_session_timeout", 0, 2_147_483_647, False),
        ("POSTGRES_16", "log_min_duration_statement", -1, 2_147_483_647, False),
        ("POSTGRES_16", "tcp_keepalives_idle", 0, 2_147_483_647, False),
    ],
)
def test_the_emulators_catalogue_holds_the_documented_values(
    version: str, flag: str, low: int, high: int, restart: bool
) -> None:
    row = default_catalogue().for_version(version)[flag]

    assert (row.min_value, row.max_value, row.requires_restart) == (low, high, restart)


def test_the_emulators_catalogue_gates_flags_by_version() -> None:
    assert "idle_session_timeout" not in flag_names("POSTGRES_13")
    assert "idle_session_timeout" in flag_names("POSTGRES_14")
    assert "transaction_timeout" in flag_names("POSTGRES_17")
    assert "transaction_timeout" not in flag_names("POSTGRES_16")
    assert "default_authentication_plugin" in flag_names("MYSQL_8_0")
    assert "default_authentication_plugin" not in flag_names("MYSQL_8_4")
    assert "expire_logs_days" not in flag_names("MYSQL_8_4")
    assert flag_names("SQLSERVER_2019_STANDARD") == ()


def test_changed_copies_for_tests_leave_the_default_alone() -> None:
    base = default_catalogue()
    narrower = base.replaced("wait_timeout", max_value=86_400)
    extra = base.with_row(FlagRow("future_timeout", "INTEGER", ("POSTGRES_16",), 0, 10))

    assert narrower.for_version("MYSQL_8_0")["wait_timeout"].max_value == 86_400
    assert base.for_version("MYSQL_8_0")["wait_timeout"].max_value == 31_536_000
    assert "future_timeout" in extra.for_version("POSTGRES_16")
    assert "future_timeout" not in flag_names("POSTGRES_16")
    with pytest.raises(KeyError):
        base.replaced("no_such_flag", max_value=1)
    with pytest.raises(ValueError, match="twice"):
        Catalogue([*base, base.for_version("MYSQL_8_0")["wait_timeout"]])


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("600", None),
        ("1", None),
        ("31536000", None),
        ("0", "Flag value is 0. wait_timeout must be between 1 and 31536000."),
        ("10min", "10min is not a valid integer."),
        ("1.5", "1.5 is not a valid integer."),
        (None, "wait_timeout requires a value."),
    ],
)
def test_integer_values_are_checked_against_the_range(
    value: str | None, problem: str | None
) -> None:
    assert default_catalogue().for_version("MYSQL_8_0")["wait_timeout"].problem(value) == problem


def test_the_sandbox_imports_nothing_from_the_tool() -> None:
    script = (
        "import sys\n"
        "import cloudtimeouts.sandbox.cloudsql as emulator\n"
        "with emulator.FakeCloudSql() as fake:\n"
        "    fake.add_instance('p', 'i', 'POSTGRES_16', {'lock_timeout': '1'})\n"
        "tool = sorted(m for m in sys.modules if m.startswith('cloudtimeouts.')\n"
        "              and not m.startswith('cloudtimeouts.sandbox'))\n"
        "assert not tool, tool\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
