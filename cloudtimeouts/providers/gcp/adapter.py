"""Google Cloud SQL for PostgreSQL and MySQL: database flags, through google-cloud-sql (v1beta4).

API facts used here (Cloud SQL Admin API reference, v1beta4):
- instances.get: `databaseVersion`, `settings.databaseFlags` (name/value strings) and
  `settings.settingsVersion` ("a required field for update method to make sure concurrent updates
  are handled properly"); a stale settingsVersion is answered 412 (staleData).
- instances.patch: `settings.databaseFlags` REPLACES the whole list, so every write sends the full
  merged list; it returns an Operation to poll with operations.get until DONE.
- flags.list?databaseVersion=...: per flag type, minValue/maxValue, allowed values and
  requiresRestart. A flag it does not list cannot be set on that version.
- Cloud SQL flags docs: "When you set, remove, or modify a flag for a database instance, the
  database might be restarted"; replicas restart too when their source does.
Only v1beta4 has the REST transport in google-cloud-sql 0.1.x. The generated clients set no default
timeout or retry, so every call passes both. Credentials: Application Default Credentials.
Endpoint: CLOUDTIMEOUTS_GCP_ENDPOINT (a base URL) overrides sqladmin.googleapis.com.

Retries and time: Cloud SQL's "Best practices" (use exponential backoff on 429 and 5xx) and Google
Cloud's retry strategy (truncated exponential backoff with jitter; retry 408, 429, 5xx and network
errors such as a connection reset only where the request is idempotent). Reads (GET) retry all
of those; instances.patch is not idempotent (settingsVersion moves on), so only a 429, which
Cloud SQL answers without doing anything, is sent again. A read timeout is never retried: an
endpoint that is silent once is likely to stay silent, and the call's budget matters more. Each
call's timeout is a deadline over its attempts (google-api-core's TimeToDeadlineTimeout), its
retries stop at RETRY_DEADLINE_S, and the access token is fetched before the call with its own
timeout and retries (google-auth's default is 120 s), so that one call ends within about 45 s
and an unresponsive endpoint ends the target with an error within the README's 60 s.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import google.auth
import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.auth.credentials import Credentials
from google.cloud import sqladmin_v1beta4 as sql
from google.protobuf import json_format

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import (
    CloudtimeoutsError,
    ProviderAPIError,
    ProviderAuthError,
    TargetChangedError,
    TargetNotAllowedError,
    WriteError,
)
from cloudtimeouts.model import Change, ParameterState, TargetState, WriteOutcome
from cloudtimeouts.profile import GcpTarget

ENDPOINT_VARIABLE = "CLOUDTIMEOUTS_GCP_ENDPOINT"
# Every Cloud SQL Admin API method accepts this scope (or cloud-platform); it is the narrower one.
SCOPES = ("https://www.googleapis.com/auth/sqlservice.admin",)
CALL_TIMEOUT_S = 20.0  # connect and read, per attempt; a deadline over the attempts of a call
RETRY_INITIAL_S = 0.5  # truncated exponential back-off, as Google's retry guidance describes
RETRY_MAXIMUM_S = 8.0
RETRY_MULTIPLIER = 2.0
RETRY_DEADLINE_S = 40.0  # no retry starts later than this after the call's first attempt
TOKEN_TIMEOUT_S = 10.0  # one token request (connect and read)
TOKEN_DEADLINE_S = 25.0  # every attempt at getting an access token
# OAuth 2.0 error codes that mean "try again" (RFC 6749 section 4.1.2.1; google-auth retries the
# same ones for its own token requests).
_TRANSIENT_OAUTH_ERRORS = frozenset({"temporarily_unavailable", "server_error", "internal_failure"})
OPERATION_TIMEOUT_S = 600.0  # how long a flag update may take before we give up waiting
OPERATION_POLL_INITIAL_S = 0.5
OPERATION_POLL_MAXIMUM_S = 5.0
_ENGINE_PREFIXES = (("POSTGRES_", Engine.POSTGRES), ("MYSQL_", Engine.MYSQL))
_DONE = sql.Operation.SqlOperationStatus.DONE
_INTEGER = sql.SqlFlagType.INTEGER
# What each call needs in IAM (Cloud SQL roles and permissions page); flags.list needs none.
_PERMISSIONS = {
    "instances.get": "cloudsql.instances.get",
    "instances.patch": "cloudsql.instances.update",
    "operations.get": "cloudsql.instances.get",
}
_RESTART_NOTICE = (
    "flags.list marks it requiresRestart: Cloud SQL may restart the instance (and its replicas) "
    "to apply it"
)

ClientFactory = Callable[[], "_Clients"]


class _NoProjectWarning(logging.Filter):
    """google.auth.default() warns on stderr when ADC names no project; targets name theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No project ID could be determined")


