"""The profile's `workers:`: processes outside the request cycle, each judged on its own budget.

A worker (a task queue's worker, a management command, a cron job) holds Django's connections
between its units of work, and during one for as long as the unit goes without a query. What
its framework does between units is the kinds table's (`workers.KINDS`); how long a unit goes
without a query is the project's to declare (`max_gap`, and `max_gap_in_transaction` inside a
transaction). `budget.budgets_of` turns each entry into the budget the guard judges against.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from cloudtimeouts.profile_fields import DurationField
from cloudtimeouts.profile_messages import matching
from cloudtimeouts.profile_targets import Strict
from cloudtimeouts.workers import KINDS, BetweenTasks

# One definition: the kinds are the table's (workers.KINDS).
KindName = Literal[tuple(KINDS)]  # type: ignore[valid-type]


class Worker(Strict):
    """One process kind outside the request cycle (`workers:` entry)."""

    name: Annotated[
        str,
        matching(
            r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
            "a name of letters, digits, '_', '.' and '-' (it becomes the connections' "
            "application_name)",
            max_length=63,  # PostgreSQL's application_name keeps NAMEDATALEN - 1 bytes
        ),
    ]
    kind: KindName
    # The longest one unit of work goes without a query while it holds a connection.
    max_gap: DurationField
    # The same inside a transaction; absent: the request cycle's transaction budget.
    max_gap_in_transaction: DurationField | None = None
    # The glue that closes or checks connections around each unit of work is installed
    # (workers.KINDS[kind].glue): between units, the worker then behaves like a request.
    glue: bool = False
    # custom only: what the worker does with its connections between two units of work.
    between_tasks: BetweenTasks | None = None

    @model_validator(mode="after")
    def _custom_declares(self) -> Worker:
        if self.kind == "custom" and self.between_tasks is None:
            raise PydanticCustomError(
                "worker",
                "a custom worker declares between_tasks: checked (its connections are closed "
                "or checked around each unit of work, as close_old_connections() does) or kept",
            )
        if self.kind != "custom" and self.between_tasks is not None:
            raise PydanticCustomError(
                "worker",
                "between_tasks is for custom workers only: what {kind} does is known "
                "(cloudtimeouts explain shows it)",
                {"kind": self.kind},
            )
        return self

    @property
    def between(self) -> BetweenTasks:
        """What happens to its connections between two units of work, glue included."""
        if self.glue:
            return "checked"
        return self.between_tasks or KINDS[self.kind].between_tasks


def unique_names(workers: list[Worker]) -> list[Worker]:
    """Two workers of one name would share an application_name and a budget's words."""
    seen: set[str] = set()
    for index, worker in enumerate(workers):
        if worker.name in seen:
            raise PydanticCustomError(
                "duplicate_worker",
                "worker {name} is listed twice",
                {"index": index, "name": worker.name},
            )
        seen.add(worker.name)
    return workers
