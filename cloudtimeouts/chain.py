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
network hop that drops its state silently (`hops.expiry`, each cloud's cited in its package) is
judged even then: a check on a dropped flow waits, it does not fail fast; one that answers with a
TCP RST fails the check at once, and the pool reconnects.

TCP keepalives count where they truly help: keepalives sent more often than a load balancer's
or NAT's idle timeout (with the margin) keep that hop's state fresh, so the hop never sees the
connection idle. The server's (`tcp_keepalives_idle`, the value in force on the database) reach
the hops between the server and the nearest hop that ends the TCP connection; Django's (libpq
`keepalives_idle`, declared as `django.keepalives_idle` and written into OPTIONS by
django-settings) those between Django and the nearest one. A pooler, a proxy and a `custom` hop
that does not say `tcp: passthrough` end the connection. Keepalives never defeat a server's or a
pooler's own idle timeout, which measure application idleness, not packets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.cloud import parameter_default
from cloudtimeouts.durations import Duration
from cloudtimeouts.guard import UNDECLARED_TRANSACTION, Budget, in_seconds, judge
from cloudtimeouts.hops import Closes, default, expiry, kinds, passes_tcp
from cloudtimeouts.model import Finding
from cloudtimeouts.profile import DjangoSettings, Hop, Profile

_POOL_ADVICE = (
    "Turn conn_health_checks on (Django then has the pool check each connection on checkout) "
    "or use min_size: 0 with a short max_idle; a load balancer or NAT needs its flow kept open "
    "by TCP keepalives (tcp_keepalives_idle, or django.keepalives_idle) below its idle timeout."
)
_CHECKED_POOL_ADVICE = (
    "Use min_size: 0 with a short max_idle, or keep the flow open with TCP keepalives (the "
    "server's tcp_keepalives_idle, or django.keepalives_idle) below its idle timeout."
)
_NOT_IN_A_TRANSACTION = "CONN_MAX_AGE 0 s"  # with a pool; a transaction's idle gap: declare it


def budget_of(django: DjangoSettings) -> Budget:
    """Django's idle budget between requests and inside a transaction, with words for messages."""
    pool = django.pool
    checked = pool is not None and django.conn_health_checks
    unchecked = "" if checked else "unchecked "
    if pool is None:
        budget = Budget.of_conn_max_age(django.conn_max_age)
    elif pool.min_size:
        # psycopg_pool 3.x enforces max_lifetime only when a connection is returned, and keeps
        # min_size connections however long they idle: they can outlive anything.
        budget = Budget(
            None, f"the {unchecked}idle time of the pool's min_size connections unlimited", "",
            Duration(0), _NOT_IN_A_TRANSACTION, "conn_max_age",
            advice=_CHECKED_POOL_ADVICE if checked else _POOL_ADVICE,
        )  # fmt: skip
    else:
        # Above min_size, the pool's shrink task runs every max_idle and closes at most one
        # connection unused for a whole period: with max_size connections, one can idle for up
        # to (max_size + 1) x max_idle (psycopg_pool, ConnectionPool._shrink_pool).
        size = pool.max_size or 1
        held = Duration(pool.max_idle.microseconds * (size + 1))
        words = (
            f"the pool's {unchecked}idle time (max_size {size} + 1) x max_idle "
            f"{in_seconds(pool.max_idle)} = {in_seconds(held)}"
        )
        fix = "django.pool.max_idle" + ("" if checked else " (or turn conn_health_checks on)")
        budget = Budget(held, words, fix, Duration(0), _NOT_IN_A_TRANSACTION, "conn_max_age")
    if checked:
        # Checked on checkout: a connection a server or pooler closed never reaches a request
        # (judge() lets those pass). What a silent network hop may drop is still judged against
        # how long a pooled connection can idle: the same as without checks.
        budget = replace(budget, checked=True)
    interactive = django.interactive_client
    in_transaction = django.max_idle_in_transaction
    if in_transaction is None:
        return replace(budget, transaction_declared=False, interactive_client=interactive)
    return replace(
        budget,
        transaction=in_transaction,
        transaction_words=f"django.max_idle_in_transaction {in_seconds(in_transaction)}",
        transaction_fix="django.max_idle_in_transaction",
        transaction_declared=True,
        interactive_client=interactive,
    )


