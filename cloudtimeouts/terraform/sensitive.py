"""Keep the values Terraform marks sensitive out of every rendering, while still judging them.

Why: `terraform show -json` prints a sensitive value in clear in `after` and marks it in
`after_sensitive`, so that a consumer does not display it (JSON Output Format, "Change
Representation"). A plan's table, JSON and Markdown end up in CI logs and pull-request
comments: a sensitive value must not appear there, however it is rendered (native unit,
seconds, or the room left once the margin is taken off). The guard still judges the real value;
only its words change. What cannot be hidden is the verdict itself: refused or not, and whether
the value equals the profile's (a change or an unchanged parameter).

Shown as `(sensitive value)`, the words Terraform uses for the same purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

from cloudtimeouts.budget import budgets_of, in_seconds
from cloudtimeouts.durations import Duration, DurationError
from cloudtimeouts.guard import judge
from cloudtimeouts.model import KNOWN_AFTER_APPLY, Finding, ParameterState
from cloudtimeouts.plan import TargetPlan
from cloudtimeouts.targets import hosted_hops, managed

SENSITIVE = "(sensitive value)"
_HIDDEN = "Terraform marks the value sensitive, so it is not shown here"


def redacted(
    planned: TargetPlan, sensitive: Collection[str], elsewhere: Mapping[str, str] | None = None
) -> TargetPlan:
    """The target's plan with every sensitive value (names compared case-blind) replaced;
    `elsewhere`: sensitive values of the target's own that findings may show (what another group
    of a member instance's chain overrides: `mapping.Members`), by parameter name."""
    hidden = {name.lower() for name in sensitive}
    if (not hidden and not elsewhere) or planned.state is None:
        return planned
    state = planned.state
    own = {
        name: seen.value
        for name, seen in state.parameters.items()
        if name.lower() in hidden and seen.value not in (None, KNOWN_AFTER_APPLY)
    }
    members = {n: v for n, v in (elsewhere or {}).items() if v not in ("", KNOWN_AFTER_APPLY)}
    if not own and not members:
        return planned
    keys = _finding_keys(planned, members | own)
    return dataclasses.replace(
        planned,
        state=dataclasses.replace(
            state,
            parameters=_hidden(state.parameters, own),
            members=tuple(
                dataclasses.replace(
                    member,
                    above=tuple(
                        dataclasses.replace(layer, parameters=_hidden(layer.parameters, members))
                        for layer in member.above
                    ),
                    below=tuple(
                        dataclasses.replace(layer, parameters=_hidden(layer.parameters, members))
                        for layer in member.below
                    ),
                )
                for member in state.members
            ),
        ),
        changes=tuple(
            dataclasses.replace(change, current=SENSITIVE) if change.parameter in own else change
            for change in planned.changes
        ),
        refusals=tuple(
            _refusal(planned, f, keys) if f.parameter in keys else f for f in planned.refusals
        ),
        warnings=tuple(_note(f, keys) if f.parameter in keys else f for f in planned.warnings),
    )


def _hidden(
    parameters: Mapping[str, ParameterState], raw: Mapping[str, str]
) -> dict[str, ParameterState]:
    return {
        name: dataclasses.replace(seen, value=SENSITIVE) if name in raw and seen.value else seen
        for name, seen in parameters.items()
    }


@dataclasses.dataclass(frozen=True, slots=True)
class _Key:
    """What a finding about a sensitive value is about: the server parameter, and the name
    the message gives the timeout (a path hop names its timeout as its kind does, not as the
    server parameter that holds it)."""

    parameter: str
    label: str
    raw: str


def _finding_keys(planned: TargetPlan, raw: Mapping[str, str]) -> dict[str, _Key]:
    """Finding parameter -> what it is about: the parameter itself, and, for a hop the server
    runs itself (`targets.hosted_hops`), the path hop that takes its undeclared timeouts from
    the server parameters."""
    keys = {name: _Key(name, name, value) for name, value in raw.items()}
    for hop in hosted_hops(planned.profile, planned.target):
        for field, spec in hop.spec.parameters.items():
            if spec.name in raw and hop.value(field) is None:
                keys[f"{hop.name}.{field}"] = _Key(spec.name, field, raw[spec.name])
    return keys


def _where(finding: Finding, key: _Key) -> str:
    """The message's own opening (a target's id, or `path KIND NAME` for a hop)."""
    where, said, _ = finding.message.partition(f": {key.label} = ")
    return where if said else finding.message.split(": ", 1)[0]


def _refusal(planned: TargetPlan, finding: Finding, keys: Mapping[str, _Key]) -> Finding:
    key = keys[finding.parameter]
    shown = f"{_where(finding, key)}: {key.label} = {SENSITIVE} (set by the Terraform plan)"
    specs, _ = managed(planned.profile, planned.target)
    spec = specs.get(key.parameter)
    try:
        if spec is None:
            raise DurationError(key.raw)
        value = Duration.from_native(key.raw, spec.unit)
    except DurationError:
        return Finding(
            finding.parameter,
            f"{shown} is not a number cloudtimeouts can evaluate, so the guard cannot tell when "
            f"it closes idle connections; {_HIDDEN}.",
        )
    bound = _bound(planned, key.label, spec.in_transaction, value)
    return Finding(finding.parameter, f"{shown} {bound}; {_HIDDEN}.")


def _bound(planned: TargetPlan, label: str, in_transaction: bool, value: Duration) -> str:
    """What the value must exceed, in the guard's terms, without the value itself: the first
    budget (Django's requests', then each worker's) that it does not exceed."""
    margin = planned.profile.guard.margin
    budgets = budgets_of(planned.profile)
    budget = next(  # the guard's own comparison decides which budget refuses it
        (b for b in budgets if judge(label, "", value, b, margin, "", in_transaction)),
        budgets[0],
    )
    limit = budget.transaction if in_transaction else budget.session
    words = budget.transaction_words if in_transaction else budget.session_words
    fix = budget.transaction_fix if in_transaction else budget.session_fix
    if limit is None:
        return (
            f"is refused: with {words}, an enabled {label} can close a connection Django may "
            f"still hand to {budget.consumer}. "
            + (budget.advice or f"Disable {label}, or set {fix} to a limit below it")
        )
    total = in_seconds(limit + margin)
    plus = "" if margin.disabled else f" plus the margin of {in_seconds(margin)} ({total} in all)"
    return (
        f"is not above {words}{plus}, so it can close a connection Django may still hand to "
        f"{budget.consumer}. Raise {label} above {total}"
    )


def _note(finding: Finding, keys: Mapping[str, _Key]) -> Finding:
    key = keys[finding.parameter]
    return Finding(
        finding.parameter,
        f"{_where(finding, key)}: {key.label} = {SENSITIVE} (set by the Terraform plan): a note "
        f"on it is left out; {_HIDDEN}.",
    )
