"""The Cloud SQL flag catalogue: what flags.list answers and what instances.patch accepts.

The rows live in ``data/flags.json`` (package data, loaded with `importlib.resources`), one row
per flag with the fields of the Flag resource of flags.list
(https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/flags#Flag): ``name``, ``type``,
``appliesTo`` (database versions: the version gates), ``minValue``/``maxValue``,
``allowedStringValues``, ``requiresRestart``, plus ``source`` and ``confidence``. They were written
from Google's "Configure database flags" pages, https://cloud.google.com/sql/docs/mysql/flags and
https://cloud.google.com/sql/docs/postgres/flags (the file's header says how each was read; rows
marked ``unverified`` say where their value comes from instead). Nothing here comes from
cloudtimeouts' own catalogue: the tool and the emulator must be able to disagree.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from cloudtimeouts.sandbox.ranges import value_allowed

__all__ = ["Catalogue", "FlagRow", "default_catalogue", "flag_names"]

FLAG_TYPES = frozenset({"BOOLEAN", "STRING", "INTEGER", "FLOAT", "NONE"})
CONFIDENCE = frozenset({"doc", "doc-transcribed", "unverified"})


@dataclass(frozen=True, slots=True)
class FlagRow:
    """One flag, as flags.list describes it."""

    name: str
    type: str  # BOOLEAN | STRING | INTEGER | FLOAT | NONE (SqlFlagType)
    applies_to: tuple[str, ...]
    min_value: int | None = None
    max_value: int | None = None
    allowed_string_values: tuple[str, ...] = ()
    requires_restart: bool = False
    source: str = ""
    confidence: str = "unverified"

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> FlagRow:
        def number(key: str) -> int | None:
            return int(row[key]) if key in row else None

        flag = cls(
            name=row["name"],
            type=row["type"],
            applies_to=tuple(row["appliesTo"]),
            min_value=number("minValue"),
            max_value=number("maxValue"),
            allowed_string_values=tuple(row.get("allowedStringValues", ())),
            requires_restart=bool(row["requiresRestart"]),
            source=row["source"],
            confidence=row["confidence"],
        )
        if flag.type not in FLAG_TYPES or flag.confidence not in CONFIDENCE or not flag.source:
            raise ValueError(f"bad flag row: {row!r}")
        return flag

    def to_api(self) -> dict[str, Any]:
        """The Flag resource, enums as names; int64 fields are JSON strings (proto3 JSON)."""
        body: dict[str, Any] = {
            "kind": "sql#flag",
            "name": self.name,
            "type": self.type,
            "appliesTo": list(self.applies_to),
            "requiresRestart": self.requires_restart,
            "inBeta": False,
            "flagScope": "SQL_FLAG_SCOPE_DATABASE",
        }
        if self.min_value is not None:
            body["minValue"] = str(self.min_value)
        if self.max_value is not None:
            body["maxValue"] = str(self.max_value)
        if self.allowed_string_values:
            body["allowedStringValues"] = list(self.allowed_string_values)
        return body

    def problem(self, value: str | None) -> str | None:
        """None when Cloud SQL would take ``value``, else the reason in the API's wording.

        Wordings quoted from live errors in public reports: "Failed to set binlog_row_image:
        MINIMAL was not an expected string." (wandb/terraform-google-wandb#183) and "Flag value
        is 131072. ... effective_cache_size must be between 13107 and 91750."; the others
        follow their pattern (UNVERIFIED).
        """
        if self.type == "NONE":
            return None if value in (None, "") else f"{self.name} does not take a value."
        if value is None:
            return f"{self.name} requires a value."
        if self.type == "BOOLEAN":
            # DatabaseFlags.value: "Boolean flags are set to on for true and off for false."
            if value.lower() in ("on", "off"):
                return None
            return f"{value} was not an expected boolean value (on or off)."
        if self.type == "STRING":
            # Compared as written: the live error above refuses MINIMAL where the page lists
            # minimal.
            if not self.allowed_string_values or value in self.allowed_string_values:
                return None
            return f"{value} was not an expected string."
        if not value_allowed(value, self.type, None):
            return f"{value} is not a valid {self.type.lower()}."
        low = self.min_value if self.min_value is not None else ""
        high = self.max_value if self.max_value is not None else ""
        if value_allowed(value, self.type, _range_text(self.min_value, self.max_value)):
            return None
        return f"Flag value is {value}. {self.name} must be between {low} and {high}."


def _range_text(low: int | None, high: int | None) -> str | None:
    """The shared ``low-high`` language of `sandbox.ranges` (one open bound: the type's limit)."""
    if low is None and high is None:
        return None
    return f"{low if low is not None else -(2**63)}-{high if high is not None else 2**63 - 1}"


class Catalogue:
    """The flags of every database version; immutable (tests derive changed copies)."""

    def __init__(self, rows: Iterable[FlagRow]) -> None:
        self._rows = tuple(rows)
        names = [row.name + "@" + version for row in self._rows for version in row.applies_to]
        if len(names) != len(set(names)):
            raise ValueError("a flag appears twice for one database version")

    def __iter__(self) -> Iterator[FlagRow]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def for_version(self, database_version: str) -> dict[str, FlagRow]:
        """The flags a version offers, by name: flags.list?databaseVersion=..."""
        return {row.name: row for row in self._rows if database_version in row.applies_to}

    def versions(self) -> frozenset[str]:
        return frozenset(version for row in self._rows for version in row.applies_to)

    def replaced(self, name: str, **changes: Any) -> Catalogue:
        """A copy in which every row called ``name`` has ``changes`` (FlagRow field names)."""
        if not any(row.name == name for row in self._rows):
            raise KeyError(name)
        return Catalogue(
            dataclasses.replace(row, **changes) if row.name == name else row for row in self._rows
        )

    def with_row(self, row: FlagRow) -> Catalogue:
        """A copy with one more row (e.g. a flag a future Cloud SQL release adds)."""
        return Catalogue((*self._rows, row))


@cache
def default_catalogue() -> Catalogue:
    """The catalogue of ``data/flags.json``, read once."""
    text = resources.files(__package__).joinpath("data", "flags.json").read_text("utf-8")
    return Catalogue(FlagRow.from_json(row) for row in json.loads(text)["flags"])


def flag_names(database_version: str) -> tuple[str, ...]:
    """Names of the flags the default catalogue offers for a version (handy for adapter tests)."""
    return tuple(default_catalogue().for_version(database_version))
