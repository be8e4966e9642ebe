"""The Django system check on workers: W005 (a framework the settings show, not declared in the
profile's workers:) and W006 (glue: true where the settings show a worker without it).

The cases run in one process of the proof project, each under its own settings
(proofsite/workerchecks.py); one `manage.py check` shows the check is registered. Nothing
connects: the worker checks read settings only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from proofproject import run_django

URL = "postgres://app:pw@127.0.0.1:1/app"  # never reached
REDIS = "redis://127.0.0.1:1/0"  # never reached

W005 = "cloudtimeouts.W005"
W006 = "cloudtimeouts.W006"


def profile(workers: str = "") -> str:
    text = (
        "name: proof\nengine: postgres\ndjango:\n  conn_max_age: 0\n  conn_health_checks: false\n"
    )
    return text + (f"workers:\n{workers}" if workers else "")


def worker(kind: str, glue: bool = False, name: str = "jobs") -> str:
    return f"  - name: {name}\n    kind: {kind}\n    max_gap: 30s\n    glue: {str(glue).lower()}\n"


DRAMATIQ = "dramatiq.brokers.stub.StubBroker"
APPS = ["cloudtimeouts.contrib.django"]  # the proof project's own
RQ_QUEUES = {"proof": {"URL": REDIS}}
HUEY = {"huey_class": "huey.MemoryHuey", "name": "proof", "immediate": False}
CASES: dict[str, tuple[str | None, dict[str, Any]]] = {  # name -> (profile, settings)
    "rq-app-undeclared": (profile(), {"INSTALLED_APPS": [*APPS, "django_rq"]}),
    "rq-app-declared": (profile(worker("rq")), {"INSTALLED_APPS": [*APPS, "django_rq"]}),
    "rq-app-no-profile": (None, {"INSTALLED_APPS": [*APPS, "django_rq"]}),
    "dramatiq-setting-undeclared": (profile(), {"DRAMATIQ_BROKER": {"BROKER": DRAMATIQ}}),
    "celery-setting-undeclared": (profile(), {"CELERY_BROKER_URL": "memory://"}),
    "django-q2-app-declared": (
        profile(worker("django-q2")),
        {"INSTALLED_APPS": [*APPS, "django_q.apps.DjangoQConfig"]},
    ),
    "rq-glue-other-class": (
        profile(worker("rq", glue=True)),
        {"RQ_QUEUES": RQ_QUEUES, "RQ": {"WORKER_CLASS": "rq.SimpleWorker"}},
    ),
    "rq-glue-our-class": (
        profile(worker("rq", glue=True)),
        {
            "RQ_QUEUES": RQ_QUEUES,
            "RQ": {"WORKER_CLASS": "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker"},
        },
    ),
    "rq-glue-class-not-in-settings": (profile(worker("rq", glue=True)), {"RQ_QUEUES": RQ_QUEUES}),
    "dramatiq-glue-missing": (
        profile(worker("dramatiq", glue=True)),
        {"DRAMATIQ_BROKER": {"BROKER": DRAMATIQ, "MIDDLEWARE": ["dramatiq.middleware.Retries"]}},
    ),
    "dramatiq-glue-ours": (
        profile(worker("dramatiq", glue=True)),
        {
            "DRAMATIQ_BROKER": {
                "BROKER": DRAMATIQ,
                "MIDDLEWARE": ["cloudtimeouts.contrib.django.dramatiq.CloseConnections"],
            }
        },
    ),
    "dramatiq-glue-django-dramatiq-default": (
        profile(worker("dramatiq", glue=True)),
        {
            "INSTALLED_APPS": [*APPS, "django_dramatiq"],
            "DRAMATIQ_BROKER": {"BROKER": DRAMATIQ},
        },
    ),
    "command-glue-trusted": (profile(worker("command", glue=True)), {}),
    # last: djhuey, once imported, stays
    "huey-glue-missing": (
        profile(worker("huey", glue=True)),
        {"INSTALLED_APPS": [*APPS, "huey.contrib.djhuey"], "HUEY": HUEY},
    ),
    "huey-glue-installed": (
        profile(worker("huey", glue=True)),
        {"INSTALLED_APPS": [*APPS, "huey.contrib.djhuey"], "HUEY": HUEY, "huey_install": True},
    ),
}


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each case's W005 and W006 messages, from one process (proofsite/workerchecks.py)."""
    directory = tmp_path_factory.mktemp("worker-checks")
    cases: dict[str, Any] = {}
    for name, (text, settings) in CASES.items():
        settings = dict(settings)
        install = settings.pop("huey_install", False)
        if text is not None:
            path = Path(directory, f"{name}.yaml")
            path.write_text(text)
            settings["CLOUDTIMEOUTS_PROFILE"] = str(path)
        cases[name] = {"settings": settings, "huey_install": install}
    done = run_django(URL, "-m", "proofsite.workerchecks", input=json.dumps(cases))
    assert done.returncode == 0, done.stderr
    return {name: "\n".join(lines) for name, lines in json.loads(done.stdout).items()}


