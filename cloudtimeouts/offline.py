"""The offline guard: a profile judged without reading any target, once, for every command.

`validate`, `explain`, `django-settings`, `export` and `import` know no database instance, so
the values in force are the profile's, else the documented defaults (docs/guard.md, 2): the
engine's, and where a target may be on another platform (`offline_platforms`) that
platform's too, the stricter result winning. `judge_offline` judges them all, the server's idle
timeouts (`guard.judge_parameter`) and every hop of the path (`path_guard.path_outcomes`), and
returns one `OfflineVerdict`: one `Judged` entry per timeout (what it is, its value in force and
where that comes from, the budget it was compared with, the outcome and the finding that says
it), with the refusals and notes `validate` prints. Each command renders that one result:
`validate` its refusals and notes, `explain` its table, `django-settings` its comments and its
refusal, so no two of them can disagree on what the guard said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from cloudtimeouts import guard
from cloudtimeouts.budget import Budget, budgets_of
from cloudtimeouts.catalog import idle_parameters, parameters
from cloudtimeouts.cloud import parameter_default, platforms
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import Closes, kinds
from cloudtimeouts.model import Finding
from cloudtimeouts.path_guard import HopValue, hop_values, path_outcomes
from cloudtimeouts.profile import Profile

Outcome = Literal[
    "refused",  # it can close a connection Django still holds: the finding is the refusal
    "unjudged",  # transaction-idle, with no declared transaction budget: the finding says so
    "not Django's",  # does not close Django's connections here (interactive_timeout)
    "kept open",  # a network hop TCP keepalives keep fresh: the finding says whose
    "checked",  # accepted only because the pool checks each connection on checkout
    "safe",  # accepted: it fires after Django's budget (and the margin)
    "pooler only",  # closes a pooler's own server connections: shown, never judged
    "off",  # disabled: never fires
]


@dataclass(frozen=True, slots=True)
class Judged:
    """One timeout as the offline guard judged it: a server parameter on one platform, or one
    timeout of one hop (by its place in the path: two hops may share a name)."""

    key: str  # the finding's name: "idle_session_timeout", "pgb.client_idle_timeout"
    name: str  # the native name
    value: Duration  # in force offline: the profile's, else the documented default; 0 is off
    declared: bool  # the profile's own value
    source: str  # in words: "from the profile", "the documented default on <cloud>"
    closes: Closes  # Django's connection ("client", "transaction"), or the pooler's ("server")
    against: Literal["session", "transaction"] | None  # the budget compared; None: not judged
    outcome: Outcome
    finding: Finding | None = None  # the refusal, or the note the guard says of it
    platform: str = ""  # a server parameter's platform: "" the engine's own
    hop: HopValue | None = None  # None: a server parameter
    # Refusals of the same timeout by the other budgets (a worker's), after `finding`'s.
    also: tuple[Finding, ...] = ()

    @property
    def at(self) -> tuple[object, ...]:
        """Its identity across runs of the guard: the hop's place, or the platform, and name."""
        if self.hop is None:
            return ("server", self.platform, self.name)
        return ("hop", self.hop.index, self.name)


@dataclass(frozen=True, slots=True)
class OfflineVerdict:
    """What the offline guard says of one profile; `refusals` and `notes` are what `validate`
    prints (refusals make exit 3), `entries` every timeout behind them."""

    profile: Profile
    budget: Budget  # Django's requests' (`budgets[0]`)
    budgets: tuple[Budget, ...]  # every budget judged: Django's requests, then each worker's
    platforms: tuple[str, ...]  # the platforms judged, the engine's own ("") first
    entries: tuple[Judged, ...]  # the path's hops in order, then the server's, per platform
    refusals: tuple[Finding, ...]
    notes: tuple[Finding, ...]

    @property
    def refused(self) -> bool:
        return bool(self.refusals)


def judge_offline(profile: Profile) -> OfflineVerdict:
    """The guard with no target: the declared values, else the defaults, on every platform the
    profile's targets may be on.

    An entry the guard accepts only because Django's pool checks each connection on checkout
    (CONN_HEALTH_CHECKS) is "checked": the same profile without the checks is refused there.
    """
    budgets = budgets_of(profile)
    platforms = tuple(offline_platforms(profile))
    entries = _judged(profile, budgets, platforms)
    if budgets[0].checked:
        unchecked = _without_health_checks(profile)
        refused = {
            entry.at
            for entry in _judged(unchecked, budgets_of(unchecked), platforms)
            if entry.outcome == "refused"
        }
        entries = [
            replace(entry, outcome="checked")
            if entry.outcome == "safe" and entry.at in refused
            else entry
            for entry in entries
        ]
    refusals, notes = _findings(entries)
    return OfflineVerdict(profile, budgets[0], budgets, platforms, tuple(entries), refusals, notes)


