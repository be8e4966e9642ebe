"""System checks on the workers outside the request cycle: declared in the profile, glue in place.

The guard judges each worker of the profile's `workers:` on its own budget (a worker whose
framework keeps connections between tasks is refused behind a finite idle timeout unless its
glue is installed). That verdict is only as good as the declaration, so this check compares the
declaration with what the settings show, without touching a database:

W005 a worker framework is in INSTALLED_APPS or configured in settings, and the profile (the
setting CLOUDTIMEOUTS_PROFILE) declares no worker of its kind: its processes hold connections the
guard does not judge. What shows a framework (`_SHOWN_BY`): its Django app in INSTALLED_APPS (the
kinds table's `apps`), or its settings: CELERY_* (the namespace of
`app.config_from_object("django.conf:settings", namespace="CELERY")`), a Celery app created in
this process, RQ_QUEUES (django_rq/queues.py), DRAMATIQ_BROKER (django_dramatiq/apps.py), HUEY
(huey/contrib/djhuey/__init__.py), Q_CLUSTER (django_q/conf.py). An installed package alone is
not shown: development environments install many. Management commands are not looked for:
every project has them, and which of them loop or run long no setting says.

W006 a worker declares `glue: true` and the settings show a worker that runs without it:
- rq: RQ["WORKER_CLASS"] (django_rq/workers.py, `get_worker_class`) names a class that is not a
  cloudtimeouts.contrib.django.rq worker (or a subclass). Without the setting, the class comes
  from `rqworker --worker-class` or `rq worker -w`, which no setting shows: not warned.
- dramatiq: DRAMATIQ_BROKER["MIDDLEWARE"] lists neither django_dramatiq's
  DbConnectionsMiddleware nor cloudtimeouts.contrib.django.dramatiq.CloseConnections (or a
  subclass). Without a MIDDLEWARE key django_dramatiq's default list applies, which has
  DbConnectionsMiddleware (django_dramatiq/apps.py, DEFAULT_BROKER_SETTINGS). A broker built by
  hand (no DRAMATIQ_BROKER) is not shown: not warned.
- huey: djhuey's HUEY (built from settings.HUEY when its app loads) has not got the hooks of
  cloudtimeouts.contrib.django.huey.install. The check runs after every AppConfig.ready(), so
  install(HUEY) there is seen; called only in a tasks module that the consumer imports, it is
  not, and the warning says so (silence it with SILENCED_SYSTEM_CHECKS if that is your
  set-up, or if every task is a db_task / db_periodic_task).
- command, custom: the glue is a decorator or a call in the code (unit_of_work, checkpoint),
  which no setting shows: the declaration is trusted, never warned.
- celery, django-q2: the framework itself closes or checks connections around each task; glue
  declares nothing to install.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from cloudtimeouts.profile import Profile
from cloudtimeouts.workers import KINDS, WorkerKind

SETTING = "CLOUDTIMEOUTS_PROFILE"
W005 = "cloudtimeouts.W005"
W006 = "cloudtimeouts.W006"


def check_workers_against_profile(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """W005 and W006 for each profile of CLOUDTIMEOUTS_PROFILE (no database access)."""
    from cloudtimeouts.contrib.django.checks import _profiles  # the one reading of the setting

    messages: list[checks.CheckMessage] = []
    shown = {name: why for name, why in _shown_frameworks()}
    for alias, profile in _profiles().items():
        if not isinstance(profile, Profile):
            continue  # E006 says why, from check_settings_against_profile
        declared = {worker.kind for worker in profile.workers}
        for name, why in shown.items():
            if name not in declared:
                messages.append(_undeclared(KINDS[name], why, profile, alias))
        for worker in profile.workers:
            if not worker.glue:
                continue
            missing = _GLUE_SEEN.get(worker.kind, _not_shown)()
            if missing:
                messages.append(
                    checks.Warning(
                        f"worker {worker.name} of profile {profile.name} declares glue: true, "
                        f"but {missing}: the guard judged it as if its connections were "
                        f"closed or checked around each {KINDS[worker.kind].unit}.",
                        hint=f"Install {KINDS[worker.kind].glue}, or set glue: false and let "
                        "the guard judge what the worker really does.",
                        obj=SETTING,
                        id=W006,
                    )
                )
    return messages


def _undeclared(kind: WorkerKind, why: str, profile: Profile, alias: str) -> checks.Warning:
    what = (
        f"unless its glue is installed, its workers keep Django's connections between "
        f"{kind.unit}s ({kind.source})"
        if kind.between_tasks == "kept"
        else f"its workers close or check Django's connections between {kind.unit}s "
        f"({kind.source}), but a {kind.unit} that goes long without a query holds one idle"
    )
    return checks.Warning(
        f"{kind.title} is used ({why}) but profile {profile.name} (DATABASES[{alias!r}]) "
        f"declares no worker of kind {kind.name}: {what}, and the guard does not judge them.",
        hint=f"Declare it under workers: in the profile: name, kind: {kind.name}, max_gap (the "
        f"longest a {kind.unit} goes without a query while it holds a connection); with the "
        f"glue installed ({kind.glue}), glue: true.",
        obj=SETTING,
        id=W005,
    )


def _shown_frameworks() -> Iterable[tuple[str, str]]:
    """(kind name, what shows it) for each framework the settings show."""
    installed = list(getattr(settings, "INSTALLED_APPS", ()))
    for name, shown_by in _SHOWN_BY.items():
        apps = [app for app in KINDS[name].apps if _has_app(installed, app)]
        if apps:
            yield name, f"{apps[0]} is in INSTALLED_APPS"
            continue
        why = shown_by()
        if why:
            yield name, why


def _has_app(installed: list[str], app: str) -> bool:
    """The app's module, or an AppConfig path under it (e.g. "django_q.apps.DjangoQConfig")."""
    return any(entry == app or entry.startswith(f"{app}.apps.") for entry in installed)


