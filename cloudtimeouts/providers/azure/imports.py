"""Azure on `cloudtimeouts import`'s command line: flexible servers as
SUBSCRIPTION_ID/RESOURCE_GROUP/SERVER (`importer.ImportOptions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cloudtimeouts.durations import shown
from cloudtimeouts.errors import CloudtimeoutsError

_KEYS = ("subscription_id", "resource_group", "server")


class AzureImports:
    """`--azure-server SUB/RG/NAME`."""

    options = ("--azure-server",)

    def targets(self, given: Mapping[str, Sequence[str]]) -> list[tuple[str, str, dict[str, str]]]:
        found = []
        for value in given.get("--azure-server", ()):
            parts = value.split("/")
            if len(parts) != len(_KEYS) or not all(parts):
                how = "/".join(key.upper() for key in _KEYS)
                raise CloudtimeoutsError(f"--azure-server takes {how}, not {shown(value)}")
            found.append(("--azure-server", value, dict(zip(_KEYS, parts, strict=True))))
        return found


IMPORTS = AzureImports()
