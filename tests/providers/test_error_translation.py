"""Every SDK failure each adapter translates, and the exact error it becomes (class, code, message,
hint), held against `data/error_messages.json`.

The golden file was recorded from the adapters before their translations moved onto one shared
base (`cloudtimeouts.providers.errors`): it is what proves that the move changed no message. The
exceptions are built as the SDKs raise them (botocore's, google-api-core's and requests' own
classes, azure-core's with an ARM error body, urllib3's connection errors with the socket error as
their cause), so each case is a failure a real call can end with.

A new case is added by writing it below and running this module with
RECORD_ERROR_MESSAGES=1, which records only the cases the file does not hold yet.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.gcp.target import GcpTarget

GOLDEN = Path(__file__).with_name("data") / "error_messages.json"
MISSING_BUNDLE = "/nonexistent/cloudtimeouts-ca.pem"
STS = "https://sts.eu-west-1.amazonaws.com"
AWS_TARGET = AwsTarget(provider="aws", region="eu-west-1", parameter_group="orders-pg16")
ROLE = "arn:aws:iam::123456789012:role/cloudtimeouts"
GCP_TARGET = GcpTarget(provider="gcp", project="acme-co", instance="orders-db")
AZURE_TARGET = AzureTarget(
    provider="azure",
    subscription_id="00000000-0000-0000-0000-000000000001",
    resource_group="prod",
    server="orders-pg",
)


# -- how each cloud's translation is reached -----------------------------------------------------
def aws_translate(
    error: BaseException, operation: str = "DescribeDBParameters", where: str | None = None
) -> Any:
    from cloudtimeouts.providers.aws.errors import translated

    target = AWS_TARGET.model_copy(update={"role_arn": ROLE}) if where == STS else AWS_TARGET
    with translated(target, operation, where):
        raise error


def gcp_translate(error: BaseException, *, token: bool = False, suspects: Any = ()) -> Any:
    from cloudtimeouts.providers.gcp.errors import translated

    clients = SimpleNamespace(
        endpoint="https://sqladmin.googleapis.com",
        token_endpoint="https://oauth2.googleapis.com/token",
        waiting={},
    )
    with translated(GCP_TARGET, "instances.get", clients, suspects, token=token):  # type: ignore[arg-type]
        raise error


def azure_translate(error: BaseException) -> Any:
    from cloudtimeouts.providers.azure.errors import translated

    with translated(AZURE_TARGET, "read the server"):
        raise error


# -- the SDKs' exceptions ------------------------------------------------------------------------
def caused(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


def refused_connection(host: str) -> Any:
    """urllib3's NewConnectionError over the socket's ConnectionRefusedError, as it is raised."""
    import urllib3.connection
    import urllib3.exceptions

    connection = urllib3.connection.HTTPSConnection(host, 443)
    error = urllib3.exceptions.NewConnectionError(
        connection, "Failed to establish a new connection: [Errno 111] Connection refused"
    )
    return caused(error, ConnectionRefusedError(111, "Connection refused"))


def untrusted_requests() -> Any:
    """requests' SSLError as azure-core receives it: urllib3's MaxRetryError over urllib3's
    SSLError over the ssl module's verification error."""
    import requests
    import urllib3.exceptions

    inner = urllib3.exceptions.SSLError(certificate_failure())
    retries = urllib3.exceptions.MaxRetryError(None, "/subscriptions", reason=inner)  # type: ignore[arg-type]
    return requests.exceptions.SSLError(retries)


def certificate_failure() -> ssl.SSLCertVerificationError:
    return ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )


