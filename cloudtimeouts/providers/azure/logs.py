"""The server logs of an Azure Database for PostgreSQL or MySQL flexible server, through ARM.

Why through the API: at 3 a.m. the evidence of which timeout closed Django's connection is in
the server's own log, and the profile already names the server. `server_logs` is the
`providers.base.ServerLogs` of Azure (named by `cloud.CLOUD.logs`); it lists with the adapter's
credential, shared token, management clients, per-call budget and retries (`clients`), and says
a failure the same way (`errors`).

The API (Azure REST API specification, github.com/Azure/azure-rest-api-specs; the installed SDKs):
- PostgreSQL: ``GET .../Microsoft.DBforPostgreSQL/flexibleServers/{server}/logFiles`` ("List all
  the server log files in a given server", ``LogFiles_ListByServer``; azure-mgmt-
  postgresqlflexibleservers' ``captured_logs.list_by_server`` → ``CapturedLog``), paged by
  nextLink; each file's name, ``properties.lastModifiedTime``, ``sizeInKb``, ``type``
  (``ServerLogs`` or ``UpgradeLogs``, the SDK's CapturedLogProperties) and ``url``, a read-only
  SAS URL of the file in Azure Storage (examples/LogFilesListByServer.json of stable/2024-08-01).
  Azure captures the files only while the server parameter ``logfiles.download_enable`` is on
  (off by default; kept ``logfiles.retention_days``, 1 to 7 days: the server parameters' "Log
  Files" table, learn.microsoft.com/azure/postgresql): an empty list says it may be off.
- MySQL: the same path under Microsoft.DBforMySQL (``log_files.list_by_server`` → ``LogFile``;
  ``sizeInKB``), examples/LogFilesListByServer.json of FlexibleServers/stable/2023-12-30. Its
  error log is kept for download only with the server parameters ``error_server_log_file`` ON and
  ``log_output`` FILE ("Error logs in Azure Database for MySQL - Flexible Server").
- The list has no time filter: `since` is applied to ``lastModifiedTime`` here. A slow query log
  (``type`` ``slowlog``, the examples') and PostgreSQL's upgrade logs hold no closed connection:
  not read. Every other file is, oldest first.
- A file is read with one GET of its URL (`requests`, streamed): no bearer token goes there, the
  SAS is the authorisation; a 403 (the SAS expired, or storage refused it) or a 404 (the file
  rotated away since it was listed: "Status and error codes", Azure Storage REST reference) is
  a note, never fatal. The SAS query string (its signature) is never said.

Which engine: the profile does not say; PostgreSQL's listing is asked first, MySQL's when
PostgreSQL's says the server is not there (404) or refuses (403: a role granted on MySQL's
namespace only); when both fail, the first refusal (else "no such server") is the error.

Least privilege (Azure RBAC, "Azure permissions for Databases"):
``Microsoft.DBforPostgreSQL/flexibleServers/logFiles/read`` or
``Microsoft.DBforMySQL/flexibleServers/logFiles/read`` ("Return a list of server log files for a
server with file download links"), e.g. through the Reader role on the server; the download
itself needs no role (its URL carries a SAS).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cloudtimeouts.catalog import Engine
from cloudtimeouts.errors import TargetNotAllowedError
from cloudtimeouts.providers.azure import clients as azure_clients
from cloudtimeouts.providers.azure.clients import Clients
from cloudtimeouts.providers.azure.errors import DIALECT, NAMESPACES, translated
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.base import LogFile
from cloudtimeouts.providers.budget import LogsDeadline
from cloudtimeouts.providers.errors import Call, Failure, Kind, error_for, first_line, transport

LIST_ACTION = "{namespace}/flexibleServers/logFiles/read"
DENIED_HINT = (
    "the identity needs the Azure RBAC action "
    + LIST_ACTION.format(namespace=NAMESPACES[Engine.POSTGRES])
    + " (MySQL: "
    + LIST_ACTION.format(namespace=NAMESPACES[Engine.MYSQL])
    + ") on the server, e.g. the Reader role"
)
NOT_SERVER_LOGS = frozenset({"slowlog", "upgradelogs"})  # `type`, compared in lower case
CHUNK_BYTES = 64 * 1024
# A SAS signature is a secret: urllib3 names the URL it gave up on, query string and all.
_SIGNATURE = re.compile(r"(?i)\b(sig=)[^&\s'\")]+")
# Answers of Azure Storage worth a retry (408, 429, 5xx: Azure SDK guidelines, "Retry policy").
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_EMPTY = {
    Engine.POSTGRES: (
        "Azure captures PostgreSQL's server logs for download only while the server parameter "
        "logfiles.download_enable is on (off by default): it may be off"
    ),
    Engine.MYSQL: (
        "Azure keeps MySQL's error log for download only with the server parameters "
        "error_server_log_file = ON and log_output = FILE: they may be off"
    ),
}


@dataclass(frozen=True, slots=True)
class Listed:
    """One file of the listing, as both SDKs' models say it."""

    name: str
    modified: datetime | None
    kind: str
    url: str


