"""An emulator of the Cloud SQL Admin API (v1beta4 and v1) with its OAuth token endpoint.

Why: the GCP adapter must be tested with the real ``google-cloud-sql`` client, its real credential
chain (Application Default Credentials) and real HTTP, so that request shapes, enum encodings,
error bodies, retries and long-running operations are exercised as in production. Nothing in the
client is patched.

The package: `catalogue` (the flags, from ``data/flags.json``), `wire` (enums, errors, pages),
`state` (instances, operations), `api` (the REST methods, an App for the shared
`sandbox.loopback.LoopbackServer`), `oauth` (the token endpoint, apart), `entries` (Cloud
Logging's entries.list: the instances' server logs, `put_log`). Usage::

    with FakeCloudSql() as fake:
        fake.add_instance("acme-prod", "orders-db", "POSTGRES_16", flags={"statement_timeout": "0"})
        adc = fake.write_adc_file(tmp_path / "adc.json")   # GOOGLE_APPLICATION_CREDENTIALS=adc
        fake.faults.add(Fault.LOST_RESPONSE, operation="instances.patch", nth=1)
        client = SqlInstancesServiceClient(
            credentials=google.auth.default()[0], transport="rest",
            client_options={"api_endpoint": fake.base_url})
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudtimeouts.sandbox.cloudsql.api import CloudSqlApp
from cloudtimeouts.sandbox.cloudsql.catalogue import Catalogue, FlagRow, flag_names
from cloudtimeouts.sandbox.cloudsql.entries import LogEntries
from cloudtimeouts.sandbox.cloudsql.oauth import TokenEndpoint
from cloudtimeouts.sandbox.cloudsql.state import CloudSqlState
from cloudtimeouts.sandbox.cloudsql.wire import ENUM_VALUES
from cloudtimeouts.sandbox.loopback import Emulator, LoopbackServer

__all__ = ["ENUM_VALUES", "Catalogue", "FakeCloudSql", "FlagRow", "flag_names"]

JSON = dict[str, Any]


class FakeCloudSql(Emulator):
    """Cloud SQL on http://127.0.0.1:PORT: seed it, point clients at `base_url`, inspect it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._state = CloudSqlState()
        self._tokens = TokenEndpoint()
        self._logs = LogEntries()
        self.app = CloudSqlApp(self._state, self._tokens, self._logs)
        self.server = LoopbackServer(self.app, host=host, port=port, name="cloudsql")

    def _started(self) -> None:
        self.app.base_url = self.server.url

    @property
    def base_url(self) -> str:
        """The endpoint to give clients (``api_endpoint``, CLOUDTIMEOUTS_GCP_ENDPOINT)."""
        return self.server.url

    @property
    def server_error_status(self) -> int:
        """What ``Fault.SERVER_ERROR`` answers: 503 UNAVAILABLE (default) or 500 INTERNAL."""
        return self.app.server_error_status

    @server_error_status.setter
    def server_error_status(self, status: int) -> None:
        if status not in (500, 503):
            raise ValueError("500 or 503")
        self.app.server_error_status = status

    @property
    def catalogue(self) -> Catalogue:
        """The flags flags.list offers and patches are checked against (``data/flags.json``)."""
        return self._state.catalogue

    @catalogue.setter
    def catalogue(self, catalogue: Catalogue) -> None:
        with self._state.lock:
            self._state.catalogue = catalogue

    # -- credentials -------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        return self._tokens.client_id

    @property
    def client_secret(self) -> str:
        return self._tokens.client_secret

    @property
    def refresh_token(self) -> str:
        return self._tokens.refresh_token

    def write_adc_file(self, path: str | Path) -> Path:
        """An ADC file (``external_account_authorized_user``) whose token_url is this emulator."""
        return self._tokens.write_adc_file(path, self.base_url)

    def revoke_tokens(self) -> None:
        """Invalidates every access token issued so far (the client must refresh)."""
        self._tokens.revoke_all()

    def deny(self, project: str, permission: str) -> None:
        """Calls needing an IAM ``permission`` (e.g. cloudsql.instances.get) on ``project``
        answer 403 notAuthorized from now on."""
        with self._state.lock:
            self._state.denied.add((project, permission))

    # -- seeding and inspection --------------------------------------------------------------
    def add_instance(
        self,
        project: str,
        name: str,
        database_version: str = "POSTGRES_16",
        flags: Mapping[str, str] | None = None,
        *,
        region: str = "europe-west1",
        **settings: Any,
    ) -> JSON:
        """A RUNNABLE instance; ``settings`` are merged into ``settings``.

        Flags are checked as a patch would check them (raising the same ApiError), so a test
        cannot seed a state Cloud SQL would refuse.
        """
        return self._state.add_instance(
            project, name, database_version, flags or {}, region, settings
        )

    def instance(self, project: str, name: str) -> JSON:
        """The stored resource (a deep copy, enums as names) for assertions."""
        out = self._state.get_instance(project, name)
        if self.app.base_url:
            out["selfLink"] = f"{self.base_url}/sql/v1beta4/projects/{project}/instances/{name}"
        return out

    def flags(self, project: str, name: str) -> dict[str, str]:
        """The instance's flags as name -> value."""
        flags = self.instance(project, name)["settings"].get("databaseFlags", [])
        return {flag["name"]: flag.get("value", "") for flag in flags}

    def set_flags_out_of_band(self, project: str, name: str, flags: Mapping[str, str]) -> None:
        """Replaces the flag list as a concurrent writer (console, gcloud) would, bumping
        settingsVersion, so a later patch carrying the old version gets 412."""
        self._state.replace_flags(project, name, flags)

    def fail_next_operation(
        self, code: str = "INTERNAL_ERROR", message: str = "An internal error has occurred."
    ) -> None:
        """The next operation ends DONE with ``error`` set and its change not applied.

        ``code`` is OperationError.code, a string; the one Cloud SQL uses is UNVERIFIED.
        """
        with self._state.lock:
            self._state.fail_next_operation = (code, message)

    def complete_operations(self) -> None:
        """Drives every unfinished operation to DONE (for tests that do not poll)."""
        self._state.complete_operations()

    @property
    def operation_seconds(self) -> float:
        """How long after its insert an operation nobody polls is DONE (default 2 s)."""
        return self._state.operation_seconds

    @operation_seconds.setter
    def operation_seconds(self, seconds: float) -> None:
        with self._state.lock:
            self._state.operation_seconds = seconds

    # -- server logs (Cloud Logging) -----------------------------------------------------------
    def put_log(
        self,
        project: str,
        name: str,
        text: str,
        *,
        at: datetime | None = None,
        severity: str = "DEFAULT",
    ) -> list[JSON]:
        """Each line of `text` as one Cloud Logging entry of the instance's server log, as Cloud
        SQL writes it (`entries`): postgres.log or mysql.err by the instance's
        databaseVersion, its timestamp `at` (default now). Returns the entries. The instance
        must exist (raises the API's 404 otherwise)."""
        instance = self._state.get_instance(project, name)
        engine = "postgres" if instance["databaseVersion"].startswith("POSTGRES") else "mysql"
        region = str(instance.get("region", ""))
        when = at or datetime.now(UTC)
        return [
            self._logs.put(
                project, name, line, engine=engine, at=when, region=region, severity=severity
            )
            for line in text.splitlines()
        ]
