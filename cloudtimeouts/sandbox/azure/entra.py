"""Microsoft Entra ID as MSAL sees it for a custom authority: OIDC discovery and the token endpoint.

Only the client-credentials grant with a shared secret, which is what ``EnvironmentCredential`` /
``DefaultAzureCredential`` use with ``AZURE_CLIENT_SECRET``:
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow

Routes (operation names for fault targeting):
- ``openid-configuration``: ``GET /{tenant}/v2.0/.well-known/openid-configuration``, the document
  MSAL reads for ``{authority}/v2.0/.well-known/openid-configuration`` (msal/authority.py).
- ``token``: ``POST /{tenant}/oauth2/v2.0/token``.

Tokens are JWT-shaped (HS256 over a per-instance key) and remembered: the ARM side accepts only
tokens this instance issued (:meth:`EntraId.lookup`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from cloudtimeouts.sandbox.loopback import Fault, Request, Response

__all__ = ["EntraId", "IssuedToken"]

_JSON = "application/json; charset=utf-8"


def _now_iso() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())


@dataclass(frozen=True, slots=True)
class IssuedToken:
    audience: str
    expires: float


def _answer(
    status: int, body: Any | None = None, headers: dict[str, str] | None = None
) -> Response:
    payload = b"" if body is None else json.dumps(body).encode()
    base = {"Content-Type": _JSON, "Cache-Control": "no-store"} if payload else {}
    return Response(status, payload, {**base, **(headers or {})})


class EntraId:
    """The token side of the fake: one tenant, one service principal, tokens it can check."""

    def __init__(
        self,
        base_url: Callable[[], str],
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        token_lifetime: int = 3600,
        retry_after: Callable[[], int] = lambda: 1,
    ) -> None:
        self._base_url = base_url
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self._retry_after = retry_after
        self._signing_key = secrets.token_bytes(32)
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    # -- the App side (called by the Azure app for Entra paths) ----------------------------------
    @staticmethod
    def operation(request: Request) -> str | None:
        """``token`` / ``openid-configuration`` for an Entra path, else None (not ours)."""
        parts = [p.lower() for p in request.path.split("/") if p]
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return "openid-configuration"
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"]:
            return "token"
        return None

    def handle(self, request: Request) -> Response:
        tenant = request.path.strip("/").split("/")[0]
        if request.operation == "openid-configuration":
            return self._discovery(request, tenant)
        return self._token(request, tenant)

    def fault_response(self, fault: Fault, request: Request) -> Response:
        """Entra-shaped failures: OAuth2 ``temporarily_unavailable`` (the token-endpoint code for
        "the server is temporarily too busy", learn.microsoft.com v2-oauth2-auth-code-flow, error
        codes for token endpoint errors). Statuses 429/500/503 for it are UNVERIFIED."""
        if fault is Fault.THROTTLE:
            status, headers = 429, {"Retry-After": str(self._retry_after())}
        elif fault is Fault.SERVER_ERROR:
            status, headers = 500, {}
        else:
            status, headers = 503, {}
        return self._error(
            status,
            "temporarily_unavailable",
            None,
            "The service is temporarily unavailable.",
            headers,
        )

    # -- tokens ------------------------------------------------------------------------------------
    def issue(self, audience: str = "https://management.azure.com") -> str:
        """A bearer token for ``audience`` that :meth:`lookup` will recognise."""
        now = int(time.time())

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "appid": self.client_id,
            "tid": self.tenant_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, self.client_id)),
            "jti": secrets.token_hex(8),
        }
        payload = b64(json.dumps(claims).encode())
        signature = b64(
            hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        )
        token = f"{header}.{payload}.{signature}"
        with self._lock:
            self._tokens[token] = IssuedToken(audience, now + self.token_lifetime)
        return token

    def lookup(self, token: str) -> IssuedToken | None:
        with self._lock:
            return self._tokens.get(token.strip())

    def forget_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    # -- routes ------------------------------------------------------------------------------------
    def _error(
        self,
        status: int,
        error: str,
        code: int | None,
        description: str,
        headers: dict[str, str] | None = None,
    ) -> Response:
        # Error response shape: v2-oauth2-client-creds-grant-flow#error-response
        trace = str(uuid.uuid4())
        prefix = f"AADSTS{code}: " if code is not None else ""
        return _answer(
            status,
            {
                "error": error,
                "error_description": f"{prefix}{description} Trace ID: {trace}",
                "error_codes": [code] if code is not None else [],
                "timestamp": _now_iso(),
                "trace_id": trace,
                "correlation_id": str(uuid.uuid4()),
            },
            headers,
        )

    def _discovery(self, request: Request, tenant: str) -> Response:
        if request.method != "GET":
            return _answer(405)
        if tenant.lower() not in (self.tenant_id.lower(), "organizations", "common"):
            return self._error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self._base_url()}/{tenant}"
        return _answer(
            200,
            {
                "issuer": f"{self._base_url()}/{self.tenant_id}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            },
        )

    def _token(self, request: Request, tenant: str) -> Response:
        if request.method != "POST":
            return _answer(405)
        if tenant.lower() != self.tenant_id.lower():
            return self._error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if not form:
            return self._error(400, "invalid_request", 900144, "The request body is missing.")
        if form.get("grant_type") != "client_credentials":
            return self._error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            )
        if form.get("client_id") != self.client_id:
            return self._error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{tenant}'.",
            )
        if not hmac.compare_digest(form.get("client_secret", ""), self.client_secret):
            return self._error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID.",
            )
        scopes = form.get("scope", "").split()
        resource = next((s[: -len("/.default")] for s in scopes if s.endswith("/.default")), None)
        if resource is None:
            return self._error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {' '.join(scopes)} is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource identifier.",
            )
        return _answer(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": self.issue(resource),
            },
        )
