"""The verdict: the guard over the values in force on every database instance a target reaches.

`plan.build_target_plan` diffs; this module judges, for every mode that reads a target (a cloud
plan, apply's re-read, the Terraform mode). With no target read, `offline.judge_offline` judges
(validate, explain, django-settings: `offline`). The rules and
their order are docs/guard.md; each is cited where it is applied.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cloudtimeouts import guard
from cloudtimeouts.budget import budgets_of
from cloudtimeouts.catalog import Engine, ParameterSpec, idle_parameters, parameters
from cloudtimeouts.cloud import parameter_default
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.model import (
    KNOWN_AFTER_APPLY,
    Finding,
    GroupLayer,
    MemberState,
    TargetState,
)
from cloudtimeouts.path_guard import Keepalive, path_findings
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.targets import current_value, hop_of, hosted_hops, managed


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A profile of the same run, by the key of a group it manages (`neighbours_of`).

    `writes`: the run plans that target (it was not left out with --target), so the values the
    verdict assumes there are the profile's; otherwise the group keeps what it holds now. Either
    way the profile's Django is judged on every database its group reaches.
    """

    profile: Profile
    writes: bool = True


def neighbours_of(
    profiles: Sequence[Profile], selected: Collection[str] = ()
) -> dict[str, Neighbour]:
    """Every target of every profile of a run by key; `selected` holds the keys it plans (all
    when empty)."""
    return {
        target.key: Neighbour(profile, not selected or target.key in selected)
        for profile in profiles
        for target in profile.targets
        if target.hop is None
    }


def _path_as_read(
    profile: Profile, target: Target, state: TargetState
) -> tuple[Profile, list[Finding], list[Finding]]:
    """The profile with the undeclared timeouts of each hop the server hosts (a built-in pooler:
    `targets.hosted_hops`) as the server has them (or as the Terraform plan leaves them), and
    what cannot be judged: a value known only after apply, or not a number in its unit, is never
    taken for the default. It is a refusal where the timeout closes Django's connection, a note
    where it closes only the pooler's own server connections (hops: shown, never judged)."""
    hops = hosted_hops(profile, target)
    if not hops:
        return profile, [], []
    path, refusals, notes = [], [], []
    for hop in profile.path:
        if hop in hops:
            update = {}
            for field, spec in hop.spec.parameters.items():
                name = spec.name
                seen = state.parameters.get(name)
                if hop.value(field) is not None and state.source != "terraform":
                    continue  # the profile's value will be written
                if seen is None or seen.value in (None, ""):
                    continue
                if seen.value == KNOWN_AFTER_APPLY:
                    finding = _unknown_until_apply(target.id, name)
                else:
                    try:
                        update[field] = Duration.from_native(seen.value, spec.unit)
                        continue
                    except DurationError:
                        finding = _not_a_number(target.id, name, seen.value, state.source)
                if hop.spec.timeout(field).closes == "server":
                    notes.append(Finding(name, f"{finding.message} {_POOLER_ONLY}"))
                else:
                    refusals.append(finding)
            hop = hop.model_copy(update=update)
        path.append(hop)
    return profile.model_copy(update={"path": path}), refusals, notes


_POOLER_ONLY = (
    "It closes only PgBouncer's own server connections, which Django never sees, so this does "
    "not change the verdict."
)


