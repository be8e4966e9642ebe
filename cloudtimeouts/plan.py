"""The one place where desired values meet current ones: a Plan that every rendering reads.

`plan`, `apply` and the JSON output all use `build_target_plan`; nothing else diffs. Every check
that can stop a write runs here, at plan time (the target's range, read-only parameters, the unit
the target counts in, and the guard's verdict from `verdict.judge_target`), so that `apply` never
refuses what `plan` accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudtimeouts.catalog import ApplyType, ParameterSpec
from cloudtimeouts.durations import Duration, DurationError, NativeUnit
from cloudtimeouts.model import Change, Finding, ParameterState, TargetState
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.targets import current_value, managed
from cloudtimeouts.verdict import Neighbour, judge_target

FORMAT_VERSION = "1"

# The words providers use for a parameter's unit (`ParameterState.unit`), per native unit.
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
    # the other profiles of the run, by the key of each target they manage: apply judges its
    # re-read against the same neighbours the plan was judged with
    neighbours: Mapping[str, Neighbour] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.target.id

    @property
    def provider(self) -> str:
        return str(self.target.provider)

    @property
    def restart_changes(self) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.apply == "restart")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "profile": self.profile.name,
            "changes": [change.to_json() for change in self.changes],
            "unchanged": list(self.unchanged),
            "refusals": [finding.to_json() for finding in self.refusals],
            "warnings": [finding.to_json() for finding in self.warnings],
            "error": self.error,
        }


STANDARD_INPUT = "standard input"  # a TerraformSource's path when the plan came from `-`


@dataclass(frozen=True, slots=True)
class TerraformSource:
    """Where a plan judged from a Terraform/OpenTofu plan came from, and what it did not judge.

    `unmatched` lists (address, why) for each resource of a judged type that matches no target:
    listed so that a typo in a name is seen, never judged against a profile it does not belong to.
    """

    path: str
    terraform_version: str
    unmatched: tuple[tuple[str, str], ...] = ()

    @property
    def from_stdin(self) -> bool:
        """Read from `-`: the renderings say "read from standard input", not a file's name."""
        return self.path == STANDARD_INPUT

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "terraform-plan",
            "path": self.path,
            "terraform_version": self.terraform_version,
            "unmatched_resources": [
                {"address": address, "reason": why} for address, why in self.unmatched
            ],
        }


@dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[TargetPlan, ...] = field(default_factory=tuple)
    terraform: TerraformSource | None = None  # None: the plan read the clouds themselves

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
        shown: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "targets": [target.to_json() for target in self.targets],
            "summary": {
                "changes": self.change_count,
                "refusals": self.refusal_count,
                "errors": self.error_count,
            },
        }
        if self.terraform is not None:
            shown["source"] = self.terraform.to_json()
        return shown


def failed_target_plan(profile: Profile, target: Target, message: str) -> TargetPlan:
    return TargetPlan(profile=profile, target=target, error=message)


def build_target_plan(
    profile: Profile,
    target: Target,
    state: TargetState,
    neighbours: Mapping[str, Neighbour] | None = None,
) -> TargetPlan:
    """Diff the profile against one target's state, check the target's limits, run the guard.

    `neighbours` are the run's other profiles by target key: where one of them manages a group
    the target's instances take values from, the verdict judges the values it will leave there,
    and judges its Django too (README, "The guard": several profiles on one database).
    """
    neighbours = neighbours or {}
    provider = target.provider
    specs, desired_values = managed(profile, target)
    changes: list[Change] = []
    unchanged: list[str] = []
    problems: list[str] = []
    for name, desired_value in desired_values.items():
        spec = specs[name]
        seen = state.parameters.get(name)
        if seen is None:  # adapters list every managed parameter the target has, set or not
            problems.append(
                f"the target has no parameter {name} ({state.version or 'its version'})"
            )
            continue
        desired = spec.to_native_checked(desired_value)
        current, source = current_value(spec, seen, provider, state)
        problem = _target_limit_problem(spec, seen, desired)
        if problem:
            problems.append(problem)
            continue
        if _same(current, desired, spec.unit):
            unchanged.append(name)
            continue
        apply_type = seen.apply_type or spec.apply_type
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
    refusals, warnings = judge_target(profile, target, state, neighbours)
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
        neighbours=neighbours,
    )


def rejudge(planned: TargetPlan, fresh: TargetState) -> TargetPlan:
    """The same plan and guard on a re-read, with the neighbours the plan was judged with:
    apply writes only when this finds what the approved plan found."""
    return build_target_plan(planned.profile, planned.target, fresh, planned.neighbours)


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
