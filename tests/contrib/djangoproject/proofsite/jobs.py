"""The unit of work every worker proof runs: one query on the thread's Django connection.

It answers the server's session id (pg_backend_pid(), CONNECTION_ID()), or the error the query
met, as plain data that survives any queue's result store (Redis, memory, a pipe).
"""

import time
from typing import Any

from django.db import connection


def describe(error: BaseException) -> dict[str, Any]:
    cause = error.__cause__
    return {
        "error": f"{type(error).__module__}.{type(error).__qualname__}",
        "message": str(error),
        "cause": f"{type(cause).__module__}.{type(cause).__qualname__}" if cause else None,
    }


def session() -> dict[str, Any]:
    query = (
        "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT CONNECTION_ID()"
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(query)
            (value,) = cursor.fetchone()
    except Exception as error:
        return describe(error)
    return {"session": str(value)}


def pause(seconds: float) -> None:
    """A job that uses no connection: the worker's connection idles meanwhile."""
    time.sleep(seconds)
