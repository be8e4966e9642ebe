"""A wire-level fake of the Cloud SQL Admin API (v1beta4, also under /v1) with a token endpoint.

Why: the GCP adapter must be tested with the real ``google-cloud-sql`` client, its real credential
chain (Application Default Credentials) and real HTTP, so that request shapes, enum encodings,
error bodies and retries are exercised exactly as in production. The fake is a stdlib HTTP server
on loopback; nothing in the client is patched.

Behaviour follows the public reference (cited next to each handler):
https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances,
https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations,
https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/flags.
Where a value is not confirmed by a source, the comment says ``UNVERIFIED``.

Usage::

    with FakeCloudSql() as fake:
        fake.add_instance("acme-prod", "orders-db", "POSTGRES_16", flags={"statement_timeout": "0"})
        adc = fake.write_adc_file(tmp_path / "adc.json")   # GOOGLE_APPLICATION_CREDENTIALS=adc
        client = SqlInstancesServiceClient(
            credentials=google.auth.default()[0], transport="rest",
            client_options={"api_endpoint": fake.base_url})
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "ENUM_VALUES",
    "FLAG_TABLE",
    "FakeCloudSql",
    "FlagSpec",
    "RecordedRequest",
    "flag_names",
]

JSON = dict[str, Any]

INT32_MAX = 2_147_483_647
LONG_TIMEOUT = 31_536_000  # MySQL sql/sql_const.h: 3600*24*365 seconds
UINT32_MAX = 4_294_967_295

POSTGRES_VERSIONS = ("POSTGRES_14", "POSTGRES_15", "POSTGRES_16", "POSTGRES_17")
MYSQL_VERSIONS = ("MYSQL_8_0", "MYSQL_8_4")

TOKEN_LIFETIME_S = 3600
_API_PREFIXES = ("/sql/v1beta4/", "/v1/")


# ---------------------------------------------------------------------------------------------
# Enums. The REST transport of google-cloud-sql sends `$alt=json;enum-encoding=int` on every call
# and serialises enums in request bodies as integers (google.api_core.rest_helpers.transcode_request
# with rest_numeric_enums=True). Google's API answers with integers when that `$alt` is present
# (https://google.aip.dev/cloud/2510 style "enum-encoding" system parameter) and with names
# otherwise, so the fake does the same. Numbers below are the proto numbers of
# google/cloud/sql/v1beta4/cloud_sql_resources.proto; tests cross-check them against the
# installed client's enums.
# ---------------------------------------------------------------------------------------------
_DATABASE_VERSION = {
    "SQL_DATABASE_VERSION_UNSPECIFIED": 0,
    "MYSQL_8_0": 20,
    "MYSQL_8_4": 398,
    "POSTGRES_14": 110,
    "POSTGRES_15": 172,
    "POSTGRES_16": 272,
    "POSTGRES_17": 408,
}
ENUM_VALUES: Mapping[str, Mapping[str, int]] = {
    "databaseVersion": _DATABASE_VERSION,
    "appliesTo": _DATABASE_VERSION,
    "state": {"SQL_INSTANCE_STATE_UNSPECIFIED": 0, "RUNNABLE": 1, "SUSPENDED": 2, "MAINTENANCE": 5},
    "instanceType": {"SQL_INSTANCE_TYPE_UNSPECIFIED": 0, "CLOUD_SQL_INSTANCE": 1},
    "backendType": {"SQL_BACKEND_TYPE_UNSPECIFIED": 0, "SECOND_GEN": 2},
    "activationPolicy": {"SQL_ACTIVATION_POLICY_UNSPECIFIED": 0, "ALWAYS": 1, "NEVER": 2},
    "availabilityType": {"SQL_AVAILABILITY_TYPE_UNSPECIFIED": 0, "ZONAL": 1, "REGIONAL": 2},
    "pricingPlan": {"SQL_PRICING_PLAN_UNSPECIFIED": 0, "PER_USE": 2},
    "dataDiskType": {"SQL_DATA_DISK_TYPE_UNSPECIFIED": 0, "PD_SSD": 1, "PD_HDD": 2},
    "status": {"SQL_OPERATION_STATUS_UNSPECIFIED": 0, "PENDING": 1, "RUNNING": 2, "DONE": 3},
    "operationType": {"SQL_OPERATION_TYPE_UNSPECIFIED": 0, "UPDATE": 4},
    "type": {
        "SQL_FLAG_TYPE_UNSPECIFIED": 0,
        "BOOLEAN": 1,
        "STRING": 2,
        "INTEGER": 3,
        "NONE": 4,
        "FLOAT": 6,
    },
    "flagScope": {"SQL_FLAG_SCOPE_UNSPECIFIED": 0, "SQL_FLAG_SCOPE_DATABASE": 1},
}
_ENUM_NAMES: Mapping[str, Mapping[int, str]] = {
    key: {number: name for name, number in table.items()} for key, table in ENUM_VALUES.items()
}
# Which JSON keys are enums, per resource, and which nested objects to descend into.
_INSTANCE_ENUMS = frozenset({"databaseVersion", "state", "instanceType", "backendType"})
_SETTINGS_ENUMS = frozenset({"activationPolicy", "availabilityType", "pricingPlan", "dataDiskType"})
_OPERATION_ENUMS = frozenset({"status", "operationType"})
_FLAG_ENUMS = frozenset({"type", "appliesTo", "flagScope"})


def _convert_enums(obj: JSON, keys: frozenset[str], to_int: bool) -> None:
    """Rewrites enum fields of one JSON object in place, names <-> numbers."""
    for key in keys & obj.keys():
        value = obj[key]
        if isinstance(value, list):
            obj[key] = [_convert_enum(key, item, to_int) for item in value]
        else:
            obj[key] = _convert_enum(key, value, to_int)


def _convert_enum(key: str, value: Any, to_int: bool) -> Any:
    if to_int and isinstance(value, str):
        return ENUM_VALUES[key].get(value, value)
    if not to_int and isinstance(value, int) and not isinstance(value, bool):
        return _ENUM_NAMES[key].get(value, value)
    return value


def _encode_instance(instance: JSON, to_int: bool) -> JSON:
    out = copy.deepcopy(instance)
    _convert_enums(out, _INSTANCE_ENUMS, to_int)
    if isinstance(out.get("settings"), dict):
        _convert_enums(out["settings"], _SETTINGS_ENUMS, to_int)
    return out


def _encode_operation(operation: JSON, to_int: bool) -> JSON:
    out = copy.deepcopy(operation)
    _convert_enums(out, _OPERATION_ENUMS, to_int)
    return out


def _encode_flag(flag: JSON, to_int: bool) -> JSON:
    out = copy.deepcopy(flag)
    _convert_enums(out, _FLAG_ENUMS, to_int)
    return out


# ---------------------------------------------------------------------------------------------
# The flag table. https://cloud.google.com/sql/docs/postgres/flags and
# https://cloud.google.com/sql/docs/mysql/flags list the supported flags; their per-flag tables
# could not be retrieved for this work, so the ranges below are the engines' own ranges
# (PostgreSQL src/backend/utils/misc/guc_tables.c, MySQL sql/sys_vars.cc, as cited in
# cloudtimeouts/catalog.py) and are marked UNVERIFIED for Cloud SQL where that matters. The fake
# answers flags.list from this table, so an adapter that trusts flags.list (as it should) adapts.
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FlagSpec:
    """One row of flags.list (https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/flags)."""

    name: str
    type: str  # INTEGER | STRING | BOOLEAN | FLOAT | NONE
    applies_to: tuple[str, ...]
    min_value: int | None = None
    max_value: int | None = None
    requires_restart: bool = False
    allowed_string_values: tuple[str, ...] = ()
    in_beta: bool = False

    def to_api(self) -> JSON:
        """The Flag resource; int64 fields are JSON strings, as proto3 JSON mapping requires."""
        body: JSON = {
            "kind": "sql#flag",
            "name": self.name,
            "type": self.type,
            "appliesTo": list(self.applies_to),
            "requiresRestart": self.requires_restart,
            "inBeta": self.in_beta,
            "flagScope": "SQL_FLAG_SCOPE_DATABASE",
        }
        if self.min_value is not None:
            body["minValue"] = str(self.min_value)
        if self.max_value is not None:
            body["maxValue"] = str(self.max_value)
        if self.allowed_string_values:
            body["allowedStringValues"] = list(self.allowed_string_values)
        return body

    def check(self, value: str | None) -> str | None:
        """None when ``value`` is acceptable, else the reason in the API's wording."""
        if self.type == "NONE":
            return None if value in (None, "") else f"{self.name} does not take a value."
        if value is None:
            return f"{self.name} requires a value."
        if self.type == "BOOLEAN":
            # DatabaseFlags.value: "Boolean flags are set to on for true and off for false."
            if value.lower() in ("on", "off"):
                return None
            return f"{value} was not an expected boolean value (on or off)."
        if self.type == "STRING":
            if not self.allowed_string_values or value in self.allowed_string_values:
                return None
            return f"{value} was not an expected string."
        number: float
        try:
            number = int(value, 10) if self.type == "INTEGER" else float(value)
        except ValueError:
            return f"{value} is not a valid {self.type.lower()}."
        low = self.min_value if self.min_value is not None else float("-inf")
        high = self.max_value if self.max_value is not None else float("inf")
        if low <= number <= high:
            return None
        # Wording as in a live error quoted publicly: "Failed to set effective_cache_size: Flag
        # value is 131072. ... effective_cache_size must be between 13107 and 91750."
        return (
            f"Flag value is {value}. {self.name} must be between "
            f"{self.min_value} and {self.max_value}."
        )


