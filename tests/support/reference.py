"""A reference model of the guard, written from docs/guard.md alone.

It does not import or copy the guard (`cloudtimeouts.guard`, `chain`, `plan`, `hops`): it reads a
parsed `Profile` and a `TargetState` as plain data and applies the doc's rules, step by step, in
integer microseconds. The property tests (tests/test_guard_properties.py) compare the guard's
refusals with what this model says, and the mutation tests (tests/test_guard_mutations.py) prove
the comparison notices a broken rule.

A verdict is two sets:
- `refused`: (where, parameter) pairs. `where` is "target" (the target alone), "member NAME" (an
  instance, judged for the profile's own Django), "member NAME for PROFILE" (the same instance,
  judged for another profile of the run whose group is in its chain) or "path" (then `parameter`
  is "HOP.TIMEOUT"). Offline (`validate`) `where` is "profile".
- `kept_open`: the "HOP.TIMEOUT" of every network hop a keepalive keeps open (step 7).

Out of scope: values the guard cannot evaluate (formulas, Terraform unknowns), the Terraform mode,
RDS Proxy targets and Azure's built-in PgBouncer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cloudtimeouts.model import GroupLayer, MemberState, TargetState
from cloudtimeouts.profile import Profile

SECOND = 1_000_000  # microseconds
HOUR = 3600 * SECOND

# Step 3: the server timeouts that close Django's connections, and which budget each must outlast.
SESSION, TRANSACTION = "session", "transaction"
TIMEOUTS: Mapping[str, Mapping[str, str]] = {
    "postgres": {
        "idle_session_timeout": SESSION,
        "idle_in_transaction_session_timeout": TRANSACTION,
    },
    "mysql": {"wait_timeout": SESSION, "interactive_timeout": SESSION},
    "mariadb": {
        "wait_timeout": SESSION,
        "interactive_timeout": SESSION,
        "idle_transaction_timeout": TRANSACTION,
        "idle_write_transaction_timeout": TRANSACTION,
        "idle_readonly_transaction_timeout": TRANSACTION,
    },
}
KEEPALIVE = "tcp_keepalives_idle"  # PostgreSQL only


def native_unit(engine: str, name: str) -> int:
    """Microseconds per unit of a value as a target shows it: PostgreSQL's timeouts are in ms,
    its tcp_keepalives_idle and every MySQL and MariaDB timeout in seconds."""
    return 1_000 if engine == "postgres" and name != KEEPALIVE else SECOND


def default(engine: str, name: str, provider: str | None, platform: str) -> int:
    """Step 2, rule 4: the engine's default on that platform (Aurora PostgreSQL keeps a session
    idle in a transaction 24 h; RDS PostgreSQL sends keepalives after 300 s, Azure's after 120 s;
    MySQL's wait_timeout and interactive_timeout are 8 h; everything else is 0, disabled)."""
    if name in ("wait_timeout", "interactive_timeout"):
        return 28_800 * SECOND
    if name == "idle_in_transaction_session_timeout" and platform.startswith("aurora-postgresql"):
        return 24 * HOUR
    if name == KEEPALIVE:
        return {"aws": 300 * SECOND, "azure": 120 * SECOND}.get(provider or "", 0)
    return 0


def in_force_names(engine: str) -> list[str]:
    """The parameters whose value in force matters: the timeouts, and the server keepalive."""
    return [*TIMEOUTS[engine], *([KEEPALIVE] if engine == "postgres" else [])]


# Step 7: each hop kind's timeouts: (name, what it is judged against, the documented defaults by
# provider; None: no provider given, the smallest of its kind). SERVER: shown, never judged.
SERVER_SIDE = "server"
_LB = {"aws": 350, "azure": 240, "gcp": 60}  # Google Cloud: the external passthrough NLB's
_NAT = {"aws": 350, "azure": 240, "gcp": 1200}
HOP_TIMEOUTS: Mapping[str, tuple[tuple[str, str, Mapping[str | None, int]], ...]] = {
    "pgbouncer": (
        ("client_idle_timeout", SESSION, {None: 0}),
        ("idle_transaction_timeout", TRANSACTION, {None: 0}),
        ("server_idle_timeout", SERVER_SIDE, {None: 600}),
        ("server_lifetime", SERVER_SIDE, {None: 3600}),
    ),
    "rds-proxy": (("idle_client_timeout", SESSION, {None: 1800}),),
    "load-balancer": (("idle_timeout", SESSION, {**_LB, None: min(_LB.values())}),),
    "nat": (("idle_timeout", SESSION, {**_NAT, None: min(_NAT.values())}),),
    "custom": (("idle_timeout", SESSION, {}),),  # the profile must give it
}
NETWORK = frozenset({"load-balancer", "nat"})  # forward the TCP connection (step 7)
# Step 5: the hops that answer a packet on a forgotten flow with a TCP RST (a check fails at once)
RESETS = frozenset({("load-balancer", "aws"), ("nat", "aws"), ("nat", "azure")})


