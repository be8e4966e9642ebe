"""The server parameters a new flexible server reports, per engine and version, from data files.

``data/postgres.csv`` and ``data/mysql.csv`` (package data, read with ``importlib.resources``)
hold one row per parameter per engine version: value, defaultValue, dataType, allowedValues,
parameterType, isReadOnly, isDynamicConfig, isConfigPendingRestart, unit, documentationLink,
description and the source the row was written from. Their headers cite the sources:

- PostgreSQL: Microsoft's per-version server-parameter tables
  (https://learn.microsoft.com/azure/postgresql/server-parameters/concepts-server-parameters and
  the ``param-<category>?pivots=postgresql-16|17`` pages), the max_connections / shared_buffers
  notes, and the PgBouncer page
  (https://learn.microsoft.com/azure/postgresql/connectivity/concepts-pgbouncer).
- MySQL: https://learn.microsoft.com/azure/mysql/flexible-server/concepts-server-parameters and
  the MySQL 8.0 reference manual where Azure publishes nothing (marked UNVERIFIED there).

The version column is the gate: ``transaction_timeout`` has a "17" row and no "16" row, so a
PostgreSQL 16 server does not have it. Nothing here comes from ``cloudtimeouts.catalog``: the tool
and the emulator must be free to disagree, so that a test can catch the tool being wrong.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

__all__ = ["DB_ENGINES", "ServerParameter", "parameters", "resolve_version", "versions"]

DB_ENGINES = ("postgres", "mysql")
_FILES = {"postgres": "postgres.csv", "mysql": "mysql.csv"}
_PARAMETER_TYPES = frozenset({"dynamic", "static", "read-only"})


@dataclass(frozen=True, slots=True)
class ServerParameter:
    """One row: what the service reports about a parameter before anyone changes it."""

    version: str
    name: str
    category: str
    value: str
    default_value: str
    data_type: str  # as the docs spell it: integer, numeric, boolean, enumeration, string, set
    allowed_values: str
    parameter_type: str  # dynamic | static | read-only
    read_only: bool
    dynamic: bool
    pending_restart: bool
    unit: str | None
    documentation_link: str
    description: str
    source: str


def _flag(text: str, where: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in ("true", "false"):
        raise ValueError(f"{where}: expected true or false, not {text!r}")
    return lowered == "true"


def _spec(row: dict[str, str], where: str) -> ServerParameter:
    parameter_type = row["parameterType"].strip()
    if parameter_type not in _PARAMETER_TYPES:
        raise ValueError(f"{where}: parameterType {parameter_type!r}")
    spec = ServerParameter(
        version=row["version"].strip(),
        name=row["name"].strip(),
        category=row["category"],
        value=row["value"],
        default_value=row["defaultValue"],
        data_type=row["dataType"].strip(),
        allowed_values=row["allowedValues"],
        parameter_type=parameter_type,
        read_only=_flag(row["isReadOnly"], where),
        dynamic=_flag(row["isDynamicConfig"], where),
        pending_restart=_flag(row["isConfigPendingRestart"], where),
        unit=row["unit"].strip() or None,
        documentation_link=row["documentationLink"],
        description=row["description"],
        source=row["source"],
    )
    if spec.read_only != (parameter_type == "read-only") or spec.dynamic != (
        parameter_type == "dynamic"
    ):
        raise ValueError(f"{where}: isReadOnly/isDynamicConfig disagree with {parameter_type}")
    return spec


@functools.cache
def _load(engine: str) -> dict[str, dict[str, ServerParameter]]:
    """version -> lower-cased name -> spec, in file order."""
    if engine not in _FILES:
        raise ValueError(f"engine must be one of {', '.join(DB_ENGINES)}, not {engine!r}")
    text = resources.files(__package__).joinpath("data").joinpath(_FILES[engine]).read_text("utf-8")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    table: dict[str, dict[str, ServerParameter]] = {}
    for number, row in enumerate(csv.DictReader(io.StringIO("".join(lines))), start=2):
        spec = _spec(row, f"{_FILES[engine]} row {number}")
        by_name = table.setdefault(spec.version, {})
        if spec.name.lower() in by_name:
            raise ValueError(f"{_FILES[engine]}: {spec.name} twice for version {spec.version}")
        by_name[spec.name.lower()] = spec
    return table


def versions(engine: str) -> tuple[str, ...]:
    """The engine versions the catalogue has rows for, e.g. ("16", "17")."""
    return tuple(_load(engine))


def resolve_version(engine: str, server_version: str) -> str:
    """The catalogue version for a server version: "16" -> "16", "8.0.21" -> "8.0"."""
    known = _load(engine)
    if server_version in known:
        return server_version
    for version in sorted(known, key=len, reverse=True):
        if server_version.startswith(version + "."):
            return version
    raise ValueError(
        f"no {engine} {server_version!r} in the catalogue (it has {', '.join(known) or 'none'})"
    )


def parameters(engine: str, server_version: str) -> tuple[ServerParameter, ...]:
    """Every parameter a server of this engine and version has, in catalogue order."""
    return tuple(_load(engine)[resolve_version(engine, server_version)].values())
