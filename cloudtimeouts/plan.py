"""The one place where desired values meet current ones: a Plan that every rendering reads.

`plan`, `apply` and the JSON output all use `build_target_plan`; nothing else diffs. Every check
that can stop a write runs here, at plan time (the target's range, read-only parameters, the unit
the target counts in, the guard), so that `apply` never refuses what `plan` accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cloudtimeouts import guard
from cloudtimeouts.catalog import (
    AURORA_MYSQL,
    AURORA_POSTGRESQL,
    PGBOUNCER_SERVER_PARAMETERS,
    RDS_PROXY_IDLE_CLIENT_TIMEOUT,
    ApplyType,
    Engine,
    ParameterSpec,
    Provider,
    idle_parameters,
    parameters,
)
from cloudtimeouts.chain import budget_of, path_findings
from cloudtimeouts.durations import Duration, DurationError, NativeUnit
from cloudtimeouts.model import (
    KNOWN_AFTER_APPLY,
    Change,
    CurrentSource,
    Finding,
    ParameterState,
    TargetState,
)
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
class TerraformSource:
    """Where a plan judged from a Terraform/OpenTofu plan came from, and what it did not judge.

    `unmatched` lists (address, why) for each resource of a judged type that matches no target:
    listed so that a typo in a name is seen, never judged against a profile it does not belong to.
    """

    path: str
    terraform_version: str
    unmatched: tuple[tuple[str, str], ...] = ()

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


def build_target_plan(profile: Profile, target: Target, state: TargetState) -> TargetPlan:
    """Diff the profile against one target's state, check the target's limits, run the guard."""
    provider = Provider(target.provider)
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
        current, source = _current(spec, seen, provider, state)
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


def managed(
    profile: Profile, target: Target
) -> tuple[Mapping[str, ParameterSpec], dict[str, Duration]]:
    """What a target manages and the values the profile wants there.

    A parameter group, instance or server: the engine's catalog and `server:`. An RDS Proxy
    (`rds_proxy:`): its IdleClientTimeout, from the path's rds-proxy hop of the same name.
    """
    proxy = getattr(target, "rds_proxy", None)
    if proxy is None:
        specs, desired = dict(parameters(profile.engine)), dict(profile.server)
        for hop in _azure_pgbouncers(profile, target):
            for name, spec in PGBOUNCER_SERVER_PARAMETERS.items():
                specs[name] = spec
                value = getattr(hop, name.removeprefix("pgbouncer."))
                if value is not None:
                    desired[name] = value
        return specs, desired
    spec = RDS_PROXY_IDLE_CLIENT_TIMEOUT
    hop = next(h for h in profile.path if h.kind == "rds-proxy" and h.name == proxy)
    value = getattr(hop, "idle_client_timeout", None)
    return {spec.name: spec}, ({spec.name: value} if value is not None else {})


def _azure_pgbouncers(profile: Profile, target: Target) -> list[Any]:
    """Azure's built-in PgBouncer is configured by `pgbouncer.*` server parameters of the server
    (learn.microsoft.com/azure/postgresql/flexible-server/concepts-pgbouncer)."""
    if target.provider != "azure":
        return []
    return [hop for hop in profile.path if hop.kind == "azure-pgbouncer"]


def _path_as_read(profile: Profile, target: Target, state: TargetState) -> Profile:
    """The profile with each Azure PgBouncer hop's undeclared timeouts as the server has them."""
    hops = _azure_pgbouncers(profile, target)
    if not hops:
        return profile
    path = []
    for hop in profile.path:
        if hop in hops:
            update = {}
            for name, spec in PGBOUNCER_SERVER_PARAMETERS.items():
                field = name.removeprefix("pgbouncer.")
                seen = state.parameters.get(name)
                if getattr(hop, field) is None and seen is not None and seen.value:
                    try:
                        update[field] = Duration.from_native(seen.value, spec.unit)
                    except DurationError:
                        continue
            hop = hop.model_copy(update=update)
        path.append(hop)
    return profile.model_copy(update={"path": path})


