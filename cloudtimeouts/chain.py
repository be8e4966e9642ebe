"""The whole path from Django to the server: Django's idle budget against every hop's timeout.

Between requests Django holds no open transaction (autocommit), so what must outlast Django's
idle time is every timeout that closes an *idle* connection: the server's session-idle timeouts
and each hop's client-idle timeout. Transaction-idle timeouts close a connection only while a
transaction is open and idle, so they must outlast the longest idle gap the application allows
inside a transaction (`django.max_idle_in_transaction`), or, when the profile does not declare
one, Django's idle budget (today's stricter rule, so that nothing refused before is accepted
silently).

Django's idle budget is `conn_max_age` — or, with Django's own pool (Django 5.1+, psycopg_pool),
how long a pooled connection can sit unchecked. psycopg_pool 3.x enforces `max_lifetime` only
when a connection is returned, so the `min_size` connections it keeps can idle, unchecked, for as
long as no request comes; above `min_size`, its shrink task closes at most one connection idle for
a whole `max_idle` per `max_idle`, so one can idle up to (max_size + 1) x max_idle (psycopg_pool
pool.py: `_return_connection`, `_shrink_pool`; proven on real Django in
tests/contrib/test_whole_path.py). With CONN_HEALTH_CHECKS Django passes
`check=ConnectionPool.check_connection`, so a connection a server or a pooler closed is found on
checkout and replaced (django/db/backends/postgresql/base.py, `DatabaseWrapper.pool`). A
silent network hop (a load balancer or NAT dropping its state) is judged even then: a check on
a dropped flow waits, it does not fail fast.

TCP keepalives count where they truly help: a server sending keepalives (`tcp_keepalives_idle`)
more often than a load balancer's or NAT's idle timeout keeps that hop's state fresh, so the hop
never sees the connection idle — when no pooler or proxy stands between that hop and the server
(a pooler ends the TCP connection: the hops facing Django see none of the server's keepalives);
they never defeat a server's or a pooler's own idle timeout, which measure application idleness,
not packets.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudtimeouts.catalog import Engine, Provider
from cloudtimeouts.durations import Duration
from cloudtimeouts.guard import Budget, in_seconds, judge
from cloudtimeouts.hops import KINDS, NETWORK_KINDS, Closes
from cloudtimeouts.model import Finding
from cloudtimeouts.profile import DjangoSettings, Hop, Profile

_POOL_ADVICE = (
    "Turn conn_health_checks on (Django then has the pool check each connection on checkout) "
    "or use min_size: 0 with a short max_idle; a load balancer or NAT needs its flow kept open "
    "by tcp_keepalives_idle below its idle timeout."
)
_NOT_IN_A_TRANSACTION = "CONN_MAX_AGE 0 s"  # with a pool; a transaction's idle gap: declare it


def budget_of(django: DjangoSettings) -> Budget:
    """Django's idle budget between requests and inside a transaction, with words for messages."""
    pool = django.pool
    if pool is None:
        budget = Budget.of_conn_max_age(django.conn_max_age)
    elif django.conn_health_checks:
        # Checked on checkout: a connection a server or pooler closed never reaches a request.
        # What a silent network hop may still drop is judged against how long one can idle.
        budget = Budget(
            None, "the pool's unchecked idle time unlimited", "", Duration(0),
            _NOT_IN_A_TRANSACTION, "conn_max_age", checked=True, advice=_POOL_ADVICE,
        )  # fmt: skip
    elif pool.min_size:
        # psycopg_pool 3.x enforces max_lifetime only when a connection is returned, and keeps
        # min_size connections however long they idle: unchecked, they can outlive anything.
        budget = Budget(
            None, "the unchecked idle time of the pool's min_size connections unlimited", "",
            Duration(0), _NOT_IN_A_TRANSACTION, "conn_max_age", advice=_POOL_ADVICE,
        )  # fmt: skip
    else:
        # Above min_size, the pool's shrink task runs every max_idle and closes at most one
        # connection unused for a whole period: with max_size connections, one can idle for up
        # to (max_size + 1) x max_idle (psycopg_pool, ConnectionPool._shrink_pool).
        size = pool.max_size or 1
        held = Duration(pool.max_idle.microseconds * (size + 1))
        words = (
            f"the pool's unchecked idle time (max_size {size} + 1) x max_idle "
            f"{in_seconds(pool.max_idle)} = {in_seconds(held)}"
        )
        fix = "django.pool.max_idle (or turn conn_health_checks on)"
        budget = Budget(held, words, fix, Duration(0), _NOT_IN_A_TRANSACTION, "conn_max_age")
    in_transaction = django.max_idle_in_transaction
    if in_transaction is None:
        return budget
    return Budget(
        budget.session,
        budget.session_words,
        budget.session_fix,
        in_transaction,
        f"django.max_idle_in_transaction {in_seconds(in_transaction)}",
        "django.max_idle_in_transaction",
        checked=budget.checked,
    )


