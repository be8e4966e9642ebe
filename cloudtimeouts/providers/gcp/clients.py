"""Credentials, the access token, the three REST clients and the retries of their calls.

`Signed` (credentials, one endpoint, the token before a call) also serves Cloud Logging's
`entries.list` (`logs`).

Credentials: Application Default Credentials, scope sqlservice.admin. The access token is fetched
before each call when the one held is no longer valid, with its own timeout and retries
(google-auth's default would wait 120 s, and a token failure would look like the API's).
Retries: Cloud SQL's "Best practices" (exponential backoff on 429 and 5xx) and Google Cloud's retry
strategy (truncated exponential backoff; 408, 429, 5xx and network errors only where the request is
idempotent). The budgets (`CALLS`, `SIGN_IN`: `providers.budget`) are read when a call is made.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

import google.auth
import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth.credentials import Credentials
from google.cloud import sqladmin_v1beta4 as sql

from cloudtimeouts.providers.budget import CallBudget
from cloudtimeouts.providers.flight import Flights
from cloudtimeouts.providers.trust import refused

ENDPOINT_VARIABLE = "CLOUDTIMEOUTS_GCP_ENDPOINT"
PUBLIC_ENDPOINT = "https://sqladmin.googleapis.com"
# Every Cloud SQL Admin API method accepts this scope (or cloud-platform); it is the narrower one.
SCOPES = ("https://www.googleapis.com/auth/sqlservice.admin",)
# OAuth 2.0 error codes that mean "try again" (RFC 6749 section 4.1.2.1; google-auth retries the
# same ones for its own token requests).
_TRANSIENT_OAUTH_ERRORS = frozenset({"temporarily_unavailable", "server_error", "internal_failure"})
# Every API call: one timeout per attempt (requests takes one number as both its connect and read
# timeouts), a deadline over the attempts (google-api-core's TimeToDeadlineTimeout), retries with
# truncated exponential back-off as Google's retry guidance describes, none started after 40 s.
CALLS = CallBudget(
    connect_s=20.0, read_s=20.0, total_s=40.0, attempts=None, backoff_s=0.5, backoff_max_s=8.0
)
# The access token, before a call: google-auth's own default would wait 120 s.
SIGN_IN = CallBudget(
    connect_s=10.0, read_s=10.0, total_s=25.0, attempts=None, backoff_s=0.5, backoff_max_s=8.0
)


class _NoProjectWarning(logging.Filter):
    """google.auth.default() warns on stderr when ADC names no project; targets name theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No project ID could be determined")


logging.getLogger("google.auth._default").addFilter(_NoProjectWarning())


def endpoint() -> str:
    """The Cloud SQL Admin API base URL in use (CLOUDTIMEOUTS_GCP_ENDPOINT overrides it)."""
    return os.environ.get(ENDPOINT_VARIABLE) or PUBLIC_ENDPOINT


class Signed:
    """Credentials and the one endpoint its calls go to, the access token fetched before a call.

    Shared by the Cloud SQL Admin API's clients (`Clients`) and Cloud Logging's (`logs`), so
    that both sign in the same way, within the same budget, and say a failure the same way
    (`errors.translated` names `endpoint`, or `token_endpoint` while the token is fetched).
    """

    def __init__(self, credentials: Credentials, endpoint: str) -> None:
        self.credentials = credentials
        self.endpoint = endpoint
        self._token_flights: Flights[None] = Flights()
        self._token_request = google.auth.transport.requests.Request()
        # target id -> the endpoint its current (or last) call went to, so that a target the
        # orchestration gives up on is said to wait on the token URL when that is what is silent
        self.waiting: dict[str, str] = {}

    @property
    def token_endpoint(self) -> str:
        for name in ("token_url", "token_uri", "_token_uri"):  # by kind of credentials
            url = getattr(self.credentials, name, None)
            if isinstance(url, str) and url:
                return url
        return "the credentials' token endpoint"

    def authorize(self) -> None:
        """Get an access token now, bounded and retried, unless the one held is still valid.

        The clients would refresh it themselves inside the next call, but then a token failure
        would look like the API's, and the refresh would wait up to google-auth's 120 s. One
        refresh serves every call that needs it meanwhile (`providers.flight`): a plan starts 16
        reads of a project at once, and they share one token request, and its failure.
        """
        if not self.credentials.valid:
            self._token_flights.run("token", self._refresh)

    def _refresh(self) -> None:
        if self.credentials.valid:  # refreshed by a flight that ended meanwhile
            return
        request = functools.partial(self._token_request, timeout=SIGN_IN.read_s)
        refresh = functools.partial(self.credentials.refresh, request)
        _retry_within(SIGN_IN, _transient_token_error)(refresh)()


