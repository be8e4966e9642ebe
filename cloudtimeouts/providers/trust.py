"""The CA bundle an SDK verifies TLS with, when the environment points it at a file it cannot read.

A CA bundle variable that names a missing or unreadable file makes every HTTPS request of the SDK
fail, and each SDK says so in its own way, deep in a chain of errors (azure-identity: one line per
credential it tried; requests: an OSError; botocore: "SSL validation failed … [Errno 2]"). The
adapters ask `unreadable_ca_bundle` when an HTTPS request failed, so that the error names the
variable, the file and what is wrong with it.

Which variable is in effect: requests (Azure's and Google's clients) takes REQUESTS_CA_BUNDLE,
else CURL_CA_BUNDLE (requests.Session.merge_environment_settings); botocore takes AWS_CA_BUNDLE
(its `ca_bundle` setting), else REQUESTS_CA_BUNDLE (botocore.endpoint, "_get_verify_value").
requests takes a directory of certificates too (urllib3's ca_cert_dir); botocore gives its value
to urllib3 as a file (botocore.httpsession, `conn.ca_certs`), so a directory fails there.
A readable file that holds no PEM certificate fails every SDK alike, in OpenSSL's words
("[X509: NO_CERTIFICATE_OR_CRL_FOUND]"): it is said here as what it is.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

REQUESTS_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
BOTOCORE_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")
NO_CERTIFICATE = "no certificate"


@dataclass(frozen=True)
class UnreadableCaBundle:
    variable: str
    path: str
    reason: str  # "no such file", "permission denied", NO_CERTIFICATE, …

    def __str__(self) -> str:
        if self.reason == NO_CERTIFICATE:
            return (
                f"the CA bundle {self.variable}={self.path} holds no certificate (a CA bundle is "
                "a PEM file of CA certificates)"
            )
        return f"the CA bundle {self.variable}={self.path} cannot be read ({self.reason})"

    @property
    def hint(self) -> str:
        return (
            f"point {self.variable} at a readable PEM file of the certificates to trust, "
            "or unset it"
        )


def untrusted_hint(variable: str) -> str:
    """For a certificate that failed verification: the CA bundle the SDK should trust."""
    return (
        f"the endpoint's certificate is not trusted; if a proxy or a private CA issued it, point "
        f"{variable} at a PEM file with that CA's certificate"
    )


def unreadable_ca_bundle(
    variables: Sequence[str] = REQUESTS_VARIABLES,
) -> UnreadableCaBundle | None:
    """The CA bundle the first of `variables` that is set names, if it cannot be used: it cannot
    be read, it holds no certificate, or it is a directory where botocore needs a file."""
    for variable in variables:
        path = os.environ.get(variable, "").strip()
        if not path:
            continue
        if os.path.isdir(path):  # requests takes a directory of certificates; botocore does not
            if variables == BOTOCORE_VARIABLES:
                return UnreadableCaBundle(variable, path, "is a directory; name a PEM file")
            return None
        try:
            with open(path, "rb") as file:
                file.read(1)
            ssl.create_default_context(cafile=path)  # as the SDKs load it
        except FileNotFoundError:
            reason = "no such file"
        except PermissionError:
            reason = "permission denied"
        except ssl.SSLError:
            reason = NO_CERTIFICATE
        except OSError as error:
            reason = error.strerror or type(error).__name__
        else:
            return None
        return UnreadableCaBundle(variable, path, reason)
    return None


_CONNECTION = re.compile(r"^HTTPS?Connection\([^)]*\): ")


def transport_said(error: BaseException) -> str:
    """What a failed request's innermost cause said, on one line: `certificate verify failed:
    self-signed certificate`, `Failed to establish a new connection: [Errno 111] Connection
    refused`, rather than requests' and urllib3's wrappers around it ("HTTPSConnectionPool(host=
    …): Max retries exceeded with url: … (Caused by SSLError(SSLCertVerificationError(…)))")."""
    seen: set[int] = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = getattr(error, "reason", None)  # urllib3's MaxRetryError
        if not isinstance(inner, BaseException) and error.args:
            inner = error.args[0]  # requests' ConnectionError, urllib3's SSLError
        if not isinstance(inner, BaseException):
            break
        error = inner
    said = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return _CONNECTION.sub("", said)


def refused(error: BaseException) -> bool:
    """Whether a failed request was refused (nothing listens there): a ConnectionRefusedError
    anywhere in its chain of causes (requests -> urllib3's MaxRetryError -> NewConnectionError
    -> the socket's error; azure-core and botocore wrap the same urllib3 errors).

    A refusal is an answer, not a black hole: the host said at once that nothing listens on
    that port, and asking again within seconds rarely finds a server started meanwhile. Google's
    retry guidance lists "connection reset" among the errors to retry, not a refused
    connection; so the adapters fail a refused call at once, naming the endpoint.
    """
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += list(current.args)
    return False
