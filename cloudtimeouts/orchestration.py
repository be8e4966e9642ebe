"""The one orchestration room: read targets concurrently into a Plan; apply a Plan safely.

`plan.build_target_plan` judges one target from what it read; this module decides which targets
are read, by which adapter, how many at once, and how a plan's writes are carried out.

Safety rules of `apply_plan` (DESIGN.md): nothing is written when any target of the plan was
refused or failed; restart-bound changes need `allow_restart`; each target is re-read just
before writing and skipped if it changed since the plan; every write is verified by a re-read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from cloudtimeouts.catalog import Provider, parameters
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.errors import (
    CloudtimeoutsError,
    GuardRefusal,
    PartialWriteError,
    ProviderUnavailableError,
    TargetChangedError,
)
from cloudtimeouts.model import TargetState
from cloudtimeouts.plan import Plan, TargetPlan, build_target_plan, failed_target_plan
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.providers import load_adapter
from cloudtimeouts.providers.base import ProviderAdapter

MAX_CONCURRENT_TARGETS = 8  # enough to hide API latency, few enough to stay under rate limits

AdapterLoader = Callable[[Provider], ProviderAdapter]
_T = TypeVar("_T")
_R = TypeVar("_R")
Outcome = Literal["applied", "unchanged", "changed-since-plan", "failed"]


class UnknownTargetError(CloudtimeoutsError):
    pass


def make_plan(
    profiles: Sequence[Profile],
    only: Collection[str] = (),
    adapter_loader: AdapterLoader = load_adapter,
) -> Plan:
    """Read every selected target (concurrently) and build its plan; failures stay per target."""
    pairs = _select(profiles, only)
    adapters = _Adapters(adapter_loader)
    owners: dict[str, list[str]] = {}
    for profile, target in pairs:
        owners.setdefault(target.id, []).append(profile.name)

    def plan_one(pair: tuple[Profile, Target]) -> TargetPlan:
        profile, target = pair
        if len(owners[target.id]) > 1:
            names = ", ".join(owners[target.id])
            return failed_target_plan(
                profile,
                target,
                f"{target.id} is in several profiles ({names}); one target, "
                "one profile, so that their values cannot fight",
            )
        try:
            state = _read(adapters, profile, target)
        except CloudtimeoutsError as error:
            return failed_target_plan(profile, target, _with_hint(error))
        return build_target_plan(profile, target, state)

    return Plan(targets=tuple(_concurrently(plan_one, pairs)))


@dataclass(frozen=True, slots=True)
class TargetResult:
    id: str
    outcome: Outcome
    written: tuple[str, ...] = ()
    pending_restart: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyResult:
    targets: tuple[TargetResult, ...] = field(default_factory=tuple)

    @property
    def failed(self) -> bool:
        return any(result.outcome in ("failed", "changed-since-plan") for result in self.targets)


def check_applicable(plan: Plan, allow_restart: bool) -> None:
    """Raise unless every target of the plan may be written: all or nothing, before any write."""
    if plan.error_count:
        failed = ", ".join(target.id for target in plan.targets if target.error)
        raise CloudtimeoutsError(
            f"nothing was applied: {plan.error_count} target(s) could not be planned ({failed})",
            hint="fix the errors shown in the plan, or leave those targets out with --target",
        )
    if plan.refusal_count:
        raise GuardRefusal(
            f"nothing was applied: the guard refused {plan.refusal_count} value(s)",
            hint="change the profile so that conn_max_age + margin stays below every idle timeout",
        )
    restart = [
        f"{target.id} {change.parameter}"
        for target in plan.targets
        for change in target.restart_changes
    ]
    if restart and not allow_restart:
        raise CloudtimeoutsError(
            "nothing was applied: these changes only take effect after a restart: "
            + ", ".join(restart),
            hint="re-run with --allow-restart to write them (cloudtimeouts never restarts "
            "anything itself; you choose when to reboot)",
        )


def apply_plan(
    plan: Plan, allow_restart: bool = False, adapter_loader: AdapterLoader = load_adapter
) -> ApplyResult:
    check_applicable(plan, allow_restart)
    adapters = _Adapters(adapter_loader)
    pending = [target for target in plan.targets if target.changes]
    results = {
        result.id: result
        for result in _concurrently(lambda target: _apply_target(adapters, target), pending)
    }
    return ApplyResult(
        targets=tuple(
            results.get(target.id, TargetResult(target.id, "unchanged")) for target in plan.targets
        )
    )


def _apply_target(adapters: _Adapters, planned: TargetPlan) -> TargetResult:
    profile, target = planned.profile, planned.target
    assert planned.state is not None  # a plan with changes always carries what it read
    try:
        fresh = _read(adapters, profile, target)
        if fresh.fingerprint() != planned.state.fingerprint():
            return TargetResult(
                target.id,
                "changed-since-plan",
                error=f"{target.id} changed since the plan; nothing was written there "
                "(run plan again)",
            )
        outcome = adapters.get(Provider(target.provider)).write(target, fresh, planned.changes)
        after = _read(adapters, profile, target)
    except TargetChangedError as error:
        return TargetResult(target.id, "changed-since-plan", error=_with_hint(error))
    except PartialWriteError as error:
        return TargetResult(target.id, "failed", written=error.written, error=_with_hint(error))
    except CloudtimeoutsError as error:
        return TargetResult(target.id, "failed", error=_with_hint(error))
    mismatches = _not_written_as_planned(planned, after)
    return TargetResult(
        target.id,
        "failed" if mismatches else "applied",
        written=outcome.written,
        pending_restart=outcome.pending_restart,
        notes=outcome.notes,
        error="verification failed: " + "; ".join(mismatches) if mismatches else None,
    )


def _not_written_as_planned(planned: TargetPlan, after: TargetState) -> list[str]:
    """The planned changes that the re-read after the write does not show."""
    specs = parameters(planned.profile.engine)
    problems = []
    for change in planned.changes:
        seen = after.parameters.get(change.parameter)
        value = seen.value if seen else None
        try:
            same = value is not None and Duration.from_native(
                value, specs[change.parameter].unit
            ) == Duration.from_native(change.desired, change.unit)
        except DurationError:
            same = False
        if not same:
            problems.append(
                f"{change.parameter} reads {value!r} after the write, not {change.desired!r}"
            )
    return problems


def _read(adapters: _Adapters, profile: Profile, target: Target) -> TargetState:
    adapter = adapters.get(Provider(target.provider))
    return adapter.read(target, profile.engine, tuple(parameters(profile.engine)))


def _select(profiles: Sequence[Profile], only: Collection[str]) -> list[tuple[Profile, Target]]:
    pairs = [(profile, target) for profile in profiles for target in profile.targets]
    if not only:
        return pairs
    known = {target.id for _, target in pairs}
    unknown = sorted(set(only) - known)
    if unknown:
        raise UnknownTargetError(
            f"no profile has the target {', '.join(unknown)}",
            hint="known targets: " + (", ".join(sorted(known)) or "none"),
        )
    return [(profile, target) for profile, target in pairs if target.id in only]


class _Adapters:
    """One adapter per provider per run, loaded on first use (and its SDK with it)."""

    def __init__(self, loader: AdapterLoader) -> None:
        self._loader = loader
        self._loaded: dict[Provider, ProviderAdapter | ProviderUnavailableError] = {}
        self._lock = threading.Lock()

    def get(self, provider: Provider) -> ProviderAdapter:
        with self._lock:
            if provider not in self._loaded:
                self._load(provider)
        adapter = self._loaded[provider]
        if isinstance(adapter, ProviderUnavailableError):
            raise adapter
        return adapter

    def _load(self, provider: Provider) -> None:
        try:
            self._loaded[provider] = self._loader(provider)
        except ProviderUnavailableError as error:
            self._loaded[provider] = error


def _concurrently(work: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
    items = list(items)
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_TARGETS, len(items))) as pool:
        return list(pool.map(work, items))


def _with_hint(error: CloudtimeoutsError) -> str:
    return f"{error.message} (hint: {error.hint})" if error.hint else error.message
