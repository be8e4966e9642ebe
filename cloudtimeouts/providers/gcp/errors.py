"""What Google said, in one message: what we were doing on which target, and who said it.

On the shared base (`providers.errors`): this module says what each error of the Google clients
IS (`classify`), the base says it.

Client errors are translated by their status and Cloud SQL's `errors[0].reason`, never by their
text: 403 names the IAM permission the call needs (Cloud SQL "Roles and permissions"), 404
instanceDoesNotExist says which instance is missing, 412 is the settingsVersion precondition (the
instance changed since it was read), 409 another operation running on the instance.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from contextlib import AbstractContextManager

import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc
from google.protobuf import json_format

from cloudtimeouts.providers.errors import (
    Call,
    Classify,
    Dialect,
    Failure,
    Kind,
    first_line,
    translating,
    transport,
)
from cloudtimeouts.providers.errors import translate as shared_translate
from cloudtimeouts.providers.gcp.clients import ENDPOINT_VARIABLE, Signed, oauth_error_code
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.providers.trust import (
    REQUESTS_VARIABLES,
    transport_said,
    unreadable_ca_bundle,
)

# What each call needs in IAM (Cloud SQL roles and permissions page); flags.list needs none.
PERMISSIONS = {
    "instances.get": "cloudsql.instances.get",
    "instances.list": "cloudsql.instances.list",
    "instances.patch": "cloudsql.instances.update",
    "operations.get": "cloudsql.instances.get",
    # Cloud Logging's entries.list (the server logs): "Permission: logging.logEntries.list"
    # (Cloud Logging API reference, entries.list, "Authorization scopes" and IAM; Cloud Logging
    # "Access control with IAM": roles/logging.viewer has it)
    "entries.list": "logging.logEntries.list",
}
# The predefined role that holds each call's permission (the same two pages), and the API to
# enable when Google answers accessNotConfigured.
_ROLES = {"entries.list": "roles/logging.viewer"}
_SERVICES = {"entries.list": "logging.googleapis.com"}
_API_NAMES = {"entries.list": "Cloud Logging API"}


DIALECT = Dialect(
    provider="gcp",
    network_hint=f"check the network, GOOGLE_APPLICATION_CREDENTIALS and {ENDPOINT_VARIABLE}",
    garbled="the JSON it should send",
    garbled_hint=f"a proxy, or an endpoint that is not Google's ({ENDPOINT_VARIABLE}, "
    "GOOGLE_APPLICATION_CREDENTIALS), may be answering",
    throttled_hint="Cloud SQL kept answering 429/503 after retries; wait a minute and run again "
    "(the Admin API has a per-minute request quota)",
    ca_variables=REQUESTS_VARIABLES,
    unreachable="could not reach",
    untrusted="could not reach",
    detail=": {}",
)
_RENEW_HINT = (
    "renew Application Default Credentials (gcloud auth application-default login) "
    "or check GOOGLE_APPLICATION_CREDENTIALS"
)
# What the Google clients can raise; anything else is a bug, reported as unexpected.
_TRANSPORT = (requests.RequestException, google.auth.exceptions.TransportError)


def translated(
    target: GcpTarget,
    operation: str,
    clients: Signed,
    suspects: tuple[str, ...] = (),
    *,
    token: bool = False,
) -> AbstractContextManager[None]:
    """Client errors become one message: what we were doing on which target, what Google said,
    and which endpoint said it (`token`: getting the access token before `operation`)."""
    call, classified = _call(target, operation, clients, suspects, token)
    clients.waiting[target.id] = call.where  # what GcpAdapter.endpoint names while it waits
    return translating(call, classified, DIALECT)


def _call(
    target: GcpTarget, operation: str, clients: Signed, suspects: tuple[str, ...], token: bool
) -> tuple[Call, Classify]:
    where = clients.token_endpoint if token else clients.endpoint
    failed = f"{target.id}: {operation} {'not sent' if token else 'failed'}"
    call = Call(target.id, operation, failed, where)
    classified = functools.partial(
        classify, target=target, call=call, clients=clients, suspects=suspects
    )
    return call, classified


def classify(
    error: BaseException,
    target: GcpTarget,
    call: Call,
    clients: Signed,
    suspects: tuple[str, ...] = (),
) -> Failure | None:
    """What the Google clients raised, by class and by Cloud SQL's `errors[0].reason`."""
    if isinstance(error, gexc.RetryError):
        cause = error.cause
        if isinstance(cause, gexc.GoogleAPICallError):
            return _api_failure(target, call.operation, cause, suspects)
        if isinstance(cause, _TRANSPORT):
            return _unreachable(cause, clients, retried=True)
        return Failure(
            Kind.THROTTLED,
            (oauth_error_code(cause) if cause else None) or "RetryError",
            problem=f"{call.where} kept failing after retries ({first_line(cause or error)})",
            hint="wait a little and run again",
        )
    if isinstance(error, gexc.GoogleAPICallError):
        return _api_failure(target, call.operation, error, suspects)
    if isinstance(error, _TRANSPORT):
        return _unreachable(error, clients, retried=False)
    if isinstance(
        error, ValueError | json_format.ParseError
    ):  # UnicodeDecodeError, JSONDecodeError
        return Failure(
            Kind.GARBLED, "malformedResponse", f"{type(error).__name__}: {first_line(error)}"
        )
    if isinstance(error, google.auth.exceptions.GoogleAuthError):  # RefreshError, OAuthError, ...
        return Failure(
            Kind.NO_CREDENTIALS,
            problem=f"the Google credentials could not be refreshed at {clients.token_endpoint}: "
            f"{first_line(error)}",
            hint=_RENEW_HINT,
        )
    if isinstance(error, OSError):  # requests' own, before sending: a CA bundle it cannot find
        cause = unreadable_ca_bundle()
        if cause is not None:
            return Failure(Kind.UNREACHABLE, "CaBundle", problem=str(cause), hint=cause.hint)
    return None


