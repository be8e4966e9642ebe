"""`cloudtimeouts import`: a profile from what targets hold today, proven to plan no change.

Every judgement is the plan's own, so that adopting cloudtimeouts changes nothing: targets are
read by `planning.make_plan`; a parameter some target sets (not at its default) goes under
`server:` only when, planned alone against every target (`plan.build_target_plan`), it changes
nothing and breaks no limit of theirs, else a comment says why it was left out (a profile never
touches what it does not name); the idle timeouts in force are `verdict.current_idle_timeouts` and
`guard.effective_idle_timeouts`; the profile printed is parsed back and planned against every
target: no change, no error, no refusal by their guard nor by `validate`'s. An idle timeout the
guard cannot evaluate (a formula a cloud accepts as a value) is refused: no CONN_MAX_AGE can be
proven safe against it. The command line's targets are named by each cloud's own options, parsed
by its package (`ImportOptions`, found through `Cloud.imports`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from pydantic import ValidationError

from cloudtimeouts import guard
from cloudtimeouts.adapters import AdapterLoader
from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.cloud import Cloud, clouds
from cloudtimeouts.concurrency import (
    DEFAULT_TIMEOUT_S,
    MAX_CONCURRENT_TARGETS,
    MAX_THREADS,
    Cancellation,
    run_bounded,
)
from cloudtimeouts.durations import Duration, DurationError, format_native, shown
from cloudtimeouts.errors import CloudtimeoutsError, UnsafeProfileError
from cloudtimeouts.model import Finding, ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.plan import build_target_plan
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import CONN_MAX_AGE_MAX, Profile, Target, parse_profile
from cloudtimeouts.providers import load_adapter
from cloudtimeouts.providers.base import ProviderAdapter
from cloudtimeouts.verdict import current_idle_timeouts

# Relative to the profile: `cloudtimeouts schema > profile.schema.json` puts it there.
SCHEMA_REFERENCE = "profile.schema.json"
PROPOSED = "# proposed: the largest value below every idle timeout in force, minus the margin"
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
# What some YAML reader (1.1 or 1.2) takes for a number, a boolean, null or a date: quoted.
_NOT_PLAIN = re.compile(
    r"^([-+]?[0-9._]+([eE][-+]?[0-9]+)?|0[xo][0-9a-fA-F]+|\d{4}-\d\d?-\d\d?"
    r"|(?i:y|n|yes|no|on|off|true|false|null))$"
)


@dataclass(frozen=True, slots=True)
class Imported:
    """The profile, its YAML text, and the parameters set on a target but left out (why)."""

    profile: Profile
    text: str
    left_out: tuple[str, ...] = ()
    proposed: bool = False


class _Read(NamedTuple):
    target: Target
    state: TargetState


class ImportOptions(Protocol):
    """How one cloud's targets are named on `cloudtimeouts import`'s command line: its package's
    `Cloud.imports`, so that the options' rules and messages stay with the cloud they name."""

    options: tuple[str, ...]  # the options it reads, as the command line spells them

    def targets(self, given: Mapping[str, Sequence[str]]) -> list[tuple[str, str, dict[str, str]]]:
        """(option, value as given, the fields of the target's `targets:` entry but
        `provider`) for each target its options name, in order; a CloudtimeoutsError for
        options that cannot name one. `given`: each of its options' values."""
        ...


@cache
def _import_options() -> tuple[tuple[Cloud, ImportOptions], ...]:
    """Every registered cloud's import options, in registration order, imported on first use."""
    found = []
    for described in clouds().values():
        if described.imports:
            module, _, attribute = described.imports.partition(":")
            found.append((described, getattr(import_module(module), attribute)))
    return tuple(found)


def import_options() -> tuple[str, ...]:
    """Every option some cloud reads, in registration order."""
    return tuple(option for _, options in _import_options() for option in options.options)


def targets_from_options(given: Mapping[str, Sequence[str]]) -> list[Target]:
    """The command line's targets (`given`: each option's values, by the option as the command
    line spells it), each cloud's parsed by its package, in the clouds' registration order."""
    unknown = sorted(option for option, values in given.items() if values)
    unknown = [option for option in unknown if option not in import_options()]
    if unknown:
        raise CloudtimeoutsError(f"no cloud reads {', '.join(unknown)}")
    named = [
        (described, *found)
        for described, options in _import_options()
        for found in options.targets({option: given.get(option, ()) for option in options.options})
    ]
    targets = []
    for described, option, value, fields in named:
        try:
            targets.append(described.target.model_validate({"provider": described.name, **fields}))
        except ValidationError as error:
            what = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise CloudtimeoutsError(f"{option} {shown(value)}: {what}") from None
    return targets