def _pg(name: str, low: int | None, high: int | None, **kw: Any) -> FlagSpec:
    return FlagSpec(name, kw.pop("type", "INTEGER"), POSTGRES_VERSIONS, low, high, **kw)


def _my(name: str, low: int | None, high: int | None, **kw: Any) -> FlagSpec:
    return FlagSpec(name, kw.pop("type", "INTEGER"), MYSQL_VERSIONS, low, high, **kw)


FLAG_TABLE: tuple[FlagSpec, ...] = (
    # PostgreSQL: ms GUCs, 0..INT_MAX, PGC_USERSET (no restart) in guc_tables.c. Cloud SQL lists
    # each as a supported flag (postgres/flags); its exact Cloud SQL range is UNVERIFIED.
    _pg("idle_session_timeout", 0, INT32_MAX),  # PG14+; all seeded versions are >= 14
    _pg("idle_in_transaction_session_timeout", 0, INT32_MAX),
    _pg("statement_timeout", 0, INT32_MAX),
    _pg("lock_timeout", 0, INT32_MAX),
    # seconds, 0 = the OS default (guc_tables.c). Cloud SQL range UNVERIFIED.
    _pg("tcp_keepalives_idle", 0, INT32_MAX),
    _pg("tcp_keepalives_interval", 0, INT32_MAX),
    # -1 disables (CIS GCP benchmark 6.2.7 recommends -1: hub.steampipe.io control.cis_v200_6_2_7).
    _pg("log_min_duration_statement", -1, INT32_MAX),
    # Restart-bound in PostgreSQL (PGC_POSTMASTER). Cloud SQL's lower bound 14 and upper bound
    # 262143 are UNVERIFIED (recalled from the postgres/flags table, not re-confirmed).
    _pg("max_connections", 14, 262_143, requires_restart=True),
    # Spelled with a dot for PostgreSQL (hashicorp/terraform-provider-google#16941).
    _pg("cloudsql.iam_authentication", None, None, type="BOOLEAN"),
    # MySQL: ranges from sql/sys_vars.cc (VALID_RANGE(1, LONG_TIMEOUT) for the *_timeout
    # variables); Cloud SQL accepts wait_timeout=200000 in its own docs example (mysql/flags);
    # the Cloud SQL ranges themselves are UNVERIFIED.
    _my("wait_timeout", 1, LONG_TIMEOUT),
    _my("interactive_timeout", 1, LONG_TIMEOUT),
    _my("net_read_timeout", 1, LONG_TIMEOUT),
    _my("net_write_timeout", 1, LONG_TIMEOUT),
    _my("lock_wait_timeout", 1, LONG_TIMEOUT),
    _my("innodb_lock_wait_timeout", 1, 1_073_741_824),  # MySQL manual, innodb-parameters
    _my("max_execution_time", 0, UINT32_MAX),  # ms, SELECT only; Cloud SQL range UNVERIFIED
    _my("slow_query_log", None, None, type="BOOLEAN"),
    # FLOAT flags still carry int64 min/max in the API. Engine range 0..31536000 s; the Cloud SQL
    # upper bound 30000000 is UNVERIFIED.
    _my("long_query_time", 0, 30_000_000, type="FLOAT"),
    # Dynamic in MySQL; Cloud SQL range 1..100000 UNVERIFIED (engine range in sys_vars.cc).
    _my("max_connections", 1, 100_000),
    # Static in MySQL (read-only at runtime), hence a restart on Cloud SQL.
    _my("performance_schema", None, None, type="BOOLEAN", requires_restart=True),
)


