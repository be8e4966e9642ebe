"""The invariant: Django must never reuse a connection that something else has already closed.

Django keeps a connection for up to CONN_MAX_AGE seconds after it opened it, so an idle timeout
at or below CONN_MAX_AGE (plus the profile's safety margin) can close a connection Django will
still hand to a request. Pure functions: the caller says where each value came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cloudtimeouts.catalog import Engine, idle_parameters
from cloudtimeouts.durations import Duration
from cloudtimeouts.model import Finding

ValueSource = Literal["profile", "target", "default"]

_SOURCE_WORDS: Mapping[ValueSource, str] = {
    "profile": "from the profile",
    "target": "set on the target",
    "default": "the default in effect",
}


@dataclass(frozen=True, slots=True)
class Observed:
    """A timeout's value and where it came from, in the parameter's native unit for messages."""

    value: Duration
    native: str
    source: ValueSource


def effective_idle_timeouts(
    engine: Engine,
    declared: Mapping[str, Duration],
    current: Mapping[str, Observed],
) -> dict[str, Observed]:
    """Profile value, else the target's current value, else the engine's default."""
    result: dict[str, Observed] = {}
    for spec in idle_parameters(engine):
        if spec.name in declared:
            value = declared[spec.name]
            result[spec.name] = Observed(value, spec.to_native_checked(value), "profile")
        elif spec.name in current:
            result[spec.name] = current[spec.name]
        else:
            result[spec.name] = Observed(spec.default, spec.default.to_native(spec.unit), "default")
    return result


def check(
    engine: Engine,
    conn_max_age: int | None,
    margin: Duration,
    effective: Mapping[str, Observed],
    where: str,
) -> list[Finding]:
    """Every enabled idle timeout that could close a connection Django may still reuse."""
    units = {spec.name: spec.unit for spec in idle_parameters(engine)}
    violations = []
    for name, observed in effective.items():
        if observed.value.disabled:
            continue
        unit = units[name]
        shown = (
            f"{observed.native} {unit.symbol} ({observed.value.human()}, "
            f"{_SOURCE_WORDS[observed.source]})"
        )
        if conn_max_age is None:
            violations.append(
                Finding(
                    name,
                    f"{where}: {name} = {shown} closes idle connections, but CONN_MAX_AGE is "
                    f"unlimited, so Django may reuse a connection the server already closed. "
                    f"Set conn_max_age below {observed.value.human()} or disable {name}.",
                )
            )
            continue
        budget = Duration.of_seconds(conn_max_age) + margin
        if budget >= observed.value:
            with_margin = (
                f" + margin {margin.human()} = {budget.human()}" if not margin.disabled else ""
            )
            violations.append(
                Finding(
                    name,
                    f"{where}: {name} = {shown} is not above CONN_MAX_AGE {conn_max_age} s"
                    f"{with_margin}: Django may reuse a connection the server already closed. "
                    f"Raise {name} above {budget.human()} or lower conn_max_age.",
                )
            )
    return violations
