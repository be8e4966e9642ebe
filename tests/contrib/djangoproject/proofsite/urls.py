"""One view: a query on the request's database connection, answering the server's session id."""

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
    return HttpResponse(str(value))


urlpatterns = [path("session/", session_id)]
