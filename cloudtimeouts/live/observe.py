"""Judging who holds idle connections: each holder against its budget and every idle timeout.

The guard proves, from settings, that Django's request cycle never reuses a connection something
else closed. It cannot see a worker, a management command or a shell that keeps a connection
idle longer than any request would: only the server's list of sessions shows that (live.holders).
Here the connections are grouped by holder, and each group's longest idle age is judged:

- against its budget (`budget.budgets_of`): a holder whose application_name (or, on MySQL and
  MariaDB, whose user: their protocol has no application_name) is a declared worker's name
  against that worker's, every other holder against the request cycle's, the first;
- against every idle timeout that can close it: the profile's values and the live session's
  (PostgreSQL, MySQL, MariaDB) for the server's sessions, PgBouncer's `client_idle_timeout` for
  its clients and `server_idle_timeout` for the server connections it keeps; "near" from 80%
  of the timeout, so that a holder is named before the server closes its connection.

What an idle age beyond a budget means depends on who holds the connection. Django checks a
connection at the start of each request and closes it once it is older than CONN_MAX_AGE
(django/db/backends/base/base.py, `close_if_unusable_or_obsolete`); a worker whose framework
checks between units of work (Celery's fixup, the glue) does the same. So a connection of such a
holder idle longer than the request cycle's budget is *stale*: it is closed before anything
reuses it, and the guard's proof holds (exit 0). The holders known to check are the request
processes (application_name `<profile>-requests`, what `django-settings` sets) and the declared
workers whose budget between units of work is finite (`budget.worker_budget`: a worker that
keeps connections has an unlimited one, and the guard refuses it behind any idle timeout). Any
other holder idle longer than the request cycle's budget does not behave like a request:
something outside the request cycle keeps it (a worker, a command, a shell), and it is *beyond*
(exit 3). A connection idle inside a transaction longer than its holder's transaction budget is
beyond, whoever holds it: nothing checks a connection inside a transaction.

The timeouts are warnings: a connection cannot outlive a timeout in force, so "beyond" there is a
declared value that is not the one in force, or one that closes it at the next check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from cloudtimeouts.budget import Budget, in_seconds
from cloudtimeouts.catalog import Engine, idle_parameters
from cloudtimeouts.durations import Duration
from cloudtimeouts.live.holders import HIDDEN, HeldConnection, SeenOn
from cloudtimeouts.model import Finding

if TYPE_CHECKING:
    from cloudtimeouts.live.path import PoolerSetting
    from cloudtimeouts.live.read import LiveSession
    from cloudtimeouts.profile import Profile

FORMAT_VERSION = "1"
NEAR = Decimal("0.8")  # an idle age from 80% of a timeout is near it
REQUESTS = "Django's requests"
SERVER_SIDE: tuple[SeenOn, ...] = ("server", "pgbouncer-server")

HolderVerdict = Literal["within", "stale", "beyond", "unknown", "pooler"]
TimeoutVerdict = Literal["near", "beyond"]


def who(budget: Budget) -> str:
    """`Django's requests`, `worker rq-default`: whose budget it is, in messages and the JSON."""
    return REQUESTS if budget.worker is None else f"worker {budget.worker}"


def worker_of(budget: Budget) -> str | None:
    return budget.worker


def _seconds(value: Decimal | Duration | None) -> int | float | None:
    """A JSON number of seconds: `2`, `2.104` (never "2E+0"); None stays null."""
    if value is None:
        return None
    seconds = value.seconds if isinstance(value, Duration) else value
    return int(seconds) if seconds == seconds.to_integral_value() else float(seconds)


def age_text(seconds: Decimal | None) -> str:
    """`2.1 s`: an idle age as people read it."""
    if seconds is None:
        return "-"
    return f"{seconds.quantize(Decimal('0.1')).normalize():f} s"


@dataclass(frozen=True, slots=True)
class IdleTimeout:
    """One idle timeout that can close a holder's connection, and where its value comes from."""

    parameter: str
    source: str  # "profile", "live"
    value: Duration
    seen_on: tuple[SeenOn, ...]  # whose connections it closes
    in_transaction: bool = False  # closes a connection idle inside a transaction only

    @property
    def words(self) -> str:
        return f"{self.parameter} {in_seconds(self.value)} ({self.source})"

    def to_json(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "source": self.source,
            "value_s": _seconds(self.value),
            "seen_on": list(self.seen_on),
            "in_transaction": self.in_transaction,
        }


