"""The reference comparison notices a broken guard: each test breaks one rule of docs/guard.md
with monkeypatch and asserts that some case of a fixed bank now disagrees with the reference model.

The bank is deterministic (a seeded generator, tests/support/guard_cases.py), and the intact guard
must get every case right, so a test passes only because of its own mutation. A mutation no
case notices fails its test: the bank (or the property test) is missing that rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pytest
from support.guard_cases import Case, disagreement, seeded_cases

from cloudtimeouts import budget, catalog, guard, offline, path_guard, verdict
from cloudtimeouts.durations import Duration
from cloudtimeouts.profile import Profile

KNOWN: frozenset[str] = frozenset()  # see test_guard_properties
BANK_SIZE = 400


@pytest.fixture(scope="module")
def bank() -> list[Case]:
    """The seeded cases; the intact guard must get every one right (so a disagreement found
    under a mutation is the mutation's)."""
    cases = seeded_cases(BANK_SIZE)
    for case in cases:
        found = disagreement(case, KNOWN)
        assert found is None, f"the intact guard disagrees:\n{case}\n{found}"
    return cases


def caught(bank: list[Case]) -> str:
    """The first case of the bank the mutated guard gets wrong, shown; fails when there is none."""
    for case in bank:
        found = disagreement(case, KNOWN)
        if found is not None:
            print(f"caught by:\n{case}\n{found}")  # shown when a later assertion fails
            return found
    pytest.fail(f"no case of {len(bank)} notices the mutation")


IN_TRANSACTION = sorted(
    {
        spec.name
        for specs in catalog.CATALOG.values()
        for spec in specs.values()
        if spec.in_transaction
    }
)


@pytest.mark.parametrize("name", IN_TRANSACTION)
def test_a_transaction_idle_timeout_judged_as_between_requests(
    bank: list[Case], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    bent = {
        engine: MappingProxyType(
            {
                n: replace(spec, in_transaction=False) if n == name else spec
                for n, spec in specs.items()
            }
        )
        for engine, specs in catalog.CATALOG.items()
    }
    monkeypatch.setattr(catalog, "CATALOG", MappingProxyType(bent))
    assert name in caught(bank)


def test_the_last_hop_forgotten(bank: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    intact = path_guard.hop_values

    def mutated(profile: Profile) -> list[path_guard.HopValue]:
        last = len(profile.path) - 1
        return [value for value in intact(profile) if value.index != last]

    monkeypatch.setattr(path_guard, "hop_values", mutated)
    assert "path" in caught(bank)


def test_the_margin_zeroed(bank: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    intact = guard.judge

    def mutated(*args: Any, **kwargs: Any) -> Any:
        if "margin" in kwargs:
            kwargs["margin"] = Duration(0)
        else:
            args = (*args[:4], Duration(0), *args[5:])  # judge(name, shown, value, budget, margin…)
        return intact(*args, **kwargs)

    monkeypatch.setattr(guard, "judge", mutated)
    monkeypatch.setattr(path_guard, "judge", mutated)
    caught(bank)


def test_the_members_ignored(bank: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verdict, "_member_verdict", lambda *args, **kwargs: ([], []))
    assert "member" in caught(bank)


def test_server_keepalives_credited_across_a_pooler(
    bank: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        path_guard, "reached", lambda profile, from_server: set(range(len(profile.path)))
    )
    assert "kept_open" in caught(bank)


def test_interactive_timeout_judged_everywhere(
    bank: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "not_judged_because", lambda *args, **kwargs: None)
    assert "interactive_timeout" in caught(bank)


@pytest.mark.parametrize(
    "mutation",
    [
        pytest.param(lambda b: replace(b, checked=False), id="checked pool unchecked"),
        pytest.param(lambda b: replace(b, transaction=b.session), id="transaction budget ignored"),
    ],
)
def test_a_budget_of_step_1_bent(
    bank: list[Case], monkeypatch: pytest.MonkeyPatch, mutation: Callable[[Any], Any]
) -> None:
    intact = budget.budgets_of
    for computed_with in (path_guard, offline, verdict):  # each that computes a profile's budget
        monkeypatch.setattr(
            computed_with, "budgets_of", lambda profile: tuple(map(mutation, intact(profile)))
        )
    caught(bank)


def test_the_workers_budgets_left_out(bank: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    intact = budget.budgets_of
    for computed_with in (path_guard, offline, verdict):
        monkeypatch.setattr(computed_with, "budgets_of", lambda profile: intact(profile)[:1])
    caught(bank)


def test_glue_ignored(bank: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudtimeouts.profile_workers import Worker
    from cloudtimeouts.workers import KINDS

    monkeypatch.setattr(
        Worker, "between", property(lambda w: w.between_tasks or KINDS[w.kind].between_tasks)
    )
    caught(bank)


def test_a_workers_gap_judged_as_checked(bank: list[Case], monkeypatch: pytest.MonkeyPatch) -> None:
    intact = budget.worker_budget
    monkeypatch.setattr(budget, "worker_budget", lambda w, r: replace(intact(w, r), checked=True))
    caught(bank)