def server_logs(
    target: AzureTarget, since: datetime, *, timeout: float, credential: Any = None
) -> Iterator[LogFile]:
    """Every server log file of the target's server last modified since `since` (a naive time
    is UTC), oldest first, each file's lines downloaded while they are read.

    Lazy: nothing is asked before the first item is taken. Raises a CloudtimeoutsError when the
    listing fails (credentials, a permission, throttled or unanswered after the retries) or a
    download does after its retries; a file refused or gone is a note (`LogFile.notes`).
    """
    budget = LogsDeadline(timeout)
    after = since if since.tzinfo else since.replace(tzinfo=UTC)
    engine, listed = _listing(Clients(credential, poll_interval=0.0), target)
    server = target.server
    if not listed:
        yield LogFile("", server, (), [f"{server}: no server log files listed: {_EMPTY[engine]}"])
        return
    wanted = sorted(
        (f for f in listed if f.kind.lower() not in NOT_SERVER_LOGS and _since(f, after)),
        key=lambda f: (f.modified or after, f.name),
    )
    if not wanted:
        when = f"{after.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
        yield LogFile("", server, (), [f"{server}: no server log modified since {when}"])
        return
    session = blob_session()
    for file in wanted:
        notes: list[str] = []
        yield LogFile(file.name, server, _lines(session, target, file, notes, budget), notes)


def _since(file: Listed, after: datetime) -> bool:
    return file.modified is None or file.modified >= after


def _listing(clients: Clients, target: AzureTarget) -> tuple[Engine, list[Listed]]:
    """(the server's engine, its listed files): PostgreSQL's listing, else MySQL's (module
    docstring, "Which engine")."""
    doing = "list the server log files"
    refused: HttpResponseError | None = None
    for engine in (Engine.POSTGRES, Engine.MYSQL):
        client = clients.get(target.subscription_id, engine)
        operations = client.captured_logs if engine is Engine.POSTGRES else client.log_files
        with translated(target, doing, DENIED_HINT):
            try:
                pages = operations.list_by_server(target.resource_group, target.server)
                return engine, [_listed(raw, engine) for raw in pages]
            except ResourceNotFoundError:
                continue
            except HttpResponseError as error:
                if error.status_code != 403:
                    raise
                refused = refused or error
    if refused is not None:
        with translated(target, doing, DENIED_HINT):
            raise refused
    raise TargetNotAllowedError(
        f"{target.id}: no PostgreSQL or MySQL flexible server {target.server} in resource "
        f"group {target.resource_group}"
    )