def import_profile(
    targets: Sequence[Target],
    name: str,
    conn_max_age: str | int | None = None,
    margin: str | None = None,
    adapter_loader: AdapterLoader = load_adapter,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    concurrency: int = MAX_CONCURRENT_TARGETS,
) -> Imported:
    """Read the targets and build their profile; `conn_max_age` None: propose the largest safe.

    Raises CloudtimeoutsError (a target that cannot be read, engines that differ) or
    UnsafeProfileError (the guard refuses `conn_max_age`, or no value is safe).
    """
    probe = _settings(name, conn_max_age, margin)
    if not targets:
        raise CloudtimeoutsError("name at least one target (see cloudtimeouts import --help)")
    seen: dict[str, str] = {}
    for target in targets:
        if target.key in seen:
            raise CloudtimeoutsError(f"{target.id} is given twice (as {seen[target.key]} too)")
        seen[target.key] = target.id
    adapters = {p: adapter_loader(p) for p in dict.fromkeys(t.provider for t in targets)}
    engine = _engine(targets, adapters, timeout, concurrency)
    probe = probe.model_copy(update={"engine": engine, "targets": list(targets)})
    first = make_plan([probe], (), adapters.__getitem__, timeout=timeout, concurrency=concurrency)
    failed = [planned.error for planned in first.targets if planned.error]
    if failed:
        message, lines = _one_message("could not read", failed)
        raise CloudtimeoutsError(message, lines=lines)
    plans = [_Read(planned.target, planned.state) for planned in first.targets if planned.state]
    unknown = [
        Finding(parameter, f"{read.target.id}: {parameter} = {value!r} is not a number "
                "cloudtimeouts can evaluate, so no CONN_MAX_AGE can be proven safe against it")
        for read in plans
        for parameter, value in _idle(engine, read)[1].items()
    ]  # fmt: skip
    _refuse("cannot import", unknown, "set a number of its unit on the target, then import again")
    server, left_out = _common_values(probe, plans)
    probe, bound = probe.model_copy(update={"server": server}), None
    if conn_max_age is None:
        seconds, bound = _proposal(probe, plans)
        probe = _with_age(probe, seconds)
    text = _render(probe, margin is not None, left_out, bound)
    profile = parse_profile(text, "the imported profile")
    _refuse(
        f"the guard refuses conn_max_age {conn_max_age}; nothing was imported",
        _refusals(profile, plans),
        "leave out --conn-max-age to have the largest safe value proposed",
    )
    for target, state in plans:
        again = build_target_plan(profile, target, state)
        if again.error or again.changes:  # the rules above forbid it: never print such a profile
            changes = again.error or [change.parameter for change in again.changes]
            raise CloudtimeoutsError(f"internal error: importing {target.id} changes {changes}")
    return Imported(profile, text, tuple(left_out), conn_max_age is None)


