"""The app's configuration: registers the checks when Django is ready."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class CloudtimeoutsConfig(AppConfig):
    name = "cloudtimeouts.contrib.django"
    label = "cloudtimeouts"
    verbose_name = "cloudtimeouts"

    def ready(self) -> None:
        from cloudtimeouts.contrib.django import checks as ours
        from cloudtimeouts.contrib.django import worker_checks

        # database-tagged: Django passes the aliases of `check --database ALIAS` and None
        # otherwise, so no connection is opened by runserver, migrate or a plain `check`.
        checks.register(ours.check_live_idle_timeouts, checks.Tags.database, ours.TAG)
        checks.register(ours.check_settings_against_profile, ours.TAG)
        checks.register(worker_checks.check_workers_against_profile, ours.TAG)
