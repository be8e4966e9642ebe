"""The server log of a Cloud SQL instance, read from Cloud Logging's `entries.list`.

Why through the API: at 3 a.m. the evidence of which timeout closed Django's connection is in
the database's own log, and Cloud SQL writes that log nowhere but Cloud Logging. `server_logs`
is the `providers.base.ServerLogs` of GCP (named by `cloud.CLOUD.logs`).

Why a direct REST call and not google-cloud-logging: that client speaks gRPC by default and
brings grpc, google-cloud-core, the App Engine and audit-log protos and opentelemetry; its HTTP
path (`Client(_use_grpc=False)`) takes no per-call timeout or retry. One POST with the same
credentials chain (Application Default Credentials), the same token handling (`clients.Signed`),
per-call budget and retries (`clients.read_options`: entries.list only reads, so it is retried
like a GET) and the same translation of errors (`errors`) costs no new dependency:
google-api-core's `exceptions.from_http_response` turns Google's JSON error into the exception
the Admin API's clients raise.

The API (Cloud Logging API v2 reference, "Method: entries.list",
https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/list): `POST
https://logging.googleapis.com/v2/entries:list` with `resourceNames` ("projects/[PROJECT_ID]"),
`filter` (the Logging query language), `orderBy` ("timestamp asc", the default, or "timestamp
desc"), `pageSize` ("Default is 50. If the value is negative or exceeds 1000, the request is
rejected") and `pageToken`; the answer `entries` (LogEntry: `logName`, `resource`, `timestamp`,
`textPayload`, ...) and `nextPageToken` ("If a value for nextPageToken appears and the entries
field is empty, it means that the search found no log entries so far but it did not have time
to search all the possible log entries": so a page may be empty and paging goes on). Scope
https://www.googleapis.com/auth/logging.read (or cloud-platform); IAM permission
`logging.logEntries.list` (roles/logging.viewer). Cloud Logging's quota: 60 entries.list
requests per minute per project ("Quotas and limits", API usage limits).

What Cloud SQL writes (Cloud SQL docs, "View instance logs" and "Cloud SQL audit and logs"):
entries on the monitored resource `cloudsql_database` with the label `database_id`
"PROJECT:INSTANCE", in the logs `cloudsql.googleapis.com/postgres.log` (PostgreSQL) and
`cloudsql.googleapis.com/mysql.err` (MySQL's error log), each line of the server's log one
entry's `textPayload`. Both log names are asked in one filter, so the engine need not be read
first (no cloudsql.instances.get: roles/logging.viewer is all this needs).

Each entry is handed to the readers as one JSON line `{"timestamp": ..., "textPayload": ...}`,
the `cloudsql-json` format of `diagnose.formats_server` (what `gcloud logging read
--format=json` exports): the entry's own timestamp then stands in when the text has none, and a
payload holding a line break stays one line.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote

import google.auth
import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc

from cloudtimeouts.errors import ProviderAuthError
from cloudtimeouts.providers.base import LogFile
from cloudtimeouts.providers.budget import LogsDeadline
from cloudtimeouts.providers.gcp import clients as gclients
from cloudtimeouts.providers.gcp.clients import ENDPOINT_VARIABLE, Signed, read_options
from cloudtimeouts.providers.gcp.errors import authorize, translated
from cloudtimeouts.providers.gcp.target import GcpTarget

LOGGING_ENDPOINT_VARIABLE = "CLOUDTIMEOUTS_GCP_LOGGING_ENDPOINT"
PUBLIC_LOGGING_ENDPOINT = "https://logging.googleapis.com"
# The narrower of the two scopes entries.list accepts (its reference, "Authorization scopes").
LOGGING_SCOPES = ("https://www.googleapis.com/auth/logging.read",)
OPERATION = "entries.list"
PAGE_SIZE = 1000  # entries.list's largest page
# The log ids of Cloud SQL's server logs, PostgreSQL's and MySQL's error log (module docstring).
LOG_IDS = ("cloudsql.googleapis.com/postgres.log", "cloudsql.googleapis.com/mysql.err")


class LogClient(Signed):
    """Cloud Logging's entries.list over HTTP, signed like the Admin API's clients."""

    def __init__(self, credentials: Any, endpoint: str) -> None:
        super().__init__(credentials, endpoint.rstrip("/"))
        self.session = requests.Session()

    def list_entries(self, body: dict[str, Any]) -> dict[str, Any]:
        """One page, retried as a read (429, 5xx, a reset connection) within `clients.CALLS`;
        an error answer raises google-api-core's exception for its status, as the generated
        clients do."""
        url = f"{self.endpoint}/v2/entries:list"

        def call() -> dict[str, Any]:
            headers: dict[str, str] = {"Content-Type": "application/json"}
            self.credentials.apply(headers)
            answer = self.session.post(
                url, data=json.dumps(body), headers=headers, timeout=gclients.CALLS.read_s
            )
            if answer.status_code >= 400:
                raise gexc.from_http_response(answer)
            page = answer.json()
            if not isinstance(page, dict):
                raise ValueError(f"entries.list answered {type(page).__name__}, not an object")
            return page

        retry = read_options()["retry"]
        result: dict[str, Any] = retry(call)()
        return result


def logging_endpoint() -> str:
    """CLOUDTIMEOUTS_GCP_LOGGING_ENDPOINT, else CLOUDTIMEOUTS_GCP_ENDPOINT (an emulator such as
    the sandbox's serves both APIs at one base URL), else Cloud Logging's own."""
    return (
        os.environ.get(LOGGING_ENDPOINT_VARIABLE)
        or os.environ.get(ENDPOINT_VARIABLE)
        or PUBLIC_LOGGING_ENDPOINT
    )


def default_log_client() -> LogClient:
    credentials, _project = google.auth.default(scopes=list(LOGGING_SCOPES))
    return LogClient(credentials, logging_endpoint())


def log_filter(target: GcpTarget, since: datetime) -> str:
    """The Logging query of the instance's server log since `since` (module docstring): a log
    name is `projects/PROJECT/logs/` and the log id URL-encoded ("LogEntry", logName)."""
    names = " OR ".join(
        f'logName="projects/{target.project}/logs/{quote(log_id, safe="")}"' for log_id in LOG_IDS
    )
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (
        f'resource.type="cloudsql_database" AND '
        f'resource.labels.database_id="{database_id(target)}" AND ({names}) AND '
        f'timestamp>="{stamp}"'
    )


def database_id(target: GcpTarget) -> str:
    """The `database_id` label of `cloudsql_database`: "PROJECT:INSTANCE"."""
    return f"{target.project}:{target.instance}"


def server_logs(
    target: GcpTarget,
    since: datetime,
    *,
    timeout: float,
    client_factory: Any = None,
) -> Iterator[LogFile]:
    """The instance's server log entries written since `since` (a naive time is UTC), oldest
    first, as one `LogFile` named by its log id (`cloudsql.googleapis.com/postgres.log`), each
    entry one JSON line, its pages fetched while the lines are read.

    Lazy: nothing is asked before the first item is taken; taking it reads the first page (the
    log's name is the first entry's). Raises a CloudtimeoutsError when a call fails
    (credentials, a permission, throttled or unanswered after the retries); no entry at all is
    a note, and so is a spent budget.
    """
    after = since if since.tzinfo else since.replace(tzinfo=UTC)
    budget = LogsDeadline(timeout)
    client = _client(target, client_factory or default_log_client)
    notes: list[str] = []
    body: dict[str, Any] = {
        "resourceNames": [f"projects/{target.project}"],
        "filter": log_filter(target, after),
        "orderBy": "timestamp asc",
        "pageSize": PAGE_SIZE,
    }
    instance = database_id(target)
    entries = _entries(target, client, body, budget, notes)
    first = next(entries, None)
    if first is None:
        when = f"{after.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
        said = "; ".join(notes) or (
            f"no server log entry in Cloud Logging since {when} ({', '.join(LOG_IDS)}): "
            "nothing was logged, or the entries are past the log bucket's retention"
        )
        yield LogFile("", instance, (), [f"{instance}: {said}"])
        return
    name = _log_id(str(first.get("logName", ""))) or LOG_IDS[0]
    yield LogFile(name, instance, _lines(first, entries, notes), notes)


def _client(target: GcpTarget, factory: Any) -> LogClient:
    try:
        client: LogClient = factory()
    except google.auth.exceptions.DefaultCredentialsError as error:
        raise ProviderAuthError(
            f"{target.id}: no usable Google credentials: {error}",
            hint="set up Application Default Credentials: gcloud auth application-default "
            "login, or GOOGLE_APPLICATION_CREDENTIALS=<key or credential configuration file>",
        ) from None
    return client


def _entries(
    target: GcpTarget,
    client: LogClient,
    body: dict[str, Any],
    budget: LogsDeadline,
    notes: list[str],
) -> Iterator[dict[str, Any]]:
    """Every entry of every page; an empty page with a nextPageToken goes on (module
    docstring); a token that comes back unchanged ends it, so that paging cannot loop."""
    token, read = "", 0
    while True:
        if budget.spent:
            notes.append(f"stopped after {read} entries: {budget.said()}")
            return
        asked = body | ({"pageToken": token} if token else {})
        authorize(target, OPERATION, client)
        with translated(target, OPERATION, client):
            page = client.list_entries(asked)
        for entry in page.get("entries") or ():
            if isinstance(entry, dict):
                read += 1
                yield entry
        following = page.get("nextPageToken") or ""
        if not following or following == token:
            return
        token = following


def _lines(
    first: dict[str, Any], rest: Iterator[dict[str, Any]], notes: list[str]
) -> Iterator[str]:
    """Each entry with a textPayload as one `cloudsql-json` line; the others counted."""
    other = 0
    for entry in itertools.chain((first,), rest):
        text = entry.get("textPayload")
        if not isinstance(text, str):
            other += 1
            continue
        yield json.dumps(
            {"timestamp": entry.get("timestamp"), "textPayload": text}, ensure_ascii=False
        )
    if other:
        notes.append(f"{other} entries without a textPayload left out")


def _log_id(log_name: str) -> str:
    """`projects/P/logs/cloudsql.googleapis.com%2Fpostgres.log` -> its log id, decoded."""
    _, found, encoded = log_name.partition("/logs/")
    return unquote(encoded) if found else ""
