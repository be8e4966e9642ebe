"""Azure on `cloudtimeouts import`'s command line: flexible servers as
SUBSCRIPTION_ID/RESOURCE_GROUP/SERVER (`importer.ImportOptions`)."""

from __future__ import annotations

from cloudtimeouts.providers.imports import SlashSeparated

IMPORTS = SlashSeparated("--azure-server", ("subscription_id", "resource_group", "server"))