def _hop_target_guard(
    profile: Profile, target: Target, state: TargetState
) -> tuple[list[Finding], list[Finding]]:
    """A target that is a hop of the path (a managed proxy) closes Django's idle connections:
    each of its timeouts in force after the plan (the profile's, else the hop's own) must
    outlast Django's idle budget; the rest of the path is judged as always."""
    hop = hop_of(profile, target)
    assert hop is not None  # judge_target asks only for a target that is a hop
    index = next(i for i, entry in enumerate(profile.path) if entry is hop)
    refusals, notes = path_findings(profile, skip=frozenset({index}))
    _, desired = managed(profile, target)
    closer = hop.spec.title.removeprefix("an ").removeprefix("a ")
    for field, spec in hop.spec.parameters.items():
        closes = hop.spec.timeout(field).closes
        if closes == "server":
            continue
        seen = state.parameters.get(spec.name)
        if spec.name in desired and state.source != "terraform":
            value, source = desired[spec.name], "from the profile"
        elif seen is not None and seen.value == KNOWN_AFTER_APPLY:
            refusals.insert(0, _unknown_until_apply(target.id, spec.name))
            continue
        elif seen is not None and seen.value:
            terraform = state.source == "terraform"
            where = "set by the Terraform plan" if terraform else "set on the proxy"
            try:
                value, source = Duration.from_native(seen.value, spec.unit), where
            except DurationError:
                refusals.insert(0, _not_a_number(target.id, spec.name, seen.value, state.source))
                continue
        else:
            value, source = spec.default, "the default in effect"
        shown = f"{value.to_native(spec.unit)} {spec.unit.symbol} ({value.human()}, {source})"
        for budget in reversed(budgets_of(profile)):  # inserted first: requests' ahead
            refusal = guard.judge(
                spec.name, shown, value, budget, profile.guard.margin, target.id,
                in_transaction=closes == "transaction", closer=closer,
            )  # fmt: skip
            if refusal:
                refusals.insert(0, refusal)
    return refusals, notes


def current_idle_timeouts(
    engine: Engine, state: TargetState, provider: str
) -> tuple[dict[str, guard.Observed], dict[str, str]]:
    """The idle timeouts in force on a target now, and those the tool cannot evaluate (a
    formula such as `{DBInstanceClassMemory/1073741824}`, returned apart, never replaced by a
    default: the guard cannot know when such a timeout closes a connection)."""
    observed, unknown = _in_force_now(engine, state, provider)
    names = {spec.name for spec in idle_parameters(engine)}
    return (
        {name: value for name, value in observed.items() if name in names},
        {name: value for name, value in unknown.items() if name in names},
    )


_KEEPALIVE = "tcp_keepalives_idle"


def _judged_specs(engine: Engine) -> tuple[ParameterSpec, ...]:
    """The parameters whose value in force the verdict reads: the idle timeouts, and the
    server's keepalive (it decides which network hops are kept open)."""
    keepalive = parameters(engine).get(_KEEPALIVE)
    return idle_parameters(engine) + ((keepalive,) if keepalive is not None else ())


def judge_target(
    profile: Profile, target: Target, state: TargetState, neighbours: Mapping[str, Neighbour]
) -> tuple[list[Finding], list[Finding]]:
    """The verdict on every database instance the target's values reach, as the plan leaves it.

    The target alone (what an instance with no other group would apply), then each instance its
    read found (a member of a cluster: its own group over the cluster's, over the default), with
    every value the run's other profiles will leave on those groups; the path, with the server's
    keepalive in force on the worst of them. In Terraform mode the values are Terraform's, as
    they will ship, and nothing of ours is written on top.
    """
    if target.hop is not None:
        return _hop_target_guard(profile, target, state)
    provider = target.provider
    terraform = state.source == "terraform"
    current, unknown = _in_force_now(profile.engine, state, provider)
    declared = {} if terraform else _declared(profile)
    after = {**current, **declared}
    notes: list[Finding] = []
    refusals = _check(profile, _idle(profile, after), target.id, state.version, notes)
    refusals += [
        _unknown_until_apply(target.id, name)
        if value == KNOWN_AFTER_APPLY
        else _not_a_number(target.id, name, value, state.source)
        for name, value in unknown.items()
        if name not in declared and name != _KEEPALIVE  # an unknown keepalive earns no credit
    ]
    keepalives = [after.get(_KEEPALIVE)]
    for member in state.members:
        found, member_refusals = _member_verdict(profile, target, state, member, after, neighbours)
        refusals += member_refusals
        for judged_profile, effective in found:
            if judged_profile is profile:
                keepalives.append(effective.get(_KEEPALIVE))
            notes_for = notes if judged_profile is profile else []
            where = f"{target.id} member {member.instance}" + (
                "" if judged_profile is profile else f", for profile {judged_profile.name}'s Django"
            )
            refusals += _check(
                judged_profile, _idle(judged_profile, effective), where,
                member.platform or state.version, notes_for,
            )  # fmt: skip
    as_read, pgbouncer_refusals, pgbouncer_notes = _path_as_read(profile, target, state)
    path_refusals, path_notes = path_findings(as_read, _worst_keepalive(keepalives))
    refusals += pgbouncer_refusals + path_refusals
    path_notes = pgbouncer_notes + path_notes
    if terraform:
        return _unique(refusals), _unique(notes + path_notes)
    refused = {refusal.parameter for refusal in refusals}
    now_unsafe = _check(profile, _idle(profile, current), target.id, state.version, [])
    warnings = [
        Finding(v.parameter, f"currently unsafe: {v.message} This plan fixes it.")
        for v in now_unsafe
        if v.parameter not in refused
    ]
    return _unique(refusals), _unique(warnings + notes + path_notes)


