"""Azure in a Terraform plan: the resources that hold a flexible server's parameters, and the HCL
that `export` writes for one (`terraform.mapping.TerraformMapping`).

Sources (registry.terraform.io/providers/hashicorp/azurerm, r/*_flexible_server_configuration):
- azurerm_postgresql_flexible_server_configuration: `name`, `server_id`, `value`;
  azurerm_mysql_flexible_server_configuration: `name`, `resource_group_name`, `server_name`,
  `value`; all required strings.
- Each server parameter is its own resource: one the plan does not hold keeps a value the plan
  cannot show, and destroying one resets the parameter (azurerm's Delete writes the
  DefaultValue back).
- A server created by the same plan has an id known only after apply: the configuration's
  `server_id` (or `server_name`) expression names the server resource through `references`.
- Names are compared case-blind: ARM's resource group and resource names (Azure Resource
  Manager, "Naming rules and restrictions for Azure resources"), and server parameter names. A
  PostgreSQL and a MySQL flexible server of one name are two resources of ARM.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import Any

from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.profile import Profile, Target
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.terraform.configuration import Configuration
from cloudtimeouts.terraform.hcl import Hcl, Setting, string
from cloudtimeouts.terraform.mapping import Members, agrees
from cloudtimeouts.terraform.planfile import Resource, TerraformPlan
from cloudtimeouts.terraform.values import UNKNOWN, Unknown, Values

CONFIGURATION_TYPES = {
    "azurerm_postgresql_flexible_server_configuration": "postgres",
    "azurerm_mysql_flexible_server_configuration": "mysql",
}
_SERVER_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/"
    r"Microsoft\.DBfor(?P<engine>PostgreSQL|MySQL)/flexibleServers/(?P<server>[^/]+)$",
    re.IGNORECASE,
)
_PROVIDERS = {Engine.POSTGRES: "PostgreSQL", Engine.MYSQL: "MySQL"}


class AzureTerraform:
    """Flexible servers' parameters in a Terraform plan: one resource per parameter."""

    types = frozenset(CONFIGURATION_TYPES)
    per_parameter = True
    case_blind = True  # ARM

    def resource(
        self, address: str, kind: str, values: Values, configuration: Configuration
    ) -> Resource:
        """A server parameter; its server is found by id, by names, or by the configuration's
        reference to a server resource of the same plan (whose id is unknown until it is
        created)."""
        where: dict[str, str | Unknown] = {}
        if CONFIGURATION_TYPES[kind] == "postgres":
            server_id = values.get("server_id")
            match = _SERVER_ID.match(server_id) if isinstance(server_id, str) else None
            if match:
                where = {
                    "subscription": match["subscription"],
                    "resource_group": match["group"],
                    "server": match["server"],
                    "engine": match["engine"].lower().replace("postgresql", "postgres"),
                }
            elif server_id is not None:
                where = {"server": UNKNOWN}
        else:
            where = values.where(resource_group="resource_group_name", server="server_name")
        if where.get("server") in (None, UNKNOWN):
            where |= _referenced_server(address, kind, configuration)
        name = values.string("name")
        value = values.string("value")
        return Resource(
            address,
            kind,
            name,
            where=where,
            values={name: value} if isinstance(name, str) else {},
            sensitive=frozenset(
                [name] if isinstance(name, str) and values.sensitive("value") else []
            ),
        )

    def related(self, configuration: Configuration) -> tuple[Any, ...]:
        return ()

    def key(self, resource: Resource) -> str | None:
        """A server parameter is found by its server."""
        server = resource.where.get("server")
        return server.lower() if isinstance(server, str) else None

    def target_key(self, target: Target) -> str:
        return _own(target).server.lower()

    def matches(self, resource: Resource, target: Target, engine: Engine) -> bool:
        """A parameter of a server of the profile's engine, of the target's name, resource group
        and subscription where the plan says them."""
        target = _own(target)
        where = resource.where
        return (
            CONFIGURATION_TYPES.get(resource.type) == engine.value
            and where.get("engine", engine.value) == engine.value
            and isinstance(where.get("server"), str)
            and agrees(where.get("server"), target.server)
            and agrees(where.get("resource_group"), target.resource_group)
            and agrees(where.get("subscription"), target.subscription_id)
        )

    def described(self, target: Target) -> str:
        target = _own(target)
        return (
            f"*_flexible_server_configuration of server {target.server} "
            f"(resource group {target.resource_group})"
        )

    def engine(self, resource: Resource) -> str | None:
        """The engine its type is for."""
        return CONFIGURATION_TYPES.get(resource.type)

    def unmatched(self, resource: Resource) -> str | None:
        if resource.where.get("server") is UNKNOWN or "server" not in resource.where:
            return "its server is known only after apply, so it cannot be matched to a target"
        engine = CONFIGURATION_TYPES.get(resource.type)
        if resource.where.get("engine", engine) != engine:
            return f"its server_id names a {resource.where['engine']} server, not a {engine} one"
        return None

    def members(self, plan: TerraformPlan, target: Target, names: Collection[str]) -> Members:
        return Members()

    def export(
        self, out: Hcl, profile: Profile, target: Target, settings: Sequence[Setting]
    ) -> None:
        """One resource per value: PostgreSQL's by `server_id`, MySQL's by
        `resource_group_name` and `server_name`."""
        target = _own(target)
        flavour = _PROVIDERS.get(profile.engine)
        if flavour is None:  # the profile refuses this already; never print a wrong resource type
            raise CloudtimeoutsError(f"{target.id}: Azure has no {profile.engine.value} servers")
        server_id = (
            f"/subscriptions/{target.subscription_id}/resourceGroups/{target.resource_group}"
            f"/providers/Microsoft.DBfor{flavour}/flexibleServers/{target.server}"
        )
        kind = f"azurerm_{flavour.lower()}_flexible_server_configuration"
        for index, setting in enumerate(settings):
            if index:
                out.blank()
            out.open(f'resource "{kind}" "{out.label(f"{target.server}_{setting.name}")}"')
            out.attribute("name", string(setting.name))
            if flavour == "PostgreSQL":
                out.attribute("server_id", string(server_id))
            else:
                out.attribute("resource_group_name", string(target.resource_group))
                out.attribute("server_name", string(target.server))
            out.attribute("value", string(setting.native), comment=setting.human)
            out.close()


def _referenced_server(address: str, kind: str, configuration: Configuration) -> dict[str, str]:
    """The server a configuration's server_id / server_name refers to, when exactly one server
    of its engine is referred to and the plan knows its name."""
    attribute = "server_id" if CONFIGURATION_TYPES[kind] == "postgres" else "server_name"
    server_kind = kind.removesuffix("_configuration")  # azurerm_postgresql_flexible_server
    servers = {
        (server["name"], server.get("resource_group_name"))
        for server in configuration.referenced(address, attribute, server_kind)
        if isinstance(server.get("name"), str)
    }
    if len(servers) != 1:
        return {}
    name, group = servers.pop()
    return {"server": name} | ({"resource_group": group} if isinstance(group, str) else {})


def _own(target: Target) -> AzureTarget:
    """The mapping is called with Azure targets only (`terraform.mapping.of`)."""
    assert isinstance(target, AzureTarget), target
    return target


TERRAFORM = AzureTerraform()