def passes_tcp(hop: object) -> bool:
    """Step 7: a load balancer, a NAT, a custom hop that says `tcp: passthrough`."""
    kind = getattr(hop, "kind", "")
    return kind in NETWORK or (kind == "custom" and getattr(hop, "tcp", None) == "passthrough")


POOLERS = frozenset({"pgbouncer", "azure-pgbouncer", "rds-proxy"})  # exempt under step 5


# The guard's known departures from docs/guard.md, by name: a caller may ask the model to adopt
# one, so that a property test keeps covering the rest of a case while a strict xfail test pins
# the departure (tests/test_guard_properties.py).
DEVIATIONS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Budgets:
    """Step 1 and step 6, in microseconds; None is unlimited."""

    session: int | None
    # Step 6's 0 s stand-in "proves nothing": a transaction-idle timeout above the margin is a
    # note. One within the margin alone is refused: step 4 applies the margin to every
    # comparison, and no budget the profile could declare (>= 0 s) would pass it. (docs/guard.md
    # says "every enabled transaction-idle timeout is then a note": this reading is reported.)
    transaction: int | None
    checked: bool  # step 5: a pool with conn_health_checks
    network: int | None  # what a load balancer or NAT must outlast (step 5: judged even checked)
    margin: int
    interactive_client: bool


def budgets(profile: Profile, deviations: frozenset[str] = frozenset()) -> Budgets:
    """`deviations` names the guard's known departures from the doc to adopt (see DEVIATIONS)."""
    django = profile.django
    pool = django.pool
    if pool is None:
        session = None if django.conn_max_age is None else django.conn_max_age * SECOND
        unchecked = session
    elif pool.min_size > 0:
        unchecked = None  # psycopg_pool keeps min_size connections however long they idle
    else:
        assert pool.max_size is not None, "min_size: 0 needs a max_size (step 1)"
        unchecked = (pool.max_size + 1) * pool.max_idle.microseconds
    checked = pool is not None and django.conn_health_checks
    session = None if checked else unchecked
    declared = django.max_idle_in_transaction
    if declared is not None:
        transaction = declared.microseconds
    elif pool is None:
        transaction = session  # conn_max_age: N (or unlimited; 0: the stand-in of step 6)
    else:
        transaction = 0  # a pool: the stand-in of step 6
    return Budgets(
        session,
        transaction,
        checked,
        network=unchecked,
        margin=profile.guard.margin.microseconds,
        interactive_client=django.interactive_client,
    )


# docs/guard.md 1, workers: the kinds whose framework keeps connections between units of work.
KEEPING = frozenset({"rq", "dramatiq", "huey", "command"})


def every_budget(profile: Profile) -> list[Budgets]:
    """Step 1 with workers: the requests' budgets, then one per worker. Between units of work a
    worker that keeps its connections (and has no glue) holds them without limit; one that closes
    or checks them is the requests' budget there, and its max_gap inside a unit, never checked."""
    requests = budgets(profile)
    found = [requests]
    for worker in profile.workers:
        if worker.kind == "custom":
            keeps = worker.between_tasks == "kept"
        else:
            keeps = worker.kind in KEEPING
        gap = None if keeps and not worker.glue else worker.max_gap.microseconds
        declared = worker.max_gap_in_transaction
        found.append(
            Budgets(
                gap,
                requests.transaction if declared is None else declared.microseconds,
                False,
                network=gap,
                margin=requests.margin,
                interactive_client=requests.interactive_client,
            )
        )
    return found


