"""Idle in autocommit, then idle inside atomic(), each for PAUSE seconds on one connection.

Run as `python -m proofsite.transaction PAUSE_SECONDS`; prints one JSON object. Between requests
Django holds no open transaction (autocommit), so only a pause inside atomic() leaves the
session "idle in transaction", which is what idle_in_transaction_session_timeout closes.
"""

import json
import sys
import time
from typing import Any

import django
from django.db import connection, transaction


def backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    return int(pid)


def attempt(step: Any) -> dict[str, Any]:
    try:
        return {"session": step()}
    except Exception as error:
        cause = error.__cause__
        return {
            "error": f"{type(error).__module__}.{type(error).__qualname__}",
            "message": str(error).strip(),
            "cause": f"{type(cause).__module__}.{type(cause).__qualname__}" if cause else None,
        }


def idle_in_autocommit(pause: float) -> int:
    backend()
    time.sleep(pause)
    return backend()


def idle_in_atomic(pause: float) -> int:
    with transaction.atomic():
        backend()
        time.sleep(pause)
        return backend()


def main() -> None:
    pause = float(sys.argv[1])
    django.setup()
    first = backend()
    autocommit = attempt(lambda: idle_in_autocommit(pause))
    atomic = attempt(lambda: idle_in_atomic(pause))
    print(json.dumps({"first": first, "autocommit": autocommit, "atomic": atomic}))


if __name__ == "__main__":
    main()
