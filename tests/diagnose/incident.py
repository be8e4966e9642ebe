"""One real incident, as Django lives it: two requests through Django's WSGI handler, an idle
pause between them, and the second one failing on a connection something closed meanwhile.

Run as `python incident.py DATABASE_URL PAUSE_S MODE APP_LOG` in a fresh interpreter (Django's
settings are read once per process). MODE is `idle` (the pause falls between the requests: the
connection sits idle in autocommit, reused by the second request because CONN_MAX_AGE is long)
or `atomic` (the pause falls inside `transaction.atomic()` within the second request: the
session is idle in a transaction). Django logs the failure itself: `django.request` writes
"Internal Server Error: /session/" with the traceback (django/core/handlers/exception.py,
`response_for_exception` -> `log_response`) to APP_LOG, in the "verbose" format of Django's
logging how-to (`{levelname} {asctime} {module} {process:d} {thread:d} {message}`).

Prints one JSON object: the server's id of the first request's session (PostgreSQL's
pg_backend_pid(), MySQL's CONNECTION_ID()), this process's pid, and each request's outcome.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any
from wsgiref.util import setup_testing_defaults

import dj_database_url
import django
import pymysql
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import path

pymysql.install_as_MySQLdb()  # Django's MySQL backend, on PyMySQL (mysqlclient is not installed)

URL, PAUSE, MODE, APP_LOG = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]


def session_id() -> int:
    query = (
        "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT CONNECTION_ID()"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        (found,) = cursor.fetchone()
    return int(found)


def view(request: HttpRequest) -> HttpResponse:
    if request.GET.get("atomic"):
        with transaction.atomic():
            session_id()
            time.sleep(PAUSE)
            return HttpResponse(str(session_id()))
    return HttpResponse(str(session_id()))


urlpatterns = [path("session/", view)]

settings.configure(
    SECRET_KEY="diagnose-tests-only",
    DEBUG=False,
    ALLOWED_HOSTS=["testserver"],
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    DATABASES={"default": dj_database_url.parse(URL, conn_max_age=600)},
    LOGGING={
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "verbose": {
                "format": "{levelname} {asctime} {module} {process:d} {thread:d} {message}",
                "style": "{",
            }
        },
        "handlers": {
            "file": {"class": "logging.FileHandler", "filename": APP_LOG, "formatter": "verbose"}
        },
        "loggers": {"django": {"handlers": ["file"], "level": "INFO"}},
    },
)


def request(app: Any, query: str = "") -> dict[str, Any]:
    environ: dict[str, Any] = {
        "PATH_INFO": "/session/",
        "QUERY_STRING": query,
        "HTTP_HOST": "testserver",
    }
    setup_testing_defaults(environ)
    status: list[str] = []
    response = app(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        body = b"".join(response).decode()
    finally:
        response.close()  # what a WSGI server does: sends request_finished
    return {"status": status[0], "body": body if status[0].startswith("200") else ""}


def main() -> None:
    django.setup()
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    first = request(app)
    if MODE == "idle":
        time.sleep(PAUSE)
        second = request(app)
    else:
        second = request(app, "atomic=1")
    print(
        json.dumps(
            {"session": int(first["body"]), "pid": os.getpid(), "first": first, "second": second}
        )
    )


if __name__ == "__main__":
    main()
