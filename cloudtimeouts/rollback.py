"""Rollback: a journal's writes turned back into profiles, so the reverse is planned like any plan.

Why profiles: a rollback must be judged exactly as an apply is — re-read before writing, refused
by the same guard (a rollback that would bring back a timeout Django cannot live with is refused,
not carried out), restart-bound values only with consent, journaled in its turn. Building one
profile per journaled target, whose `server` values are the values from before the apply, makes
`make_plan` and `apply_plan` do all of that with no second code path. The profile is written as
YAML text and loaded by the same loader as any profile, so a damaged journal is one clear error.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.journal import JournalError, Restorable, restorable
from cloudtimeouts.plan import Plan
from cloudtimeouts.profile import Profile, parse_profile

_SAFE_NAME = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True, slots=True)
class Rollback:
    """What to plan: one profile per target, and which parameters were at their default."""

    profiles: tuple[Profile, ...]
    defaults: frozenset[tuple[str, str]]  # (target key, parameter): restore by resetting


def read_rollback(path: Path) -> Rollback:
    """The profiles that put back the values from before the apply a journal records."""
    by_target: dict[str, list[Restorable]] = defaultdict(list)
    for entry in restorable(path):
        by_target[entry.target_id].append(entry)
    profiles = tuple(
        _profile(path, index, entries) for index, entries in enumerate(by_target.values())
    )
    defaults = frozenset(
        (entry.target_id.lower(), entry.parameter)
        for entries in by_target.values()
        for entry in entries
        if entry.before_source == "default"
    )
    return Rollback(profiles, defaults)


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


def _profile(path: Path, index: int, entries: list[Restorable]) -> Profile:
    first = entries[0]
    declared, original = first.declared, first.profile
    try:
        engine = Engine(original["engine"])
        units = {name: spec.unit for name, spec in parameters(engine).items()}
        server = {
            entry.parameter: Duration.from_native(entry.before, units[entry.parameter]).human()
            for entry in entries
        }
    except (KeyError, ValueError, DurationError) as error:
        raise JournalError(
            f"{path}: cannot restore {first.target_id}: {error}",
            hint="the journal lists the values from before; restore them by hand",
        ) from None
    conn_max_age = original.get("conn_max_age")
    name = _SAFE_NAME.sub("-", f"rollback-{original.get('name', 'profile')}")[:55] + f"-{index}"
    document = {
        "name": name,
        "engine": engine.value,
        "django": {"conn_max_age": "unlimited" if conn_max_age is None else conn_max_age},
        "guard": {"margin": original.get("margin", "0s")},
        "server": server,
        "targets": [dict(declared)],
    }
    # JSON is YAML 1.2: the profile loader reads it, with its own checks and messages.
    return parse_profile(json.dumps(document, indent=2), f"{path} ({first.target_id})")
