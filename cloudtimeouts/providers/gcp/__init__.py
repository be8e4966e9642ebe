"""Google Cloud SQL for PostgreSQL and MySQL: database flags, through google-cloud-sql (v1beta4).

API facts used here (Cloud SQL Admin API reference, v1beta4):
- instances.get: `databaseVersion`, `settings.databaseFlags` (name/value strings) and
  `settings.settingsVersion` ("a required field for update method to make sure concurrent updates
  are handled properly"); a stale settingsVersion is answered 412 (staleData).
- instances.list: "Lists instances under a given project"; its items are the DatabaseInstance
  resources instances.get answers, paged ("if unspecified, at most 500 instances are returned.
  The maximum value is 1000"); ApiWarning REGION_UNREACHABLE: "the returned result set may be
  incomplete". A plan's first reads of several instances of a project come from one listing
  (`providers.listings`: its rules); a write's re-reads always call instances.get.
- instances.patch: `settings.databaseFlags` REPLACES the whole list, so every write sends the full
  merged list; it returns an Operation to poll with operations.get until DONE.
- flags.list?databaseVersion=...: per flag type, minValue/maxValue, allowed values and
  requiresRestart. A flag it does not list cannot be set on that version.
- Cloud SQL flags docs: "When you set, remove, or modify a flag for a database instance, the
  database might be restarted"; replicas restart too when their source does.
Only v1beta4 has the REST transport in google-cloud-sql 0.1.x. The generated clients set no default
timeout or retry, so every call passes both. Credentials: Application Default Credentials.
Endpoint: CLOUDTIMEOUTS_GCP_ENDPOINT (a base URL) overrides sqladmin.googleapis.com.

Retries and time: Cloud SQL's "Best practices" (use exponential backoff on 429 and 5xx) and Google
Cloud's retry strategy (truncated exponential backoff with jitter; retry 408, 429, 5xx and network
errors such as a connection reset only where the request is idempotent). Reads (GET) retry all
of those; instances.patch is not idempotent (settingsVersion moves on), so only a 429, which
Cloud SQL answers without doing anything, is sent again. A read timeout is never retried: an
endpoint that is silent once is likely to stay silent, and the call's budget matters more. Each
call's timeout is a deadline over its attempts (google-api-core's TimeToDeadlineTimeout), its
retries stop at `clients.CALLS.total_s`, and the access token is fetched before the call with
its own timeout and retries (`clients.SIGN_IN`; google-auth's default is 120 s), so that one call
ends within about 45 s and an unresponsive endpoint ends the target with an error within the
README's 60 s.

The package: `adapter` (GcpAdapter, and its instances.list for a plan's first reads; the
operations' budget), `clients` (credentials, the access token, the clients, their retries and
time budgets), `errors` (what Google said, in one message, on the shared base), `logs` (the
instances' server logs, from Cloud Logging's entries.list, for `diagnose --from-target`).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# name -> the module that defines it
_LAZY = {
    "GcpAdapter": "adapter",
    "engine_of_version": "adapter",
    "ENDPOINT_VARIABLE": "clients",
    "SCOPES": "clients",
    "LOGGING_ENDPOINT_VARIABLE": "logs",
    "server_logs": "logs",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    """`cloud` and `target` (what the core knows of Cloud SQL) import no SDK, so this face
    imports none either; what talks to Cloud SQL is reached through these names, on first use,
    and the SDK is imported first then: a missing SDK fails there, even when an adapter module is
    still loaded from an earlier import (`load_adapter` turns that into "pip install ...")."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import google.auth  # the SDK first
    import google.cloud.sqladmin_v1beta4  # noqa: F401

    return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