def write_new(path: Path, text: str, *, force: bool = False) -> None:
    """Write the profile to a new file; an existing one is replaced only with `force`, and then
    atomically (a temporary file renamed over it), so a failure never leaves half a profile."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if not force:
            with path.open("x", encoding="utf-8") as file:
                file.write(text)
            return
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except FileExistsError:
        raise CloudtimeoutsError(
            f"{path} exists; nothing was written",
            hint="choose another file, or add --force to replace it",
        ) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CloudtimeoutsError(f"cannot write {path}: {reason}") from None
    finally:
        temporary.unlink(missing_ok=True)


def _settings(name: str, conn_max_age: str | int | None, margin: str | None) -> Profile:
    """The user's values, checked by the profile's own rules before any cloud call."""
    options = {"name": "--name", "django": "--conn-max-age", "guard": "--margin"}
    django = {"conn_max_age": 0 if conn_max_age is None else conn_max_age}
    document: dict[str, Any] = {"name": name, "engine": "postgres", "django": django}
    document |= {"guard": {"margin": margin}} if margin is not None else {}
    try:
        return Profile.model_validate(document)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            option = options[str(item["loc"][0])]
            text = "a-z, 0-9 and -, at most 63" if option == "--name" else item["msg"]
            problems.append(f"{option} {shown(item['input'])}: {text}")
        raise CloudtimeoutsError("; ".join(problems)) from None


def _engine(
    targets: Sequence[Target],
    adapters: dict[str, ProviderAdapter],
    timeout: float,
    concurrency: int,
) -> Engine:
    """The one engine every target runs, asked of each adapter concurrently."""

    def failed(target: Target, error: BaseException) -> str:
        if isinstance(error, CloudtimeoutsError):
            return error.message + (f" (hint: {error.hint})" if error.hint else "")
        return f"{target.id}: unexpected {type(error).__name__}: {error}"

    adapter = lambda target: adapters[target.provider]  # noqa: E731
    found = run_bounded(
        lambda target: adapter(target).engine(target),
        targets,
        concurrency=MAX_THREADS,
        per_scope=concurrency,
        scope=lambda target: target.scope,
        timeout=timeout,
        cancel=Cancellation(),
        on_timeout=lambda t: f"{t.id}: no answer from {adapter(t).endpoint(t)} in {timeout:g} s",
        on_cancel=lambda target: f"{target.id}: interrupted",
        on_error=failed,
    )
    errors = [result for result in found if not isinstance(result, Engine)]
    if errors:
        message, lines = _one_message("could not read", errors)
        raise CloudtimeoutsError(message, lines=lines)
    engines: dict[Engine, list[str]] = {}
    for target, engine in zip(targets, found, strict=True):
        engines.setdefault(engine, []).append(target.id)
    if len(engines) > 1:
        runs = "; ".join(f"{engine.value}: {', '.join(ids)}" for engine, ids in engines.items())
        raise CloudtimeoutsError(
            f"the targets run different engines ({runs}); a profile has one engine",
            hint="import each engine's targets into a profile of its own",
        )
    return next(iter(engines))


def _common_values(probe: Profile, plans: Sequence[_Read]) -> tuple[dict[str, Duration], list[str]]:
    """Each parameter some target sets whose value every target holds: planned alone against
    every target, it changes nothing and breaks no limit of theirs."""
    server: dict[str, Duration] = {}
    left_out: list[str] = []
    for name, spec in parameters(probe.engine).items():
        set_on = {t.id: v for t, s in plans if (v := _set_on_target(s.parameters.get(name)))}
        if not set_on:
            continue
        try:
            values = {where: Duration.from_native(v, spec.unit) for where, v in set_on.items()}
            if len(set(values.values())) > 1:
                each = ", ".join(f"{v.human()} on {where}" for where, v in values.items())
                raise ValueError(f"the targets set different values ({each})")
            (value,) = set(values.values())
            spec.to_native_checked(value)
        except (DurationError, ValueError) as error:
            left_out.append(f"{name}: {error}")
            continue
        alone = probe.model_copy(update={"server": {name: value}})
        why = []
        for target, state in plans:
            trial = build_target_plan(alone, target, state)
            why += [f"{target.id}: {trial.error}"] if trial.error else []
            why += [
                f"{target.id} has {format_native(c.current, c.unit)} [{c.current_source}]"
                for c in trial.changes
            ]
        if why:
            where = ", ".join(set_on)
            left_out.append(f"{name} = {value.human()} on {where}, but " + "; ".join(why))
        else:
            server[name] = value
    return server, left_out


def _set_on_target(seen: ParameterState | None) -> str | None:
    """The value when the plan's `current_source` is "target": shown by the API, not the default."""
    if seen is None or seen.value in (None, "") or seen.value_is_default:
        return None
    return seen.value


def _idle(engine: Engine, read: _Read) -> tuple[dict[str, guard.Observed], dict[str, str]]:
    return current_idle_timeouts(engine, read.state, read.target.provider)


