"""A looping management command: two units of work PAUSE seconds apart, in one process.

`manage.py proofloop PAUSE [--glue unit_of_work|one_unit|checkpoint]` prints one JSON object.
Without --glue it is what a cron-like command or a hand-written worker loop does: Django's
connection is kept across the pause, unchecked. With `unit_of_work` each iteration is decorated;
with `one_unit` both queries are one unit of work (one long task), and with `checkpoint` that
unit calls checkpoint() after the pause. `in_atomic` runs both queries in one atomic block, with
unit_of_work() and checkpoint() between them; `django_in_atomic` calls Django's own
close_old_connections() there instead.
"""

import json
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections, transaction

from cloudtimeouts.contrib.django.glue import checkpoint, unit_of_work
from proofsite.jobs import session

GLUES = ["unit_of_work", "one_unit", "checkpoint", "in_atomic", "django_in_atomic"]


class Command(BaseCommand):
    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("pause", type=float)
        parser.add_argument(
            "--glue",
            choices=["unit_of_work", "one_unit", "checkpoint", "in_atomic", "django_in_atomic"],
        )

    def handle(self, *args: Any, pause: float, glue: str | None, **options: Any) -> None:
        if glue in ("in_atomic", "django_in_atomic"):
            with transaction.atomic():
                first = session()
                time.sleep(pause)
                if glue == "in_atomic":
                    with unit_of_work():
                        checkpoint()
                else:
                    close_old_connections()
                second = session()
        elif glue in ("one_unit", "checkpoint"):
            with unit_of_work():
                first = session()
                time.sleep(pause)
                if glue == "checkpoint":
                    checkpoint()
                second = session()
        else:
            step = unit_of_work(session) if glue == "unit_of_work" else session
            first = step()
            time.sleep(pause)
            second = step()
        self.stdout.write(json.dumps({"first": first, "second": second}))