def translate(target: GcpTarget, operation: str, clients: Signed, error: Exception) -> Exception:
    """`translated` for an error caught earlier (one listing's failure, told to each target)."""
    call, classified = _call(target, operation, clients, (), False)
    return shared_translate(call, error, classified, DIALECT)


def authorize(target: GcpTarget, operation: str, clients: Signed) -> None:
    """An access token before `operation`; its failures name the token endpoint."""
    with translated(target, operation, clients, token=True):
        clients.authorize()


def _unreachable(error: BaseException, clients: Signed, *, retried: bool) -> Failure:
    """The network failed: refused, reset, or silent (a timeout); the token request's included
    (google-auth's TransportError, raised from the requests error, names the token endpoint)."""
    where = None
    if isinstance(error, google.auth.exceptions.TransportError):
        where, error = clients.token_endpoint, error.__cause__ or error
    kind = transport(error, silent=(requests.Timeout,), untrusted=(requests.exceptions.SSLError,))
    return Failure(kind, type(error).__name__, transport_said(error), retried=retried, where=where)


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


def _api_failure(
    target: GcpTarget, operation: str, error: gexc.GoogleAPICallError, suspects: tuple[str, ...]
) -> Failure:
    reason, status = _reason(error), error.code
    said = f"{error.code} {reason}: {_message(error)}"
    answered = functools.partial(Failure, code=reason, said=said, status=status)
    if isinstance(error, gexc.Forbidden) and reason == "accessNotConfigured":
        return answered(
            Kind.ANSWERED,
            hint=f"enable the {_API_NAMES.get(operation, 'Cloud SQL Admin API')}: gcloud services "
            f"enable {_SERVICES.get(operation, 'sqladmin.googleapis.com')} --project "
            f"{target.project}",
        )
    if isinstance(error, gexc.Unauthorized):  # 401 (REST answers Unauthorized, not its
        # gRPC subclass Unauthenticated): the token itself was refused, not a permission
        return answered(Kind.DENIED, hint=_RENEW_HINT)
    if isinstance(error, gexc.Forbidden):
        permission = PERMISSIONS.get(operation)
        needed = f"the IAM permission {permission}" if permission else "access"
        return answered(
            Kind.DENIED,
            hint=f"the Application Default Credentials in use need {needed} on project "
            f"{target.project} ({_ROLES.get(operation, 'roles/cloudsql.editor')} has it)",
        )
    if isinstance(error, gexc.NotFound) and reason == "instanceDoesNotExist":
        return answered(
            Kind.ANSWERED,
            problem=f"instance not found: {target.instance} does not exist in project "
            f"{target.project} ({said})",
        )
    if isinstance(error, gexc.NotFound) and reason == "invalidFlagName":
        named = ", ".join(suspects) if suspects else "a flag in the list sent"
        return answered(
            Kind.ANSWERED,
            problem=f"Cloud SQL does not know the flag {named} ({said})",
            hint="remove or rename that flag on the instance (gcloud sql instances describe)",
        )
    if isinstance(error, gexc.PreconditionFailed):
        return answered(
            Kind.CHANGED,
            message=f"{target.id} changed since the plan: Cloud SQL refused the write because the "
            f"instance's settings changed meanwhile ({said}); nothing was written there",
            hint="run plan again",
        )
    if isinstance(error, gexc.Conflict):
        return answered(
            Kind.ANSWERED,
            hint=f"another operation is running on the instance; wait for it (gcloud sql "
            f"operations list --instance {target.instance} --project {target.project}) and run "
            "again",
        )
    if isinstance(error, gexc.TooManyRequests | gexc.ServiceUnavailable):
        return answered(Kind.THROTTLED)
    return answered(Kind.ANSWERED)
