"""The one place where desired values meet current ones: a Plan that every rendering reads.

`plan`, `apply` and the JSON output all use `build_target_plan`; nothing else diffs. Every check
that can stop a write runs here, at plan time (the target's range, read-only parameters, the unit
the target counts in, the guard), so that `apply` never refuses what `plan` accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudtimeouts import guard
from cloudtimeouts.catalog import (
    ApplyType,
    Engine,
    ParameterSpec,
    Provider,
    idle_parameters,
    parameters,
)
from cloudtimeouts.durations import Duration, DurationError, NativeUnit
from cloudtimeouts.model import Change, CurrentSource, Finding, ParameterState, TargetState
from cloudtimeouts.profile import Profile, Target

FORMAT_VERSION = "1"

# The words providers use for a parameter's unit (Azure's `unit` field), per native unit.
_UNIT_WORDS = {
    NativeUnit.MILLISECONDS: frozenset({"milliseconds", "ms"}),
    NativeUnit.SECONDS: frozenset({"seconds", "s"}),
    NativeUnit.FRACTIONAL_SECONDS: frozenset({"seconds", "s"}),
}


@dataclass(frozen=True, slots=True)
class TargetPlan:
    profile: Profile
    target: Target
    state: TargetState | None = None  # what the plan read; apply compares against it
    changes: tuple[Change, ...] = ()
    unchanged: tuple[str, ...] = ()
    refusals: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    error: str | None = None

    @property
    def id(self) -> str:
        return self.target.id

    @property
    def provider(self) -> Provider:
        return Provider(self.target.provider)

    @property
    def restart_changes(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.apply == "restart")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider.value,
            "profile": self.profile.name,
            "changes": [change.to_json() for change in self.changes],
            "unchanged": list(self.unchanged),
            "refusals": [finding.to_json() for finding in self.refusals],
            "warnings": [finding.to_json() for finding in self.warnings],
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[TargetPlan, ...] = field(default_factory=tuple)

    @property
    def change_count(self) -> int:
        return sum(len(target.changes) for target in self.targets)

    @property
    def refusal_count(self) -> int:
        return sum(len(target.refusals) for target in self.targets)

    @property
    def error_count(self) -> int:
        return sum(1 for target in self.targets if target.error)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "targets": [target.to_json() for target in self.targets],
            "summary": {
                "changes": self.change_count,
                "refusals": self.refusal_count,
                "errors": self.error_count,
            },
        }


def failed_target_plan(profile: Profile, target: Target, message: str) -> TargetPlan:
    return TargetPlan(profile=profile, target=target, error=message)


def build_target_plan(profile: Profile, target: Target, state: TargetState) -> TargetPlan:
    """Diff the profile against one target's state, check the target's limits, run the guard."""
    provider = Provider(target.provider)
    specs = parameters(profile.engine)
    changes: list[Change] = []
    unchanged: list[str] = []
    problems: list[str] = []
    for name, desired_value in profile.server.items():
        spec = specs[name]
        seen = state.parameters.get(name, ParameterState(name))
        desired = spec.to_native_checked(desired_value)
        current, source = _current(spec, seen, provider)
        problem = _target_limit_problem(spec, seen, desired)
        if problem:
            problems.append(problem)
            continue
        if _same(current, desired, spec.unit):
            unchanged.append(name)
            continue
        apply_type = seen.apply_type or spec.apply_type_for(provider)
        changes.append(
            Change(
                parameter=name,
                current=current,
                current_source=source,
                desired=desired,
                unit=spec.unit,
                apply="immediate" if apply_type is ApplyType.DYNAMIC else "restart",
                reason=f"profile {profile.name} sets {desired_value.human()}",
            )
        )
    if problems:
        return failed_target_plan(profile, target, "; ".join(problems))
    refusals, warnings = _guard(profile, target, state)
    if state.restart_notice:
        warnings += [
            Finding(c.parameter, f"{c.parameter}: {state.restart_notice}")
            for c in changes
            if c.apply == "restart"
        ]
    return TargetPlan(
        profile=profile,
        target=target,
        state=state,
        changes=tuple(changes),
        unchanged=tuple(unchanged),
        refusals=tuple(refusals),
        warnings=tuple(warnings),
    )


def current_idle_timeouts(
    engine: Engine, state: TargetState, provider: Provider
) -> dict[str, guard.Observed]:
    """The idle timeouts in force on a target now, as the guard sees them."""
    observed = {}
    for spec in idle_parameters(engine):
        current, source = _current(spec, state.parameters.get(spec.name), provider)
        try:
            value = Duration.from_native(current, spec.unit)
        except DurationError:
            continue  # not a number (e.g. an RDS formula); nothing the guard can compare
        observed[spec.name] = guard.Observed(value, current, source)
    return observed


def _guard(
    profile: Profile, target: Target, state: TargetState
) -> tuple[list[Finding], list[Finding]]:
    provider = Provider(target.provider)
    current = current_idle_timeouts(profile.engine, state, provider)
    after = guard.effective_idle_timeouts(profile.engine, profile.server, current)
    conn_max_age, margin = profile.django.conn_max_age, profile.guard.margin
    refusals = guard.check(profile.engine, conn_max_age, margin, after, target.id)
    refused = {refusal.parameter for refusal in refusals}
    now_unsafe = guard.check(profile.engine, conn_max_age, margin, current, target.id)
    warnings = [
        Finding(v.parameter, f"currently unsafe: {v.message} This plan fixes it.")
        for v in now_unsafe
        if v.parameter not in refused
    ]
    return refusals, warnings


def _current(
    spec: ParameterSpec, seen: ParameterState | None, provider: Provider
) -> tuple[str, CurrentSource]:
    if seen is not None and seen.value not in (None, ""):
        return seen.value, "default" if seen.value_is_default else "target"  # type: ignore[return-value]
    if seen is not None and seen.default not in (None, ""):
        return seen.default, "default"  # type: ignore[return-value]
    return spec.default_for(provider).to_native(spec.unit), "default"


def _same(current: str, desired: str, unit: NativeUnit) -> bool:
    try:
        return Duration.from_native(current, unit) == Duration.from_native(desired, unit)
    except DurationError:
        return current == desired


def _target_limit_problem(spec: ParameterSpec, seen: ParameterState, desired: str) -> str | None:
    """What the target itself forbids, found before any write (never left to the cloud)."""
    if not seen.modifiable:
        why = seen.unmodifiable_reason or "the provider marks it read-only"
        return f"{spec.name} is not modifiable on this target ({why})"
    reported = (seen.unit or "").strip().lower()
    if reported and reported not in _UNIT_WORDS[spec.unit]:
        return (
            f"the target counts {spec.name} in {reported}, but cloudtimeouts counts it in "
            f"{spec.unit.symbol}; nothing will be written there"
        )
    if seen.allowed is not None:
        low, high = seen.allowed
        try:
            number = Decimal(desired)
        except InvalidOperation:
            return None
        if not low <= number <= high:
            return (
                f"{spec.name} = {desired} {spec.unit.symbol} is outside what this target allows "
                f"({low}..{high} {spec.unit.symbol})"
            )
    return None


def offline_violations(profile: Profile) -> list[Finding]:
    """The guard with no target: declared values, else the engines' documented defaults."""
    effective = guard.effective_idle_timeouts(profile.engine, profile.server, {})
    return guard.check(
        profile.engine,
        profile.django.conn_max_age,
        profile.guard.margin,
        effective,
        f"profile {profile.name}",
    )
