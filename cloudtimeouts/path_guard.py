"""The whole path from Django to the server: Django's idle budget against every hop's timeout.

Each hop's timeout that closes Django's connection (a pooler's or proxy's client-idle timeout, a
load balancer's or NAT's) is judged against every idle budget between units of work (Django's
requests, then each declared worker: `budget.budgets_of`, with why), PgBouncer's
idle_transaction_timeout against their transaction budgets. A checked
pool (CONN_HEALTH_CHECKS) replaces a connection a pooler closed on checkout. A network hop that
drops its state silently (`hops.expiry`, each cloud's cited in its package) is judged even then:
a check on a dropped flow waits, it does not fail fast; one that answers with a TCP RST fails the
check at once, and the pool reconnects.

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

from cloudtimeouts.budget import budgets_of, in_seconds
from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.cloud import parameter_default
from cloudtimeouts.durations import Duration
from cloudtimeouts.guard import UNDECLARED_TRANSACTION, judge
from cloudtimeouts.hops import Closes, default, expiry, kinds, passes_tcp
from cloudtimeouts.model import Finding
from cloudtimeouts.profile import Hop, Profile


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
    budgets, margin = budgets_of(profile), profile.guard.margin
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
        refusals: list[Finding] = []
        for budget in budgets:  # Django's requests, then each worker: each refusal said
            checked = budget.checked and (not network or not silent)
            advice = budget.advice
            if budget.checked and network and silent:
                advice = (
                    f"The {item.hop.kind} drops a packet on a flow it has forgotten silently, "
                    f"so the pool's check on checkout waits for a TCP timeout instead of "
                    f"failing fast. {advice or ''}"
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
            if finding is not None and finding not in refusals:
                refusals.append(finding)
        if refusals:
            said.extend((item, "refused", finding) for finding in refusals)
        elif item.closes == "transaction" and budgets[0].transaction_unjudged:
            shown = f"{in_seconds(item.value)} ({item.source})"
            message = f"{item.where}: {item.name} = {shown} {UNDECLARED_TRANSACTION}"
            said.append((item, "unjudged", Finding(key, message)))
    return said


def _default_words(provider: str | None) -> str:
    if provider is None:
        return "the documented default; with no provider, the smallest of its kind"
    return f"the documented default on {provider}"
