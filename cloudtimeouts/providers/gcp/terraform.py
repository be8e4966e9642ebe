"""GCP in a Terraform plan: the resource that holds a Cloud SQL instance's flags, and the HCL that
`export` writes for one (`terraform.mapping.TerraformMapping`).

Sources (registry.terraform.io/providers/hashicorp/google, r/sql_database_instance):
- google_sql_database_instance: `name`, `project`, `database_version`, and
  `settings[0].database_flags[]` {name, value}: required strings. `database_flags` is the
  instance's whole list (a flag it lacks is at its default); `settings` is a single block.
- `database_version`: a MYSQL_*, POSTGRES_* or SQLSERVER_* version (e.g. POSTGRES_16,
  MYSQL_8_0); another engine's is an error, not a silent judgement.
- Cloud SQL's flags are lower case: names are compared as they are written.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from cloudtimeouts.catalog import Engine
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.terraform.configuration import Configuration
from cloudtimeouts.terraform.hcl import Hcl, Setting, string
from cloudtimeouts.terraform.mapping import Members, agrees
from cloudtimeouts.terraform.planfile import Resource, TerraformPlan, whole_list
from cloudtimeouts.terraform.values import Values

CLOUDSQL_TYPE = "google_sql_database_instance"

_ENGINE_PREFIXES = (("postgres", Engine.POSTGRES), ("mysql", Engine.MYSQL))
_OTHER_ENGINES = ("sqlserver",)
_VERSIONS = {Engine.POSTGRES: "POSTGRES_16", Engine.MYSQL: "MYSQL_8_0", Engine.MARIADB: ""}


class GcpTerraform:
    """Cloud SQL instances in a Terraform plan."""

    types = frozenset([CLOUDSQL_TYPE])
    per_parameter = False  # database_flags: the instance's whole list
    case_blind = False  # flag names are lower case, compared as written

    def resource(
        self, address: str, kind: str, values: Values, configuration: Configuration
    ) -> Resource:
        settings, names_unknown = values.blocks("settings")
        flags: list[Values] = []
        for block in settings[:1]:  # settings is a single block
            found, unknown = block.blocks("database_flags")
            flags += found
            names_unknown = names_unknown or unknown
        return whole_list(
            address, kind, values, "database_version", flags, names_unknown, project="project"
        )

    def related(self, configuration: Configuration) -> tuple[Any, ...]:
        return ()

    def key(self, resource: Resource) -> str | None:
        return resource.name.lower() if isinstance(resource.name, str) else None

    def target_key(self, target: Target) -> str:
        return _own(target).instance.lower()

    def matches(self, resource: Resource, target: Target, engine: Engine) -> bool:
        target = _own(target)
        return (
            resource.type == CLOUDSQL_TYPE
            and resource.name == target.instance
            and agrees(resource.where.get("project"), target.project)
        )

    def described(self, target: Target) -> str:
        target = _own(target)
        return f"{CLOUDSQL_TYPE} named {target.instance} (project {target.project})"

    def engine(self, resource: Resource) -> str | None:
        """The engine `database_version` names; a version of no engine Cloud SQL documents for
        these timeouts (SQL Server's, or one this table does not know) is named as it is, so that
        the plan says it is not the profile's engine rather than judging it silently."""
        said = resource.version.lower()
        if not said or said.startswith(_OTHER_ENGINES):
            return said or None
        return next((e.value for p, e in _ENGINE_PREFIXES if said.startswith(p)), said)

    def unmatched(self, resource: Resource) -> str | None:
        return None

    def members(self, plan: TerraformPlan, target: Target, names: Collection[str]) -> Members:
        return Members()

    def export(
        self, out: Hcl, profile: Profile, target: Target, settings: Sequence[Setting]
    ) -> None:
        target = _own(target)
        label = out.label(target.instance)
        out.open(f'resource "google_sql_database_instance" "{label}"')
        out.attribute("name", string(target.instance))
        out.attribute("project", string(target.project))
        example = _VERSIONS[profile.engine]
        version = out.variable(
            label, "database_version", "string", f"the instance's database version, e.g. {example}"
        )
        out.attribute("database_version", version)
        out.blank()
        out.open("settings")
        out.attribute("tier", out.variable(label, "tier", "string", "the machine tier"))
        out.comment(
            "database_flags is the instance's whole list: keep your other flags beside these"
        )
        for setting in settings:
            out.blank()
            out.open("database_flags")
            out.attribute("name", string(setting.name))
            out.attribute("value", string(setting.native), comment=setting.human)
            out.close()
        out.close()
        out.close()


def _own(target: Target) -> GcpTarget:
    """The mapping is called with GCP targets only (`terraform.mapping.of`)."""
    assert isinstance(target, GcpTarget), target
    return target


TERRAFORM = GcpTerraform()