def _in_force_now(
    engine: Engine, state: TargetState, provider: str
) -> tuple[dict[str, guard.Observed], dict[str, str]]:
    """What the target holds now (or Terraform will leave) for every judged parameter."""
    observed, unknown = {}, {}
    for spec in _judged_specs(engine):
        current, source = current_value(spec, state.parameters.get(spec.name), provider, state)
        try:
            observed[spec.name] = guard.Observed(
                Duration.from_native(current, spec.unit), current, source
            )
        except DurationError:
            unknown[spec.name] = current
    return observed, unknown


def _declared(profile: Profile) -> dict[str, guard.Observed]:
    """The judged parameters the profile declares: what the plan will write."""
    return {
        spec.name: guard.Observed(
            profile.server[spec.name], spec.to_native_checked(profile.server[spec.name]), "profile"
        )
        for spec in _judged_specs(profile.engine)
        if spec.name in profile.server
    }


def _idle(profile: Profile, values: Mapping[str, guard.Observed]) -> dict[str, guard.Observed]:
    names = {spec.name for spec in idle_parameters(profile.engine)}
    return {name: value for name, value in values.items() if name in names}


def _check(
    profile: Profile,
    effective: Mapping[str, guard.Observed],
    where: str,
    platform: str,
    notes: list[Finding],
) -> list[Finding]:
    return guard.check(
        profile.engine, profile.django.conn_max_age, profile.guard.margin, effective, where,
        budgets=budgets_of(profile), platform=platform, notes=notes,
    )  # fmt: skip


def _worst_keepalive(values: Sequence[guard.Observed | None]) -> Keepalive | None:
    """The server keepalive every judged instance sends at least that soon: the longest of them;
    none when one of them sends none (0 leaves it to the operating system, hours on Linux)."""
    if not values or any(value is None or value.value.disabled for value in values):
        return None
    worst = max((value for value in values if value is not None), key=lambda v: v.value)
    return Keepalive(
        worst.value,
        f"the server's tcp_keepalives_idle {guard.in_seconds(worst.value)} ({worst.words})",
    )


def _member_verdict(
    profile: Profile,
    target: Target,
    state: TargetState,
    member: MemberState,
    after: Mapping[str, guard.Observed],
    neighbours: Mapping[str, Neighbour],
) -> tuple[list[tuple[Profile, dict[str, guard.Observed]]], list[Finding]]:
    """One instance's values in force after the plan, and the profiles judged on them.

    A parameter's value is the first group in the instance's chain that sets it — a group
    another profile of the run manages holds that profile's value — else the engine's default on
    the instance's platform (`cloud.parameter_default`). Every
    profile whose group is in the chain is judged: its Django reaches this instance too.
    """
    provider = target.provider
    platform = member.platform or state.version
    where = f"{target.id} member {member.instance}"
    effective: dict[str, guard.Observed] = {}
    refusals: list[Finding] = []
    for spec in _judged_specs(profile.engine):
        own = after.get(spec.name)
        if own is not None and own.source == "profile":
            own = guard.Observed(own.value, own.native, "profile", f"from profile {profile.name}")
        found = _first_in_chain(spec, member, own, neighbours, state, where)
        if isinstance(found, Finding):
            if spec.name != _KEEPALIVE:  # an unknown keepalive earns no credit, nothing more
                refusals.append(found)
        elif found == "unknown":
            continue  # the target's own value cannot be judged: refused on the target itself
        elif found is None:
            default = parameter_default(spec, provider, platform)
            effective[spec.name] = guard.Observed(default, default.to_native(spec.unit), "default")
        else:
            effective[spec.name] = found
    judged = [profile]
    for layer in (*member.above, *member.below):
        neighbour = neighbours.get(layer.key)
        if (
            neighbour is not None
            and neighbour.profile.engine is profile.engine
            and all(neighbour.profile is not p for p in judged)
        ):
            judged.append(neighbour.profile)
    return [(judged_profile, effective) for judged_profile in judged], refusals


