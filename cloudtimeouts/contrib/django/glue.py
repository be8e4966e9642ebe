"""Make a unit of work outside the request cycle behave like a request towards its connections.

Django ages and checks its persistent connections only where `close_old_connections()` runs
(django/db/__init__.py, `close_old_connections`: connected to `request_started` and
`request_finished`). A task-queue worker, a management command or a cron job that never sends
those signals keeps its connection as long as the process lives, and its next query after the
server's idle timeout fails (`connection already closed`, `server closed the connection
unexpectedly`, MySQL 2006/2013/4031). What Django's calls do, read in Django 5.2
(django/db/backends/base/base.py):

- `close_if_unusable_or_obsolete()` closes the connection when its autocommit differs from
  settings (an unfinished transaction), when an error other than DataError/IntegrityError
  occurred and `is_usable()` fails, or when it is older than CONN_MAX_AGE (`close_at`); otherwise
  it keeps the connection and clears `health_check_done`, so that with CONN_HEALTH_CHECKS the
  next cursor checks it (`_cursor` -> `close_if_health_check_failed` -> `is_usable`). It does not
  check a connection younger than CONN_MAX_AGE when CONN_HEALTH_CHECKS is False.
- `close()` inside an atomic block closes the driver's connection but keeps Django's wrapper
  in the block: it sets `closed_in_transaction` and `needs_rollback` (`BaseDatabaseWrapper.close`),
  so the block's next query fails (as tests/contrib/test_workers_commands.py and
  test_workers_mariadb.py see: psycopg's "the connection is closed"; with PyMySQL,
  TransactionManagementError "An error occurred in the current transaction"; a reconnect is
  refused, `ensure_connection`). And
  `close_if_unusable_or_obsolete()` closes every connection that is inside a transaction (its
  autocommit is off). Django itself never calls `close_old_connections()` inside one: the test
  client disconnects it from `request_started` / `request_finished` because TestCase runs each
  test inside `atomic()` (django/test/client.py, `ClientHandler.__call__` and
  `closing_iterator_wrapper`). The glue skips a connection in an atomic block for the same
  reason: a transaction cannot outlive its connection, so nothing done here could save it;
  `max_gap_in_transaction` in the profile is the budget that covers it.

`unit_of_work` does what the request signals do, around one task or one iteration of a loop;
`checkpoint` is for between two phases of one long task, and checks the connection now.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import ContextDecorator
from typing import Any, ParamSpec, TypeVar

from django.db import connections

__all__ = ["checkpoint", "close_old_connections", "unit_of_work"]

P = ParamSpec("P")
R = TypeVar("R")


def _outside_transactions() -> Iterator[Any]:
    """The connections this thread has opened, except those inside an atomic block."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            yield connection


def close_old_connections() -> None:
    """Django's `close_old_connections()`, except on a connection inside an atomic block.

    For each connection this thread opened: `close_if_unusable_or_obsolete()` (closes it if it
    is older than CONN_MAX_AGE, broken after an error, or left with autocommit off; otherwise
    it is kept and, with CONN_HEALTH_CHECKS, checked before its next query). A connection
    inside `atomic()` is left alone: closing it would break the transaction (module docstring).
    """
    for connection in _outside_transactions():
        connection.close_if_unusable_or_obsolete()


def checkpoint() -> None:
    """Make the next query safe after a long gap inside one unit of work.

    Call it after a phase that used no connection (a slow API call, a computation, a sleep),
    just before the next query. For each connection this thread opened, outside an atomic
    block: `close_if_unusable_or_obsolete()` first (CONN_MAX_AGE, errors), then, whether or not
    CONN_HEALTH_CHECKS is on, `is_usable()` now — what Django's own health check runs
    (`close_if_health_check_failed`), a `SELECT 1` on PostgreSQL, a ping on MySQL — and
    `close()` if the server has closed it, so that the next query opens a new connection
    instead of failing. It costs one round trip per open connection. It does nothing for a
    connection inside `atomic()`: the transaction is lost with its connection, and closing
    it would only fail the block sooner (module docstring); keep slow phases out of
    transactions.
    """
    for connection in _outside_transactions():
        connection.close_if_unusable_or_obsolete()
        if connection.connection is None:
            continue
        if not connection.is_usable():
            connection.close()
        connection.health_check_done = True  # as close_if_health_check_failed leaves it


class unit_of_work(ContextDecorator):  # lower case: used like a function, @unit_of_work
    """`close_old_connections()` before and after a unit of work, as around a request.

    As a context manager (`with unit_of_work(): ...`), or as a decorator, bare or called
    (`@unit_of_work`, `@unit_of_work()`): the function keeps its name and signature
    (functools.wraps). Before: a connection kept since the last unit is closed if it is older
    than CONN_MAX_AGE or broken, and with CONN_HEALTH_CHECKS is checked before its first query.
    After: the same, so that a connection is not kept beyond CONN_MAX_AGE between units. It
    does not check a connection between two queries of the unit (use `checkpoint()`), and it
    leaves connections inside an atomic block alone (module docstring).
    """

    def __new__(cls, function: Callable[..., Any] | None = None) -> Any:
        instance = super().__new__(cls)
        if function is None:
            return instance
        return instance(function)  # bare @unit_of_work

    def __init__(self, function: Callable[..., Any] | None = None) -> None:
        pass

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:  # type: ignore[override]
        @functools.wraps(function)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._recreate_cm():
                return function(*args, **kwargs)

        return wrapped

    def __enter__(self) -> unit_of_work:
        close_old_connections()
        return self

    def __exit__(self, *exc_info: object) -> None:
        close_old_connections()