def refused_by(value: int, budget: int | None, margin: int) -> bool:
    """Step 4: 0 is disabled; an enabled timeout is refused when budget + margin >= it."""
    if value == 0:
        return False
    return budget is None or budget + margin >= value


def judged_server_timeouts(profile: Profile, values: Mapping[str, int], platform: str) -> set[str]:
    """Steps 3-6 on one instance's values in force, for one profile's Django."""
    engine = profile.engine.value
    refused = set()
    for b in every_budget(profile):
        for name, kind in TIMEOUTS[engine].items():
            if name == "interactive_timeout" and not (
                b.interactive_client or (engine == "mysql" and platform.startswith("aurora-mysql"))
            ):
                continue  # step 3: a note elsewhere
            if kind == SESSION:
                if b.checked:
                    continue  # step 5
                budget = b.session
            else:
                budget = b.transaction
            if refused_by(values[name], budget, b.margin):
                refused.add(name)
    return refused


def path_verdict(
    profile: Profile, server_keepalive: int | None, deviations: frozenset[str] = frozenset()
) -> tuple[set[tuple[str, str]], set[str]]:
    """Step 7 (and 5): the path's refusals and the network hops kept open.

    `server_keepalive`: the server's tcp_keepalives_idle in force, None when none is sent."""
    every = every_budget(profile)
    b = every[0]
    client = _django_keepalive(profile)
    hops = profile.path
    # Hops a keepalive crosses: from its end up to the first hop that ends the TCP connection.
    from_django: set[int] = set()
    for index, hop in enumerate(hops):
        if not passes_tcp(hop):
            break
        from_django.add(index)
    from_server: set[int] = set()
    for index in reversed(range(len(hops))):
        if not passes_tcp(hops[index]):
            break
        from_server.add(index)
    refused, kept = set(), set()
    for index, hop in enumerate(hops):
        for name, kind, defaults in HOP_TIMEOUTS[hop.kind]:
            if kind == SERVER_SIDE:
                continue
            declared = getattr(hop, name, None)
            if declared is not None:
                value = declared.microseconds
            else:
                value = defaults.get(getattr(hop, "provider", None), defaults.get(None, 0)) * SECOND
            key = f"{hop.name}.{name}"
            if value == 0:
                continue
            if hop.kind in NETWORK | {"custom"} and any(
                keepalive is not None and keepalive + b.margin < value
                for keepalive, reaches in ((server_keepalive, from_server), (client, from_django))
                if index in reaches
            ):
                kept.add(key)
                continue
            for each in every:  # the requests', then each worker's
                if kind == TRANSACTION:
                    budget: int | None = each.transaction
                elif hop.kind in POOLERS:
                    if each.checked:
                        continue  # step 5: the checkout check finds what a pooler closed
                    budget = each.session
                elif each.checked and (hop.kind, getattr(hop, "provider", None)) in RESETS:
                    continue  # step 5: a TCP RST fails the check at once
                else:
                    budget = each.network  # a load balancer, NAT or custom hop: even checked
                if refused_by(value, budget, each.margin):
                    refused.add(("path", key))
    return refused, kept


def _declared_keepalive(profile: Profile) -> int | None:
    """The server's tcp_keepalives_idle in force as validate knows it: the profile's, else the
    default on its targets' providers (the longest; none with no target or one that sends
    none)."""
    if profile.engine.value != "postgres":
        return None
    value = profile.server.get(KEEPALIVE)
    if value is not None:
        return None if value.disabled else value.microseconds
    defaults = [default("postgres", KEEPALIVE, t.provider, "") for t in profile.targets]
    return None if not defaults or 0 in defaults else max(defaults)


def _django_keepalive(profile: Profile) -> int | None:
    """Step 7: Django's own keepalives_idle, credited only as declared (django.keepalives_idle)."""
    value = profile.django.keepalives_idle
    if profile.engine.value != "postgres" or value is None:
        return None
    return value.microseconds


@dataclass(frozen=True)
class Verdict:
    refused: frozenset[tuple[str, str]]
    kept_open: frozenset[str]


@dataclass(frozen=True)
class Managed:
    """Another profile of the run, managing the group with this key; `writes`: the run plans it."""

    profile: Profile
    writes: bool = True


