"""From evidence to incidents: which timeout closed the connection an application error met.

An incident is one application error about a closed connection (Django's `InterfaceError:
connection already closed`, libpq's `server closed the connection unexpectedly`, MySQL's 2006,
2013, 4031, ...). Its cause is what closed that connection: a line of the server's, the pooler's
or the proxy's log that says so, at or before the error. A timeout closes a connection when it
fires, and Django meets the closed connection only at its next use, so the cause comes first,
by up to the time Django holds a connection idle: the window looks back that far (the longest
finite budget of the profile plus its margin, at least `MIN_WINDOW`; `--window` sets it) and
forward `SLOP` for clocks that disagree by less than that (`--clock-offset` says by how much the
application's clock is ahead of the servers'). Each closure line explains at most one error
while an unused one is in the window (one closed connection fails one request); the latest one
before the error is taken.

The verdict names the timeout that fired (which hop, which parameter), its value in force as
the profile states it (else the documented default), whether the guard refuses the profile for
it (`offline.judge_offline`, the same verdict `validate` gives: its refusal is the fix, in the
guard's words), and when no cause is found, what else it can be and what evidence decides it.
Some errors carry their own cause (a relayed `terminating connection due to idle-session
timeout`, MySQL's 4031): they are explained even without a server log.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from cloudtimeouts.budget import budgets_of, in_seconds
from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose.evidence import Evidence
from cloudtimeouts.durations import Duration
from cloudtimeouts.hops import kinds
from cloudtimeouts.model import Finding
from cloudtimeouts.offline import Judged, OfflineVerdict, judge_offline
from cloudtimeouts.profile import Profile
from cloudtimeouts.workers import KINDS

MIN_WINDOW = timedelta(minutes=1)
SLOP = timedelta(seconds=2)  # a closure logged this long after the error still counts
SAME_ERROR = timedelta(seconds=1)  # one traceback's chained exceptions: one incident

# The application's errors that mean "the connection was closed under me".
APP_ERRORS = frozenset(
    {
        ev.APP_CONNECTION_CLOSED,
        ev.APP_SERVER_CLOSED,
        ev.APP_SSL_EOF,
        ev.APP_TERMINATING,
        ev.APP_MYSQL_GONE,
        ev.APP_MYSQL_LOST,
        ev.APP_MYSQL_INACTIVE,
        ev.APP_POOLER_CLOSED,
    }
)
_MYSQL_ERRORS = frozenset({ev.APP_MYSQL_GONE, ev.APP_MYSQL_LOST, ev.APP_MYSQL_INACTIVE})
# A closure line -> the engine family whose errors it can explain.
_CLOSURES = {
    ev.PG_IDLE_SESSION: "postgres",
    ev.PG_IDLE_IN_TRANSACTION: "postgres",
    ev.PG_TERMINATED: "postgres",
    ev.PG_CLIENT_RESET: "postgres",
    ev.PG_UNEXPECTED_EOF: "postgres",
    ev.PGBOUNCER_CLIENT_IDLE: "postgres",
    ev.PGBOUNCER_IDLE_TRANSACTION: "postgres",
    ev.MYSQL_ABORTED_TIMEOUT: "mysql",
    ev.MYSQL_ABORTED_OTHER: "mysql",
    ev.PROXY_IDLE_CLIENT: "",  # either engine
}
# What each closure says fired: server parameters (the first the engine has that is enabled),
# a hop's timeout by name (on a pooler, or any hop that has it), or a network hop's.
_SERVER_TIMEOUTS = {
    ev.PG_IDLE_SESSION: ("idle_session_timeout",),
    ev.PG_IDLE_IN_TRANSACTION: ("idle_in_transaction_session_timeout",),
    # MySQL/MariaDB: "Got timeout reading communication packets" is wait_timeout for an idle
    # session (interactive_timeout for an interactive client; MariaDB's idle_*transaction_timeout
    # inside a transaction): sql/sql_connect.cc, end_connection / the net read timeout.
    ev.MYSQL_ABORTED_TIMEOUT: (
        "wait_timeout",
        "interactive_timeout",
        "idle_transaction_timeout",
        "idle_write_transaction_timeout",
        "idle_readonly_transaction_timeout",
    ),
    ev.APP_MYSQL_INACTIVE: ("wait_timeout", "interactive_timeout"),
}
_HOP_TIMEOUTS = {
    ev.PGBOUNCER_CLIENT_IDLE: "client_idle_timeout",
    ev.PGBOUNCER_IDLE_TRANSACTION: "idle_transaction_timeout",
    ev.PROXY_IDLE_CLIENT: "idle_client_timeout",
}
_NETWORK = frozenset({ev.PG_CLIENT_RESET, ev.PG_UNEXPECTED_EOF, ev.MYSQL_ABORTED_OTHER})
# A relayed FATAL's reason -> the server parameter (PostgreSQL's wording: postgres.c,
# ProcessInterrupts: "terminating connection due to idle-session timeout", "... idle-in-
# transaction timeout").
_RELAYED = {
    "idle-session timeout": "idle_session_timeout",
    "idle-in-transaction timeout": "idle_in_transaction_session_timeout",
}
# PgBouncer sends its closing reason to the client as the error itself (pgbouncer src/janitor.c,
# disconnect_client(..., "client_idle_timeout") / "idle transaction timeout"): the pooler's
# timeout by the name its reason gives.
_POOLER_REASONS = {
    "client_idle_timeout": "client_idle_timeout",
    "idle transaction timeout": "idle_transaction_timeout",
}


@dataclass(frozen=True, slots=True)
class Incident:
    """One application error about a closed connection, and what the evidence says of it."""

    error: Evidence  # the first line of the error
    lines: tuple[Evidence, ...]  # every line of the error (a traceback's chained exceptions)
    cause: Evidence | None  # the closure line correlated with it
    closed_by: str | None  # "the server's idle_session_timeout", "path pgbouncer pgb's ..."
    parameter: str | None  # the timeout's key, as validate names it
    value: str | None  # its value in force as the profile states it, and from where
    refused: bool | None  # whether the guard refuses the profile for it (None: not known)
    fix: str  # the guard's refusal, or what to do next
    otherwise: tuple[str, ...] = ()  # unexplained: what else it can be, what decides it
    after: timedelta | None = None  # how long after the closure the error came

    @property
    def explained(self) -> bool:
        return self.closed_by is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": _time(self.error.at),
            "error": self.error.detail,
            "evidence": [line.source for line in self.lines]
            + ([self.cause.source] if self.cause is not None else []),
            "cause": None if self.cause is None else self.cause.detail,
            "closed_by": self.closed_by,
            "parameter": self.parameter,
            "value": self.value,
            "refused_by_profile": self.refused,
            "fix": self.fix,
            "otherwise": list(self.otherwise),
            "seconds_after_closure": None
            if self.after is None
            else round(self.after.total_seconds(), 3),
        }


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """`diagnose`'s result: the incidents, and what the verdict assumed."""

    profile: str
    window: timedelta
    clock_offset: timedelta  # the application's clock minus the servers'
    incidents: tuple[Incident, ...]
    closures: dict[str, int]  # closure lines seen, by `what` (those no error met included)
    profile_refusals: tuple[Finding, ...]  # the profile as it stands: validate's refusals
    inputs: tuple[dict[str, Any], ...] = field(default=())  # per input: lines read, recognised
    notes: tuple[str, ...] = ()  # what could not be read (a server log not fetched, rotated)

    @property
    def found(self) -> bool:
        return bool(self.incidents)

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "window_seconds": self.window.total_seconds(),
            "clock_offset_seconds": self.clock_offset.total_seconds(),
            "profile_refused": bool(self.profile_refusals),
            "profile_refusals": [finding.to_json() for finding in self.profile_refusals],
            "incidents": [incident.to_json() for incident in self.incidents],
            "closures": dict(sorted(self.closures.items())),
            "inputs": list(self.inputs),
            "notes": list(self.notes),
        }