def aws_cases() -> dict[str, Callable[[], Any]]:
    import botocore.exceptions as bx
    import botocore.parsers

    url = "https://rds.eu-west-1.amazonaws.com/"

    def client_error(code: str, message: str) -> Any:
        answer = {"Error": {"Code": code, "Message": message}}
        return bx.ClientError(answer, "DescribeDBParameters")  # type: ignore[arg-type]

    return {
        "access-denied": lambda: client_error("AccessDenied", "User: arn:x is not authorized"),
        "expired-token": lambda: client_error("ExpiredToken", "The security token expired"),
        "throttled": lambda: client_error("Throttling", "Rate exceeded"),
        "request-limit": lambda: client_error("RequestLimitExceeded", "Request limit exceeded."),
        "not-found": lambda: client_error("DBParameterGroupNotFound", "orders-pg16 not found"),
        "no-message": lambda: client_error("InternalFailure", ""),
        "no-credentials": bx.NoCredentialsError,
        "partial-credentials": lambda: bx.PartialCredentialsError(
            provider="env", cred_var="AWS_SECRET_ACCESS_KEY"
        ),
        "profile-not-found": lambda: bx.ProfileNotFound(profile="prod"),
        "garbled": lambda: botocore.parsers.ResponseParserError(
            "Unable to parse response (syntax error: line 1, column 0), invalid XML received."
        ),
        "read-timeout": lambda: bx.ReadTimeoutError(endpoint_url=url),
        "connect-timeout": lambda: bx.ConnectTimeoutError(endpoint_url=url),
        "refused": lambda: bx.EndpointConnectionError(endpoint_url=url),
        "reset": lambda: bx.ConnectionClosedError(endpoint_url=url),
        "tls-untrusted": lambda: bx.SSLError(endpoint_url=url, error=certificate_failure()),
        "proxy": lambda: bx.ProxyConnectionError(proxy_url="http://proxy:3128", error="refused"),
        "other-botocore": lambda: bx.ParamValidationError(report="Invalid type for parameter"),
    }


def gcp_cases() -> dict[str, Callable[[], Any]]:
    import google.auth.exceptions as gax
    import requests
    from google.api_core import exceptions as gexc
    from google.protobuf import json_format

    def api(kind: type[Any], message: str, reason: str | None = None) -> Any:
        errors = [{"reason": reason, "message": message}] if reason else []
        return kind(message, errors=errors)

    def retried(cause: BaseException) -> Any:
        return gexc.RetryError("Timeout of 40.0s exceeded", cause)

    def refused() -> Any:
        return requests.exceptions.ConnectionError(refused_connection("sqladmin.googleapis.com"))

    def token_transport(cause: BaseException) -> Any:
        return caused(gax.TransportError(cause), cause)

    return {
        "forbidden": lambda: api(gexc.Forbidden, "The client is not authorized.", "notAuthorized"),
        "api-disabled": lambda: api(gexc.Forbidden, "API disabled", "accessNotConfigured"),
        "unauthenticated": lambda: api(gexc.Unauthorized, "Invalid Credentials", "authError"),
        "not-found": lambda: api(
            gexc.NotFound, "The instance does not exist.", "instanceDoesNotExist"
        ),
        "unknown-flag": lambda: api(gexc.NotFound, "Invalid flag name.", "invalidFlagName"),
        "changed": lambda: api(gexc.PreconditionFailed, "Stale settings.", "staleData"),
        "conflict": lambda: api(gexc.Conflict, "Operation in progress.", "operationInProgress"),
        "throttled": lambda: api(gexc.TooManyRequests, "Quota exceeded.", "rateLimitExceeded"),
        "unavailable": lambda: api(gexc.ServiceUnavailable, "Backend error."),
        "no-reason": lambda: api(gexc.BadRequest, "Bad request."),
        "retried-throttled": lambda: retried(
            api(gexc.TooManyRequests, "Quota.", "rateLimitExceeded")
        ),
        "retried-refused": lambda: retried(refused()),
        "retried-oauth": lambda: retried(
            gax.RefreshError("temporarily_unavailable", {"error": "temporarily_unavailable"})
        ),
        "retried-nothing": lambda: gexc.RetryError("Deadline of 40.0s exceeded", None),
        "read-timeout": lambda: requests.exceptions.ReadTimeout(
            "Read timed out. (read timeout=20)"
        ),
        "connect-timeout": lambda: requests.exceptions.ConnectTimeout("Connection timed out"),
        "refused": refused,
        "reset": lambda: requests.exceptions.ConnectionError(
            ConnectionResetError(104, "Connection reset by peer")
        ),
        "tls-untrusted": lambda: requests.exceptions.SSLError(certificate_failure()),
        "token-silent": lambda: token_transport(requests.exceptions.ReadTimeout("Read timed out.")),
        "token-refused": lambda: token_transport(refused()),
        "garbled-json": lambda: json.JSONDecodeError("Expecting value", "<html>", 0),
        "garbled-proto": lambda: json_format.ParseError("Message type has no field named x."),
        "refresh": lambda: gax.RefreshError(
            "invalid_grant: Token has been expired or revoked.", {"error": "invalid_grant"}
        ),
        "default-credentials": lambda: gax.DefaultCredentialsError("File adc.json was not found."),
    }


