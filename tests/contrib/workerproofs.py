"""What the worker proofs share: the failures each engine really shows, and how to run a worker.

A worker proof runs two units of work PAUSE_S apart in one worker process
(tests/contrib/djangoproject/proofsite/workers.py for the task queues,
proofsite/management/commands/proofloop.py for a management command), on a server whose idle
timeout (PostgreSQL idle_session_timeout, MariaDB wait_timeout) is IDLE_S: shorter than the gap.
A worker that keeps its connection fails on the second unit with the error below; one that
closes or checks it (the framework, or cloudtimeouts.contrib.django's glue) does not.
"""

from __future__ import annotations

from typing import Any

from dbservers import DatabaseServer, set_mariadb, set_postgres

IDLE_S = 1
PAUSE_S = 2.0  # the gap between two units of work: above IDLE_S
PERSISTENT = "60"  # CONN_MAX_AGE: Django would reuse the connection across the gap

# What really happens on the second unit of work (observed, then pinned down).
FAILURES: dict[str, dict[str, Any]] = {
    "postgres": {
        "error": "django.db.utils.OperationalError",
        "message": "terminating connection due to idle-session timeout",
        "cause": "psycopg.errors.IdleSessionTimeout",
    },
    "mariadb": {
        "error": "django.db.utils.OperationalError",
        "message": "(2006, \"MySQL server has gone away (ConnectionResetError(104, 'Connection "
        "reset by peer'))\")",
        "cause": "pymysql.err.OperationalError",
    },
}


def short_idle_timeout(server: DatabaseServer) -> None:
    """The server closes a session idle for IDLE_S."""
    if server.engine == "postgres":
        set_postgres(server, idle_session_timeout=str(IDLE_S * 1000))
    else:
        set_mariadb(server, wait_timeout=str(IDLE_S))


def worker(
    server: DatabaseServer, kind: str, *, health_checks: bool = True, **env: str
) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """A proofsite.workers run (for proofproject.run_many): persistent connections."""
    settings = {
        "CONN_MAX_AGE": PERSISTENT,
        "CONN_HEALTH_CHECKS": "1" if health_checks else "0",
        **env,
    }
    return server.url(), ("-m", "proofsite.workers", kind, str(PAUSE_S)), settings


def command(
    server: DatabaseServer,
    glue: str | None,
    *,
    health_checks: bool = True,
    pause: float = PAUSE_S,
    **env: str,
) -> tuple[str, tuple[str, ...], dict[str, str]]:
    """A `manage.py proofloop` run (for proofproject.run_many): persistent connections."""
    settings = {
        "CONN_MAX_AGE": PERSISTENT,
        "CONN_HEALTH_CHECKS": "1" if health_checks else "0",
        "PROOF_APPS": "proofsite",
        **env,
    }
    args = ("manage.py", "proofloop", str(pause), *(("--glue", glue) if glue else ()))
    return server.url(), args, settings


def fresh(outcome: dict[str, Any]) -> bool:
    """Both units answered, the second on a new session: the old one was closed or replaced."""
    first, second = outcome["first"], outcome["second"]
    return "session" in first and "session" in second and first["session"] != second["session"]
