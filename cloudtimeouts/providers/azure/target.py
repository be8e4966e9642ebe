"""An Azure `targets:` entry: a flexible server in a subscription and resource group."""

from __future__ import annotations

from typing import Annotated, Literal

from cloudtimeouts.profile_messages import matching
from cloudtimeouts.profile_targets import CloudTarget


class AzureTarget(CloudTarget):
    provider: Literal["azure"]
    subscription_id: Annotated[
        str,
        matching(
            r"^[0-9a-fA-F-]{36}$",
            "a subscription id of 36 characters, hexadecimal digits and '-' "
            "(e.g. 00000000-0000-0000-0000-000000000000)",
        ),
    ]
    resource_group: Annotated[
        str,
        matching(
            r"^[\w().-]+$",
            "a resource group name of letters, digits, '_', '.', '-', '(' and ')'",
            min_length=1,
        ),
    ]
    server: Annotated[
        str,
        matching(
            r"^[a-z0-9][a-z0-9-]*$",
            "a server name of lowercase letters, digits and '-', starting with a letter or digit",
        ),
    ]

    @property
    def id(self) -> str:
        return f"azure:{self.subscription_id}:{self.resource_group}:server/{self.server}"

    @property
    def scope(self) -> str:
        """ARM throttles per subscription (and principal)."""
        return f"azure:{self.subscription_id.lower()}"

    @property
    def key(self) -> str:
        """The id as ARM compares it: resource group and resource names are not case-sensitive
        (Azure Resource Manager, "Naming rules and restrictions for Azure resources")."""
        return self.id.lower()
