"""The Django system check on workers: W005 (a framework the settings show, not declared in the
profile's workers:) and W006 (glue: true where the settings show a worker without it).

`manage.py check` runs on the proof project with settings from the environment and never
connects (the worker checks read settings only); all runs start at once.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from proofproject import run_django

URL = "postgres://app:pw@127.0.0.1:1/app"  # never reached
REDIS = "redis://127.0.0.1:1/0"  # never reached

W005 = "(cloudtimeouts.W005)"
W006 = "(cloudtimeouts.W006)"


def profile(workers: str = "") -> str:
    text = (
        "name: proof\nengine: postgres\ndjango:\n  conn_max_age: 0\n  conn_health_checks: false\n"
    )
    return text + (f"workers:\n{workers}" if workers else "")


def worker(kind: str, glue: bool = False, name: str = "jobs") -> str:
    return f"  - name: {name}\n    kind: {kind}\n    max_gap: 30s\n    glue: {str(glue).lower()}\n"


DRAMATIQ = "dramatiq.brokers.stub.StubBroker"
CASES: dict[str, tuple[str | None, dict[str, Any]]] = {  # name -> (profile, environment)
    "rq-app-undeclared": (profile(), {"PROOF_APPS": "django_rq", "REDIS_URL": REDIS}),
    "rq-app-declared": (profile(worker("rq")), {"PROOF_APPS": "django_rq", "REDIS_URL": REDIS}),
    "rq-app-no-profile": (None, {"PROOF_APPS": "django_rq", "REDIS_URL": REDIS}),
    "dramatiq-setting-undeclared": (
        profile(),
        {"PROOF_SETTINGS": {"DRAMATIQ_BROKER": {"BROKER": DRAMATIQ}}},
    ),
    "celery-setting-undeclared": (
        profile(),
        {"PROOF_SETTINGS": {"CELERY_BROKER_URL": "memory://"}},
    ),
    "django-q2-app-declared-checked": (
        profile(worker("django-q2")),
        {"PROOF_APPS": "django_q"},
    ),
    "rq-glue-other-class": (
        profile(worker("rq", glue=True)),
        {"PROOF_RQ_WORKER_CLASS": "rq.SimpleWorker", "REDIS_URL": REDIS},
    ),
    "rq-glue-our-class": (
        profile(worker("rq", glue=True)),
        {
            "PROOF_RQ_WORKER_CLASS": "cloudtimeouts.contrib.django.rq.ConnectionClosingWorker",
            "REDIS_URL": REDIS,
        },
    ),
    "rq-glue-class-not-in-settings": (profile(worker("rq", glue=True)), {"REDIS_URL": REDIS}),
    "dramatiq-glue-missing": (
        profile(worker("dramatiq", glue=True)),
        {
            "PROOF_SETTINGS": {
                "DRAMATIQ_BROKER": {
                    "BROKER": DRAMATIQ,
                    "MIDDLEWARE": ["dramatiq.middleware.Retries"],
                }
            }
        },
    ),
    "dramatiq-glue-ours": (
        profile(worker("dramatiq", glue=True)),
        {
            "PROOF_SETTINGS": {
                "DRAMATIQ_BROKER": {
                    "BROKER": DRAMATIQ,
                    "MIDDLEWARE": ["cloudtimeouts.contrib.django.dramatiq.CloseConnections"],
                }
            }
        },
    ),
    "dramatiq-glue-django-dramatiq-default": (
        profile(worker("dramatiq", glue=True)),
        {
            "PROOF_APPS": "django_dramatiq",
            "PROOF_SETTINGS": {"DRAMATIQ_BROKER": {"BROKER": DRAMATIQ}},
        },
    ),
    "huey-glue-missing": (
        profile(worker("huey", glue=True)),
        {"PROOF_APPS": "huey.contrib.djhuey", "PROOF_HUEY": "1"},
    ),
    "huey-glue-installed": (
        profile(worker("huey", glue=True)),
        {
            "PROOF_APPS": "huey.contrib.djhuey,proofsite",
            "PROOF_HUEY": "1",
            "PROOF_HUEY_INSTALL": "1",
        },
    ),
    "command-glue-trusted": (profile(worker("command", glue=True)), {}),
}


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each case's `manage.py check` output (stdout and stderr)."""
    directory = tmp_path_factory.mktemp("worker-checks")

    def check(name: str, text: str | None, env: dict[str, Any]) -> str:
        environment = {
            key: json.dumps(value) if not isinstance(value, str) else value
            for key, value in env.items()
        }
        if text is not None:
            path = Path(directory, f"{name}.yaml")
            path.write_text(text)
            environment["PROOF_PROFILE"] = str(path)
        done = run_django(URL, "manage.py", "check", **environment)
        assert done.returncode == 0, done.stdout + done.stderr  # warnings only
        return done.stdout + done.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(check, name, *case) for name, case in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


def test_a_framework_app_the_profile_does_not_declare_is_named_with_what_to_declare(
    said: dict[str, str],
) -> None:
    output = said["rq-app-undeclared"]
    assert (
        f"CLOUDTIMEOUTS_PROFILE: {W005} RQ is used (django_rq is in INSTALLED_APPS) but profile "
        "proof (DATABASES['default']) declares no worker of kind rq: its workers keep Django's "
        "connections between jobs"
    ) in output
    assert "HINT: Declare it under workers: in the profile: name, kind: rq, max_gap" in output
    assert "glue: true" in output


def test_a_declared_framework_or_no_profile_is_not_warned(said: dict[str, str]) -> None:
    assert W005 not in said["rq-app-declared"]
    assert W005 not in said["rq-app-no-profile"]
    assert W005 not in said["django-q2-app-declared-checked"]


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
