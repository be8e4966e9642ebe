"""Making a plan: pair profiles with their targets, read the targets concurrently, build the Plan.

`plan.build_target_plan` is the diff and the guard of one target from what it read (pure); this
module decides which targets are read, by which adapter, how many at once and for how long, and
turns every failure into that target's error, never the run's. `plan`, `apply` (before it asks),
`rollback`, `import` and the Terraform judge all make their plan here; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from cloudtimeouts.adapters import AdapterLoader, Adapters, read_target, unexpected, with_hint
from cloudtimeouts.concurrency import (
    DEFAULT_TIMEOUT_S,
    MAX_CONCURRENT_TARGETS,
    MAX_THREADS,
    Cancellation,
    run_bounded,
)
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.plan import Plan, TargetPlan, build_target_plan, failed_target_plan
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.providers import load_adapter
from cloudtimeouts.verdict import neighbours_of


class UnknownTargetError(CloudtimeoutsError):
    pass


def make_plan(
    profiles: Sequence[Profile],
    only: Collection[str] = (),
    adapter_loader: AdapterLoader = load_adapter,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    cancel: Cancellation | None = None,
    concurrency: int = MAX_CONCURRENT_TARGETS,
    progress: Callable[[TargetPlan], None] | None = None,
) -> Plan:
    """Read every selected target (concurrently) and build its plan; failures stay per target."""
    owners: dict[str, list[tuple[str, str]]] = {}  # target key -> (profile name, id as written)
    for profile in profiles:  # before --target: a target left out still has one owner
        for target in profile.targets:
            owners.setdefault(target.key, []).append((profile.name, target.id))
    pairs = _select(profiles, only)
    neighbours = neighbours_of(profiles, {target.key for _, target in pairs} if only else ())
    adapters = Adapters(adapter_loader)
    adapters.expect(target for _, target in pairs)

    def plan_one(pair: tuple[Profile, Target]) -> TargetPlan:
        profile, target = pair
        if len(owners[target.key]) > 1:
            names = ", ".join(name for name, _ in owners[target.key])
            spellings = sorted({written for _, written in owners[target.key]})
            same = f" ({' and '.join(spellings)} name one target)" if len(spellings) > 1 else ""
            return failed_target_plan(
                profile,
                target,
                f"{target.id} is in several profiles ({names}){same}; one target, one profile, "
                "so that their values cannot fight",
            )
        try:
            state = read_target(adapters, profile, target)
        except CloudtimeoutsError as error:
            return failed_target_plan(profile, target, with_hint(error))
        return build_target_plan(profile, target, state, neighbours)

    def failed(why: str) -> Callable[[tuple[Profile, Target]], TargetPlan]:
        return lambda pair: failed_target_plan(pair[0], pair[1], f"{pair[1].id}: {why}")

    def silent(pair: tuple[Profile, Target]) -> TargetPlan:
        where = adapters.endpoint(pair[1])
        why = f"no answer from {where} within {timeout:g} s; not read (--timeout changes it)"
        return failed(why)(pair)

    return Plan(
        targets=tuple(
            run_bounded(
                plan_one,
                pairs,
                concurrency=MAX_THREADS,
                per_scope=concurrency,
                scope=lambda pair: pair[1].scope,
                timeout=timeout,
                cancel=cancel or Cancellation(),
                on_timeout=silent,
                on_cancel=failed("interrupted before it was read"),
                on_error=lambda pair, error: failed_target_plan(
                    pair[0], pair[1], f"{pair[1].id}: {unexpected(error)}"
                ),
                on_result=progress,
            )
        )
    )


def _select(profiles: Sequence[Profile], only: Collection[str]) -> list[tuple[Profile, Target]]:
    pairs = [(profile, target) for profile in profiles for target in profile.targets]
    if not only:
        return pairs
    known = {target.key for _, target in pairs}  # ids as each cloud compares names
    unknown = sorted(wanted for wanted in set(only) if wanted.lower() not in known)
    if unknown:
        raise UnknownTargetError(
            f"no profile has the target {', '.join(unknown)}",
            hint="known targets: " + (", ".join(sorted({t.id for _, t in pairs})) or "none"),
        )
    keys = {wanted.lower() for wanted in only}
    return [(profile, target) for profile, target in pairs if target.key in keys]