def _findings(entries: Sequence[Judged]) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """`validate`'s refusals and notes: the server's first, then the path's. One refusal per
    parameter (the first platform's that refuses it: a refusal on any platform stands), and a
    server note only for a parameter no platform refuses."""
    server = [entry for entry in entries if entry.hop is None and entry.finding is not None]
    path = [entry for entry in entries if entry.hop is not None and entry.finding is not None]
    refusals: dict[str, Finding] = {}
    also: dict[Finding, None] = {}  # other budgets' refusals (a worker's), once each
    for entry in server:
        if entry.outcome == "refused" and entry.finding is not None:
            refusals.setdefault(entry.key, entry.finding)
            also.update(dict.fromkeys(entry.also))
    notes = [
        entry.finding
        for entry in server
        if entry.outcome != "refused" and entry.finding is not None and entry.key not in refusals
    ]
    for entry in path:
        if entry.outcome == "refused" and entry.finding is not None:
            refusals.setdefault(entry.key, entry.finding)
            also.update(dict.fromkeys(entry.also))
    found = tuple(refusals.values())
    found += tuple(finding for finding in also if finding not in found)
    path_notes = [
        entry.finding for entry in path if entry.outcome != "refused" and entry.finding is not None
    ]
    return found, tuple(dict.fromkeys(notes)) + tuple(path_notes)


def _judged(profile: Profile, budgets: Sequence[Budget], platforms: Sequence[str]) -> list[Judged]:
    return _hop_entries(profile) + [
        entry for platform in platforms for entry in _server_entries(profile, budgets, platform)
    ]


def _hop_entries(profile: Profile) -> list[Judged]:
    """Every timeout of every hop, with what the path guard said of it (docs/guard.md, 5-7)."""
    said: dict[tuple[int, str], tuple[Outcome, Finding]] = {}
    more: dict[tuple[int, str], list[Finding]] = {}  # a second budget's refusals of one timeout
    for item, outcome, found in path_outcomes(profile):
        if (item.index, item.name) in said:
            more.setdefault((item.index, item.name), []).append(found)
        else:
            said[(item.index, item.name)] = (outcome, found)
    entries = []
    for item in hop_values(profile):
        outcome: Outcome
        finding = None
        zero = kinds()[item.hop.kind].timeout(item.name).zero
        if item.closes == "server" and (zero != "disabled" or not item.value.disabled):
            outcome = "pooler only"  # server_lifetime 0 closes each server connection after use
        elif item.value.disabled:
            outcome = "off"
        elif (item.index, item.name) in said:
            outcome, finding = said[(item.index, item.name)]
        else:
            outcome = "safe"
        judged = outcome not in ("pooler only", "off", "kept open")
        entries.append(
            Judged(
                f"{item.hop.name}.{item.name}", item.name, item.value,
                item.source == "from the profile", item.source, item.closes,
                _against(item.closes) if judged else None, outcome, finding, hop=item,
                also=tuple(more.get((item.index, item.name), ())),
            )
        )  # fmt: skip
    return entries


def _server_entries(profile: Profile, budgets: Sequence[Budget], platform: str) -> list[Judged]:
    """The server's idle timeouts in force on one platform, each judged (docs/guard.md, 3-6)
    against every budget: the first refusal (Django's requests' ahead of a worker's) is the
    entry's finding, the others its `also`; with none, what the requests' budget said."""
    where = f"profile {profile.name}" + (f" (on {platform})" if platform else "")
    entries = []
    for name, observed in _in_force(profile, platform).items():
        judged = [
            guard.judge_parameter(
                profile.engine, name, observed, budget, profile.guard.margin, where, platform
            )
            for budget in budgets
        ]
        refusals = [f for said, f in judged if said == "refused" and f is not None]
        said, finding = ("refused", refusals[0]) if refusals else judged[0]
        in_transaction = parameters(profile.engine)[name].in_transaction
        closes: Closes = "transaction" if in_transaction else "client"
        outcome: Outcome = "safe" if said == "accepted" else said
        if observed.value.disabled:
            outcome = "off"
        declared = observed.source == "profile"
        source = "from the profile" if declared else "the documented default"
        if platform and not declared:
            source += f" on {platform}"
        against = _against(closes) if outcome not in ("off", "not Django's") else None
        entries.append(
            Judged(name, name, observed.value, declared, source, closes, against, outcome,
                   finding, platform, also=tuple(dict.fromkeys(refusals[1:])))
        )  # fmt: skip
    return entries


def _in_force(profile: Profile, platform: str) -> dict[str, guard.Observed]:
    """The idle timeouts in force offline: the profile's values, else the platform's defaults."""
    defaults = {}
    for spec in idle_parameters(profile.engine):
        value = parameter_default(spec, None, platform)
        defaults[spec.name] = guard.Observed(value, value.to_native(spec.unit), "default")
    return guard.effective_idle_timeouts(profile.engine, profile.server, defaults)


def _against(closes: Closes) -> Literal["session", "transaction"]:
    """The budget the guard compares a timeout with: inside a transaction, or between requests."""
    return "transaction" if closes == "transaction" else "session"


def _without_health_checks(profile: Profile) -> Profile:
    """The same profile with CONN_HEALTH_CHECKS off: what the guard would say without checks."""
    django = profile.django.model_copy(update={"conn_health_checks": False})
    return profile.model_copy(update={"django": django})


def offline_platforms(profile: Profile) -> list[str]:
    """The platforms a profile's databases may be on, as far as validate can tell: "" (the
    engine's own), and each platform of the engine a target may be on (`platforms_possible`)."""
    possible = {prefix for target in profile.targets for prefix in target.platforms_possible()}
    return ["", *(p.prefix for p in platforms(profile.engine) if p.prefix in possible)]
