"""The invariant: Django must never reuse a connection that something else has already closed.

Django keeps a connection for up to CONN_MAX_AGE seconds after it opened it, so an idle timeout
at or below CONN_MAX_AGE (plus the profile's safety margin) can close a connection Django will
still hand to a request. Pure functions: the caller says where each value came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from cloudtimeouts.budget import Budget, in_seconds
from cloudtimeouts.catalog import Engine, idle_parameters, parameters
from cloudtimeouts.cloud import platform_of, platforms
from cloudtimeouts.durations import Duration
from cloudtimeouts.model import Finding

ValueSource = Literal["profile", "target", "default", "terraform", "session"]

_SOURCE_WORDS: Mapping[ValueSource, str] = {
    "profile": "from the profile",
    "target": "set on the target",
    "default": "the default in effect",
    "terraform": "set by the Terraform plan",
    "session": "the live session's value",  # verify and the Django check read a live database
}


@dataclass(frozen=True, slots=True)
class Observed:
    """A timeout's value and where it came from, in the parameter's native unit for messages."""

    value: Duration
    native: str
    source: ValueSource
    detail: str = ""  # replaces the source's words: "from profile b, on DB parameter group b-pg"

    @property
    def words(self) -> str:
        return self.detail or _SOURCE_WORDS[self.source]


def effective_idle_timeouts(
    engine: Engine,
    declared: Mapping[str, Duration],
    current: Mapping[str, Observed],
) -> dict[str, Observed]:
    """Profile value, else the target's current value, else the engine's default."""
    result: dict[str, Observed] = {}
    for spec in idle_parameters(engine):
        if spec.name in declared:
            value = declared[spec.name]
            result[spec.name] = Observed(value, spec.to_native_checked(value), "profile")
        elif spec.name in current:
            result[spec.name] = current[spec.name]
        else:
            result[spec.name] = Observed(spec.default, spec.default.to_native(spec.unit), "default")
    return result


UNDECLARED_TRANSACTION = (
    "closes a connection idle inside a transaction, and the profile declares no "
    "django.max_idle_in_transaction, so it is judged against 0 s and proves nothing. Declare "
    "django.max_idle_in_transaction: the longest a request or task leaves a transaction idle."
)


def check(
    engine: Engine,
    conn_max_age: int | None,
    margin: Duration,
    effective: Mapping[str, Observed],
    where: str,
    *,
    budgets: Sequence[Budget] = (),
    platform: str = "",
    notes: list[Finding] | None = None,
) -> list[Finding]:
    """Every enabled idle timeout that could close a connection Django may still reuse.

    Each timeout is judged against every budget (`budget.budgets_of`: Django's requests, then
    each declared worker; CONN_MAX_AGE's alone when none is given), each refusal said once.
    `platform` is the version (or "" when unknown) of the database the values are in force
    on: it decides whether `interactive_timeout` applies (see `judged`). What is not judged, or
    judged against a budget the profile did not declare, is said in `notes`, never passed
    silently.
    """
    findings: list[Finding] = []
    for name, observed in effective.items():
        said_notes: list[Finding] = []
        for budget in budgets or (Budget.of_conn_max_age(conn_max_age),):
            said, finding = judge_parameter(engine, name, observed, budget, margin, where, platform)
            if said == "refused" and finding is not None:
                findings.append(finding)
            elif finding is not None:
                said_notes.append(finding)
        if notes is not None:
            notes.extend(note for note in dict.fromkeys(said_notes) if note not in notes)
    return list(dict.fromkeys(findings))


Said = Literal["refused", "unjudged", "not Django's", "accepted"]


def judge_parameter(
    engine: Engine,
    name: str,
    observed: Observed,
    budget: Budget,
    margin: Duration,
    where: str,
    platform: str = "",
) -> tuple[Said, Finding | None]:
    """What the guard says of one server idle timeout in force, and the finding that says it.

    "refused" (the refusal); "not Django's": it does not close Django's connections on this
    platform (`not_judged_because`; a note when it would have been refused); "unjudged": a
    transaction-idle timeout judged against a stand-in of 0 s (the note asks for a budget,
    docs/guard.md 6); "accepted" (no finding; a disabled timeout too: 0 closes nothing).
    """
    spec = parameters(engine)[name]
    seconds = "" if spec.unit.symbol == "s" else f"{in_seconds(observed.value)}, "
    shown = f"{observed.native} {spec.unit.symbol} ({seconds}{observed.words})"
    in_transaction = spec.in_transaction  # catalog: closes a connection only in a transaction
    finding = judge(name, shown, observed.value, budget, margin, where, in_transaction)
    reason = not_judged_because(engine, name, platform, budget)
    if reason is not None:
        if finding is None:
            return "not Django's", None
        return "not Django's", Finding(name, f"{where}: {name} = {shown} is not judged: {reason}")
    if finding is not None:
        return "refused", finding
    if (  # an enabled one only: 0 closes nothing (docs/guard.md, 6)
        in_transaction and budget.transaction_unjudged and not observed.value.disabled
    ):
        return "unjudged", Finding(name, f"{where}: {name} = {shown} {UNDECLARED_TRANSACTION}")
    return "accepted", None


def not_judged_because(engine: Engine, name: str, platform: str, budget: Budget) -> str | None:
    """Why a parameter does not close Django's connections on this platform; None: it does.

    MySQL and MariaDB start a session's wait_timeout from interactive_timeout only for a client
    that connects with CLIENT_INTERACTIVE (MySQL reference manual, server system variables,
    wait_timeout: "On thread startup, the session wait_timeout value is initialized from the
    global wait_timeout value or from the global interactive_timeout value, depending on the
    type of client (as defined by the CLIENT_INTERACTIVE connect option to
    mysql_real_connect())"; MariaDB server-system-variables, interactive_timeout). Django's
    MySQL backend connects with `client_flag = CLIENT.FOUND_ROWS` only
    (django/db/backends/mysql/base.py, DatabaseWrapper.get_connection_params). A platform that
    closes idle sessions at the smaller of the two is the exception (`cloud.Platform`
    `interactive_closes`, cited where its cloud defines it).
    """
    if name != "interactive_timeout" or budget.interactive_client:
        return None
    found = platform_of(platform) if platform else None
    if found is not None and found.engine is engine and found.interactive_closes:
        return None
    closing = [p.title for p in platforms(engine) if p.interactive_closes]
    exception = (
        f" {' and '.join(closing)} applies the smaller of wait_timeout and interactive_timeout "
        "to every session."
        if closing
        else ""
    )
    return (
        "it applies only to clients that connect with CLIENT_INTERACTIVE, which Django's MySQL "
        "backend does not set (client_flag CLIENT.FOUND_ROWS); declare "
        f"django.interactive_client: true if your OPTIONS set it.{exception}"
    )


def judge(
    name: str,
    shown: str,
    value: Duration,
    budget: Budget,
    margin: Duration,
    where: str,
    in_transaction: bool,
    closer: str = "the server",
    label: str | None = None,
) -> Finding | None:
    """One timeout against the budget it must exceed; None when it is safe (or disabled).

    The message is three sentences: what is wrong (the timeout, its value and where it comes
    from, the budget and margin it does not exceed), why a request fails, and what to change
    (with the bound each change must cross). Every duration in it is in seconds, CONN_MAX_AGE's
    unit. `name` identifies the finding; `label` is how the message names the timeout.
    """
    finding_name, name = name, label or name
    if value.disabled or (budget.checked and not in_transaction):
        return None
    limit = budget.transaction if in_transaction else budget.session
    words = budget.transaction_words if in_transaction else budget.session_words
    fix = budget.transaction_fix if in_transaction else budget.session_fix
    closes = f"{closer[:1].upper()}{closer[1:]} closes a connection once it has been idle"
    closes += " inside a transaction" if in_transaction else ""
    fails = (
        f"{closes} for {in_seconds(value)}, and Django may hand such a connection to "
        f"{budget.consumer}, which then fails."
    )
    room = Duration(value.microseconds - margin.microseconds) if margin < value else None
    if limit is None:
        unlimited = words.replace(" unlimited", " is unlimited")
        advice = budget.advice or (
            f"Set {fix} below {in_seconds(room)}, or disable {name}."
            if room is not None
            else f"Disable {name}, or raise it above the margin ({in_seconds(margin)}) and set "
            f"{fix} below the difference."
        )
        return Finding(
            finding_name, f"{where}: {name} = {shown}, but {unlimited}. {fails} {advice}"
        )
    total = limit + margin
    if total < value:
        return None
    plus = "" if margin.disabled else f" plus the margin of {in_seconds(margin)}"
    in_all = "" if margin.disabled else f" ({in_seconds(total)} in all)"
    lower = (
        f", or lower {fix} below {in_seconds(room)}"
        if room is not None
        else f"; lowering {fix} cannot help while the margin alone ({in_seconds(margin)}) is "
        f"not below {in_seconds(value)}"
    )
    return Finding(
        finding_name,
        f"{where}: {name} = {shown} is not above {words}{plus}{in_all}. {fails} "
        f"Raise {name} above {in_seconds(total)}{lower}.",
    )
