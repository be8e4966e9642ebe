"""``FakeAzure``: the public face of the Azure emulator (lifecycle, credentials, seeding)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudtimeouts.sandbox.azure.arm import ArmApp
from cloudtimeouts.sandbox.azure.entra import EntraId
from cloudtimeouts.sandbox.azure.logs import LogStore
from cloudtimeouts.sandbox.azure.shapes import config_json, server_json
from cloudtimeouts.sandbox.azure.state import AzureState
from cloudtimeouts.sandbox.loopback import Emulator, LoopbackServer
from cloudtimeouts.sandbox.tls import LoopbackTLS

__all__ = ["FakeAzure"]


class FakeAzure(Emulator):
    """ARM (PostgreSQL/MySQL flexible servers) and Entra ID token endpoints on one HTTPS port.

    Usage::

        with FakeAzure() as fake:
            fake.add_server(SUB, "rg", "orders-pg", "postgres")
            for key, value in fake.env().items():
                monkeypatch.setenv(key, value)
            cred = EnvironmentCredential(disable_instance_discovery=True)
            client = PostgreSQLManagementClient(cred, SUB, base_url=fake.base_url,
                                                polling_interval=0)
            fake.faults.add(Fault.THROTTLE, operation="configurations.get", nth=1)

    ``faults`` and ``requests`` are the :class:`LoopbackServer`'s (operation names: see the
    package docstring).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        pg_idle_session_timeout_read_only: bool = False,
        lro_retry_after: int = 1,
        lro_polls_in_progress: int = 1,
        page_size: int = 100,
        token_lifetime: int = 3600,
        throttle_retry_after: int = 1,
    ) -> None:
        self.host = host
        # Some older pages listed idle_session_timeout read-only: that behaviour stays testable.
        self.pg_idle_session_timeout_read_only = pg_idle_session_timeout_read_only
        # Retry-After (s) on 202 answers and InProgress polls. 0 makes azure-core fall back to the
        # client's polling_interval (default 30 s!), so naive clients stay fast with 1.
        self.lro_retry_after = lro_retry_after
        self.page_size = page_size
        self.servers_page_size = 100  # Servers - List By Resource Group, per page
        self.throttle_retry_after = throttle_retry_after  # Retry-After of injected 429s
        self.state = AzureState(lro_polls_in_progress=lro_polls_in_progress)
        self.logs = LogStore()  # the servers' log files (`put_log`)
        self.denied_actions: set[str] = set()  # RBAC actions refused (`deny`)
        self.entra = EntraId(
            lambda: self.base_url,
            tenant_id=tenant_id or str(uuid.uuid4()),
            client_id=client_id or str(uuid.uuid4()),
            client_secret=client_secret or secrets.token_urlsafe(24),
            token_lifetime=token_lifetime,
            retry_after=lambda: self.throttle_retry_after,
        )
        self._tls = LoopbackTLS(hosts=(host,), common_name="cloudtimeouts fake Azure")
        self.server = LoopbackServer(
            ArmApp(self.state, self.entra, lambda: self.base_url, self, self.logs),
            host=host,
            port=port,
            ssl_context=self._tls.context,
            name="fake-azure",
        )

    def _starting(self) -> None:
        self._tls.mint()  # a new certificate each start

    def _stopped(self) -> None:
        self._tls.cleanup()  # the key's directory goes with it

    def calls(self, operation: str) -> int:
        return self.server.calls(operation)

    # ---- addresses and credentials ---------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        """The ARM endpoint (and Entra authority host): ``https://127.0.0.1:PORT``."""
        try:
            port = self.server.port
        except RuntimeError:
            raise RuntimeError("FakeAzure is not started") from None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{port}"

    @property
    def authority_host(self) -> str:
        return self.base_url

    @property
    def ca_bundle(self) -> Path:
        """PEM file to trust (``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``)."""
        try:
            return self._tls.ca_bundle
        except RuntimeError:
            raise RuntimeError("FakeAzure is not started") from None

    @property
    def tenant_id(self) -> str:
        return self.entra.tenant_id

    @property
    def client_id(self) -> str:
        return self.entra.client_id

    @property
    def client_secret(self) -> str:
        return self.entra.client_secret

    def env(self) -> dict[str, str]:
        """Environment for ``EnvironmentCredential`` / ``DefaultAzureCredential`` and requests.

        ``CLOUDTIMEOUTS_AZURE_ENDPOINT`` is the tool's endpoint override (README, "Environment
        variables").
        """
        return {
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_AUTHORITY_HOST": self.authority_host,
            "REQUESTS_CA_BUNDLE": str(self.ca_bundle),
            "SSL_CERT_FILE": str(self.ca_bundle),
            "CLOUDTIMEOUTS_AZURE_ENDPOINT": self.base_url,
        }

    def issue_token(self, audience: str = "https://management.azure.com") -> str:
        """A bearer token the ARM side accepts, for raw-HTTP tests."""
        return self.entra.issue(audience)

    # ---- seeding and inspection ------------------------------------------------------------------
    def add_server(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        engine: str,
        version: str | None = None,
        parameters: Mapping[str, str] | None = None,
        *,
        location: str = "westeurope",
        read_only: Iterable[str] = (),
        static: Iterable[str] = (),
        allowed_values: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a server whose configurations come from the catalogue for its engine/version.

        ``parameters`` are prior user overrides. ``read_only`` names further parameters this
        server reports as read-only, ``static`` ones it reports as non-dynamic, and
        ``allowed_values`` narrows what it accepts: tiers and SKUs differ in all three.
        """
        read_only = list(read_only)
        if engine == "postgres" and self.pg_idle_session_timeout_read_only:
            read_only.append("idle_session_timeout")
        server = self.state.add_server(
            subscription_id,
            resource_group,
            name,
            engine,
            version,
            parameters,
            location=location,
            read_only=read_only,
            static=static,
            allowed_values=allowed_values,
        )
        with self.state.lock:
            return server_json(server)

    def server(self, subscription_id: str, resource_group: str, name: str) -> dict[str, Any]:
        """The server's ARM JSON."""
        with self.state.lock:
            return server_json(self.state.get(subscription_id, resource_group, name))

    def reset(self) -> None:
        """Forget every server, log file, refusal, operation, fault rule and recorded request."""
        self.state.reset()
        self.logs.reset()
        self.denied_actions.clear()
        self.server.faults.clear()
        self.server.clear_requests()

    def configuration_names(
        self, subscription_id: str, resource_group: str, server: str
    ) -> list[str]:
        with self.state.lock:
            srv = self.state.get(subscription_id, resource_group, server)
            return [config.name for config in srv.configs.values()]

    def configuration(
        self, subscription_id: str, resource_group: str, server: str, name: str
    ) -> dict[str, Any]:
        """The configuration's ARM JSON, exactly as GET would answer it."""
        with self.state.lock:
            srv = self.state.get(subscription_id, resource_group, server)
            return config_json(srv, self.state.config(srv, name))

    def set_out_of_band(
        self,
        subscription_id: str,
        resource_group: str,
        server: str,
        name: str,
        value: str,
        *,
        source: str = "user-override",
    ) -> None:
        """Change a value as if someone used the portal: no validation, no operation, no log."""
        srv = self.state.get(subscription_id, resource_group, server)
        self.state.set_out_of_band(srv, name, value, source)

    def fail_next_operation(
        self, code: str = "InternalServerError", message: str = "An unexpected error occured."
    ) -> None:
        """Make the next long-running operation end ``Failed`` with this error (nothing applied).

        Not a wire fault (those are ``faults``): the 202 and the polls are answered normally, and
        the operation's status monitor reports the failure, as Azure does for an update the
        service could not carry out.
        """
        with self.state.lock:
            self.state.failing_operations.append((code, message))

    # ---- server logs and permissions -------------------------------------------------------------
    def put_log(
        self,
        subscription_id: str,
        resource_group: str,
        server: str,
        text: str,
        *,
        name: str | None = None,
        modified: datetime | None = None,
        kind: str | None = None,
    ) -> str:
        """Append `text` to one of the server's log files, as the service captures it; the file's
        lastModifiedTime becomes `modified` (default now). `name` defaults to the hour's file
        (`logs.default_name`), `kind` (`properties.type`) to the engine's server log type.
        Returns the file's name. The server must exist (KeyError otherwise)."""
        srv = self.state.get(subscription_id, resource_group, server)
        return self.logs.put(srv, text, name, modified or datetime.now(UTC), kind)

    def remove_log(self, subscription_id: str, resource_group: str, server: str, name: str) -> None:
        """The file is gone, as the service removes one past ``logfiles.retention_days``: listed
        no more, and its blob answers 404 BlobNotFound."""
        self.logs.remove(self.state.get(subscription_id, resource_group, server), name)

    def deny(self, action: str) -> None:
        """The caller's role lacks this RBAC action (e.g.
        ``Microsoft.DBforPostgreSQL/flexibleServers/logFiles/read``): ARM answers 403
        AuthorizationFailed where a route checks it (the log file listings)."""
        self.denied_actions.add(action)
