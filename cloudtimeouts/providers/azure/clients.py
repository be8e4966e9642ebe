"""The credential, its tokens, the management clients, and their time budget.

Credentials come from DefaultAzureCredential (or the one a caller passes); one management client
per (subscription, engine) serves every server of it. CLOUDTIMEOUTS_AZURE_ENDPOINT overrides the
ARM endpoint (sovereign clouds, Azure Stack, the sandbox).

Sign-in: every client takes its tokens from one `SharedToken` around the credential, so that the
16 reads a plan starts at once in a subscription make one token request, not 16 (azure-core's
BearerTokenCredentialPolicy holds no lock and keeps its token per client; azure-identity's
in-memory cache, "Token caching in the Azure Identity client library", serves a token once one is
cached, but nothing stops concurrent misses from each asking Entra ID: `providers.flight`).

Retries and time (Azure Resource Manager, "Understand how Resource Manager throttles requests":
on 429 wait the Retry-After seconds; Azure SDK guidelines, "Retry policy": exponential back-off on
408, 429 and 5xx, and on connection failures): azure-core's RetryPolicy does this and honours
Retry-After; it does not resend a PATCH or POST after a 500/503/504 without Retry-After or after
the connection dropped once the request was sent (the answer may hide a write), which the
orchestration then reconciles by reading. Every request has a connect and a read timeout, the
management clients AND the azure-identity credential's token requests alike (left alone, both
would wait 300 s and retry 10 times); the retries of one call stop after `CALLS.total_s`, so that
an unresponsive endpoint ends a target with an error well within the README's 60 s.

Connections: azure-core's RequestsTransport keeps at most 10 connections per host (requests'
default pool) while a plan reads up to 64 targets at once through one client: when more than 10
calls ended together, the connections past the tenth were closed and the next calls paid a new
TLS handshake each. Each management client's transport keeps POOL_CONNECTIONS (as aws/clients).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import requests
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import DefaultAzureCredential
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cloudtimeouts.catalog import Engine
from cloudtimeouts.providers.azure.errors import arm_endpoint
from cloudtimeouts.providers.budget import CallBudget
from cloudtimeouts.providers.flight import Flights

# ARM answers in well under a second; an operation is polled, not awaited. azure-core's back-off
# is backoff_s * 2 ** (retry - 1) after the first retry (0, 1.6, 3.2, ... s; Retry-After wins).
CALLS = CallBudget(
    connect_s=5.0, read_s=20.0, total_s=30.0, attempts=5, backoff_s=0.8, backoff_max_s=8.0
)
# A connection that cannot be made (refused, no route, a connect timeout: azure-core's "connect"
# errors, where the request never left) is tried once more at once, not four times over 4.8 s of
# back-off: a refused port is a wrong endpoint, which AWS and GCP report at once too.
RETRY_CONNECT = 1
# azure-core's BearerTokenCredentialPolicy asks for a new token this long before the one it holds
# expires (DEFAULT_REFRESH_WINDOW_SECONDS); the shared token follows the same rule.
REFRESH_WINDOW_S = 300
# Connections kept per host by a management client: one per target read at once, all scopes
# together (the orchestration's MAX_THREADS, as aws/clients' POOL_CONNECTIONS).
POOL_CONNECTIONS = 64
_KNOWN_AUTHORITIES = (
    "login.microsoftonline.com",
    "login.chinacloudapi.cn",
    "login.microsoftonline.us",
)
_SOVEREIGN_ARM_HOSTS = ("management.chinacloudapi.cn", "management.usgovcloudapi.net")


def transport_options() -> dict[str, Any]:
    """azure-core's per-request timeouts and RetryPolicy settings for `CALLS`, read when a
    client is made."""
    return {
        "connection_timeout": CALLS.connect_s,
        "read_timeout": CALLS.read_s,
        "retry_total": (CALLS.attempts or 1) - 1,  # retries, the first attempt not counted
        "retry_connect": RETRY_CONNECT,
        "retry_backoff_factor": CALLS.backoff_s,
        "retry_backoff_max": CALLS.backoff_max_s,
        "timeout": CALLS.total_s,
    }


def pooled_transport() -> RequestsTransport:
    """azure-core's RequestsTransport as it makes its own (urllib3's retries off: azure-core's
    RetryPolicy retries; proxies from the environment), keeping POOL_CONNECTIONS connections, with
    `transport_options()`'s connect and read timeouts. It owns its session and closes it."""
    session = requests.Session()
    session.trust_env = True
    adapter = HTTPAdapter(
        pool_connections=POOL_CONNECTIONS,
        pool_maxsize=POOL_CONNECTIONS,
        max_retries=Retry(total=False, redirect=False, raise_on_status=False),
    )
    for scheme in ("http://", "https://"):
        session.mount(scheme, adapter)
    return RequestsTransport(session=session, session_owner=True, **transport_options())


