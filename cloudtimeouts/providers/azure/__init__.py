"""Azure Database for PostgreSQL / MySQL flexible servers: the package's face (see `adapter`)."""

from __future__ import annotations

# The SDK first: importing this package fails when the SDK is missing even if a submodule is still
# loaded from an earlier import (`load_adapter` turns that failure into "pip install ...").
import azure.core
import azure.identity  # noqa: F401

from cloudtimeouts.providers.azure.adapter import AzureAdapter
from cloudtimeouts.providers.azure.errors import ENDPOINT_VARIABLE

__all__ = ["ENDPOINT_VARIABLE", "AzureAdapter"]
