"""The OAuth 2.0 token endpoint that Application Default Credentials refresh against.

The emulator writes an ``external_account_authorized_user`` ADC file whose ``token_url`` is this
endpoint. google-auth's external_account_authorized_user.Credentials refresh by POSTing
``grant_type=refresh_token&refresh_token=...`` form-encoded with ``Authorization: Basic
base64(client_id:client_secret)`` (google/oauth2/sts.py Client.refresh_token) and read
``access_token`` and ``expires_in`` (required: the expiry is computed from it). Errors are RFC 6749
section 5.2 JSON (``error``, ``error_description``), which google.oauth2.utils.handle_error_response
turns into OAuthError. ``/tokeninfo`` is RFC 7662 introspection, ``/revoke`` RFC 7009 revocation.

It stands apart from the Admin API: it only issues and checks bearer tokens.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cloudtimeouts.sandbox.cloudsql.wire import json_response
from cloudtimeouts.sandbox.loopback import Fault, Request, Response

__all__ = ["PATHS", "TOKEN_LIFETIME_S", "TokenEndpoint"]

TOKEN_LIFETIME_S = 3600
PATHS = {"/token": "oauth.token", "/tokeninfo": "oauth.tokeninfo", "/revoke": "oauth.revoke"}


class TokenEndpoint:
    """Issues bearer tokens to the one client the ADC file names; thread-safe."""

    def __init__(self) -> None:
        self.client_id = "cloudtimeouts-sandbox.apps.example"
        self.client_secret = secrets.token_urlsafe(16)
        self.refresh_token = secrets.token_urlsafe(24)
        self._tokens: dict[str, float] = {}  # access token -> expiry (monotonic)
        self._lock = threading.Lock()

    # -- bearer tokens -------------------------------------------------------------------------
    def valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and expiry > time.monotonic()

    def revoke_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def _issue(self) -> str:
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = time.monotonic() + TOKEN_LIFETIME_S
        return token

    # -- the HTTP side -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return json_response(
                405, {"error": "invalid_request", "error_description": "POST only"}
            )
        form = form_of(request)
        if request.path == "/tokeninfo":
            return json_response(200, {"active": self.valid(form.get("token", ""))})
        if request.path == "/revoke":
            return json_response(200, {})
        status, body = self._token(request, form)
        return json_response(status, body, {"Cache-Control": "no-store"})

    def _token(self, request: Request, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.header("authorization") != f"Basic {expected}":
            return 401, {"error": "invalid_client", "error_description": "Bad client credentials."}
        if form.get("grant_type") != "refresh_token":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Only refresh_token is supported by the sandbox.",
            }
        if form.get("refresh_token") != self.refresh_token:
            return 400, {"error": "invalid_grant", "error_description": "Bad refresh token."}
        return 200, {
            "access_token": self._issue(),
            "expires_in": TOKEN_LIFETIME_S,
            "token_type": "Bearer",
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }

    def fault_response(self, fault: Fault) -> Response:
        """RFC 6749 ``temporarily_unavailable``; the status Google's token endpoint uses for
        throttling is UNVERIFIED (429 assumed)."""
        status = 429 if fault is Fault.THROTTLE else 503
        body = {"error": "temporarily_unavailable", "error_description": "Try again later."}
        return json_response(status, body)

    def write_adc_file(self, path: str | Path, base_url: str) -> Path:
        """An ``external_account_authorized_user`` ADC file whose token_url is this endpoint."""
        target = Path(path)
        info = {
            "type": "external_account_authorized_user",
            "audience": (
                "//iam.googleapis.com/locations/global/workforcePools/cloudtimeouts-sandbox"
                "/providers/sandbox"
            ),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "token_url": f"{base_url}/token",
            "token_info_url": f"{base_url}/tokeninfo",
            "revoke_url": f"{base_url}/revoke",
            "universe_domain": "googleapis.com",
        }
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # it holds a client secret and a refresh token
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(json.dumps(info, indent=2))
        return target


def form_of(request: Request) -> dict[str, str]:
    """The form-encoded body, one value per key."""
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}
