"""Judge the values a Terraform/OpenTofu plan will leave, with the same plan, guard and renderings
as a plan read from the clouds, and without any cloud call.

How it fits: the plan's resources stand in for a provider adapter (`TerraformPlanReader`), whose
states say `source="terraform"`, so that `plan.build_target_plan` judges them as what will ship
(see TargetState): a refusal is a value Terraform will set that the guard refuses; a change is a
value the profile sets that the Terraform code does not (the code has drifted from the profile,
or the profile from the code).

Rules (README, "Terraform and OpenTofu"); what is a cloud's own is its `TerraformMapping`:
- A target is matched by its cloud's name rules (`TerraformMapping.matches`); where the plan
  says where a resource lives, it must agree. A target the plan does not hold, or holds twice,
  is that target's error (exit 1): a mistyped name must not pass a CI check.
- A resource holding its target's whole list of parameters is complete: a parameter it does not
  list is at its default. Where each parameter is its own resource (`per_parameter`), one the
  plan does not hold keeps a value the plan cannot show; the guard assumes its default and says
  so.
- A value, or an entry's name, known only after apply is unknown: the guard refuses it; so is a
  default that depends on a version known only after apply (a platform's: `cloud.Platform`).
- A parameter's name or value that is not of the JSON type the provider's schema gives it is a
  plan error (`values.Malformed`), never a default.
- Instances a target's values reach through other resources are judged with the other groups
  of their chain; one the plan cannot place is named in a warning (`TerraformMapping.members`).
- A value the plan marks sensitive is judged and never shown (see `sensitive`).
- Resources of the judged types that match no target of the profiles are listed, not judged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from pathlib import Path

from cloudtimeouts.catalog import Engine, idle_parameters
from cloudtimeouts.cloud import platforms
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.model import (
    KNOWN_AFTER_APPLY,
    Change,
    Finding,
    ParameterState,
    TargetState,
    WriteOutcome,
)
from cloudtimeouts.plan import Plan, TargetPlan, TerraformSource
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.terraform import mapping
from cloudtimeouts.terraform.planfile import (
    UNKNOWN,
    Resource,
    TerraformPlan,
    Unknown,
    load_plan,
)
from cloudtimeouts.terraform.sensitive import redacted


class NotInTerraformPlanError(CloudtimeoutsError):
    """A target the Terraform plan does not hold (or holds more than once)."""


def plan_from_terraform(
    profiles: Sequence[Profile], plan_path: Path | TerraformPlan, only: Collection[str] = ()
) -> Plan:
    """The Plan of `cloudtimeouts plan --terraform-plan`: no cloud is called."""
    terraform = plan_path if isinstance(plan_path, TerraformPlan) else load_plan(plan_path)
    reader = TerraformPlanReader(terraform)
    targets = sum(len(profile.targets) for profile in profiles)
    judged = make_plan(  # no API is called: no per-account limit of concurrent reads applies
        profiles,
        only,
        adapter_loader=lambda _provider: reader,
        timeout=3600,
        concurrency=max(1, targets),
    )
    matched = {
        r.address for p in profiles for t in p.targets for r in matching(terraform, t, p.engine)
    } | {
        group
        for p in profiles
        for t in p.targets
        for group in mapping.of(t).members(terraform, t, ()).groups
    }
    unmatched = tuple(
        (resource.address, _why_unmatched(resource))
        for resource in terraform.resources
        if resource.address not in matched
    )
    return Plan(
        targets=tuple(_finished(planned, terraform) for planned in judged.targets),
        terraform=TerraformSource(terraform.path, terraform.terraform_version, unmatched),
    )


def matching(terraform: TerraformPlan, target: Target, engine: Engine) -> list[Resource]:
    """The plan's resources that hold a target's values, by the cloud's own name rules."""
    own = mapping.of(target)
    candidates = terraform.by_name.get(own.target_key(target), ())
    return [
        r for r in candidates if not isinstance(r.name, Unknown) and own.matches(r, target, engine)
    ]


def _finished(planned: TargetPlan, terraform: TerraformPlan) -> TargetPlan:
    """A judged target with what the plan cannot show said, and sensitive values hidden."""
    planned = _with_unheld_notes(planned, terraform)
    found = matching(terraform, planned.target, planned.profile.engine)
    sensitive = {name for r in found for name in r.sensitive}
    if planned.state is None:
        return redacted(planned, sensitive)
    reached = mapping.of(planned.target).members(
        terraform, planned.target, planned.state.parameters
    )
    planned = dataclasses.replace(planned, warnings=planned.warnings + reached.notes)
    return redacted(planned, sensitive, reached.sensitive)