def default_window(profile: Profile) -> timedelta:
    """How far before an error its cause may be: the longest finite budget, plus the margin."""
    finite = [b.session for b in budgets_of(profile) if b.session is not None]
    longest = max(finite, default=Duration(0)) + profile.guard.margin
    return max(MIN_WINDOW, timedelta(microseconds=longest.microseconds))


def diagnose(
    profile: Profile,
    evidence: Iterable[Evidence],
    *,
    window: timedelta | None = None,
    clock_offset: timedelta = timedelta(0),
) -> Diagnosis:
    """Every incident the evidence shows, each with its verdict (one pass over `evidence`)."""
    window = default_window(profile) if window is None else window
    errors: list[list[Evidence]] = []
    closures: list[Evidence] = []
    by_pid: dict[tuple[str, int], Evidence] = {}  # a closure's disconnection line, by its pid
    counts: dict[str, int] = {}
    for item in evidence:
        if item.what in APP_ERRORS:
            item = _shifted(item, clock_offset)
            last = errors[-1] if errors else None
            if last is not None and _same_error(last[-1], item):
                last.append(item)
            else:
                errors.append([item])
        elif item.what in _CLOSURES:
            closures.append(item)
            counts[item.what] = counts.get(item.what, 0) + 1
        elif item.what == ev.PG_DISCONNECTION and item.pid is not None:
            by_pid[(item.source.rsplit(":", 1)[0], item.pid)] = item
        elif item.side != "app":
            counts[item.what] = counts.get(item.what, 0) + 1
    offline = judge_offline(profile)
    causes = _Closures(closures)
    incidents = []
    for lines in sorted(errors, key=lambda group: (group[0].at is None, group[0].at)):
        cause = causes.cause_of(lines[0], window)
        incidents.append(_verdict(profile, offline, lines, cause, by_pid, window))
    return Diagnosis(profile.name, window, clock_offset, tuple(incidents), counts, offline.refusals)


