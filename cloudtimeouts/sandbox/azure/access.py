"""What every ARM request passes before it reaches a resource: a bearer token and an api-version.

- 401 with a ``WWW-Authenticate: Bearer`` challenge and no ``Retry-After`` (else azure-core would
  retry it); codes as ARM sends them (AuthenticationFailed, InvalidAuthenticationToken,
  ExpiredAuthenticationToken, InvalidAuthenticationTokenAudience):
  https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors
- Every request needs ``?api-version=``: 400 MissingApiVersionParameter without it, 400
  NoRegisteredProviderFound for one the resource provider does not have.
"""

from __future__ import annotations

import time

from cloudtimeouts.sandbox.azure.entra import EntraId
from cloudtimeouts.sandbox.azure.errors import ArmError
from cloudtimeouts.sandbox.azure.state import FLAVOURS
from cloudtimeouts.sandbox.loopback import Request

__all__ = ["API_VERSIONS", "ENGINE_OF", "api_version", "authenticate"]

# api-versions accepted. The installed SDKs send: azure-mgmt-postgresqlflexibleservers 3.0.0 ->
# "2026-10-01" (its _configuration.py default; the previews are in its operation tables);
# azure-mgmt-mysqlflexibleservers 1.0.0 -> "2024-12-30". The older GA versions are those of the
# REST references above (az CLI, Terraform).
API_VERSIONS = {
    "postgres": frozenset(
        {
            "2021-06-01",
            "2022-12-01",
            "2024-08-01",
            "2025-08-01",
            "2026-01-01-preview",
            "2026-04-01-preview",
            "2026-07-01-preview",
            "2026-10-01",
        }
    ),
    "mysql": frozenset({"2021-05-01", "2022-01-01", "2023-06-30", "2023-12-30", "2024-12-30"}),
}
ENGINE_OF = {flavour.namespace.lower(): engine for engine, flavour in FLAVOURS.items()}
MANAGEMENT_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")


def authenticate(request: Request, entra: EntraId, base_url: str) -> None:
    """ARM's 401s for a missing, malformed, unknown, expired or misdirected bearer token."""

    def deny(code: str, message: str) -> ArmError:
        challenge = (
            f'Bearer authorization_uri="{base_url}/{entra.tenant_id}", '
            f'error="invalid_token", error_description="{message}"'
        )
        return ArmError(401, code, message, {"WWW-Authenticate": challenge})

    authorization = request.header("authorization")
    if not authorization:
        raise deny(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise deny(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        )
    issued = entra.lookup(token)
    if issued is None:
        raise deny("InvalidAuthenticationToken", "The access token is invalid.")
    if issued.expires <= time.time():
        raise deny(
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        )
    if not issued.audience.rstrip("/").lower().startswith(MANAGEMENT_AUDIENCES):
        raise deny(
            "InvalidAuthenticationTokenAudience",
            "The access token has been obtained for wrong audience or resource "
            f"'{issued.audience}'.",
        )


def api_version(namespace: str, request: Request) -> str:
    """The request's api-version if this resource provider has it, else ARM's 400/404."""
    engine = ENGINE_OF.get(namespace.lower())
    if engine is None:
        raise ArmError(
            404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid."
        )
    version = request.query_value("api-version")
    if not version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    supported = API_VERSIONS[engine]
    if version not in supported:
        raise ArmError(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location 'westeurope' and API version "
            f"'{version}' for type 'flexibleServers'. The supported api-versions are "
            f"'{', '.join(sorted(supported))}'.",
        )
    return version
