"""The worker checks (W005, W006) on many settings in one process: `python -m
proofsite.workerchecks` reads `{case: {"settings": {...}, "huey_install": bool}}` as JSON on
stdin, runs cloudtimeouts' registered worker check under each case's settings
(set on django.conf.settings and taken back after: the app registry is not rebuilt, since the
check reads INSTALLED_APPS as a setting) and prints `{case: ["ID message HINT: hint", ...]}`.

One process instead of one `manage.py check` per case: the check reads settings only, and Django
starts in about a second. djhuey builds its HUEY from settings.HUEY when first imported, so a case
that needs it imports it under its own settings (and the cases that do come last).
"""

import json
import sys
from typing import Any

import django

django.setup()

from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from django.conf import settings  # noqa: E402

from cloudtimeouts.contrib.django.apps import check_workers_against_profile  # noqa: E402


@contextmanager
def these(values: dict[str, Any]) -> Iterator[None]:
    missing = object()
    before = {name: getattr(settings, name, missing) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is missing:
                delattr(settings, name)
            else:
                setattr(settings, name, value)


def run(case: dict[str, Any]) -> list[str]:
    with these(case["settings"]):
        if "HUEY" in case["settings"]:
            from huey.contrib.djhuey import HUEY

            from cloudtimeouts.contrib.django.huey import HOOK, install

            if case.get("huey_install"):
                install(HUEY)
            else:
                HUEY.unregister_pre_execute(HOOK)
                HUEY.unregister_post_execute(HOOK)
        return [f"{m.id} {m.msg} HINT: {m.hint}" for m in check_workers_against_profile()]


def main() -> None:
    cases = json.load(sys.stdin)
    print(json.dumps({name: run(case) for name, case in cases.items()}))


if __name__ == "__main__":
    main()
