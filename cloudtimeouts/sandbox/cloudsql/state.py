"""What the emulated Cloud SQL holds: instances and their operations, behind one lock.

Behaviour, with its sources:

- instances.patch "partially updates settings of a Cloud SQL instance by using patch semantics"
  and returns an Operation; the change lands when the operation is DONE
  (https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/instances/patch). Each poll
  advances an operation one step, PENDING -> RUNNING -> DONE, so clients must poll; an operation
  nobody polls (its response was lost) still completes by itself after ``operation_seconds``, as
  Cloud SQL's do (the duration is the emulator's choice).
- ``settings.databaseFlags`` in a patch REPLACES the whole list: "The PATCH command overwrites the
  existing flags with the ones specified in the request" (Configure database flags,
  https://cloud.google.com/sql/docs/mysql/flags, REST section; same on the postgres page).
- ``settings.settingsVersion`` is "a required field for update method to make sure concurrent
  updates are handled properly"; a stale one is answered 412 staleData (live bodies quoted in
  hashicorp/terraform-provider-google#12324: "Error 412: Condition does not match., staleData").
- One operation at a time per instance: a patch while one runs is 409 operationInProgress
  ("Operation failed because another operation was already in progress.", widely reported by
  Terraform users; body UNVERIFIED against a capture). Checked after settingsVersion (UNVERIFIED
  order).
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudtimeouts.sandbox.cloudsql.catalogue import Catalogue, default_catalogue
from cloudtimeouts.sandbox.cloudsql.wire import ENUM_VALUES, ApiError, encode_enums, now

__all__ = ["CloudSqlState", "Operation"]

JSON = dict[str, Any]

# Fields of DatabaseInstance a patch cannot change (output only, or immutable after creation).
_READ_ONLY_FIELDS = frozenset(
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


@dataclass(slots=True)
class Operation:
    resource: JSON  # the Operation resource, enums as names, selfLink/targetLink filled per call
    project: str
    instance: str
    patch: JSON | None
    fail_with: tuple[str, str] | None = None
    applied: bool = False
    created: float = field(default_factory=time.monotonic)


@dataclass
class CloudSqlState:
    """Instances by (project, name), operations by name; every method takes the lock."""

    catalogue: Catalogue = field(default_factory=default_catalogue)
    instances: dict[tuple[str, str], JSON] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    denied: set[tuple[str, str]] = field(default_factory=set)  # (project, IAM permission)
    fail_next_operation: tuple[str, str] | None = None
    operation_seconds: float = 2.0  # an unpolled operation is DONE this long after its insert
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- seeding -------------------------------------------------------------------------------
    def add_instance(
        self,
        project: str,
        name: str,
        database_version: str,
        flags: Mapping[str, str],
        region: str,
        settings: Mapping[str, Any],
    ) -> JSON:
        if database_version not in ENUM_VALUES["databaseVersion"]:
            raise ValueError(f"unsupported database_version {database_version!r}")
        flag_list = [{"name": k, "value": v} for k, v in flags.items()]
        with self.lock:
            self.validate_flags(database_version, flag_list)
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
                    **settings,
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
                "createTime": now(),
            }
            self.instances[(project, name)] = instance
            return copy.deepcopy(instance)

    def replace_flags(self, project: str, name: str, flags: Mapping[str, str]) -> None:
        """A concurrent writer (console, gcloud): new list, settingsVersion bumped."""
        with self.lock:
            instance = self._instance(project, name)
            flag_list = [{"name": k, "value": v} for k, v in flags.items()]
            self.validate_flags(instance["databaseVersion"], flag_list)
            instance["settings"]["databaseFlags"] = flag_list
            _bump(instance)

    def complete_operations(self, older_than: float = 0.0) -> None:
        """Drives to DONE every operation inserted at least ``older_than`` seconds ago."""
        with self.lock:
            now_ = time.monotonic()
            for op in self.operations.values():
                while op.resource["status"] != "DONE" and now_ - op.created >= older_than:
                    self._advance(op)

    # -- checks ----------------------------------------------------------------------------------
    def check_permission(self, project: str, permission: str | None) -> None:
        """403 for a permission a test denied on this project (IAM is not otherwise modelled).

        Wording as users quote it ("googleapi: Error 403: The client is not authorized to make
        this request., notAuthorized"); UNVERIFIED against a captured body.
        """
        if permission and (project, permission) in self.denied:
            raise ApiError(
                403, "The client is not authorized to make this request.", "notAuthorized"
            )

    def validate_flags(self, database_version: str, flags: Any) -> None:
        """Raises the API's error for the first flag that is unknown or refused."""
        if not isinstance(flags, list):
            raise ApiError(400, "Invalid value at 'body.settings.database_flags'.", "invalid")
        offered = self.catalogue.for_version(database_version)
        for flag in flags:
            name = flag.get("name") if isinstance(flag, dict) else None
            row = offered.get(name) if isinstance(name, str) else None
            if row is None:
                # Quoted in public code: "Error 404: The requested flag is either misspelled or
                # unsupported by Cloud SQL., invalidFlagName" (a MySQL instance sent
                # PostgreSQL's cloudsql.iam_authentication). 404, not 400. Single source.
                raise ApiError(
                    404,
                    "The requested flag is either misspelled or unsupported by Cloud SQL.",
                    "invalidFlagName",
                )
            problem = row.problem(flag.get("value"))
            if problem is not None:
                # "Error 400: Value requested is not valid. Failed to set binlog_row_image:
                # MINIMAL was not an expected string., invalidFlagValue" (wandb/terraform-google-
                # wandb#183, google/exposure-notifications-server#746).
                raise ApiError(
                    400,
                    f"Value requested is not valid. Failed to set {row.name}: {problem}",
                    "invalidFlagValue",
                )

    # -- API methods -----------------------------------------------------------------------------
    def get_instance(self, project: str, name: str) -> JSON:
        with self.lock:
            self._settle()
            return copy.deepcopy(self._instance(project, name))

    def list_instances(self, project: str) -> list[JSON]:
        """Every instance of a project, by name (the order pages are cut in)."""
        with self.lock:
            self._settle()
            return [
                copy.deepcopy(i) for (p, _), i in sorted(self.instances.items()) if p == project
            ]

    def patch_instance(self, project: str, name: str, body: Any, user: str) -> Operation:
        with self.lock:
            self._settle()
            instance = self._instance(project, name)
            if not isinstance(body, dict):
                raise ApiError(400, "Invalid JSON payload received.", "parseError")
            patch = _writable(body)
            settings = patch.get("settings") or {}
            sent = settings.pop("settingsVersion", None)
            if sent is not None and str(sent) != instance["settings"]["settingsVersion"]:
                raise ApiError(
                    412,
                    "Condition does not match.",
                    "staleData",
                    location="If-Match",
                    location_type="header",
                )
            if self._busy(project, name):
                raise ApiError(
                    409,
                    "Operation failed because another operation was already in progress.",
                    "operationInProgress",
                )
            if "databaseFlags" in settings:
                self.validate_flags(instance["databaseVersion"], settings["databaseFlags"])
            return self._new_operation(project, name, patch, user)

    def get_operation(self, project: str, op_name: str) -> JSON:
        """operations.get; each call advances the operation one step."""
        with self.lock:
            self._settle()
            op = self.operations.get(op_name)
            if op is None or op.project != project:
                # Reason and message UNVERIFIED (modelled on instanceDoesNotExist).
                raise ApiError(
                    404, "The Cloud SQL operation does not exist.", "operationDoesNotExist"
                )
            self._advance(op)
            return copy.deepcopy(op.resource)

    def list_operations(self, project: str, instance: str | None) -> list[JSON]:
        """operations.list: newest first ("reverse chronological order of the start time")."""
        with self.lock:
            self._settle()
            return [
                copy.deepcopy(op.resource)
                for op in reversed(list(self.operations.values()))
                if op.project == project and (instance is None or op.instance == instance)
            ]

    # -- internals -------------------------------------------------------------------------------
    def _settle(self) -> None:
        self.complete_operations(older_than=self.operation_seconds)

    def _instance(self, project: str, name: str) -> JSON:
        instance = self.instances.get((project, name))
        if instance is None:
            # "googleapi: Error 404: The Cloud SQL instance does not exist., instanceDoesNotExist"
            # as Terraform users report it; UNVERIFIED against a captured body.
            raise ApiError(404, "The Cloud SQL instance does not exist.", "instanceDoesNotExist")
        return instance

    def _busy(self, project: str, name: str) -> bool:
        return any(
            op.project == project and op.instance == name and op.resource["status"] != "DONE"
            for op in self.operations.values()
        )

    def _new_operation(self, project: str, name: str, patch: JSON, user: str) -> Operation:
        # https://cloud.google.com/sql/docs/mysql/admin-api/rest/v1beta4/operations#Operation
        op_name = str(uuid.uuid4())
        resource: JSON = {
            "kind": "sql#operation",
            "status": "PENDING",
            "user": user,
            "insertTime": now(),
            "operationType": "UPDATE",
            "name": op_name,
            "targetId": name,
            "targetProject": project,
        }
        op = Operation(resource, project, name, patch, self.fail_next_operation)
        self.fail_next_operation = None
        self.operations[op_name] = op
        return op

    def _advance(self, op: Operation) -> None:
        """One step PENDING -> RUNNING -> DONE; the change is applied on reaching DONE."""
        resource = op.resource
        if resource["status"] == "PENDING":
            resource.update(status="RUNNING", startTime=now())
            return
        if resource["status"] != "RUNNING":
            return
        resource.update(status="DONE", endTime=now())
        if op.fail_with is not None:
            code, message = op.fail_with
            resource["error"] = {
                "kind": "sql#operationErrors",
                "errors": [{"kind": "sql#operationError", "code": code, "message": message}],
            }
            return
        instance = self.instances.get((op.project, op.instance))
        if instance is not None and op.patch is not None and not op.applied:
            _merge(instance, op.patch)
            _bump(instance)
            op.applied = True


def _writable(body: JSON) -> JSON:
    """The writable part of a DatabaseInstance body, enums as names."""
    patch = encode_enums(
        "instance", {k: v for k, v in body.items() if k not in _READ_ONLY_FIELDS}, to_int=False
    )
    settings = patch.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            raise ApiError(400, "Invalid value at 'body.settings'.", "invalid")
        settings.pop("kind", None)
    return patch


def _merge(target: JSON, patch: Mapping[str, Any]) -> None:
    """Patch semantics: objects merge key by key; lists (databaseFlags) and scalars replace."""
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _bump(instance: JSON) -> None:
    settings = instance["settings"]
    settings["settingsVersion"] = str(int(settings["settingsVersion"]) + 1)
    instance["etag"] = secrets.token_hex(16)
