"""What AWS said, in one message: what we were doing on which target, and which endpoint said it.

On the shared base (`providers.errors`): this module says what each botocore error IS, by its class
and by the error code RDS or STS answered (never by its text); the base says it. RDS and STS are
named apart (their endpoint variables, AWS_ENDPOINT_URL_RDS and AWS_ENDPOINT_URL_STS; the XML each
sends; the IAM permission a call needs: `rds:DescribeDBParameters`, `sts:AssumeRole`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from contextlib import AbstractContextManager

import botocore.exceptions
import botocore.parsers

from cloudtimeouts.providers.aws.target import AwsTarget
from cloudtimeouts.providers.errors import (
    Call,
    Dialect,
    Failure,
    Kind,
    first_line,
    translating,
    transport,
)
from cloudtimeouts.providers.trust import BOTOCORE_VARIABLES

# Error codes that refuse the credentials or a permission (AWS's common errors, and STS's)
_AUTH_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
_THROTTLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded"})

# The SDK errors a call can end with; anything else is a bug, reported as unexpected.
SDK_ERRORS = (
    botocore.exceptions.BotoCoreError,
    botocore.exceptions.ClientError,
    botocore.parsers.ResponseParserError,
)
_NO_CREDENTIALS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.ProfileNotFound,
    botocore.exceptions.TokenRetrievalError,
)
_TRANSPORT = (
    botocore.exceptions.ConnectionError,  # refused, reset, connect timeout
    botocore.exceptions.HTTPClientError,  # closed or silent after the request was sent
)
DIALECT = Dialect(
    provider="aws",
    network_hint="check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_RDS if you set them",
    garbled="the XML RDS sends",
    garbled_hint="a proxy or an AWS_ENDPOINT_URL_RDS that is not RDS may be answering; run again",
    throttled_hint="AWS kept throttling after retries; try AWS_RETRY_MODE=adaptive",
    ca_variables=BOTOCORE_VARIABLES,
    # botocore loads its CA bundle for the TLS handshake: only that fails on an unreadable one
    ca_bundle_fails=frozenset({Kind.UNTRUSTED}),
    silent="no usable answer from",  # AWS has always said silent and unreachable alike
)
# AssumeRole goes to STS (its own endpoint variable, AWS_ENDPOINT_URL_STS, and its own XML).
STS_DIALECT = dataclasses.replace(
    DIALECT,
    network_hint="check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS if you set them",
    garbled="the XML STS sends",
    garbled_hint="a proxy or an AWS_ENDPOINT_URL_STS that is not STS may be answering; run again",
)


def classify(
    error: BaseException, target: AwsTarget, operation: str, service: str = "rds"
) -> Failure | None:
    """What botocore raised, by its class and RDS's error code (never by its text)."""
    if isinstance(error, botocore.exceptions.ClientError):
        info = error.response.get("Error", {})
        code, message = info.get("Code", "Unknown"), info.get("Message", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        said = f"{code}: {message}".rstrip(": ")
        if code in _AUTH_CODES:
            hint = f"the credentials in use need the IAM permission {service}:{operation}"
            if service == "sts":  # AssumeRole: the role's trust policy must name them too
                hint += f" on {target.role_arn}, and that role must trust them"
            return Failure(Kind.DENIED, code, said, hint=hint, status=status)
        kind = Kind.THROTTLED if code in _THROTTLE_CODES else Kind.ANSWERED
        return Failure(kind, code, said, status=status)
    if isinstance(error, _NO_CREDENTIALS):
        return Failure(
            Kind.NO_CREDENTIALS,
            message=f"{target.id}: no usable AWS credentials: {error}",
            hint="use the standard chain: AWS_PROFILE / aws_profile, aws configure, "
            "aws sso login, environment variables or an instance role",
        )
    if isinstance(error, botocore.parsers.ResponseParserError):  # not a BotoCoreError
        return Failure(Kind.GARBLED, type(error).__name__, first_line(error))
    if isinstance(error, _TRANSPORT):
        kind = transport(error, untrusted=(botocore.exceptions.SSLError,))
        return Failure(kind, type(error).__name__, first_line(error), retried=True)
    if isinstance(error, botocore.exceptions.BotoCoreError):
        return Failure(Kind.FAILED, type(error).__name__, first_line(error))
    return None


def translated(
    target: AwsTarget, operation: str, where: str | None = None
) -> AbstractContextManager[None]:
    """SDK errors become one message: what we were doing on which target, what AWS said, and
    which endpoint (`where`: STS's for AssumeRole; default the RDS endpoint) did not answer."""
    service = "sts" if operation == "AssumeRole" else "rds"
    call = Call(
        target.id, operation, f"{target.id}: {operation} failed", where or endpoint_of(target)
    )
    classified = functools.partial(classify, target=target, operation=operation, service=service)
    return translating(call, classified, STS_DIALECT if service == "sts" else DIALECT)


def endpoint_of(target: AwsTarget) -> str:
    url = os.environ.get("AWS_ENDPOINT_URL_RDS") or os.environ.get("AWS_ENDPOINT_URL")
    return url or f"https://rds.{target.region}.amazonaws.com"
