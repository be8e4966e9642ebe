"""The RDS parameter catalogue: which families exist and what each lists, read from data files.

The facts live in ``cloudtimeouts/sandbox/rds/data/*.csv`` (package data, read with
``importlib.resources``), one row per parameter per engine, with its sources in a ``url`` column
and in each file's header. Sources, in short (each file's header has the details):

- Amazon RDS API Reference, ``Parameter`` data type (the columns):
  https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Parameter.html
- PostgreSQL documentation, server configuration (ranges, contexts, version gates):
  https://www.postgresql.org/docs/current/runtime-config.html
- RDS User Guide, "Dead connection handling in PostgreSQL" (tcp_keepalives_* 300 / 30 / 2):
  https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.PostgreSQL.CommonDBATasks.DeadConnectionHandling.html
- Aurora User Guide, "Amazon Aurora PostgreSQL parameters" (idle_in_transaction_session_timeout
  86400000 with Source system; what Aurora lists and omits):
  https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Reference.ParameterGroups.html
- MySQL Reference Manual, server system variables; MariaDB Knowledge Base, server system
  variables, "Aborting statements", "Transaction timeouts".
- RDS User Guide, "DB parameter formulas" (USER_ParamValuesRef).

Nothing here comes from the tool's own catalog (cloudtimeouts.catalog): the emulator and the tool
must be able to disagree, so that a test can catch the tool being wrong.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = [
    "FAMILIES",
    "CatalogueParameter",
    "RdsFamily",
    "family_catalogue",
    "family_for_version",
]

STATIC, DYNAMIC = "static", "dynamic"
ENGINE_FILES = ("postgres", "mysql", "mariadb")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True, slots=True)
class RdsFamily:
    """A DB parameter group family: engine, major version, RDS or Aurora."""

    name: str
    engine: str  # postgres | mysql | mariadb: the data file of its parameters
    major: tuple[int, ...]  # (16,) for postgres16, (8, 0) for mysql8.0
    aurora: bool
    minimum_engine_version: str
    default_engine_version: str
    cluster_groups: bool
    url: str

    @property
    def rds_engine(self) -> str:
        """The Engine value of CreateDBInstance / CreateDBCluster for this family."""
        if not self.aurora:
            return self.engine
        return "aurora-postgresql" if self.engine == "postgres" else "aurora-mysql"


@dataclass(frozen=True, slots=True)
class CatalogueParameter:
    """One row of DescribeDBParameters, before a group's user values are merged in."""

    name: str
    value: str | None  # None: RDS shows no ParameterValue (the engine's built-in default applies)
    source: str  # engine-default | system
    apply_type: str  # static | dynamic
    data_type: str  # integer | float | boolean | string | list
    allowed: str | None
    modifiable: bool
    description: str
    url: str

    def row(self, family: RdsFamily) -> dict[str, Any]:
        """The Parameter structure (API_Parameter) as RDS lists an untouched parameter."""
        row: dict[str, Any] = {"ParameterName": self.name}
        if self.value is not None:
            row["ParameterValue"] = self.value
        row |= {
            "Description": self.description,
            "Source": self.source,
            "ApplyType": self.apply_type,
            "DataType": self.data_type,
            "IsModifiable": self.modifiable,
            "MinimumEngineVersion": family.minimum_engine_version,
            "ApplyMethod": "pending-reboot",
        }
        if self.allowed is not None:
            row["AllowedValues"] = self.allowed
        return row


def _rows(filename: str) -> Iterator[dict[str, str]]:
    """The CSV rows of a data file; lines starting with '#' are its header comments."""
    text = resources.files(__package__).joinpath("data", filename).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    yield from csv.DictReader(lines, strict=True)


def _flag(text: str, where: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(f"{where}: expected true or false, got {text!r}")
    return text == "true"


def _load_families() -> Mapping[str, RdsFamily]:
    families = {}
    for row in _rows("families.csv"):
        where = f"families.csv {row['family']}"
        if row["engine"] not in ENGINE_FILES:
            raise ValueError(f"{where}: unknown engine {row['engine']!r}")
        families[row["family"]] = RdsFamily(
            name=row["family"],
            engine=row["engine"],
            major=_version(row["major"]),
            aurora=_flag(row["aurora"], where),
            minimum_engine_version=row["minimum_engine_version"],
            default_engine_version=row["default_engine_version"],
            cluster_groups=_flag(row["cluster_groups"], where),
            url=row["url"],
        )
    return MappingProxyType(families)


FAMILIES: Mapping[str, RdsFamily] = _load_families()


@dataclass(frozen=True, slots=True)
class _Row:
    parameter: CatalogueParameter
    since: tuple[int, ...] | None
    until: tuple[int, ...] | None
    on: str  # "" (both) | rds | aurora

    def applies_to(self, family: RdsFamily) -> bool:
        if self.on and self.on != ("aurora" if family.aurora else "rds"):
            return False
        if self.since is not None and family.major < self.since:
            return False
        return self.until is None or family.major <= self.until


@cache
def _engine_rows(engine: str) -> tuple[_Row, ...]:
    rows = []
    for row in _rows(f"{engine}.csv"):
        where = f"{engine}.csv {row['name']}"
        if row["source"] not in ("engine-default", "system"):
            raise ValueError(f"{where}: unknown source {row['source']!r}")
        if row["apply_type"] not in (STATIC, DYNAMIC):
            raise ValueError(f"{where}: unknown apply type {row['apply_type']!r}")
        if row["on"] not in ("", "rds", "aurora"):
            raise ValueError(f"{where}: 'on' must be rds, aurora or empty")
        if not row["url"]:
            raise ValueError(f"{where}: no source url")
        parameter = CatalogueParameter(
            name=row["name"],
            value=row["value"] or None,
            source=row["source"],
            apply_type=row["apply_type"],
            data_type=row["data_type"],
            allowed=row["allowed"] or None,
            modifiable=_flag(row["modifiable"], where),
            description=row["description"],
            url=row["url"],
        )
        since = _version(row["since"]) if row["since"] else None
        until = _version(row["until"]) if row["until"] else None
        rows.append(_Row(parameter, since, until, row["on"]))
    return tuple(rows)


@cache
def family_catalogue(family_name: str) -> Mapping[str, CatalogueParameter]:
    """Every parameter of a family, sorted by name as RDS lists them; KeyError if unknown."""
    family = FAMILIES[family_name]
    found: dict[str, CatalogueParameter] = {}
    for row in _engine_rows(family.engine):
        if not row.applies_to(family):
            continue
        name = row.parameter.name
        if name in found:
            raise ValueError(f"{family.engine}.csv: two rows of {name} apply to {family.name}")
        found[name] = row.parameter
    return MappingProxyType(dict(sorted(found.items())))


def family_for_version(engine: str, version: str) -> str | None:
    """The family an engine version belongs to (postgres 16.3 -> postgres16), if we know it."""
    parts = version.split(".")
    if not version or not parts[0].isdigit():
        return None
    if engine in ("postgres", "aurora-postgresql"):
        name = f"{engine}{parts[0]}"
    elif engine in ("mysql", "mariadb", "aurora-mysql") and len(parts) > 1:
        name = f"{engine}{parts[0]}.{parts[1]}"
    else:
        return None
    return name
