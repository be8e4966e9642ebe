"""The ARM wire for Microsoft.DBforPostgreSQL / Microsoft.DBforMySQL flexible servers.

An ``App`` for :class:`~cloudtimeouts.sandbox.loopback.LoopbackServer`: names each request (the
operation names listed in the package docstring), answers it, and shapes injected faults as ARM
does. Entra ID paths on the same port are handed to :class:`~.entra.EntraId`.

Sources (each behaviour below names the one it follows):
- Configurations REST reference (paths, verbs, status codes, batch update):
  https://learn.microsoft.com/rest/api/postgresql/flexibleserver/configurations and
  https://learn.microsoft.com/rest/api/mysql/flexibleserver/configurations
- Long-running operations: 202 with ``Azure-AsyncOperation``, ``Location`` and ``Retry-After``;
  the status monitor answers ``{"status": "InProgress"|"Succeeded"|"Failed"}``; the Location
  monitor answers 202 while running, then the final resource (200) or 204:
  https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
- Throttling: 429 with ``Retry-After`` and ``x-ms-ratelimit-remaining-subscription-reads|writes``:
  https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
- The installed SDKs (what is sent and parsed): api-version defaults in each ``_configuration.py``,
  status-code lists of ``ConfigurationsOperations``, ``azure/core/pipeline/policies/_retry.py``
  (a >= 400 answer with Retry-After is retried whatever the method; without it, POST and PATCH
  are retried only on 500/503/504).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from cloudtimeouts.sandbox.azure.access import ENGINE_OF, api_version, authenticate
from cloudtimeouts.sandbox.azure.entra import EntraId
from cloudtimeouts.sandbox.azure.errors import ArmError
from cloudtimeouts.sandbox.azure.logs import (
    BLOB_DOWNLOAD,
    LIST_OPERATION,
    LogStore,
    authorize,
    blob_fault,
    is_blob,
)
from cloudtimeouts.sandbox.azure.shapes import config_json, operation_json, server_json
from cloudtimeouts.sandbox.azure.state import FLAVOURS, AzureState, ConfigState, ServerState
from cloudtimeouts.sandbox.loopback import Fault, Request, Response

__all__ = ["ArmApp", "ArmSettings"]


class ArmSettings(Protocol):
    """Knobs read at each request (tests change them on the fly)."""

    lro_retry_after: int
    page_size: int
    servers_page_size: int
    throttle_retry_after: int
    denied_actions: set[str]  # RBAC actions the caller's role lacks: 403 AuthorizationFailed


def _is_server_listing(p: list[str]) -> bool:
    """/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/flexibleServers"""
    return (
        len(p) == 7
        and p[0] == "subscriptions"
        and p[2] == "resourcegroups"
        and p[4] == "providers"
        and p[6] == "flexibleservers"
        and p[5] in ENGINE_OF
    )


def _json(status: int, body: Any | None = None, headers: dict[str, str] | None = None) -> Response:
    request_id = str(uuid.uuid4())
    base = {"x-ms-request-id": request_id, "x-ms-correlation-request-id": request_id}
    base["Cache-Control"] = "no-cache"
    payload = b"" if body is None else json.dumps(body).encode()
    if payload:
        base["Content-Type"] = "application/json; charset=utf-8"
    return Response(status, payload, {**base, **(headers or {})})


def _parts(request: Request) -> list[str]:
    return [part for part in request.path.split("/") if part]


def _method_not_allowed(method: str) -> ArmError:
    # ARM's answer for a verb a resource type does not support (code name UNVERIFIED; the message
    # is ARM's, MicrosoftDocs/azure-docs#66328).
    return ArmError(
        405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'."
    )


class ArmApp:
    """ARM for flexible servers plus Entra ID, one HTTPS port."""

    def __init__(
        self,
        state: AzureState,
        entra: EntraId,
        base_url: Callable[[], str],
        settings: ArmSettings,
        logs: LogStore,
    ) -> None:
        self.state = state
        self.logs = logs
        self.entra = entra
        self._base_url = base_url
        self.settings = settings

    # -- App protocol ------------------------------------------------------------------------------
    def operation(self, request: Request) -> str:
        entra = self.entra.operation(request)
        if entra is not None:
            return entra
        if is_blob(request):
            return BLOB_DOWNLOAD if request.method == "GET" else "unknown"
        p = [part.lower() for part in _parts(request)]
        method = request.method
        if len(p) == 8 and p[0] == "subscriptions" and p[2] == "providers" and p[4] == "locations":
            return {
                "azureasyncoperation": "operations.get",
                "operationresults": "operationResults.get",
            }.get(p[6], "unknown")
        if _is_server_listing(p):
            return "servers.listByResourceGroup" if method == "GET" else "unknown"
        if not (len(p) >= 8 and p[0] == "subscriptions" and p[2] == "resourcegroups"):
            return "unknown"
        engine = ENGINE_OF.get(p[5])
        rest = p[8:]
        names = {
            ((), "GET"): "servers.get",
            (("restart",), "POST"): "servers.restart",
            (("configurations",), "GET"): "configurations.listByServer",
            (("configurations", "*"), "GET"): "configurations.get",
            (("configurations", "*"), "PATCH"): "configurations.update",
            (("configurations", "*"), "PUT"): (
                "configurations.put" if engine == "postgres" else "configurations.createOrUpdate"
            ),
            (("updateconfigurations",), "POST"): "configurations.batchUpdate",
            (("logfiles",), "GET"): LIST_OPERATION,
        }
        shape = tuple(
            "*" if i == 1 and rest[0] == "configurations" else s for i, s in enumerate(rest)
        )
        return names.get((shape, method), "unknown")

    def handle(self, request: Request) -> Response:
        if request.operation in ("token", "openid-configuration"):
            return self.entra.handle(request)
        if request.operation == BLOB_DOWNLOAD:
            return self.logs.download(request)
        try:
            return self._arm(request)
        except ArmError as error:
            return _json(error.status, error.body(), error.headers)
        except Exception as error:  # a bug in the fake still answers as ARM does
            failure = ArmError(500, "InternalServerError", f"emulator error: {error!r}")
            return _json(500, failure.body())

    def fault_response(self, fault: Fault, request: Request) -> Response:
        if request.operation in ("token", "openid-configuration"):
            return self.entra.fault_response(fault, request)
        if request.operation == BLOB_DOWNLOAD:
            return blob_fault(fault, self.settings.throttle_retry_after)
        if fault is Fault.THROTTLE:
            # 429 + Retry-After (request-limits-and-throttling); the remaining-requests header is
            # 0 for the kind of request throttled. The message wording is UNVERIFIED.
            reads = request.method in ("GET", "HEAD")
            kind = "reads" if reads else "writes"
            error = ArmError(
                429,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation type "
                f"- {'Read' if reads else 'Write'}_ObservationWindow_00:05:00. For more "
                "information, see - https://aka.ms/srpthrottlinglimits",
                {
                    "Retry-After": str(self.settings.throttle_retry_after),
                    f"x-ms-ratelimit-remaining-subscription-{kind}": "0",
                },
            )
        elif fault is Fault.SERVER_ERROR:
            # ARM's generic 500 from a database RP (Azure/azure-rest-api-specs#20424).
            error = ArmError(
                500,
                "InternalServerError",
                "An unexpected error occured while processing the request. "
                f"Tracking ID: '{uuid.uuid4()}'",
            )
        else:  # LOST_RESPONSE: processed, but the client is told 503 (wording UNVERIFIED)
            error = ArmError(
                503, "ServiceUnavailable", "The service is temporarily unavailable; retry later."
            )
        return _json(error.status, error.body(), error.headers)

    # -- routing -----------------------------------------------------------------------------------
    def _arm(self, request: Request) -> Response:
        parts = _parts(request)
        p = [part.lower() for part in parts]
        if len(p) < 2 or p[0] != "subscriptions":
            raise ArmError(404, "NotFound", f"No route for '{request.path}'.")
        authenticate(request, self.entra, self._base_url())
        if len(p) == 8 and p[2] == "providers" and p[4] == "locations":
            # /subscriptions/{sub}/providers/{ns}/locations/{loc}/{monitor}/{id}
            version = api_version(parts[3], request)
            if request.method != "GET":
                raise _method_not_allowed(request.method)
            if p[6] == "azureasyncoperation":
                return self._operation_status(parts[7])
            if p[6] == "operationresults":
                return self._operation_result(parts[7], version)
        if _is_server_listing(p):
            if request.method != "GET":
                raise _method_not_allowed(request.method)
            version = api_version(parts[5], request)
            return self._list_servers(request, parts[1], parts[3], ENGINE_OF[p[5]], version)
        if (
            len(p) >= 8
            and p[2] == "resourcegroups"
            and p[4] == "providers"
            and p[6] == "flexibleservers"
        ):
            version = api_version(parts[5], request)
            return self._server_route(request, parts, ENGINE_OF[p[5]], version)
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{'/'.join(parts[2:])}' could not be found.",
        )

    def _list_servers(
        self, request: Request, sub: str, rg: str, engine: str, version: str
    ) -> Response:
        """Servers - List By Resource Group (learn.microsoft.com/rest/api/postgresql/servers/
        list-by-resource-group; MySQL's is alike): {"value": [Server, ...], "nextLink"?}, paged
        with $skipToken (the emulator's choice, as for configurations)."""
        state = self.state
        with state.lock:
            group = [
                s
                for s in state.servers.values()
                if (s.subscription_id.lower(), s.resource_group.lower())
                == (sub.lower(), rg.lower())
            ]
            if not group:
                raise ArmError(
                    404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
                )
            items = [server_json(s) for s in group if s.engine == engine]
        link = f"{self._base_url()}{request.path}?api-version={quote(version)}"
        return _page(items, request, self.settings.servers_page_size, link)

    def _server_route(
        self, request: Request, parts: list[str], engine: str, version: str
    ) -> Response:
        sub, rg, name, rest = parts[1], parts[3], parts[7], parts[8:]
        lower = [s.lower() for s in rest]
        if lower == ["logfiles"]:
            # ARM checks the caller's role on the scope before the resource provider looks
            # anything up: a refused caller learns nothing of what exists.
            namespace = FLAVOURS[engine].namespace
            scope = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}"
            action = f"{namespace}/flexibleServers/logFiles/read"
            authorize(self.settings.denied_actions, action, f"{scope}/flexibleServers/{name}")
        server = self.state.locate(sub, rg, name, engine, lower[0] if lower else None)
        method = request.method
        if not rest:
            if method != "GET":
                raise _method_not_allowed(method)
            with self.state.lock:
                return _json(200, server_json(server))
        if lower == ["configurations"]:
            if method != "GET":
                raise _method_not_allowed(method)
            return self._list(request, server, version)
        if len(rest) == 2 and lower[0] == "configurations":
            if method == "GET":
                with self.state.lock:
                    return _json(200, config_json(server, self.state.config(server, rest[1])))
            if method in ("PUT", "PATCH"):
                # PG: Configurations - Put (PUT) / Update (PATCH) -> 202; MySQL: Create Or Update
                # (PUT) / Update (PATCH) -> 200|202. The fake always runs them as operations.
                return self._update(server, rest[1], self._body(request), version)
            raise _method_not_allowed(method)
        if lower == ["logfiles"]:
            if method != "GET":
                raise _method_not_allowed(method)
            return self._log_files(request, server, version)
        if lower == ["updateconfigurations"] and engine == "mysql":
            if method != "POST":
                raise _method_not_allowed(method)
            return self._batch_update(server, self._body(request), version)
        if lower == ["restart"]:
            # Servers - Restart (both engines): POST, 202 + operation.
            if method != "POST":
                raise _method_not_allowed(method)
            return self._accepted(self.state.restart(server).id, server, version)
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type 'flexibleServers/{'/'.join(rest)}' could not be found in the "
            f"namespace '{server.flavour.namespace}' for api version '{version}'.",
        )

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body.decode("utf-8")) if request.body else None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized.",
            )
        return body

    @staticmethod
    def _value(body: dict[str, Any]) -> tuple[str | None, str | None]:
        # PG nests value/source under "properties"; MySQL's batch items carry them flat or nested.
        props = body.get("properties", body)
        if not isinstance(props, dict):
            raise ArmError(400, "InvalidRequestContent", "'properties' must be an object.")
        value, source = props.get("value"), props.get("source")
        return (None if value is None else str(value)), (None if source is None else str(source))

    # -- reads -------------------------------------------------------------------------------------
    def _list(self, request: Request, server: ServerState, version: str) -> Response:
        # {"value": [...], "nextLink": ...}. MySQL also takes keyword / page / pageSize (1-based
        # page); PostgreSQL pages with $skipToken. nextLink keeps the filters: the SDKs follow it
        # verbatim, re-adding only api-version.
        query = {name: request.query_value(name) for name in request.query}
        mysql_paging = server.engine == "mysql" and ("page" in query or "pageSize" in query)
        with self.state.lock:
            configs = list(server.configs.values())
            keyword = query.get("keyword", "").lower() if server.engine == "mysql" else ""
            if keyword:
                configs = [c for c in configs if keyword in c.name.lower()]
            items = [config_json(server, c) for c in configs]
        kept = {
            k: v
            for k, v in query.items()
            if k not in ("api-version", "page", "pageSize", "$skipToken")
        }
        base = f"{self._base_url()}{server.arm_id}/configurations?api-version={quote(version)}"
        base += "".join(f"&{quote(k)}={quote(v)}" for k, v in kept.items())
        if mysql_paging:
            size = max(1, int(query.get("pageSize") or self.settings.page_size))
            page = max(1, int(query.get("page") or 1))
        else:
            size = max(1, self.settings.page_size)
            page = int(query.get("$skipToken") or 0) // size + 1
        start = (page - 1) * size
        result: dict[str, Any] = {"value": items[start : start + size]}
        if start + size < len(items):
            if mysql_paging:
                result["nextLink"] = f"{base}&page={page + 1}&pageSize={size}"
            else:
                result["nextLink"] = f"{base}&$skipToken={start + size}"
        return _json(200, result)

    def _log_files(self, request: Request, server: ServerState, version: str) -> Response:
        """Captured Logs / Log Files - List By Server (`logs`), behind the RBAC action
        `{namespace}/flexibleServers/logFiles/read` (checked in `_server_route`)."""
        items = self.logs.listing(server, self._base_url())
        link = f"{self._base_url()}{server.arm_id}/logFiles?api-version={quote(version)}"
        return _page(items, request, max(1, self.settings.page_size), link)

    # -- writes ------------------------------------------------------------------------------------
    def _update(
        self, server: ServerState, name: str, body: dict[str, Any], version: str
    ) -> Response:
        value, source = self._value(body)
        with self.state.lock:
            config = self.state.validate(server, name, value)

            def apply() -> ConfigState:
                self.state.assign(config, value, source)
                return config

            return self._accepted(self.state.begin(server, apply).id, server, version)

    def _batch_update(self, server: ServerState, body: dict[str, Any], version: str) -> Response:
        # https://learn.microsoft.com/rest/api/mysql/flexibleserver/configurations/batch-update
        # {"value": [{"name", "properties": {"value", "source"}}], "resetAllToDefault": "True"}
        # All or nothing: one bad item rejects the batch; read-only names are listed together.
        reset_all = str(body.get("resetAllToDefault", "False")).lower() == "true"
        with self.state.lock:
            planned: list[tuple[ConfigState, str | None, str | None]] = []
            read_only: list[str] = []
            for item in body.get("value") or []:
                name = str(item.get("name", ""))
                value, source = self._value(item)
                config = self.state.config(server, name)
                if config.read_only:
                    read_only.append(config.name)
                    continue
                planned.append((self.state.validate(server, name, value), value, source))
            if read_only:
                names = "','".join(read_only)
                raise ArmError(
                    400,
                    "ConfigurationReadOnly",
                    f"The configuration(s) '{names}' is(are) read-only for "
                    f"{server.name} server version {server.version}.",
                )

            def apply() -> None:
                if reset_all:
                    for config in server.configs.values():
                        if not config.read_only:
                            self.state.assign(config, None, "system-default")
                for config, value, source in planned:
                    self.state.assign(config, value, source)

            return self._accepted(self.state.begin(server, apply).id, server, version)

    # -- long-running operations -------------------------------------------------------------------
    def _accepted(self, operation_id: str, server: ServerState, version: str) -> Response:
        location = server.location.replace(" ", "").lower()
        prefix = (
            f"{self._base_url()}/subscriptions/{server.subscription_id}/providers/"
            f"{server.flavour.namespace}/locations/{location}"
        )
        suffix = f"{operation_id}?api-version={quote(version)}"
        return _json(
            202,
            None,
            {
                "Azure-AsyncOperation": f"{prefix}/azureAsyncOperation/{suffix}",
                "Location": f"{prefix}/operationResults/{suffix}",
                "Retry-After": str(self.settings.lro_retry_after),
            },
        )

    def _operation_status(self, operation_id: str) -> Response:
        operation = self.state.advance(operation_id)
        headers = {}
        if operation.status == "InProgress":
            headers["Retry-After"] = str(self.settings.lro_retry_after)
        return _json(200, operation_json(operation), headers)

    def _operation_result(self, operation_id: str, version: str) -> Response:
        operation = self.state.advance(operation_id)
        if operation.status == "InProgress":
            return _json(202, None, {"Retry-After": str(self.settings.lro_retry_after)})
        if operation.status == "Failed":
            error = operation.error or {
                "code": "OperationFailed",
                "message": "The operation failed.",
            }
            raise ArmError(400, error["code"], error["message"])
        if operation.result is None:
            return _json(204)
        with self.state.lock:
            return _json(200, config_json(operation.server, operation.result))


def _page(items: list[Any], request: Request, size: int, link: str) -> Response:
    """One page of an ARM list: `value`, and a `nextLink` carrying `$skipToken` while more
    remain (the list operations' `x-ms-pageable` shape)."""
    start = int(request.query_value("$skipToken") or 0)
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        body["nextLink"] = f"{link}&$skipToken={start + size}"
    return _json(200, body)
