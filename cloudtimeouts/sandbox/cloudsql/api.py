"""The Cloud SQL Admin API as an `App` for the shared loopback server.

Paths under both prefixes, ``/sql/v1beta4/`` and ``/v1/``, as in the reference
(https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances and .../rest/v1/...).
Operation names are the API's method names: ``instances.get``, ``instances.list``,
``instances.patch``, ``operations.get``, ``operations.list``, ``flags.list``; the token endpoint
answers ``oauth.token`` (``oauth.tokeninfo``, ``oauth.revoke``). Every API call needs a bearer
token from the token endpoint (401 otherwise, in Google's shape). Cloud Logging's
``POST /v2/entries:list`` (``entries.list``: the instances' server logs, `entries`) is served at
the same base URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudtimeouts.sandbox.cloudsql import entries
from cloudtimeouts.sandbox.cloudsql.oauth import PATHS, TokenEndpoint
from cloudtimeouts.sandbox.cloudsql.state import CloudSqlState
from cloudtimeouts.sandbox.cloudsql.wire import (
    ApiError,
    decode_page_token,
    encode_enums,
    encode_page_token,
    json_response,
)
from cloudtimeouts.sandbox.loopback import Fault, Request, Response

__all__ = ["PREFIXES", "CloudSqlApp"]

JSON = dict[str, Any]
PREFIXES = ("/sql/v1beta4", "/v1")
ENTRIES_LIST = "/v2/entries:list"  # Cloud Logging API v2, entries.list
DEFAULT_PAGE_SIZE = 500  # UNVERIFIED: the reference gives no default for maxResults
OPERATOR = "sandbox-user@cloudtimeouts.invalid"  # Operation.user: the caller's email
# The IAM permission each method checks (Cloud SQL "Roles and permissions" page); flags.list
# needs none. operations.* checking cloudsql.instances.get is UNVERIFIED.
PERMISSIONS = {
    "instances.get": "cloudsql.instances.get",
    "instances.list": "cloudsql.instances.list",
    "instances.patch": "cloudsql.instances.update",
    "operations.get": "cloudsql.instances.get",
    "operations.list": "cloudsql.instances.get",
}


@dataclass(frozen=True, slots=True)
class _Route:
    method: str  # the API method name, e.g. "instances.get"
    prefix: str
    project: str = ""
    resource: str = ""  # instance or operation name


def _route(request: Request) -> _Route | None:
    prefix = next((p for p in PREFIXES if request.path.startswith(p + "/")), None)
    if prefix is None:
        return None
    parts = [part for part in request.path[len(prefix) :].split("/") if part]
    verb = request.method
    if parts == ["flags"] and verb == "GET":
        return _Route("flags.list", prefix)
    if len(parts) not in (3, 4) or parts[0] != "projects":
        return None
    collection = parts[2]
    if collection not in ("instances", "operations"):
        return None
    if len(parts) == 3 and verb == "GET":
        return _Route(f"{collection}.list", prefix, parts[1])
    if len(parts) == 4 and verb == "GET":
        return _Route(f"{collection}.get", prefix, parts[1], parts[3])
    if len(parts) == 4 and verb == "PATCH" and collection == "instances":
        return _Route("instances.patch", prefix, parts[1], parts[3])
    return None


class CloudSqlApp:
    """Names, answers and breaks Cloud SQL Admin API requests (see `sandbox.loopback.App`)."""

    def __init__(
        self, state: CloudSqlState, tokens: TokenEndpoint, logs: entries.LogEntries
    ) -> None:
        self.state = state
        self.tokens = tokens
        self.logs = logs
        self.base_url = ""  # set once the server is listening: selfLinks point at it
        self.server_error_status = 503  # what Fault.SERVER_ERROR answers: 503 or 500

    # -- App ---------------------------------------------------------------------------------
    def operation(self, request: Request) -> str:
        if request.path in PATHS:
            return PATHS[request.path]
        if request.path == ENTRIES_LIST:
            return "entries.list"
        route = _route(request)
        return route.method if route else "unknown"

    def handle(self, request: Request) -> Response:
        if request.path in PATHS:
            return self.tokens.handle(request)
        try:
            if request.path == ENTRIES_LIST:
                return self._list_entries(request)
            route = _route(request)
            if route is None:
                raise ApiError(
                    404, f"Method not found: {request.method} {request.path}", "notFound"
                )
            self._authenticate(request)
            self.state.check_permission(route.project, PERMISSIONS.get(route.method))
            to_int = "enum-encoding=int" in request.query_value("$alt")
            return json_response(200, self._call(route, request, to_int))
        except ApiError as error:
            return error.response()

    def fault_response(self, fault: Fault, request: Request) -> Response:
        """Google's front end answers: 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, 500 INTERNAL."""
        if request.path in PATHS:
            return self.tokens.fault_response(fault)
        if fault is Fault.THROTTLE:
            # Message shape from a real 429 quoted in GoogleCloudPlatform/django-cloud-deploy#397.
            service = (
                "logging.googleapis.com"
                if request.path == ENTRIES_LIST
                else "sqladmin.googleapis.com"
            )
            return ApiError(
                429,
                "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per "
                f"user' of service '{service}' for consumer 'project_number:000000000000'.",
                "rateLimitExceeded",
            ).response()
        if fault is Fault.SERVER_ERROR and self.server_error_status == 500:
            return ApiError(500, "Internal error encountered.", "backendError").response()
        # SERVER_ERROR, and LOST_RESPONSE (processed, then this 503): indistinguishable.
        return ApiError(503, "The service is currently unavailable.", "backendError").response()

    # -- the methods -------------------------------------------------------------------------
    def _call(self, route: _Route, request: Request, to_int: bool) -> JSON:
        state, base = self.state, f"{self.base_url}{route.prefix}"
        if route.method == "flags.list":
            # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/flags/list
            # databaseVersion filters; without it every flag of every version is listed.
            version = request.query_value("databaseVersion")
            rows = state.catalogue.for_version(version).values() if version else state.catalogue
            items = [encode_enums("flag", row.to_api(), to_int) for row in rows]
            return {"kind": "sql#flagsList", "items": items}
        if route.method == "instances.get":
            # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/get
            instance = state.get_instance(route.project, route.resource)
            return _instance(instance, base, to_int)
        if route.method == "instances.list":
            # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/list
            # Every instance with its settings (and flags); maxResults / pageToken.
            page, token = _page(state.list_instances(route.project), request.query)
            body: JSON = {
                "kind": "sql#instancesList",
                "items": [_instance(i, base, to_int) for i in page],
            }
            return body | ({"nextPageToken": token} if token else {})
        if route.method == "instances.patch":
            # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/patch
            op = state.patch_instance(route.project, route.resource, _json_body(request), OPERATOR)
            return _operation(op.resource, base, to_int)
        if route.method == "operations.get":
            # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations/get
            return _operation(state.get_operation(route.project, route.resource), base, to_int)
        # operations.list: https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations/list
        instance = request.query_value("instance") or None
        page, token = _page(state.list_operations(route.project, instance), request.query)
        body = {"kind": "sql#operationsList", "items": [_operation(o, base, to_int) for o in page]}
        return body | ({"nextPageToken": token} if token else {})

    def _list_entries(self, request: Request) -> Response:
        """entries.list (`entries`): POST only, a bearer token, the permission on each project."""
        if request.method != "POST":
            raise ApiError(404, f"Method not found: {request.method} {request.path}", "notFound")
        self._authenticate(request)
        projects, answer = self.logs.list(_json_body(request))
        with self.state.lock:
            denied = [p for p in projects if (p, entries.PERMISSION) in self.state.denied]
        if denied:
            raise ApiError(
                403,
                f"Permission '{entries.PERMISSION}' denied on resource (or it may not exist).",
                "forbidden",
            )
        return json_response(200, answer)

    def _authenticate(self, request: Request) -> None:
        scheme, _, token = request.header("authorization").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        if token and self.tokens.valid(token):
            return
        raise _auth_error(missing=not token)