def test_manage_py_check_runs_the_worker_check(tmp_path: Path) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(profile())
    done = run_django(
        URL, "manage.py", "check", PROOF_APPS="django_rq", REDIS_URL=REDIS, PROOF_PROFILE=str(path)
    )
    assert done.returncode == 0, done.stderr  # a warning
    assert f"CLOUDTIMEOUTS_PROFILE: ({W005}) RQ is used" in done.stderr


def test_a_framework_app_the_profile_does_not_declare_is_named_with_what_to_declare(
    said: dict[str, str],
) -> None:
    output = said["rq-app-undeclared"]
    assert (
        "cloudtimeouts.W005 RQ is used (django_rq is in INSTALLED_APPS) but profile "
        "proof (DATABASES['default']) declares no worker of kind rq: unless its glue is installed, "
        "its workers keep Django's connections between jobs"
    ) in output
    assert "HINT: Declare it under workers: in the profile: name, kind: rq, max_gap" in output
    assert "glue: true" in output


def test_a_declared_framework_or_no_profile_is_not_warned(said: dict[str, str]) -> None:
    assert W005 not in said["rq-app-declared"]
    assert W005 not in said["rq-app-no-profile"]
    assert W005 not in said["django-q2-app-declared"]


def test_a_framework_shown_by_its_settings_alone_is_found(said: dict[str, str]) -> None:
    assert (f"{W005} Dramatiq is used (settings.DRAMATIQ_BROKER is set) but profile proof") in said[
        "dramatiq-setting-undeclared"
    ]
    assert (f"{W005} Celery is used (settings.CELERY_BROKER_URL is set) but profile proof") in said[
        "celery-setting-undeclared"
    ]
    # Celery checks connections between tasks: the warning says why a declaration still counts
    assert (
        "a task that goes long without a query holds one idle"
        in (said["celery-setting-undeclared"])
    )


def test_rq_glue_declared_with_another_worker_class_in_settings_is_warned(
    said: dict[str, str],
) -> None:
    output = said["rq-glue-other-class"]
    assert f"{W006} worker jobs of profile proof declares glue: true, but " in output
    assert "RQ[\"WORKER_CLASS\"] = 'rq.SimpleWorker' is not" in output
    assert W006 not in said["rq-glue-our-class"]
    assert W006 not in said["rq-glue-class-not-in-settings"]  # --worker-class: not in settings


def test_dramatiq_glue_declared_without_the_middleware_is_warned(said: dict[str, str]) -> None:
    assert 'DRAMATIQ_BROKER["MIDDLEWARE"] has neither' in said["dramatiq-glue-missing"]
    assert W006 not in said["dramatiq-glue-ours"]
    assert W006 not in said["dramatiq-glue-django-dramatiq-default"]


def test_huey_glue_declared_without_the_hooks_is_warned(said: dict[str, str]) -> None:
    assert (
        f"{W006} worker jobs of profile proof declares glue: true, but djhuey's HUEY"
        in (said["huey-glue-missing"])
    )
    assert W006 not in said["huey-glue-installed"]


def test_glue_that_no_setting_can_show_is_trusted(said: dict[str, str]) -> None:
    assert W006 not in said["command-glue-trusted"]


def test_the_app_the_glue_and_the_checks_import_no_task_queue(tmp_path: Path) -> None:
    # each framework is imported by its own glue module only (rq, dramatiq, huey)
    code = (
        "import sys, django; django.setup()\n"
        "from django.core.management import call_command\n"
        "import cloudtimeouts.contrib.django.glue, cloudtimeouts.contrib.django.worker_checks\n"
        "call_command('check')\n"
        "print(sorted(m for m in ('rq', 'dramatiq', 'huey', 'celery', 'django_q', 'redis')"
        " if m in sys.modules))\n"
    )
    path = tmp_path / "profile.yaml"
    path.write_text(profile(worker("command")))
    done = run_django(URL, "-c", code, PROOF_PROFILE=str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