class Clients(Signed):
    """The three REST clients, sharing one set of credentials and one endpoint."""

    def __init__(self, credentials: Credentials, endpoint: str | None) -> None:
        super().__init__(credentials, endpoint or PUBLIC_ENDPOINT)
        options = {"api_endpoint": endpoint} if endpoint else None
        common: dict[str, Any] = {
            "credentials": credentials,
            "transport": "rest",
            "client_options": options,
        }
        self.instances = sql.SqlInstancesServiceClient(**common)
        self.operations = sql.SqlOperationsServiceClient(**common)
        self.flags = sql.SqlFlagsServiceClient(**common)


def default_clients() -> Clients:
    credentials, _project = google.auth.default(scopes=list(SCOPES))
    return Clients(credentials, os.environ.get(ENDPOINT_VARIABLE) or None)


def _retry_within(budget: CallBudget, predicate: Any) -> gretry.Retry:
    return gretry.Retry(
        predicate=predicate,
        initial=budget.backoff_s,
        maximum=budget.backoff_max_s,
        multiplier=budget.backoff_multiplier,
        timeout=budget.total_s,
    )


def read_options() -> dict[str, Any]:
    """The retry and timeout of a read (GET), which is idempotent: 429, 5xx and a connection that
    failed or was reset are retried (a silent endpoint, a read timeout, is not: see the package
    docstring), and so is 503, but never a TLS failure or a refused connection (`_untrusted`)."""
    listed = gretry.if_exception_type(
        gexc.TooManyRequests,
        gexc.ServiceUnavailable,
        gexc.InternalServerError,
        gexc.BadGateway,
        gexc.GatewayTimeout,
        requests.exceptions.ConnectionError,  # but not a refused one (`_untrusted`)
    )
    retry = _retry_within(CALLS, lambda error: listed(error) and not _untrusted(error))
    return {"retry": retry, "timeout": CALLS.read_s}


def patch_options() -> dict[str, Any]:
    """instances.patch is not idempotent (settingsVersion moves on): only a 429, which Cloud SQL
    answers without doing anything, is sent again."""
    retry = _retry_within(CALLS, gretry.if_exception_type(gexc.TooManyRequests))
    return {"retry": retry, "timeout": CALLS.read_s}


def _transient_token_error(error: Exception) -> bool:
    """Worth asking the token endpoint again: it could not be reached, or said "try again"."""
    if isinstance(error, google.auth.exceptions.TransportError):
        cause = error.__cause__
        return isinstance(cause, requests.exceptions.ConnectionError) and not _untrusted(cause)
    if isinstance(error, google.auth.exceptions.GoogleAuthError):
        return bool(getattr(error, "retryable", False)) or (
            oauth_error_code(error) in _TRANSIENT_OAUTH_ERRORS
        )
    return False


def _untrusted(error: BaseException) -> bool:
    """No retry mends it: a TLS failure (a certificate not trusted, a CA bundle not found), or a
    connection refused (nothing listens there: `trust.refused`), which would otherwise be
    retried for `CALLS.total_s` while the other clouds fail it at once."""
    return isinstance(error, requests.exceptions.SSLError) or refused(error)


def oauth_error_code(error: BaseException) -> str | None:
    """The `error` field of the token endpoint's JSON answer (RFC 6749 section 5.2), if any."""
    for argument in error.args[1:]:
        body = argument
        if isinstance(argument, str | bytes):
            try:
                body = json.loads(argument)
            except ValueError:
                continue
        if isinstance(body, Mapping) and isinstance(body.get("error"), str):
            return str(body["error"])
    return None
