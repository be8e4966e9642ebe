"""catalog: what the tool knows of each engine's timeouts is self-consistent and as documented."""

from __future__ import annotations

import pytest

from cloudtimeouts.catalog import (
    AURORA_POSTGRESQL,
    PROVIDER_ENGINES,
    Engine,
    Provider,
    idle_parameters,
    parameters,
)
from cloudtimeouts.durations import Duration

GUARDED = {
    Engine.POSTGRES: {"idle_session_timeout", "idle_in_transaction_session_timeout"},
    Engine.MYSQL: {"wait_timeout", "interactive_timeout"},
    Engine.MARIADB: {
        "wait_timeout",
        "interactive_timeout",
        "idle_transaction_timeout",
        "idle_write_transaction_timeout",
        "idle_readonly_transaction_timeout",
    },
}


@pytest.mark.parametrize("engine", list(Engine))
def test_the_guard_watches_exactly_the_idle_timeouts_the_design_names(engine: Engine) -> None:
    assert {spec.name for spec in idle_parameters(engine)} == GUARDED[engine]


@pytest.mark.parametrize(
    "spec", [spec for engine in Engine for spec in parameters(engine).values()], ids=str
)
def test_every_default_is_within_its_range_and_exact_in_its_unit(spec) -> None:  # type: ignore[no-untyped-def]
    defaults = [spec.default, *spec.provider_defaults.values(), *spec.platform_defaults.values()]
    for default in defaults:
        assert spec.minimum <= default <= spec.maximum
        assert Duration.from_native(default.to_native(spec.unit), spec.unit) == default


def test_provider_and_platform_defaults_win_in_that_order() -> None:
    keepalive = parameters(Engine.POSTGRES)["tcp_keepalives_idle"]
    assert keepalive.default_for(None) == Duration.of_seconds(0)
    assert keepalive.default_for(Provider.AWS) == Duration.of_seconds(300)
    idle_tx = parameters(Engine.POSTGRES)["idle_in_transaction_session_timeout"]
    assert idle_tx.default_for(Provider.AWS, "postgres16").disabled
    assert idle_tx.default_for(Provider.AWS, f"{AURORA_POSTGRESQL}16") == Duration.of_seconds(86400)


def test_the_catalog_offers_no_mariadb_on_cloud_sql_or_azure() -> None:
    # Cloud SQL's API has no MariaDB version at all (google-cloud-sql's SqlDatabaseVersion,
    # generated from the API); Azure's flexible servers are PostgreSQL and MySQL only (the
    # catalog's source; Azure Database for MariaDB was a single-server offer, now retired).
    from google.cloud.sqladmin_v1beta4 import SqlDatabaseVersion

    assert [v.name for v in SqlDatabaseVersion if "MARIA" in v.name] == []
    assert Engine.MARIADB not in PROVIDER_ENGINES[Provider.GCP]
    assert Engine.MARIADB not in PROVIDER_ENGINES[Provider.AZURE]