def _flags_for(database_version: str) -> dict[str, FlagSpec]:
    return {spec.name: spec for spec in FLAG_TABLE if database_version in spec.applies_to}


# ---------------------------------------------------------------------------------------------
# Google error bodies (https://cloud.google.com/apis/design/errors#http_mapping); the legacy
# `errors[]` array with domain/reason is what Cloud SQL still returns and what clients print
# ("googleapi: Error 412: Condition does not match., staleData").
# ---------------------------------------------------------------------------------------------
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An HTTP error the fake answers in Google's JSON error shape."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        location: str | None = None,
        location_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        item_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.item_message = item_message or message
        self.reason = reason
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})

    def body(self) -> JSON:
        item: JSON = {"message": self.item_message, "domain": "global", "reason": self.reason}
        if self.location:
            item["location"] = self.location
        if self.location_type:
            item["locationType"] = self.location_type
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [item],
                "status": _STATUS_NAMES.get(self.code, "UNKNOWN"),
            }
        }


def _injected_error(status: int) -> ApiError:
    """The body Google's front end answers when throttling or unavailable."""
    if status == 429:
        # Message shape from a real 429 quoted in GoogleCloudPlatform/django-cloud-deploy#397.
        return ApiError(
            429,
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
            "of service 'sqladmin.googleapis.com' for consumer 'project_number:000000000000'.",
            "rateLimitExceeded",
        )
    if status == 503:
        return ApiError(503, "The service is currently unavailable.", "backendError")
    return ApiError(status, HTTPStatus(status).phrase, "backendError")


