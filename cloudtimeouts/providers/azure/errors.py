"""What Azure said, in one message: what we were doing on which server, and which endpoint said it.

On the shared base (`providers.errors`): this module says what each azure-core and azure-identity
error IS, by its class and by the HTTP status and ARM error code it carries (ARM's error response:
`{"error": {"code", "message"}}`, "Azure Resource Manager error format"), never by its text; the
base says it. One exception to that rule, because azure-identity leaves nothing else: a sign-in
that failed on an untrusted certificate is known by OpenSSL's reason in DefaultAzureCredential's
message (the chain flattens every credential's failure into text).
"""

from __future__ import annotations

import functools
import os
import re
from contextlib import AbstractContextManager

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from cloudtimeouts.catalog import Engine
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.errors import (
    Call,
    Dialect,
    Failure,
    Kind,
    first_line,
    refused_or_garbled,
    translating,
    transport,
)
from cloudtimeouts.providers.trust import REQUESTS_VARIABLES, unreadable_ca_bundle, untrusted_hint

ENDPOINT_VARIABLE = "CLOUDTIMEOUTS_AZURE_ENDPOINT"
PUBLIC_ENDPOINT = "https://management.azure.com"
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
NAMESPACES = {Engine.POSTGRES: "Microsoft.DBforPostgreSQL", Engine.MYSQL: "Microsoft.DBforMySQL"}
_AUTH_STATUS = frozenset({401, 403})
_UNTRUSTED = "CERTIFICATE_VERIFY_FAILED"  # OpenSSL's reason: the chain names no trusted CA
_SIGN_IN_HINT = (
    "sign in with az login, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, "
    "or run with a managed identity"
)
DIALECT = Dialect(
    provider="azure",
    network_hint=f"check the network, or {ENDPOINT_VARIABLE} if you set it",
    garbled="the JSON ARM sends",
    garbled_hint=f"a proxy, or a {ENDPOINT_VARIABLE} that is not ARM, may be answering",
    throttled_hint="Azure kept throttling after retries; try again later",
    ca_variables=REQUESTS_VARIABLES,
)


def arm_endpoint() -> str:
    """The Azure Resource Manager endpoint in use (CLOUDTIMEOUTS_AZURE_ENDPOINT overrides it)."""
    return os.environ.get(ENDPOINT_VARIABLE, PUBLIC_ENDPOINT).rstrip("/")


def authority() -> str:
    """Where Microsoft Entra ID signs in (azure-identity reads AZURE_AUTHORITY_HOST)."""
    return os.environ.get("AZURE_AUTHORITY_HOST") or PUBLIC_AUTHORITY


def translated(
    target: AzureTarget, doing: str, denied_hint: str | None = None
) -> AbstractContextManager[None]:
    """SDK errors become one message: what we were doing on which server, what Azure said, and
    which endpoint said it. `denied_hint` names the RBAC actions a refused call needs, where
    they are not the configurations' (the server logs: `logs`)."""
    call = Call(target.id, doing, f"{target.id}: could not {doing}", arm_endpoint())
    classifying = functools.partial(classify, where=call.where, denied_hint=denied_hint)
    return translating(call, classifying, DIALECT)


def set_aside(error: Exception) -> bool:
    """A listing's failure that Servers - Get may not share (`providers.listings`): refused (a 4xx
    other than 408/429, e.g. a resource group that does not exist: each target's get says so)
    or garbled. Throttled or 5xx after the retries, unreachable, silent, no credentials: the
    endpoint's, shared."""
    return refused_or_garbled(classify(error, arm_endpoint()))


