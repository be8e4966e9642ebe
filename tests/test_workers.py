"""Workers outside the request cycle: the profile's `workers:`, the kinds table, and each worker's
budget judged wherever the requests' is (offline, on a target's values in force, on the path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudtimeouts.budget import budgets_of
from cloudtimeouts.catalog import Engine, parameters
from cloudtimeouts.durations import Duration
from cloudtimeouts.errors import ProfileError
from cloudtimeouts.model import ParameterState, TargetState
from cloudtimeouts.offline import judge_offline
from cloudtimeouts.plan import build_target_plan
from cloudtimeouts.profile import Profile, parse_profile, profile_json_schema
from cloudtimeouts.verdict import neighbours_of
from cloudtimeouts.workers import KINDS

TARGET = "aws:eu-west-1:parameter-group/orders-pg16"


def profile(
    workers: str, server: str = "{idle_session_timeout: 10min}", django: str = "", path: str = ""
) -> Profile:
    return parse_profile(
        "name: orders\nengine: postgres\n"
        f"django: {django or '{conn_max_age: 60}'}\nserver: {server}\n"
        + (f"path: {path}\n" if path else "")
        + "targets: [{provider: aws, region: eu-west-1, parameter_group: orders-pg16}]\n"
        f"workers: {workers}\n",
        "orders.yaml",
    )


def refusals(p: Profile) -> list[str]:
    return [finding.message for finding in judge_offline(p).refusals]


def planned_refusals(p: Profile, **values: str) -> list[str]:
    has = {name: ParameterState(name) for name in parameters(Engine.POSTGRES)}
    state = TargetState(
        TARGET,
        Engine.POSTGRES,
        has | {n: ParameterState(n, v) for n, v in values.items()},
        version="postgres16",
    )
    plan = build_target_plan(p, p.targets[0], state, neighbours_of([p]))
    return [finding.message for finding in plan.refusals]


# -- the profile -----------------------------------------------------------------------------------
def test_the_kinds_are_the_tables_and_an_unknown_one_is_one_error_listing_them() -> None:
    with pytest.raises(ProfileError) as caught:
        profile("[{name: w, kind: sidekiq, max_gap: 1s}]")
    assert "orders.yaml:" in str(caught.value)
    assert "celery, rq, dramatiq, huey, django-q2, command, custom" in str(caught.value)
    schema = profile_json_schema()["$defs"]["Worker"]["properties"]["kind"]
    assert schema["enum"] == list(KINDS)


def test_a_custom_worker_declares_what_it_does_between_tasks_and_only_a_custom_one() -> None:
    with pytest.raises(ProfileError, match="a custom worker declares between_tasks"):
        profile("[{name: w, kind: custom, max_gap: 1s}]")
    with pytest.raises(ProfileError, match="between_tasks is for custom workers only"):
        profile("[{name: w, kind: rq, max_gap: 1s, between_tasks: checked}]")
    with pytest.raises(ProfileError, match="worker w is listed twice"):
        profile("[{name: w, kind: celery, max_gap: 1s}, {name: w, kind: rq, max_gap: 1s}]")
    with pytest.raises(ProfileError, match="max_gap"):
        profile("[{name: w, kind: celery}]")


def test_workers_survive_the_journals_round_trip() -> None:
    p = profile("[{name: emails, kind: rq, max_gap: 30s, glue: true}]")
    dumped = p.model_dump(mode="json", exclude={"targets"}, exclude_none=True)
    assert dumped["workers"] == [{"name": "emails", "kind": "rq", "max_gap": "30s", "glue": True}]
    assert Profile.model_validate(dumped).workers == p.workers


# -- the budgets ---------------------------------------------------------------------------------
def test_a_kind_that_keeps_connections_has_no_limit_between_tasks_and_glue_gives_it_one() -> None:
    kept, glued = budgets_of(
        profile(
            "[{name: emails, kind: rq, max_gap: 30s},"
            " {name: mails, kind: rq, max_gap: 30s, glue: true}]"
        )
    )[1:]
    assert kept.session is None and kept.worker == "emails"
    assert "ConnectionClosingWorker" in (kept.advice or "")
    assert glued.session == Duration.of_seconds(30) and glued.advice is None


def test_every_kind_that_keeps_connections_names_glue_and_its_source() -> None:
    for kind in KINDS.values():
        assert kind.source and kind.glue, kind
        if kind.between_tasks == "kept" and kind.name != "custom":
            assert "cloudtimeouts.contrib.django" in kind.glue or "Middleware" in kind.glue


# -- the guard, offline ---------------------------------------------------------------------------
def test_a_kept_worker_behind_a_finite_idle_timeout_is_refused_and_told_the_glue() -> None:
    (refusal,) = refusals(profile("[{name: emails, kind: rq, max_gap: 30s}]"))
    assert "idle_session_timeout" in refusal
    assert "the idle time between jobs of worker emails (rq) is unlimited" in refusal
    assert "a job of worker emails" in refusal
    assert "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker" in refusal
    assert "declare glue: true for worker emails" in refusal


def test_glue_makes_a_kept_worker_judged_on_its_gap() -> None:
    assert refusals(profile("[{name: emails, kind: rq, max_gap: 30s, glue: true}]")) == []
    (refusal,) = refusals(profile("[{name: emails, kind: rq, max_gap: 15min, glue: true}]"))
    assert "is not above the max_gap 900 s of worker emails (rq)" in refusal
    assert "lower the max_gap of worker emails below 600 s" in refusal


def test_a_worker_whose_framework_checks_connections_is_judged_on_its_gap_with_the_margin() -> None:
    assert refusals(profile("[{name: reports, kind: celery, max_gap: 9min}]")) == []
    (refusal,) = refusals(
        profile(
            "[{name: reports, kind: celery, max_gap: 9min}]",
            django="{conn_max_age: 60}\nguard: {margin: 2min}",
        )
    )
    assert "the max_gap 540 s of worker reports (celery) plus the margin of 120 s" in refusal


def test_health_checks_do_not_excuse_a_gap_inside_a_task() -> None:
    # Django's pool with CONN_HEALTH_CHECKS checks a connection on checkout, once; a task that
    # then waits 15 min between two queries uses it unchecked.
    p = profile(
        "[{name: reports, kind: celery, max_gap: 15min}]",
        django="{conn_max_age: 0, conn_health_checks: true, pool: {min_size: 2}}",
    )
    (refusal,) = refusals(p)
    assert "worker reports" in refusal


def test_a_disabled_timeout_closes_nothing_whatever_the_worker() -> None:
    p = profile("[{name: emails, kind: rq, max_gap: 30s}]", server="{idle_session_timeout: 0}")
    assert refusals(p) == []


def test_a_workers_transaction_gap_is_judged_and_without_one_the_requests_budget_is() -> None:
    server = "{idle_session_timeout: 0, idle_in_transaction_session_timeout: 1min}"
    declared = "{conn_max_age: 60, max_idle_in_transaction: 10s}"
    worker = "[{name: reports, kind: celery, max_gap: 1s, max_gap_in_transaction: 2min}]"
    (refusal,) = refusals(profile(worker, server, declared))
    assert "the max_gap_in_transaction 120 s of worker reports (celery)" in refusal
    # without its own gap, the worker's transactions are the requests' budget: said once
    plain = "[{name: reports, kind: celery, max_gap: 1s}]"
    assert refusals(profile(plain, server, declared)) == []


# -- the guard, on the values in force and on the path -------------------------------------------
def test_plan_judges_a_worker_against_the_value_in_force_on_the_target() -> None:
    p = profile("[{name: reports, kind: celery, max_gap: 5min}]", server="{}")
    (refusal,) = planned_refusals(p, idle_session_timeout="120000")
    assert "idle_session_timeout = 120000 ms (120 s, set on the target)" in refusal
    assert "the max_gap 300 s of worker reports (celery)" in refusal
    assert planned_refusals(p, idle_session_timeout="600000") == []


def test_a_poolers_idle_timeout_is_judged_against_every_worker() -> None:
    path = "[{kind: pgbouncer, name: pgb, client_idle_timeout: 10min}]"
    p = profile("[{name: emails, kind: rq, max_gap: 30s}]", server="{}", path=path)
    (refusal,) = refusals(p)
    assert "client_idle_timeout" in refusal and "worker emails (rq)" in refusal
    glued = profile("[{name: emails, kind: rq, max_gap: 30s, glue: true}]", "{}", path=path)
    assert refusals(glued) == []


# -- the README ----------------------------------------------------------------------------------
def readme_section() -> str:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    return text.split("## Outside the request cycle", 1)[1].split("\n## ", 1)[0]


def test_the_readmes_workers_load_and_its_refusal_is_what_validate_says() -> None:
    section = readme_section()
    workers = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    declared = parse_profile(
        "name: orders\nengine: postgres\ndjango: {conn_max_age: 60}\n" + workers, "orders.yaml"
    )
    assert [w.name for w in declared.workers] == ["reports", "emails", "nightly", "legacy"]
    sample = section.split("```console\n", 1)[1].split("```", 1)[0]
    said = " ".join(sample.split("\n", 1)[1].split())
    (refusal,) = refusals(profile("[{name: emails, kind: rq, max_gap: 30s}]"))
    before, after = said.split(" (…)")
    assert refusal.startswith(before.removeprefix("refused: orders.yaml: "))  # validate's prefix
    assert refusal.endswith(after)
