"""AzureAdapter: read a flexible server's parameters, write them, follow the operations.

API facts used here (Azure REST API reference, Microsoft.DBforPostgreSQL / Microsoft.DBforMySQL
flexibleServers):
- Servers - Get, and Servers - List By Resource Group (`GET .../resourceGroups/{rg}/providers/
  {namespace}/flexibleServers`, paged with nextLink; learn.microsoft.com/rest/api/postgresql/
  servers/list-by-resource-group, the same on Microsoft.DBforMySQL), which returns the Server
  resources of Servers - Get: a plan's first reads of several servers of a resource group take
  their `version` from one listing per engine (`providers.listings`: its rules); a write's re-reads
  always call Servers - Get.
- Configurations - List By Server / Get / Update, MySQL's Batch Update (`parameters`,
  `operations`).

The package: `adapter` (this), `clients` (the credential and its shared tokens, the management
clients, their time budget), `errors` (what Azure said, in one message, on the shared base),
`parameters` (configurations as the core's ParameterState), `operations` (long-running updates).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)

from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import CloudtimeoutsError, TargetNotAllowedError
from cloudtimeouts.model import Change, TargetState, WriteOutcome
from cloudtimeouts.providers.azure import operations
from cloudtimeouts.providers.azure.clients import Clients
from cloudtimeouts.providers.azure.errors import authority, set_aside, translated
from cloudtimeouts.providers.azure.operations import run_operation
from cloudtimeouts.providers.azure.parameters import (
    configuration,
    name_of,
    parameter_state,
    source,
)
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.engines import other_engine
from cloudtimeouts.providers.listings import Listings

_ENGINE_LABELS = {Engine.POSTGRES: "PostgreSQL", Engine.MYSQL: "MySQL"}


class AzureAdapter:
    """One credential per run; one management client per (subscription, engine), thread-safe."""

    def __init__(self, credential: Any = None, poll_interval: float | None = None) -> None:
        polled = operations.OPERATIONS.poll_s if poll_interval is None else poll_interval
        self._clients = Clients(credential, polled)
        self._listings = Listings(set_aside)

    def expect(self, targets: Sequence[AzureTarget]) -> None:
        """A resource group with several servers in the plan is listed once, at a first read."""
        self._listings.expect((_group(target), target.server.lower()) for target in targets)

    def engine(self, target: AzureTarget) -> Engine:
        """PostgreSQL and MySQL flexible servers live under two resource providers: ask both."""
        for engine in (Engine.POSTGRES, Engine.MYSQL):
            with translated(target, "read the server"):
                try:
                    self._client(target, engine).servers.get(target.resource_group, target.server)
                except ResourceNotFoundError:
                    continue
            return engine
        raise TargetNotAllowedError(
            f"{target.id}: no PostgreSQL or MySQL flexible server {target.server} in resource "
            f"group {target.resource_group}"
        )

    def endpoint(self, target: AzureTarget) -> str:
        return f"{self._clients.endpoint} (sign-in: {authority()})"

    def read(self, target: AzureTarget, engine: Engine, names: Collection[str]) -> TargetState:
        client = self._client(target, engine)
        server, listed_as = None, target.server.lower()
        listing = self._listings.claim(_group(target), listed_as, (*_group(target), engine))
        if listing is not None:  # a plan's first read: from the resource group's listing
            with translated(target, "read the server"):
                server = listing.take(
                    listed_as,
                    lambda: (
                        (str(found.name).lower(), found)
                        for found in client.servers.list_by_resource_group(target.resource_group)
                    ),
                )
        if server is None:  # not listed, or not in the listing: its own 404 if it is missing
            with translated(target, "read the server"):
                try:
                    server = client.servers.get(target.resource_group, target.server)
                except ResourceNotFoundError:
                    self._explain_missing_server(target, engine)
                    raise
        version = str(getattr(server, "version", "") or "")
        wanted = {name.lower(): name for name in names}
        with translated(target, "list the server parameters"):
            # Only the parameters the profile manages are read into a Configuration (a server
            # lists hundreds; see `parameters.configuration` for what reading one costs).
            found = {
                wanted[name_of(raw).lower()]: configuration(raw)
                for raw in client.configurations.list_by_server(
                    target.resource_group, target.server
                )
                if name_of(raw).lower() in wanted
            }
        return TargetState(
            target_id=target.id,
            engine=engine,
            parameters={name: parameter_state(name, config) for name, config in found.items()},
            version=f"{_ENGINE_LABELS[engine]} {version}".strip(),
        )

    def write(
        self, target: AzureTarget, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome:
        client = self._client(target, state.engine)
        if state.engine is Engine.MYSQL:
            self._write_mysql(client, target, changes)
            written = tuple(change.parameter for change in changes)
        else:
            written = self._write_postgres(client, target, changes)
        notes: tuple[str, ...] = ()
        try:  # written already: a failure here is a note, not a failed write
            with translated(target, "re-read the server parameters"):
                pending = tuple(
                    change.parameter
                    for change in changes
                    for config in [
                        configuration(
                            client.configurations.get(
                                target.resource_group, target.server, change.parameter
                            )
                        )
                    ]
                    if config.pending_restart
                )
        except CloudtimeoutsError as error:
            pending, notes = (
                (),
                (f"could not check which parameters wait for a restart: {error.message}",),
            )
        if pending:
            notes = (
                f"server {target.server} has parameters waiting for a restart "
                f"(isConfigPendingRestart): {', '.join(pending)}; restart it when you choose "
                f"(az {'postgres' if state.engine is Engine.POSTGRES else 'mysql'} "
                f"flexible-server restart)",
            )
        return WriteOutcome(written=written, pending_restart=pending, notes=notes)

    def _write_postgres(
        self, client: Any, target: AzureTarget, changes: Sequence[Change]
    ) -> tuple[str, ...]:
        from azure.mgmt.postgresqlflexibleservers.models import (
            ConfigurationForUpdate,
            ConfigurationProperties,
        )

        written: list[str] = []
        for change in changes:  # one at a time: a server accepts one configuration change at once
            update = ConfigurationForUpdate(
                properties=ConfigurationProperties(value=change.desired, source=source(change))
            )
            run_operation(
                target,
                f"set {change.parameter} to {change.desired}",
                lambda update=update, name=change.parameter: client.configurations.begin_update(
                    target.resource_group, target.server, name, update
                ),
                written=written,
                sent=[change.parameter],
            )
            written.append(change.parameter)
        return tuple(written)

    def _write_mysql(self, client: Any, target: AzureTarget, changes: Sequence[Change]) -> None:
        from azure.mgmt.mysqlflexibleservers.models import (
            ConfigurationForBatchUpdate,
            ConfigurationListForBatchUpdate,
        )

        # One batch: Azure applies it as one operation (never with reset_all_to_default).
        batch = ConfigurationListForBatchUpdate(
            value=[
                ConfigurationForBatchUpdate(
                    name=change.parameter, value=change.desired, source=source(change)
                )
                for change in changes
            ]
        )
        names = [change.parameter for change in changes]
        run_operation(  # one operation: all or none
            target,
            f"set {', '.join(names)}",
            lambda: client.configurations.begin_batch_update(
                target.resource_group, target.server, batch
            ),
            written=[],
            sent=names,
        )

    def _client(self, target: AzureTarget, engine: Engine) -> Any:
        return self._clients.get(target.subscription_id, engine)

    def _explain_missing_server(self, target: AzureTarget, engine: Engine) -> None:
        """A 404 for the profile's engine: is it a server of the other engine?"""
        other = Engine.MYSQL if engine is Engine.POSTGRES else Engine.POSTGRES
        try:
            self._client(target, other).servers.get(target.resource_group, target.server)
        except (HttpResponseError, ServiceRequestError, ClientAuthenticationError):
            return
        what = f"{target.server} is an Azure Database for {_ENGINE_LABELS[other]} flexible server"
        raise other_engine(target.id, what, engine, "a server")


def _group(target: AzureTarget) -> tuple[str, str]:
    return target.subscription_id.lower(), target.resource_group.lower()  # ARM: case-insensitive
