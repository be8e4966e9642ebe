"""Worker kinds: what each task framework does with Django's connections between two units of work.

Django closes an old connection only where `close_old_connections()` runs: on its
`request_started` and `request_finished` signals (django/db/__init__.py). A process outside the
request cycle (a task-queue worker, a management command, a cron job) keeps its connections as
long as it lives unless its framework, or the project, calls it. This table says, per kind,
whether the framework alone closes or checks connections around each unit of work ("checked":
CONN_MAX_AGE and CONN_HEALTH_CHECKS work between tasks as between requests) or keeps them
("kept": a connection can idle between two tasks for as long as no task comes), with the source,
and the glue that makes a "kept" kind behave like a request (`cloudtimeouts.contrib.django`).

Inside one unit of work no framework checks anything: Django's health check runs once, on the
first use of a connection after `close_old_connections()` (django/db/backends/base/base.py,
`ensure_connection` / `health_check_done`), so a task that goes `max_gap` without a query holds a
connection idle that long, whatever its kind (`budget.budgets_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

BetweenTasks = Literal["checked", "kept"]


@dataclass(frozen=True, slots=True)
class WorkerKind:
    """One task framework (or a management command), as the guard and `django-settings` see it.

    `between_tasks` is what the framework does alone; `source` says where that was read.
    `glue` is what to install so that connections are closed or checked around each unit of
    work, in words; `settings` the lines `django-settings` writes for it. `modules` and `apps`
    are how the Django check recognises the framework in a project (an importable module, an
    INSTALLED_APPS entry).
    """

    name: str
    title: str
    unit: str  # what one unit of work is called: "task", "job", "message", "run"
    between_tasks: BetweenTasks
    source: str
    glue: str
    settings: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()
    apps: tuple[str, ...] = ()


_KINDS = (
    WorkerKind(
        "celery",
        "Celery",
        "task",
        "checked",
        "celery/fixups/django.py (5.7), DjangoWorkerFixup.on_task_prerun and on_task_postrun: "
        "close() on every connection before and after each task, not for eager tasks; with "
        "CELERY_DB_REUSE_MAX=N it closes only every 2N calls and keeps the connection "
        "unchecked in between",
        "none: Celery's Django fixup, installed when the app is configured from Django's "
        "settings (app.config_from_object('django.conf:settings', namespace='CELERY')); "
        "leave CELERY_DB_REUSE_MAX unset",
        modules=("celery",),
    ),
    WorkerKind(
        "rq",
        "RQ",
        "job",
        "kept",
        "rq/worker/worker_classes.py (3.0), Worker.fork_work_horse: each job runs in a work "
        "horse forked from the worker, which inherits the worker's open Django connection; "
        "RQ knows nothing of Django and closes nothing (SimpleWorker runs every job on the "
        "worker's own connection); django-rq's rqworker closes them once, at start",
        "the worker class cloudtimeouts.contrib.django.rq.ConnectionClosingWorker",
        settings=(
            "# RQ (django-rq): the worker class that closes connections around each job:",
            "#     RQ = {",
            '#         "WORKER_CLASS": "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker",',
            "#     }",
        ),
        modules=("rq",),
        apps=("django_rq",),
    ),
    WorkerKind(
        "dramatiq",
        "Dramatiq",
        "message",
        "kept",
        "dramatiq/worker.py: Dramatiq itself knows nothing of Django; django_dramatiq's "
        "DbConnectionsMiddleware closes old connections around each message when it is in "
        "the broker's middleware (django_dramatiq/middleware.py)",
        "django_dramatiq.middleware.DbConnectionsMiddleware in DRAMATIQ_BROKER's MIDDLEWARE "
        "(or cloudtimeouts.contrib.django.dramatiq.CloseConnections without django_dramatiq)",
        settings=(
            "# Dramatiq: add to DRAMATIQ_BROKER['MIDDLEWARE']:",
            "#     'django_dramatiq.middleware.DbConnectionsMiddleware',",
        ),
        modules=("dramatiq",),
        apps=("django_dramatiq",),
    ),
    WorkerKind(
        "huey",
        "Huey",
        "task",
        "kept",
        "huey/contrib/djhuey/__init__.py (3.5), close_db: only db_task, db_periodic_task and "
        "on_commit_task close old connections (before and after the task); a plain task "
        "closes nothing",
        "cloudtimeouts.contrib.django.huey.install(HUEY): closes old connections before and "
        "after every task (or make every task a djhuey db_task)",
        settings=(
            "# Huey: after HUEY is made (e.g. in your app's ready()):",
            "#     from cloudtimeouts.contrib.django.huey import install; install(HUEY)",
        ),
        modules=("huey",),
        apps=("huey.contrib.djhuey",),
    ),
    WorkerKind(
        "django-q2",
        "Django Q2",
        "task",
        "checked",
        "django_q/worker.py (django-q2 1.11), worker(): close_old_django_connections() before "
        "each task (not in sync mode)",
        "none: the cluster closes old connections before each task",
        modules=("django_q",),
        apps=("django_q",),
    ),
    WorkerKind(
        "command",
        "a management command",
        "run",
        "kept",
        "django/core/management/base.py, BaseCommand.run_from_argv: no "
        "close_old_connections(); a command keeps its connections until it ends (close_all())",
        "cloudtimeouts.contrib.django.glue.unit_of_work around each unit of work (and "
        "checkpoint() between two phases of one)",
        settings=(
            "# Commands: decorate each unit of work, and call checkpoint() between phases:",
            "#     from cloudtimeouts.contrib.django.glue import checkpoint, unit_of_work",
        ),
    ),
    WorkerKind(
        "custom",
        "a custom worker",
        "task",
        "kept",
        "declared in the profile (between_tasks)",
        "cloudtimeouts.contrib.django.glue.unit_of_work around each unit of work",
        settings=(
            "# Custom worker: wrap each unit of work:",
            "#     from cloudtimeouts.contrib.django.glue import unit_of_work",
        ),
    ),
)
KINDS: Mapping[str, WorkerKind] = MappingProxyType({kind.name: kind for kind in _KINDS})


def kind(name: str) -> WorkerKind:
    return KINDS[name]
