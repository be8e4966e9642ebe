"""RQ on real Redis and PostgreSQL: the workers that keep a connection fail, ours do not.

RQ's SimpleWorker runs every job in the worker's process and keeps Django's connection between
jobs, unchecked; the default forking Worker hands each work horse the connection its parent
holds (rq/worker/worker_classes.py, Worker.fork_work_horse). With the server's idle timeout
(IDLE_S) shorter than the gap between two jobs (PAUSE_S), the second job fails with the error
the source material names; cloudtimeouts.contrib.django.rq's classes run it on a new session.
Redis is Debian's redis-server, started per session by tests/dbservers.py.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from dbservers import DatabaseServer, RedisServer
from proofproject import PROJECT, run_django, run_many
from workerproofs import FAILURES, fresh, short_idle_timeout, worker

pytestmark = pytest.mark.timeout(120)

WORKER = "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker"


@pytest.fixture
def server(postgres: DatabaseServer) -> DatabaseServer:
    """PostgreSQL, its idle timeout IDLE_S (MariaDB: test_workers_mariadb.py)."""
    short_idle_timeout(postgres)
    return postgres


def test_simple_worker_fails_after_an_idle_gap_and_the_connection_closing_one_does_not(
    server: DatabaseServer, redis_db: RedisServer
) -> None:
    outcomes = run_many(
        {
            kind: worker(server, kind, REDIS_URL=redis_db.url())
            for kind in ("rq-simple", "rq-simple-glue")
        }
    )
    kept, glued = outcomes["rq-simple"], outcomes["rq-simple-glue"]
    assert "session" in kept["first"], kept
    assert kept["second"] == FAILURES[server.engine]
    # CONN_HEALTH_CHECKS: the glue kept the connection (younger than CONN_MAX_AGE), Django's
    # check found it closed and the job ran on a new one
    assert fresh(glued), glued


def test_forking_worker_whose_parent_holds_a_connection_fails_and_ours_does_not(
    server: DatabaseServer, redis_db: RedisServer
) -> None:
    outcomes = run_many(
        {
            kind: worker(server, kind, REDIS_URL=redis_db.url())
            for kind in ("rq-fork", "rq-fork-glue")
        }
    )
    inherited, glued = outcomes["rq-fork"], outcomes["rq-fork-glue"]
    assert "session" in inherited["first"], inherited
    assert inherited["second"] == FAILURES[server.engine]
    assert fresh(glued), glued  # each horse opened its own connection


def test_django_rq_takes_the_worker_class_from_its_setting_and_runs_jobs_on_it(
    postgres: DatabaseServer, redis_db: RedisServer
) -> None:
    env = {"PROOF_APPS": "django_rq", "REDIS_URL": redis_db.url()}
    # RQ = {"WORKER_CLASS": ...}: what rqworker and rqworker-pool build (django_rq/workers.py)
    named = run_django(
        postgres.url(),
        "manage.py",
        "shell",
        "-c",
        "from django_rq.workers import get_worker; print(type(get_worker('proof')).__qualname__)",
        PROOF_RQ_WORKER_CLASS=WORKER,
        **env,
    )
    assert named.returncode == 0, named.stderr
    assert named.stdout.splitlines()[-1] == "ConnectionClosingWorker", named.stdout

    # `rqworker --worker-class`: the command builds it with its own arguments and runs a job
    from rq import Queue, Worker

    queue = Queue("proof", connection=redis_db.client())
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "rqworker",
            "proof",
            "--max-jobs",
            "1",
            "--worker-class",
            WORKER,
        ],
        cwd=PROJECT,
        env=proof_env(postgres.url(), **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not Worker.all(connection=queue.connection):  # registered, then listening
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "rqworker did not start"
            time.sleep(0.05)
        time.sleep(0.5)  # a worker that stops before its pubsub thread subscribed waits 60 s
        job = queue.enqueue("proofsite.jobs.session")
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert "session" in job.return_value(refresh=True), output


def proof_env(database_url: str, **env: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "proofsite.settings",
        "DATABASE_URL": database_url,
        **env,
    }
