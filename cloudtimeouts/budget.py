"""Django's idle budgets: how long Django may hold a connection idle, and how that is computed.

Between requests Django holds no open transaction (autocommit), so what must outlast Django's
idle time is every timeout that closes an *idle* connection: the server's session-idle timeouts
and each hop's client-idle timeout. Transaction-idle timeouts close a connection only while a
transaction is open and idle, so they must outlast the longest idle gap the application allows
inside a transaction (`django.max_idle_in_transaction`), or, when the profile does not declare
one, Django's idle budget (today's stricter rule, so that nothing refused before is accepted
silently).

Django's idle budget is `conn_max_age` — or, with Django's own pool (Django 5.1+, psycopg_pool),
how long a pooled connection can sit unchecked. psycopg_pool 3.x enforces `max_lifetime` only
when a connection is returned, so the `min_size` connections it keeps can idle, unchecked, for as
long as no request comes; above `min_size`, its shrink task closes at most one connection idle for
a whole `max_idle` per `max_idle`, so one can idle up to (max_size + 1) x max_idle (psycopg_pool
pool.py: `_return_connection`, `_shrink_pool`; proven on real Django in
tests/contrib/test_whole_path.py). With CONN_HEALTH_CHECKS Django passes
`check=ConnectionPool.check_connection`, so a connection a server or a pooler closed is found on
checkout and replaced (django/db/backends/postgresql/base.py, `DatabaseWrapper.pool`).

The budget is computed here, once (`budget_of`), and compared by the guard (`guard.judge`); the
path's network hops that a check cannot save are judged against it by the path guard.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cloudtimeouts.durations import Duration

if TYPE_CHECKING:  # the guard's comparison needs no Pydantic: `verify` judges without a profile
    from cloudtimeouts.profile import DjangoSettings


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
    # False: the profile declares no django.max_idle_in_transaction and `transaction` is only
    # CONN_MAX_AGE's stand-in; at 0 s it proves nothing, so the guard says so instead of passing.
    transaction_declared: bool = True
    interactive_client: bool = False  # Django's OPTIONS set CLIENT_INTERACTIVE (client_flag)

    @property
    def transaction_unjudged(self) -> bool:
        """Transaction-idle timeouts are judged against a stand-in of 0 s (conn_max_age 0 or a
        pool, nothing declared): a pass then proves nothing, and the guard says so in a note."""
        return (
            not self.transaction_declared
            and self.transaction is not None
            and self.transaction.disabled
        )

    @classmethod
    def of_conn_max_age(cls, conn_max_age: int | None) -> Budget:
        """Today's rule: every idle timeout is judged against CONN_MAX_AGE."""
        session = None if conn_max_age is None else Duration.of_seconds(conn_max_age)
        words = "CONN_MAX_AGE unlimited" if session is None else f"CONN_MAX_AGE {conn_max_age} s"
        return cls(
            session, words, "conn_max_age", session, words, "conn_max_age",
            transaction_declared=False,
        )  # fmt: skip


_POOL_ADVICE = (
    "Turn conn_health_checks on (Django then has the pool check each connection on checkout) "
    "or use min_size: 0 with a short max_idle; a load balancer or NAT needs its flow kept open "
    "by TCP keepalives (tcp_keepalives_idle, or django.keepalives_idle) below its idle timeout."
)
_CHECKED_POOL_ADVICE = (
    "Use min_size: 0 with a short max_idle, or keep the flow open with TCP keepalives (the "
    "server's tcp_keepalives_idle, or django.keepalives_idle) below its idle timeout."
)
_NOT_IN_A_TRANSACTION = "CONN_MAX_AGE 0 s"  # with a pool; a transaction's idle gap: declare it


def budget_of(django: DjangoSettings) -> Budget:
    """Django's idle budget between requests and inside a transaction, with words for messages."""
    pool = django.pool
    checked = pool is not None and django.conn_health_checks
    unchecked = "" if checked else "unchecked "
    if pool is None:
        budget = Budget.of_conn_max_age(django.conn_max_age)
    elif pool.min_size:
        # psycopg_pool 3.x enforces max_lifetime only when a connection is returned, and keeps
        # min_size connections however long they idle: they can outlive anything.
        budget = Budget(
            None, f"the {unchecked}idle time of the pool's min_size connections unlimited", "",
            Duration(0), _NOT_IN_A_TRANSACTION, "conn_max_age",
            advice=_CHECKED_POOL_ADVICE if checked else _POOL_ADVICE,
        )  # fmt: skip
    else:
        # Above min_size, the pool's shrink task runs every max_idle and closes at most one
        # connection unused for a whole period: with max_size connections, one can idle for up
        # to (max_size + 1) x max_idle (psycopg_pool, ConnectionPool._shrink_pool).
        size = pool.max_size or 1
        held = Duration(pool.max_idle.microseconds * (size + 1))
        words = (
            f"the pool's {unchecked}idle time (max_size {size} + 1) x max_idle "
            f"{in_seconds(pool.max_idle)} = {in_seconds(held)}"
        )
        fix = "django.pool.max_idle" + ("" if checked else " (or turn conn_health_checks on)")
        budget = Budget(held, words, fix, Duration(0), _NOT_IN_A_TRANSACTION, "conn_max_age")
    if checked:
        # Checked on checkout: a connection a server or pooler closed never reaches a request
        # (judge() lets those pass). What a silent network hop may drop is still judged against
        # how long a pooled connection can idle: the same as without checks.
        budget = replace(budget, checked=True)
    interactive = django.interactive_client
    in_transaction = django.max_idle_in_transaction
    if in_transaction is None:
        return replace(budget, transaction_declared=False, interactive_client=interactive)
    return replace(
        budget,
        transaction=in_transaction,
        transaction_words=f"django.max_idle_in_transaction {in_seconds(in_transaction)}",
        transaction_fix="django.max_idle_in_transaction",
        transaction_declared=True,
        interactive_client=interactive,
    )


def in_seconds(value: Duration) -> str:
    """`330 s`, `0.25 s`: a refusal's durations in one unit, Django's CONN_MAX_AGE's."""
    return f"{value.seconds.normalize():f} s"