def _proxy_guard(
    profile: Profile, target: Target, state: TargetState
) -> tuple[list[Finding], list[Finding]]:
    """An RDS Proxy closes Django's idle client connections: its value in force after the plan
    (the profile's, else the proxy's own) must outlast Django's idle budget."""
    spec = RDS_PROXY_IDLE_CLIENT_TIMEOUT
    _, desired = managed(profile, target)
    seen = state.parameters.get(spec.name)
    if spec.name in desired and state.source != "terraform":
        value, source = desired[spec.name], "from the profile"
    elif seen is not None and seen.value == KNOWN_AFTER_APPLY:
        return [_unknown_until_apply(target.id, spec.name)], []
    elif seen is not None and seen.value:
        where = "set by the Terraform plan" if state.source == "terraform" else "set on the proxy"
        try:
            value, source = Duration.from_native(seen.value, spec.unit), where
        except DurationError:
            if state.source != "terraform":
                raise
            return [_not_a_number_in_terraform(target.id, spec.name, seen.value)], []
    else:
        value, source = spec.default, "the default in effect"
    shown = f"{value.to_native(spec.unit)} s ({value.human()}, {source})"
    refusal = guard.judge(
        spec.name, shown, value, budget_of(profile.django), profile.guard.margin, target.id,
        in_transaction=False, closer="RDS Proxy",
    )  # fmt: skip
    proxy = getattr(target, "rds_proxy", "")
    path_refusals, notes = path_findings(profile)
    others = [f for f in path_refusals if not f.parameter.startswith(f"{proxy}.")]
    return ([refusal] if refusal else []) + others, notes


def current_idle_timeouts(
    engine: Engine, state: TargetState, provider: Provider
) -> tuple[dict[str, guard.Observed], dict[str, str]]:
    """The idle timeouts in force on a target now, and those the tool cannot evaluate.

    A value that is not a number in the parameter's unit (an RDS formula such as
    `{DBInstanceClassMemory/1073741824}` or `LEAST(...)`) is returned apart, never replaced by a
    default: the guard cannot know when such a timeout closes a connection.
    """
    observed, unknown = {}, {}
    for spec in idle_parameters(engine):
        current, source = _current(spec, state.parameters.get(spec.name), provider, state)
        try:
            value = Duration.from_native(current, spec.unit)
        except DurationError:
            unknown[spec.name] = current
            continue
        observed[spec.name] = guard.Observed(value, current, source)
    return observed, unknown


def _guard(
    profile: Profile, target: Target, state: TargetState
) -> tuple[list[Finding], list[Finding]]:
    if getattr(target, "rds_proxy", None):
        return _proxy_guard(profile, target, state)
    provider = Provider(target.provider)
    current, unknown = current_idle_timeouts(profile.engine, state, provider)
    conn_max_age, margin = profile.django.conn_max_age, profile.guard.margin
    budget = budget_of(profile.django)
    if state.source == "terraform":  # what ships is Terraform's, whatever the profile says
        refusals = guard.check(
            profile.engine, conn_max_age, margin, current, target.id, budget=budget
        )
        refusals += [
            _unknown_until_apply(target.id, name)
            if value == KNOWN_AFTER_APPLY
            else _not_a_number_in_terraform(target.id, name, value)
            for name, value in unknown.items()
        ]
        refusals += _member_refusals(profile, state, current)  # Aurora members' overrides
        path_refusals, path_notes = path_findings(_path_as_read(profile, target, state))
        return refusals + path_refusals, path_notes
    after = guard.effective_idle_timeouts(profile.engine, profile.server, current)
    refusals = guard.check(profile.engine, conn_max_age, margin, after, target.id, budget=budget)
    refusals += _unevaluable(target.id, unknown, profile)
    refusals += _member_refusals(profile, state, after)
    path_refusals, path_notes = path_findings(_path_as_read(profile, target, state))
    refusals += path_refusals
    refused = {refusal.parameter for refusal in refusals}
    now_unsafe = guard.check(
        profile.engine, conn_max_age, margin, current, target.id, budget=budget
    )
    warnings = [
        Finding(v.parameter, f"currently unsafe: {v.message} This plan fixes it.")
        for v in now_unsafe
        if v.parameter not in refused
    ]
    return refusals, warnings + path_notes


def _unknown_until_apply(where: str, name: str) -> Finding:
    return Finding(
        name,
        f"{where}: {name} is unknown: the Terraform plan knows it only after apply, so the "
        f"guard cannot judge it. Give {name} a value Terraform knows at plan time (a literal or "
        "a variable), or judge the state after apply with cloudtimeouts plan.",
    )


