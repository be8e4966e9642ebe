"""The app's configuration: registers the checks when Django is ready.

The checks' modules (and the profile's model, Pydantic with it) are imported when a check runs,
not when Django starts: every process of the project (each web worker, each task-queue worker,
each management command) starts this app, and only `manage.py check` and the checks that
runserver and migrate run use them. Importing them in ready() cost each process about a
quarter of a second (python -X importtime: cloudtimeouts.contrib.django.checks, 0.24 s of
django.setup()'s 0.8 s for the proof project).
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks

TAG = "cloudtimeouts"


def check_live_idle_timeouts(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from cloudtimeouts.contrib.django import checks as ours

    return ours.check_live_idle_timeouts(app_configs, databases=databases, **kwargs)


def check_settings_against_profile(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from cloudtimeouts.contrib.django import checks as ours

    return ours.check_settings_against_profile(app_configs, **kwargs)


def check_workers_against_profile(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from cloudtimeouts.contrib.django import worker_checks

    return worker_checks.check_workers_against_profile(app_configs, **kwargs)


class CloudtimeoutsConfig(AppConfig):
    name = "cloudtimeouts.contrib.django"
    label = "cloudtimeouts"
    verbose_name = "cloudtimeouts"

    def ready(self) -> None:
        # database-tagged: Django passes the aliases of `check --database ALIAS` and None
        # otherwise, so no connection is opened by runserver, migrate or a plain `check`.
        checks.register(check_live_idle_timeouts, checks.Tags.database, TAG)
        checks.register(check_settings_against_profile, TAG)
        checks.register(check_workers_against_profile, TAG)
