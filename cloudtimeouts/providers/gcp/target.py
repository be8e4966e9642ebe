"""A GCP `targets:` entry: a Cloud SQL instance in a project."""

from __future__ import annotations

from typing import Annotated, Literal

from cloudtimeouts.profile_messages import matching
from cloudtimeouts.profile_targets import CloudTarget


class GcpTarget(CloudTarget):
    provider: Literal["gcp"]
    # Google's rule for a project id: "6 to 30 lowercase letters, digits, or hyphens. It must
    # start with a letter, and cannot have a trailing hyphen"
    # (https://cloud.google.com/resource-manager/docs/creating-managing-projects, "Before you
    # begin" / project ID); a domain-scoped project's id is DOMAIN:ID (example.com:acme-prod,
    # https://cloud.google.com/resource-manager/docs/creating-managing-projects#identifying_projects).
    # The words state every rule, the length first: `p` broke only that one, and was told the
    # others (issue 20).
    project: Annotated[
        str,
        matching(
            r"^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$",
            "a Google Cloud project id: 6 to 30 characters, lowercase letters, digits and '-', "
            "starting with a letter and not ending with '-' (e.g. acme-prod; a domain-scoped "
            "project: example.com:acme-prod)",
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
