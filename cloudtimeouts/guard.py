"""The invariant: Django must never reuse a connection that something else has already closed.

Django keeps a connection for up to CONN_MAX_AGE seconds after it opened it, so an idle timeout
at or below CONN_MAX_AGE (plus the profile's safety margin) can close a connection Django will
still hand to a request. Pure functions: the caller says where each value came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cloudtimeouts.catalog import Engine, idle_parameters
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


@dataclass(frozen=True, slots=True)
class Budget:
    """How long Django may hold a connection idle: between requests, and inside a transaction.

    `None` is unlimited. `checked` means every connection is checked on checkout (Django's pool
    with CONN_HEALTH_CHECKS), so one a server or pooler closed is never handed to a request.
    The words name the setting in messages; `fix` says which setting to lower.
    """

    session: Duration | None
    session_words: str
    session_fix: str
    transaction: Duration | None
    transaction_words: str
    transaction_fix: str
    checked: bool = False
    advice: str | None = None  # what to do when the budget is unlimited, if not "lower fix"

    @classmethod
    def of_conn_max_age(cls, conn_max_age: int | None) -> Budget:
        """Today's rule: every idle timeout is judged against CONN_MAX_AGE."""
        session = None if conn_max_age is None else Duration.of_seconds(conn_max_age)
        words = "CONN_MAX_AGE unlimited" if session is None else f"CONN_MAX_AGE {conn_max_age} s"
        return cls(session, words, "conn_max_age", session, words, "conn_max_age")


# Close a connection only while a transaction is open and idle (PostgreSQL runtime-config-client;
# MariaDB "Transaction Timeouts"): judged against the transaction budget.
TRANSACTION_IDLE = frozenset(
    {
        "idle_in_transaction_session_timeout",
        "idle_transaction_timeout",
        "idle_write_transaction_timeout",
        "idle_readonly_transaction_timeout",
    }
)


def check(
    engine: Engine,
    conn_max_age: int | None,
    margin: Duration,
    effective: Mapping[str, Observed],
    where: str,
    *,
    budget: Budget | None = None,
) -> list[Finding]:
    """Every enabled idle timeout that could close a connection Django may still reuse."""
    budget = budget or Budget.of_conn_max_age(conn_max_age)
    units = {spec.name: spec.unit for spec in idle_parameters(engine)}
    findings = []
    for name, observed in effective.items():
        unit = units[name]
        seconds = "" if unit.symbol == "s" else f"{in_seconds(observed.value)}, "
        shown = f"{observed.native} {unit.symbol} ({seconds}{_SOURCE_WORDS[observed.source]})"
        finding = judge(
            name, shown, observed.value, budget, margin, where, name in TRANSACTION_IDLE
        )
        if finding is not None:
            findings.append(finding)
    return findings


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
        f"{closes} for {in_seconds(value)}, and Django may hand such a connection to a request, "
        "which then fails."
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


def in_seconds(value: Duration) -> str:
    """`330 s`, `0.25 s`: a refusal's durations in one unit, Django's CONN_MAX_AGE's."""
    return f"{value.seconds.normalize():f} s"
