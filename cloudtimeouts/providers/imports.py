"""A target named on `cloudtimeouts import`'s command line as its id's parts joined by '/'
(`importer.ImportOptions`): the shape two clouds share, each with its own option and keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cloudtimeouts.durations import shown
from cloudtimeouts.errors import CloudtimeoutsError


@dataclass(frozen=True, slots=True)
class SlashSeparated:
    """`OPTION PART/PART/...`: one value per target, its parts the model's `keys` in order."""

    option: str
    keys: tuple[str, ...]

    @property
    def options(self) -> tuple[str, ...]:
        return (self.option,)

    def targets(self, given: Mapping[str, Sequence[str]]) -> list[tuple[str, str, dict[str, str]]]:
        found = []
        for value in given.get(self.option, ()):
            parts = value.split("/")
            if len(parts) != len(self.keys) or not all(parts):
                how = "/".join(key.upper() for key in self.keys)
                raise CloudtimeoutsError(f"{self.option} takes {how}, not {shown(value)}")
            found.append((self.option, value, dict(zip(self.keys, parts, strict=True))))
        return found
