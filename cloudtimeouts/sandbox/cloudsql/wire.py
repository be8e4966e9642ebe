"""Cloud SQL Admin API wire details: enum encodings, Google's error bodies, page tokens, times.

Enums: the REST transport of google-cloud-sql sends ``$alt=json;enum-encoding=int`` on every call
and writes enums in request bodies as numbers (google.api_core.rest_helpers with
rest_numeric_enums=True). Google answers with numbers when that ``$alt`` is present and with names
otherwise (the ``enum-encoding`` system parameter, https://google.aip.dev/cloud/2510), so the
emulator does the same. The numbers are the proto numbers of
google/cloud/sql/v1beta4/cloud_sql_resources.proto; a test cross-checks them against the installed
client's enums.

Errors: https://cloud.google.com/apis/design/errors#http_mapping (``code``, ``message``,
``status``), with the legacy ``errors[]`` items (``message``, ``domain``, ``reason``) that Cloud
SQL still sends and clients print ("googleapi: Error 412: Condition does not match., staleData").
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from cloudtimeouts.sandbox.loopback import Response

__all__ = [
    "ENUM_VALUES",
    "ApiError",
    "decode_page_token",
    "encode_enums",
    "encode_page_token",
    "json_response",
    "now",
]

JSON = dict[str, Any]

_DATABASE_VERSION = {
    "SQL_DATABASE_VERSION_UNSPECIFIED": 0,
    "MYSQL_5_7": 6,
    "MYSQL_8_0": 20,
    "MYSQL_8_4": 398,
    "POSTGRES_13": 23,
    "POSTGRES_14": 110,
    "POSTGRES_15": 172,
    "POSTGRES_16": 272,
    "POSTGRES_17": 408,
    "POSTGRES_18": 557,
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
# Which keys are enums in each resource ("settings" is nested in an instance).
_ENUM_KEYS: Mapping[str, frozenset[str]] = {
    "instance": frozenset({"databaseVersion", "state", "instanceType", "backendType"}),
    "settings": frozenset({"activationPolicy", "availabilityType", "pricingPlan", "dataDiskType"}),
    "operation": frozenset({"status", "operationType"}),
    "flag": frozenset({"type", "appliesTo", "flagScope"}),
}


def _convert(key: str, value: Any, to_int: bool) -> Any:
    if isinstance(value, list):
        return [_convert(key, item, to_int) for item in value]
    if to_int and isinstance(value, str):
        return ENUM_VALUES[key].get(value, value)
    if not to_int and isinstance(value, int) and not isinstance(value, bool):
        return _ENUM_NAMES[key].get(value, value)
    return value


def encode_enums(resource: str, body: Mapping[str, Any], to_int: bool) -> JSON:
    """A deep copy of an instance, operation or flag with its enums as numbers or names."""
    out = copy.deepcopy(dict(body))
    for key in _ENUM_KEYS[resource] & out.keys():
        out[key] = _convert(key, out[key], to_int)
    if resource == "instance" and isinstance(out.get("settings"), dict):
        out["settings"] = encode_enums("settings", out["settings"], to_int)
    return out


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
    """An HTTP error answered in Google's JSON error shape."""

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
        self.code, self.message, self.reason = code, message, reason
        self.item_message = item_message or message
        self.location, self.location_type = location, location_type
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

    def response(self) -> Response:
        return json_response(self.code, self.body(), self.headers)


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        status,
        json.dumps(body).encode("utf-8"),
        {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
    )


def encode_page_token(offset: int) -> str:
    """Opaque to clients, as nextPageToken is documented to be."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_page_token(token: str) -> int:
    if not token:
        return 0
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind != "offset" or int(number) < 0:
            raise ValueError(token)
        return int(number)
    except ValueError:
        # Reason and wording UNVERIFIED.
        raise ApiError(400, "Invalid page token.", "invalid") from None


def now() -> str:
    """RFC 3339 UTC with milliseconds, as the API writes timestamps."""
    stamp = dt.datetime.now(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
