"""The JSON bodies ARM answers for flexible servers, configurations and operation status.

- Servers - Get: https://learn.microsoft.com/rest/api/postgresql/flexibleserver/servers/get and
  https://learn.microsoft.com/rest/api/mysql/flexibleserver/servers/get
- Configurations - Get / List By Server:
  https://learn.microsoft.com/rest/api/postgresql/flexibleserver/configurations/get and
  https://learn.microsoft.com/rest/api/mysql/flexibleserver/configurations/get. PostgreSQL nests
  the values under ``properties`` with JSON booleans and a ``unit``; MySQL also nests them but
  sends the is* flags as the strings "True"/"False" and the running value as ``currentValue``
  (az CLI output in Microsoft's "WordPress on AKS with MySQL flexible server" tutorial:
  ``"isDynamicConfig": "True"``, ``"currentValue": "OFF"``). ``dataType`` is capitalised on the
  wire ("Integer", "Enumeration", "Set": az CLI outputs in learn.microsoft.com) while Microsoft's
  parameter tables spell it in lower case.
- Operation status (Azure-AsyncOperation monitor):
  https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
  ``{"name", "status", "startTime", "endTime"?, "error"?}`` (as logged for
  Microsoft.DBforPostgreSQL in hashicorp/terraform-provider-azurerm#14530).
"""

from __future__ import annotations

from typing import Any

from cloudtimeouts.sandbox.azure.state import ConfigState, Operation, ServerState

__all__ = ["config_json", "operation_json", "server_json"]


def server_json(server: ServerState) -> dict[str, Any]:
    flavour = server.flavour
    properties: dict[str, Any] = {
        "administratorLogin": "cloudtimeouts",
        "version": server.version,
        "state": server.state,
        "fullyQualifiedDomainName": f"{server.name}.{flavour.fqdn_suffix}",
        "storage": {"storageSizeGB": 128, "autoGrow": "Disabled"},
        "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
        "network": {"publicNetworkAccess": "Enabled"},
        "highAvailability": {"mode": "Disabled"},
        "availabilityZone": "1",
        "replicationRole": "Primary" if server.engine == "postgres" else "None",
    }
    return {
        "id": server.arm_id,
        "name": server.name,
        "type": f"{flavour.namespace}/flexibleServers",
        "location": server.location,
        "tags": {},
        "sku": dict(flavour.sku),
        "properties": properties,
    }


def _wire_type(data_type: str) -> str:
    return data_type[:1].upper() + data_type[1:]


def config_json(server: ServerState, config: ConfigState) -> dict[str, Any]:
    spec = config.spec
    props: dict[str, Any] = {
        "value": config.value,
        "description": spec.description,
        "defaultValue": spec.default_value,
        "dataType": _wire_type(spec.data_type),
        "allowedValues": config.allowed_values,
        "source": config.source,
    }
    if server.engine == "postgres":
        props.update(
            isDynamicConfig=config.dynamic,
            isReadOnly=config.read_only,
            isConfigPendingRestart=config.pending_restart,
            unit=spec.unit,
            documentationLink=spec.documentation_link,
        )
    else:
        props.update(
            currentValue=config.running,
            isReadOnly=str(config.read_only),
            isConfigPendingRestart=str(config.pending_restart),
            isDynamicConfig=str(config.dynamic),
            documentationLink=spec.documentation_link,
        )
    return {
        "id": f"{server.arm_id}/configurations/{spec.name}",
        "name": spec.name,
        "type": f"{server.flavour.namespace}/flexibleServers/configurations",
        "properties": props,
    }


def operation_json(operation: Operation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": operation.id,
        "status": operation.status,
        "startTime": operation.start_time,
    }
    if operation.end_time:
        body["endTime"] = operation.end_time
    if operation.status == "Failed" and operation.error:
        body["error"] = operation.error
    return body
