"""What closes an idle Django connection, and when: a profile's whole path as timeline entries.

Offline, like `validate`, and with the guard's own values and verdicts, never new ones:
- the hops' timeouts are `chain.hop_values` (the profile's value, else the kind's documented
  default), judged by `chain.path_findings` (refusals, and the notes saying which network hops
  the server's TCP keepalives keep open);
- the server's idle timeouts are `guard.effective_idle_timeouts` over the engine's documented
  defaults — and Aurora's where a target may be Aurora — judged by `guard.check`, exactly as
  `verdict.offline_violations` does;
- Django's budgets are `chain.budget_of`, the keepalive `chain.keepalive`;
- the verdict is `verdict.offline_violations`: what `validate` prints, and its exit code.

An entry is "checked" when the guard accepts it only because Django's pool checks every
connection on checkout (CONN_HEALTH_CHECKS): the guard refuses it once checks are off.
The renderings (`render_explain`) draw these entries on one log-scaled time axis (`Axis`).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Literal

from cloudtimeouts import guard
from cloudtimeouts.catalog import Engine
from cloudtimeouts.chain import HopValue, budget_of, hop_values, keepalive, path_outcomes
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import Closes, ZeroMeans, kinds
from cloudtimeouts.model import Finding
from cloudtimeouts.profile import Profile
from cloudtimeouts.verdict import offline_platforms, offline_values, offline_violations

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
    "MySQL backend does not (Aurora MySQL excepted)",
    "off": "disabled: never fires",
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeout on the timeline, with the guard's verdict on it."""

    key: str  # the guard's name for it: "pgb.client_idle_timeout", "idle_session_timeout"
    where: str  # "pgb", "server", "aurora" (a server default that differs on Aurora)
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

    @property
    def label(self) -> str:
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
        low = max((t for t in _TICKS if t <= min(shown)), default=_TICKS[0])
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
    refusals: tuple[Finding, ...]  # verdict.offline_violations: what `validate` refuses
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
    budget = budget_of(profile.django)
    margin = profile.guard.margin
    unchecked = _without_health_checks(profile)
    entries = _hop_entries(profile, unchecked) + _server_entries(profile, unchecked)
    in_transaction = profile.django.max_idle_in_transaction is not None
    entries = [replace(entry, against=_against(entry, in_transaction)) for entry in entries]
    order = {id(entry): index for index, entry in enumerate(entries)}
    entries.sort(key=lambda e: (e.value.disabled, e.value, order[id(e)]))
    budgets = [BudgetBar("session", budget.session, margin, budget.session_words)]
    if profile.django.max_idle_in_transaction is not None:
        budgets.append(
            BudgetBar("transaction", budget.transaction, margin, budget.transaction_words)
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
        refusals=tuple(offline_violations(profile)),
        axis=Axis.spanning(values),
    )


def _against(entry: Entry, in_transaction: bool) -> Literal["session", "transaction"] | None:
    """Which of Django's budgets the guard holds this timeout to (none: it does not judge it)."""
    if entry.value.disabled or entry.closes == "server" or entry.status == "not Django's":
        return None
    return "transaction" if entry.closes == "transaction" and in_transaction else "session"


def _without_health_checks(profile: Profile) -> Profile | None:
    """The same profile with CONN_HEALTH_CHECKS off, when the guard relies on them (a pool)."""
    if not budget_of(profile.django).checked:
        return None
    django = profile.django.model_copy(update={"conn_health_checks": False})
    return profile.model_copy(update={"django": django})


def _zero(item: HopValue) -> ZeroMeans:
    """What 0 means for this hop timeout (PgBouncer's server_lifetime: used once, hops)."""
    return kinds()[item.hop.kind].timeout(item.name).zero


def _status(
    key: object,
    value: Duration,
    closes: Closes,
    refused: Collection[object],
    if_unchecked: Collection[object],
    zero: ZeroMeans = "disabled",
) -> Status:
    if closes == "server" and (zero != "disabled" or not value.disabled):
        return "pooler only"  # server_lifetime 0 closes each server connection after one use
    if value.disabled:
        return "off"
    if key in refused:
        return "refused"
    return "checked" if key in if_unchecked else "safe"


def _hop_entries(profile: Profile, unchecked: Profile | None) -> list[Entry]:
    # each hop by its place in the path, never by its name: two hops may share one
    said = {(item.index, item.name): (outcome, f) for item, outcome, f in path_outcomes(profile)}
    refused = {at for at, (outcome, _) in said.items() if outcome == "refused"}
    if_unchecked = (
        {(item.index, item.name) for item, o, _ in path_outcomes(unchecked) if o == "refused"}
        if unchecked
        else set()
    )
    entries = []
    for item in hop_values(profile):
        key = f"{item.hop.name}.{item.name}"
        at = (item.index, item.name)
        status = _status(at, item.value, item.closes, refused, if_unchecked, _zero(item))
        outcome, finding = said.get(at, (None, None))
        if outcome == "kept open" and kinds()[item.hop.kind].network:
            status = "kept open"
        entries.append(
            Entry(key, item.hop.name, item.name, item.value, item.source, item.closes, status,
                  finding)
        )  # fmt: skip
    return entries


def _server_findings(
    profile: Profile, effective: dict[str, guard.Observed], where: str, platform: str
) -> dict[str, Finding]:
    findings = guard.check(
        profile.engine,
        profile.django.conn_max_age,
        profile.guard.margin,
        effective,
        where,
        budget=budget_of(profile.django),
        platform=platform,
    )
    return {finding.parameter: finding for finding in findings}


def _server_entries(profile: Profile, unchecked: Profile | None) -> list[Entry]:
    entries: list[Entry] = []
    shown: dict[str, Duration] = {}
    for platform in offline_platforms(profile):
        effective = offline_values(profile, platform)
        where = f"profile {profile.name}" + (f" (on {platform})" if platform else "")
        refused = _server_findings(profile, effective, where, platform)
        if_unchecked = (
            set(_server_findings(unchecked, effective, where, platform)) if unchecked else set()
        )
        budget = budget_of(profile.django)
        for name, observed in effective.items():
            if name in shown and shown[name] == observed.value:
                continue  # Aurora keeps the engine's default here: one entry is enough
            shown[name] = observed.value
            closes: Closes = "transaction" if name in guard.TRANSACTION_IDLE else "client"
            source = (
                "from the profile" if observed.source == "profile" else "the documented default"
            )
            if platform and observed.source != "profile":
                source += f" on {platform}"
            status = _status(name, observed.value, closes, set(refused), if_unchecked)
            if status != "off" and guard.not_judged_because(profile.engine, name, platform, budget):
                status = "not Django's"
            entries.append(
                Entry(name, "aurora" if platform else "server", name, observed.value, source,
                      closes, status, refused.get(name))
            )  # fmt: skip
    return entries
