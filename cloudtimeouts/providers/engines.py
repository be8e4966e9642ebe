"""Which engine a target runs, and the ranges the clouds answer: read the same way for every cloud.

Each cloud names its engines in its own words (RDS: the parameter group family `postgres16`,
`aurora-mysql8.0`; Cloud SQL: the database version `POSTGRES_16`; Azure: the resource provider a
server lives under) and each supplies its own table; finding the engine in a name, and the errors
a target of another engine, or of an engine we do not know, becomes, are shared. So is the
"min-max" range RDS (`AllowedValues`) and Azure (`allowedValues`) answer for numeric parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import TargetNotAllowedError

# A cloud's names for its engines: (prefix of the name, engine), the most specific prefix first.
Prefixes = Sequence[tuple[str, Engine]]

_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")


def engine_of(name: str, prefixes: Prefixes) -> Engine | None:
    """The engine whose prefix `name` starts with; None: not an engine cloudtimeouts manages."""
    for prefix, engine in prefixes:
        if name.startswith(prefix):
            return engine
    return None


def unknown_engine(target_id: str, name: str) -> TargetNotAllowedError:
    """For `import`: the target runs something no profile could manage."""
    return TargetNotAllowedError(f"{target_id}: {name} is not an engine cloudtimeouts knows")


def other_engine(target_id: str, what: str, engine: Engine, resource: str) -> TargetNotAllowedError:
    """The target runs another engine than the profile's: `what` says what it is ("the
    instance runs MYSQL_8_0 (mysql)"), `resource` what to point the target at instead ("a
    Cloud SQL instance")."""
    return TargetNotAllowedError(
        f"{target_id}: {what}, but the profile's engine is {engine}",
        hint=f"point the target at {resource} of the profile's engine",
    )


def allowed_range(allowed: str | None) -> tuple[Decimal, Decimal] | None:
    """ "0-2147483647" as (0, 2147483647); anything else (a list of choices, nothing) as None."""
    match = _RANGE.match(allowed or "")
    return (Decimal(match[1]), Decimal(match[2])) if match else None