def _setting(name: str) -> Callable[[], str | None]:
    return lambda: f"settings.{name} is set" if hasattr(settings, name) else None


def _celery() -> str | None:
    named = sorted(name for name in dir(settings) if name.startswith("CELERY_"))
    if named:
        return f"settings.{named[0]} is set"
    state = sys.modules.get("celery._state")  # a Celery app created in this process
    # celery/_state.py makes its fallback app on demand, named "default"
    if state is not None and any(
        app.main and app.main != "default" for app in state._get_active_apps()
    ):
        return "a Celery app is created when Django starts"
    return None


_SHOWN_BY: dict[str, Callable[[], str | None]] = {
    "celery": _celery,
    "rq": _setting("RQ_QUEUES"),
    "dramatiq": _setting("DRAMATIQ_BROKER"),
    "huey": _setting("HUEY"),
    "django-q2": _setting("Q_CLUSTER"),
}


def _not_shown() -> str | None:
    return None


def _rq() -> str | None:
    configured = (getattr(settings, "RQ", None) or {}).get("WORKER_CLASS")
    if not configured:
        return None
    ours = "cloudtimeouts.contrib.django.rq"
    try:
        worker_class = import_string(configured) if isinstance(configured, str) else configured
        mine = (
            import_string(f"{ours}.ConnectionClosingWorker"),
            import_string(f"{ours}.ConnectionClosingSimpleWorker"),
        )
    except ImportError as error:
        return f'RQ["WORKER_CLASS"] = {configured!r} cannot be imported ({error})'
    if isinstance(worker_class, type) and issubclass(worker_class, mine):
        return None
    return (
        f'RQ["WORKER_CLASS"] = {configured!r} is not {ours}.ConnectionClosingWorker or '
        "ConnectionClosingSimpleWorker (rqworker uses it unless --worker-class says otherwise)"
    )


_DRAMATIQ_GLUE = (
    "django_dramatiq.middleware.DbConnectionsMiddleware",
    "cloudtimeouts.contrib.django.dramatiq.CloseConnections",
)


def _dramatiq() -> str | None:
    broker = getattr(settings, "DRAMATIQ_BROKER", None)
    if not isinstance(broker, dict) or "MIDDLEWARE" not in broker:
        return None  # django_dramatiq's default middleware, or a broker built by hand
    listed = list(broker["MIDDLEWARE"])
    if any(path in _DRAMATIQ_GLUE or _subclass_of_glue(path) for path in listed):
        return None
    return f'DRAMATIQ_BROKER["MIDDLEWARE"] has neither {_DRAMATIQ_GLUE[0]} nor {_DRAMATIQ_GLUE[1]}'


def _subclass_of_glue(path: Any) -> bool:
    if not isinstance(path, str):
        return False
    try:
        found = import_string(path)
        glue = tuple(import_string(each) for each in _DRAMATIQ_GLUE)
    except ImportError:
        return False
    return isinstance(found, type) and issubclass(found, glue)


def _huey() -> str | None:
    djhuey = sys.modules.get("huey.contrib.djhuey")
    if djhuey is None:
        return None  # a Huey built by hand: not shown
    from cloudtimeouts.contrib.django.huey import installed

    if installed(djhuey.HUEY):
        return None
    return (
        "djhuey's HUEY has not got the hooks of cloudtimeouts.contrib.django.huey.install "
        "(seen after every AppConfig.ready(); a call only in a tasks module the consumer "
        "imports is not seen here)"
    )


_GLUE_SEEN: dict[str, Callable[[], str | None]] = {"rq": _rq, "dramatiq": _dramatiq, "huey": _huey}
