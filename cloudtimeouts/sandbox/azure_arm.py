"""Wire-level HTTPS fake of Azure Resource Manager for PostgreSQL/MySQL flexible server parameters.

The real SDK clients (``azure-mgmt-postgresqlflexibleservers``, ``azure-mgmt-mysqlflexibleservers``)
and a real ``azure-identity`` credential talk to it unchanged: it serves the ARM paths, api-version
checks, JSON shapes, long-running-operation headers and error bodies those SDKs send and parse, plus
the Entra ID OpenID discovery and token endpoints MSAL uses for a custom authority host.

Why HTTPS: azure-core's ``BearerTokenCredentialPolicy`` refuses to send a bearer token over plain
HTTP and MSAL only accepts ``https`` authorities, so the fake mints a self-signed CA certificate at
start; point ``REQUESTS_CA_BUNDLE`` at :attr:`FakeAzure.ca_bundle` (see :meth:`FakeAzure.env`).

Sources (each behaviour below names the one it follows):
- REST reference, PostgreSQL flexible server configurations:
  https://learn.microsoft.com/en-us/rest/api/postgresql/flexibleserver/configurations
- REST reference, MySQL flexible server configurations (incl. batch update):
  https://learn.microsoft.com/en-us/rest/api/mysql/flexibleserver/configurations
- ARM async operations (Azure-AsyncOperation / Location / Retry-After):
  https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/async-operations
- ARM throttling (429 + Retry-After):
  https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/request-limits-and-throttling
- Entra ID client-credentials flow and OIDC discovery:
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
- The installed SDK sources (what is sent and parsed), read for this file: api-version defaults in
  ``_configuration.py``; ``ConfigurationsOperations`` status-code lists and ``ARMPolling``
  ``lro_options``; ``azure/core/polling/base_polling.py`` (final GET rules);
  ``azure/core/pipeline/policies/_retry.py`` (any >= 400 answer carrying Retry-After is retried).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qs, quote, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["ArmError", "FakeAzure", "RecordedRequest"]

Engine = Literal["postgres", "mysql"]

PG_NAMESPACE = "Microsoft.DBforPostgreSQL"
MYSQL_NAMESPACE = "Microsoft.DBforMySQL"

# api-versions the fake accepts. The installed SDKs send: azure-mgmt-postgresqlflexibleservers 3.0.0
# -> "2026-10-01" (its _configuration.py default; operations accept the listed previews too);
# azure-mgmt-mysqlflexibleservers 1.0.0 -> "2024-12-30". The older GA versions are the ones named
# in the REST references above, kept so that other tools (az CLI, Terraform) would work as well.
PG_API_VERSIONS = frozenset(
    {
        "2021-06-01",
        "2022-12-01",
        "2024-08-01",
        "2025-08-01",
        "2026-01-01-preview",
        "2026-04-01-preview",
        "2026-07-01-preview",
        "2026-10-01",
    }
)
MYSQL_API_VERSIONS = frozenset(
    {"2021-05-01", "2022-01-01", "2023-06-30", "2023-12-30", "2024-12-30"}
)

_ISO = "%Y-%m-%dT%H:%M:%S.%f"


def _now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).strftime(_ISO)[:-3] + "Z"


class RecordedRequest(NamedTuple):
    """One request as the fake saw it; tests assert on these (secrets are redacted)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


