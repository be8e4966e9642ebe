"""GCP on `cloudtimeouts import`'s command line: Cloud SQL instances as PROJECT/INSTANCE
(`importer.ImportOptions`)."""

from __future__ import annotations

from cloudtimeouts.providers.imports import SlashSeparated

IMPORTS = SlashSeparated("--gcp-instance", ("project", "instance"))
