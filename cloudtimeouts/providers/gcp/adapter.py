"""GcpAdapter: read an instance's flags, write the merged list, follow the operation.

The API facts, retries and tunables are in the package docstring (`cloudtimeouts.providers.gcp`);
the batching of a plan's first reads in `listing`; credentials and clients in `clients`; the
translation of errors in `errors`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import google.auth.exceptions
import requests
from google.api_core import exceptions as gexc
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
from cloudtimeouts.providers import gcp as tuning
from cloudtimeouts.providers.gcp.clients import (
    Clients,
    default_clients,
    endpoint,
    patch_retry,
    read_retry,
)
from cloudtimeouts.providers.gcp.errors import authorize, translated
from cloudtimeouts.providers.gcp.target import GcpTarget
from cloudtimeouts.providers.listings import Listings

LIST_PAGE_SIZE = 1000  # instances.list's largest page ("values above 1000 are coerced to 1000")
_ENGINE_PREFIXES = (("POSTGRES_", Engine.POSTGRES), ("MYSQL_", Engine.MYSQL))
_DONE = sql.Operation.SqlOperationStatus.DONE
_INTEGER = sql.SqlFlagType.INTEGER
_RESTART_NOTICE = (
    "flags.list marks it requiresRestart: Cloud SQL may restart the instance (and its replicas) "
    "to apply it"
)

ClientFactory = Callable[[], Clients]


@dataclass(frozen=True, slots=True)
class Held:
    """What a read keeps for the write (`TargetState.held`): instances.patch replaces the whole
    databaseFlags list, so the write sends every flag read with the changes on top, under the
    settingsVersion read (a stale one is refused with 412)."""

    revision: str | None
    flags: tuple[tuple[str, str], ...]


class GcpAdapter:
    """One adapter per run: clients created once, flags.list read once per database version, a
    plan's first reads served by one instances.list per project (`providers.listings`)."""

    def __init__(self, client_factory: ClientFactory | None = None) -> None:
        self._client_factory = client_factory or default_clients
        self._clients: Clients | None = None
        self._lock = threading.Lock()
        self._flags: dict[str, Mapping[str, Any]] = {}
        self._flag_locks: dict[str, threading.Lock] = {}
        self._listings = Listings(_refused_or_garbled)

    def expect(self, targets: Sequence[GcpTarget]) -> None:
        """A project with several instances in the plan is listed once, at its first read."""
        self._listings.expect((target.project, target.instance) for target in targets)

    def engine(self, target: GcpTarget) -> Engine:
        version = _enum_name(self._get_instance(target, self._get_clients(target)).database_version)
        engine = engine_of_version(version)
        if engine is None:
            raise TargetNotAllowedError(
                f"{target.id}: {version} is not an engine cloudtimeouts knows"
            )
        return engine

    def endpoint(self, target: GcpTarget) -> str:
        """The endpoint the target's current call waits on: the token URL while the access token
        is fetched, the Cloud SQL Admin API otherwise (`errors.translated` records it)."""
        clients = self._clients
        return (clients.waiting.get(target.id) if clients else None) or endpoint()

    def read(self, target: GcpTarget, engine: Engine, names: Collection[str]) -> TargetState:
        clients = self._get_clients(target)
        instance = None
        listing = self._listings.claim(target.project, target.instance)
        if listing is not None:  # a plan's first read: from the project's instances.list
            authorize(target, "instances.list", clients)
            with translated(target, "instances.list", clients):
                instance = listing.take(
                    target.instance, lambda: _list_instances(target.project, clients)
                )
        if instance is None:  # not listed, or not in the listing: its own 404 if it is missing
            instance = self._get_instance(target, clients)
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
            held=Held(str(instance.settings.settings_version), current),
        )

    def write(
        self, target: GcpTarget, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome:
        clients = self._get_clients(target)
        held = state.held if isinstance(state.held, Held) else Held(None, ())
        merged = dict(held.flags)  # every flag on the instance, as it was
        merged.update({c.parameter: c.desired for c in changes if not c.reset})
        for change in changes:
            if change.reset:  # a flag left out of the list is back at its default
                merged.pop(change.parameter, None)
        flags = [{"name": name, "value": merged[name]} for name in sorted(merged)]
        settings_version = int(held.revision) if held.revision else None
        request = {
            "project": target.project,
            "instance": target.instance,
            "body": {"settings": {"database_flags": flags, "settings_version": settings_version}},
        }
        offered = self._flags.get(state.version, {})
        names = [change.parameter for change in changes]
        authorize(target, "instances.patch", clients)  # a failure here: nothing was sent
        refused = False  # Cloud SQL answered 4xx: it applied nothing
        try:
            with translated(target, "instances.patch", clients, _unoffered(merged, offered)):
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

    def _get_clients(self, target: GcpTarget) -> Clients:
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
        self, target: GcpTarget, clients: Clients, version: str
    ) -> Mapping[str, Any]:
        """flags.list for one database version, read once per adapter (targets share it)."""
        with self._lock:
            lock = self._flag_locks.setdefault(version, threading.Lock())
        with lock:
            if version not in self._flags:
                with translated(target, "flags.list", clients):
                    listed = clients.flags.list(
                        request={"database_version": version},
                        retry=read_retry(),
                        timeout=tuning.CALL_TIMEOUT_S,
                    )
                self._flags[version] = {flag.name: flag for flag in listed.items}
            return self._flags[version]

    @staticmethod
    def _get_instance(target: GcpTarget, clients: Clients) -> Any:
        """instances.get: the instance as it is now (settingsVersion included)."""
        authorize(target, "instances.get", clients)
        with translated(target, "instances.get", clients):
            return clients.instances.get(
                request={"project": target.project, "instance": target.instance},
                retry=read_retry(),
                timeout=tuning.CALL_TIMEOUT_S,
            )

    @staticmethod
    def _patch(clients: Clients, request: Mapping[str, Any]) -> Any:
        return clients.instances.patch(
            request=request, retry=patch_retry(), timeout=tuning.CALL_TIMEOUT_S
        )

    def _settle(self, target: GcpTarget, clients: Clients) -> bool:
        """Wait for every operation still running on the instance; False if that is unknown.

        After a lost answer to instances.patch the operation may exist and still run: reading the
        flags before it ends would call a write that is about to happen "not written".
        """
        try:
            with translated(target, "operations.list", clients):
                listed = clients.operations.list(
                    request={"project": target.project, "instance": target.instance},
                    retry=read_retry(),
                    timeout=tuning.CALL_TIMEOUT_S,
                )
                running = [op for op in listed if op.status != _DONE]
            for operation in running:
                self._wait(target, clients, operation)
        except CloudtimeoutsError:
            return False
        return True

    def _wait(self, target: GcpTarget, clients: Clients, operation: Any) -> None:
        """Poll operations.get until DONE (bounded); an operation error becomes an API error."""
        deadline = time.monotonic() + tuning.OPERATION_TIMEOUT_S
        delay = tuning.OPERATION_POLL_INITIAL_S
        while operation.status != _DONE:
            if time.monotonic() + delay > deadline:
                raise ProviderAPIError(
                    "gcp",
                    "operations.get",
                    "timeout",
                    f"{target.id}: the Cloud SQL operation {operation.name} was still "
                    f"{_enum_name(operation.status)} after {tuning.OPERATION_TIMEOUT_S:.0f} s",
                    hint=f"follow it with: gcloud sql operations describe {operation.name} "
                    f"--project {target.project}; then run plan again",
                )
            time.sleep(delay)
            delay = min(delay * 1.5, tuning.OPERATION_POLL_MAXIMUM_S)
            with translated(target, "operations.get", clients):
                operation = clients.operations.get(
                    request={"project": target.project, "operation": operation.name},
                    retry=read_retry(),
                    timeout=tuning.CALL_TIMEOUT_S,
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


def _list_instances(project: str, clients: Clients) -> Iterator[tuple[str, Any]]:
    """Every instance of the project, page by page: instances.list's items are the
    DatabaseInstance resources instances.get answers (settings, flags, settingsVersion)."""
    pager = clients.instances.list(
        request={"project": project, "max_results": LIST_PAGE_SIZE},
        retry=read_retry(),
        timeout=tuning.CALL_TIMEOUT_S,
    )
    # The generated pager iterates `warnings` (the response's first repeated field): the
    # instances are read from its pages, each fetched with the same retry and timeout.
    for page in pager.pages:
        for instance in page.items:
            yield instance.name, instance


def _refused_or_garbled(error: Exception) -> bool:
    """A listing's failure that a get may not share: refused (a 4xx as it came, not 408/429:
    cloudsql.instances.list is a permission of its own) or garbled. Throttled or unavailable
    after the retries (RetryError), unreachable or silent: the endpoint's, shared."""
    if isinstance(error, gexc.ClientError):
        return error.code not in (408, 429)
    if isinstance(error, requests.RequestException):
        return False
    return isinstance(error, ValueError | json_format.ParseError)


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
