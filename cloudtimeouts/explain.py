"""What closes an idle Django connection, and when: a profile's whole path as timeline entries.

Offline, like `validate`, and with the guard's own values and verdicts, never new ones: every
entry is one of `offline.judge_offline`'s (the hops' timeouts, the profile's value else the
kind's documented default; the server's idle timeouts, the profile's value else the engine's
documented default, and another platform's where a target may be on it), with the outcome it
gave; the refusals are its refusals, what `validate` prints, and its exit code. Django's budgets
are the verdict's (`budget.budget_of`), the keepalive `path_guard.keepalive`.

An entry is "checked" when the guard accepts it only because Django's pool checks every
connection on checkout (CONN_HEALTH_CHECKS): the guard refuses it once checks are off.
The renderings (`render.explain`) draw these entries on one log-scaled time axis (`Axis`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import Closes
from cloudtimeouts.model import Finding
from cloudtimeouts.offline import Judged, Outcome, judge_offline
from cloudtimeouts.path_guard import keepalive
from cloudtimeouts.profile import Profile

Status = Literal["refused", "kept open", "safe", "checked", "pooler only", "not Django's", "off"]

CLOSES_WORDS: dict[Closes, str] = {
    "client": "the client connection between requests",
    "transaction": "the client connection inside a transaction",
    "server": "the pooler's server connections only",
}

STATUS_WORDS: dict[Status, str] = {
    "refused": "refused by the guard: it can close a connection Django still holds",
    "kept open": "never fires: TCP keepalives (the server's or Django's) keep this hop's state "
    "fresh",
    "safe": "fires after Django's budget: Django has let the connection go by then",
    "checked": "fires within Django's budget, but the pool checks each connection on checkout",
    "pooler only": "Django never sees it: the pooler reconnects by itself",
    "not Django's": "applies only to clients that connect with CLIENT_INTERACTIVE; Django's "
    "MySQL backend does not (a platform that applies it to every session excepted)",
    "off": "disabled: never fires",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeout on the timeline, with the guard's verdict on it."""

    key: str  # the guard's name for it: "pgb.client_idle_timeout", "idle_session_timeout"
    # "pgb" (a hop's name), "server", or a platform's prefix (a server default that differs there)
    where: str
    name: str  # the native name
    value: Duration  # 0: disabled
    source: str  # "from the profile", "the documented default…"
    closes: Closes
    status: Status
    finding: Finding | None = None  # the guard's refusal, or its keepalive note
    against: Literal["session", "transaction"] | None = None  # the budget it must outlast

    @property
    def judged(self) -> bool:
        return self.against is not None

    @property
    def label(self) -> str:
        return f"{self.where} {self.name}"

    @property
    def fires(self) -> bool:
        """Whether it ever closes anything (enabled, and not kept open by keepalives)."""
        return not self.value.disabled and self.status != "kept open"


@dataclass(frozen=True, slots=True)
class BudgetBar:
    """How long Django may hold a connection idle, as the guard counts it (plus the margin)."""

    what: Literal["session", "transaction"]
    held: Duration | None  # None: unlimited
    margin: Duration
    words: str  # the guard's words: "CONN_MAX_AGE 300 s", "the pool's max_lifetime 1h …"
    worker: str | None = None  # a worker's budget (`workers:`), not the requests'

    @property
    def label(self) -> str:
        if self.worker is not None:
            return f"worker {self.worker}" + (" in a transaction" * (self.what != "session"))
        return "Django between requests" if self.what == "session" else "Django in a transaction"

    @property
    def total(self) -> Duration | None:
        return None if self.held is None else self.held + self.margin


