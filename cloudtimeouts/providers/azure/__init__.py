"""Azure Database for PostgreSQL / MySQL flexible server: server parameters ("configurations").

API facts used here (Azure REST API reference, Microsoft.DBforPostgreSQL / Microsoft.DBforMySQL
flexibleServers):
- Configurations - List By Server / Get return value, defaultValue, dataType, allowedValues,
  source, isDynamicConfig, isReadOnly, isConfigPendingRestart (PostgreSQL: JSON booleans and a
  `unit`; MySQL: the strings "True"/"False").
- Servers - List By Resource Group (`GET .../resourceGroups/{rg}/providers/{namespace}/
  flexibleServers`, paged with nextLink; learn.microsoft.com/rest/api/postgresql/servers/
  list-by-resource-group, the same on Microsoft.DBforMySQL) returns the Server resources of
  Servers - Get: a plan's first reads of several servers of a resource group take their `version`
  from one listing per engine (`providers.listings`: its rules); a write's re-reads always call
  Servers - Get.
- Configurations - Update (and MySQL's Batch Update) are long-running operations: 202 with
  Azure-AsyncOperation / Location and Retry-After. A non-dynamic parameter takes effect only after
  a server restart, which cloudtimeouts never performs.
Credentials come from DefaultAzureCredential; CLOUDTIMEOUTS_AZURE_ENDPOINT overrides the ARM
endpoint (sovereign clouds, Azure Stack, the sandbox).

Retries and time (Azure Resource Manager, "Understand how Resource Manager throttles requests":
on 429 wait the Retry-After seconds; Azure SDK guidelines, "Retry policy": exponential back-off on
408, 429 and 5xx, and on connection failures): azure-core's RetryPolicy does this and honours
Retry-After; it does not resend a PATCH or POST after a 500/503/504 without Retry-After or after
the connection dropped once the request was sent (the answer may hide a write), which the
orchestration then reconciles by reading. Every request has a connect and a read timeout, the
management clients AND the azure-identity credential's token requests alike (left alone, both
would wait 300 s and retry 10 times); the retries of one call stop after CALL_BUDGET_S, so that an
unresponsive endpoint ends a target with an error well within the README's 60 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.identity import DefaultAzureCredential

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.errors import (
    CloudtimeoutsError,
    ProviderAPIError,
    ProviderAuthError,
    TargetNotAllowedError,
    WriteError,
)
from cloudtimeouts.model import Change, ParameterState, TargetState, WriteOutcome
from cloudtimeouts.providers.azure.target import AzureTarget
from cloudtimeouts.providers.listings import Listings
from cloudtimeouts.providers.trust import unreadable_ca_bundle, untrusted_hint

ENDPOINT_VARIABLE = "CLOUDTIMEOUTS_AZURE_ENDPOINT"
PUBLIC_ENDPOINT = "https://management.azure.com"
# Used only when the server sends no Retry-After; the SDK's own default is 30 s.
POLL_INTERVAL_SECONDS = 5
OPERATION_TIMEOUT_SECONDS = 15 * 60  # a configuration update normally takes seconds
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0  # ARM answers in well under a second; an operation is polled, not awaited
CALL_BUDGET_S = 30.0  # no retry of one request starts later than this (RetryPolicy `timeout`)
RETRY_TOTAL = 4
# A connection that cannot be made (refused, no route, a connect timeout: azure-core's "connect"
# errors, where the request never left) is tried once more at once, not four times over 4.8 s of
# back-off: a refused port is a wrong endpoint, which AWS and GCP report at once too.
RETRY_CONNECT = 1
RETRY_BACKOFF_FACTOR = 0.8  # azure-core's default: 0, 1.6, 3.2, ... s (Retry-After wins)
RETRY_BACKOFF_MAX_S = 8.0
_KNOWN_AUTHORITIES = (
    "login.microsoftonline.com",
    "login.chinacloudapi.cn",
    "login.microsoftonline.us",
)
_SOVEREIGN_ARM_HOSTS = ("management.chinacloudapi.cn", "management.usgovcloudapi.net")
_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")
_ENGINE_LABELS = {Engine.POSTGRES: "PostgreSQL", Engine.MYSQL: "MySQL"}
_PROVIDER_NAMESPACES = {
    Engine.POSTGRES: "Microsoft.DBforPostgreSQL",
    Engine.MYSQL: "Microsoft.DBforMySQL",
}


@dataclass(frozen=True, slots=True)
class _Configuration:
    """One server parameter, the same shape for both SDKs (PostgreSQL nests, MySQL is flat)."""

    name: str
    value: str | None
    default: str | None
    allowed: str | None
    source: str | None
    dynamic: bool
    read_only: bool
    pending_restart: bool
    unit: str | None


class AzureAdapter:
    """One credential per run; one management client per (subscription, engine), thread-safe."""

    def __init__(self, credential: Any = None, poll_interval: float | None = None) -> None:
        self._credential = credential
        self._poll_interval = POLL_INTERVAL_SECONDS if poll_interval is None else poll_interval
        self._clients: dict[tuple[str, Engine], Any] = {}
        self._lock = threading.Lock()
        self._endpoint = os.environ.get(ENDPOINT_VARIABLE, PUBLIC_ENDPOINT).rstrip("/")
        self._listings = Listings(_refused_or_garbled)

    def expect(self, targets: Sequence[AzureTarget]) -> None:
        """A resource group with several servers in the plan is listed once, at a first read."""
        self._listings.expect((_group(target), target.server.lower()) for target in targets)

    def engine(self, target: AzureTarget) -> Engine:
        """PostgreSQL and MySQL flexible servers live under two resource providers: ask both."""
        for engine in (Engine.POSTGRES, Engine.MYSQL):
            with _translated(target, "read the server"):
                try:
                    self._client(target, engine).servers.get(target.resource_group, target.server)
                except ResourceNotFoundError:
                    continue
            return engine
        raise TargetNotAllowedError(
            f"{target.id}: no PostgreSQL or MySQL flexible server {target.server} in resource "
            f"group {target.resource_group}"
        )

    def endpoint(self, target: AzureTarget) -> str:
        authority = os.environ.get("AZURE_AUTHORITY_HOST") or "https://login.microsoftonline.com"
        return f"{self._endpoint} (sign-in: {authority})"

    def read(self, target: AzureTarget, engine: Engine, names: Collection[str]) -> TargetState:
        client = self._client(target, engine)
        server, listed_as = None, target.server.lower()
        listing = self._listings.claim(_group(target), listed_as, (*_group(target), engine))
        if listing is not None:  # a plan's first read: from the resource group's listing
            with _translated(target, "read the server"):
                server = listing.take(
                    listed_as,
                    lambda: (
                        (str(found.name).lower(), found)
                        for found in client.servers.list_by_resource_group(target.resource_group)
                    ),
                )
        if server is None:  # not listed, or not in the listing: its own 404 if it is missing
            with _translated(target, "read the server"):
                try:
                    server = client.servers.get(target.resource_group, target.server)
                except ResourceNotFoundError:
                    self._explain_missing_server(target, engine)
                    raise
        version = str(getattr(server, "version", "") or "")
        wanted = {name.lower(): name for name in names}
        with _translated(target, "list the server parameters"):
            found = {
                wanted[config.name.lower()]: config
                for config in map(
                    _configuration,
                    client.configurations.list_by_server(target.resource_group, target.server),
                )
                if config.name.lower() in wanted
            }
        return TargetState(
            target_id=target.id,
            engine=engine,
            parameters={name: _parameter_state(name, config) for name, config in found.items()},
            version=f"{_ENGINE_LABELS[engine]} {version}".strip(),
        )

    def write(
        self, target: AzureTarget, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome:
        client = self._client(target, state.engine)
        if state.engine is Engine.MYSQL:
            self._write_mysql(client, target, changes)
            written = tuple(change.parameter for change in changes)
        else:
            written = self._write_postgres(client, target, changes)
        notes: tuple[str, ...] = ()
        try:  # written already: a failure here is a note, not a failed write
            with _translated(target, "re-read the server parameters"):
                pending = tuple(
                    change.parameter
                    for change in changes
                    for config in [
                        _configuration(
                            client.configurations.get(
                                target.resource_group, target.server, change.parameter
                            )
                        )
                    ]
                    if config.pending_restart
                )
        except CloudtimeoutsError as error:
            pending, notes = (
                (),
                (f"could not check which parameters wait for a restart: {error.message}",),
            )
        if pending:
            notes = (
                f"server {target.server} has parameters waiting for a restart "
                f"(isConfigPendingRestart): {', '.join(pending)}; restart it when you choose "
                f"(az {'postgres' if state.engine is Engine.POSTGRES else 'mysql'} "
                f"flexible-server restart)",
            )
        return WriteOutcome(written=written, pending_restart=pending, notes=notes)

    def _write_postgres(
        self, client: Any, target: AzureTarget, changes: Sequence[Change]
    ) -> tuple[str, ...]:
        from azure.mgmt.postgresqlflexibleservers.models import (
            ConfigurationForUpdate,
            ConfigurationProperties,
        )

        written: list[str] = []
        for change in changes:  # one at a time: a server accepts one configuration change at once
            update = ConfigurationForUpdate(
                properties=ConfigurationProperties(value=change.desired, source=_source(change))
            )
            _run_operation(
                target,
                f"set {change.parameter} to {change.desired}",
                lambda update=update, name=change.parameter: client.configurations.begin_update(
                    target.resource_group, target.server, name, update
                ),
                written=written,
                sent=[change.parameter],
            )
            written.append(change.parameter)
        return tuple(written)

    def _write_mysql(self, client: Any, target: AzureTarget, changes: Sequence[Change]) -> None:
        from azure.mgmt.mysqlflexibleservers.models import (
            ConfigurationForBatchUpdate,
            ConfigurationListForBatchUpdate,
        )

        # One batch: Azure applies it as one operation (never with reset_all_to_default).
        batch = ConfigurationListForBatchUpdate(
            value=[
                ConfigurationForBatchUpdate(
                    name=change.parameter, value=change.desired, source=_source(change)
                )
                for change in changes
            ]
        )
        names = [change.parameter for change in changes]
        _run_operation(  # one operation: all or none
            target,
            f"set {', '.join(names)}",
            lambda: client.configurations.begin_batch_update(
                target.resource_group, target.server, batch
            ),
            written=[],
            sent=names,
        )

    def _client(self, target: AzureTarget, engine: Engine) -> Any:
        key = (target.subscription_id, engine)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(target.subscription_id, engine)
            return self._clients[key]

    def _new_client(self, subscription_id: str, engine: Engine) -> Any:
        if self._credential is None:
            self._credential = _default_credential()
        options: dict[str, Any] = {
            "base_url": self._endpoint,
            "polling_interval": self._poll_interval,
            **_transport_options(),
        }
        if any(self._endpoint.endswith(host) for host in _SOVEREIGN_ARM_HOSTS):
            # Sovereign clouds issue tokens for their own ARM audience; elsewhere (the public
            # cloud, emulators such as the sandbox) the SDK's default audience applies.
            options["credential_scopes"] = [f"{self._endpoint}/.default"]
        if engine is Engine.POSTGRES:
            from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

            return PostgreSQLManagementClient(self._credential, subscription_id, **options)
        from azure.mgmt.mysqlflexibleservers import MySQLManagementClient

        return MySQLManagementClient(self._credential, subscription_id, **options)

    def _explain_missing_server(self, target: AzureTarget, engine: Engine) -> None:
        """A 404 for the profile's engine: is it a server of the other engine?"""
        other = Engine.MYSQL if engine is Engine.POSTGRES else Engine.POSTGRES
        try:
            self._client(target, other).servers.get(target.resource_group, target.server)
        except (HttpResponseError, ServiceRequestError, ClientAuthenticationError):
            return
        raise TargetNotAllowedError(
            f"{target.id}: {target.server} is an Azure Database for {_ENGINE_LABELS[other]} "
            f"flexible server, but the profile's engine is {engine}",
            hint="point the target at a server of the profile's engine",
        )