def _first_in_chain(
    spec: ParameterSpec,
    member: MemberState,
    own: guard.Observed | None,
    neighbours: Mapping[str, Neighbour],
    state: TargetState,
    where: str,
) -> guard.Observed | Finding | Literal["unknown"] | None:
    """The value of the first group of an instance's chain that sets the parameter; None: no
    group does (the default applies); "unknown": the target's own value, not a number."""
    for layer in member.above:
        found = _layer_value(spec, layer, neighbours, state, where)
        if found is not None:
            return found
    if own is None:
        return "unknown"
    if own.source != "default":  # the target sets it (or the profile will)
        return own
    for layer in member.below:
        found = _layer_value(spec, layer, neighbours, state, where)
        if found is not None:
            return found
    return None


def _layer_value(
    spec: ParameterSpec,
    layer: GroupLayer,
    neighbours: Mapping[str, Neighbour],
    state: TargetState,
    where: str,
) -> guard.Observed | Finding | None:
    """What one group of an instance's chain sets for a parameter after the plan; None: it sets
    nothing and the next group decides; a Finding: a value the guard cannot judge."""
    neighbour = neighbours.get(layer.key)
    if neighbour is not None and neighbour.writes and state.source != "terraform":
        value = neighbour.profile.server.get(spec.name)
        if value is not None:
            words = f"from profile {neighbour.profile.name}, on {layer.label}"
            return guard.Observed(value, spec.to_native_checked(value), "profile", words)
    seen = layer.parameters.get(spec.name)
    if seen is None or seen.value in (None, "") or seen.value_is_default:
        return None
    if seen.value == KNOWN_AFTER_APPLY:
        return _unknown_until_apply(f"{where} ({layer.label})", spec.name)
    try:
        value = Duration.from_native(seen.value, spec.unit)
    except DurationError:
        return Finding(
            spec.name,
            f"{where}: {spec.name} = {seen.value!r} on {layer.label} is not a number "
            "cloudtimeouts can evaluate, so the guard cannot tell when it closes idle "
            f"connections. Set it as a number on {layer.label}.",
        )
    source = "set by the Terraform plan" if state.source == "terraform" else "set"
    return guard.Observed(value, seen.value, state.source, f"{source} on {layer.label}")


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _unknown_until_apply(where: str, name: str) -> Finding:
    return Finding(
        name,
        f"{where}: {name} is unknown: the Terraform plan knows it only after apply, so the "
        f"guard cannot judge it. Give {name} a value Terraform knows at plan time (a literal or "
        "a variable), or judge the state after apply with cloudtimeouts plan.",
    )


def _not_a_number(where: str, name: str, value: str, source: str) -> Finding:
    """A value cloudtimeouts cannot evaluate (a formula, a unit suffix): the guard cannot
    know when it closes a connection, so it is refused, never taken for the default."""
    if source == "terraform":
        return Finding(
            name,
            f"{where}: {name} = {value!r} (set by the Terraform plan) is not a number "
            "cloudtimeouts can evaluate, so the guard cannot tell when it closes idle "
            f"connections. Give {name} a number in its native unit in the Terraform code.",
        )
    return Finding(
        name,
        f"{where}: {name} = {value!r} is not a number cloudtimeouts can evaluate, so the "
        f"guard cannot tell when it closes idle connections. Set {name} in the profile.",
    )