@dataclass(frozen=True, slots=True)
class HolderGroup:
    """The connections of one holder, seen on one side of the path, and what is said of them."""

    holder: str
    seen_on: SeenOn
    connections: int
    states: Mapping[str, int]
    longest_idle_s: Decimal | None  # idle outside a transaction (idle, Sleep, PgBouncer)
    longest_idle_in_transaction_s: Decimal | None  # PostgreSQL's idle in transaction
    budget: Budget | None = None  # the one it is judged against; None: the pooler's own
    verdict: HolderVerdict = "within"
    beyond_budgets: tuple[str, ...] = ()  # who of every budget its idle age outlives
    timeouts: tuple[tuple[IdleTimeout, TimeoutVerdict], ...] = ()
    users: tuple[str, ...] = ()
    checks: bool = False  # a holder known to check a connection before reusing it

    @property
    def longest(self) -> Decimal | None:
        ages = [a for a in (self.longest_idle_s, self.longest_idle_in_transaction_s) if a]
        return max(ages) if ages else self.longest_idle_s

    @property
    def outside_request_cycle(self) -> bool:
        """Beyond the request cycle's budget, and not known to check connections as Django's
        requests do: something outside the request cycle keeps its connections."""
        return self.verdict == "beyond" and not self.checks

    def to_json(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "seen_on": self.seen_on,
            "users": list(self.users),
            "connections": self.connections,
            "states": dict(self.states),
            "longest_idle_s": _seconds(self.longest_idle_s),
            "longest_idle_in_transaction_s": _seconds(self.longest_idle_in_transaction_s),
            "budget": who(self.budget) if self.budget is not None else None,
            "verdict": self.verdict,
            "beyond_budgets": list(self.beyond_budgets),
            "outside_request_cycle": self.outside_request_cycle,
            "timeouts": [
                {"parameter": t.parameter, "source": t.source, "verdict": verdict}
                for t, verdict in self.timeouts
            ],
        }


@dataclass(frozen=True, slots=True)
class ObserveReport:
    """`observe`: who holds connections, their idle ages, and the verdicts on them."""

    profile: str
    engine: Engine
    endpoint: str  # user@host:port/database, never the password
    server_version: str
    budgets: tuple[Budget, ...]
    timeouts: tuple[IdleTimeout, ...]
    holders: tuple[HolderGroup, ...]
    samples: int = 1
    watch: Duration | None = None  # --watch: how long it sampled for
    interval: Duration | None = None  # between two samples, when watching
    interrupted: bool = False  # Ctrl-C or SIGTERM ended the watch early
    pooler: str | None = None  # "PgBouncer 1.18.0" when its console was read
    hidden: int = 0  # sessions the role may not see the state of (latest sample)
    notes: tuple[Finding, ...] = ()  # privilege, the pooler's console: what was not seen

    @property
    def beyond(self) -> tuple[Finding, ...]:
        """A finding per holder beyond its budget: what `observe` exits 3 for."""
        return tuple(_beyond_words(group) for group in self.holders if group.verdict == "beyond")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """A finding per holder near or beyond an idle timeout."""
        return tuple(
            _timeout_words(group, timeout, verdict)
            for group in self.holders
            for timeout, verdict in group.timeouts
        )

    @property
    def refused(self) -> bool:
        return any(group.verdict == "beyond" for group in self.holders)

    @property
    def outside_request_cycle(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(g.holder for g in self.holders if g.outside_request_cycle))

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "profile": self.profile,
            "engine": self.engine.value,
            "endpoint": self.endpoint,
            "server_version": self.server_version,
            "pooler": self.pooler,
            "samples": self.samples,
            "watch_s": _seconds(self.watch),
            "interval_s": _seconds(self.interval),
            "interrupted": self.interrupted,
            "budgets": [
                {
                    "who": who(budget),
                    "worker": worker_of(budget),
                    "session_s": _seconds(budget.session),
                    "transaction_s": _seconds(budget.transaction),
                }
                for budget in self.budgets
            ],
            "timeouts": [timeout.to_json() for timeout in self.timeouts],
            "holders": [group.to_json() for group in self.holders],
            "hidden_connections": self.hidden,
            "outside_request_cycle": list(self.outside_request_cycle),
            "beyond": [finding.to_json() for finding in self.beyond],
            "warnings": [finding.to_json() for finding in self.warnings],
            "notes": [finding.to_json() for finding in self.notes],
            "verdict": "beyond" if self.refused else "ok",
        }