logging.getLogger("google.auth._default").addFilter(_NoProjectWarning())


class _Clients:
    """The three REST clients, sharing one set of credentials and one endpoint."""

    def __init__(self, credentials: Credentials, endpoint: str | None) -> None:
        options = {"api_endpoint": endpoint} if endpoint else None
        common: dict[str, Any] = {
            "credentials": credentials,
            "transport": "rest",
            "client_options": options,
        }
        self.credentials = credentials
        self.endpoint = endpoint or "https://sqladmin.googleapis.com"
        self.instances = sql.SqlInstancesServiceClient(**common)
        self.operations = sql.SqlOperationsServiceClient(**common)
        self.flags = sql.SqlFlagsServiceClient(**common)
        self._token_lock = threading.Lock()
        self._token_request = google.auth.transport.requests.Request()

    @property
    def token_endpoint(self) -> str:
        for name in ("token_url", "token_uri", "_token_uri"):  # by kind of credentials
            url = getattr(self.credentials, name, None)
            if isinstance(url, str) and url:
                return url
        return "the credentials' token endpoint"

    def authorize(self) -> None:
        """Get an access token now, bounded and retried, unless the one held is still valid.

        The clients would refresh it themselves inside the next call, but then a token failure
        would look like the API's, and the refresh would wait up to google-auth's 120 s.
        """
        with self._token_lock:
            if self.credentials.valid:
                return
            request = functools.partial(self._token_request, timeout=TOKEN_TIMEOUT_S)
            refresh = functools.partial(self.credentials.refresh, request)
            gretry.Retry(
                predicate=_transient_token_error,
                initial=RETRY_INITIAL_S,
                maximum=RETRY_MAXIMUM_S,
                multiplier=RETRY_MULTIPLIER,
                timeout=TOKEN_DEADLINE_S,
            )(refresh)()


def _default_clients() -> _Clients:
    credentials, _project = google.auth.default(scopes=list(SCOPES))
    return _Clients(credentials, os.environ.get(ENDPOINT_VARIABLE) or None)


def _retry(*extra: type[Exception]) -> gretry.Retry:
    """429 and 503 are retried on every call; reads also retry 500 (they are idempotent)."""
    return gretry.Retry(
        predicate=gretry.if_exception_type(gexc.TooManyRequests, gexc.ServiceUnavailable, *extra),
        initial=RETRY_INITIAL_S,
        maximum=RETRY_MAXIMUM_S,
        multiplier=RETRY_MULTIPLIER,
        timeout=RETRY_DEADLINE_S,
    )


def _read_retry() -> gretry.Retry:
    """A read (GET) is idempotent: 429, 5xx and a connection that failed or was reset are retried
    (a silent endpoint, a read timeout, is not: see the module docstring)."""
    return _retry(
        gexc.InternalServerError,
        gexc.BadGateway,
        gexc.GatewayTimeout,
        requests.exceptions.ConnectionError,
    )


def _transient_token_error(error: Exception) -> bool:
    """Worth asking the token endpoint again: it could not be reached, or said "try again"."""
    if isinstance(error, google.auth.exceptions.TransportError):
        cause = error.__cause__
        return isinstance(cause, requests.exceptions.ConnectionError)
    if isinstance(error, google.auth.exceptions.GoogleAuthError):
        return bool(getattr(error, "retryable", False)) or (
            _oauth_error_code(error) in _TRANSIENT_OAUTH_ERRORS
        )
    return False