def _group(target: AzureTarget) -> tuple[str, str]:
    return target.subscription_id.lower(), target.resource_group.lower()  # ARM: case-insensitive


def _refused_or_garbled(error: Exception) -> bool:
    """A listing's failure that Servers - Get may not share: refused (a 4xx other than 408/429,
    e.g. a resource group that does not exist: each target's get says so) or garbled. Throttled
    or 5xx after the retries, unreachable, silent, no credentials: the endpoint's, shared."""
    if isinstance(error, DecodeError):
        return True
    if isinstance(error, HttpResponseError):  # ClientAuthenticationError without a status: none
        status = error.status_code
        return status is not None and 400 <= status < 500 and status not in (408, 429)
    return isinstance(error, ValueError)  # DeserializationError


def _default_credential() -> Any:
    authority = os.environ.get("AZURE_AUTHORITY_HOST", "")
    custom = bool(authority) and not any(host in authority for host in _KNOWN_AUTHORITIES)
    # MSAL validates an unknown authority against the public cloud's instance discovery; a custom
    # authority (Azure Stack, the sandbox) must skip that lookup. The transport and retry options
    # reach every credential of the chain that makes HTTP requests (their pipelines take them).
    return DefaultAzureCredential(disable_instance_discovery=custom, **_transport_options())


