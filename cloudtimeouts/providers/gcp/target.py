"""A GCP `targets:` entry: a Cloud SQL instance in a project."""

from __future__ import annotations

from typing import Annotated, Literal

from cloudtimeouts.profile_messages import matching
from cloudtimeouts.profile_targets import CloudTarget


class GcpTarget(CloudTarget):
    provider: Literal["gcp"]
    project: Annotated[
        str,
        matching(
            r"^[a-z][a-z0-9:.-]*[a-z0-9]$",
            "a project id of lowercase letters, digits, '-', '.' and ':', starting with a letter "
            "and ending with a letter or digit (e.g. acme-prod)",
        ),
    ]
    instance: Annotated[
        str,
        matching(
            r"^[a-z][a-z0-9-]*$",
            "an instance name of lowercase letters, digits and '-', starting with a letter",
        ),
    ]

    @property
    def id(self) -> str:
        return f"gcp:{self.project}:instance/{self.instance}"

    @property
    def scope(self) -> str:
        """Cloud SQL Admin API quotas are per project."""
        return f"gcp:{self.project}"

    @property
    def key(self) -> str:
        """Project ids and instance names are lower case by Cloud SQL's own naming rules."""
        return self.id.lower()