def _set_by(layer: GroupLayer, name: str, engine: str, managed: Managed | None) -> int | None:
    """What one group sets for a parameter after the run, or None when it sets nothing."""
    if managed is not None and managed.writes and name in managed.profile.server:
        return managed.profile.server[name].microseconds
    seen = layer.parameters.get(name)
    if seen is None or seen.value in (None, "") or seen.value_is_default:
        return None
    return int(seen.value) * native_unit(engine, name)


def plan_verdict(
    profile: Profile,
    state: TargetState,
    provider: str,
    others: Mapping[str, Managed] | None = None,
    deviations: frozenset[str] = frozenset(),
) -> Verdict:
    """What `plan` must refuse for one target (read from the cloud, not Terraform)."""
    others = others or {}
    engine = profile.engine.value
    # The target: the profile's value, else its current value (what it sets itself: None).
    target_sets: dict[str, int | None] = {}
    alone: dict[str, int] = {}
    for name in in_force_names(engine):
        seen = state.parameters.get(name)
        unit = native_unit(engine, name)
        current = None if seen is None or seen.value in (None, "") else int(seen.value) * unit
        if name in profile.server:
            target_sets[name] = profile.server[name].microseconds
        else:
            target_sets[name] = None if seen is None or seen.value_is_default else current
        shown = target_sets[name] if target_sets[name] is not None else current
        alone[name] = shown if shown is not None else default(engine, name, provider, state.version)
    refused = {("target", name) for name in judged_server_timeouts(profile, alone, state.version)}
    keepalives = [alone.get(KEEPALIVE, 0)]
    for member in state.members:
        values, judged = _member_values(profile, member, target_sets, provider, state, others)
        platform = member.platform or state.version
        for judged_profile in judged:
            where = f"member {member.instance}"
            if judged_profile is not profile:
                where += f" for {judged_profile.name}"
            for name in judged_server_timeouts(judged_profile, values, platform):
                refused.add((where, name))
        keepalives.append(values.get(KEEPALIVE, 0))
    # Step 7: the longest server keepalive of every instance; none if one leaves it to the OS.
    server = None if engine != "postgres" or 0 in keepalives else max(keepalives)
    path_refused, kept = path_verdict(profile, server, deviations)
    return Verdict(frozenset(refused | path_refused), frozenset(kept))


def _member_values(
    profile: Profile,
    member: MemberState,
    target_sets: Mapping[str, int | None],
    provider: str,
    state: TargetState,
    others: Mapping[str, Managed],
) -> tuple[dict[str, int], list[Profile]]:
    """Step 2 on one instance: each value is the first of (groups above the target, the target,
    groups below it, the platform's default) that sets it; and the profiles judged there."""
    engine = profile.engine.value
    platform = member.platform or state.version
    values = {}
    for name in in_force_names(engine):
        found = None
        for layer in member.above:
            found = _set_by(layer, name, engine, others.get(layer.key))
            if found is not None:
                break
        if found is None:
            found = target_sets[name]
        if found is None:
            for layer in member.below:
                found = _set_by(layer, name, engine, others.get(layer.key))
                if found is not None:
                    break
        values[name] = found if found is not None else default(engine, name, provider, platform)
    judged = [profile]
    for layer in (*member.above, *member.below):
        other = others.get(layer.key)
        if (
            other is not None
            and other.profile.engine is profile.engine
            and all(other.profile is not seen for seen in judged)
        ):
            judged.append(other.profile)
    return values, judged


def offline_verdict(profile: Profile, deviations: frozenset[str] = frozenset()) -> Verdict:
    """What `validate` must refuse: the profile's values, else the defaults with no provider and
    no platform, and for an AWS cluster parameter group Aurora's too (the stricter wins)."""
    engine = profile.engine.value
    platforms = [""]
    if any(getattr(t, "cluster_parameter_group", None) for t in profile.targets):
        platforms += {"postgres": ["aurora-postgresql"], "mysql": ["aurora-mysql"]}.get(engine, [])
    refused = set()
    for platform in platforms:
        values = {
            name: profile.server[name].microseconds
            if name in profile.server
            else default(engine, name, None, platform)
            for name in in_force_names(engine)
        }
        refused |= {("profile", n) for n in judged_server_timeouts(profile, values, platform)}
    path_refused, kept = path_verdict(profile, _declared_keepalive(profile), deviations)
    return Verdict(frozenset(refused | path_refused), frozenset(kept))