def default_credential() -> Any:
    authority = os.environ.get("AZURE_AUTHORITY_HOST", "")
    custom = bool(authority) and not any(host in authority for host in _KNOWN_AUTHORITIES)
    # MSAL validates an unknown authority against the public cloud's instance discovery; a custom
    # authority (Azure Stack, the sandbox) must skip that lookup. The transport and retry options
    # reach every credential of the chain that makes HTTP requests (their pipelines take them).
    return DefaultAzureCredential(disable_instance_discovery=custom, **transport_options())


class SharedToken:
    """A credential whose tokens are shared by every client and thread that uses it.

    A token is kept until azure-core would refresh it (its `refresh_on`, else REFRESH_WINDOW_S
    before it expires); while one is fetched, every other caller for the same scopes and options
    waits for it (`providers.flight`). A failed sign-in reaches every caller that waited for it
    as the credential raised it (each target then says it in its own words) and is not kept: the
    next caller asks again. A claims challenge (CAE) always asks the credential itself. Tokens
    live in this object only, never in a message.
    """

    def __init__(self, credential: Any) -> None:
        self.credential = credential
        self._lock = threading.Lock()
        self._tokens: dict[tuple[Any, ...], AccessTokenInfo] = {}
        self._flights: Flights[AccessTokenInfo] = Flights()

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        options = dict(options or {})
        if options.get("claims"):  # a claims challenge needs a token for those claims
            return self._fetch(scopes, options)
        key = (scopes, tuple(sorted(options.items())))
        return self._fresh(key) or self._flights.run(
            key,  # asked again in the flight: one that landed meanwhile is not fetched twice
            lambda: self._fresh(key) or self._keep(key, self._fetch(scopes, options)),
        )

    def _fresh(self, key: tuple[Any, ...]) -> AccessTokenInfo | None:
        with self._lock:
            token = self._tokens.get(key)
        return token if token is not None and not _due(token) else None

    def _keep(self, key: tuple[Any, ...], token: AccessTokenInfo) -> AccessTokenInfo:
        with self._lock:
            self._tokens[key] = token
        return token

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The older TokenCredential protocol, on the same shared tokens."""
        options = {"claims": claims, "tenant_id": tenant_id, "enable_cae": enable_cae or None}
        info = self.get_token_info(*scopes, options={k: v for k, v in options.items() if v})
        return AccessToken(info.token, info.expires_on)

    def close(self) -> None:
        getattr(self.credential, "close", lambda: None)()

    def _fetch(self, scopes: tuple[str, ...], options: dict[str, Any]) -> AccessTokenInfo:
        if hasattr(self.credential, "get_token_info"):
            info: AccessTokenInfo = self.credential.get_token_info(*scopes, options=options)
            return info
        token = self.credential.get_token(*scopes, **options)  # a TokenCredential only
        return AccessTokenInfo(token.token, token.expires_on)


def _due(token: AccessTokenInfo) -> bool:
    """azure-core's rule (`_should_refresh_token`): at `refresh_on`, else close to expiry."""
    now = time.time()
    if token.refresh_on:
        return token.refresh_on <= now
    return token.expires_on - now < REFRESH_WINDOW_S


class Clients:
    """One shared credential per adapter; one management client per (subscription, engine)."""

    def __init__(self, credential: Any, poll_interval: float) -> None:
        self._credential = SharedToken(credential) if credential is not None else None
        self._poll_interval = poll_interval
        self._clients: dict[tuple[str, Engine], Any] = {}
        self._lock = threading.Lock()
        self.endpoint = arm_endpoint()

    def get(self, subscription_id: str, engine: Engine) -> Any:
        key = (subscription_id, engine)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(subscription_id, engine)
            return self._clients[key]

    def _new_client(self, subscription_id: str, engine: Engine) -> Any:
        if self._credential is None:
            self._credential = SharedToken(default_credential())
        options: dict[str, Any] = {
            "base_url": self.endpoint,
            "polling_interval": self._poll_interval,
            **transport_options(),
            "transport": pooled_transport(),
        }
        if any(self.endpoint.endswith(host) for host in _SOVEREIGN_ARM_HOSTS):
            # Sovereign clouds issue tokens for their own ARM audience; elsewhere (the public
            # cloud, emulators such as the sandbox) the SDK's default audience applies.
            options["credential_scopes"] = [f"{self.endpoint}/.default"]
        if engine is Engine.POSTGRES:
            from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

            return PostgreSQLManagementClient(self._credential, subscription_id, **options)
        from azure.mgmt.mysqlflexibleservers import MySQLManagementClient

        return MySQLManagementClient(self._credential, subscription_id, **options)