def _instance(instance: JSON, base: str, to_int: bool) -> JSON:
    instance["selfLink"] = f"{base}/projects/{instance['project']}/instances/{instance['name']}"
    return encode_enums("instance", instance, to_int)


def _operation(resource: JSON, base: str, to_int: bool) -> JSON:
    project, name = resource["targetProject"], resource["targetId"]
    resource["targetLink"] = f"{base}/projects/{project}/instances/{name}"
    resource["selfLink"] = f"{base}/projects/{project}/operations/{resource['name']}"
    return encode_enums("operation", resource, to_int)


def _page(items: list[JSON], query: Mapping[str, list[str]]) -> tuple[list[JSON], str | None]:
    """One page of ``items`` and the nextPageToken, if more remain."""
    start = decode_page_token((query.get("pageToken") or [""])[-1])
    raw = (query.get("maxResults") or [""])[-1]
    try:
        size = int(raw) if raw else DEFAULT_PAGE_SIZE
    except ValueError:
        raise ApiError(400, f"Invalid value for maxResults: {raw}", "invalid") from None
    size = size if size > 0 else DEFAULT_PAGE_SIZE
    end = start + size
    return items[start:end], (encode_page_token(end) if end < len(items) else None)


def _json_body(request: Request) -> Any:
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received.", "parseError") from None


def _auth_error(*, missing: bool) -> ApiError:
    """Google's 401 bodies for a missing or a bad bearer token."""
    see = (
        "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
        "See https://developers.google.com/identity/sign-in/web/devconsole-project."
    )
    common: dict[str, Any] = {
        "location": "Authorization",
        "location_type": "header",
        "headers": {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    }
    if missing:
        message = f"Request is missing required authentication credential. {see}"
        return ApiError(401, message, "required", item_message="Login Required.", **common)
    message = f"Request had invalid authentication credentials. {see}"
    return ApiError(401, message, "authError", item_message="Invalid Credentials", **common)
