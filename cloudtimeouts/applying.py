"""Applying a plan: re-read, journal, write, confirm by a re-read, reconcile what is unknown.

Reading is `planning`'s job and the diff is `plan`'s; this module only carries out a plan that
was made and shown, and accounts for every write. Its safety rules (README, "What apply
guarantees"): nothing is written when any target of the plan was refused or failed;
restart-bound changes need `allow_restart`; each target is re-read just before writing and
skipped if it changed since the plan; each write is announced in the journal before it is sent
and its outcome recorded after; a write whose outcome is unknown is reconciled by reading the
target, never sent again; every write is confirmed by a re-read, and one the re-read does not
show is never reported written; a failure of any kind stays that target's; a stop request, or a
journal that can no longer be written, lets no new write start.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence

from cloudtimeouts.adapters import AdapterLoader, Adapters, read_target, unexpected, with_hint
from cloudtimeouts.concurrency import (
    DEFAULT_TIMEOUT_S,
    MAX_CONCURRENT_TARGETS,
    MAX_THREADS,
    Cancellation,
    run_bounded,
)
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.errors import (
    CloudtimeoutsError,
    GuardRefusal,
    TargetChangedError,
    WriteError,
)
from cloudtimeouts.journal import Journal, JournalError, WriteOutcomeWord, profile_record
from cloudtimeouts.model import Change, ParameterState, TargetState
from cloudtimeouts.plan import Plan, TargetPlan, rejudge
from cloudtimeouts.providers import load_adapter
from cloudtimeouts.results import ApplyResult, Outcome, TargetResult


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
    plan: Plan,
    allow_restart: bool = False,
    adapter_loader: AdapterLoader = load_adapter,
    *,
    journal: Journal | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    cancel: Cancellation | None = None,
    concurrency: int = MAX_CONCURRENT_TARGETS,
    progress: Callable[[TargetResult], None] | None = None,
) -> ApplyResult:
    """Write every target of an applicable plan; each target's result says what was written."""
    check_applicable(plan, allow_restart)
    cancel = cancel or Cancellation()
    run = _ApplyRun(Adapters(adapter_loader), journal, cancel)
    pending = [target for target in plan.targets if target.changes]
    if journal is not None and pending:
        journal.started()
    finished = run_bounded(
        run.apply_target,
        pending,
        concurrency=MAX_THREADS,
        per_scope=concurrency,
        scope=lambda planned: planned.target.scope,
        timeout=timeout,
        cancel=cancel,
        on_timeout=run.abandoned,
        on_cancel=run.not_started,
        on_error=run.crashed,
        on_result=progress,
    )
    results = {result.id: result for result in finished}
    return ApplyResult(
        targets=tuple(
            results.get(target.id, TargetResult(target.id, "unchanged")) for target in plan.targets
        ),
        journal=str(journal.path) if journal is not None else None,
        interrupted=cancel.requested.is_set(),
        journal_error=run.journal_error,
    )


