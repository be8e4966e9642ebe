"""The server log files of the fake flexible servers: the ARM listing and the blob they point to.

Why: `diagnose --from-target` reads an Azure server's own log through the API
(`providers.azure.logs`); the tests and the sandbox need a server whose log says which timeout
closed a connection, served on the wire the real SDKs and `requests` read.

What the wire follows:
- The listing, ``GET .../flexibleServers/{server}/logFiles`` (PostgreSQL: "Captured Logs - List By
  Server", azure-mgmt-postgresqlflexibleservers' ``captured_logs.list_by_server``; MySQL: "Log
  Files - List By Server", azure-mgmt-mysqlflexibleservers' ``log_files.list_by_server``), answers
  ``{"value": [...], "nextLink"?}`` with each file as the REST API specification's examples show
  it (github.com/Azure/azure-rest-api-specs, ``specification/postgresql/resource-manager/
  Microsoft.DBforPostgreSQL/stable/2024-08-01/examples/LogFilesListByServer.json`` and
  ``specification/mysql/resource-manager/Microsoft.DBforMySQL/FlexibleServers/stable/2023-12-30/
  examples/LogFilesListByServer.json``): ``{"properties": {"sizeInKb" (MySQL: "sizeInKB"),
  "createdTime", "lastModifiedTime", "type", "url"}, "id", "name", "type":
  "{namespace}/flexibleServers/logFiles"}``. Paged with $skipToken (the emulator's choice, as
  for configurations).
- ``properties.type``: PostgreSQL's server logs are ``ServerLogs`` (Get-AzPostgreSqlFlexibleServer
  CapturedLog's example output; the SDK's CapturedLogProperties: "'ServerLogs' or
  'UpgradeLogs'"), the examples' slow query log is ``slowlog``; MySQL's error log is
  ``errorlog`` here (UNVERIFIED: no example names it). Default names: PostgreSQL's
  ``postgresql_YYYY_MM_DD_HH_00_00.log`` (the same example output), MySQL's
  ``mysql-error-{server}-YYYYMMDDHH.log`` (UNVERIFIED: after the example's
  ``mysql-slow-mysqltestsvc1-2018022823.log``).
- ``properties.url`` is a SAS URL of a storage blob (``https://{account}.blob.core.windows.net/
  {container}/...?sv=...&se=...&sp=r&sig=...``): here ``{emulator}/{container}/serverlogs/
  {name}?...`` on the same port, the container an opaque id per server. The download needs no
  bearer token, the signature is checked (Azure Storage, "Create a service SAS"); a wrong or
  missing one, or one past its ``se``, is 403 ``AuthenticationFailed``; a file removed since it
  was listed is 404 ``BlobNotFound``; errors as Azure Storage sends them (XML ``<Error><Code>``
  and ``x-ms-error-code``: "Status and error codes", Azure Storage REST reference).
- PostgreSQL captures files only with the server parameter ``logfiles.download_enable`` on
  (Microsoft's server parameter table, "Log Files"): here a file exists when `put` made it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from cloudtimeouts.sandbox.azure.errors import ArmError
from cloudtimeouts.sandbox.azure.state import ServerState
from cloudtimeouts.sandbox.loopback import Fault, Request, Response

__all__ = [
    "BLOB_DOWNLOAD",
    "LIST_OPERATION",
    "LogFileState",
    "LogStore",
    "authorize",
    "blob_fault",
    "is_blob",
]

LIST_OPERATION = "logFiles.listByServer"
BLOB_DOWNLOAD = "logFiles.download"
SAS_VERSION = "2025-03-15"  # the PostgreSQL example URL's `sv`
KINDS = {"postgres": "ServerLogs", "mysql": "errorlog"}


@dataclass
class LogFileState:
    name: str
    text: str
    created: _dt.datetime
    modified: _dt.datetime
    kind: str


@dataclass
class LogStore:
    """Every server's log files, and the blob container each server's files are served from."""

    sas_lifetime: _dt.timedelta = _dt.timedelta(hours=1)
    lock: threading.RLock = field(default_factory=threading.RLock)
    files: dict[tuple[str, ...], dict[str, LogFileState]] = field(default_factory=dict)
    containers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def reset(self) -> None:
        with self.lock:
            self.files.clear()
            self.containers.clear()

    # -- seeding --------------------------------------------------------------------------------
    def put(
        self,
        server: ServerState,
        text: str,
        name: str | None,
        modified: _dt.datetime,
        kind: str | None,
    ) -> str:
        """Append `text` (a final line break added when missing) to one of the server's files."""
        name = name or default_name(server, modified)
        with self.lock:
            files = self.files.setdefault(_key(server), {})
            found = files.get(name.lower())
            if found is None:
                found = LogFileState(name, "", modified, modified, kind or KINDS[server.engine])
                files[name.lower()] = found
            found.text += text if text.endswith("\n") or not text else text + "\n"
            found.modified = modified
            if kind:
                found.kind = kind
        return name

    def remove(self, server: ServerState, name: str) -> None:
        with self.lock:
            del self.files[_key(server)][name.lower()]

    # -- the listing ----------------------------------------------------------------------------
    def listing(self, server: ServerState, base_url: str) -> list[dict[str, Any]]:
        with self.lock:
            files = sorted(self.files.get(_key(server), {}).values(), key=lambda f: f.name)
            return [self._json(server, file, base_url) for file in files]

    def _json(self, server: ServerState, file: LogFileState, base_url: str) -> dict[str, Any]:
        size = "sizeInKb" if server.engine == "postgres" else "sizeInKB"
        return {
            "properties": {
                size: (len(file.text.encode()) + 1023) // 1024,
                "createdTime": _iso(file.created),
                "lastModifiedTime": _iso(file.modified),
                "type": file.kind,
                "url": self.url(server, file.name, base_url),
            },
            "id": f"{server.arm_id}/logFiles/{file.name}",
            "name": file.name,
            "type": f"{server.flavour.namespace}/flexibleServers/logFiles",
        }

    def url(self, server: ServerState, name: str, base_url: str) -> str:
        """The file's blob SAS URL, read-only, valid for `sas_lifetime`."""
        path = f"/{self._container(server)}/serverlogs/{name}"
        expiry = (_dt.datetime.now(_dt.UTC) + self.sas_lifetime).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = {"sv": SAS_VERSION, "sr": "b", "se": expiry, "sp": "r"}
        query["sig"] = self._sign(path, expiry)
        return f"{base_url}{quote(path)}?{urlencode(query)}"

    def _container(self, server: ServerState) -> str:
        """The server's blob container: an opaque id, made at its first URL."""
        with self.lock:
            found = next((c for c, key in self.containers.items() if key == _key(server)), None)
            if found is None:
                found = uuid.uuid4().hex
                self.containers[found] = _key(server)
            return found

    def _sign(self, path: str, expiry: str) -> str:
        return hmac.new(self._secret, f"{path}\n{expiry}".encode(), hashlib.sha256).hexdigest()

    # -- the blob -------------------------------------------------------------------------------
    def download(self, request: Request) -> Response:
        """Get Blob: the whole file as text, or Azure Storage's 403/404."""
        expiry, signature = request.query_value("se"), request.query_value("sig")
        if not signature or not hmac.compare_digest(signature, self._sign(request.path, expiry)):
            return storage_error(
                403,
                "AuthenticationFailed",
                "Server failed to authenticate the request. Make sure the value of Authorization "
                "header is formed correctly including the signature.",
            )
        if _expired(expiry):
            return storage_error(
                403,
                "AuthenticationFailed",
                "Server failed to authenticate the request. Signed expiry time "
                f"[{expiry}] must be after signed start time.",
            )
        parts = [part for part in request.path.split("/") if part]
        with self.lock:
            key = self.containers.get(parts[0])
            found = self.files.get(key or (), {}).get("/".join(parts[2:]).lower())
            if found is None:
                return storage_error(404, "BlobNotFound", "The specified blob does not exist.")
            body = found.text.encode()
        headers = {"Content-Type": "application/octet-stream", "x-ms-blob-type": "BlockBlob"}
        return Response(200, body, headers)


