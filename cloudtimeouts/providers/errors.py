"""What a failed cloud call becomes: the shared base of every adapter's error translation.

Each adapter catches its SDK's exceptions at its edge and says what the failure IS, in
cloud-neutral words (`Failure`: a `Kind`, the cloud's code and what it said); this module says it
to the user, the same way for every cloud: which `CloudtimeoutsError` it becomes, the message's
shape ("what we were doing on which target: what went wrong, where") and the hints that do not
depend on the cloud. libcloud's `Connection`/`Response` split is the model: the translation is
shared, the parsing of each cloud's errors is the driver's (`parse_error`).

What a cloud supplies (its `Dialect` and its `classify`): its SDK's exception types and error
codes (which are refusals of the credentials, which are throttling), the endpoint a call went to
and the variables that override it, the CA bundle variables its SDK reads, and the words it has
always used. Those words differ between clouds (AWS says "no usable answer from … after retries",
Google "could not reach …") and are kept as they were: a user's scripts and our tests read them.

The classification of transport failures is shared too (`transport`): a request that got no usable
answer was silent (a timeout), could not reach the endpoint (refused, reset, closed, a name that
does not resolve: one answer, "unreachable"), or failed TLS (the certificate not trusted, or the
handshake). Each SDK wraps the socket's and the ssl module's errors in its own classes; their
causes are walked (`causes`), so that the same socket error is said the same way whichever SDK
raised it. An unreadable CA bundle (`trust.unreadable_ca_bundle`) is named as the cause where a
cloud's SDK fails that way.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum

from cloudtimeouts.errors import (
    CloudtimeoutsError,
    ProviderAPIError,
    ProviderAuthError,
    TargetChangedError,
)
from cloudtimeouts.providers.trust import unreadable_ca_bundle, untrusted_hint


class Kind(Enum):
    """What a failure is, whatever cloud it came from."""

    DENIED = "denied"  # answered: the credentials were refused, or lack a permission
    NO_CREDENTIALS = "no-credentials"  # no usable credentials: nothing was sent
    THROTTLED = "throttled"  # answered: still throttled (or unavailable) after the retries
    ANSWERED = "answered"  # answered with an error the API documents
    CHANGED = "changed"  # answered: a precondition failed, the target changed since it was read
    GARBLED = "garbled"  # an answer that is not what the API sends (a proxy, a wrong endpoint)
    SILENT = "silent"  # no answer in time
    UNREACHABLE = "unreachable"  # refused, reset or closed, a name that does not resolve
    UNTRUSTED = "untrusted"  # TLS failed: a certificate not trusted, a handshake refused
    FAILED = "failed"  # the SDK failed the call for a reason of its own (a parameter it refused)


TRANSPORT = frozenset({Kind.SILENT, Kind.UNREACHABLE, Kind.UNTRUSTED})
# An answer that says "try again" (RFC 9110: 408 Request Timeout, RFC 6585: 429 Too Many Requests):
# the request was not refused for what it is.
RETRYABLE_STATUS = frozenset({408, 429})


@dataclass(frozen=True)
class Failure:
    """One failed call, as a cloud's `classify` says it.

    `said` is what the cloud (or its SDK) said, on one line, already in the cloud's shape ("Code:
    message", "403 reason: message"). `problem` replaces the base's wording of what went wrong
    (after "<what we were doing>: "); `message` replaces the whole message (an error that is not
    about one call, such as "<target> changed since the plan: …"). `status` is the HTTP status
    the cloud answered, when it answered; `retried` says the SDK's retries were spent; `where`
    is the endpoint that failed when it is not the call's (the token endpoint, asked inside it).
    """

    kind: Kind
    code: str | None = None
    said: str = ""
    hint: str | None = None
    problem: str | None = None
    message: str | None = None
    status: int | None = None
    retried: bool = False
    where: str | None = None


@dataclass(frozen=True)
class Dialect:
    """A cloud's own words for what every cloud has (the defaults are the most common ones)."""

    provider: str  # "aws", "gcp", "azure": ProviderAPIError.provider
    network_hint: str  # an endpoint that did not answer: what to check
    garbled: str  # "the XML RDS sends": what an answer should have been
    garbled_hint: str
    throttled_hint: str
    ca_variables: tuple[str, ...]  # the CA bundle variables its SDK reads, the first one wins
    # which transport failures an unreadable CA bundle makes (requests fails every request to an
    # https endpoint; botocore fails the TLS handshake only)
    ca_bundle_fails: frozenset[Kind] = TRANSPORT
    silent: str = "no answer in time from"
    unreachable: str = "no usable answer from"
    untrusted: str = "no usable answer from"
    retried: str = " after retries"  # said after the endpoint when the SDK's retries were spent
    detail: str = " ({})"  # how what the SDK said follows the endpoint

    def transport_words(self, kind: Kind) -> str:
        return {Kind.SILENT: self.silent, Kind.UNTRUSTED: self.untrusted}.get(
            kind, self.unreachable
        )


@dataclass(frozen=True)
class Call:
    """What we were doing when a call failed: on which target, which operation, where."""

    target_id: str
    operation: str
    failed: str  # the message's head: "<target>: DescribeDBParameters failed", "…: could not …"
    where: str  # the endpoint the call went to