def azure_cases() -> dict[str, Callable[[], Any]]:
    from azure.core import exceptions as ax
    from azure.mgmt.core.exceptions import ARMErrorFormat

    class Response:
        def __init__(self, status: int, body: Any, reason: str = "Error") -> None:
            self.status_code, self.reason = status, reason
            self.headers: dict[str, str] = {"Content-Type": "application/json"}
            self._body = body if isinstance(body, str) else json.dumps(body)
            self.content_type = "application/json"

        def text(self, encoding: str | None = None) -> str:
            return self._body

    def arm(kind: type[Any], status: int, code: str | None, message: str) -> Any:
        body: Any = {"error": {"code": code, "message": message}} if code else "<html>oops</html>"
        return kind(response=Response(status, body), error_format=ARMErrorFormat)

    chain = (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n"
        "\tEnvironmentCredential: EnvironmentCredential authentication unavailable. Environment "
        "variables are not fully configured.\nVisit https://aka.ms/azsdk/python/identity/"
        "environmentcredential/troubleshoot to troubleshoot this issue.\n"
        "\tManagedIdentityCredential: ManagedIdentityCredential authentication unavailable, no "
        "response from the IMDS endpoint.\n"
        "\tAzureCliCredential: Azure CLI not found on path\n"
        "To mitigate this issue, please refer to the troubleshooting guidelines here at "
        "https://aka.ms/azsdk/python/identity/defaultazurecredential/troubleshoot."
    )
    untrusted = (
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n"
        "\tEnvironmentCredential: Authentication failed: [SSL: CERTIFICATE_VERIFY_FAILED] "
        "certificate verify failed: self-signed certificate"
    )
    return {
        "no-credentials": lambda: ax.ClientAuthenticationError(message=chain),
        "sign-in-untrusted": lambda: ax.ClientAuthenticationError(message=untrusted),
        "refused-401": lambda: arm(
            ax.ClientAuthenticationError, 401, "InvalidAuthenticationToken", "The token is invalid."
        ),
        "forbidden": lambda: arm(
            ax.HttpResponseError, 403, "AuthorizationFailed", "The client does not have access."
        ),
        "not-found": lambda: arm(
            ax.ResourceNotFoundError, 404, "ResourceNotFound", "The Resource was not found."
        ),
        "conflict": lambda: arm(
            ax.ResourceExistsError, 409, "ServerBusy", "Another operation is in progress."
        ),
        "throttled": lambda: arm(ax.HttpResponseError, 429, "TooManyRequests", "Throttled."),
        "server-error": lambda: arm(
            ax.HttpResponseError, 500, "InternalServerError", "An unexpected error occured."
        ),
        "no-body": lambda: arm(ax.HttpResponseError, 502, None, ""),
        "odd-status": lambda: ax.HttpResponseError(response=Response(200, "", reason="OK")),
        "decode": lambda: ax.DecodeError("JSON is invalid: Expecting value: line 1 column 1"),
        "request-error": lambda: ax.ServiceRequestError(refused_connection("management.azure.com")),
        "request-timeout": lambda: ax.ServiceRequestTimeoutError("Connection timed out"),
        "response-error": lambda: ax.ServiceResponseError("Connection aborted."),
        "response-timeout": lambda: ax.ServiceResponseTimeoutError("Read timed out."),
        "tls-untrusted": lambda: ax.ServiceRequestError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
        ),
        "tls-untrusted-chained": lambda: ax.ServiceRequestError(
            untrusted_requests(), error=untrusted_requests()
        ),
        "garbled": lambda: ValueError("Expecting value: line 1 column 1 (char 0)"),
        "deserialization": lambda: ax.DeserializationError("Unable to deserialize to object"),
        "other-azure": lambda: ax.AzureError("Something else."),
    }


