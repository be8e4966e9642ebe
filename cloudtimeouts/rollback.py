"""Rollback: a journal's writes turned back into profiles, so the reverse is planned like any plan.

Why profiles: a rollback must be judged exactly as an apply is — re-read before writing, refused
by the same guard (a rollback that would bring back a timeout Django cannot live with is refused,
not carried out), restart-bound values only with consent, journaled in its turn. Building one
profile per journaled target — the profile the journal says was applied (Django with its pool,
the guard's margin, the path), whose managed values are the values from before — makes
`make_plan` and `apply_plan` do all of that with no second code path. The values from before go
where `targets.managed` reads what a target manages: `server:` for a parameter group, instance
or server, the fields of the hop a target is (a managed proxy) or of a hop its server hosts (a
built-in pooler's server parameters). The profile is loaded by the same loader as any profile.

Per target: a target whose journal record cannot become a profile, whose read fails, or whose
restore the guard refuses is reported as that target's failure, and the others are still
restored (unlike apply's all or nothing: each restore stands alone, and holding back the others
would leave them in the state the rollback was asked to undo).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudtimeouts.catalog import Engine, ParameterSpec, parameters
from cloudtimeouts.cloud import clouds
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.hops import HopKind, kinds
from cloudtimeouts.journal import JournalError, Restorable, restorable
from cloudtimeouts.plan import Plan
from cloudtimeouts.profile import Profile, parse_profile
from cloudtimeouts.results import ApplyResult, TargetResult


@dataclass(frozen=True, slots=True)
class Rollback:
    """What to plan: one profile per target, which parameters were at their default, and the
    targets whose journal record cannot be restored (reported, never planned)."""

    journal: Path
    profiles: tuple[Profile, ...]
    defaults: frozenset[tuple[str, str]]  # (target key, parameter): restore by resetting
    parameters: Mapping[str, tuple[str, ...]]  # target key -> the parameters to restore
    unrestorable: tuple[TargetResult, ...] = ()


def read_rollback(path: Path, only: Collection[str] = ()) -> Rollback:
    """The profiles that put back the values from before the apply a journal records.

    `only`: target ids (`--target`), compared as `make_plan` compares them (`Target.key`, the
    id lower-cased); one the journal has no write to roll back on is an error naming those it has.
    """
    by_target: dict[str, list[Restorable]] = defaultdict(list)
    for entry in restorable(path):
        by_target[entry.target_id.lower()].append(entry)
    if only:
        missing = sorted(wanted for wanted in set(only) if wanted.lower() not in by_target)
        if missing:
            known = ", ".join(sorted(entries[0].target_id for entries in by_target.values()))
            raise JournalError(
                f"{path} has no write to roll back on {', '.join(missing)}",
                hint=f"the targets it can roll back: {known or 'none'}",
            )
        keys = {wanted.lower() for wanted in only}
        by_target = {key: entries for key, entries in by_target.items() if key in keys}
    profiles, unrestorable = [], []
    for entries in by_target.values():
        try:
            profiles.append(_profile(path, entries))
        except CloudtimeoutsError as error:
            names = tuple(dict.fromkeys(entry.parameter for entry in entries))
            message = error.message.replace("\n", "; ")
            why = f"not restored: {message} (hint: {_by_hand(path)})"
            unrestorable.append(TargetResult(entries[0].target_id, "failed", not_written=names,
                                             error=why))  # fmt: skip
    defaults = frozenset(
        (key, entry.parameter)
        for key, entries in by_target.items()
        for entry in entries
        if entry.before_source == "default"
    )
    restored = {
        key: tuple(dict.fromkeys(entry.parameter for entry in entries))
        for key, entries in by_target.items()
    }
    return Rollback(path, tuple(profiles), defaults, restored, tuple(unrestorable))


def with_resets(plan: Plan, rollback: Rollback) -> Plan:
    """Mark the changes that restore a default as resets, so the target's own setting is
    removed rather than the default value written over it."""
    targets = []
    for target in plan.targets:
        changes = tuple(
            dataclasses.replace(change, reset=True, reason="rollback: back to the default")
            if (target.target.key, change.parameter) in rollback.defaults
            else dataclasses.replace(change, reason="rollback: back to the value before apply")
            for change in target.changes
        )
        targets.append(dataclasses.replace(target, changes=changes))
    return Plan(tuple(targets))


def restorable_plan(
    planned: Plan, rollback: Rollback
) -> tuple[Plan, Plan, tuple[TargetResult, ...]]:
    """The rollback's plan (with its resets), the part of it that may be restored, and a failed
    (or refused) result for each other target.

    A target that could not be read, or whose restore the guard refuses, is held back on its
    own; the others go on to `apply_plan` (and its restart consent, all or nothing as in apply).
    """
    plan = with_resets(planned, rollback)
    healthy, held_back = [], list(rollback.unrestorable)
    for target in plan.targets:
        names = rollback.parameters.get(target.target.key, ())
        if target.error:
            again = f"cloudtimeouts rollback {rollback.journal} --target {target.id}"
            why = f"not restored: {target.error} (hint: once it can be read, run {again}; or "
            why += f"{_by_hand(rollback.journal)})"
            held_back.append(TargetResult(target.id, "failed", not_written=names, error=why))
        elif target.refusals:
            why = (
                f"not restored: the restore would bring back what the guard refuses under "
                f"profile {target.profile.name} (as journaled in {rollback.journal}): "
                + " ".join(refusal.message for refusal in target.refusals)
                + f" (hint: {_by_hand(rollback.journal)})"
            )
            held_back.append(TargetResult(target.id, "refused", not_written=names, error=why))
        else:
            healthy.append(target)
    return plan, Plan(tuple(healthy)), tuple(held_back)


def with_held_back(
    result: ApplyResult, held_back: Sequence[TargetResult], plan: Plan
) -> ApplyResult:
    """The apply report with the targets rollback held back, in the order of the plan shown."""
    order = {target.id: index for index, target in enumerate(plan.targets)}
    targets = sorted((*result.targets, *held_back), key=lambda r: order.get(r.id, len(order)))
    return dataclasses.replace(result, targets=tuple(targets))


def _by_hand(journal: Path) -> str:
    return (
        f"restore it by hand if you must ({journal} lists the values from before); the other "
        "targets are rolled back without it (or pick them with --target)"
    )


def _profile(path: Path, entries: list[Restorable]) -> Profile:
    """The journaled profile of one target, its managed values being the values from before."""
    first = entries[0]
    declared, original = first.declared, first.profile
    source = f"{path} ({first.target_id})"
    try:
        engine = Engine(original["engine"])
        document = _document(original)
        target = clouds()[declared["provider"]].target.model_construct(**declared)
        before = {
            entry.parameter: _before(entry, _spec(engine, entry.parameter, target.hop))
            for entry in entries
        }
    except (KeyError, ValueError, TypeError, DurationError) as error:
        raise JournalError(f"{source}: cannot restore: {_words(error)}") from None
    document["server"] = {
        name: value for name, value in before.items() if name in parameters(engine)
    }
    document["path"] = [_hop(hop, before, target) for hop in document.get("path", [])]
    document["targets"] = [dict(declared)]
    # JSON is YAML 1.2: the profile loader reads it, with its own checks and messages.
    return parse_profile(json.dumps(document, indent=2), source)


def _document(original: Mapping[str, Any]) -> dict[str, Any]:
    """The journaled profile as a profile document (a journal of an earlier version held only
    name, engine, conn_max_age and margin: those, with today's defaults for the rest)."""
    if "django" in original:
        return copy.deepcopy(dict(original))
    conn_max_age = original.get("conn_max_age")
    return {
        "name": original.get("name"),
        "engine": original["engine"],
        "django": {"conn_max_age": "unlimited" if conn_max_age is None else conn_max_age},
        "guard": {"margin": original.get("margin", "0s")},
    }


def _spec(engine: Engine, name: str, hop: str | None) -> ParameterSpec:
    """What a journaled parameter is, from the catalog and the hop kinds' table (never from the
    journal's own words); a target that is a hop (`hop`) manages its hop's parameters first."""
    written = {
        spec.name: spec
        for kind in kinds().values()
        if kind.written_on == ("target" if hop is not None else "server")
        for spec in kind.parameters.values()
    }
    spec = written.get(name) if hop is not None else None
    spec = spec or parameters(engine).get(name) or written.get(name)
    if spec is None:
        raise ValueError(f"{name} is not a parameter cloudtimeouts manages for {engine.value}")
    return spec


def _before(entry: Restorable, spec: ParameterSpec) -> str:
    try:
        return Duration.from_native(entry.before, spec.unit).human()
    except DurationError:
        raise ValueError(
            f"{entry.parameter} was {entry.before!r} before, not a duration cloudtimeouts can "
            "write back"
        ) from None


def _hop(hop: Mapping[str, Any], before: Mapping[str, str], target: Any) -> dict[str, Any]:
    """A path hop as the rollback leaves it: a hop the target's values live on (the hop the
    target is, or one its server hosts) holds the values from before, and no value that is not
    restored, so that none is written (the guard then judges what the target holds)."""
    hop = dict(hop)
    kind: HopKind | None = kinds().get(str(hop.get("kind")))
    if kind is None or kind.cloud != target.provider:
        return hop
    own = kind.written_on == "target" and hop.get("name") == target.hop
    hosted = kind.written_on == "server" and target.hop is None
    if own or hosted:
        for field, spec in kind.parameters.items():
            hop.pop(field, None)
            if spec.name in before:
                hop[field] = before[spec.name]
    return hop


def _words(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"its record has no {error.args[0]!r}" if error.args else "a field is missing"
    return str(error)
