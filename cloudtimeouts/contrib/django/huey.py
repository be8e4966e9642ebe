"""Huey hooks that close old Django connections around every task, not only `db_task`s.

huey.contrib.djhuey's `db_task` and `db_periodic_task` wrap the task function in `close_db`,
which calls `django.db.close_old_connections()` before and after it, unless `HUEY.immediate`
(huey/contrib/djhuey/__init__.py, `close_db`, huey 3.5). Its `task` and `periodic_task`, and
`huey.task` on a Huey made by hand, do nothing of the kind: a worker that runs such a task keeps
its connection, unchecked, until the process ends. `install(huey)` registers a pre-execute
and a post-execute hook (huey/api.py, `Huey.pre_execute` / `Huey.post_execute`, run by
`Huey._execute` before the task and after it, on success and on failure) that close old
connections around every task the consumer executes. With both in place a `db_task` closes
twice, which costs nothing: the second `close_if_unusable_or_obsolete()` finds nothing to do.

Install, after the Huey instance exists: with djhuey,
`from huey.contrib.djhuey import HUEY; install(HUEY)` in an AppConfig.ready() or a tasks
module the consumer imports; by hand, `install(huey)` next to `huey = RedisHuey(...)`.
"""

from __future__ import annotations

from typing import Any

from cloudtimeouts.contrib.django.glue import close_old_connections

__all__ = ["HOOK", "install", "installed"]

HOOK = "cloudtimeouts_close_old_connections"


def install(huey: Any) -> None:
    """Register the hooks on this Huey instance (idempotent: same name, replaced).

    In immediate mode the task runs in the caller's thread and transaction (huey/api.py,
    `Huey.enqueue`), so, as djhuey's `close_db`, the hooks then do nothing.
    """

    def before(task: Any) -> None:
        if not huey.immediate:
            close_old_connections()

    def after(task: Any, task_value: Any, exception: BaseException | None) -> None:
        if not huey.immediate:
            close_old_connections()

    huey.pre_execute(name=HOOK)(before)
    huey.post_execute(name=HOOK)(after)


def installed(huey: Any) -> bool:
    """Both hooks are registered on this Huey instance."""
    return HOOK in huey._pre_execute and HOOK in huey._post_execute