def _proposal(probe: Profile, plans: Sequence[_Read]) -> tuple[int | None, str]:
    """The largest s with s + margin below every enabled idle timeout in force on every target;
    the guard of plan and validate (`_refusals`) has the last word, and may lower it."""
    lowest: tuple[Duration, str] | None = None
    for read in plans:
        in_force = guard.effective_idle_timeouts(
            probe.engine, probe.server, _idle(probe.engine, read)[0]
        )
        for name, seen in in_force.items():
            if not seen.value.disabled and (lowest is None or seen.value < lowest[0]):
                lowest = (seen.value, f"{name} = {seen.value.human()} on {read.target.id}")
    if lowest is None:
        candidate, bound = None, "# (no idle timeout is enabled on any target: Django's None)"
    else:
        below = lowest[0].microseconds - probe.guard.margin.microseconds - 1
        candidate, bound = min(below // 1_000_000, CONN_MAX_AGE_MAX), f"# ({lowest[1]})"
    safe = lambda s: not _refusals(_with_age(probe, s), plans)  # noqa: E731
    if (candidate is not None and candidate < 0) or not safe(candidate):
        high = CONN_MAX_AGE_MAX if candidate is None else candidate
        if not safe(0):
            _refuse(
                "no conn_max_age is safe, not even 0",
                _refusals(_with_age(probe, 0), plans),
                "lower --margin, or raise the idle timeouts named above on the targets",
            )
        low = 0
        while high - low > 1:  # the guard is monotone in conn_max_age
            middle = (low + high) // 2
            low, high = (middle, high) if safe(middle) else (low, middle)
        candidate = high if safe(high) else low
        bound = "# (lowered to what the guard accepts on every target)"
    return candidate, bound


def _with_age(profile: Profile, seconds: int | None) -> Profile:
    django = profile.django.model_copy(update={"conn_max_age": seconds})
    return profile.model_copy(update={"django": django})


def _refusals(profile: Profile, plans: Sequence[_Read]) -> list[Finding]:
    """What plan's guard says on every target, and what validate's says offline."""
    found = [r for t, s in plans for r in build_target_plan(profile, t, s).refusals]
    said = {refusal.parameter for refusal in found}  # offline: only what no target said
    return found + [f for f in judge_offline(profile).refusals if f.parameter not in said]


def _refuse(what: str, refusals: Sequence[Finding], hint: str) -> None:
    if refusals:
        message, lines = _one_message(what, [refusal.message for refusal in refusals])
        raise UnsafeProfileError(message, refusals, hint=hint, lines=lines)


def _render(profile: Profile, margin: bool, left_out: Sequence[str], bound: str | None) -> str:
    age = profile.django.conn_max_age
    lines = [
        f"# yaml-language-server: $schema={SCHEMA_REFERENCE}",
        f"# Imported by `cloudtimeouts import` from the values set on {len(profile.targets)} "
        "target(s);",
        "# parameters at their default are left out. `cloudtimeouts plan` on it shows no change.",
        f"name: {_scalar(profile.name)}",
        f"engine: {profile.engine.value}",
        "django:",
        *([f"  {PROPOSED}", f"  {bound}"] if bound else []),
        f"  conn_max_age: {'unlimited' if age is None else _duration(Duration.of_seconds(age))}",
        f"  conn_health_checks: {str(profile.django.conn_health_checks).lower()}",
        *(["guard:", f"  margin: {_duration(profile.guard.margin, '0s')}"] if margin else []),
        *(f"# not imported (each target keeps its own): {note}" for note in left_out),
        "server:" if profile.server else "server: {}",
        *(f"  {name}: {_duration(value)}" for name, value in profile.server.items()),
        "targets:",
    ]
    for target in profile.targets:
        first, *rest = target.model_dump(mode="json", exclude_none=True).items()
        lines.append(f"  - {first[0]}: {_scalar(first[1])}")
        lines += [f"    {key}: {_scalar(value)}" for key, value in rest]
    return "\n".join(lines) + "\n"


def _duration(value: Duration, zero: str = "0") -> str:
    return zero if value.disabled else value.human()  # 0, not `off`: a YAML 1.1 boolean


def _scalar(value: str) -> str:
    """A YAML scalar any YAML reader reads back as this string: plain when it can be."""
    return value if _PLAIN.match(value) and not _NOT_PLAIN.match(value) else json.dumps(value)


def _one_message(what: str, problems: Sequence[str]) -> tuple[str, list[str] | None]:
    """(message, its lines): one problem on one line, several on a line each."""
    if len(problems) == 1:
        return f"{what}: {problems[0]}", None
    lines = [f"{what} ({len(problems)}):", *(f"  {problem}" for problem in problems)]
    return "\n".join(lines), lines
