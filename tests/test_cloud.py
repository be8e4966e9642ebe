"""cloud: what each provider package tells the core, read through the registry: defaults in
range, platform defaults winning over the cloud's and the engine's, engines offered, and nothing
registered twice."""

from __future__ import annotations

import pytest

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.cloud import Cloud, clouds, parameter_default, platform_of
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import kinds


def _specs(engine: Engine, name: str) -> list:  # type: ignore[type-arg]
    spec = parameters(engine).get(name)
    return [spec] if spec is not None else []


@pytest.mark.parametrize("described", list(clouds().values()), ids=lambda c: c.name)
def test_every_cloud_default_is_a_parameter_of_an_engine_it_offers_and_within_its_range(
    described: Cloud,
) -> None:
    for name, value in described.defaults.items():
        specs = [s for engine in described.engines for s in _specs(engine, name)]
        assert specs, f"{described.name} sets a default for {name}, which no engine it offers has"
        for spec in specs:
            assert spec.minimum <= value <= spec.maximum
            assert Duration.from_native(value.to_native(spec.unit), spec.unit) == value
    for platform in described.platforms:
        assert platform.engine in described.engines
        for name, value in platform.defaults.items():
            (spec,) = _specs(platform.engine, name)
            assert spec.minimum <= value <= spec.maximum


def test_the_platform_default_wins_over_the_cloud_default_which_wins_over_the_engine() -> None:
    keepalive = parameters(Engine.POSTGRES)["tcp_keepalives_idle"]
    assert parameter_default(keepalive, None) == Duration.of_seconds(0)
    assert parameter_default(keepalive, "aws") == Duration.of_seconds(300)
    idle_tx = parameters(Engine.POSTGRES)["idle_in_transaction_session_timeout"]
    assert parameter_default(idle_tx, "aws", "postgres16").disabled
    assert parameter_default(idle_tx, "aws", "aurora-postgresql16") == Duration.of_seconds(86400)
    assert platform_of("aurora-mysql8.0") is not None
    assert platform_of("mysql8.0") is None


def test_the_registry_offers_no_mariadb_on_cloud_sql_or_azure() -> None:
    # Cloud SQL's API has no MariaDB version at all (google-cloud-sql's SqlDatabaseVersion,
    # generated from the API); Azure's flexible servers are PostgreSQL and MySQL only (the
    # catalog's source; Azure Database for MariaDB was a single-server offer, now retired).
    from google.cloud.sqladmin_v1beta4 import SqlDatabaseVersion

    assert [v.name for v in SqlDatabaseVersion if "MARIA" in v.name] == []
    assert Engine.MARIADB not in clouds()["gcp"].engines
    assert Engine.MARIADB not in clouds()["azure"].engines


def test_each_cloud_is_registered_once_and_its_target_model_says_its_name() -> None:
    for name, described in clouds().items():
        assert described.name == name
        assert described.target.model_fields["provider"].annotation.__args__ == (name,)


def test_a_cloud_hop_kind_names_its_own_cloud_and_no_two_clouds_share_a_kind() -> None:
    owned = [kind for described in clouds().values() for kind in described.hop_kinds]
    assert len({kind.kind for kind in owned}) == len(owned)
    for described in clouds().values():
        for kind in described.hop_kinds:
            assert kind.cloud == described.name
            assert kinds()[kind.kind] is kind
            assert set(kind.parameters) <= {timeout.name for timeout in kind.timeouts}