def classify(error: BaseException, where: str, denied_hint: str | None = None) -> Failure | None:
    """What azure-core or azure-identity raised, by class, HTTP status and ARM error code."""
    if isinstance(error, ClientAuthenticationError):  # includes CredentialUnavailableError
        return _sign_in_failure(error)
    if isinstance(error, DecodeError):  # an HttpResponseError whose body is not JSON
        return Failure(Kind.GARBLED, "DecodeError", first_line(error), status=error.status_code)
    if isinstance(error, HttpResponseError):
        return _answered(error, where, denied_hint)
    if isinstance(error, ServiceRequestError | ServiceResponseError):
        # Request: not sent (refused, unreachable, TLS); response: sent, then reset or silent.
        # azure-core keeps the requests error it wraps (`inner_exception`), and requests keeps
        # urllib3's and the ssl module's: an untrusted certificate is said as one.
        timeouts = (ServiceRequestTimeoutError, ServiceResponseTimeoutError)
        return Failure(transport(error, silent=timeouts), type(error).__name__, first_line(error))
    if isinstance(error, ValueError | AzureError):  # JSONDecodeError, DeserializationError, ...
        said = f"{type(error).__name__}: {first_line(error)}"
        return Failure(Kind.GARBLED, type(error).__name__, said)
    return None


def _answered(error: HttpResponseError, where: str, denied_hint: str | None = None) -> Failure:
    """ARM answered an error: its code and message (a status without them is said as such)."""
    status = error.status_code
    if status is not None and status < 400 and error.error is None:  # e.g. 200 for a 202
        return Failure(
            Kind.GARBLED,
            str(status),
            problem=f"{where} answered HTTP {status}, not what the API documents "
            f"({first_line(error)})",
            status=status,
        )
    code = getattr(getattr(error, "error", None), "code", None) or str(status)
    message = getattr(getattr(error, "error", None), "message", None) or first_line(error)
    said = f"{code}: {message}"
    if status in _AUTH_STATUS:
        hint = denied_hint or (
            "the identity needs read and write access to the server's configurations "
            f"({NAMESPACES[Engine.POSTGRES]}/flexibleServers/configurations/* or "
            f"{NAMESPACES[Engine.MYSQL]}/…, e.g. the Contributor role on the server)"
        )
        return Failure(Kind.DENIED, code, said, hint=hint, status=status)
    kind = Kind.THROTTLED if status == 429 else Kind.ANSWERED
    return Failure(kind, code, said, status=status)


def _sign_in_failure(error: ClientAuthenticationError) -> Failure:
    """Credentials that could not sign in (no status: the credential chain, before any ARM
    call), or that ARM refused (401)."""
    if error.status_code is not None:
        problem = f"Azure refused the credentials ({first_line(error)})"
        return Failure(Kind.DENIED, problem=problem, hint=_SIGN_IN_HINT, status=error.status_code)
    signed_in_at = authority()
    cause = unreadable_ca_bundle()  # every sign-in request failed on it, if set
    hint = cause.hint if cause else _SIGN_IN_HINT
    problem = f"no usable Azure credentials (sign-in: {signed_in_at}): "
    if cause is None and _UNTRUSTED in str(error.message or error):  # OpenSSL's code
        hint = untrusted_hint("REQUESTS_CA_BUNDLE")
        problem = f"could not sign in at {signed_in_at}, its TLS certificate is not trusted: "
    problem += str(cause) if cause else _chain_said(error)
    return Failure(Kind.NO_CREDENTIALS, problem=problem, hint=hint)


_LINK = re.compile(r"https?://|^(Visit|See|To mitigate|Attempted credentials)\b")


def _chain_said(error: ClientAuthenticationError) -> str:
    """DefaultAzureCredential's message on one line: what each credential it tried said, without
    its troubleshooting links and its "X authentication unavailable." preambles."""
    said: list[str] = []
    for line in str(error.message or error).splitlines()[1:]:
        name, colon, rest = line.strip().partition(": ")
        credential = line.startswith("\t") and colon and " " not in name
        sentences = re.split(r"(?<=\.)\s+", rest if credential else line.strip())
        kept = " ".join(
            sentence
            for sentence in sentences
            if sentence
            and not _LINK.search(sentence)
            and "authentication unavailable" not in sentence
        ).rstrip(".")
        if credential:
            said.append(f"{name}: {kept or 'unavailable'}")
        elif kept and said:
            said[-1] += f" {kept}"
    return "DefaultAzureCredential tried " + "; ".join(said) if said else first_line(error)