class _ApplyRun:
    """One apply: per-target steps sharing the adapters, the journal and the stop request."""

    def __init__(self, adapters: Adapters, journal: Journal | None, cancel: Cancellation) -> None:
        self.adapters, self.journal, self.cancel = adapters, journal, cancel
        self.journal_error: str | None = None  # set once: from then on no write may start
        self._sent: set[str] = set()  # targets whose write request may have left
        self._given_up: set[str] = set()  # past their deadline before any write: none may start
        self._lock = threading.Lock()

    def apply_target(self, planned: TargetPlan) -> TargetResult:
        profile, target, changes = planned.profile, planned.target, planned.changes
        assert planned.state is not None  # a plan with changes always carries what it read
        names = tuple(change.parameter for change in changes)
        try:
            fresh = read_target(self.adapters, profile, target)
        except CloudtimeoutsError as error:
            return TargetResult(target.id, "failed", not_written=names, error=with_hint(error))
        changed = _changed_since_plan(planned, fresh)
        if changed:
            return TargetResult(
                target.id,
                "changed-since-plan",
                not_written=names,
                error=f"{target.id} changed since the plan ({changed}); nothing was written "
                "there (run plan again)",
            )
        with self._lock:  # a stop request or a deadline and the first write never cross
            if self.cancel.requested.is_set() or target.id in self._given_up:
                return self.not_started(planned)
            if self.journal_error is None:
                self._sent.add(target.id)
        failure = self.journal_error or self._journal_intent(planned)
        if failure:  # the journal is the promise that every write is accounted for
            with self._lock:
                self._sent.discard(target.id)
            why = f"not written: the journal failed ({failure}), so no write started after it"
            return TargetResult(target.id, "not-started", not_written=names, error=why)
        try:
            outcome = self.adapters.get(target.provider).write(target, fresh, changes)
        except TargetChangedError as error:  # the cloud's own precondition: nothing was applied
            return self._finish(planned, "changed-since-plan", (), names, (), with_hint(error))
        except WriteError as error:
            return self._reconcile(
                planned, error.written, error.unknown, with_hint(error), error.in_flight
            )
        except CloudtimeoutsError as error:  # the adapter contract: refused, nothing applied
            return self._finish(planned, "failed", (), names, (), with_hint(error))
        except BaseException as error:  # of any kind: the write may have happened, or may still
            return self._reconcile(planned, (), names, unexpected(error), in_flight=True)
        try:
            after: TargetState | None = read_target(self.adapters, profile, target)
            unread = ""
        except CloudtimeoutsError as error:
            after, unread = None, with_hint(error)
        written, not_written, unknown, problems = _confirmed(planned, after, names, False)
        if unread:
            error_text = f"the write was sent, but the re-read to confirm it failed: {unread}"
        else:
            error_text = "verification failed: " + "; ".join(problems) if problems else None
        return self._finish(
            planned, "failed" if error_text else "applied", written, not_written, unknown,
            error_text, outcome.pending_restart, outcome.notes,
        )  # fmt: skip

    def _reconcile(
        self,
        planned: TargetPlan,
        written: Sequence[str],
        unknown: Sequence[str],
        error: str,
        in_flight: bool = False,
    ) -> TargetResult:
        """After a failed write, read the target to learn what the requests that may have
        reached it did (those the cloud confirmed too: only a re-read confirms a write).

        A value that reads as desired was written. One that reads as before was not — unless the
        write may still be in flight, when it stays unknown.
        """
        sent = (*written, *unknown)
        try:
            after = read_target(self.adapters, planned.profile, planned.target) if sent else None
        except BaseException:
            after = None
        done, not_written, still_unknown, _ = _confirmed(planned, after, sent, in_flight)
        if not still_unknown and not not_written:  # the answer was lost, not the write
            note = (
                f"the write's answer was an error ({error}); a re-read shows every change in place"
            )
            return self._finish(planned, "applied", done, (), (), None, notes=(note,))
        return self._finish(planned, "failed", done, not_written, still_unknown, error)

    def _finish(
        self,
        planned: TargetPlan,
        outcome: Outcome,
        written: tuple[str, ...],
        not_written: tuple[str, ...],
        unknown: tuple[str, ...],
        error: str | None,
        pending_restart: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> TargetResult:
        order = [change.parameter for change in planned.changes]
        ordered = lambda names: tuple(n for n in order if n in names)  # noqa: E731
        by_name = {change.parameter: change for change in planned.changes}
        groups: tuple[tuple[WriteOutcomeWord, tuple[str, ...]], ...] = (
            ("written", written), ("not-written", not_written), ("unknown", unknown),
        )  # fmt: skip
        for word, group in groups:
            changes = [by_name[n] for n in ordered(group)]
            failure = self._record(lambda j, c=changes, w=word: j.writes(planned.id, c, w))
            if failure:
                notes += (
                    f"the journal could not record this outcome ({failure}); it shows these "
                    "writes as intended, so rollback still restores them",
                )
                break
        return TargetResult(
            planned.id,
            outcome,
            ordered(written),
            ordered(not_written),
            ordered(unknown),
            pending_restart,
            notes,
            error,
        )

    def _record(self, write: Callable[[Journal], None]) -> str | None:
        """Write to the journal; on failure, say why and let no new write start (None: done)."""
        if self.journal is None:
            return None
        try:
            write(self.journal)
        except JournalError as error:
            with self._lock:
                self.journal_error = self.journal_error or error.message
            return error.message
        return None

    def _journal_intent(self, planned: TargetPlan) -> str | None:
        """The target (with the whole profile, for rollback) and every change, before sending."""
        declared = planned.target.model_dump(mode="json", exclude_none=True)

        def intent(journal: Journal) -> None:
            journal.target(planned.id, declared, profile_record(planned.profile))
            journal.writes(planned.id, planned.changes, "intent")

        return self._record(intent)

    def not_started(self, planned: TargetPlan) -> TargetResult:
        names = tuple(change.parameter for change in planned.changes)
        return TargetResult(
            planned.id, "not-started", not_written=names, error="interrupted before any write"
        )

    def abandoned(self, planned: TargetPlan) -> TargetResult:
        """Past its deadline (or a second Ctrl-C): a write may be in flight, so say unknown."""
        names = tuple(change.parameter for change in planned.changes)
        with self._lock:
            sent = planned.id in self._sent
            if not sent:
                self._given_up.add(planned.id)
        why = (
            "interrupted"
            if self.cancel.forced.is_set()
            else f"no answer from {self.adapters.endpoint(planned.target)} in time"
        )
        if not sent:
            return TargetResult(
                planned.id, "failed", not_written=names, error=f"{why}; not written"
            )
        self._record(lambda journal: journal.writes(planned.id, planned.changes, "unknown"))
        return TargetResult(
            planned.id,
            "interrupted" if self.cancel.forced.is_set() else "failed",
            unknown=names,
            error=f"{why} while writing; run plan to see what was written",
        )

    def crashed(self, planned: TargetPlan, error: BaseException) -> TargetResult:
        names = [c.parameter for c in planned.changes]
        return self._reconcile(planned, (), names, unexpected(error), in_flight=True)


def _confirmed(
    planned: TargetPlan, after: TargetState | None, sent: Collection[str], in_flight: bool
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], list[str]]:
    """(written, not written, unknown, problems in words): what a re-read after a write shows.

    Only a value that reads as desired was written. A change never sent, or one that reads as
    before (unless it may still be in flight), was not. Anything else — a third value, no value,
    no re-read at all — is unknown: it may have been written, so the journal and rollback keep it.
    """
    written: list[str] = []
    not_written: list[str] = []
    unknown: list[str] = []
    problems: list[str] = []
    for change in planned.changes:
        name = change.parameter
        seen = after.parameters.get(name) if after is not None else None
        value = seen.value if seen is not None else None
        if name not in sent:
            not_written.append(name)
        elif after is None:
            unknown.append(name)
        elif _reads_as_desired(seen, change):
            written.append(name)
        elif not in_flight and _reads_as_before(seen, change):
            not_written.append(name)
            problems.append(f"{name} still reads {value!r} after the write: not written")
        else:
            unknown.append(name)
            problems.append(
                f"{name} reads {value!r} after the write, not {change.desired!r}: unconfirmed"
            )
    return tuple(written), tuple(not_written), tuple(unknown), problems