# Tick marks, in the order a log axis shows them: round values people recognise.
_TICKS = tuple(
    Duration.parse(text)
    for text in (
        "1ms", "10ms", "100ms", "1s", "10s", "1min", "10min", "1h", "6h", "1d", "7d", "30d",
        "365d", "3650d",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Axis:
    """A log-scaled time axis from `low` to `high`, both ticks."""

    low: Duration
    high: Duration
    ticks: tuple[Duration, ...]

    @classmethod
    def spanning(cls, values: list[Duration]) -> Axis:
        shown = [value for value in values if not value.disabled]
        if not shown:
            shown = [Duration.of_seconds(1), Duration.of_seconds(3600)]
        # strictly below the smallest value: a value on the axis' start would draw Django's
        # budget bar as a sliver there, as if the budget started at that tick (issue 20)
        low = max((t for t in _TICKS if t < min(shown)), default=_TICKS[0])
        high = min((t for t in _TICKS if t >= max(shown)), default=_TICKS[-1])
        if high == low:
            high = _TICKS[min(_TICKS.index(low) + 1, len(_TICKS) - 1)]
        return cls(low, high, tuple(t for t in _TICKS if low <= t <= high))

    def position(self, value: Duration | None) -> float:
        """Where a value sits, from 0 (low) to 1 (high); 0 for disabled, 1 for unlimited."""
        if value is None:
            return 1.0
        if value.microseconds <= self.low.microseconds:
            return 0.0
        span = math.log(self.high.microseconds / self.low.microseconds)
        return min(1.0, math.log(value.microseconds / self.low.microseconds) / span)


@dataclass(frozen=True, slots=True)
class Hop:
    name: str
    kind: str
    provider: str | None


@dataclass(frozen=True, slots=True)
class Explanation:
    profile: str
    engine: Engine
    path: tuple[Hop, ...]
    budgets: tuple[BudgetBar, ...]
    entries: tuple[Entry, ...]  # in the order they fire; disabled ones last
    keepalive: Duration | None  # tcp_keepalives_idle, when the profile sets it
    refusals: tuple[Finding, ...]  # offline.judge_offline's: what `validate` refuses
    axis: Axis

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    @property
    def first(self) -> Entry | None:
        """The timeout that fires first on an idle connection, whatever it closes."""
        return next((entry for entry in self.entries if entry.fires), None)

    @property
    def first_between_requests(self) -> Entry | None:
        """The first that closes Django's connection while it waits for the next request."""
        return next((e for e in self.entries if e.fires and e.closes == "client"), None)

    @property
    def kept_open(self) -> tuple[Entry, ...]:
        return tuple(entry for entry in self.entries if entry.status == "kept open")


def explain(profile: Profile) -> Explanation:
    """The profile's path, server timeouts and Django budgets, judged as `validate` judges them."""
    verdict = judge_offline(profile)
    budget = verdict.budget
    margin = profile.guard.margin
    in_transaction = profile.django.max_idle_in_transaction is not None
    entries = [_entry(judged, in_transaction) for judged in _shown(verdict.entries)]
    order = {id(entry): index for index, entry in enumerate(entries)}
    entries.sort(key=lambda e: (e.value.disabled, e.value, order[id(e)]))
    budgets = [BudgetBar("session", budget.session, margin, budget.session_words)]
    if profile.django.max_idle_in_transaction is not None:
        budgets.append(
            BudgetBar("transaction", budget.transaction, margin, budget.transaction_words)
        )
    for worker, each in zip(profile.workers, verdict.budgets[1:], strict=True):
        budgets.append(BudgetBar("session", each.session, margin, each.session_words, worker.name))
        if worker.max_gap_in_transaction is not None:
            budgets.append(
                BudgetBar(
                    "transaction", each.transaction, margin, each.transaction_words, worker.name
                )
            )
    every = keepalive(profile)
    values = [entry.value for entry in entries]
    values += [v for bar in budgets for v in (bar.held, bar.total) if v is not None]
    values += [every] if every is not None else []
    return Explanation(
        profile=profile.name,
        engine=profile.engine,
        path=tuple(Hop(h.name, h.kind, getattr(h, "provider", None)) for h in profile.path),
        budgets=tuple(budgets),
        entries=tuple(entries),
        keepalive=every,
        refusals=verdict.refusals,
        axis=Axis.spanning(values),
    )


def _against(entry: Entry, in_transaction: bool) -> Literal["session", "transaction"] | None:
    """Which of Django's budgets the entry is drawn against (none: the guard does not judge
    it); a transaction-idle timeout against the session budget when no transaction budget is
    declared: the guard then holds it to CONN_MAX_AGE, or to nothing (docs/guard.md, 6)."""
    if entry.value.disabled or entry.closes == "server" or entry.status == "not Django's":
        return None
    return "transaction" if entry.closes == "transaction" and in_transaction else "session"


# The guard's outcome as the timeline shows it: an unjudged transaction-idle timeout is drawn
# like any other, its note said under the table.
_STATUS: dict[Outcome, Status] = {
    "refused": "refused",
    "unjudged": "safe",
    "not Django's": "not Django's",
    "kept open": "kept open",
    "checked": "checked",
    "safe": "safe",
    "pooler only": "pooler only",
    "off": "off",
}


def _entry(judged: Judged, in_transaction: bool) -> Entry:
    """One timeline entry from the guard's: a hop's finding is its refusal or its note (kept
    open, unjudged); a server parameter's, its refusal only."""
    status = _STATUS[judged.outcome]
    if judged.hop is not None:
        where, finding = judged.hop.hop.name, judged.finding
    else:
        where = judged.platform or "server"
        finding = judged.finding if judged.outcome == "refused" else None
    entry = Entry(judged.key, where, judged.name, judged.value, judged.source, judged.closes,
                  status, finding)  # fmt: skip
    return replace(entry, against=_against(entry, in_transaction))


def _shown(entries: Iterable[Judged]) -> list[Judged]:
    """Every entry, but a server parameter another platform holds at the same value with the
    same outcome once: a platform keeps most of the engine's defaults."""
    shown: dict[str, tuple[Duration, Status]] = {}
    kept = []
    for judged in entries:
        if judged.hop is None:
            seen = (judged.value, _STATUS[judged.outcome])
            if shown.get(judged.name) == seen:
                continue
            shown[judged.name] = seen
        kept.append(judged)
    return kept
