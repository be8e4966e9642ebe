"""Whole-path cases for the guard, and the comparison of its verdict with the reference model.

A case is a profile (and maybe a second profile of the same run managing a group one of the
target's instances takes values from), the target's state as a read saw it, and its members. One
generator builds them from any source of choices (`Pick`): hypothesis in the property tests, a
seeded `random.Random` in the mutation tests, so both explore the same space.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.model import GroupLayer, MemberState, ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.plan import build_target_plan
from cloudtimeouts.profile import Profile, parse_profile
from cloudtimeouts.verdict import neighbours_of
from support import reference
from support.reference import KEEPALIVE, SECOND, TIMEOUTS, Managed, Verdict, native_unit

T = TypeVar("T")
Pick = Callable[[Sequence[Any]], Any]  # one of the options

# Durations in seconds around the documented defaults and one another, so that budgets, margins,
# keepalives and timeouts often meet at their boundaries.
SECONDS = (0, 1, 30, 59, 60, 61, 120, 240, 290, 299, 300, 301, 349, 350, 600, 1200, 1800, 28800)
PLATFORMS = {
    "postgres": ("aurora-postgresql14", "postgres16", ""),
    "mysql": ("aurora-mysql8.0", "mysql8.0", ""),
    "mariadb": ("mariadb10.11", ""),
}
HOP_KINDS = ("pgbouncer", "rds-proxy", "load-balancer", "nat", "custom")
REGION = "eu-west-1"


@dataclass
class Case:
    texts: list[str]  # the profiles as YAML; the first is the one planned
    state: TargetState
    writes: bool = True  # the run plans the second profile's target too
    profiles: list[Profile] = field(init=False)

    def __post_init__(self) -> None:
        self.profiles = [parse_profile(text, f"case-{i}.yaml") for i, text in enumerate(self.texts)]

    @property
    def profile(self) -> Profile:
        return self.profiles[0]

    def __str__(self) -> str:
        lines = ["--- profiles", *self.texts]
        lines += [f"--- second profile's target planned by the run: {self.writes}", "--- state"]
        lines.append(f"version={self.state.version!r}")
        lines.append(f"parameters={_shown(self.state.parameters)}")
        for member in self.state.members:
            lines.append(f"member {member.instance!r} platform={member.platform!r}")
            for side, layers in (("above", member.above), ("below", member.below)):
                for layer in layers:
                    lines.append(f"  {side} {layer.key}: {_shown(layer.parameters)}")
        return "\n".join(lines)


def _shown(seen: Any) -> dict[str, str]:
    return {
        name: f"{state.value}{' (default)' if state.value_is_default else ''}"
        for name, state in seen.items()
        if state.value is not None
    }


def _duration(pick: Pick, *, nonzero: bool = False) -> int:
    return pick([s for s in SECONDS if s or not nonzero])


def profile_text(pick: Pick, name: str, engine: str, target: dict[str, str]) -> str:
    django: dict[str, Any] = {}
    if engine == "postgres" and pick([False, False, True]):
        min_size = pick([0, 1, 2])
        pool: dict[str, Any] = {
            "min_size": min_size,
            "max_idle": f"{_duration(pick, nonzero=True)}s",
        }
        if min_size == 0:
            pool["max_size"] = pick([1, 2, 3])  # step 1: min_size 0 needs a max_size
        elif pick([False, True]):
            pool["max_size"] = min_size + pick([0, 2])
        django |= {"conn_max_age": 0, "pool": pool}
    else:
        django["conn_max_age"] = pick([0, 30, 60, 300, 600, 3600, "unlimited"])
    django["conn_health_checks"] = pick([False, True])
    in_transaction = pick([None, None, 0, 1, 30, 60, 300])
    if in_transaction is not None:
        django["max_idle_in_transaction"] = f"{in_transaction}s"
    if engine != "postgres":
        django["interactive_client"] = pick([False, False, True])
    elif pick([False, True]):
        django["keepalives_idle"] = _duration(pick, nonzero=True)
    server = {}
    for parameter in (*TIMEOUTS[engine], *((KEEPALIVE,) if engine == "postgres" else ())):
        if pick([False, True]):
            at_least_one = parameter in ("wait_timeout", "interactive_timeout")  # MySQL: 1..
            server[parameter] = f"{_duration(pick, nonzero=at_least_one)}s"
    path = []
    for index in range(pick([0, 1, 1, 2, 2, 3])):
        kind = pick(HOP_KINDS)
        hop: dict[str, Any] = {"kind": kind, "name": f"h{index}"}
        if kind == "pgbouncer":
            for timeout in ("client_idle_timeout", "idle_transaction_timeout"):
                if pick([False, True]):
                    hop[timeout] = f"{_duration(pick)}s"
        elif kind == "rds-proxy":
            if pick([False, True]):
                hop["idle_client_timeout"] = f"{_duration(pick)}s"
        else:
            if kind != "custom":
                provider = pick([None, "aws", "azure", "gcp"])
                if provider:
                    hop["provider"] = provider
            if kind == "custom" or pick([False, True]):
                hop["idle_timeout"] = f"{_duration(pick)}s"
            if kind == "custom" and pick([False, True]):
                hop["tcp"] = pick(["passthrough", "terminates"])
        path.append(hop)
    workers = []
    for index in range(pick([0, 0, 0, 1, 2])):
        kind = pick(["celery", "rq", "dramatiq", "huey", "django-q2", "command", "custom"])
        worker: dict[str, Any] = {
            "name": f"w{index}",
            "kind": kind,
            "max_gap": f"{_duration(pick)}s",
            "glue": pick([False, False, True]),
        }
        if kind == "custom":
            worker["between_tasks"] = pick(["checked", "kept"])
        if pick([False, False, True]):
            worker["max_gap_in_transaction"] = f"{_duration(pick)}s"
        workers.append(worker)
    document = {
        "name": name,
        "engine": engine,
        "django": django,
        "guard": {"margin": f"{pick([0, 0, 1, 30, 60])}s"},
        "server": server,
        "path": path,
        "targets": [target],
        "workers": workers,
    }
    return "\n".join(f"{key}: {json.dumps(value)}" for key, value in document.items()) + "\n"


def _aws(group: str, *, cluster: bool) -> dict[str, str]:
    key = "cluster_parameter_group" if cluster else "parameter_group"
    return {"provider": "aws", "region": REGION, key: group}


def _group_key(group: str, *, cluster: bool) -> str:
    kind = "cluster-parameter-group" if cluster else "parameter-group"
    return f"aws:{REGION}:{kind}/{group}"


def _values(pick: Pick, engine: str, *, target: bool) -> dict[str, ParameterState]:
    """What one group sets (a target: maybe also a value the API marks as the default)."""
    seen = {}
    for name in (*TIMEOUTS[engine], *((KEEPALIVE,) if engine == "postgres" else ())):
        how = pick(["unset", "set", "set", "default"] if target else ["unset", "unset", "set"])
        if how == "unset":
            continue
        seconds = _duration(pick, nonzero=name in ("wait_timeout", "interactive_timeout"))
        native = str(seconds * SECOND // native_unit(engine, name))
        seen[name] = ParameterState(name, native, value_is_default=how == "default")
    return seen


def make_case(pick: Pick) -> Case:
    engine = pick(["postgres", "mysql", "mariadb"])
    shape = pick(["cluster", "instance", "alone"] if engine != "mariadb" else ["instance", "alone"])
    if shape == "alone":
        providers = ["aws"] if engine == "mariadb" else ["aws", "gcp", "azure"]
        provider = pick(providers)
        target = {
            "aws": _aws("solo", cluster=False),
            "gcp": {"provider": "gcp", "project": "acme-co", "instance": "solo"},
            "azure": {
                "provider": "azure",
                "subscription_id": "00000000-0000-0000-0000-000000000000",
                "resource_group": "rg",
                "server": "solo",
            },
        }[provider]
    else:
        target = _aws("cl" if shape == "cluster" else "pg", cluster=shape == "cluster")
    texts = [profile_text(pick, "first", engine, target)]
    platforms = PLATFORMS[engine]
    version = platforms[0] if shape == "cluster" else pick(platforms)
    own = {name: ParameterState(name) for name in parameters(Engine(engine))}
    own |= _values(pick, engine, target=True)
    members: list[MemberState] = []
    if shape != "alone":
        # a member's own DB parameter group overrides a cluster group target; a DB parameter
        # group target overrides its cluster's group
        groups = {}
        for group in ("inst-a", "inst-b") if shape == "cluster" else ("cl",):
            key = _group_key(group, cluster=shape != "cluster")
            groups[key] = GroupLayer(key, f"group {group}", _values(pick, engine, target=False))
        for index in range(pick([0, 1, 1, 2])):
            layer = groups[pick(sorted(groups))]
            above, below = ((layer,), ()) if shape == "cluster" else ((), (layer,))
            members.append(MemberState(f"m{index}", above, below, pick(platforms)))
        used = sorted({layer.key for member in members for layer in (*member.above, *member.below)})
        if used and pick([False, True]):
            key = pick(used)
            group = key.rsplit("/", 1)[1]
            second = _aws(group, cluster=shape != "cluster")
            texts.append(profile_text(pick, "second", engine, second))
    state = TargetState(
        "", Engine(engine), own, version=version, members=tuple(members)
    )  # target_id: set below, once the profile is parsed
    case = Case(texts, state, writes=pick([True, True, False]) if len(texts) > 1 else True)
    case.state = TargetState(
        case.profile.targets[0].id, Engine(engine), own, version=version, members=tuple(members)
    )
    return case


def seeded_cases(count: int, seed: int = 16) -> list[Case]:
    """`count` cases drawn from a fixed seed: the same every run, on every machine."""
    rng = random.Random(seed)
    return [make_case(rng.choice) for _ in range(count)]


def guard_verdicts(case: Case) -> tuple[Verdict, Verdict]:
    """What the guard says: (plan, validate), in the reference model's terms."""
    profile = case.profile
    target = profile.targets[0]
    selected = [target.key] + [p.targets[0].key for p in case.profiles[1:] if case.writes]
    plan = build_target_plan(profile, target, case.state, neighbours_of(case.profiles, selected))
    assert plan.error is None, plan.error
    refused = set()
    for finding in plan.refusals:
        where, _ = finding.message.split(": ", 1)
        if where.startswith("path "):
            refused.add(("path", finding.parameter))
        elif where == target.id:
            refused.add(("target", finding.parameter))
        else:
            member = where.removeprefix(f"{target.id} member ")
            instance, _, other = member.partition(", for profile ")
            other = other.removesuffix("'s Django")
            label = f"member {instance}" + (f" for {other}" if other else "")
            refused.add((label, finding.parameter))
    kept = {w.parameter for w in plan.warnings if "is kept open" in w.message}
    verdict = judge_offline(profile)
    offline_refusals, offline_notes = verdict.refusals, verdict.notes
    offline = {("path" if "." in f.parameter else "profile", f.parameter) for f in offline_refusals}
    offline_kept = {n.parameter for n in offline_notes if "is kept open" in n.message}
    return (
        Verdict(frozenset(refused), frozenset(kept)),
        Verdict(frozenset(offline), frozenset(offline_kept)),
    )


def reference_verdicts(
    case: Case, deviations: frozenset[str] = frozenset()
) -> tuple[Verdict, Verdict]:
    """What docs/guard.md says: (plan, validate); `deviations`: see reference.DEVIATIONS."""
    profile = case.profile
    others = {p.targets[0].key: Managed(p, case.writes) for p in case.profiles[1:]}
    provider = profile.targets[0].provider
    return (
        reference.plan_verdict(profile, case.state, provider, others, deviations),
        reference.offline_verdict(profile, deviations),
    )


def disagreement(case: Case, deviations: frozenset[str] = frozenset()) -> str | None:
    """None when the guard and the reference model agree on the case; else what differs."""
    said = []
    expected_verdicts = reference_verdicts(case, deviations)
    for mode, guard, expected in zip(
        ("plan", "validate"), guard_verdicts(case), expected_verdicts, strict=True
    ):
        for what in ("refused", "kept_open"):
            got, want = getattr(guard, what), getattr(expected, what)
            if got != want:
                said.append(
                    f"{mode} {what}: the guard only {sorted(got - want)}, "
                    f"the reference only {sorted(want - got)}"
                )
    return "\n".join(said) or None
