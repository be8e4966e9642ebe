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
from cloudtimeouts.workers import KINDS

if TYPE_CHECKING:  # the guard's comparison needs no Pydantic: `verify` judges without a profile
    from cloudtimeouts.profile import DjangoSettings, Profile
    from cloudtimeouts.profile_workers import Worker


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
    # Whose budget this is: Django's requests, or a worker of the profile's `workers:`.
    worker: str | None = None
    consumer: str = "a request"  # who is handed a closed connection: "Django may hand it to …"

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


def budgets_of(profile: Profile) -> tuple[Budget, ...]:
    """Every budget the profile's idle timeouts must exceed: Django's requests first, then one
    per declared worker (`workers:`), in the profile's order."""
    requests = budget_of(profile.django)
    return (requests, *(worker_budget(worker, requests) for worker in profile.workers))


def worker_budget(worker: Worker, requests: Budget) -> Budget:
    """How long one worker may hold a connection idle.

    Between two units of work, a worker whose framework (or glue) closes or checks connections
    (workers.KINDS, `between_tasks: checked`) calls what Django calls around a request, so the
    request cycle's budget covers that idle time and is judged on its own; one whose framework
    keeps them (`kept`) holds a connection idle for as long as no work comes: unlimited.
    Inside a unit of work nothing checks a connection again after its first query (Django's
    health check runs once per `close_old_connections()`: django/db/backends/base/base.py,
    `ensure_connection` and `health_check_done`), so it must survive `max_gap` unchecked.
    Inside a transaction: `max_gap_in_transaction`, else the request cycle's transaction budget
    (judged there already).
    """
    kind = KINDS[worker.kind]
    named = f"worker {worker.name} ({worker.kind})"
    if worker.between == "kept":
        session, words, fix = None, f"the idle time between {kind.unit}s of {named} unlimited", ""
        keeps = (
            f"{kind.title[:1].upper()}{kind.title[1:]} keeps a connection open between "
            f"{kind.unit}s ({kind.source})"
            if worker.kind != "custom"
            else f"Worker {worker.name} keeps its connections open between {kind.unit}s "
            "(between_tasks: kept)"
        )
        advice: str | None = (
            f"{keeps}. Install {kind.glue}, and declare glue: true for worker {worker.name}; "
            "or disable the timeout."
        )
    else:
        gap = worker.max_gap
        session, words = gap, f"the max_gap {in_seconds(gap)} of {named}"
        fix, advice = f"the max_gap of worker {worker.name}", None
    transaction, transaction_words, transaction_fix = (
        requests.transaction,
        requests.transaction_words,
        requests.transaction_fix,
    )
    declared = worker.max_gap_in_transaction
    if declared is not None:
        transaction = declared
        transaction_words = f"the max_gap_in_transaction {in_seconds(declared)} of {named}"
        transaction_fix = f"the max_gap_in_transaction of worker {worker.name}"
    return Budget(
        session, words, fix, transaction, transaction_words, transaction_fix,
        advice=advice,
        transaction_declared=declared is not None or requests.transaction_declared,
        interactive_client=requests.interactive_client,
        worker=worker.name,
        consumer=f"a {kind.unit} of worker {worker.name}",
    )  # fmt: skip


def in_seconds(value: Duration) -> str:
    """`330 s`, `0.25 s`: a refusal's durations in one unit, Django's CONN_MAX_AGE's."""
    return f"{value.seconds.normalize():f} s"