@dataclass(frozen=True, slots=True)
class HopValue:
    """One timeout of one hop, as the guard sees it."""

    hop: Hop
    name: str
    value: Duration
    source: str  # "from the profile" or "the documented default"
    closes: Closes

    @property
    def where(self) -> str:
        return f"path {self.hop.kind} {self.hop.name}"


def hop_values(profile: Profile) -> list[HopValue]:
    """Every timeout of every hop: the profile's value, else the kind's documented default."""
    values = []
    for hop in profile.path:
        provider = getattr(hop, "provider", None)
        for timeout in KINDS[hop.kind]:
            declared = getattr(hop, timeout.name, None)
            value = declared if declared is not None else timeout.default_for(provider)
            if value is None:
                continue
            source = "from the profile" if declared is not None else _default_words(provider)
            values.append(HopValue(hop, timeout.name, value, source, timeout.closes))
    return values


def keepalive(profile: Profile) -> Duration | None:
    """How soon a server sends a keepalive on an idle connection, when the profile says so."""
    if profile.engine is not Engine.POSTGRES:
        return None
    idle = profile.server.get("tcp_keepalives_idle")
    return None if idle is None or idle.disabled else idle


def reached_by_server_keepalives(profile: Profile) -> set[str]:
    """The network hops the server's keepalives cross: those with no pooler or proxy between
    them and the server (a pooler ends the TCP connection; what faces Django sees none)."""
    reached: set[str] = set()
    for hop in reversed(profile.path):  # from the server towards Django
        if hop.kind not in NETWORK_KINDS:
            break
        reached.add(hop.name)
    return reached


def path_findings(profile: Profile) -> tuple[list[Finding], list[Finding]]:
    """(refusals, notes) for the profile's path; the same on every target of the profile."""
    budget, margin = budget_of(profile.django), profile.guard.margin
    refusals, notes = [], []
    every = keepalive(profile)
    reached = reached_by_server_keepalives(profile)
    for item in hop_values(profile):
        if item.closes == "server" or item.value.disabled:
            continue
        key = f"{item.hop.name}.{item.name}"
        network = item.hop.kind in NETWORK_KINDS
        if network and every is not None and every < item.value and item.hop.name in reached:
            notes.append(
                Finding(
                    key,
                    f"{item.where}: {item.name} = {in_seconds(item.value)} ({item.source}) is kept "
                    f"open: the server sends TCP keepalives after {in_seconds(every)} idle "
                    "(tcp_keepalives_idle), so this hop never sees the connection idle",
                )
            )
            continue
        checked = budget.checked and not network
        finding = judge(
            key,
            f"{in_seconds(item.value)} ({item.source})",
            item.value,
            Budget(**{**_fields(budget), "checked": checked}),
            margin,
            item.where,
            item.closes == "transaction",
            closer=f"the {item.hop.kind}",
            label=item.name,
        )
        if finding is not None:
            refusals.append(finding)
    return refusals, notes


def _fields(budget: Budget) -> dict[str, object]:
    return {name: getattr(budget, name) for name in budget.__slots__}  # type: ignore[attr-defined]


def _default_words(provider: Provider | None) -> str:
    if provider is None:
        return "the documented default; with no provider, the smallest of its kind"
    return f"the documented default on {provider.value}"
