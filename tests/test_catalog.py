"""catalog: what the tool knows of each engine's timeouts is self-consistent and as documented."""

from __future__ import annotations

import pytest

from cloudtimeouts.catalog import Engine, idle_parameters, parameters
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
    assert spec.minimum <= spec.default <= spec.maximum
    assert Duration.from_native(spec.default.to_native(spec.unit), spec.unit) == spec.default
