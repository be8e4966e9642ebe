"""The worker proofs on a real MariaDB: wait_timeout closes the connection a worker keeps.

The same runs as on PostgreSQL (test_workers_rq.py, test_workers_commands.py), on the engine
whose idle timeout is `wait_timeout` and whose error is MySQL's 2006 ("MySQL server has gone
away", PyMySQL). One MariaDB for the whole file, all runs at once; each test asserts one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dbservers import DatabaseServer, RedisServer, reset_mariadb
from proofproject import run_many
from workerproofs import FAILURES, command, fresh, short_idle_timeout, worker

pytestmark = pytest.mark.timeout(120)

KEPT = FAILURES["mariadb"]


@pytest.fixture(scope="module")
def outcomes(mariadb_server: DatabaseServer, redis_server: RedisServer) -> Iterator[dict[str, Any]]:
    reset_mariadb(mariadb_server)
    try:
        short_idle_timeout(mariadb_server)
        redis = {"REDIS_URL": redis_server.url()}
        yield run_many(
            {
                "command": command(mariadb_server, None),
                "unit_of_work": command(mariadb_server, "unit_of_work"),
                "checkpoint-unchecked": command(mariadb_server, "checkpoint", health_checks=False),
                "in_atomic": command(mariadb_server, "in_atomic", pause=0.0),
                "django_in_atomic": command(mariadb_server, "django_in_atomic", pause=0.0),
                "rq-simple": worker(mariadb_server, "rq-simple", **redis),
                "rq-simple-glue": worker(mariadb_server, "rq-simple-glue", **redis),
                "rq-fork": worker(mariadb_server, "rq-fork", **redis),
                "rq-fork-glue": worker(mariadb_server, "rq-fork-glue", **redis),
            }
        )
    finally:
        reset_mariadb(mariadb_server)


def test_a_looping_command_keeps_its_connection_and_fails_with_mysql_2006(
    outcomes: dict[str, Any],
) -> None:
    assert "session" in outcomes["command"]["first"], outcomes["command"]
    assert outcomes["command"]["second"] == KEPT


def test_unit_of_work_with_health_checks_runs_the_next_unit_on_a_new_session(
    outcomes: dict[str, Any],
) -> None:
    # Django's MySQL is_usable() pings: PyMySQL's ping() reconnects a closed connection itself
    # (pymysql/connections.py, Connection.ping(reconnect=True)), so the session is new either way
    assert fresh(outcomes["unit_of_work"]), outcomes["unit_of_work"]


def test_checkpoint_makes_the_next_query_safe_without_health_checks(
    outcomes: dict[str, Any],
) -> None:
    assert fresh(outcomes["checkpoint-unchecked"]), outcomes["checkpoint-unchecked"]


def test_the_glue_leaves_a_connection_in_an_atomic_block_alone_where_django_breaks_it(
    outcomes: dict[str, Any],
) -> None:
    ours = outcomes["in_atomic"]
    assert "session" in ours["second"] and ours["first"] == ours["second"], ours
    django = outcomes["django_in_atomic"]["second"]
    assert django["error"] == "django.db.transaction.TransactionManagementError", django


def test_rq_simple_worker_fails_with_mysql_2006_and_the_connection_closing_one_does_not(
    outcomes: dict[str, Any],
) -> None:
    assert "session" in outcomes["rq-simple"]["first"], outcomes["rq-simple"]
    assert outcomes["rq-simple"]["second"] == KEPT
    assert fresh(outcomes["rq-simple-glue"]), outcomes["rq-simple-glue"]


def test_rq_forking_worker_with_a_parent_connection_fails_and_ours_does_not(
    outcomes: dict[str, Any],
) -> None:
    assert "session" in outcomes["rq-fork"]["first"], outcomes["rq-fork"]
    assert outcomes["rq-fork"]["second"] == KEPT
    assert fresh(outcomes["rq-fork-glue"]), outcomes["rq-fork-glue"]