def _shifted(item: Evidence, offset: timedelta) -> Evidence:
    """An application line's time on the servers' clock."""
    if item.at is None or not offset:
        return item
    return replace(item, at=item.at - offset)


def _same_error(last: Evidence, item: Evidence) -> bool:
    """Chained exceptions of one traceback: same file, same process, within a second."""
    if last.source.rsplit(":", 1)[0] != item.source.rsplit(":", 1)[0] or last.pid != item.pid:
        return False
    if last.at is None or item.at is None:
        return last.at is None and item.at is None
    return abs(item.at - last.at) <= SAME_ERROR


def _family(item: Evidence) -> str:
    return "mysql" if item.what in _MYSQL_ERRORS else "postgres"


class _Closures:
    """The closure lines with a time, in time order, so that the ones in an error's window are
    found by bisection (a log of many closed sessions and many errors stays linear-logarithmic);
    `used` holds those already taken as an error's cause."""

    def __init__(self, closures: Iterable[Evidence]) -> None:
        self._lines = sorted((c for c in closures if c.at is not None), key=lambda c: c.at)  # type: ignore[arg-type,return-value]
        self._times = [c.at for c in self._lines]
        self._used: set[int] = set()

    def cause_of(self, error: Evidence, window: timedelta) -> Evidence | None:
        """The latest closure of the error's engine in [error - window, error + SLOP], one no
        other error took first."""
        if error.at is None:
            return None
        family = _family(error)
        low = bisect_left(self._times, error.at - window)  # type: ignore[arg-type]
        high = bisect_right(self._times, error.at + SLOP)  # type: ignore[arg-type]
        latest = None  # walking back from the latest: the first unused one that fits wins
        for index in range(high - 1, low - 1, -1):
            if _CLOSURES[self._lines[index].what] not in ("", family):
                continue
            if index not in self._used:
                self._used.add(index)
                return self._lines[index]
            if latest is None:
                latest = index
        return None if latest is None else self._lines[latest]


def _verdict(
    profile: Profile,
    offline: OfflineVerdict,
    lines: list[Evidence],
    cause: Evidence | None,
    disconnections: dict[tuple[str, int], Evidence],
    window: timedelta,
) -> Incident:
    error = lines[0]
    said = cause or _self_explaining(lines)
    entry = _entry(profile, offline, said) if said is not None else None
    after = (
        error.at - cause.at
        if cause is not None and cause.at is not None and error.at is not None
        else None
    )
    if said is None or entry is None:
        return Incident(
            error,
            tuple(lines),
            cause,
            None,
            None,
            None,
            None,
            _unexplained_fix(said),
            _otherwise(profile, error, said, window),
            after,
        )
    where = "the server's" if entry.hop is None else f"{entry.hop.where}'s"
    refused: bool | None = entry.outcome == "refused"
    value = f"{in_seconds(entry.value)} ({entry.source})"
    if entry.value.disabled:
        # The line says this timeout fired, so it is enabled where it fired: set on the
        # database (or the hop) though the profile leaves it at a default that is off.
        refused, value = (
            None,
            f"enabled where it fired; the profile leaves it at {entry.source} (off)",
        )
        fix = (
            f"The profile does not manage {entry.key}, so the guard cannot judge the value "
            "that fired: declare it in the profile (cloudtimeouts plan reads the value the "
            "target holds and refuses it when it can close a connection Django still holds)."
        )
    elif refused and entry.finding is not None:
        fix = " ".join(finding.message for finding in (entry.finding, *entry.also))
        fix = f"The profile as it stands is refused for it: {fix}"
    else:
        fix = (
            f"The guard accepts the profile's {entry.key} = {value} for every budget it "
            "declares, so the connection was held longer than the profile says: the value in "
            "force may differ (cloudtimeouts plan or verify reads it), CONN_MAX_AGE may differ "
            "from the profile's (the Django check compares them), or a process the profile "
            "does not declare held it (declare it in workers:; cloudtimeouts observe shows "
            "who holds idle connections)."
        )
    if cause is not None and cause.pid is not None:
        gone = disconnections.get((cause.source.rsplit(":", 1)[0], cause.pid))
        if gone is not None and gone.session is not None:
            fix += f" The server's session had lasted {gone.session} ({gone.source})."
    closed_by = f"{where} {entry.name}"
    return Incident(
        error, tuple(lines), cause, closed_by, entry.key, value, refused, fix, (), after
    )