# ---------------------------------------------------------------------------------------------
# Grouping and merging samples


@dataclass(slots=True)
class _Tally:
    connections: int = 0
    states: dict[str, int] = field(default_factory=dict)
    idle: Decimal | None = None
    in_transaction: Decimal | None = None
    users: dict[str, None] = field(default_factory=dict)


def group(connections: Iterable[HeldConnection]) -> dict[tuple[SeenOn, str], _Tally]:
    """One tally per (side, holder): connections, states, the longest idle ages."""
    tallies: dict[tuple[SeenOn, str], _Tally] = {}
    for held in connections:
        tally = tallies.setdefault((held.seen_on, held.holder), _Tally())
        tally.connections += 1
        tally.states[held.state] = tally.states.get(held.state, 0) + 1
        if held.user:
            tally.users[held.user] = None
        if held.idle_s is not None:
            if held.in_transaction:
                tally.in_transaction = _longer(tally.in_transaction, held.idle_s)
            else:
                tally.idle = _longer(tally.idle, held.idle_s)
    return tallies


def merge(
    earlier: Mapping[tuple[SeenOn, str], _Tally], later: Mapping[tuple[SeenOn, str], _Tally]
) -> dict[tuple[SeenOn, str], _Tally]:
    """Two samples: the latest counts of each holder, the longest idle ages of either.

    A holder gone from the later sample keeps what the earlier one saw: --watch reports the
    longest idle age seen, also of a connection that was closed (or used again) meanwhile.
    """
    merged = dict(earlier)
    for key, tally in later.items():
        before = merged.get(key)
        if before is not None:
            tally = _Tally(
                tally.connections, tally.states, _longer(before.idle, tally.idle),
                _longer(before.in_transaction, tally.in_transaction),
                {**before.users, **tally.users},
            )  # fmt: skip
        merged[key] = tally
    return merged


