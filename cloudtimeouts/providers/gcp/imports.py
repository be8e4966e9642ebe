"""GCP on `cloudtimeouts import`'s command line: Cloud SQL instances as PROJECT/INSTANCE
(`importer.ImportOptions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cloudtimeouts.durations import shown
from cloudtimeouts.errors import CloudtimeoutsError

_KEYS = ("project", "instance")


class GcpImports:
    """`--gcp-instance PROJECT/NAME`."""

    options = ("--gcp-instance",)

    def targets(self, given: Mapping[str, Sequence[str]]) -> list[tuple[str, str, dict[str, str]]]:
        found = []
        for value in given.get("--gcp-instance", ()):
            parts = value.split("/")
            if len(parts) != len(_KEYS) or not all(parts):
                how = "/".join(key.upper() for key in _KEYS)
                raise CloudtimeoutsError(f"--gcp-instance takes {how}, not {shown(value)}")
            found.append(("--gcp-instance", value, dict(zip(_KEYS, parts, strict=True))))
        return found


IMPORTS = GcpImports()