def _oauth_error_code(error: BaseException) -> str | None:
    """The `error` field of the token endpoint's JSON answer (RFC 6749 section 5.2), if any."""
    for argument in error.args[1:]:
        body = argument
        if isinstance(argument, str | bytes):
            try:
                body = json.loads(argument)
            except ValueError:
                continue
        if isinstance(body, Mapping) and isinstance(body.get("error"), str):
            return str(body["error"])
    return None


class GcpAdapter:
    """One adapter per run: clients created once, flags.list read once per database version."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self._client_factory = client_factory or _default_clients
        self._clients: _Clients | None = None
        self._lock = threading.Lock()
        self._flags: dict[str, Mapping[str, Any]] = {}
        self._flag_locks: dict[str, threading.Lock] = {}

    def expect(self, targets: Sequence[GcpTarget]) -> None:
        """Reads are one instance at a time today (batching: issue #10)."""

    def engine(self, target: GcpTarget) -> Engine:
        clients = self._get_clients(target)
        _authorize(target, "instances.get", clients)
        with _translated(target, "instances.get", clients):
            instance = clients.instances.get(
                request={"project": target.project, "instance": target.instance},
                retry=_read_retry(),
                timeout=CALL_TIMEOUT_S,
            )
        version = _enum_name(instance.database_version)
        engine = engine_of_version(version)
        if engine is None:
            raise TargetNotAllowedError(
                f"{target.id}: {version} is not an engine cloudtimeouts knows"
            )
        return engine

    def endpoint(self, target: GcpTarget) -> str:
        return os.environ.get(ENDPOINT_VARIABLE) or "https://sqladmin.googleapis.com"

    def read(self, target: GcpTarget, engine: Engine, names: Collection[str]) -> TargetState:
        clients = self._get_clients(target)
        _authorize(target, "instances.get", clients)
        with _translated(target, "instances.get", clients):
            instance = clients.instances.get(
                request={"project": target.project, "instance": target.instance},
                retry=_read_retry(),
                timeout=CALL_TIMEOUT_S,
            )
        version = _enum_name(instance.database_version)
        _check_engine(target, version, engine)
        offered = self._offered_flags(target, clients, version)
        current = tuple((flag.name, flag.value) for flag in instance.settings.database_flags)
        values = dict(current)
        parameters = {  # a flag flags.list does not offer for this version: the target lacks it
            name: _parameter_state(values.get(name), offered[name])
            for name in names
            if name in offered
        }
        return TargetState(
            target_id=target.id,
            engine=engine,
            parameters=parameters,
            version=version,
            restart_notice=_RESTART_NOTICE,
            revision=str(instance.settings.settings_version),
            whole_list=current,
        )

    def write(
        self, target: GcpTarget, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome:
        clients = self._get_clients(target)
        merged = dict(state.whole_list)  # every flag on the instance, as it was
        merged.update({c.parameter: c.desired for c in changes if not c.reset})
        for change in changes:
            if change.reset:  # a flag left out of the list is back at its default
                merged.pop(change.parameter, None)
        flags = [{"name": name, "value": merged[name]} for name in sorted(merged)]
        settings_version = int(state.revision) if state.revision else None
        request = {
            "project": target.project,
            "instance": target.instance,
            "body": {"settings": {"database_flags": flags, "settings_version": settings_version}},
        }
        offered = self._flags.get(state.version, {})
        names = [change.parameter for change in changes]
        _authorize(target, "instances.patch", clients)  # a failure here: nothing was sent
        refused = False  # Cloud SQL answered 4xx: it applied nothing
        try:
            with _translated(target, "instances.patch", clients, _unoffered(merged, offered)):
                # Not idempotent (settingsVersion moves on): only a 429, which Cloud SQL answers
                # without doing anything, is sent again. A 5xx, a reset or a timeout may have
                # reached Cloud SQL: never resend, settle and let the caller read.
                try:
                    operation = self._patch(clients, request)
                except gexc.ClientError as answer:
                    refused = answer.code not in (408, 429)
                    raise
        except TargetChangedError:
            raise  # 412 on the one attempt: the instance changed since the read, nothing applied
        except CloudtimeoutsError as error:
            if refused:
                raise
            settled = self._settle(target, clients)
            hint = (
                "instances.patch is never sent twice: its answer may hide a write, so the "
                "instance is read to learn what was written; run plan to see where it stands"
            )
            raise WriteError(error.message, (), names, hint, in_flight=not settled) from None
        try:
            self._wait(target, clients, operation)
        except CloudtimeoutsError as error:
            if isinstance(error, ProviderAPIError) and error.operation == "instances.patch":
                raise  # the operation ended in an error: Cloud SQL applied nothing from it
            raise WriteError(error.message, (), names, error.hint, in_flight=True) from None
        restart = [change.parameter for change in changes if change.apply == "restart"]
        notes = ()
        if restart:
            notes = (
                "Cloud SQL may restart the instance (and its replicas) to apply: "
                + ", ".join(restart),
            )
        # Cloud SQL restarts by itself as part of the operation: nothing waits for a reboot.
        return WriteOutcome(written=tuple(change.parameter for change in changes), notes=notes)

    def _get_clients(self, target: GcpTarget) -> _Clients:
        with self._lock:
            if self._clients is None:
                try:
                    self._clients = self._client_factory()
                except google.auth.exceptions.DefaultCredentialsError as error:
                    raise ProviderAuthError(
                        f"{target.id}: no usable Google credentials: {error}",
                        hint="set up Application Default Credentials: gcloud auth "
                        "application-default login, or GOOGLE_APPLICATION_CREDENTIALS=<key or "
                        "credential configuration file>",
                    ) from None
            return self._clients

    def _offered_flags(
        self, target: GcpTarget, clients: _Clients, version: str
    ) -> Mapping[str, Any]:
        """flags.list for one database version, read once per adapter (targets share it)."""
        with self._lock:
            lock = self._flag_locks.setdefault(version, threading.Lock())
        with lock:
            if version not in self._flags:
                with _translated(target, "flags.list", clients):
                    listed = clients.flags.list(
                        request={"database_version": version},
                        retry=_read_retry(),
                        timeout=CALL_TIMEOUT_S,
                    )
                self._flags[version] = {flag.name: flag for flag in listed.items}
            return self._flags[version]

    @staticmethod
    def _patch(clients: _Clients, request: Mapping[str, Any]) -> Any:
        return clients.instances.patch(
            request=request,
            retry=gretry.Retry(
                predicate=gretry.if_exception_type(gexc.TooManyRequests),
                initial=RETRY_INITIAL_S,
                maximum=RETRY_MAXIMUM_S,
                multiplier=RETRY_MULTIPLIER,
                timeout=RETRY_DEADLINE_S,
            ),
            timeout=CALL_TIMEOUT_S,
        )

    def _settle(self, target: GcpTarget, clients: _Clients) -> bool:
        """Wait for every operation still running on the instance; False if that is unknown.

        After a lost answer to instances.patch the operation may exist and still run: reading the
        flags before it ends would call a write that is about to happen "not written".
        """
        try:
            with _translated(target, "operations.list", clients):
                listed = clients.operations.list(
                    request={"project": target.project, "instance": target.instance},
                    retry=_read_retry(),
                    timeout=CALL_TIMEOUT_S,
                )
                running = [op for op in listed if op.status != _DONE]
            for operation in running:
                self._wait(target, clients, operation)
        except CloudtimeoutsError:
            return False
        return True

    def _wait(self, target: GcpTarget, clients: _Clients, operation: Any) -> None:
        """Poll operations.get until DONE (bounded); an operation error becomes an API error."""
        deadline = time.monotonic() + OPERATION_TIMEOUT_S
        delay = OPERATION_POLL_INITIAL_S
        while operation.status != _DONE:
            if time.monotonic() + delay > deadline:
                raise ProviderAPIError(
                    "gcp",
                    "operations.get",
                    "timeout",
                    f"{target.id}: the Cloud SQL operation {operation.name} was still "
                    f"{_enum_name(operation.status)} after {OPERATION_TIMEOUT_S:.0f} s",
                    hint=f"follow it with: gcloud sql operations describe {operation.name} "
                    f"--project {target.project}; then run plan again",
                )
            time.sleep(delay)
            delay = min(delay * 1.5, OPERATION_POLL_MAXIMUM_S)
            with _translated(target, "operations.get", clients):
                operation = clients.operations.get(
                    request={"project": target.project, "operation": operation.name},
                    retry=_read_retry(),
                    timeout=CALL_TIMEOUT_S,
                )
        errors = list(operation.error.errors) if operation.error else []
        if errors:
            said = "; ".join(f"{error.code}: {error.message}".strip(": ") for error in errors)
            raise ProviderAPIError(
                "gcp",
                "instances.patch",
                errors[0].code or "operationError",
                f"{target.id}: the Cloud SQL operation {operation.name} failed: {said}",
                hint="Cloud SQL applied nothing from this operation; run plan again",
            )


def _parameter_state(value: str | None, flag: Any) -> ParameterState:
    allowed = None
    if flag.type_ == _INTEGER and flag.min_value is not None and flag.max_value is not None:
        allowed = (Decimal(flag.min_value), Decimal(flag.max_value))
    return ParameterState(
        name=flag.name,
        value=value,  # None when the instance does not set it: Cloud SQL's default applies
        allowed=allowed,
        apply_type=ApplyType.STATIC if flag.requires_restart else ApplyType.DYNAMIC,
    )


def _unoffered(flags: Mapping[str, str], offered: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(sorted(name for name in flags if offered and name not in offered))


def _enum_name(value: Any) -> str:
    """An enum's name; a number the installed client does not know stays a number."""
    return getattr(value, "name", None) or str(value)


def engine_of_version(version: str) -> Engine | None:
    for prefix, engine in _ENGINE_PREFIXES:
        if version.startswith(prefix):
            return engine
    return None


def _check_engine(target: GcpTarget, version: str, engine: Engine) -> None:
    found = engine_of_version(version)
    if found is not engine:
        runs = found or "not an engine cloudtimeouts manages on Cloud SQL"
        raise TargetNotAllowedError(
            f"{target.id}: the instance runs {version} ({runs}), "
            f"but the profile's engine is {engine}",
            hint="point the target at a Cloud SQL instance of the profile's engine",
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


@contextlib.contextmanager
def _translated(
    target: GcpTarget,
    operation: str,
    clients: _Clients,
    suspects: tuple[str, ...] = (),
    *,
    token: bool = False,
) -> Iterator[None]:
    """Client errors become one message: what we were doing on which target, what Google said,
    and which endpoint said it (`token`: getting the access token before `operation`)."""
    failed = f"{target.id}: {operation} {'not sent' if token else 'failed'}"
    where = clients.token_endpoint if token else clients.endpoint
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
            (_oauth_error_code(cause) if cause else None) or "RetryError",
            f"{failed}: {where} kept failing after retries ({_first_line(cause or error)})",
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
            f"({type(error).__name__}: {_first_line(error)})",
            hint=f"a proxy, or an endpoint that is not Google's ({ENDPOINT_VARIABLE}, "
            "GOOGLE_APPLICATION_CREDENTIALS), may be answering",
        ) from None
    except google.auth.exceptions.GoogleAuthError as error:  # RefreshError, OAuthError, ...
        raise ProviderAuthError(
            f"{failed}: the Google credentials could not be refreshed at "
            f"{clients.token_endpoint}: {_first_line(error)}",
            hint="renew Application Default Credentials (gcloud auth application-default login) "
            "or check GOOGLE_APPLICATION_CREDENTIALS",
        ) from None


def _unreachable(
    operation: str, failed: str, where: str, clients: _Clients, error: BaseException, retried: str
) -> ProviderAPIError:
    """The network failed: refused, reset, or silent (a timeout); the token request's included."""
    if isinstance(error, google.auth.exceptions.TransportError):
        where, error = clients.token_endpoint, error.__cause__ or error
    said = "no answer in time from" if isinstance(error, requests.Timeout) else "could not reach"
    return ProviderAPIError(
        "gcp",
        operation,
        type(error).__name__,
        f"{failed}: {said} {where}{retried}: {_first_line(error)}",
        hint=f"check the network, GOOGLE_APPLICATION_CREDENTIALS and {ENDPOINT_VARIABLE}",
    )


def _authorize(target: GcpTarget, operation: str, clients: _Clients) -> None:
    """An access token before `operation`; its failures name the token endpoint."""
    with _translated(target, operation, clients, token=True):
        clients.authorize()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


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
        permission = _PERMISSIONS.get(operation)
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