def _listed(raw: Any, engine: Engine) -> Listed:
    """A CapturedLog (PostgreSQL: its `type` is the resource type, the file's is in
    `properties`) or a LogFile (MySQL: flat, `type_properties_type`)."""
    if engine is Engine.POSTGRES:
        properties = getattr(raw, "properties", None)
        kind = getattr(properties, "type", None)
    else:
        kind = getattr(raw, "type_properties_type", None)
    modified = getattr(raw, "last_modified_time", None)
    if isinstance(modified, datetime) and modified.tzinfo is None:
        modified = modified.replace(tzinfo=UTC)
    return Listed(str(raw.name), modified, str(kind or ""), str(getattr(raw, "url", "") or ""))


def blob_session() -> requests.Session:
    """A requests session for the files' URLs: the management clients' CallBudget (attempts,
    back-off, a connection refused tried once more), Retry-After honoured, the environment's
    proxies and CA bundle (REQUESTS_CA_BUNDLE), as azure-core's own transport."""
    calls = azure_clients.CALLS
    retry = Retry(
        total=(calls.attempts or 1) - 1,
        connect=azure_clients.RETRY_CONNECT,
        read=1,  # a silent endpoint: once more, not every attempt's read timeout over again
        status_forcelist=sorted(RETRY_STATUS),
        allowed_methods=frozenset({"GET"}),
        backoff_factor=calls.backoff_s,
        backoff_max=calls.backoff_max_s,
        respect_retry_after_header=True,
        raise_on_status=False,  # the last answer is read and said (`_refused`)
        redirect=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return session


def _lines(
    session: requests.Session,
    target: AzureTarget,
    file: Listed,
    notes: list[str],
    budget: LogsDeadline,
) -> Iterator[str]:
    """The file's lines from its start, streamed chunk by chunk (module docstring)."""
    if budget.spent:
        notes.append(f"{file.name} on {target.server}: not read: {budget.said()}")
        return
    call = _call(target, file)
    calls = azure_clients.CALLS
    read, pending = 0, ""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        with session.get(file.url, stream=True, timeout=(calls.connect_s, calls.read_s)) as answer:
            if answer.status_code >= 400:
                _refused(call, file, target, answer, notes)
                return
            for chunk in answer.iter_content(CHUNK_BYTES):
                *complete, pending = (pending + decoder.decode(chunk)).split("\n")
                for line in complete:
                    read += 1
                    yield line.removesuffix("\r")
                if budget.spent:
                    notes.append(
                        f"{file.name} on {target.server}: stopped after {read} lines: "
                        f"{budget.said()}"
                    )
                    return
    except requests.RequestException as error:
        kind = transport(error, silent=(requests.Timeout,))
        said = _SIGNATURE.sub(r"\1…", first_line(error))
        failure = Failure(kind, type(error).__name__, said, retried=True)
        raise error_for(call, failure, DIALECT) from None
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending.removesuffix("\r")


def _call(target: AzureTarget, file: Listed) -> Call:
    """The download, for an error: the storage endpoint without the URL's path and SAS."""
    parts = urlsplit(file.url)
    where = f"{parts.scheme}://{parts.netloc}"
    failed = f"{target.id}: could not download the server log file {file.name}"
    return Call(target.id, "download the server log file", failed, where)


def _refused(
    call: Call, file: Listed, target: AzureTarget, answer: requests.Response, notes: list[str]
) -> None:
    """An error answer after the retries: throttled or 5xx is the run's error; any other 4xx
    (403: the SAS expired or refused; 404: rotated away since listed) a note."""
    status = answer.status_code
    code = answer.headers.get("x-ms-error-code") or str(status)
    if status in RETRY_STATUS:
        kind = Kind.THROTTLED if status in (429, 503) else Kind.ANSWERED
        failure = Failure(kind, code, f"{code}: HTTP {status}", status=status, retried=True)
        raise error_for(call, failure, DIALECT)
    why = {
        403: "refused (the download link's SAS expired or was refused: list again)",
        404: "gone (rotated away or removed since it was listed)",
    }.get(status, "not read")
    notes.append(f"{file.name} on {target.server}: {why}: HTTP {status} {code}; skipped")
