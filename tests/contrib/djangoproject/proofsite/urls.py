"""One view: a query on the request's database connection, answering the server's session id.

PostgreSQL answers `SERVER_PID LOGIN_PID`: pg_backend_pid(), and the backend PID of the login
(psycopg's info.backend_pid). Straight to the server they are equal; through PgBouncer the
second is the client's own random cancel key, the same for as long as Django keeps that client
connection, whichever server connection PgBouncer lends it.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path


def session_id(request: HttpRequest) -> HttpResponse:
    query = (
        "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT CONNECTION_ID()"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        (value,) = cursor.fetchone()
    if connection.vendor == "postgresql":
        value = f"{value} {connection.connection.info.backend_pid}"
    return HttpResponse(str(value))


urlpatterns = [path("session/", session_id)]
