"""Celery, Dramatiq, Huey and django-q2 on a real PostgreSQL: who keeps, who checks.

Each framework runs its real worker loop in a subprocess (tests/contrib/djangoproject/proofsite/
workers.py): two jobs PAUSE_S apart on a server that closes a session idle for IDLE_S. With
CONN_MAX_AGE = 60 and CONN_HEALTH_CHECKS on, a worker that calls close_old_connections() (or
closes) around each job runs the second job on a new session; one that does nothing fails it.
All runs start at once (they mostly sleep), and each test asserts one of them.

Brokers: Celery's in-memory transport (`memory://`) and result backend, Dramatiq's StubBroker,
Huey's MemoryHuey: in-process brokers of the frameworks themselves, so no server beyond the
database is needed. django-q2's worker loop (django_q/worker.py, `worker`) is fed by
multiprocessing queues, as its cluster feeds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dbservers import DatabaseServer, reset_postgres
from proofproject import run_many
from workerproofs import FAILURES, fresh, short_idle_timeout, worker

pytestmark = pytest.mark.timeout(120)

KINDS = (
    "celery",
    "celery-without-fixup",
    "celery-reuse-max",
    "dramatiq",
    "dramatiq-glue",
    "dramatiq-django",
    "huey",
    "huey-glue",
    "huey-db-task",
    "django-q2",
)


@pytest.fixture(scope="module")
def outcomes(postgres_server: DatabaseServer) -> Iterator[dict[str, Any]]:
    reset_postgres(postgres_server)
    short_idle_timeout(postgres_server)
    try:
        yield run_many(
            {
                kind: worker(postgres_server, kind, PROOF_APPS="django_q", PROOF_HUEY="1")
                for kind in KINDS
            }
        )
    finally:
        reset_postgres(postgres_server)


KEPT = FAILURES["postgres"]


def test_celerys_django_fixup_closes_connections_around_each_task(
    outcomes: dict[str, Any],
) -> None:
    # celery/fixups/django.py, DjangoWorkerFixup.on_task_prerun / on_task_postrun
    assert fresh(outcomes["celery"]), outcomes["celery"]


def test_a_celery_worker_without_the_django_fixup_keeps_its_connection_and_fails(
    outcomes: dict[str, Any],
) -> None:
    kept = outcomes["celery-without-fixup"]
    assert "session" in kept["first"], kept
    assert kept["second"] == KEPT


def test_celery_with_db_reuse_max_keeps_its_connection_and_fails(
    outcomes: dict[str, Any],
) -> None:
    # DjangoWorkerFixup.close_database: with CELERY_DB_REUSE_MAX = N it closes every 2 * N calls
    # (two per task) and otherwise does nothing: no check between tasks
    kept = outcomes["celery-reuse-max"]
    assert "session" in kept["first"], kept
    assert kept["second"] == KEPT


def test_a_dramatiq_worker_without_django_middleware_keeps_its_connection_and_fails(
    outcomes: dict[str, Any],
) -> None:
    kept = outcomes["dramatiq"]
    assert "session" in kept["first"], kept
    assert kept["second"] == KEPT


def test_dramatiq_with_our_middleware_runs_the_second_job_on_a_new_session(
    outcomes: dict[str, Any],
) -> None:
    assert fresh(outcomes["dramatiq-glue"]), outcomes["dramatiq-glue"]


def test_dramatiq_with_django_dramatiqs_middleware_runs_the_second_job_on_a_new_session(
    outcomes: dict[str, Any],
) -> None:
    assert fresh(outcomes["dramatiq-django"]), outcomes["dramatiq-django"]


def test_a_plain_huey_task_keeps_its_connection_and_fails(outcomes: dict[str, Any]) -> None:
    kept = outcomes["huey"]
    assert "session" in kept["first"], kept
    assert kept["second"] == KEPT


def test_huey_with_our_hooks_runs_a_plain_task_on_a_new_session(
    outcomes: dict[str, Any],
) -> None:
    assert fresh(outcomes["huey-glue"]), outcomes["huey-glue"]


def test_djhueys_db_task_runs_on_a_new_session(outcomes: dict[str, Any]) -> None:
    # huey/contrib/djhuey/__init__.py, close_db: close_old_connections() before and after
    assert fresh(outcomes["huey-db-task"]), outcomes["huey-db-task"]


def test_django_q2s_worker_closes_old_connections_before_each_task(
    outcomes: dict[str, Any],
) -> None:
    # django_q/worker.py, worker: close_old_django_connections() before each task
    assert fresh(outcomes["django-q2"]), outcomes["django-q2"]
