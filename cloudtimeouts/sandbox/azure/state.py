"""What the fake Azure holds: flexible servers, their configurations, long-running operations.

Thread-safe through one re-entrant lock (``AzureState.lock``). Wire-free: the ARM layer renders
JSON; this module decides existence, validity and effects, and raises :class:`ArmError` with the
code Azure uses where the outcome is an error the client sees.

Behaviour, with the source each follows:
- Names of resource groups, servers and configurations are case-insensitive (ARM).
- A value that is set makes the parameter a ``user-override``; no value (or ``system-default``
  with the default) resets it (Configurations - Update: ``source`` "user-override"/"system-default",
  https://learn.microsoft.com/rest/api/postgresql/flexibleserver/configurations/update).
- A non-dynamic parameter keeps running its old value until a restart: ``isConfigPendingRestart``
  (and MySQL's ``currentValue``) show that.
- A long-running operation takes effect when it completes: after ``lro_polls_in_progress``
  status polls, or as soon as anyone reads the server (the service finishes the work whether or not
  the client keeps polling, so a client that lost the 202 still sees the outcome by reading).
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from cloudtimeouts.sandbox.azure.catalogue import DB_ENGINES, ServerParameter, parameters
from cloudtimeouts.sandbox.azure.errors import ArmError
from cloudtimeouts.sandbox.ranges import value_allowed

__all__ = ["FLAVOURS", "AzureState", "ConfigState", "Flavour", "Operation", "ServerState"]


@dataclass(frozen=True, slots=True)
class Flavour:
    """What differs between Azure Database for PostgreSQL and for MySQL flexible servers."""

    namespace: str
    default_version: str
    fqdn_suffix: str
    sku: Mapping[str, str]


# SKUs are the ones the catalogue's SKU-dependent defaults were taken for (see the data files).
FLAVOURS: dict[str, Flavour] = {
    "postgres": Flavour(
        "Microsoft.DBforPostgreSQL",
        "16",
        "postgres.database.azure.com",
        {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
    ),
    "mysql": Flavour(
        "Microsoft.DBforMySQL",
        "8.0.21",
        "mysql.database.azure.com",
        {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
    ),
}


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


_PATTERN_CHARS = re.compile(r"[\[\]*+?\\]")


def value_fits(value: str, data_type: str, allowed: str) -> bool:
    """``allowedValues`` as Azure writes them: ranges/lists (ranges.py) or, for strings, a regex.

    String parameters list patterns such as ``[A-Za-z._]*`` (search_path, temp_tablespaces,
    pgbouncer.stats_users in Microsoft's tables); those must match the whole value.
    """
    if value == allowed:
        return True
    if data_type.lower() == "string" and allowed and _PATTERN_CHARS.search(allowed):
        try:
            return re.fullmatch(allowed, value) is not None
        except re.error:
            return value == allowed
    return value_allowed(value, data_type, allowed)


@dataclass
class ConfigState:
    spec: ServerParameter
    value: str
    running: str  # what the engine uses now (differs from value while a restart is pending)
    read_only: bool
    dynamic: bool
    allowed_values: str
    source: str = "system-default"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pending_restart(self) -> bool:
        return self.value != self.running


@dataclass
class ServerState:
    subscription_id: str
    resource_group: str
    name: str
    engine: str
    version: str
    location: str
    configs: dict[str, ConfigState]  # lower-cased name -> state
    state: str = "Ready"

    @property
    def flavour(self) -> Flavour:
        return FLAVOURS[self.engine]

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{self.flavour.namespace}/flexibleServers/{self.name}"
        )


@dataclass
class Operation:
    id: str
    server: ServerState
    start_time: str
    polls_left: int
    apply: Callable[[], ConfigState | None]  # runs at completion; returns the final resource
    status: str = "InProgress"
    end_time: str | None = None
    result: ConfigState | None = None
    error: dict[str, str] | None = None

    @property
    def location(self) -> str:
        return self.server.location.replace(" ", "").lower()

    def finish(self) -> None:
        if self.status != "InProgress":
            return
        if self.error is not None:
            self.status = "Failed"
        else:
            self.result = self.apply()
            self.status = "Succeeded"
        self.end_time = now_iso()


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(part.lower() for part in parts)


@dataclass
class AzureState:
    lro_polls_in_progress: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)
    servers: dict[tuple[str, ...], ServerState] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    failing_operations: deque[tuple[str, str]] = field(default_factory=deque)

    # -- seeding --------------------------------------------------------------------------------
    def add_server(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        engine: str,
        version: str | None = None,
        overrides: Mapping[str, str] | None = None,
        *,
        location: str = "westeurope",
        read_only: Iterable[str] = (),
        static: Iterable[str] = (),
        allowed_values: Mapping[str, str] | None = None,
    ) -> ServerState:
        if engine not in DB_ENGINES:
            raise ValueError(f"engine must be 'postgres' or 'mysql', not {engine!r}")
        version = version or FLAVOURS[engine].default_version
        read_only_names = {n.lower() for n in read_only}
        static_names = {n.lower() for n in static}
        narrowed = {k.lower(): v for k, v in (allowed_values or {}).items()}
        configs: dict[str, ConfigState] = {}
        for spec in parameters(engine, version):
            key = spec.name.lower()
            configs[key] = ConfigState(
                spec=spec,
                value=spec.value,
                running=spec.value,
                read_only=spec.read_only or key in read_only_names,
                dynamic=spec.dynamic and key not in static_names,
                allowed_values=narrowed.get(key, spec.allowed_values),
            )
        unknown = (read_only_names | static_names | set(narrowed)) - set(configs)
        for key, value in (overrides or {}).items():
            config = configs.get(key.lower())
            if config is None:
                unknown.add(key)
                continue
            config.value = config.running = str(value)
            config.source = "user-override"
        if unknown:
            raise KeyError(f"not {engine} {version} parameters: {', '.join(sorted(unknown))}")
        server = ServerState(
            subscription_id, resource_group, name, engine, version, location, configs
        )
        with self.lock:
            self.servers[_key(subscription_id, resource_group, name)] = server
        return server

    def reset(self) -> None:
        with self.lock:
            self.servers.clear()
            self.operations.clear()
            self.failing_operations.clear()

    # -- lookup -----------------------------------------------------------------------------------
    def get(self, subscription_id: str, resource_group: str, name: str) -> ServerState:
        """The server, settled (pending operations finished); KeyError if there is none."""
        with self.lock:
            try:
                server = self.servers[_key(subscription_id, resource_group, name)]
            except KeyError:
                raise KeyError(f"no server {subscription_id}/{resource_group}/{name}") from None
            self.settle(server)
            return server

    def locate(self, sub: str, rg: str, name: str, engine: str, child: str | None) -> ServerState:
        """The server a request addresses, or ARM's 404 for what is missing.

        Codes as ARM reports each missing piece:
        https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-not-found
        """
        with self.lock:
            servers = list(self.servers.values())
            server = self.servers.get(_key(sub, rg, name))
            if server is not None and server.engine == engine:
                self.settle(server)
                return server
        if not any(s.subscription_id.lower() == sub.lower() for s in servers):
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        if not any(_key(s.subscription_id, s.resource_group) == _key(sub, rg) for s in servers):
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        namespace = FLAVOURS[engine].namespace
        if child is None:
            raise ArmError(
                404,
                "ResourceNotFound",
                f"The Resource '{namespace}/flexibleServers/{name}' under resource group '{rg}' "
                "was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            )
        raise ArmError(
            404,
            "ParentResourceNotFound",
            f"Failed to perform 'read' on resource(s) of type 'flexibleServers/{child}', because "
            f"the parent resource '/subscriptions/{sub}/resourceGroups/{rg}/providers/"
            f"{namespace}/flexibleServers/{name}' could not be found.",
        )

    @staticmethod
    def config(server: ServerState, name: str) -> ConfigState:
        """The named configuration, or 404 ConfigurationNotExists.

        Code and message as Azure answers an unknown (or not-in-this-version) parameter name:
        "The configuration 'x' does not exist for <server> server version 16." (az CLI output in
        Azure/azure-cli#30691, 2025). The 404 status is UNVERIFIED (older API versions answered
        500, Azure/azure-rest-api-specs#20424); 404 is what ARM uses for a missing child resource.
        """
        config = server.configs.get(name.lower())
        if config is None:
            raise ArmError(
                404,
                "ConfigurationNotExists",
                f"The configuration '{name}' does not exist for {server.name} server version "
                f"{server.version}.",
            )
        return config

    # -- changes ---------------------------------------------------------------------------------
    def validate(self, server: ServerState, name: str, value: str | None) -> ConfigState:
        config = self.config(server, name)
        if config.read_only:
            # Code and message as Azure answers for MySQL (Azure/azure-mysql#295); PostgreSQL is
            # assumed to answer the same (UNVERIFIED).
            raise ArmError(
                400,
                "ConfigurationReadOnly",
                f"The configuration(s) '{config.name}' is(are) read-only for {server.name} "
                f"server version {server.version}.",
            )
        if value is not None and not value_fits(
            value, config.spec.data_type, config.allowed_values
        ):
            # The pattern Azure's database RPs use for bad values (pulumi/pulumi-azure-native#898:
            # "Invalid value given for parameter ... Specify a valid parameter value.").
            raise ArmError(
                400,
                "InvalidParameterValue",
                f"Invalid value given for parameter {config.name}. Specify a valid parameter "
                "value.",
            )
        return config

    @staticmethod
    def assign(config: ConfigState, value: str | None, source: str | None) -> None:
        if value is None or (source == "system-default" and value == config.spec.default_value):
            config.value = config.spec.default_value
            config.source = "system-default"
        else:
            config.value = value
            config.source = "user-override"
        if config.dynamic:
            config.running = config.value

    def set_out_of_band(self, server: ServerState, name: str, value: str, source: str) -> None:
        with self.lock:
            config = self.config(server, name)
            config.value = str(value)
            if config.dynamic:
                config.running = config.value
            config.source = source

    # -- long-running operations -----------------------------------------------------------------
    def begin(self, server: ServerState, apply: Callable[[], ConfigState | None]) -> Operation:
        with self.lock:
            operation = Operation(
                str(uuid.uuid4()), server, now_iso(), self.lro_polls_in_progress, apply
            )
            if self.failing_operations:
                code, message = self.failing_operations.popleft()
                operation.error = {"code": code, "message": message}
            self.operations[operation.id] = operation
            return operation

    def advance(self, operation_id: str) -> Operation:
        """One status poll: InProgress while polls are left, then the outcome."""
        with self.lock:
            operation = self.operations.get(operation_id)
            if operation is None:
                raise ArmError(
                    404, "OperationNotFound", f"The operation '{operation_id}' could not be found."
                )
            if operation.status == "InProgress":
                if operation.polls_left > 0:
                    operation.polls_left -= 1
                else:
                    operation.finish()
            return operation

    def settle(self, server: ServerState) -> None:
        """Finish every operation still running on this server (its work is done by now)."""
        with self.lock:
            for operation in self.operations.values():
                if operation.server is server:
                    operation.finish()

    def restart(self, server: ServerState) -> Operation:
        with self.lock:
            server.state = "Restarting"

            def apply() -> None:
                for config in server.configs.values():
                    config.running = config.value
                server.state = "Ready"

            return self.begin(server, apply)