def _self_explaining(lines: Sequence[Evidence]) -> Evidence | None:
    """An error line that names its own cause: a relayed idle-timeout FATAL, MySQL's 4031."""
    for line in lines:
        if line.what == ev.APP_MYSQL_INACTIVE:
            return line
        if line.what == ev.APP_POOLER_CLOSED and any(r in line.detail for r in _POOLER_REASONS):
            return line
        if line.what == ev.APP_TERMINATING and any(r in line.detail for r in _RELAYED):
            return line
    return None


def _entry(profile: Profile, offline: OfflineVerdict, said: Evidence) -> Judged | None:
    """The offline verdict's entry for the timeout a line says fired (the engine's own platform:
    the profile's values, else the documented defaults)."""
    server = [e for e in offline.entries if e.hop is None and e.platform == ""]
    hops = [e for e in offline.entries if e.hop is not None]
    names: tuple[str, ...] = _SERVER_TIMEOUTS.get(said.what, ())
    if said.what == ev.APP_TERMINATING:
        names = tuple(name for reason, name in _RELAYED.items() if reason in said.detail)
    if names:
        found = [e for name in names for e in server if e.name == name]
        return _closest(found)
    if said.what in _HOP_TIMEOUTS or said.what == ev.APP_POOLER_CLOSED:
        name = _HOP_TIMEOUTS.get(said.what) or next(
            timeout for reason, timeout in _POOLER_REASONS.items() if reason in said.detail
        )
        pooler = said.side == "pooler" or said.what == ev.APP_POOLER_CLOSED
        found = [
            e
            for e in hops
            if e.name == name
            and e.hop is not None
            and (not pooler or kinds()[e.hop.hop.kind].pooler)
        ]
        return _closest(found)
    if said.what in _NETWORK:
        found = [e for e in hops if e.hop is not None and kinds()[e.hop.hop.kind].network]
        return _closest(found)
    return None


def _closest(found: Sequence[Judged]) -> Judged | None:
    """Of the timeouts a line may mean, the one the guard refuses, else the soonest enabled,
    else the first (off in the profile, yet it fired: set where the profile does not look)."""
    enabled = [e for e in found if not e.value.disabled]
    refused = [e for e in enabled if e.outcome == "refused"]
    pool = refused or enabled
    if pool:
        return min(pool, key=lambda e: e.value)
    return found[0] if found else None


def _unexplained_fix(said: Evidence | None) -> str:
    if said is None:
        return "No server, pooler or proxy line in the window says what closed the connection."
    return (
        f"{said.source} says the connection was closed ({said.detail}), but the profile has no "
        "timeout that fits it: add the hop or parameter to the profile so that the guard "
        "judges it."
    )


def _otherwise(
    profile: Profile, error: Evidence, said: Evidence | None, window: timedelta
) -> tuple[str, ...]:
    """What else can close a connection, and what evidence decides it."""
    at = _time(error.at) or "the error's time"
    network = [hop for hop in profile.path if kinds()[hop.kind].network]
    shown = ", ".join(f"{hop.kind} {hop.name}" for hop in network) or "none declared"
    reasons = [
        f"a network drop: a load balancer or NAT between Django and the server forgot an idle "
        f"flow (path: {shown}); a server log line 'could not receive data from client' or "
        f"'unexpected EOF' near {at}, or nothing at all, decides it",
        f"a failover or a restart: the server's log or the cloud's events around {at} "
        "(shutting down, starting up, a promotion) decide it",
    ]
    worker = _worker_words(profile, error)
    if worker:
        reasons.append(worker)
    if said is None:
        reasons.append(
            f"no closure line within {window.total_seconds():g} s before {at}: give the "
            "server's and the pooler's log for that time (diagnose --from-target, or the "
            "exported file), or a longer --window"
        )
    return tuple(reasons)


def _worker_words(profile: Profile, error: Evidence) -> str:
    """An error logged by a task framework's worker: outside the request cycle."""
    kind = error.format if error.format in KINDS else None
    if kind is None:
        return (
            "a process outside the request cycle (a worker, a command) that held the "
            "connection idle: cloudtimeouts observe shows who holds idle connections"
        )
    declared = [w.name for w in profile.workers if w.kind == kind]
    if declared:
        return (
            f"worker {', '.join(declared)} ({kind}) logged it: its budget is judged "
            "(cloudtimeouts explain shows it); its max_gap may be longer than declared"
        )
    return (
        f"a {kind} worker logged it, and the profile declares no {kind} worker: declare it "
        f"in workers: (kind: {kind}) so that the guard judges its budget"
    )


def _time(value: Any) -> str | None:
    return None if value is None else value.isoformat()
