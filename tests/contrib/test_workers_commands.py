"""Management commands and long tasks on a real PostgreSQL: the glue, proven (MariaDB:
test_workers_mariadb.py).

A management command runs no request: nothing calls close_old_connections() between its
queries (django/core/management/base.py, `BaseCommand.run_from_argv`, closes every connection
only when the command ends). `proofloop` (tests/contrib/djangoproject/proofsite/management/
commands/proofloop.py) runs two units of work PAUSE_S apart on a server that closes a session
idle for IDLE_S, with CONN_MAX_AGE = 60:

- without glue the second unit fails with the error the source material names;
- with `unit_of_work` around each unit, CONN_HEALTH_CHECKS makes it safe (the kept connection
  is checked and replaced); without health checks it still fails, because between two units
  the connection is kept up to CONN_MAX_AGE, as between two requests: the budget the guard
  judges for a worker whose connections are "checked";
- inside one unit (one long task), `checkpoint()` after the pause makes the next query safe,
  with or without CONN_HEALTH_CHECKS;
- inside `atomic()` the glue leaves the connection alone, where Django's own
  close_old_connections() breaks the transaction.
All runs start at once (they mostly sleep); each test asserts one of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dbservers import DatabaseServer, reset_postgres
from proofproject import run_django, run_many
from workerproofs import FAILURES, PAUSE_S, command, fresh, short_idle_timeout

pytestmark = pytest.mark.timeout(120)

ENGINES = ("postgres",)  # MariaDB: test_workers_mariadb.py
RUNS = {  # name -> (--glue, CONN_HEALTH_CHECKS, pause)
    "kept": (None, True, PAUSE_S),
    "unit_of_work": ("unit_of_work", True, PAUSE_S),
    "unit_of_work-unchecked": ("unit_of_work", False, PAUSE_S),
    "one_unit": ("one_unit", True, PAUSE_S),
    "checkpoint-unchecked": ("checkpoint", False, PAUSE_S),
    "in_atomic": ("in_atomic", True, 0.0),
    "django_in_atomic": ("django_in_atomic", True, 0.0),
}


@pytest.fixture(scope="module")
def outcomes(postgres_server: DatabaseServer) -> Iterator[dict[tuple[str, str], Any]]:
    servers = {"postgres": postgres_server}
    reset_postgres(postgres_server)
    try:
        for server in servers.values():
            short_idle_timeout(server)
        runs = {
            f"{engine} {name}": command(server, glue, health_checks=checks, pause=pause)
            for engine, server in servers.items()
            for name, (glue, checks, pause) in RUNS.items()
        }
        done = run_many(runs)
        yield {tuple(key.split(" ")): value for key, value in done.items()}  # type: ignore[misc]
    finally:
        reset_postgres(postgres_server)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_looping_command_keeps_its_connection_and_fails_after_an_idle_gap(
    outcomes: dict[tuple[str, str], Any], engine: str
) -> None:
    kept = outcomes[engine, "kept"]
    assert "session" in kept["first"], kept
    assert kept["second"] == FAILURES[engine]


@pytest.mark.parametrize("engine", ENGINES)
def test_unit_of_work_with_health_checks_runs_the_next_unit_on_a_new_session(
    outcomes: dict[tuple[str, str], Any], engine: str
) -> None:
    assert fresh(outcomes[engine, "unit_of_work"]), outcomes[engine, "unit_of_work"]


@pytest.mark.parametrize("engine", ENGINES)
def test_unit_of_work_without_health_checks_keeps_a_connection_younger_than_conn_max_age(
    outcomes: dict[tuple[str, str], Any], engine: str
) -> None:
    # as between two requests: the budget between units is CONN_MAX_AGE, and it is above the
    # idle timeout here, which the guard refuses
    assert outcomes[engine, "unit_of_work-unchecked"]["second"] == FAILURES[engine]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_gap_inside_one_unit_of_work_fails_the_next_query(
    outcomes: dict[tuple[str, str], Any], engine: str
) -> None:
    assert outcomes[engine, "one_unit"]["second"] == FAILURES[engine]


@pytest.mark.parametrize("engine", ENGINES)
def test_checkpoint_makes_the_next_query_safe_even_without_health_checks(
    outcomes: dict[tuple[str, str], Any], engine: str
) -> None:
    assert fresh(outcomes[engine, "checkpoint-unchecked"]), outcomes[engine, "checkpoint-unchecked"]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_glue_leaves_a_connection_in_an_atomic_block_alone_where_django_breaks_it(
    outcomes: dict[tuple[str, str], Any], engine: str
) -> None:
    ours = outcomes[engine, "in_atomic"]
    assert "session" in ours["second"] and ours["first"] == ours["second"], ours
    # close_if_unusable_or_obsolete() closes a connection whose autocommit is off (inside
    # atomic): the block's next query cannot run (BaseDatabaseWrapper.close,
    # closed_in_transaction)
    django = outcomes[engine, "django_in_atomic"]
    assert "session" in django["first"], django
    assert django["second"]["error"] == "django.db.utils.OperationalError", django
    assert django["second"]["message"] == "the connection is closed", django


def test_unit_of_work_is_a_decorator_that_keeps_the_function_and_a_context_manager() -> None:
    code = (
        "import django; django.setup()\n"
        "from cloudtimeouts.contrib.django.glue import unit_of_work\n"
        "@unit_of_work\n"
        "def bare(a, *, b=2):\n"
        "    'Bare.'\n"
        "    return a + b\n"
        "@unit_of_work()\n"
        "def called(a):\n"
        "    return a\n"
        "with unit_of_work() as unit:\n"
        "    pass\n"
        "print(bare.__name__, bare.__doc__, bare(1), bare.__wrapped__.__name__, called(3),\n"
        "      type(unit).__name__)\n"
    )
    done = run_django("postgres://app:pw@127.0.0.1:1/app", "-c", code)  # never connects
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["bare", "Bare.", "3", "bare", "3", "unit_of_work"]