# A cloud's reading of its SDK's errors; None: not one of them (a bug, reported as unexpected).
Classify = Callable[[BaseException], Failure | None]


def error_for(call: Call, failure: Failure, dialect: Dialect) -> CloudtimeoutsError:
    """The one mapping from a failure to the error a user reads (and its exit code)."""
    kind = failure.kind
    if kind in TRANSPORT:
        return _transport_error(call, failure, dialect)
    text = failure.message or f"{call.failed}: {failure.problem or failure.said}"
    if kind in (Kind.DENIED, Kind.NO_CREDENTIALS):
        return ProviderAuthError(text, hint=failure.hint)
    code = failure.code or "Unknown"
    if kind is Kind.CHANGED:
        return TargetChangedError(dialect.provider, call.operation, code, text, failure.hint)
    hint = failure.hint
    if kind is Kind.GARBLED:
        hint = hint or dialect.garbled_hint
        if failure.problem is None and failure.message is None:
            text = (
                f"{call.failed}: the answer from {call.where} is not {dialect.garbled} "
                f"({failure.said})"
            )
    elif kind is Kind.THROTTLED:
        hint = hint or dialect.throttled_hint
    return ProviderAPIError(dialect.provider, call.operation, code, text, hint=hint)


def _transport_error(call: Call, failure: Failure, dialect: Dialect) -> ProviderAPIError:
    """No usable answer: the CA bundle when it is the cause, else what the network did."""
    kind, where = failure.kind, failure.where or call.where
    cause = None
    if where.startswith("https:") and kind in dialect.ca_bundle_fails:
        cause = unreadable_ca_bundle(dialect.ca_variables)
    if cause is not None:
        return ProviderAPIError(
            dialect.provider, call.operation, "CaBundle", f"{call.failed}: {cause}", cause.hint
        )
    retried = dialect.retried if failure.retried else ""
    detail = dialect.detail.format(failure.said)
    text = failure.problem or f"{dialect.transport_words(kind)} {where}{retried}{detail}"
    hint = failure.hint
    if hint is None:
        hint = untrusted_hint(dialect.ca_variables[0]) if kind is Kind.UNTRUSTED else None
    return ProviderAPIError(
        dialect.provider,
        call.operation,
        failure.code or "Unknown",
        f"{call.failed}: {text}",
        hint=hint or dialect.network_hint,
    )


@contextlib.contextmanager
def translating(call: Call, classify: Classify, dialect: Dialect) -> Iterator[None]:
    """SDK errors inside become one CloudtimeoutsError (what `classify` does not know passes
    through: a bug, reported as unexpected by the CLI's one error boundary)."""
    try:
        yield
    except CloudtimeoutsError:
        raise
    except Exception as error:
        failure = classify(error)
        if failure is None:
            raise
        raise error_for(call, failure, dialect) from None


def translate(call: Call, error: BaseException, classify: Classify, dialect: Dialect) -> Exception:
    """`translating` for an error caught earlier (one listing's failure, told to each target)."""
    if isinstance(error, CloudtimeoutsError):
        return error
    failure = classify(error)
    if failure is None:
        return error if isinstance(error, Exception) else RuntimeError(str(error))
    return error_for(call, failure, dialect)


def refused_or_garbled(failure: Failure | None) -> bool:
    """A failure one call may have that another call to the same endpoint may not share: the
    cloud refused that request for what it is (a 4xx other than 408/429: a permission of its
    own, a resource group that does not exist) or answered something that is not its format.
    Throttled or unavailable after the retries, unreachable, silent, no credentials: the
    endpoint's, shared by every call (`providers.listings` sets aside the former only)."""
    if failure is None:
        return False
    if failure.kind is Kind.GARBLED:
        return True
    status = failure.status
    return status is not None and 400 <= status < 500 and status not in RETRYABLE_STATUS


# -- transport failures ---------------------------------------------------------------------------
def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and every error inside it: `__cause__`, `__context__`, urllib3's `reason` and
    the exceptions an SDK passes as arguments (requests' ConnectionError(MaxRetryError(…)),
    azure-core's ServiceRequestError(error=…), botocore's SSLError(error=…))."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += [getattr(current, "inner_exception", None), *current.args]
        pending += list(getattr(current, "kwargs", {}).values())


def transport(
    error: BaseException,
    silent: tuple[type[BaseException], ...] = (),
    untrusted: tuple[type[BaseException], ...] = (),
) -> Kind:
    """SILENT, UNREACHABLE or UNTRUSTED for a request that got no usable answer: by the SDK's own
    classes (`silent`, `untrusted`), else by the socket's and the ssl module's errors inside them.
    A TLS failure first (a handshake that timed out is still TLS), then a timeout; anything else
    could not reach the endpoint: refused, reset, closed, a host name that does not resolve."""
    inside = list(causes(error))
    if any(isinstance(e, (ssl.SSLError, *untrusted)) for e in inside):
        return Kind.UNTRUSTED
    if any(isinstance(e, (TimeoutError, socket.timeout, *silent)) for e in inside):
        return Kind.SILENT
    return Kind.UNREACHABLE


def first_line(error: BaseException) -> str:
    """What an error says, on its first line (SDK messages append bodies and advice below)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