def _changed_since_plan(planned: TargetPlan, fresh: TargetState) -> str | None:
    """What differs between the approved plan and the same plan on a re-read, in words; None:
    nothing. Every value the verdict depended on is compared (the target's, its instances' other
    groups), and the same guard, with the same neighbours, runs again on the re-read."""
    assert planned.state is not None
    again = rejudge(planned, fresh)
    if fresh.fingerprint() != planned.state.fingerprint():
        return "a value the plan read differs"
    if again.error:
        return again.error
    if again.refusals != planned.refusals:
        return "the guard's verdict on the re-read differs"
    return None


def _reads_as_before(seen: ParameterState | None, change: Change) -> bool:
    """The value from before the write: the same value, or still no value of the target's own
    where the default was in force."""
    value = seen.value if seen is not None else None
    if change.current_source == "default" and (
        value in (None, "") or (seen is not None and seen.value_is_default)
    ):
        return True
    return _same_value(value, change.current, change)


def _reads_as_desired(seen: ParameterState | None, change: Change) -> bool:
    """A reset reads back as no value of the target's own (or as the default); else the value."""
    value = seen.value if seen is not None else None
    if change.reset and (value in (None, "") or (seen is not None and seen.value_is_default)):
        return True
    return _same_value(value, change.desired, change)


def _same_value(value: str | None, expected: str, change: Change) -> bool:
    if value is None:
        return False
    try:
        return Duration.from_native(value, change.unit) == Duration.from_native(
            expected, change.unit
        )
    except DurationError:
        return value == expected