class TerraformPlanReader:
    """A read-only stand-in for a provider adapter: what the Terraform plan will leave."""

    def __init__(self, terraform: TerraformPlan) -> None:
        self.terraform = terraform

    def read(self, target: Target, engine: Engine, names: Collection[str]) -> TargetState:
        found = matching(self.terraform, target, engine)
        if not found:
            raise NotInTerraformPlanError(
                f"the Terraform plan holds no {mapping.of(target).described(target)}; plan "
                "only the targets it manages with --target"
            )
        later = [r for r in found if r.deferred]
        if later:
            raise NotInTerraformPlanError(
                f"{later[0].address} is deferred to a later plan ({later[0].deferred}): this "
                "plan does not say what it will be; judge the plan Terraform makes after "
                "applying this one"
            )
        if not mapping.of(target).per_parameter:  # one resource holds the target's values
            staying = [r for r in found if not r.deleted]
            found = staying or found  # a resource renamed without `moved`: the new one stays
            if len(found) > 1:
                addresses = ", ".join(r.address for r in found)
                raise NotInTerraformPlanError(f"the Terraform plan holds it twice: {addresses}")
            if found[0].deleted:
                raise NotInTerraformPlanError(f"{found[0].address} is destroyed by the plan")
        _check_engine(found, engine)
        values = self._values(found, target)
        parameters = {name: _state(name, values, found, engine) for name in names}
        reached = mapping.of(target).members(self.terraform, target, names)
        return TargetState(
            target_id=target.id,
            engine=engine,
            parameters=parameters,
            version=found[0].version,
            source="terraform",
            members=reached.states,
        )

    @staticmethod
    def _values(found: list[Resource], target: Target) -> dict[str, str | Unknown | None]:
        """Every value the plan sets on the target, by lower-case name where the cloud compares
        parameter names case-blind (`TerraformMapping.case_blind`). One name set to two values
        (in two cases, or by two resources) is unknown: which wins is not ours to guess."""
        case_blind = mapping.of(target).case_blind
        values: dict[str, str | Unknown | None] = {}
        for resource in found:
            if resource.deleted:  # a destroyed parameter resource resets it: see `_raced`
                continue
            for name, value in resource.values.items():
                key = name.lower() if case_blind else name
                values[key] = value if values.get(key, value) == value else UNKNOWN
        for name in _raced(found):
            values[name] = UNKNOWN
        return values

    def write(self, target: Target, state: TargetState, changes: Sequence[Change]) -> WriteOutcome:
        raise CloudtimeoutsError("a plan judged from a Terraform plan is applied by Terraform")

    def endpoint(self, target: Target) -> str:
        return self.terraform.path

    def expect(self, targets: Sequence[Target]) -> None:
        return None

    def engine(self, target: Target) -> Engine:
        raise CloudtimeoutsError("a Terraform plan does not say which engine a target runs")


def _state(
    name: str, values: dict[str, str | Unknown | None], found: list[Resource], engine: Engine
) -> ParameterState:
    """What the plan leaves for one parameter. Unknown: a value known only after apply, a name
    that an entry known only after apply may have, or a default that depends on a version known
    only after apply (a platform's defaults are not its cloud's: `cloud.Platform`)."""
    key = name.lower() if name.lower() in values else name
    value = values.get(key)
    unset = key not in values
    if (
        isinstance(value, Unknown)
        or (unset and any(r.unknown_names for r in found))
        or (unset and _platform_dependent(name, engine) and any(r.version_unknown for r in found))
    ):
        return ParameterState(name, value=KNOWN_AFTER_APPLY)
    return ParameterState(name, value=value)


def _platform_dependent(name: str, engine: Engine) -> bool:
    """Whether some platform of the engine has its own default for the parameter."""
    return any(name in platform.defaults for platform in platforms(engine))


def _raced(found: list[Resource]) -> dict[str, tuple[list[str], list[str]]]:
    """Parameters that one resource sets while the destruction of another resets them to their
    default (where each parameter is its own resource, `TerraformMapping.per_parameter`, its
    mapping says that destroying one resets it): nothing orders the two, so either value may
    stay. name -> (addresses setting it, addresses resetting it)."""
    raced: dict[str, tuple[list[str], list[str]]] = {}
    for gone in (r for r in found if r.deleted):
        for name in map(str.lower, gone.values):
            setters = [
                r.address
                for r in found
                if not r.deleted and name in {held.lower() for held in r.values}
            ]
            if setters:
                raced.setdefault(name, (setters, []))[1].append(gone.address)
    return raced


def _check_engine(found: list[Resource], engine: Engine) -> None:
    """A resource that says it is for another engine is an error, not a silent judgement."""
    for resource in found:
        theirs = mapping.of_type(resource.type).engine(resource)
        if theirs is not None and theirs != engine.value:
            raise NotInTerraformPlanError(
                f"{resource.address} is for {theirs} ({resource.version or resource.type}), "
                f"but the profile's engine is {engine.value}"
            )


def _why_unmatched(resource: Resource) -> str:
    if resource.deferred:
        return f"deferred to a later plan ({resource.deferred}); not judged in this one"
    if isinstance(resource.name, Unknown):
        return "its name is known only after apply, so it cannot be matched to a target"
    return mapping.of_type(resource.type).unmatched(resource) or "no profile's target names it"


def _with_unheld_notes(planned: TargetPlan, terraform: TerraformPlan) -> TargetPlan:
    """Where each parameter is its own resource, one the plan does not hold keeps whatever the
    server has; say that the guard assumed its default, and how to see the real value; and say
    which parameters a destruction may reset (`_raced`)."""
    if not mapping.of(planned.target).per_parameter or planned.state is None:
        return planned
    found = matching(terraform, planned.target, planned.profile.engine)
    held = {name.lower() for r in found for name in r.values}
    notes = [
        Finding(
            spec.name,
            f"the Terraform plan does not set {spec.name}: the guard assumed its default; a "
            "value set outside Terraform is seen only by cloudtimeouts plan without "
            "--terraform-plan",
        )
        for spec in idle_parameters(planned.profile.engine)
        if spec.name not in held and spec.name in planned.state.parameters
    ]
    for name, (setters, resetters) in _raced(found).items():
        notes.append(
            Finding(
                name,
                f"{name} is set by {', '.join(setters)} and reset to its default by the "
                f"destruction of {', '.join(resetters)}; Terraform orders neither before the "
                "other, so either value may stay after apply. If the resource was renamed, a "
                "moved block from the old address to the new one keeps it in place.",
            )
        )
    return dataclasses.replace(planned, warnings=planned.warnings + tuple(notes))
