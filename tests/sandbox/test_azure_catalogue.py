"""The Azure emulator's parameter catalogue: data files written from Microsoft's documentation.

The rows are checked against themselves (every default is allowed, flags agree with the
documented parameter type, every source is cited) and a few against the documents they cite, so a
careless edit of the data shows up here rather than as a puzzling adapter failure.
"""

from __future__ import annotations

from importlib import resources

import pytest

from cloudtimeouts.sandbox.azure import catalogue
from cloudtimeouts.sandbox.azure.state import value_fits


def _by_name(engine: str, version: str) -> dict[str, catalogue.ServerParameter]:
    return {spec.name: spec for spec in catalogue.parameters(engine, version)}


def test_versions_and_the_version_gates() -> None:
    assert catalogue.versions("postgres") == ("16", "17")
    assert catalogue.versions("mysql") == ("8.0",)
    assert catalogue.resolve_version("mysql", "8.0.21") == "8.0"
    with pytest.raises(ValueError, match="no postgres '15'"):
        catalogue.parameters("postgres", "15")
    pg16, pg17 = _by_name("postgres", "16"), _by_name("postgres", "17")
    # Microsoft's PostgreSQL 17 statement-behavior table adds exactly these two.
    assert set(pg17) - set(pg16) == {"transaction_timeout", "event_triggers"}
    assert set(pg16) - set(pg17) == set()
    timeout = pg17["transaction_timeout"]
    assert (timeout.value, timeout.allowed_values, timeout.parameter_type) == (
        "0",
        "0-2147483647",
        "dynamic",
    )


@pytest.mark.parametrize("version", ["16", "17"])
def test_the_emulators_builtin_pgbouncer_parameters_have_their_documented_defaults(
    version: str,
) -> None:
    bouncer = {
        name: (spec.value, spec.allowed_values)
        for name, spec in _by_name("postgres", version).items()
        if name.startswith("pgbouncer.")
    }
    assert bouncer == {
        "pgbouncer.default_pool_size": ("50", "1-4950"),
        "pgbouncer.enabled": ("false", "true, false"),
        "pgbouncer.ignore_startup_parameters": ("", "[A-Za-z0-9_\\\\.,]*"),
        "pgbouncer.max_client_conn": ("5000", "1-50000"),
        "pgbouncer.max_prepared_statements": ("0", "0-5000"),
        "pgbouncer.min_pool_size": ("0", "0-4950"),
        "pgbouncer.pool_mode": ("transaction", "session,transaction,statement"),
        "pgbouncer.query_wait_timeout": ("120", "0-86400"),
        "pgbouncer.server_idle_timeout": ("600", "0-86400"),
        "pgbouncer.stats_users": ("", "[A-Za-z0-9,@_\\\\-\\\\.]*"),
    }
    # Microsoft documents no pgbouncer.client_idle_timeout or pgbouncer.server_lifetime.


@pytest.mark.parametrize(
    ("engine", "version"), [("postgres", "16"), ("postgres", "17"), ("mysql", "8.0")]
)
def test_every_row_is_consistent(engine: str, version: str) -> None:
    for spec in catalogue.parameters(engine, version):
        assert value_fits(spec.value, spec.data_type, spec.allowed_values), spec.name
        assert spec.value == spec.default_value, spec.name  # a new server runs its defaults
        assert spec.read_only == (spec.parameter_type == "read-only"), spec.name
        assert spec.dynamic == (spec.parameter_type == "dynamic"), spec.name
        assert not spec.pending_restart, spec.name
        assert spec.data_type in {"integer", "numeric", "boolean", "enumeration", "string"}
        assert spec.source, spec.name


@pytest.mark.parametrize(("engine", "file"), [("postgres", "postgres.csv"), ("mysql", "mysql.csv")])
def test_every_source_is_cited_in_the_file_header(engine: str, file: str) -> None:
    text = resources.files("cloudtimeouts.sandbox.azure").joinpath("data").joinpath(file)
    header = "".join(line for line in text.read_text().splitlines(True) if line.startswith("#"))
    assert "learn.microsoft.com" in header
    sources = {
        spec.source for v in catalogue.versions(engine) for spec in catalogue.parameters(engine, v)
    }
    assert {source for source in sources if source not in header} == set()


@pytest.mark.parametrize(
    ("value", "data_type", "allowed", "ok"),
    [
        ("0", "integer", "0-2147483647", True),
        ("-1", "integer", "-1-2147483647", True),
        ("-2", "integer", "-1-2147483647", False),
        ("1.5", "integer", "0-10", False),
        ("0.5", "numeric", "0-1", True),
        ("on", "boolean", "on,off", True),
        ("true", "boolean", "true, false", True),
        ("maybe", "enumeration", "ON,OFF", False),
        ('"$user", public', "string", '[A-Za-z0-9."$,_ -]+', True),
        ("a;b", "string", '[A-Za-z0-9."$,_ -]+', False),
        ("", "string", "[A-Za-z._]*", True),
        ("/tmp,/tmp/tuning_sockets", "string", "/tmp,/tmp/tuning_sockets", True),
        ("anything", "string", "", True),
    ],
)
def test_the_emulator_writes_allowed_values_as_azure_writes_them(
    value: str, data_type: str, allowed: str, ok: bool
) -> None:
    assert value_fits(value, data_type, allowed) is ok