def _transport_options() -> dict[str, Any]:
    """azure-core's per-request timeouts and RetryPolicy settings, read when a client is made."""
    return {
        "connection_timeout": CONNECT_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
        "retry_total": RETRY_TOTAL,
        "retry_connect": RETRY_CONNECT,
        "retry_backoff_factor": RETRY_BACKOFF_FACTOR,
        "retry_backoff_max": RETRY_BACKOFF_MAX_S,
        "timeout": CALL_BUDGET_S,
    }


def _configuration(raw: Any) -> _Configuration:
    properties = getattr(raw, "properties", None) or raw  # PostgreSQL nests, MySQL is flat
    return _Configuration(
        name=str(raw.name),
        value=properties.value,
        default=properties.default_value,
        allowed=properties.allowed_values,
        source=properties.source,
        dynamic=_flag(properties.is_dynamic_config, default=True),
        read_only=_flag(properties.is_read_only, default=False),
        pending_restart=_flag(properties.is_config_pending_restart, default=False),
        unit=getattr(properties, "unit", None),
    )


def _flag(value: object, default: bool) -> bool:
    """PostgreSQL answers JSON booleans, MySQL the strings "True"/"False"."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _parameter_state(name: str, config: _Configuration) -> ParameterState:
    match = _RANGE.match(config.allowed or "")
    return ParameterState(
        name=name,
        value=config.value,
        default=config.default,
        allowed=(Decimal(match[1]), Decimal(match[2])) if match else None,
        apply_type=ApplyType.DYNAMIC if config.dynamic else ApplyType.STATIC,
        modifiable=not config.read_only,
        pending_restart=config.pending_restart,
        value_is_default=config.source == "system-default",
        unit=config.unit,
    )


def _source(change: Change) -> str:
    """Configurations - Update: `system-default` with the default value resets a parameter."""
    return "system-default" if change.reset else "user-override"


def _run_operation(
    target: AzureTarget,
    doing: str,
    start: Callable[[], Any],
    *,
    written: Sequence[str],
    sent: Sequence[str],
) -> None:
    """Start a long-running operation and wait for it; a failure becomes a WriteError.

    Nothing of `sent` was applied when the request never left (no connection) or was refused
    (4xx, throttling included): they are then neither written nor unknown. Otherwise it may have
    been accepted, and an operation not known to have ended may still apply it (ARM answers 202
    and applies the change when the operation completes): unknown, in flight.
    """
    applied_nothing = False
    poller = None
    try:
        with _translated(target, doing):
            try:
                poller = start()
            except (ServiceRequestError, ClientAuthenticationError):
                applied_nothing = True  # never sent (the token comes first)
                raise
            except HttpResponseError as error:
                applied_nothing = error.status_code is not None and 400 <= error.status_code < 500
                raise
            _wait(poller, target, doing)
    except CloudtimeoutsError as error:
        if applied_nothing:
            raise WriteError(error.message, written, (), error.hint) from None
        ended = poller is not None and str(poller.status()).lower() in ("failed", "canceled")
        raise WriteError(error.message, written, sent, error.hint, in_flight=not ended) from None


def _wait(poller: Any, target: AzureTarget, what: str) -> None:
    """Wait for a long-running operation, bounded; the poller honours Retry-After."""
    poller.result(timeout=OPERATION_TIMEOUT_SECONDS)
    if not poller.done():
        raise ProviderAPIError(
            "azure",
            "wait",
            "Timeout",
            f"{target.id}: {what}: the operation is still running after "
            f"{OPERATION_TIMEOUT_SECONDS // 60} min",
            hint="check the server's activity log in the Azure portal, then plan again",
        )


_AUTH_STATUS = frozenset({401, 403})


@contextlib.contextmanager
def _translated(target: AzureTarget, doing: str) -> Iterator[None]:
    """SDK errors become one message: what we were doing on which server, what Azure said, and
    which endpoint said it."""
    arm = os.environ.get(ENDPOINT_VARIABLE, PUBLIC_ENDPOINT).rstrip("/")
    try:
        yield
    except ClientAuthenticationError as error:  # includes CredentialUnavailableError
        hint = (
            "sign in with az login, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
            "AZURE_CLIENT_SECRET, or run with a managed identity"
        )
        if error.status_code is None:  # raised by the credential chain, before any ARM call
            authority = (
                os.environ.get("AZURE_AUTHORITY_HOST") or "https://login.microsoftonline.com"
            )
            cause: Any = unreadable_ca_bundle()  # every sign-in request failed on it, if set
            hint = cause.hint if cause else hint
            problem = f"no usable Azure credentials (sign-in: {authority}): "
            if cause is None and _UNTRUSTED in str(error.message or error):  # OpenSSL's code
                hint = untrusted_hint("REQUESTS_CA_BUNDLE")
                problem = f"could not sign in at {authority}, its TLS certificate is not trusted: "
            problem += str(cause) if cause else _chain_said(error)
        else:
            problem = f"Azure refused the credentials ({_first_line(error)})"
        raise ProviderAuthError(f"{target.id}: could not {doing}: {problem}", hint=hint) from None
    except DecodeError as error:  # an HttpResponseError whose body is not JSON
        raise ProviderAPIError(
            "azure",
            doing,
            "DecodeError",
            f"{target.id}: could not {doing}: the answer from {arm} is not the JSON ARM sends "
            f"({_first_line(error)})",
            hint=f"a proxy, or a {ENDPOINT_VARIABLE} that is not ARM, may be answering",
        ) from None
    except HttpResponseError as error:
        status = error.status_code
        if status is not None and status < 400 and error.error is None:  # e.g. 200 for a 202
            raise ProviderAPIError(
                "azure",
                doing,
                str(status),
                f"{target.id}: could not {doing}: {arm} answered HTTP {status}, not what the API "
                f"documents ({_first_line(error)})",
                hint=f"a proxy, or a {ENDPOINT_VARIABLE} that is not ARM, may be answering",
            ) from None
        code = getattr(getattr(error, "error", None), "code", None) or str(status)
        message = getattr(getattr(error, "error", None), "message", None) or _first_line(error)
        text = f"{target.id}: could not {doing}: {code}: {message}"
        if status in _AUTH_STATUS:
            raise ProviderAuthError(
                text,
                hint="the identity needs read and write access to the server's configurations "
                f"({_PROVIDER_NAMESPACES[Engine.POSTGRES]}/flexibleServers/configurations/* or "
                f"{_PROVIDER_NAMESPACES[Engine.MYSQL]}/…, e.g. the Contributor role on the server)",
            ) from None
        hint = None
        if status == 429:
            hint = "Azure kept throttling after retries; try again later"
        raise ProviderAPIError("azure", doing, code, text, hint=hint) from None
    except (ServiceRequestError, ServiceResponseError) as error:
        # Request: not sent (refused, unreachable); response: sent, then reset or silent.
        silent = isinstance(error, ServiceRequestTimeoutError | ServiceResponseTimeoutError)
        cause = unreadable_ca_bundle() if arm.startswith("https:") else None
        if cause:
            raise ProviderAPIError(
                "azure", doing, "CaBundle", f"{target.id}: could not {doing}: {cause}", cause.hint
            ) from None
        raise ProviderAPIError(
            "azure",
            doing,
            type(error).__name__,
            f"{target.id}: could not {doing}: "
            f"{'no answer in time from' if silent else 'no usable answer from'} {arm} "
            f"({_first_line(error)})",
            hint=f"check the network, or {ENDPOINT_VARIABLE} if you set it",
        ) from None
    except (ValueError, AzureError) as error:  # JSONDecodeError, DeserializationError, ...
        raise ProviderAPIError(
            "azure",
            doing,
            type(error).__name__,
            f"{target.id}: could not {doing}: the answer from {arm} is not the JSON ARM sends "
            f"({type(error).__name__}: {_first_line(error)})",
            hint=f"a proxy, or a {ENDPOINT_VARIABLE} that is not ARM, may be answering",
        ) from None


_LINK = re.compile(r"https?://|^(Visit|See|To mitigate|Attempted credentials)\b")


_UNTRUSTED = "CERTIFICATE_VERIFY_FAILED"  # OpenSSL's reason: the chain names no trusted CA


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
    return "DefaultAzureCredential tried " + "; ".join(said) if said else _first_line(error)


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
