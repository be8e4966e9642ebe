"""What Google said, in one message: what we were doing on which target, and who said it.

Client errors are translated by their status and Cloud SQL's `errors[0].reason`, never by their
text: 403 names the IAM permission the call needs (Cloud SQL "Roles and permissions"), 404
instanceDoesNotExist says which instance is missing, 412 is the settingsVersion precondition (the
instance changed since it was read), 409 another operation running on the instance.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc
from google.protobuf import json_format

from cloudtimeouts.errors import (
    CloudtimeoutsError,
    ProviderAPIError,
    ProviderAuthError,
    TargetChangedError,
)
from cloudtimeouts.providers.gcp.clients import ENDPOINT_VARIABLE, Clients, oauth_error_code
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.providers.trust import (
    transport_said,
    unreadable_ca_bundle,
    untrusted_hint,
)

# What each call needs in IAM (Cloud SQL roles and permissions page); flags.list needs none.
PERMISSIONS = {
    "instances.get": "cloudsql.instances.get",
    "instances.list": "cloudsql.instances.list",
    "instances.patch": "cloudsql.instances.update",
    "operations.get": "cloudsql.instances.get",
}


@contextlib.contextmanager
def translated(
    target: GcpTarget,
    operation: str,
    clients: Clients,
    suspects: tuple[str, ...] = (),
    *,
    token: bool = False,
) -> Iterator[None]:
    """Client errors become one message: what we were doing on which target, what Google said,
    and which endpoint said it (`token`: getting the access token before `operation`)."""
    failed = f"{target.id}: {operation} {'not sent' if token else 'failed'}"
    where = clients.token_endpoint if token else clients.endpoint
    clients.waiting[target.id] = where  # what GcpAdapter.endpoint names while this call waits
    try:
        yield
    except gexc.RetryError as error:
        cause = error.cause
        if isinstance(cause, gexc.GoogleAPICallError):
            raise _api_error(target, operation, cause, suspects) from None
        if isinstance(cause, requests.RequestException | google.auth.exceptions.TransportError):
            raise _unreachable(operation, failed, where, clients, cause, " after retries") from None
        raise ProviderAPIError(
            "gcp",
            operation,
            (oauth_error_code(cause) if cause else None) or "RetryError",
            f"{failed}: {where} kept failing after retries ({first_line(cause or error)})",
            hint="wait a little and run again",
        ) from None
    except gexc.GoogleAPICallError as error:
        raise _api_error(target, operation, error, suspects) from None
    except (requests.RequestException, google.auth.exceptions.TransportError) as error:
        raise _unreachable(operation, failed, where, clients, error, "") from None
    except (ValueError, json_format.ParseError) as error:  # UnicodeDecodeError, JSONDecodeError
        raise ProviderAPIError(
            "gcp",
            operation,
            "malformedResponse",
            f"{failed}: the answer from {where} is not the JSON it should send "
            f"({type(error).__name__}: {first_line(error)})",
            hint=f"a proxy, or an endpoint that is not Google's ({ENDPOINT_VARIABLE}, "
            "GOOGLE_APPLICATION_CREDENTIALS), may be answering",
        ) from None
    except google.auth.exceptions.GoogleAuthError as error:  # RefreshError, OAuthError, ...
        raise ProviderAuthError(
            f"{failed}: the Google credentials could not be refreshed at "
            f"{clients.token_endpoint}: {first_line(error)}",
            hint="renew Application Default Credentials (gcloud auth application-default login) "
            "or check GOOGLE_APPLICATION_CREDENTIALS",
        ) from None
    except OSError:  # requests' own, before sending: a CA bundle it cannot find
        cause = unreadable_ca_bundle()
        if cause is None:
            raise
        raise ProviderAPIError(
            "gcp", operation, "CaBundle", f"{failed}: {cause}", cause.hint
        ) from None


def translate(
    target: GcpTarget, operation: str, clients: Clients, error: Exception
) -> CloudtimeoutsError:
    """`translated` for an error caught earlier (one listing's failure, told to each target)."""
    try:
        with translated(target, operation, clients):
            raise error
    except CloudtimeoutsError as said:
        return said


def authorize(target: GcpTarget, operation: str, clients: Clients) -> None:
    """An access token before `operation`; its failures name the token endpoint."""
    with translated(target, operation, clients, token=True):
        clients.authorize()


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _unreachable(
    operation: str, failed: str, where: str, clients: Clients, error: BaseException, retried: str
) -> ProviderAPIError:
    """The network failed: refused, reset, or silent (a timeout); the token request's included."""
    if isinstance(error, google.auth.exceptions.TransportError):
        where, error = clients.token_endpoint, error.__cause__ or error
    cause = unreadable_ca_bundle() if where.startswith("https:") else None
    if cause is not None:
        return ProviderAPIError("gcp", operation, "CaBundle", f"{failed}: {cause}", cause.hint)
    said = "no answer in time from" if isinstance(error, requests.Timeout) else "could not reach"
    return ProviderAPIError(
        "gcp",
        operation,
        type(error).__name__,
        f"{failed}: {said} {where}{retried}: {transport_said(error)}",
        hint=untrusted_hint("REQUESTS_CA_BUNDLE")
        if isinstance(error, requests.exceptions.SSLError)
        else f"check the network, GOOGLE_APPLICATION_CREDENTIALS and {ENDPOINT_VARIABLE}",
    )


def _reason(error: gexc.GoogleAPICallError) -> str:
    """Cloud SQL's `errors[0].reason` (e.g. instanceDoesNotExist), else the status class."""
    for item in error.errors or ():
        if isinstance(item, Mapping) and item.get("reason"):
            return str(item["reason"])
    return error.reason or type(error).__name__


def _message(error: gexc.GoogleAPICallError) -> str:
    """Google's own words (`error.message` of the body), without the method and URL."""
    try:
        said = error.response.json()["error"]["message"]  # type: ignore[union-attr]
    except (AttributeError, KeyError, TypeError, ValueError):
        said = None
    return said if isinstance(said, str) and said else str(error.message)


def _api_error(
    target: GcpTarget, operation: str, error: gexc.GoogleAPICallError, suspects: tuple[str, ...]
) -> ProviderAPIError | ProviderAuthError:
    reason = _reason(error)
    said = f"{error.code} {reason}: {_message(error)}"
    text = f"{target.id}: {operation} failed: {said}"
    if isinstance(error, gexc.Forbidden) and reason == "accessNotConfigured":
        return ProviderAPIError(
            "gcp",
            operation,
            reason,
            text,
            hint=f"enable the Cloud SQL Admin API: gcloud services enable sqladmin.googleapis.com "
            f"--project {target.project}",
        )
    if isinstance(error, gexc.Unauthenticated | gexc.Forbidden):
        permission = PERMISSIONS.get(operation)
        needed = f"the IAM permission {permission}" if permission else "access"
        return ProviderAuthError(
            text,
            hint=f"the Application Default Credentials in use need {needed} on project "
            f"{target.project} (roles/cloudsql.editor has it)",
        )
    hint = None
    if isinstance(error, gexc.NotFound) and reason == "instanceDoesNotExist":
        text = (
            f"{target.id}: {operation} failed: instance not found: {target.instance} does not "
            f"exist in project {target.project} ({said})"
        )
    elif isinstance(error, gexc.NotFound) and reason == "invalidFlagName":
        named = ", ".join(suspects) if suspects else "a flag in the list sent"
        text = f"{target.id}: {operation} failed: Cloud SQL does not know the flag {named} ({said})"
        hint = "remove or rename that flag on the instance (gcloud sql instances describe)"
    elif isinstance(error, gexc.PreconditionFailed):
        return TargetChangedError(
            "gcp",
            operation,
            reason,
            f"{target.id} changed since the plan: Cloud SQL refused the write because the "
            f"instance's settings changed meanwhile ({said}); nothing was written there",
            hint="run plan again",
        )
    elif isinstance(error, gexc.Conflict):
        hint = (
            f"another operation is running on the instance; wait for it (gcloud sql operations "
            f"list --instance {target.instance} --project {target.project}) and run again"
        )
    elif isinstance(error, gexc.TooManyRequests | gexc.ServiceUnavailable):
        hint = (
            "Cloud SQL kept answering 429/503 after retries; wait a minute and run again "
            "(the Admin API has a per-minute request quota)"
        )
    return ProviderAPIError("gcp", operation, reason, text, hint=hint)