def cases() -> list[tuple[str, str, Callable[[], Any], Callable[..., Any], dict[str, Any]]]:
    found: list[tuple[str, str, Callable[[], Any], Callable[..., Any], dict[str, Any]]] = []
    for case, make in aws_cases().items():
        found.append(("aws", case, make, aws_translate, {}))
    for case in ("read-timeout", "garbled", "access-denied"):
        options = {"operation": "AssumeRole", "where": STS}
        found.append(("aws", f"assume-role-{case}", aws_cases()[case], aws_translate, options))
    for case, make in gcp_cases().items():
        found.append(("gcp", case, make, gcp_translate, {"token": case.startswith("token-")}))
    found.append(
        (
            "gcp",
            "unknown-flag-named",
            gcp_cases()["unknown-flag"],
            gcp_translate,
            {"suspects": ("x_flag",)},
        )
    )
    for case, make in azure_cases().items():
        found.append(("azure", case, make, azure_translate, {}))
    return found


BUNDLES = {"aws": "AWS_CA_BUNDLE", "gcp": "REQUESTS_CA_BUNDLE", "azure": "REQUESTS_CA_BUNDLE"}
CA_CASES = {
    "aws": ("tls-untrusted",),
    "gcp": ("refused", "tls-untrusted", "token-refused"),
    "azure": ("request-error", "no-credentials", "tls-untrusted"),
}


def said(error: BaseException) -> dict[str, Any]:
    """What a user sees of an error: its class, its code (API errors), message and hint; or the
    SDK's own exception when the translation let it through."""
    if not isinstance(error, CloudtimeoutsError):
        return {"raised": type(error).__name__}
    return {
        "class": type(error).__name__,
        "code": getattr(error, "code", None),
        "operation": getattr(error, "operation", None),
        "message": error.message,
        "hint": error.hint,
    }


def translate(
    translate_with: Callable[..., Any], make: Callable[[], Any], options: dict[str, Any]
) -> dict[str, Any]:
    try:
        translate_with(make(), **options)
    except BaseException as error:  # what came out is what is compared
        return said(error)
    return {"raised": None}


ALL = cases()
IDS = [f"{cloud}-{case}" for cloud, case, *_ in ALL]
IDS += [f"{cloud}-{case}-ca-bundle" for cloud, names in CA_CASES.items() for case in names]


def _record(key: str, value: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    golden.setdefault(key, value)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")


def _check(key: str, value: dict[str, Any]) -> None:
    if os.environ.get("RECORD_ERROR_MESSAGES"):
        _record(key, value)
    assert key in json.loads(GOLDEN.read_text()), f"{key}: not recorded"
    assert value == json.loads(GOLDEN.read_text())[key]


@pytest.mark.parametrize(
    ("cloud", "case", "make", "translate_with", "options"), ALL, ids=IDS[: len(ALL)]
)
def test_each_failure_is_said_as_before(
    cloud: str,
    case: str,
    make: Callable[[], Any],
    translate_with: Callable[..., Any],
    options: dict[str, Any],
) -> None:
    _check(f"{cloud}/{case}", translate(translate_with, make, options))


@pytest.mark.parametrize(
    ("cloud", "case"), [(cloud, case) for cloud, names in CA_CASES.items() for case in names]
)
def test_an_unreadable_ca_bundle_is_named_as_before(
    cloud: str, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BUNDLES[cloud], MISSING_BUNDLE)
    (make, translate_with, options) = next(
        (m, t, o) for c, n, m, t, o in ALL if c == cloud and n == case
    )
    _check(f"{cloud}/{case}/ca-bundle", translate(translate_with, make, options))