class ArmError(Exception):
    """An ARM error answer: status code plus the ``{"error": {"code", "message"}}`` body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


# --------------------------------------------------------------------------------------------------
# Seeded server parameters
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamSeed:
    """What the service reports about one server parameter before anyone changes it."""

    name: str
    default: str
    allowed: str
    data_type: str = "Integer"
    dynamic: bool = True
    read_only: bool = False
    unit: str | None = None
    description: str = ""
    doc: str = ""


def _pg_doc(anchor: str, page: str = "runtime-config-client") -> str:
    return f"https://www.postgresql.org/docs/16/{page}.html#GUC-{anchor}"


_PG_INT = "0-2147483647"

# Azure Database for PostgreSQL flexible server, PostgreSQL 16 parameter tables (MicrosoftDocs
# azure-databases-docs, articles/postgresql/server-parameters/includes/param-16-*.md; rendered at
# https://learn.microsoft.com/en-us/azure/postgresql/server-parameters/param-client-connection-defaults-statement-behavior?pivots=postgresql-16
# and the sibling pages param-connections-authentication-tcp-settings, -connection-settings and
# param-resource-usage-memory.
# Units: the API spells them out ("minutes" for index_tuning.analysis_interval in the az CLI output
# shown by learn.microsoft.com/en-us/azure/postgresql/flexible-server/how-to-autonomous-tuning-cli);
# "8kB" for shared_buffers is UNVERIFIED.
PG16_SEEDS: tuple[ParamSeed, ...] = (
    ParamSeed(
        "idle_in_transaction_session_timeout",
        "0",
        _PG_INT,
        unit="milliseconds",
        description="Sets the maximum allowed duration of any idling transaction.",
        doc=_pg_doc("IDLE-IN-TRANSACTION-SESSION-TIMEOUT"),
    ),
    # Dynamic in the current PG16 table; some older pages listed it read-only, hence the
    # FakeAzure(pg_idle_session_timeout_read_only=True) switch.
    ParamSeed(
        "idle_session_timeout",
        "0",
        _PG_INT,
        unit="milliseconds",
        description="Sets the maximum allowed idle time between queries, when not in a "
        "transaction.",
        doc=_pg_doc("IDLE-SESSION-TIMEOUT"),
    ),
    ParamSeed(
        "statement_timeout",
        "0",
        _PG_INT,
        unit="milliseconds",
        description="Sets the maximum allowed duration (in milliseconds) of any statement.",
        doc=_pg_doc("STATEMENT-TIMEOUT"),
    ),
    ParamSeed(
        "lock_timeout",
        "0",
        _PG_INT,
        unit="milliseconds",
        description="Sets the maximum allowed duration (in milliseconds) of any wait for a lock.",
        doc=_pg_doc("LOCK-TIMEOUT"),
    ),
    ParamSeed(
        "tcp_keepalives_idle",
        "120",
        _PG_INT,
        unit="seconds",
        description="Specifies the number of seconds of inactivity after which TCP should send a "
        "keepalive message to the client.",
        doc=_pg_doc("TCP-KEEPALIVES-IDLE", "runtime-config-connection"),
    ),
    ParamSeed(
        "tcp_keepalives_interval",
        "30",
        _PG_INT,
        unit="seconds",
        description="Specifies the number of seconds after which a TCP keepalive message that is "
        "not acknowledged by the client should be retransmitted.",
        doc=_pg_doc("TCP-KEEPALIVES-INTERVAL", "runtime-config-connection"),
    ),
    ParamSeed(
        "tcp_keepalives_count",
        "9",
        _PG_INT,
        description="Specifies the number of TCP keepalives that can be lost before the server's "
        "connection to the client is considered dead.",
        doc=_pg_doc("TCP-KEEPALIVES-COUNT", "runtime-config-connection"),
    ),
    ParamSeed(
        "tcp_user_timeout",
        "0",
        _PG_INT,
        unit="milliseconds",
        description="Specifies the amount of time that transmitted data may remain unacknowledged "
        "before the TCP connection is forcibly closed.",
        doc=_pg_doc("TCP-USER-TIMEOUT", "runtime-config-connection"),
    ),
    # Read-only on Azure (PG16 TCP settings table): allowed value "0" only.
    ParamSeed(
        "client_connection_check_interval",
        "0",
        "0",
        read_only=True,
        unit="milliseconds",
        description="Sets the time interval between checks for disconnection while running "
        "queries.",
        doc=_pg_doc("CLIENT-CONNECTION-CHECK-INTERVAL", "runtime-config-connection"),
    ),
    # Range and default from the PostgreSQL 16 manual (runtime-config-logging): -1 disables.
    ParamSeed(
        "log_min_duration_statement",
        "-1",
        "-1-2147483647",
        unit="milliseconds",
        description="Sets the minimum execution time above which statements will be logged.",
        doc=_pg_doc("LOG-MIN-DURATION-STATEMENT", "runtime-config-logging"),
    ),
    # Static; the default depends on the SKU's memory (859 is what the max_connections notes list
    # for 8 GiB of memory, e.g. Standard_D2ds_v5 -- value from memory, UNVERIFIED).
    ParamSeed(
        "max_connections",
        "859",
        "25-5000",
        dynamic=False,
        description="Sets the maximum number of concurrent connections to the database server.",
        doc=_pg_doc("MAX-CONNECTIONS", "runtime-config-connection"),
    ),
    # Static; 10%-75% of memory, default 25% (262144 x 8kB = 2 GiB for an 8 GiB SKU).
    ParamSeed(
        "shared_buffers",
        "262144",
        "16-1073741823",
        dynamic=False,
        unit="8kB",
        description="Sets the number of shared memory buffers used by the server. Unit is 8kb.",
        doc=_pg_doc("SHARED-BUFFERS", "runtime-config-resource"),
    ),
)


def _my_doc(name: str) -> str:
    return f"https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_{name}"


_MY_LONG = "1-31536000"  # MySQL LONG_TIMEOUT on Linux (sql/sys_vars.cc)

# Azure Database for MySQL flexible server 8.0. Azure's server-parameters page
# (https://learn.microsoft.com/en-us/azure/mysql/flexible-server/concepts-server-parameters) tables
# only the SKU-bound ones (innodb_buffer_pool_size, max_connections); for the timeouts no Azure
# default is published that we could find: the MySQL 8.0 engine defaults and ranges
# (sql/sys_vars.cc, MySQL reference manual) are used and marked UNVERIFIED-for-Azure.
MYSQL80_SEEDS: tuple[ParamSeed, ...] = (
    ParamSeed(
        "wait_timeout",
        "28800",  # UNVERIFIED for Azure: MySQL engine default NET_WAIT_TIMEOUT
        _MY_LONG,
        description="The number of seconds the server waits for activity on a noninteractive "
        "connection before closing it.",
        doc=_my_doc("wait_timeout"),
    ),
    ParamSeed(
        "interactive_timeout",
        "28800",  # UNVERIFIED for Azure: engine default
        _MY_LONG,
        description="The number of seconds the server waits for activity on an interactive "
        "connection before closing it.",
        doc=_my_doc("interactive_timeout"),
    ),
    ParamSeed(
        "net_read_timeout",
        "30",
        _MY_LONG,
        description="The number of seconds to wait for more data from a connection before "
        "aborting the read.",
        doc=_my_doc("net_read_timeout"),
    ),
    ParamSeed(
        "net_write_timeout",
        "60",
        _MY_LONG,
        description="The number of seconds to wait for a block to be written to a connection "
        "before aborting the write.",
        doc=_my_doc("net_write_timeout"),
    ),
    ParamSeed(
        "connect_timeout",
        "10",
        "2-31536000",
        description="The number of seconds that the mysqld server waits for a connect packet "
        "before responding with Bad handshake.",
        doc=_my_doc("connect_timeout"),
    ),
    ParamSeed(
        "lock_wait_timeout",
        "31536000",
        _MY_LONG,
        description="This variable specifies the timeout in seconds for attempts to acquire "
        "metadata locks.",
        doc=_my_doc("lock_wait_timeout"),
    ),
    ParamSeed(
        "innodb_lock_wait_timeout",
        "50",
        "1-1073741824",
        description="The length of time in seconds an InnoDB transaction waits for a row lock "
        "before giving up.",
        doc="https://dev.mysql.com/doc/refman/8.0/en/innodb-parameters.html"
        "#sysvar_innodb_lock_wait_timeout",
    ),
    ParamSeed(
        "max_execution_time",
        "0",
        "0-4294967295",
        description="The execution timeout for SELECT statements, in milliseconds.",
        doc=_my_doc("max_execution_time"),
    ),
    ParamSeed(
        "slow_query_log",
        "OFF",
        "ON,OFF",
        data_type="Enumeration",
        description="Enable or disable the slow query log.",
        doc=_my_doc("slow_query_log"),
    ),
    # Azure's page: "This parameter can't be modified globally at the server level".
    ParamSeed(
        "innodb_strict_mode",
        "ON",
        "ON,OFF",
        data_type="Enumeration",
        read_only=True,
        description="Enables or disables InnoDB strict mode.",
        doc="https://dev.mysql.com/doc/refman/8.0/en/innodb-parameters.html"
        "#sysvar_innodb_strict_mode",
    ),
    # Azure's innodb_buffer_pool_size table, General Purpose 2 vCores / 8 GB: default 4294967296,
    # min 134217728, max 5368709120. Treated as static (needs a restart) as the brief asks;
    # whether Azure marks it static is UNVERIFIED.
    ParamSeed(
        "innodb_buffer_pool_size",
        "4294967296",
        "134217728-5368709120",
        dynamic=False,
        description="The size in bytes of the buffer pool, the memory area where InnoDB caches "
        "table and index data.",
        doc="https://dev.mysql.com/doc/refman/8.0/en/innodb-parameters.html"
        "#sysvar_innodb_buffer_pool_size",
    ),
)


@dataclass(frozen=True)
class _EngineInfo:
    namespace: str
    api_versions: frozenset[str]
    default_version: str
    fqdn_suffix: str
    sku: dict[str, str]
    seeds: tuple[ParamSeed, ...]


_ENGINES: dict[str, _EngineInfo] = {
    "postgres": _EngineInfo(
        PG_NAMESPACE,
        PG_API_VERSIONS,
        "16",
        "postgres.database.azure.com",
        {"name": "Standard_D2ds_v5", "tier": "GeneralPurpose"},
        PG16_SEEDS,
    ),
    "mysql": _EngineInfo(
        MYSQL_NAMESPACE,
        MYSQL_API_VERSIONS,
        "8.0.21",
        "mysql.database.azure.com",
        {"name": "Standard_D2ds_v4", "tier": "GeneralPurpose"},
        MYSQL80_SEEDS,
    ),
}
_NAMESPACE_ENGINE = {info.namespace.lower(): engine for engine, info in _ENGINES.items()}


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------


@dataclass
class _Config:
    seed: ParamSeed
    value: str
    running: str  # what the engine uses now (differs from value while a restart is pending)
    source: str = "system-default"
    read_only: bool = False

    @property
    def pending_restart(self) -> bool:
        return self.value != self.running


@dataclass
class _Server:
    subscription_id: str
    resource_group: str
    name: str
    engine: Engine
    version: str
    location: str
    configs: dict[str, _Config]
    state: str = "Ready"

    @property
    def info(self) -> _EngineInfo:
        return _ENGINES[self.engine]

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{self.info.namespace}/flexibleServers/{self.name}"
        )


@dataclass
class _Operation:
    id: str
    namespace: str
    location: str
    start_time: str
    polls_left: int
    apply: Callable[[], Any]  # runs at completion; its return value is the final resource body
    status: str = "InProgress"
    end_time: str | None = None
    result: Any = None
    error: dict[str, Any] | None = None


def _location_key(location: str) -> str:
    return location.replace(" ", "").lower()


# --------------------------------------------------------------------------------------------------
# Value validation
# --------------------------------------------------------------------------------------------------

_RANGE = re.compile(r"^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$")


def value_allowed(value: str, data_type: str, allowed: str) -> bool:
    """Whether ``value`` satisfies ``allowedValues`` ("0-2147483647", "ON,OFF", "1-5,10") and type.

    Enumerations compare case-insensitively: Azure lists "on,off" and reports values as "ON".
    """
    kind = data_type.lower()
    if kind in ("integer", "numeric"):
        pattern = r"^-?\d+$" if kind == "integer" else r"^-?\d+(\.\d+)?$"
        if not re.match(pattern, value.strip()):
            return False
        number = float(value)
        if not allowed:
            return True
        for part in allowed.split(","):
            part = part.strip()
            match = _RANGE.match(part)
            if match and float(match.group(1)) <= number <= float(match.group(2)):
                return True
            if not match and part and float(part) == number:
                return True
        return False
    if not allowed:
        return True
    choices = {choice.strip().lower() for choice in allowed.split(",")}
    if kind == "set":
        return all(item.strip().lower() in choices for item in value.split(",") if item.strip())
    return value.strip().lower() in choices


# --------------------------------------------------------------------------------------------------
# TLS material
# --------------------------------------------------------------------------------------------------


def _make_certificate(directory: Path, host: str) -> tuple[Path, Path]:
    """Write a self-signed CA certificate valid for 127.0.0.1/localhost and its key.

    basicConstraints CA:TRUE with keyCertSign lets OpenSSL accept it as a trust anchor in a
    ``REQUESTS_CA_BUNDLE`` file while also being the server's leaf certificate.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cloudtimeouts sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "cloudtimeouts fake Azure"),
        ]
    )
    alt_names: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
    ]
    try:
        alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt_names.append(x509.DNSName(host))
    alt_names = list(dict.fromkeys(alt_names))
    now = _dt.datetime.now(_dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _dt.timedelta(minutes=5))
        .not_valid_after(now + _dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "fake-azure-ca.pem"
    key_path = directory / "fake-azure-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _TLSServer(ThreadingHTTPServer):
    """Threading HTTP server whose TLS handshake runs in the per-connection thread.

    Wrapping the listening socket would handshake inside ``accept()`` on the serving thread, so one
    stalled client would block every other one.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
        fake: FakeAzure,
    ) -> None:
        self.ssl_context = context
        self.fake = fake
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        wrapped = self.ssl_context.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        )
        return wrapped, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(30)
            request.do_handshake()
        except (ssl.SSLError, OSError):
            return  # e.g. a client that does not trust the certificate: nothing to answer
        super().finish_request(request, client_address)


# --------------------------------------------------------------------------------------------------
# HTTP handler
# --------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr logging; the fake keeps its own log."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        raw = self._read_body()
        try:
            status, headers, body = self.server.fake._handle(
                self.command, self.path, dict(self.headers.items()), raw
            )
        except Exception as exc:  # a bug in the fake must still answer like ARM does
            status, headers, body = 500, {}, ArmError(500, "InternalServerError", repr(exc)).body()
        self._send(status, headers, body)

    def _send(self, status: int, headers: Mapping[str, str], body: Any) -> None:
        if body is None:
            payload = b""
        elif isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body).encode()
        self.send_response(status)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)


# --------------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------------

Response = tuple[int, dict[str, str], Any]


class FakeAzure:
    """ARM (PostgreSQL/MySQL flexible servers) and Entra ID token endpoints on one HTTPS port.

    Usage::

        with FakeAzure() as fake:
            fake.add_server(SUB, "rg", "orders-pg", "postgres")
            for key, value in fake.env().items():
                monkeypatch.setenv(key, value)
            cred = EnvironmentCredential(disable_instance_discovery=True)
            client = PostgreSQLManagementClient(cred, SUB, base_url=fake.base_url,
                                                polling_interval=0)
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
    ) -> None:
        self.host = host
        self.port = port
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.client_id = client_id or str(uuid.uuid4())
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        # Some docs list idle_session_timeout read-only: both behaviours are testable.
        self.pg_idle_session_timeout_read_only = pg_idle_session_timeout_read_only
        # Retry-After (seconds) on 202 answers and InProgress polls. 0 makes azure-core fall back to
        # the client's polling_interval (default 30 s!), so naive clients stay fast with 1.
        self.lro_retry_after = lro_retry_after
        # How many status polls answer InProgress before an operation completes.
        self.lro_polls_in_progress = lro_polls_in_progress
        self.page_size = page_size
        self.token_lifetime = token_lifetime
        self.requests: list[RecordedRequest] = []

        self._lock = threading.RLock()
        self._servers: dict[tuple[str, str, str], _Server] = {}
        self._operations: dict[str, _Operation] = {}
        self._tokens: dict[str, tuple[float, str]] = {}
        self._failures: deque[tuple[int, int | None]] = deque()
        self._failed_operations: deque[tuple[str, str]] = deque()
        self._signing_key = secrets.token_bytes(32)
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._httpd: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self._ca_bundle: Path | None = None

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeAzure:
        """Generate the certificate, bind the port and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        self._tmpdir = tempfile.TemporaryDirectory(prefix="fake-azure-")
        cert, key = _make_certificate(Path(self._tmpdir.name), self.host)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        self._ca_bundle = cert
        self._httpd = _TLSServer((self.host, self.port), _Handler, context, self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-azure-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and delete the certificate directory."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- addresses and credentials ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The ARM endpoint (and Entra authority host): ``https://127.0.0.1:PORT``."""
        if self._httpd is None:
            raise RuntimeError("FakeAzure is not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def authority_host(self) -> str:
        return self.base_url

    @property
    def ca_bundle(self) -> Path:
        """PEM file to trust (``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE``)."""
        if self._ca_bundle is None:
            raise RuntimeError("FakeAzure is not started")
        return self._ca_bundle

    def env(self) -> dict[str, str]:
        """Environment for ``EnvironmentCredential`` / ``DefaultAzureCredential`` and requests.

        ``CLOUDTIMEOUTS_AZURE_ENDPOINT`` is the product's endpoint override (DESIGN.md).
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
        return self._mint_token(audience)

    # ---- seeding and inspection ------------------------------------------------------------------

    def add_server(
        self,
        subscription_id: str,
        resource_group: str,
        name: str,
        engine: Engine,
        version: str | None = None,
        parameters: Mapping[str, str] | None = None,
        *,
        location: str = "westeurope",
        read_only: Iterable[str] = (),
        static: Iterable[str] = (),
        allowed_values: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a server with seeded configurations; ``parameters`` are prior user overrides.

        ``read_only`` names further parameters this server reports as read-only, ``static`` ones
        it reports as non-dynamic (isDynamicConfig false), and ``allowed_values`` narrows what it
        accepts: server versions and tiers differ in all three, which the tests need to show.
        """
        if engine not in _ENGINES:
            raise ValueError(f"engine must be 'postgres' or 'mysql', not {engine!r}")
        info = _ENGINES[engine]
        read_only_names = {n.lower() for n in read_only}
        if engine == "postgres" and self.pg_idle_session_timeout_read_only:
            read_only_names.add("idle_session_timeout")
        static_names = {n.lower() for n in static}
        narrowed = {k.lower(): v for k, v in (allowed_values or {}).items()}
        configs: dict[str, _Config] = {}
        for seed in info.seeds:
            key = seed.name.lower()
            if key in static_names:
                seed = replace(seed, dynamic=False)
            if key in narrowed:
                seed = replace(seed, allowed=narrowed[key])
            configs[seed.name.lower()] = _Config(
                seed=seed,
                value=seed.default,
                running=seed.default,
                read_only=seed.read_only or seed.name.lower() in read_only_names,
            )
        for key, value in (parameters or {}).items():
            config = configs.get(key.lower())
            if config is None:
                raise KeyError(f"{key!r} is not a seeded {engine} parameter")
            config.value = config.running = str(value)
            config.source = "user-override"
        server = _Server(
            subscription_id=subscription_id,
            resource_group=resource_group,
            name=name,
            engine=engine,
            version=version or info.default_version,
            location=location,
            configs=configs,
        )
        with self._lock:
            self._servers[self._key(subscription_id, resource_group, name)] = server
            return self._server_json(server)

    def server(self, subscription_id: str, resource_group: str, name: str) -> dict[str, Any]:
        """The server's ARM JSON."""
        with self._lock:
            return self._server_json(self._get_server(subscription_id, resource_group, name))

    def reset(self) -> None:
        """Forget every server, operation, injected failure and recorded request."""
        with self._lock:
            self._servers.clear()
            self._operations.clear()
            self._failures.clear()
            self._failed_operations.clear()
            self.requests.clear()

    def configuration_names(
        self, subscription_id: str, resource_group: str, server: str
    ) -> list[str]:
        with self._lock:
            srv = self._get_server(subscription_id, resource_group, server)
            return [config.seed.name for config in srv.configs.values()]

    def configuration(
        self, subscription_id: str, resource_group: str, server: str, name: str
    ) -> dict[str, Any]:
        """The configuration's ARM JSON, exactly as GET would answer it."""
        with self._lock:
            srv = self._get_server(subscription_id, resource_group, server)
            return self._config_json(srv, srv.configs[name.lower()])

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
        with self._lock:
            config = self._get_server(subscription_id, resource_group, server).configs[name.lower()]
            config.value = str(value)
            if config.seed.dynamic:
                config.running = config.value
            config.source = source

    def fail_next(self, n: int, status: int = 429, retry_after: int | None = 1) -> None:
        """Answer the next ``n`` authenticated ARM calls with ``status`` and an ARM error body.

        ``retry_after`` (seconds) is sent as ``Retry-After`` unless None. azure-core retries any
        >= 400 answer that carries Retry-After, and 408/429/500/502/503/504 without it.
        """
        with self._lock:
            self._failures.extend([(status, retry_after)] * n)

    def fail_next_operation(
        self, code: str = "InternalServerError", message: str = "An unexpected error occured."
    ) -> None:
        """Make the next long-running operation end ``Failed`` with this error (nothing applied)."""
        with self._lock:
            self._failed_operations.append((code, message))

    # ---- internals: lookup -----------------------------------------------------------------------

    @staticmethod
    def _key(subscription_id: str, resource_group: str, name: str) -> tuple[str, str, str]:
        # ARM resource group and resource names are case-insensitive.
        return (subscription_id.lower(), resource_group.lower(), name.lower())

    def _get_server(self, subscription_id: str, resource_group: str, name: str) -> _Server:
        try:
            return self._servers[self._key(subscription_id, resource_group, name)]
        except KeyError:
            raise KeyError(f"no server {subscription_id}/{resource_group}/{name}") from None

    # ---- internals: JSON shapes ------------------------------------------------------------------

    def _server_json(self, server: _Server) -> dict[str, Any]:
        # https://learn.microsoft.com/en-us/rest/api/postgresql/flexibleserver/servers/get
        # https://learn.microsoft.com/en-us/rest/api/mysql/flexibleserver/servers/get
        info = server.info
        properties: dict[str, Any] = {
            "administratorLogin": "cloudtimeouts",
            "version": server.version,
            "state": server.state,
            "fullyQualifiedDomainName": f"{server.name}.{info.fqdn_suffix}",
            "storage": {"storageSizeGB": 128, "autoGrow": "Disabled"},
            "backup": {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"},
            "network": {"publicNetworkAccess": "Enabled"},
            "highAvailability": {"mode": "Disabled"},
            "availabilityZone": "1",
        }
        properties["replicationRole"] = "Primary" if server.engine == "postgres" else "None"
        return {
            "id": server.arm_id,
            "name": server.name,
            "type": f"{info.namespace}/flexibleServers",
            "location": server.location,
            "tags": {},
            "sku": dict(info.sku),
            "properties": properties,
        }

    def _config_json(self, server: _Server, config: _Config) -> dict[str, Any]:
        seed = config.seed
        props: dict[str, Any] = {
            "value": config.value,
            "description": seed.description,
            "defaultValue": seed.default,
            "dataType": seed.data_type,
            "allowedValues": seed.allowed,
            "source": config.source,
        }
        if server.engine == "postgres":
            # PostgreSQL returns the is* flags as JSON booleans (SDK model: Optional[bool]).
            props.update(
                isDynamicConfig=seed.dynamic,
                isReadOnly=config.read_only,
                isConfigPendingRestart=config.pending_restart,
                unit=seed.unit,
                documentationLink=seed.doc,
            )
        else:
            # MySQL returns them as the strings "True"/"False" (SDK model maps them as "str") and
            # also reports the running value as currentValue.
            props.update(
                currentValue=config.running,
                isReadOnly=str(config.read_only),
                isConfigPendingRestart=str(config.pending_restart),
                isDynamicConfig=str(seed.dynamic),
                documentationLink=seed.doc,
            )
        return {
            "id": f"{server.arm_id}/configurations/{seed.name}",
            "name": seed.name,
            "type": f"{server.info.namespace}/flexibleServers/configurations",
            "properties": props,
        }

    # ---- internals: request handling -------------------------------------------------------------

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> Response:
        split = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        segments = [unquote(s) for s in split.path.split("/") if s]
        body = self._parse_body(raw, headers)
        self._record(method, split.path, query, body)
        lower = [s.lower() for s in segments]
        if len(lower) >= 3 and lower[1:3] == ["v2.0", ".well-known"]:
            return self._openid_configuration(method, segments[0])
        if len(lower) == 4 and lower[1:] == ["oauth2", "v2.0", "token"]:
            return self._token(method, segments[0], body)
        try:
            return self._arm(method, segments, lower, query, headers, body)
        except ArmError as err:
            return err.status, self._arm_headers(err.headers), err.body()

    @staticmethod
    def _parse_body(raw: bytes, headers: Mapping[str, str]) -> Any:
        if not raw:
            return None
        content_type = next(
            (v for k, v in headers.items() if k.lower() == "content-type"), ""
        ).lower()
        text = raw.decode("utf-8", errors="replace")
        if "x-www-form-urlencoded" in content_type:
            return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _record(self, method: str, path: str, query: dict[str, str], body: Any) -> None:
        if isinstance(body, dict) and "client_secret" in body:
            body = {**body, "client_secret": "***"}
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, body))

    @staticmethod
    def _arm_headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
        request_id = str(uuid.uuid4())
        headers = {
            "x-ms-request-id": request_id,
            "x-ms-correlation-request-id": request_id,
        }
        headers.update(extra or {})
        return headers

    # ---- Entra ID --------------------------------------------------------------------------------

    def _aad_error(self, status: int, error: str, code: int, description: str) -> Response:
        # Entra error response shape:
        # https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response
        trace = str(uuid.uuid4())
        return (
            status,
            {},
            {
                "error": error,
                "error_description": f"AADSTS{code}: {description} Trace ID: {trace}",
                "error_codes": [code],
                "timestamp": _now_iso(),
                "trace_id": trace,
                "correlation_id": str(uuid.uuid4()),
            },
        )

    def _openid_configuration(self, method: str, tenant: str) -> Response:
        # OpenID Connect discovery document MSAL reads for
        # "{authority}/v2.0/.well-known/openid-configuration" (msal/authority.py, tenant_discovery).
        if method != "GET":
            return 405, {}, None
        if tenant.lower() not in (self.tenant_id.lower(), "organizations", "common"):
            return self._aad_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.base_url}/{tenant}"
        return (
            200,
            {},
            {
                "issuer": f"{self.base_url}/{self.tenant_id}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            },
        )

    def _token(self, method: str, tenant: str, form: Any) -> Response:
        # Client-credentials grant with a shared secret:
        # https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
        if method != "POST":
            return 405, {}, None
        if tenant.lower() != self.tenant_id.lower():
            return self._aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if not isinstance(form, dict):
            return self._aad_error(400, "invalid_request", 900144, "The request body is missing.")
        if form.get("grant_type") != "client_credentials":
            return self._aad_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type.",
            )
        if form.get("client_id") != self.client_id:
            return self._aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the "
                f"directory '{tenant}'.",
            )
        if not hmac.compare_digest(str(form.get("client_secret", "")), self.client_secret):
            return self._aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID.",
            )
        scopes = str(form.get("scope", "")).split()
        resource = next((s[: -len("/.default")] for s in scopes if s.endswith("/.default")), None)
        if resource is None:
            return self._aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {' '.join(scopes)} is not valid. Client credential "
                "flows must have a scope value with /.default suffixed to the resource identifier.",
            )
        token = self._mint_token(resource)
        return (
            200,
            {},
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            },
        )

    def _mint_token(self, audience: str) -> str:
        """A JWT-shaped HS256 token; ARM accepts only tokens this instance minted and remembers."""
        now = int(time.time())

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "appid": self.client_id,
            "tid": self.tenant_id,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, self.client_id)),
            "jti": secrets.token_hex(8),
        }
        payload = b64(json.dumps(claims).encode())
        signature = b64(
            hmac.new(self._signing_key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        )
        token = f"{header}.{payload}.{signature}"
        with self._lock:
            self._tokens[token] = (now + self.token_lifetime, audience)
        return token

    # ---- ARM -------------------------------------------------------------------------------------

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        # ARM answers 401 with a WWW-Authenticate challenge; codes as ARM sends them
        # (AuthenticationFailed / InvalidAuthenticationToken / ExpiredAuthenticationToken /
        # InvalidAuthenticationTokenAudience):
        # https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/common-deployment-errors
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        challenge = (
            f'Bearer authorization_uri="{self.base_url}/{self.tenant_id}", '
            'error="invalid_token", error_description="{desc}"'
        )

        def deny(code: str, message: str) -> ArmError:
            return ArmError(
                401, code, message, {"WWW-Authenticate": challenge.replace("{desc}", message)}
            )

        if not authorization:
            raise deny(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise deny(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid "
                "format.",
            )
        with self._lock:
            known = self._tokens.get(token.strip())
        if known is None:
            raise deny("InvalidAuthenticationToken", "The access token is invalid.")
        expires, audience = known
        if expires <= time.time():
            raise deny(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            )
        if (
            not audience.rstrip("/")
            .lower()
            .startswith(("https://management.azure.com", "https://management.core.windows.net"))
        ):
            raise deny(
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource '{audience}'.",
            )

    def _check_api_version(self, namespace: str, query: Mapping[str, str]) -> str:
        # Every ARM request needs ?api-version=; unknown versions get NoRegisteredProviderFound.
        version = query.get("api-version")
        if not version:
            raise ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        engine = _NAMESPACE_ENGINE[namespace.lower()]
        supported = _ENGINES[engine].api_versions
        if version not in supported:
            raise ArmError(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for location 'westeurope' and API "
                f"version '{version}' for type 'flexibleServers'. The supported api-versions are "
                f"'{', '.join(sorted(supported))}'.",
            )
        return version

    def _injected_failure(self) -> None:
        with self._lock:
            if not self._failures:
                return
            status, retry_after = self._failures.popleft()
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if status == 429:
            headers["x-ms-ratelimit-remaining-subscription-reads"] = "0"
            raise ArmError(
                429,
                "TooManyRequests",
                "The request is being throttled as the limit has been reached for operation "
                "type - Read_ObservationWindow_00:05:00.",
                headers,
            )
        codes = {
            500: (
                "InternalServerError",
                "An unexpected error occured while processing the request. "
                f"Tracking ID: '{uuid.uuid4()}'",
            ),
            502: ("BadGateway", "The gateway did not receive a response in time."),
            503: ("ServiceUnavailable", "The service is temporarily unavailable; retry later."),
            504: ("GatewayTimeout", "The gateway did not receive a response within the timeout."),
        }
        code, message = codes.get(status, ("InjectedFailure", f"Injected HTTP {status}."))
        raise ArmError(status, code, message, headers)

    def _arm(
        self,
        method: str,
        segments: list[str],
        lower: list[str],
        query: dict[str, str],
        headers: Mapping[str, str],
        body: Any,
    ) -> Response:
        if len(lower) < 2 or lower[0] != "subscriptions":
            raise ArmError(404, "NotFound", f"No route for '{'/'.join(segments)}'.")
        self._authenticate(headers)
        self._injected_failure()
        sub = segments[1]
        # /subscriptions/{sub}/providers/{ns}/locations/{loc}/azureAsyncOperation/{id}
        # /subscriptions/{sub}/providers/{ns}/locations/{loc}/operationResults/{id}
        if len(lower) == 8 and lower[2] == "providers" and lower[4] == "locations":
            namespace = segments[3]
            if namespace.lower() not in _NAMESPACE_ENGINE:
                raise self._bad_namespace(namespace)
            version = self._check_api_version(namespace, query)
            if method != "GET":
                raise self._method_not_allowed(method)
            if lower[6] == "azureasyncoperation":
                return self._operation_status(segments[7])
            if lower[6] == "operationresults":
                return self._operation_result(segments[7], version)
        if (
            len(lower) >= 8
            and lower[2] == "resourcegroups"
            and lower[4] == "providers"
            and lower[6] == "flexibleservers"
        ):
            namespace = segments[5]
            if namespace.lower() not in _NAMESPACE_ENGINE:
                raise self._bad_namespace(namespace)
            version = self._check_api_version(namespace, query)
            engine = _NAMESPACE_ENGINE[namespace.lower()]
            return self._server_route(
                method, sub, segments[3], segments[7], engine, segments[8:], query, body, version
            )
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{'/'.join(segments[2:])}' could not be found.",
        )

    @staticmethod
    def _bad_namespace(namespace: str) -> ArmError:
        return ArmError(
            404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid."
        )

    @staticmethod
    def _method_not_allowed(method: str) -> ArmError:
        # ARM's answer for a verb a resource type does not support (code name UNVERIFIED).
        return ArmError(
            405,
            "MethodNotAllowed",
            f"The requested resource does not support http method '{method}'.",
        )

    def _find_server(self, sub: str, rg: str, name: str, engine: str, child: str | None) -> _Server:
        # Missing subscription / resource group / server / parent, as ARM reports each:
        # https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/error-not-found
        with self._lock:
            servers = list(self._servers.values())
            server = self._servers.get(self._key(sub, rg, name))
        if not any(s.subscription_id.lower() == sub.lower() for s in servers):
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        if not any(
            s.subscription_id.lower() == sub.lower() and s.resource_group.lower() == rg.lower()
            for s in servers
        ):
            raise ArmError(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        if server is None or server.engine != engine:
            namespace = _ENGINES[engine].namespace
            if child is None:
                raise ArmError(
                    404,
                    "ResourceNotFound",
                    f"The Resource '{namespace}/flexibleServers/{name}' under resource group "
                    f"'{rg}' was not found. For more details please go to "
                    "https://aka.ms/ARMResourceNotFoundFix",
                )
            raise ArmError(
                404,
                "ParentResourceNotFound",
                f"Failed to perform 'read' on resource(s) of type 'flexibleServers/{child}', "
                f"because the parent resource '/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                f"{namespace}/flexibleServers/{name}' could not be found.",
            )
        return server

    def _server_route(
        self,
        method: str,
        sub: str,
        rg: str,
        name: str,
        engine: str,
        rest: list[str],
        query: dict[str, str],
        body: Any,
        version: str,
    ) -> Response:
        rest_lower = [s.lower() for s in rest]
        child = rest_lower[0] if rest_lower else None
        server = self._find_server(sub, rg, name, engine, child)
        if not rest:
            # GET server: .../flexibleservers/servers/get
            if method != "GET":
                raise self._method_not_allowed(method)
            with self._lock:
                return 200, self._arm_headers(), self._server_json(server)
        if rest_lower == ["configurations"]:
            if method != "GET":
                raise self._method_not_allowed(method)
            return self._list_configurations(server, query, version)
        if len(rest) == 2 and rest_lower[0] == "configurations":
            if method == "GET":
                # .../configurations/get
                with self._lock:
                    config = self._config_or_404(server, rest[1])
                    return 200, self._arm_headers(), self._config_json(server, config)
            if method in ("PUT", "PATCH"):
                # PG: .../configurations/put and /update (PUT, PATCH) -> 202 only.
                # MySQL: .../configurations/create-or-update (PUT) and /update (PATCH) -> 200|202.
                return self._begin_update(server, rest[1], body, version)
            raise self._method_not_allowed(method)
        if rest_lower == ["updateconfigurations"] and engine == "mysql":
            # https://learn.microsoft.com/en-us/rest/api/mysql/flexibleserver/configurations/batch-update
            if method != "POST":
                raise self._method_not_allowed(method)
            return self._begin_batch_update(server, body, version)
        if rest_lower == ["restart"]:
            # https://learn.microsoft.com/en-us/rest/api/postgresql/flexibleserver/servers/restart
            # https://learn.microsoft.com/en-us/rest/api/mysql/flexibleserver/servers/restart
            if method != "POST":
                raise self._method_not_allowed(method)
            return self._begin_restart(server, version)
        raise ArmError(
            404,
            "InvalidResourceType",
            f"The resource type 'flexibleServers/{'/'.join(rest)}' could not be found in the "
            f"namespace '{server.info.namespace}' for api version '{version}'.",
        )

    def _config_or_404(self, server: _Server, name: str) -> _Config:
        # Unknown parameter name: code and message as az CLI shows them (Azure/azure-cli#30691);
        # the HTTP status (404) is UNVERIFIED.
        config = server.configs.get(name.lower())
        if config is None:
            raise ArmError(
                404,
                "ConfigurationNotExists",
                f"The configuration '{name}' does not exist for {server.name} server version "
                f"{server.version}.",
            )
        return config

    def _list_configurations(
        self, server: _Server, query: dict[str, str], version: str
    ) -> Response:
        # .../configurations/list-by-server: {"value": [...], "nextLink": ...}. MySQL also takes
        # keyword/page/pageSize query parameters (1-based page); PG pages with $skipToken.
        with self._lock:
            configs = list(server.configs.values())
            if server.engine == "mysql" and query.get("keyword"):
                keyword = query["keyword"].lower()
                configs = [c for c in configs if keyword in c.seed.name.lower()]
            items = [self._config_json(server, c) for c in configs]
        # nextLink carries the filters: the SDKs follow it verbatim, re-adding only api-version.
        kept = {k: v for k, v in query.items() if k not in ("api-version", "page", "$skipToken")}
        kept.pop("pageSize", None)
        base = f"{self.base_url}{server.arm_id}/configurations?api-version={quote(version)}"
        base += "".join(f"&{quote(k)}={quote(v)}" for k, v in kept.items())
        if server.engine == "mysql" and ("page" in query or "pageSize" in query):
            size = max(1, int(query.get("pageSize") or self.page_size))
            page = max(1, int(query.get("page") or 1))
        else:
            size = max(1, self.page_size)
            page = int(query.get("$skipToken") or 0) // size + 1
        start = (page - 1) * size
        chunk = items[start : start + size]
        result: dict[str, Any] = {"value": chunk}
        if start + size < len(items):
            if server.engine == "mysql" and ("page" in query or "pageSize" in query):
                result["nextLink"] = f"{base}&page={page + 1}&pageSize={size}"
            else:
                result["nextLink"] = f"{base}&$skipToken={start + size}"
        return 200, self._arm_headers(), result

    # ---- updates ---------------------------------------------------------------------------------

    def _validate(self, server: _Server, name: str, value: str | None) -> _Config:
        config = self._config_or_404(server, name)
        if config.read_only:
            # Code and message as Azure answers for MySQL (Azure/azure-mysql#295); PG assumed same.
            raise ArmError(
                400,
                "ConfigurationReadOnly",
                f"The configuration(s) '{config.seed.name}' is(are) read-only for {server.name} "
                f"server version {server.version}.",
            )
        if value is not None and not value_allowed(
            value, config.seed.data_type, config.seed.allowed
        ):
            # Code/message pattern Azure's database RPs use for bad values (seen for
            # configurations in pulumi/pulumi-azure-native#898); allowed values are not echoed.
            raise ArmError(
                400,
                "InvalidParameterValue",
                f"Invalid value given for parameter {config.seed.name}. Specify a valid "
                "parameter value.",
            )
        return config

    @staticmethod
    def _extract_value(body: Any) -> tuple[str | None, str | None]:
        if not isinstance(body, dict):
            raise ArmError(
                400,
                "InvalidRequestContent",
                "The request content was invalid and could not be deserialized.",
            )
        props = body.get("properties") or {}
        if not isinstance(props, dict):
            raise ArmError(400, "InvalidRequestContent", "'properties' must be an object.")
        value = props.get("value")
        source = props.get("source")
        return (None if value is None else str(value)), (None if source is None else str(source))

    @staticmethod
    def _assign(config: _Config, value: str | None, source: str | None) -> None:
        # A value makes the parameter a user override; no value (or source "system-default" with
        # the default value) resets it. Static parameters keep running the old value until restart.
        if value is None or (source == "system-default" and value == config.seed.default):
            config.value = config.seed.default
            config.source = "system-default"
        else:
            config.value = value
            config.source = "user-override"
        if config.seed.dynamic:
            config.running = config.value

    def _begin_update(self, server: _Server, name: str, body: Any, version: str) -> Response:
        value, source = self._extract_value(body)
        with self._lock:
            config = self._validate(server, name, value)

            def apply() -> dict[str, Any]:
                self._assign(config, value, source)
                return self._config_json(server, config)

            return self._accepted(server, apply, version)

    def _begin_batch_update(self, server: _Server, body: Any, version: str) -> Response:
        # Body: {"value": [{"name", "properties": {"value", "source"}}], "resetAllToDefault":
        # "True"|"False"}. All-or-nothing: one bad item rejects the whole batch.
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content was invalid.")
        reset_all = str(body.get("resetAllToDefault", "False")).lower() == "true"
        items = body.get("value") or []
        with self._lock:
            planned: list[tuple[_Config, str | None, str | None]] = []
            read_only = []
            for item in items:
                name = str(item.get("name", ""))
                value, source = self._extract_value(item)
                config = self._config_or_404(server, name)
                if config.read_only:
                    read_only.append(config.seed.name)
                    continue
                self._validate(server, name, value)
                planned.append((config, value, source))
            if read_only:
                names = "','".join(read_only)
                raise ArmError(
                    400,
                    "ConfigurationReadOnly",
                    f"The configuration(s) '{names}' is(are) read-only for {server.name} server "
                    f"version {server.version}.",
                )

            def apply() -> None:
                if reset_all:
                    for config in server.configs.values():
                        if not config.read_only:
                            self._assign(config, None, "system-default")
                for config, value, source in planned:
                    self._assign(config, value, source)
                return None

            return self._accepted(server, apply, version)

    def _begin_restart(self, server: _Server, version: str) -> Response:
        with self._lock:
            server.state = "Restarting"

            def apply() -> None:
                for config in server.configs.values():
                    config.running = config.value
                server.state = "Ready"

            return self._accepted(server, apply, version)

    # ---- long-running operations -----------------------------------------------------------------

    def _accepted(self, server: _Server, apply: Callable[[], Any], version: str) -> Response:
        """202 Accepted with Azure-AsyncOperation, Location and Retry-After.

        https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/async-operations
        """
        op = _Operation(
            id=str(uuid.uuid4()),
            namespace=server.info.namespace,
            location=_location_key(server.location),
            start_time=_now_iso(),
            polls_left=self.lro_polls_in_progress,
            apply=apply,
        )
        if self._failed_operations:
            code, message = self._failed_operations.popleft()
            op.error = {"code": code, "message": message}
        self._operations[op.id] = op
        return (
            202,
            self._arm_headers(self._operation_links(server.subscription_id, op, version)),
            None,
        )

    def _operation_links(self, sub: str, op: _Operation, version: str) -> dict[str, str]:
        prefix = (
            f"{self.base_url}/subscriptions/{sub}/providers/{op.namespace}/locations/{op.location}"
        )
        suffix = f"{op.id}?api-version={quote(version)}"
        return {
            "Azure-AsyncOperation": f"{prefix}/azureAsyncOperation/{suffix}",
            "Location": f"{prefix}/operationResults/{suffix}",
            "Retry-After": str(self.lro_retry_after),
        }

    def _advance(self, op_id: str) -> _Operation:
        with self._lock:
            op = self._operations.get(op_id)
            if op is None:
                raise ArmError(
                    404, "OperationNotFound", f"The operation '{op_id}' could not be found."
                )
            if op.status == "InProgress":
                if op.polls_left > 0:
                    op.polls_left -= 1
                elif op.error is not None:
                    op.status = "Failed"
                    op.end_time = _now_iso()
                else:
                    op.result = op.apply()
                    op.status = "Succeeded"
                    op.end_time = _now_iso()
            return op

    def _operation_status(self, op_id: str) -> Response:
        # Status monitor body {"name","status","startTime","endTime"?,"error"?} (shape as logged
        # for Microsoft.DBforPostgreSQL in hashicorp/terraform-provider-azurerm#14530).
        op = self._advance(op_id)
        body: dict[str, Any] = {"name": op.id, "status": op.status, "startTime": op.start_time}
        if op.end_time:
            body["endTime"] = op.end_time
        if op.status == "Failed" and op.error:
            body["error"] = op.error
        headers = self._arm_headers()
        if op.status == "InProgress":
            headers["Retry-After"] = str(self.lro_retry_after)
        return 200, headers, body

    def _operation_result(self, op_id: str, version: str) -> Response:
        # Location monitor: 202 while running, then the final resource (200) or 204 for none.
        op = self._advance(op_id)
        if op.status == "InProgress":
            headers = self._arm_headers({"Retry-After": str(self.lro_retry_after)})
            return 202, headers, None
        if op.status == "Failed":
            error = op.error or {"code": "OperationFailed", "message": "The operation failed."}
            raise ArmError(400, error["code"], error["message"])
        if op.result is None:
            return 204, self._arm_headers(), None
        return 200, self._arm_headers(), copy.deepcopy(op.result)
