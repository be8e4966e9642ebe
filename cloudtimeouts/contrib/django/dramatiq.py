"""A Dramatiq middleware that closes old Django connections around every message.

Dramatiq knows nothing of Django (dramatiq 2.2, dramatiq/worker.py: `_WorkerThread.
process_message` emits `before_process_message` and `after_process_message`, the latter on
success and on failure, and nothing touches django.db). Each worker thread has its own
Django connection (Django's connections are per thread) and keeps it between messages.

With django_dramatiq, do not add this: its `DbConnectionsMiddleware` already calls
`django.db.close_old_connections()` before and after each message and closes all connections
when a worker thread or the worker stops (django_dramatiq/middleware.py,
`DbConnectionsMiddleware`, 0.15), and it is in django_dramatiq's default `MIDDLEWARE`
(django_dramatiq/apps.py, `DEFAULT_BROKER_SETTINGS`). Keep it in DRAMATIQ_BROKER["MIDDLEWARE"]
when you list the middleware yourself.

Without django_dramatiq: `broker.add_middleware(CloseConnections())` where the broker is built.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from dramatiq.middleware import Middleware

from cloudtimeouts.contrib.django.glue import close_old_connections

__all__ = ["CloseConnections"]


class CloseConnections(Middleware):
    """close_old_connections() before and after each message (also a skipped one), and every
    connection closed when a worker thread, a consumer thread or the worker shuts down."""

    def _close_old(self, *args: Any, **kwargs: Any) -> None:
        close_old_connections()

    def _close_all(self, *args: Any, **kwargs: Any) -> None:
        connections.close_all()

    before_process_message = _close_old
    after_process_message = _close_old
    after_skip_message = _close_old
    before_consumer_thread_shutdown = _close_all
    before_worker_thread_shutdown = _close_all
    before_worker_shutdown = _close_all