def is_blob(request: Request) -> bool:
    """``/{container}/serverlogs/{name}``: the container is 32 hexadecimal digits."""
    parts = [part for part in request.path.split("/") if part]
    return (
        len(parts) >= 3
        and parts[1] == "serverlogs"
        and len(parts[0]) == 32
        and all(c in "0123456789abcdef" for c in parts[0])
    )


def storage_error(status: int, code: str, message: str, retry_after: int | None = None) -> Response:
    """Azure Storage's error answer: XML ``<Error><Code>`` and the ``x-ms-error-code`` header."""
    request_id = str(uuid.uuid4())
    body = (
        '<?xml version="1.0" encoding="utf-8"?><Error>'
        f"<Code>{code}</Code><Message>{message}\nRequestId:{request_id}\n"
        f"Time:{_iso(_dt.datetime.now(_dt.UTC))}</Message></Error>"
    ).encode()
    headers = {
        "Content-Type": "application/xml",
        "x-ms-error-code": code,
        "x-ms-request-id": request_id,
    }
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(status, body, headers)


def blob_fault(fault: Fault, retry_after: int) -> Response:
    """Injected faults on the blob as Azure Storage says them ("Status and error codes": 503
    ServerBusy when an account's limits are reached, 500 InternalError)."""
    if fault is Fault.SERVER_ERROR:
        return storage_error(500, "InternalError", "The server encountered an internal error.")
    return storage_error(
        503, "ServerBusy", "The server is currently unable to receive requests.", retry_after
    )


def default_name(server: ServerState, modified: _dt.datetime) -> str:
    """The name the server gives the hour's file (module docstring)."""
    hour = modified.astimezone(_dt.UTC)
    if server.engine == "postgres":
        return f"postgresql_{hour:%Y_%m_%d_%H}_00_00.log"
    return f"mysql-error-{server.name}-{hour:%Y%m%d%H}.log"


def authorize(denied: set[str], action: str, scope: str) -> None:
    """ARM's 403 AuthorizationFailed for an RBAC action the caller's role lacks (Azure RBAC,
    "Troubleshoot Azure RBAC": "The client '…' with object id '…' does not have authorization to
    perform action '…' over scope '…' or the scope is invalid.")."""
    if action.lower() not in {name.lower() for name in denied}:
        return
    principal = "00000000-0000-0000-0000-000000000000"
    raise ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{principal}' with object id '{principal}' does not have authorization to "
        f"perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials.",
    )


def _key(server: ServerState) -> tuple[str, ...]:
    return (server.subscription_id.lower(), server.resource_group.lower(), server.name.lower())


def _iso(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.UTC).isoformat()


def _expired(expiry: str) -> bool:
    try:
        moment = _dt.datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.UTC)
    except ValueError:
        return True
    return moment <= _dt.datetime.now(_dt.UTC)
