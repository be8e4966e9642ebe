"""Judging what a session sees: the guard on the live idle timeouts, drift from the profile.

One function, `assess`, turns a LiveSession into findings; `verify` and the Django system
check both call it (the check with Django's own CONN_MAX_AGE, or its pool), so the refusal,
drift and override messages are worded once, here and in the guard. What the connection showed
of the path (live.path: a pooler in between, PgBouncer's own timeouts, judged by the path
guard) rides along: its refusals and warnings count like the server's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cloudtimeouts import guard
from cloudtimeouts.catalog import Engine, ParameterSpec, Role, parameters
from cloudtimeouts.cloud import platforms
from cloudtimeouts.durations import Duration, DurationError, NativeUnit, format_native
from cloudtimeouts.live.path import PathJudgement, PathSeen, judge_path
from cloudtimeouts.live.read import LiveSession, LiveSetting, describe_source, role_override
from cloudtimeouts.live.url import Family, family_of
from cloudtimeouts.model import Finding

if TYPE_CHECKING:
    from cloudtimeouts.profile import Profile

# docs/json.md: numbers are JSON numbers (margin_s, conn_max_age); parameter values are strings
# in the parameter's native unit, as the server shows them (as in the plan's JSON).
FORMAT_VERSION = "1"

Verdict = Literal["ok", "refused", "off", "absent", "unknown"]


@dataclass(frozen=True, slots=True)
class ParameterReport:
    """One catalogued parameter: the profile's value, the session's, and what is said about it."""

    name: str
    role: Role
    unit: NativeUnit
    profile: Duration | None  # declared in the profile, if it is
    live: LiveSetting | None  # None when the server has no such parameter
    source: str | None  # where the live value comes from, in words
    verdict: Verdict | None  # idle timeouts only: the guard's word on the live value
    drift_warning: Finding | None = None  # the profile declares a value the session lacks
    source_warning: Finding | None = None  # a value no parameter group or flag shows

    @property
    def drift(self) -> bool:
        return self.drift_warning is not None

    @property
    def profile_text(self) -> str | None:
        """`600000 ms (10min)`; None when the profile does not declare the parameter."""
        if self.profile is None:
            return None
        return format_native(_native_or_human(self.profile, self.unit), self.unit)

    @property
    def live_text(self) -> str:
        """`1000 ms (1s)`, the server's own words when not a duration, or that it has none."""
        if self.live is None:
            return "(not on this server)"
        if self.live.value is None:
            return self.live.shown
        return format_native(self.live.native, self.unit)

    @property
    def global_text(self) -> str | None:
        """MySQL/MariaDB: `28800 s`, the global value next to the session's."""
        if self.live is None or self.live.global_native is None:
            return None
        return f"{self.live.global_native} {self.unit.symbol}"

    def to_json(self) -> dict[str, Any]:
        live = self.live
        return {
            "parameter": self.name,
            "role": self.role.value,
            "unit": self.unit.symbol,
            "profile": (
                _native_or_human(self.profile, self.unit) if self.profile is not None else None
            ),
            "live": live.native if live else None,
            "live_human": live.value.human() if live and live.value is not None else None,
            "source": live.source if live else None,
            "global": live.global_native if live else None,
            "origin": live.origin if live else None,
            "drift": self.drift,
            "verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    profile: str | None  # the profile's name; None for a check run without one
    engine: Engine
    endpoint: str  # user@host:port/database, never the password
    server_version: str
    conn_max_age: int | None
    margin: Duration
    parameters: tuple[ParameterReport, ...]
    refusals: tuple[Finding, ...]  # the server's idle timeouts', then the path's
    path: PathJudgement | None = None  # PostgreSQL: what the connection showed of the path
    # what the guard did not judge, and says so (guard.check's notes: a transaction-idle timeout
    # with no declared budget, interactive_timeout where Django's sessions do not use it)
    notes: tuple[Finding, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Drift and values that no parameter group shows, parameter by parameter; the path's."""
        found = tuple(
            finding
            for row in self.parameters
            for finding in (row.drift_warning, row.source_warning)
            if finding is not None
        )
        return found + self.notes + (self.path.warnings if self.path else ())

    @property
    def path_refusals(self) -> tuple[Finding, ...]:
        return self.path.refusals if self.path else ()

    @property
    def drift(self) -> tuple[ParameterReport, ...]:
        return tuple(row for row in self.parameters if row.drift)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "profile": self.profile,
            "engine": self.engine.value,
            "endpoint": self.endpoint,
            "server_version": self.server_version,
            "conn_max_age": self.conn_max_age,
            "margin_s": _seconds(self.margin),
            "parameters": [row.to_json() for row in self.parameters],
            "refusals": [finding.to_json() for finding in self.refusals],
            "warnings": [finding.to_json() for finding in self.warnings],
            "path": self.path.to_json() if self.path else None,
            "verdict": "refused" if self.refused else "ok",
        }


def build_report(
    profile: Profile, endpoint: str, session: LiveSession, path: PathSeen | None = None
) -> VerifyReport:
    """`verify`: the session judged against the profile's budget (CONN_MAX_AGE, or its pool),
    margin and values; the path seen, if any, with the path guard."""
    from cloudtimeouts.budget import budgets_of

    return assess(
        session,
        endpoint=endpoint,
        conn_max_age=profile.django.conn_max_age,
        margin=profile.guard.margin,
        declared=profile.server,
        profile=profile.name,
        budgets=budgets_of(profile),
        path=judge_path(path, profile) if path is not None else None,
    )


def assess(
    session: LiveSession,
    *,
    endpoint: str,
    conn_max_age: int | None,
    margin: Duration,
    declared: Mapping[str, Duration] | None = None,
    profile: str | None = None,
    budgets: Sequence[guard.Budget] = (),
    path: PathJudgement | None = None,
) -> VerifyReport:
    """The guard on what the session sees, drift against the declared values, and overrides.

    `budgets` are the budgets every idle timeout must exceed (budget.budgets_of: Django's, a
    pool's, max_idle_in_transaction, each worker's); without them, CONN_MAX_AGE judges every
    idle timeout. `path` is the path guard's judgement
    of what the connection showed of the path; its refusals follow the server's.
    """
    engine = session.engine
    family = family_of(engine)
    declared = declared or {}
    notes: list[Finding] = []
    refusals = guard.check(
        engine, conn_max_age, margin, session.idle_timeouts(), f"live {endpoint}", budgets=budgets,
        platform=live_platform(engine, session.version), notes=notes,
    )  # fmt: skip
    refused = {refusal.parameter for refusal in refusals}
    rows = []
    for spec in parameters(engine).values():
        setting = session.settings.get(spec.name)
        wanted = declared.get(spec.name)
        rows.append(
            ParameterReport(
                name=spec.name,
                role=spec.role,
                unit=spec.unit,
                profile=wanted,
                live=setting,
                source=describe_source(setting, family) if setting else None,
                verdict=_verdict(spec, setting, refused),
                drift_warning=_drift(spec, wanted, setting, family),
                source_warning=_hidden_source(spec, setting, family),
            )
        )
    return VerifyReport(
        profile=profile,
        engine=engine,
        endpoint=endpoint,
        server_version=session.version,
        conn_max_age=conn_max_age,
        margin=margin,
        parameters=tuple(rows),
        refusals=tuple(Finding(refusal.parameter, refusal.message) for refusal in refusals)
        + (path.refusals if path else ()),
        path=path,
        notes=tuple(notes),
    )


def live_platform(engine: Engine, version: str) -> str:
    """The platform whose rules apply, as far as the server's version says: a platform whose
    VERSION() carries its marker (`cloud.Platform.server_marker`, cited where it is defined),
    where interactive_timeout may close every idle session (guard.not_judged_because); ""
    otherwise, the engine's own rules."""
    for candidate in platforms(engine):
        if candidate.server_marker and candidate.server_marker in version.lower():
            return candidate.prefix
    return ""


def _verdict(spec: ParameterSpec, setting: LiveSetting | None, refused: set[str]) -> Verdict | None:
    if spec.role is not Role.IDLE:
        return None
    if setting is None:
        return "absent"
    if setting.value is None:
        return "unknown"
    if spec.name in refused:
        return "refused"
    return "off" if setting.value.disabled else "ok"


def _drift(
    spec: ParameterSpec, wanted: Duration | None, setting: LiveSetting | None, family: Family
) -> Finding | None:
    if wanted is None or (setting is not None and setting.value == wanted):
        return None
    declared = format_native(_native_or_human(wanted, spec.unit), spec.unit)
    if setting is None:
        return Finding(
            spec.name,
            f"{spec.name}: the profile declares {declared} but this server has no such parameter",
        )
    return Finding(
        spec.name,
        f"{spec.name}: the profile declares {declared} but the live session has "
        f"{_native_text(setting, spec)}, from {describe_source(setting, family)}",
    )


def _hidden_source(
    spec: ParameterSpec, setting: LiveSetting | None, family: Family
) -> Finding | None:
    """A value set where no parameter group, flag or server parameter shows it."""
    if setting is None:
        return None
    how = role_override(setting, family)
    if how:
        return Finding(
            spec.name,
            f"{spec.name} = {_native_text(setting, spec)} comes from {how} (pg_settings.source "
            f"'{setting.source}', stored in pg_db_role_setting): no parameter group, flag or "
            "server parameter shows it",
        )
    if family == "mysql" and setting.source == "session" and spec.role is Role.IDLE:
        return Finding(
            spec.name,
            f"{spec.name}: this session has {_native_text(setting, spec)} but the global value "
            f"is {setting.global_native} {spec.unit.symbol}: set for the session (an "
            "init_command?) or an interactive client (wait_timeout then comes from "
            "interactive_timeout); Django's connections follow their own OPTIONS",
        )
    return None


def _native_text(setting: LiveSetting, spec: ParameterSpec) -> str:
    return setting.shown if setting.value is None else format_native(setting.native, spec.unit)


def _native_or_human(value: Duration, unit: NativeUnit) -> str:
    try:
        return value.to_native(unit)
    except DurationError:
        return value.human()


def _seconds(value: Duration) -> int | float:
    """A duration as a JSON number of seconds: `30`, `0.25` (never the string "3E+1")."""
    seconds = value.seconds
    return int(seconds) if seconds == seconds.to_integral_value() else float(seconds)
