"""RQ workers that treat each job as Django treats a request: old connections closed around it.

RQ knows nothing of Django (rq 3.0, rq/worker/: no call to django.db anywhere). django-rq's
`rqworker` command closes every connection once, before `work()` starts
(django_rq/management/commands/rqworker.py, `Command.handle` -> django_rq/utils.py,
`reset_db_connections`), and never again; `rq worker` does not even do that. So:

- The default forking `rq.Worker` runs each job in a work horse forked from the worker
  (rq/worker/worker_classes.py, `Worker.fork_work_horse`: `os.fork()`, then
  `BaseWorker.main_work_horse` -> `perform_job`, then `os._exit`). A Django connection the
  parent holds when it forks (opened by startup code, a failure handler the parent runs in
  `monitor_work_horse`, or any query in the parent) is inherited by every horse: each job runs
  on the parent's socket, idle since the last job, and fails once the server's idle timeout has
  closed it. `ConnectionClosingWorker` closes Django's connections in the parent before each
  fork, so a horse opens its own; the horse closes old connections before the job and closes
  its connections after it (the horse exits with `os._exit`, which would drop them unannounced).
- `rq.SimpleWorker` runs every job in the worker's own process (`SimpleWorker.execute_job` ->
  `perform_job`): one connection, kept between jobs for as long as the worker lives, unchecked.
  `ConnectionClosingSimpleWorker` closes old connections before and after each job
  (glue.close_old_connections: CONN_MAX_AGE and CONN_HEALTH_CHECKS then act between jobs).

Install: `python manage.py rqworker --worker-class
cloudtimeouts.contrib.django.rq.ConnectionClosingWorker` (django-rq's `--worker-class`), or in
settings `RQ = {"WORKER_CLASS": "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker"}`
(django_rq/workers.py, `get_worker_class`, read by `rqworker` and `rqworker-pool`), or
`rq worker -w cloudtimeouts.contrib.django.rq.ConnectionClosingWorker` (with
DJANGO_SETTINGS_MODULE set and `django.setup()` done by the job module or a worker wrapper).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections
from rq import SimpleWorker, Worker

from cloudtimeouts.contrib.django.glue import close_old_connections

if TYPE_CHECKING:
    from rq.executions import Execution
    from rq.job import Job
    from rq.queue import Queue

__all__ = ["ConnectionClosingSimpleWorker", "ConnectionClosingWorker"]


class ConnectionClosingWorker(Worker):
    """The forking worker: no horse inherits a connection; each horse closes its own."""

    def fork_work_horse(self, job: Job, queue: Queue) -> Any:
        # In the parent, before os.fork(): nothing for the horse to inherit. The parent runs no
        # job, so a connection it has (from startup or a failure handler) has no use worth
        # keeping across the fork.
        connections.close_all()
        return super().fork_work_horse(job, queue)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        # In the horse (BaseWorker.main_work_horse): a fresh process that exits after this job.
        close_old_connections()
        try:
            return bool(super().perform_job(job, queue, execution))
        finally:
            connections.close_all()  # before os._exit: close them in the protocol's terms


class ConnectionClosingSimpleWorker(SimpleWorker):
    """The in-process worker: old connections closed before and after each job."""

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        close_old_connections()
        try:
            return bool(super().perform_job(job, queue, execution))
        finally:
            close_old_connections()