@dataclass(frozen=True, slots=True)
class HopValue:
    """One timeout of one hop, as the guard sees it."""

    hop: Hop
    index: int  # the hop's place in the path: its identity (names may repeat)
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
    for index, hop in enumerate(profile.path):
        provider = getattr(hop, "provider", None)  # network hops only (hops.HopKind.network)
        for timeout in hop.spec.timeouts:
            declared = hop.value(timeout.name)
            value = declared if declared is not None else default(hop.kind, timeout, provider)
            if value is None:
                continue
            source = "from the profile" if declared is not None else _default_words(provider)
            values.append(HopValue(hop, index, timeout.name, value, source, timeout.closes))
    return values


@dataclass(frozen=True, slots=True)
class Keepalive:
    """How soon one end sends a TCP keepalive on an idle connection, and where that is set."""

    idle: Duration
    words: str  # "tcp_keepalives_idle 300 s, set on the target"


def keepalive(profile: Profile) -> Duration | None:
    """The profile's declared tcp_keepalives_idle (PostgreSQL), enabled; else None."""
    if profile.engine is not Engine.POSTGRES:
        return None
    idle = profile.server.get("tcp_keepalives_idle")
    return None if idle is None or idle.disabled else idle


def declared_keepalive(profile: Profile) -> Keepalive | None:
    """The server's keepalive in force as far as validate knows offline (docs/guard.md, 2 and
    7): the profile's value, else the default on its targets' clouds (`cloud.Cloud.defaults`),
    the longest of them; none when the profile has no target or one of them leaves it to the
    operating system (0: the engine's default, a server you run).
    The same default `plan` credits on a target that does not set it."""
    if profile.engine is not Engine.POSTGRES:
        return None
    if "tcp_keepalives_idle" in profile.server:
        idle = keepalive(profile)
        if idle is None:
            return None
        words = f"the server's tcp_keepalives_idle {in_seconds(idle)}, from the profile"
        return Keepalive(idle, words)
    spec = parameters(Engine.POSTGRES)["tcp_keepalives_idle"]
    providers = sorted({target.provider for target in profile.targets})
    defaults = [parameter_default(spec, provider) for provider in providers]
    if not defaults or any(value.disabled for value in defaults):
        return None
    idle = max(defaults)
    on = ", ".join(providers)
    return Keepalive(
        idle, f"the server's tcp_keepalives_idle {in_seconds(idle)} (the default in effect on {on})"
    )


def client_keepalive(profile: Profile) -> Keepalive | None:
    """Django's own TCP keepalives: libpq's `keepalives_idle` in OPTIONS, as the profile declares
    it in `django.keepalives_idle` (django-settings writes it there). libpq "Parameter Key
    Words", keepalives_idle: "the number of seconds of inactivity after which TCP should send a
    keepalive message to the server". Only a declared value is credited: the server's
    tcp_keepalives_idle says nothing of what Django's connections do."""
    idle = profile.django.keepalives_idle
    if idle is None or profile.engine is not Engine.POSTGRES:
        return None
    return Keepalive(idle, f"Django's keepalives_idle {in_seconds(idle)} (django.keepalives_idle)")


def reached(profile: Profile, from_server: bool) -> set[int]:
    """The indexes of the network hops one end's keepalives cross: from that end up to the first
    hop that ends the TCP connection (what lies beyond sees none of its packets)."""
    order = range(len(profile.path))
    found: set[int] = set()
    for index in reversed(order) if from_server else order:
        if not passes_tcp(profile.path[index]):
            break
        found.add(index)
    return found


_DECLARED = Keepalive(Duration(0), "")  # path_findings: the server keepalive as declared