def _longer(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return b if a is None else a if b is None else max(a, b)


# ---------------------------------------------------------------------------------------------
# Judging


def idle_timeouts(
    profile: Profile,
    session: LiveSession,
    pooler_settings: Mapping[str, PoolerSetting] | None,
    budget: Budget,
) -> tuple[IdleTimeout, ...]:
    """Every enabled idle timeout of the profile and of the live session, and PgBouncer's.

    A parameter that does not close Django's connections on this server (`interactive_timeout`
    for a non-interactive client: guard.not_judged_because) is left out, as the guard does.
    """
    from cloudtimeouts.guard import not_judged_because
    from cloudtimeouts.live.path import declared_pooler
    from cloudtimeouts.live.report import live_platform

    engine = profile.engine
    platform = live_platform(engine, session.version)
    found: list[IdleTimeout] = []
    for spec in idle_parameters(engine):
        if not_judged_because(engine, spec.name, platform, budget) is not None:
            continue
        live = session.settings.get(spec.name)
        for source, value in (
            ("profile", profile.server.get(spec.name)),
            ("live", live.value if live is not None else None),
        ):
            if value is not None and not value.disabled:
                found.append(
                    IdleTimeout(spec.name, source, value, SERVER_SIDE, spec.in_transaction)
                )
    hop = declared_pooler(profile)
    for name, side in (
        ("client_idle_timeout", "pgbouncer-client"),
        ("server_idle_timeout", "pgbouncer-server"),
    ):
        declared = getattr(hop, name, None) if hop is not None else None
        setting = (pooler_settings or {}).get(name)
        for source, value in (
            (f"path {hop.name}" if hop is not None else "profile", declared),
            ("live PgBouncer", setting.value if setting is not None else None),
        ):
            if isinstance(value, Duration) and not value.disabled:
                found.append(IdleTimeout(name, source, value, (side,)))  # type: ignore[arg-type]
    return tuple(found)


def judge(
    tallies: Mapping[tuple[SeenOn, str], _Tally],
    budgets: Sequence[Budget],
    timeouts: Sequence[IdleTimeout],
    requests_holder: str | None = None,
) -> tuple[HolderGroup, ...]:
    """Each holder against its budget, every other budget, and every timeout that closes it.

    `requests_holder`: the application_name of the request processes (`<profile>-requests`).
    """
    requests = budgets[0]
    by_worker = {b.worker: b for b in budgets if b.worker is not None}
    groups = []
    for (seen_on, holder), tally in sorted(tallies.items(), key=lambda item: item[0][::-1]):
        worker = by_worker.get(holder) or next(
            (by_worker[user] for user in tally.users if user in by_worker), None
        )
        own = None if seen_on == "pgbouncer-server" else worker or requests
        checks = holder == requests_holder or (worker is not None and worker.session is not None)
        if own is None:
            verdict: HolderVerdict = "pooler"
        elif _over(tally.in_transaction, own.transaction):
            verdict = "beyond"  # nothing checks a connection inside a transaction
        elif _over(tally.idle, own.session):
            if not checks:
                verdict = "beyond"
            else:  # the check closes it before reuse once older than the request cycle's budget
                verdict = "stale" if _over(tally.idle, requests.session) else "within"
        elif tally.idle is None and tally.in_transaction is None and HIDDEN in tally.states:
            verdict = "unknown"
        else:
            verdict = "within"
        near = tuple(
            (timeout, said)
            for timeout in timeouts
            if seen_on in timeout.seen_on
            and (said := _near(tally.in_transaction if timeout.in_transaction else tally.idle,
                               timeout.value)) is not None
        )  # fmt: skip
        groups.append(
            HolderGroup(
                holder,
                seen_on,
                tally.connections,
                dict(sorted(tally.states.items())),
                tally.idle,
                tally.in_transaction,
                budget=own,
                verdict=verdict,
                beyond_budgets=tuple(who(b) for b in budgets if _outlives(tally, b)),
                timeouts=near,
                users=tuple(tally.users),
                checks=checks,
            )
        )
    return tuple(groups)


def _outlives(tally: _Tally, budget: Budget) -> bool:
    return _over(tally.idle, budget.session) or _over(tally.in_transaction, budget.transaction)


def _over(age: Decimal | None, limit: Duration | None) -> bool:
    return age is not None and limit is not None and age > limit.seconds


def _near(age: Decimal | None, limit: Duration) -> TimeoutVerdict | None:
    if age is None:
        return None
    if age >= limit.seconds:
        return "beyond"
    return "near" if age >= limit.seconds * NEAR else None


def _beyond_words(group: HolderGroup) -> Finding:
    budget = group.budget
    assert budget is not None
    seen = f"{group.holder} ({_side_words(group.seen_on)})"
    age = group.longest_idle_in_transaction_s
    if _over(age, budget.transaction):
        return Finding(
            group.holder,
            f"{seen}: a connection idle inside a transaction {age_text(age)}, longer than the "
            f"budget of {who(budget)} inside a transaction ({budget.transaction_words}): "
            "nothing checks a connection inside a transaction, so a transaction-idle timeout "
            f"above that budget may still close it. Raise {budget.transaction_fix}, or end the "
            "transaction before the slow work",
        )
    return Finding(
        group.holder,
        f"{seen}: a connection idle {age_text(group.longest_idle_s)}, longer than the budget of "
        f"{who(budget)} ({budget.session_words}), and it is not known to check its connections "
        "as Django's requests do: something outside the request cycle keeps it (a worker, a "
        "management command, a shell). Declare it under workers: with its name as "
        "application_name (on MySQL and MariaDB, as its database user), or close its "
        "connections between units of work",
    )


def _timeout_words(group: HolderGroup, timeout: IdleTimeout, verdict: TimeoutVerdict) -> Finding:
    age = group.longest_idle_in_transaction_s if timeout.in_transaction else group.longest_idle_s
    closes = "PgBouncer closes" if timeout.parameter.endswith("_idle_timeout") else "closes"
    relation = "is near" if verdict == "near" else "has reached"
    return Finding(
        group.holder,
        f"{group.holder} ({_side_words(group.seen_on)}): a connection idle {age_text(age)} "
        f"{relation} {timeout.words}, which {closes} it at {in_seconds(timeout.value)}",
    )


def _side_words(seen_on: SeenOn) -> str:
    return {
        "server": "on the server",
        "pgbouncer-client": "PgBouncer client",
        "pgbouncer-server": "PgBouncer's server connection",
    }[seen_on]
