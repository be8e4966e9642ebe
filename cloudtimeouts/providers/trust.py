"""The CA bundle an SDK verifies TLS with, when the environment points it at a file it cannot read.

A CA bundle variable that names a missing or unreadable file makes every HTTPS request of the SDK
fail, and each SDK says so in its own way, deep in a chain of errors (azure-identity: one line per
credential it tried; requests: an OSError; botocore: "SSL validation failed … [Errno 2]"). The
adapters ask `unreadable_ca_bundle` when an HTTPS request failed, so that the error names the
variable, the file and what is wrong with it.

Which variable is in effect: requests (Azure's and Google's clients) takes REQUESTS_CA_BUNDLE,
else CURL_CA_BUNDLE (requests.Session.merge_environment_settings); botocore takes AWS_CA_BUNDLE
(its `ca_bundle` setting), else REQUESTS_CA_BUNDLE (botocore.endpoint, "_get_verify_value").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

REQUESTS_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
BOTOCORE_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class UnreadableCaBundle:
    variable: str
    path: str
    reason: str  # "no such file", "permission denied", …

    def __str__(self) -> str:
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
    """The CA bundle the first of `variables` that is set names, if it cannot be read."""
    for variable in variables:
        path = os.environ.get(variable, "").strip()
        if not path:
            continue
        if os.path.isdir(path):  # requests and botocore accept a directory of certificates
            return None
        try:
            with open(path, "rb") as file:
                file.read(1)
        except FileNotFoundError:
            reason = "no such file"
        except PermissionError:
            reason = "permission denied"
        except OSError as error:
            reason = error.strerror or type(error).__name__
        else:
            return None
        return UnreadableCaBundle(variable, path, reason)
    return None