def _not_a_number_in_terraform(where: str, name: str, value: str) -> Finding:
    """A value the Terraform plan knows but cloudtimeouts cannot evaluate (a formula, a unit
    suffix): what ships is Terraform's, so only the Terraform code can fix it."""
    return Finding(
        name,
        f"{where}: {name} = {value!r} (set by the Terraform plan) is not a number cloudtimeouts "
        f"can evaluate, so the guard cannot tell when it closes idle connections. Give {name} "
        "a number in its native unit in the Terraform code.",
    )


def _unevaluable(where: str, unknown: dict[str, str], profile: Profile) -> list[Finding]:
    return [
        Finding(
            name,
            f"{where}: {name} = {value!r} is not a number cloudtimeouts can evaluate, so the "
            f"guard cannot tell when it closes idle connections. Set {name} in the profile.",
        )
        for name, value in unknown.items()
        if name not in profile.server
    ]


def _member_refusals(
    profile: Profile, state: TargetState, cluster_after: dict[str, guard.Observed]
) -> list[Finding]:
    """Aurora: a member instance's DB parameter group overrides the cluster group where it sets a
    parameter (Aurora User Guide, "Parameter groups for Amazon Aurora"), so each member is judged
    on its own effective values."""
    refusals: list[Finding] = []
    conn_max_age, margin = profile.django.conn_max_age, profile.guard.margin
    for member in state.members:
        where = f"{state.target_id} member {member.instance} (DB parameter group {member.group})"
        overrides, unknown = {}, {}
        for spec in idle_parameters(profile.engine):
            seen = member.parameters.get(spec.name)
            if seen is None or seen.value in (None, ""):
                continue
            try:
                value = Duration.from_native(seen.value, spec.unit)
            except DurationError:
                unknown[spec.name] = seen.value
                continue
            overrides[spec.name] = guard.Observed(value, seen.value, state.source)
        effective = {**cluster_after, **overrides}
        refusals += guard.check(
            profile.engine, conn_max_age, margin, effective, where, budget=budget_of(profile.django)
        )
        refusals += [
            Finding(
                name,
                f"{where}: {name} = {value!r} overrides the cluster's value and is not a "
                "number cloudtimeouts can evaluate. Set it on the member's group.",
            )
            for name, value in unknown.items()
        ]
    return refusals


def _current(
    spec: ParameterSpec, seen: ParameterState | None, provider: Provider, state: TargetState
) -> tuple[str, CurrentSource]:
    if seen is not None and seen.value not in (None, ""):
        return seen.value, "default" if seen.value_is_default else state.source  # type: ignore[return-value]
    if seen is not None and seen.default not in (None, ""):
        return seen.default, "default"  # type: ignore[return-value]
    return spec.default_for(provider, state.version).to_native(spec.unit), "default"


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
    """The guard with no target: declared values, else the documented defaults.

    Offline the platform is unknown, so a target that may be Aurora (an AWS cluster parameter
    group) is judged with Aurora's defaults too, and the strictest result wins.
    """
    platforms = [""]
    aurora = {Engine.POSTGRES: AURORA_POSTGRESQL, Engine.MYSQL: AURORA_MYSQL}.get(profile.engine)
    if aurora and any(getattr(t, "cluster_parameter_group", None) for t in profile.targets):
        platforms.append(aurora)
    findings: dict[str, Finding] = {}
    for platform in platforms:
        defaults = {}
        for spec in idle_parameters(profile.engine):
            value = spec.default_for(None, platform)
            defaults[spec.name] = guard.Observed(value, value.to_native(spec.unit), "default")
        effective = guard.effective_idle_timeouts(profile.engine, profile.server, defaults)
        where = f"profile {profile.name}" + (f" (on {platform})" if platform else "")
        for finding in guard.check(
            profile.engine,
            profile.django.conn_max_age,
            profile.guard.margin,
            effective,
            where,
            budget=budget_of(profile.django),
        ):
            findings.setdefault(finding.parameter, finding)
    for finding in path_findings(profile)[0]:
        findings.setdefault(finding.parameter, finding)
    return list(findings.values())