def path_findings(
    profile: Profile,
    server: Keepalive | None = _DECLARED,
    *,
    skip: frozenset[int] = frozenset(),
) -> tuple[list[Finding], list[Finding]]:
    """(refusals, notes) for the profile's path: `path_outcomes`' findings."""
    refusals, notes = [], []
    for _, outcome, finding in path_outcomes(profile, server, skip=skip):
        (refusals if outcome == "refused" else notes).append(finding)
    return refusals, notes


Outcome = Literal["refused", "kept open", "unjudged"]


def path_outcomes(
    profile: Profile,
    server: Keepalive | None = _DECLARED,
    *,
    skip: frozenset[int] = frozenset(),
) -> list[tuple[HopValue, Outcome, Finding]]:
    """What the guard says of each hop timeout it says anything of, tied to the hop by its
    place in the path (`HopValue.index`), never by its name: two hops may share one.

    `server` is the server's keepalive in force on the database (the plan passes what the target
    holds after it; validate, offline, the profile's declared value). `skip` holds the indexes of
    hops judged elsewhere (a target that is a hop judges its own), by identity, never by name.

    A network hop is kept open when a keepalive that reaches it comes, with the margin, before
    its idle timeout (keepalive + margin < idle timeout): the server's keepalives reach the hops
    between the server and the nearest TCP-terminating hop, Django's (libpq keepalives_idle) those
    between Django and the nearest one.
    """
    budget, margin = budget_of(profile.django), profile.guard.margin
    server = declared_keepalive(profile) if server is _DECLARED else server
    client = client_keepalive(profile)
    from_server, from_client = reached(profile, True), reached(profile, False)
    said: list[tuple[HopValue, Outcome, Finding]] = []
    for item in hop_values(profile):
        if item.index in skip or item.closes == "server" or item.value.disabled:
            continue
        key = f"{item.hop.name}.{item.name}"
        network = kinds()[item.hop.kind].network
        kept = [
            alive
            for alive, reaches in ((server, from_server), (client, from_client))
            if alive is not None and item.index in reaches and alive.idle + margin < item.value
        ]
        if network and kept:
            plus = "" if margin.disabled else f" plus the margin of {in_seconds(margin)}"
            said.append(
                (
                    item,
                    "kept open",
                    Finding(
                        key,
                        f"{item.where}: {item.name} = {in_seconds(item.value)} ({item.source}) "
                        f"is kept open: {kept[0].words}{plus} comes before it, so this hop never "
                        "sees the connection idle",
                    ),
                )
            )
            continue
        # A checked pool replaces a connection whose check fails. A hop that answers a packet
        # on a flow it forgot with a TCP RST fails the check at once; one that drops it
        # silently makes the check wait for a TCP timeout instead (hops.expiry, cited there).
        silent = expiry(item.hop.kind, getattr(item.hop, "provider", None)) == "silent"
        checked = budget.checked and (not network or not silent)
        advice = budget.advice
        if budget.checked and network and silent:
            advice = (
                f"The {item.hop.kind} drops a packet on a flow it has forgotten silently, so the "
                "pool's check on checkout waits for a TCP timeout instead of failing fast. "
                f"{advice or ''}"
            ).strip()
        finding = judge(
            key,
            f"{in_seconds(item.value)} ({item.source})",
            item.value,
            replace(budget, checked=checked, advice=advice),
            margin,
            item.where,
            item.closes == "transaction",
            closer=f"the {item.hop.kind}",
            label=item.name,
        )
        if finding is not None:
            said.append((item, "refused", finding))
        elif item.closes == "transaction" and budget.transaction_unjudged:
            shown = f"{in_seconds(item.value)} ({item.source})"
            message = f"{item.where}: {item.name} = {shown} {UNDECLARED_TRANSACTION}"
            said.append((item, "unjudged", Finding(key, message)))
    return said


def _default_words(provider: str | None) -> str:
    if provider is None:
        return "the documented default; with no provider, the smallest of its kind"
    return f"the documented default on {provider}"