def _now() -> str:
    """RFC 3339 UTC with milliseconds, as the API writes timestamps."""
    stamp = dt.datetime.now(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the fake received: for tests to observe what the client actually sent."""

    method: str
    path: str  # without the query string
    query: Mapping[str, str]
    body: Any  # parsed JSON, a form dict for /token, or None
    authorized: bool


@dataclass(slots=True)
class _Operation:
    resource: JSON
    project: str
    instance: str
    patch: JSON | None
    fail_with: tuple[str, str] | None = None
    applied: bool = False


@dataclass(slots=True)
class _State:
    instances: dict[tuple[str, str], JSON] = field(default_factory=dict)
    operations: dict[str, _Operation] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (monotonic)
    fail_next: list[int] = field(default_factory=list)
    fail_next_operation: tuple[str, str] | None = None


class FakeCloudSql:
    """Cloud SQL Admin API fake on http://127.0.0.1:PORT, with an OAuth token endpoint.

    Thread-safe: the server handles requests on worker threads and tests mutate state from the
    main thread; one lock guards all state.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._lock = threading.RLock()
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests: list[RecordedRequest] = []
        # The credentials the ADC file carries; /token accepts only these.
        self.client_id = "cloudtimeouts-sandbox.apps.example"
        self.client_secret = secrets.token_urlsafe(16)
        self.refresh_token = secrets.token_urlsafe(24)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Binds the port (0 = any free one) and serves on a daemon thread."""
        if self._server is not None:
            return
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer((self._host, self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-cloudsql", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeCloudSql:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeCloudSql is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test-facing API ---------------------------------------------------------------------
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
        """Creates an instance in RUNNABLE state; ``settings`` are merged into ``settings``.

        Flags are validated like a patch would be (raising the same ApiError), so a test cannot
        seed a state Cloud SQL would refuse.
        """
        if database_version not in _DATABASE_VERSION:
            raise ValueError(f"unsupported database_version {database_version!r}")
        flag_list = [{"name": k, "value": v} for k, v in (flags or {}).items()]
        _validate_flags(database_version, flag_list)
        is_pg = database_version.startswith("POSTGRES")
        instance: JSON = {
            "kind": "sql#instance",
            "state": "RUNNABLE",
            "databaseVersion": database_version,
            "settings": {
                "kind": "sql#settings",
                "settingsVersion": "1",
                "tier": "db-custom-2-7680" if is_pg else "db-n1-standard-2",
                "availabilityType": "ZONAL",
                "pricingPlan": "PER_USE",
                "activationPolicy": "ALWAYS",
                "dataDiskType": "PD_SSD",
                "dataDiskSizeGb": "10",
                "storageAutoResize": True,
                "locationPreference": {"kind": "sql#locationPreference", "zone": f"{region}-b"},
                "databaseFlags": flag_list,
                "userLabels": {},
            },
            "etag": secrets.token_hex(16),
            "instanceType": "CLOUD_SQL_INSTANCE",
            "backendType": "SECOND_GEN",
            "project": project,
            "name": name,
            "region": region,
            "gceZone": f"{region}-b",
            "connectionName": f"{project}:{region}:{name}",
            "ipAddresses": [],
            "createTime": _now(),
            "selfLink": "",  # filled per request: it must point at this fake
        }
        instance["settings"].update(settings)
        with self._lock:
            self._state.instances[(project, name)] = instance
            return copy.deepcopy(instance)

    def instance(self, project: str, name: str) -> JSON:
        """The stored resource (a deep copy, enums as names) for assertions."""
        with self._lock:
            out = copy.deepcopy(self._state.instances[(project, name)])
        if self._server is not None:
            out["selfLink"] = f"{self.base_url}/sql/v1beta4/projects/{project}/instances/{name}"
        return out

    def flags(self, project: str, name: str) -> dict[str, str]:
        """The instance's flags as a name -> value dict (a convenience for assertions)."""
        flags = self.instance(project, name)["settings"].get("databaseFlags", [])
        return {flag["name"]: flag.get("value", "") for flag in flags}

    def set_flags_out_of_band(self, project: str, name: str, flags: Mapping[str, str]) -> None:
        """Replaces the flag list as a concurrent writer (console, gcloud) would, bumping
        settingsVersion, so a later patch carrying the old version gets 412."""
        with self._lock:
            instance = self._state.instances[(project, name)]
            flag_list = [{"name": k, "value": v} for k, v in flags.items()]
            _validate_flags(instance["databaseVersion"], flag_list)
            instance["settings"]["databaseFlags"] = flag_list
            _bump(instance)

    def fail_next(self, n: int, status: int = 503) -> None:
        """The next ``n`` API calls (not /token) answer ``status`` with Google's error body."""
        with self._lock:
            self._state.fail_next.extend([status] * n)

    def fail_next_operation(
        self, code: str = "INTERNAL_ERROR", message: str = "An internal error has occurred."
    ) -> None:
        """The next operation ends DONE with ``error`` set and its change not applied.

        ``code`` is OperationError.code, a string in the API; the value used by Cloud SQL for an
        internal failure is UNVERIFIED.
        """
        with self._lock:
            self._state.fail_next_operation = (code, message)

    def complete_operations(self) -> None:
        """Drives every unfinished operation to DONE (for tests that do not poll)."""
        with self._lock:
            for op in self._state.operations.values():
                while op.resource["status"] != "DONE":
                    self._advance(op)

    def revoke_tokens(self) -> None:
        """Invalidates every access token issued so far (the client must refresh)."""
        with self._lock:
            self._state.tokens.clear()

    def write_adc_file(self, path: str | Path) -> Path:
        """Writes an ``external_account_authorized_user`` ADC file whose token_url is this fake.

        google-auth's external_account_authorized_user.Credentials refreshes by POSTing
        grant_type=refresh_token to token_url with HTTP Basic client authentication
        (google/oauth2/sts.py, google/oauth2/utils.py); see _token below.
        """
        target = Path(path)
        info = {
            "type": "external_account_authorized_user",
            "audience": (
                "//iam.googleapis.com/locations/global/workforcePools/cloudtimeouts-sandbox"
                "/providers/fake"
            ),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "token_url": f"{self.base_url}/token",
            "token_info_url": f"{self.base_url}/tokeninfo",
            "revoke_url": f"{self.base_url}/revoke",
            "universe_domain": "googleapis.com",
        }
        target.write_text(json.dumps(info, indent=2), encoding="utf-8")
        return target

    # -- internals used by the handler -------------------------------------------------------
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _take_injected_failure(self) -> int | None:
        with self._lock:
            return self._state.fail_next.pop(0) if self._state.fail_next else None

    def _token_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._state.tokens.get(token)
            return expiry is not None and expiry > time.monotonic()

    def _issue_token(self) -> str:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self._state.tokens[token] = time.monotonic() + TOKEN_LIFETIME_S
        return token

    def _advance(self, op: _Operation) -> None:
        """One step PENDING -> RUNNING -> DONE; the change is applied on reaching DONE."""
        resource = op.resource
        if resource["status"] == "PENDING":
            resource["status"] = "RUNNING"
            resource["startTime"] = _now()
            return
        if resource["status"] != "RUNNING":
            return
        resource["status"] = "DONE"
        resource["endTime"] = _now()
        if op.fail_with is not None:
            code, message = op.fail_with
            resource["error"] = {
                "kind": "sql#operationErrors",
                "errors": [{"kind": "sql#operationError", "code": code, "message": message}],
            }
            return
        instance = self._state.instances.get((op.project, op.instance))
        if instance is not None and op.patch is not None and not op.applied:
            _merge(instance, op.patch)
            _bump(instance)
            op.applied = True

    def _busy(self, project: str, name: str) -> bool:
        return any(
            op.project == project and op.instance == name and op.resource["status"] != "DONE"
            for op in self._state.operations.values()
        )

    # -- API methods (called with the lock held) ---------------------------------------------
    def _get_instance(self, base: str, project: str, name: str) -> JSON:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/get
        instance = self._state.instances.get((project, name))
        if instance is None:
            raise _instance_missing()
        out = copy.deepcopy(instance)
        out["selfLink"] = f"{base}/projects/{project}/instances/{name}"
        return out

    def _list_instances(self, base: str, project: str, query: Mapping[str, str]) -> JSON:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/list
        # maxResults / pageToken / nextPageToken as documented there.
        names = sorted(n for (p, n) in self._state.instances if p == project)
        start = _decode_page_token(query.get("pageToken", ""))
        try:
            size = int(query.get("maxResults") or 0) or 500
        except ValueError:
            raise ApiError(400, "Invalid value for maxResults.", "invalid") from None
        page = names[start : start + size]
        body: JSON = {
            "kind": "sql#instancesList",
            "items": [self._get_instance(base, project, n) for n in page],
        }
        if start + size < len(names):
            body["nextPageToken"] = _encode_page_token(start + size)
        return body

    def _patch_instance(self, base: str, project: str, name: str, body: Any) -> JSON:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/patch
        # "Partially updates settings of a Cloud SQL instance by using patch semantics."
        instance = self._state.instances.get((project, name))
        if instance is None:
            raise _instance_missing()
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received.", "parseError")
        patch = _decode_instance_body(body)
        settings = patch.get("settings") or {}
        sent_version = settings.pop("settingsVersion", None)
        if (
            sent_version is not None
            and str(sent_version) != instance["settings"]["settingsVersion"]
        ):
            # Settings.settingsVersion: "This is a required field for update method to make sure
            # concurrent updates are handled properly." A stale value is answered 412 staleData
            # (live body quoted in hashicorp/terraform-provider-google#12324 and #25246:
            # "Error 412: Condition does not match., staleData", location If-Match).
            raise ApiError(
                412,
                "Condition does not match.",
                "staleData",
                location="If-Match",
                location_type="header",
            )
        if self._busy(project, name):
            # Cloud SQL runs one operation per instance at a time; a second one is refused with
            # 409 operationInProgress ("Operation failed because another operation was already in
            # progress."). UNVERIFIED against a captured body; widely reported by Terraform users.
            raise ApiError(
                409,
                "Operation failed because another operation was already in progress.",
                "operationInProgress",
            )
        if "databaseFlags" in settings:
            # The list REPLACES the instance's flags; this is why `gcloud sql instances patch
            # --database-flags` resets unlisted flags to their defaults (cloud.google.com/sql/docs/
            # postgres/flags: "This command will overwrite all database flags previously set").
            _validate_flags(instance["databaseVersion"], settings["databaseFlags"])
        op = self._new_operation(base, project, name, "UPDATE", patch)
        return op.resource

    def _new_operation(
        self, base: str, project: str, name: str, op_type: str, patch: JSON | None
    ) -> _Operation:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations#Operation
        op_name = str(uuid.uuid4())
        resource: JSON = {
            "kind": "sql#operation",
            "targetLink": f"{base}/projects/{project}/instances/{name}",
            "status": "PENDING",
            "user": "sandbox-user@cloudtimeouts.invalid",
            "insertTime": _now(),
            "operationType": op_type,
            "name": op_name,
            "targetId": name,
            "selfLink": f"{base}/projects/{project}/operations/{op_name}",
            "targetProject": project,
        }
        op = _Operation(resource, project, name, patch, self._state.fail_next_operation)
        self._state.fail_next_operation = None
        self._state.operations[op_name] = op
        return op

    def _get_operation(self, project: str, op_name: str) -> JSON:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations/get
        # Each poll advances the operation one step, so PENDING -> RUNNING -> DONE is observable.
        op = self._state.operations.get(op_name)
        if op is None or op.project != project:
            # Reason and message UNVERIFIED (modelled on instanceDoesNotExist).
            raise ApiError(404, "The Cloud SQL operation does not exist.", "operationDoesNotExist")
        self._advance(op)
        return copy.deepcopy(op.resource)

    def _list_operations(self, project: str, query: Mapping[str, str]) -> JSON:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations/list
        # Newest first ("in the reverse chronological order of the start time").
        instance = query.get("instance")
        items = [
            copy.deepcopy(op.resource)
            for op in reversed(list(self._state.operations.values()))
            if op.project == project and (instance is None or op.instance == instance)
        ]
        return {"kind": "sql#operationsList", "items": items}

    def _list_flags(self, query: Mapping[str, str]) -> JSON:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/flags/list
        # databaseVersion filters; without it every flag of every version is returned.
        version = query.get("databaseVersion")
        specs = FLAG_TABLE if not version else tuple(_flags_for(version).values())
        return {"kind": "sql#flagsList", "items": [spec.to_api() for spec in specs]}


def _instance_missing() -> ApiError:
    # "googleapi: Error 404: The Cloud SQL instance does not exist., instanceDoesNotExist" is the
    # error Terraform users report for a missing instance. Wording UNVERIFIED against a captured
    # body in this work.
    return ApiError(404, "The Cloud SQL instance does not exist.", "instanceDoesNotExist")


def _validate_flags(database_version: str, flags: Any) -> None:
    """Raises the API's error for the first flag that is unknown or out of range."""
    if not isinstance(flags, list):
        raise ApiError(400, "Invalid value at 'body.settings.database_flags'.", "invalid")
    known = _flags_for(database_version)
    for flag in flags:
        name = flag.get("name") if isinstance(flag, dict) else None
        spec = known.get(name) if isinstance(name, str) else None
        if spec is None:
            # A live error quoted in public code: "Error 404: The requested flag is either
            # misspelled or unsupported by Cloud SQL., invalidFlagName" (a MySQL instance sent
            # PostgreSQL's `cloudsql.iam_authentication`). NOTE: 404, not 400. Single source.
            raise ApiError(
                404,
                "The requested flag is either misspelled or unsupported by Cloud SQL.",
                "invalidFlagName",
            )
        problem = spec.check(flag.get("value"))
        if problem is not None:
            # Live errors quoted publicly (wandb/terraform-google-wandb#183,
            # google/exposure-notifications-server#746): "Error 400: Value requested is not
            # valid. Failed to set binlog_row_image: MINIMAL was not an expected string.,
            # invalidFlagValue".
            raise ApiError(
                400,
                f"Value requested is not valid. Failed to set {spec.name}: {problem}",
                "invalidFlagValue",
            )


_READ_ONLY_INSTANCE_FIELDS = frozenset(
    {
        "kind",
        "name",
        "project",
        "selfLink",
        "state",
        "connectionName",
        "createTime",
        "etag",
        "databaseVersion",
        "instanceType",
        "backendType",
        "region",
        "gceZone",
    }
)


def _decode_instance_body(body: JSON) -> JSON:
    """The writable part of a DatabaseInstance body, enums normalised to names."""
    patch = {k: copy.deepcopy(v) for k, v in body.items() if k not in _READ_ONLY_INSTANCE_FIELDS}
    _convert_enums(patch, _INSTANCE_ENUMS, to_int=False)
    settings = patch.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            raise ApiError(400, "Invalid value at 'body.settings'.", "invalid")
        settings.pop("kind", None)
        _convert_enums(settings, _SETTINGS_ENUMS, to_int=False)
    return patch


def _merge(target: JSON, patch: Mapping[str, Any]) -> None:
    """Patch semantics: objects merge key by key; lists and scalars replace."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _bump(instance: JSON) -> None:
    settings = instance["settings"]
    settings["settingsVersion"] = str(int(settings["settingsVersion"]) + 1)
    instance["etag"] = secrets.token_hex(16)


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_page_token(token: str) -> int:
    if not token:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind != "offset":
            raise ValueError(token)
        return int(number)
    except ValueError:
        raise ApiError(400, "Invalid page token.", "invalid") from None


def _single(values: Mapping[str, list[str]]) -> dict[str, str]:
    return {key: items[-1] for key, items in values.items()}


class _Handler(BaseHTTPRequestHandler):
    """Routes requests to the fake; one instance per request (http.server's model)."""

    fake: FakeCloudSql  # set on the per-server subclass
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' session expects
    server_version = "ESF"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: tests read fake.requests instead of stderr noise."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing ----------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = _single(parse_qs(url.query, keep_blank_values=True))
        raw = self._read_body()
        if path in ("/token", "/tokeninfo", "/revoke"):
            self._oauth(method, path, query, raw)
            return
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        token = self._bearer()
        authorized = token is not None and self.fake._token_valid(token)
        self.fake._record(RecordedRequest(method, path, query, body, authorized))
        try:
            prefix = next((p for p in _API_PREFIXES if path.startswith(p)), None)
            if prefix is None:
                raise ApiError(404, f"Method not found: {method} {path}", "notFound")
            injected = self.fake._take_injected_failure()
            if injected is not None:
                raise _injected_error(injected)
            if not authorized:
                raise _auth_error(missing=token is None)
            base = f"{self.fake.base_url}{prefix.rstrip('/')}"
            to_int = "enum-encoding=int" in query.get("$alt", "")
            status, result = self._route(method, path[len(prefix) :], query, body, base, to_int)
            self._send_json(status, result)
        except ApiError as err:
            self._send_json(err.code, err.body(), err.headers)

    def _bearer(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _route(
        self, method: str, rest: str, query: Mapping[str, str], body: Any, base: str, to_int: bool
    ) -> tuple[int, JSON]:
        parts = [p for p in rest.split("/") if p]
        fake = self.fake
        with fake._lock:
            if parts == ["flags"] and method == "GET":
                result = fake._list_flags(query)
                result["items"] = [_encode_flag(f, to_int) for f in result["items"]]
                return 200, result
            if len(parts) >= 3 and parts[0] == "projects":
                project, collection, rest_parts = parts[1], parts[2], parts[3:]
                if collection == "instances":
                    if not rest_parts and method == "GET":
                        result = fake._list_instances(base, project, query)
                        result["items"] = [_encode_instance(i, to_int) for i in result["items"]]
                        return 200, result
                    if len(rest_parts) == 1 and method == "GET":
                        return 200, _encode_instance(
                            fake._get_instance(base, project, rest_parts[0]), to_int
                        )
                    if len(rest_parts) == 1 and method == "PATCH":
                        op = fake._patch_instance(base, project, rest_parts[0], body)
                        return 200, _encode_operation(op, to_int)
                if collection == "operations":
                    if not rest_parts and method == "GET":
                        result = fake._list_operations(project, query)
                        result["items"] = [_encode_operation(o, to_int) for o in result["items"]]
                        return 200, result
                    if len(rest_parts) == 1 and method == "GET":
                        op = fake._get_operation(project, rest_parts[0])
                        return 200, _encode_operation(op, to_int)
        raise ApiError(404, f"Method not found: {method} /{rest}", "notFound")

    def _oauth(self, method: str, path: str, query: Mapping[str, str], raw: bytes) -> None:
        form = _single(parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True))
        self.fake._record(RecordedRequest(method, path, query, form, authorized=False))
        if method != "POST":
            self._send_json(405, {"error": "invalid_request", "error_description": "POST only"})
            return
        if path == "/token":
            status, body = self._token(form)
        elif path == "/tokeninfo":
            # RFC 7662 introspection, what token_info_url points at.
            active = self.fake._token_valid(form.get("token", ""))
            status, body = 200, {"active": active}
        else:
            # RFC 7009 revocation: 200 with an empty body.
            status, body = 200, {}
        self._send_json(status, body)

    def _token(self, form: Mapping[str, str]) -> tuple[int, JSON]:
        """The refresh grant google-auth's external_account_authorized_user sends.

        Request (google/oauth2/sts.py Client.refresh_token): form-encoded
        ``grant_type=refresh_token&refresh_token=...`` with ``Authorization: Basic
        base64(client_id:client_secret)``. Response it reads: ``access_token``, ``expires_in``
        (required: it computes the expiry from it) and optionally ``refresh_token``. Errors are
        RFC 6749 section 5.2 JSON (``error``, ``error_description``), which
        google.oauth2.utils.handle_error_response turns into OAuthError.
        """
        fake = self.fake
        expected = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
        if self.headers.get("Authorization", "") != f"Basic {expected}":
            return 401, {"error": "invalid_client", "error_description": "Bad client credentials."}
        if form.get("grant_type") != "refresh_token":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Only refresh_token is supported by the sandbox.",
            }
        if form.get("refresh_token") != fake.refresh_token:
            return 400, {"error": "invalid_grant", "error_description": "Bad refresh token."}
        return 200, {
            "access_token": fake._issue_token(),
            "expires_in": TOKEN_LIFETIME_S,
            "token_type": "Bearer",
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        }


def _auth_error(*, missing: bool) -> ApiError:
    """Google's 401 bodies for a missing or a bad bearer token."""
    see = (
        "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    if missing:
        return ApiError(
            401,
            f"Request is missing required authentication credential. {see}",
            "required",
            location="Authorization",
            location_type="header",
            headers=headers,
            item_message="Login Required.",
        )
    return ApiError(
        401,
        f"Request had invalid authentication credentials. {see}",
        "authError",
        location="Authorization",
        location_type="header",
        headers=headers,
        item_message="Invalid Credentials",
    )


def flag_names(database_version: str) -> Iterable[str]:
    """Names of the flags the fake knows for a version (handy for adapter tests)."""
    return tuple(_flags_for(database_version))
