"""The library calls that are more than one function of another module: each CLI command's safety.

`cloudtimeouts/__init__.py` exports these beside the functions the CLI calls as they are
(`load_profile`, `make_plan`, `explain`, `django_settings`, `verify`); docs/library.md is the
reference. What this module adds, and why:

- `validate`: `cloudtimeouts validate` (the offline guard) returning its findings, not an exit code.
- `plan_terraform`: `plan --terraform-plan`, from a file or from the parsed JSON.
- `apply_plan`: `applying.apply_plan` with a journal by default, as the CLI always writes one
  (a new file at `journal.default_path()`); `journal=None` is the caller's explicit choice of no
  record, and then `rollback` cannot undo that apply.
- `export_terraform`: `cloudtimeouts export --format terraform`, the header naming the profiles.
- `observe`: `cloudtimeouts observe`, a profile or its file, `watch` a duration or its spelling.
- `rollback`: `cloudtimeouts rollback` in one call: the journal read back into profiles, planned
  and guarded like any plan, written with a journal of its own, targets it cannot restore
  reported in the result (never a blocker for the others).

Each call imports what it runs when it runs (`validate` loads no adapter, thread or journal), so
that the CLI's `validate` reaches the library without loading what only the clouds need.
Nothing here asks for confirmation or renders: a caller that wants to look first plans first.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TypeAlias

from cloudtimeouts.concurrency import DEFAULT_TIMEOUT_S, MAX_CONCURRENT_TARGETS
from cloudtimeouts.profile import Profile, load_profile
from cloudtimeouts.results import ApplyResult, Validation

if TYPE_CHECKING:
    from threading import Event

    from cloudtimeouts.concurrency import Cancellation
    from cloudtimeouts.diagnose.incidents import Diagnosis
    from cloudtimeouts.durations import Duration
    from cloudtimeouts.journal import Journal
    from cloudtimeouts.live.observe import ObserveReport
    from cloudtimeouts.plan import Plan


class _DefaultJournal:
    """The type of DEFAULT_JOURNAL: "write a new journal at journal.default_path()"."""

    def __repr__(self) -> str:
        return "DEFAULT_JOURNAL"


DEFAULT_JOURNAL: Final = _DefaultJournal()
if TYPE_CHECKING:  # where the journal goes: the journal module loads only when one is written
    JournalChoice: TypeAlias = str | Path | Journal | _DefaultJournal | None


def validate(profile: Profile | str | Path) -> Validation:
    """The offline guard of `cloudtimeouts validate` on a profile (or a profile file, loaded
    first: a ProfileError names file:line). No cloud is called."""
    from cloudtimeouts.offline import judge_offline

    loaded = profile if isinstance(profile, Profile) else load_profile(profile)
    verdict = judge_offline(loaded)
    return Validation(loaded, verdict.refusals, verdict.notes)


def plan_terraform(
    profiles: Sequence[Profile],
    terraform_plan: str | Path | Mapping[str, Any],
    only: Collection[str] = (),
) -> Plan:
    """`cloudtimeouts plan --terraform-plan`: judge the values a Terraform/OpenTofu plan will
    leave, given as the file `terraform show -json PLANFILE` wrote or as its parsed JSON (a
    dict). No cloud is called; a TerraformPlanError says what is wrong with the plan."""
    from cloudtimeouts.terraform.judge import plan_from_terraform
    from cloudtimeouts.terraform.planfile import plan_from_document

    if isinstance(terraform_plan, Mapping):
        return plan_from_terraform(profiles, plan_from_document(terraform_plan), only)
    return plan_from_terraform(profiles, Path(terraform_plan), only)


def export_terraform(profiles: Sequence[Profile], sources: Sequence[str] = ()) -> str:
    """`cloudtimeouts export --format terraform`: the profiles' managed values as Terraform HCL,
    for Terraform to hold and apply. `sources` name the profiles in the HCL's header (the CLI:
    the files as given; default: the profiles' names). UnsafeProfileError for a profile its own
    guard refuses: an unsafe state is never handed to Terraform either."""
    from cloudtimeouts import __version__
    from cloudtimeouts.terraform.export import export_terraform as hcl_of

    return hcl_of(profiles, list(sources) or [profile.name for profile in profiles], __version__)


@contextmanager
def journal_for(plan: Plan, journal: str | Path | Journal | None) -> Iterator[Journal | None]:
    """The journal an apply of `plan` writes: none when the plan writes nothing (no file is
    created), the caller's own `Journal` (theirs to close), else the file `journal` names (None:
    a new one at `journal.default_path()`), opened, and closed at the end. Shared with the CLI."""
    from cloudtimeouts.journal import Journal, default_path

    if not any(target.changes for target in plan.targets):
        yield None
    elif isinstance(journal, Journal):
        yield journal
    else:
        with Journal(Path(journal) if journal is not None else default_path()) as opened:
            yield opened


def apply_plan(
    plan: Plan,
    allow_restart: bool = False,
    *,
    journal: JournalChoice = DEFAULT_JOURNAL,
    timeout: float = DEFAULT_TIMEOUT_S,
    concurrency: int = MAX_CONCURRENT_TARGETS,
    cancel: Cancellation | None = None,
) -> ApplyResult:
    """`cloudtimeouts apply --yes` after `make_plan`: all or nothing before any write (a refusal or
    a failed target stops it: GuardRefusal / CloudtimeoutsError), restart-bound changes only with
    `allow_restart`, each target re-read before and confirmed after. Journaled as the CLI does:
    omit `journal` for a new file at `journal.default_path()`, or name a file (new, or an earlier
    journal to append to), or pass a `Journal`; `journal=None` writes no journal (and so leaves
    nothing to roll back). `result.journal` says where it went."""
    from cloudtimeouts.applying import apply_plan as _apply_plan
    from cloudtimeouts.applying import check_applicable

    check_applicable(plan, allow_restart)  # before the journal: a refused plan leaves no file
    if journal is None:
        return _apply_plan(plan, allow_restart, journal=None, timeout=timeout,
                           concurrency=concurrency, cancel=cancel)  # fmt: skip
    chosen = None if isinstance(journal, _DefaultJournal) else journal
    with journal_for(plan, chosen) as opened:
        return _apply_plan(plan, allow_restart, journal=opened, timeout=timeout,
                           concurrency=concurrency, cancel=cancel)  # fmt: skip


def rollback(
    journal_file: str | Path,
    only: Collection[str] = (),
    *,
    allow_restart: bool = False,
    journal: JournalChoice = DEFAULT_JOURNAL,
    timeout: float = DEFAULT_TIMEOUT_S,
    concurrency: int = MAX_CONCURRENT_TARGETS,
    cancel: Cancellation | None = None,
) -> ApplyResult:
    """`cloudtimeouts rollback JOURNAL --yes`: put back what the journal says apply wrote (or may
    have), each target re-read and guarded like an apply, under the profile it was applied with.

    `only`: target ids (`--target`). A target that cannot be read, or whose restore the guard
    refuses, is held back and reported in the result (outcome "failed" or "refused"), and the
    others are restored. The rollback's own writes are journaled like `apply_plan`'s (`journal`).
    A journal with nothing to roll back gives an empty result.
    """
    from cloudtimeouts.planning import make_plan
    from cloudtimeouts.rollback import read_rollback, restorable_plan, with_held_back

    undo = read_rollback(Path(journal_file), only=only)
    if not undo.profiles and not undo.unrestorable:
        return ApplyResult()
    planned = make_plan(list(undo.profiles), timeout=timeout, concurrency=concurrency,
                        cancel=cancel)  # fmt: skip
    undo_plan, restorable, held_back = restorable_plan(planned, undo)
    result = apply_plan(restorable, allow_restart, journal=journal, timeout=timeout,
                        concurrency=concurrency, cancel=cancel)  # fmt: skip
    return with_held_back(result, held_back, undo_plan)


def observe(
    profile: Profile | str | Path,
    database_url: str,
    *,
    watch: Duration | str | None = None,
    stop: Event | None = None,
) -> ObserveReport:
    """`cloudtimeouts observe`: who holds connections to the live database and for how long,
    each holder judged against its budget (a declared worker's when its application_name is the
    worker's name, else the request cycle's) and every idle timeout. `watch` (`"30s"` or a
    Duration) samples every second for that long and keeps each holder's longest idle age;
    setting `stop`, or a KeyboardInterrupt, ends it early with what was seen
    (`report.interrupted`). `report.refused`: a holder beyond its budget (the CLI's exit 3).
    Needs `psycopg` or `PyMySQL`; a connection error never repeats the password."""
    from cloudtimeouts.durations import Duration
    from cloudtimeouts.live.watch import observe as observe_live

    loaded = profile if isinstance(profile, Profile) else load_profile(profile)
    span = Duration.parse(watch) if isinstance(watch, str) else watch
    return observe_live(loaded, database_url, watch=span, stop=stop)


def diagnose(
    profile: Profile | str | Path,
    logs: Sequence[str | Path] = (),
    *,
    window: Duration | str | None = None,
    clock_offset: Duration | str | None = None,
    stdin: BinaryIO | None = None,
    from_target: bool = False,
    since: Duration | str = "24h",
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Diagnosis:
    """`cloudtimeouts diagnose`: which timeout closed the connections the application's errors
    met. `logs` are files, globs or `-` (standard input, or `stdin`), gzip or not, application
    and server logs in any mix, read in one pass. `from_target` also reads the server logs of the
    profile's targets through their cloud's API (RDS and Aurora: every instance a target reaches;
    Cloud SQL: its Cloud Logging entries; Azure: the flexible server's log files),
    those written in the last `since`, within `timeout` seconds; a cloud without such an API is a
    note. `window` is how long before an error its cause may be (default: the profile's longest
    finite budget plus its margin, at least a minute); `clock_offset` how far the application's
    clock is ahead of the servers' (`"-30s"`: behind). A profile the guard refuses is diagnosed
    too (`Diagnosis.profile_refusals` says so). `Diagnosis.found`: at least one incident (the
    CLI's exit 3). A log that cannot be read: `LogError`; a cloud's failure: its
    `CloudtimeoutsError`, as in `plan`."""
    from datetime import UTC, datetime
    from itertools import chain

    from cloudtimeouts.diagnose.incidents import diagnose as judge
    from cloudtimeouts.diagnose.read import read_logs
    from cloudtimeouts.errors import CloudtimeoutsError

    if not logs and not from_target:
        raise CloudtimeoutsError("give at least one LOG, or --from-target")
    loaded = profile if isinstance(profile, Profile) else load_profile(profile)
    read = read_logs([str(log) for log in logs], stdin)
    evidence: Iterator[Any] = iter(read)
    fetched = None
    if from_target:
        from cloudtimeouts.server_logs import Fetched, fetch_evidence

        fetched = Fetched()
        start = datetime.now(UTC) - _timedelta(since)
        evidence = chain(evidence, fetch_evidence(loaded, start, timeout=timeout, fetched=fetched))
    found = judge(
        loaded,
        evidence,
        window=None if window is None else _timedelta(window),
        clock_offset=timedelta(0) if clock_offset is None else _timedelta(clock_offset),
    )
    counts = [*read.counts, *(fetched.counts if fetched else ())]
    inputs = tuple(
        {
            "name": each.name,
            "lines": each.lines,
            "recognised": each.recognised,
            "unrecognised": each.unrecognised,
            "by_format": dict(sorted(each.by_format.items())),
        }
        for each in counts
    )
    return replace(found, inputs=inputs, notes=tuple(fetched.notes) if fetched else ())


def _timedelta(value: Duration | str) -> timedelta:
    """A duration as a timedelta; a string may start with "-" (a clock behind)."""
    from cloudtimeouts.durations import Duration

    if isinstance(value, str):
        negative = value.strip().startswith("-")
        parsed = Duration.parse(value.strip().removeprefix("-"))
        micro = -parsed.microseconds if negative else parsed.microseconds
        return timedelta(microseconds=micro)
    return timedelta(microseconds=value.microseconds)
