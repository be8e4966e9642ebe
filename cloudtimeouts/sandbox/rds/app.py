"""The RDS emulator as a `LoopbackServer` App: parameter-group actions here, the rest to moto.

Why a layer in front of moto: moto only stores and echoes. A fresh group has no parameters; it
ignores MaxRecords, Marker and Source; it accepts any number of parameters, unknown names,
out-of-range values, `immediate` for static parameters and writes to `default.*` groups; it never
reports `pending-reboot`; and DescribeEngineDefaultParameters answers HTTP 500. cloudtimeouts'
safety rests on exactly those behaviours. Log files are served here too (`logs`: moto lists a
made-up one and downloads none).

Operation names (for `server.faults` and `server.requests`) are the Query protocol's `Action`:
``DescribeDBParameters``, ``ModifyDBParameterGroup``, ``DescribeDBClusters``, STS ``AssumeRole``.
Requests without one are named ``METHOD /path`` (e.g. moto's ``POST /moto-api/reset``).

Injected faults answer as AWS does (Query protocol errors, RDS API Reference "Common Errors",
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html):
- throttle: HTTP 400 ``Throttling`` / "Rate exceeded", Type Sender;
- server-error: HTTP 500 ``InternalFailure``, Type Receiver;
- lost-response: HTTP 503 ``ServiceUnavailable``, Type Receiver.
botocore's standard retry mode retries all three (botocore/retries/standard.py:
``ThrottledRetryableChecker`` lists ``Throttling``; ``TransientRetryableChecker`` the statuses
500, 502, 503, 504), which is why a tool must reconcile a lost response by reading.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from cloudtimeouts.sandbox.loopback import Fault, Request, Response
from cloudtimeouts.sandbox.rds.catalogue import FAMILIES, family_for_version
from cloudtimeouts.sandbox.rds.logs import LogFiles
from cloudtimeouts.sandbox.rds.moto_bridge import MotoBridge
from cloudtimeouts.sandbox.rds.proxies import modify_db_proxy
from cloudtimeouts.sandbox.rds.state import (
    ACCOUNT_ID,
    Group,
    ParameterGroups,
    family_of,
    paginate,
)
from cloudtimeouts.sandbox.rds.wire import (
    NAMESPACE,
    STS_NAMESPACE,
    RdsError,
    encode_error,
    encode_response,
    parameters_in,
    parse_form,
    required,
    signing_region,
    signing_service,
)

__all__ = ["RdsApp"]

_XML = {"Content-Type": "text/xml"}
Handler = Callable[[str, str, Mapping[str, str]], dict[str, object] | None]
# (status, code, message) of each injected fault, from the Common Errors page.
_FAULTS = {
    Fault.THROTTLE: (400, "Throttling", "Rate exceeded"),
    Fault.SERVER_ERROR: (
        500,
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    ),
    Fault.LOST_RESPONSE: (
        503,
        "ServiceUnavailable",
        "The request has failed due to a temporary failure of the server.",
    ),
}


def _names(action: str) -> tuple[bool, str]:
    """(cluster?, the group-name field) of a parameter-group action."""
    cluster = "Cluster" in action
    return cluster, "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"


class RdsApp:
    def __init__(self) -> None:
        self.lock = threading.RLock()  # every parameter-group request runs whole under it
        self.groups = ParameterGroups()
        self.moto = MotoBridge()
        self.logs = LogFiles()
        # Actions the caller's IAM policy does not allow (a test seam: `RealisticRds.deny`).
        self.denied: set[str] = set()
        self._handlers: dict[str, Handler] = {
            "DescribeDBParameters": self._describe_parameters,
            "DescribeDBClusterParameters": self._describe_parameters,
            "DescribeDBParameterGroups": self._describe_groups,
            "DescribeDBClusterParameterGroups": self._describe_groups,
            "DescribeEngineDefaultParameters": self._engine_defaults,
            "DescribeEngineDefaultClusterParameters": self._engine_defaults,
            "ModifyDBParameterGroup": self._modify,
            "ModifyDBClusterParameterGroup": self._modify,
            "ResetDBParameterGroup": self._reset,
            "ResetDBClusterParameterGroup": self._reset,
            "CreateDBParameterGroup": self._create,
            "CreateDBClusterParameterGroup": self._create,
            "CopyDBParameterGroup": self._copy,
            "CopyDBClusterParameterGroup": self._copy,
            "DeleteDBParameterGroup": self._delete,
            "DeleteDBClusterParameterGroup": self._delete,
            "DescribeDBLogFiles": self._log_files,
            "DownloadDBLogFilePortion": self._log_files,
        }

    # -- the App protocol -----------------------------------------------------------------------
    def operation(self, request: Request) -> str:
        action = _form(request).get("Action")
        return action or f"{request.method} {request.path}"

    def handle(self, request: Request) -> Response:
        form = _form(request)
        action = form.get("Action", "")
        request_id = str(uuid.uuid4())
        region = signing_region(request.headers)
        ours = signing_service(request.headers) == "rds" and (
            action in self._handlers or action in ("RebootDBCluster", "ModifyDBProxy")
        )
        try:
            if signing_service(request.headers) == "rds" and action in self.denied:
                raise _access_denied(region, action, form)
            if not ours:
                return self._forward(request, form, action, region, request_id)
            with self.lock:
                if action == "RebootDBCluster":
                    payload = self._reboot_cluster(region, form, request_id)
                elif action == "ModifyDBProxy":  # moto has CreateDBProxy, not ModifyDBProxy
                    payload = modify_db_proxy(self.moto, region, form, request_id)
                else:
                    result = self._handlers[action](region, action, form)
                    payload = encode_response(action, result, request_id)
        except RdsError as error:
            body = encode_error(error.code, error.message, error.status, request_id)
            return Response(error.status, body, {**_XML, "x-amzn-RequestId": request_id})
        return Response(200, payload, {**_XML, "x-amzn-RequestId": request_id})

    def fault_response(self, fault: Fault, request: Request) -> Response:
        status, code, message = _FAULTS.get(fault, _FAULTS[Fault.LOST_RESPONSE])
        sts = signing_service(request.headers) == "sts"
        request_id = str(uuid.uuid4())
        body = encode_error(code, message, status, request_id, STS_NAMESPACE if sts else NAMESPACE)
        return Response(status, body, {**_XML, "x-amzn-RequestId": request_id})

    def reset(self) -> None:
        with self.lock:
            self.groups.clear()
            self.logs.clear()
            self.denied.clear()
            self.moto.reset()

    # -- moto ------------------------------------------------------------------------------------
    def _forward(
        self, request: Request, form: Mapping[str, str], action: str, region: str, rid: str
    ) -> Response:
        rds = signing_service(request.headers) == "rds"
        if rds:
            with self.lock:
                self._check_for_moto(action, region, form)
        query = urlencode({k: v for k, vs in request.query.items() for v in vs})
        status, headers, payload = self.moto.call(
            request.method, request.path, query, request.headers, request.body
        )
        if rds and status < 300:
            with self.lock:
                if action == "RebootDBInstance":
                    self.groups.clear_pending(region, [form.get("DBInstanceIdentifier", "")])
                if action == "DeleteDBInstance":  # its log files go with it
                    self.logs.forget_instance(region, form.get("DBInstanceIdentifier", ""))
                if b"<DBParameterGroups>" in payload or b"<DBClusterMembers>" in payload:
                    payload = self.moto.rewrite_statuses(
                        payload, lambda *key: self.groups.is_pending(region, *key)
                    )
        kept = {k: v for k, v in headers if k.lower() not in ("content-length", "x-amzn-requestid")}
        return Response(status, payload, {**kept, "x-amzn-RequestId": rid})

    def _check_for_moto(self, action: str, region: str, form: Mapping[str, str]) -> None:
        """What moto lets through: unknown cluster groups, a group of another family."""
        if action == "CreateDBInstance" and form.get("DBParameterGroupName"):
            group = self.groups.find(region, False, form["DBParameterGroupName"])
            wanted = family_for_version(form.get("Engine", ""), form.get("EngineVersion", ""))
            if group is not None and wanted and group.family != wanted:
                # Real wording: aws-quickstart/quickstart-r3-corda#25.
                raise RdsError(
                    "InvalidParameterCombination",
                    f"The Parameter Group {group.name} with DBParameterGroupFamily "
                    f"{group.family} cannot be used for this instance. Please use a Parameter "
                    f"Group with DBParameterGroupFamily {wanted}",
                )
        if action not in ("CreateDBCluster", "ModifyDBCluster"):
            return
        name = form.get("DBClusterParameterGroupName")
        if name and self.groups.find(region, True, name) is None:
            # API_CreateDBCluster: DBClusterParameterGroupNotFound (HTTP 404).
            raise RdsError(
                "DBClusterParameterGroupNotFound", f"DBClusterParameterGroup not found: {name}", 404
            )

    # -- parameter groups: each returns the action's result members -----------------------------
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameters.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterParameters.html
    def _describe_parameters(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        cluster, key = _names(action)
        group = self.groups.get(region, cluster, required(form, key))
        rows = self.groups.rows(group, FAMILIES[group.family])
        source = form.get("Source")
        rows = self.groups.filter_source(rows, source)
        page, marker = paginate(rows, form, f"{action}:{group.name}:{source or ''}")
        return {"Parameters": page, "Marker": marker}

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBParameterGroups.html
    def _describe_groups(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        cluster, key = _names(action)
        if form.get(key):
            groups = [self.groups.get(region, cluster, form[key])]
        else:
            groups = self.groups.all(region, cluster)
        page, marker = paginate([g.describe(region) for g in groups], form, action)
        plural = "DBClusterParameterGroups" if cluster else "DBParameterGroups"
        return {plural: page, "Marker": marker}

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeEngineDefaultParameters.html
    def _engine_defaults(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        family = family_of(required(form, "DBParameterGroupFamily"), "Cluster" in action)
        page, marker = paginate(self.groups.rows(None, family), form, f"{action}:{family.name}")
        defaults = {"DBParameterGroupFamily": family.name, "Parameters": page, "Marker": marker}
        return {"EngineDefaults": defaults}

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBParameterGroup.html
    def _modify(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        cluster, key = _names(action)
        group = self.groups.get(region, cluster, required(form, key))
        change = self.groups.prepare_modify(group, parameters_in(form))
        users = self.moto.users(region, group.name, cluster) if change.needs_reboot else []
        self.groups.commit(region, change, users)
        return {key: group.name}

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ResetDBParameterGroup.html
    def _reset(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        cluster, key = _names(action)
        group = self.groups.get(region, cluster, required(form, key))
        names = [change.get("ParameterName", "") for change in parameters_in(form)]
        reset_all = form.get("ResetAllParameters", "").lower() == "true"
        change = self.groups.prepare_reset(group, names, reset_all)
        users = self.moto.users(region, group.name, cluster) if change.needs_reboot else []
        self.groups.commit(region, change, users)
        return {key: group.name}

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html
    def _create(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        cluster, key = _names(action)
        # RDS API Reference, CreateDBParameterGroup / CreateDBClusterParameterGroup,
        # DBParameterGroupName: "This value is stored as a lowercase string."
        name = required(form, key).lower()
        if not form.get("DBParameterGroupFamily"):
            # terraform-aws-modules/terraform-aws-rds#210 (real wording)
            raise RdsError(
                "InvalidParameterValue",
                "The parameter ParameterGroupFamily must be provided and must not be empty.",
            )
        family = family_of(form["DBParameterGroupFamily"], cluster)
        group = Group(name, family.name, required(form, "Description"), cluster)
        self._add(region, group, form)
        return {key.removesuffix("Name"): group.describe(region)}

    def _add(self, region: str, group: Group, form: Mapping[str, str]) -> None:
        self.groups.check_new(region, group)
        # Mirror into moto so that its CreateDBInstance / CreateDBCluster find the group.
        key = "DBClusterParameterGroupName" if group.cluster else "DBParameterGroupName"
        tags = {k: v for k, v in form.items() if k.startswith("Tags.")}
        self.moto.internal(
            region,
            "CreateDBClusterParameterGroup" if group.cluster else "CreateDBParameterGroup",
            {
                key: group.name,
                "DBParameterGroupFamily": group.family,
                "Description": group.description,
                **tags,
            },
        )
        self.groups.add(region, group)

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBParameterGroup.html
    def _copy(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        cluster, key = _names(action)
        infix = "DBCluster" if cluster else "DB"
        reference = required(form, f"Source{infix}ParameterGroupIdentifier")
        source = self.groups.get(region, cluster, reference.rsplit(":", 1)[-1])  # name or ARN
        target = Group(
            required(form, f"Target{infix}ParameterGroupIdentifier"),
            source.family,
            required(form, f"Target{infix}ParameterGroupDescription"),
            cluster,
            dict(source.values),
            dict(source.methods),
            source.static,
        )
        self._add(region, target, form)
        return {key.removesuffix("Name"): target.describe(region)}

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBParameterGroup.html
    def _delete(self, region: str, action: str, form: Mapping[str, str]) -> None:
        cluster, key = _names(action)
        group = self.groups.get(region, cluster, required(form, key))
        in_use = not group.is_default and bool(self.moto.users(region, group.name, cluster))
        self.groups.check_deletable(group, in_use)
        self.moto.internal(region, action, {key: group.name})
        self.groups.remove(region, group)
        return None

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBLogFiles.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DownloadDBLogFilePortion.html
    def _log_files(self, region: str, action: str, form: Mapping[str, str]) -> dict:
        """The instance must exist (moto's DBInstanceNotFound, 404, as RDS answers); `logs`
        serves the files."""
        instance = required(form, "DBInstanceIdentifier")
        self.moto.internal(region, "DescribeDBInstances", {"DBInstanceIdentifier": instance})
        if action == "DescribeDBLogFiles":
            return self.logs.describe(region, instance, form)
        required(form, "LogFileName")
        return self.logs.download(region, instance, form)

    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RebootDBCluster.html
    def _reboot_cluster(self, region: str, form: Mapping[str, str], rid: str) -> bytes:
        """moto has no RebootDBCluster: answer with moto's own view of the cluster."""
        import xml.etree.ElementTree as ET

        found, members = self.moto.cluster(region, required(form, "DBClusterIdentifier"))
        self.groups.clear_pending(region, members)
        ns = f"{{{NAMESPACE}}}"
        response = ET.Element(f"{ns}RebootDBClusterResponse")
        ET.SubElement(response, f"{ns}RebootDBClusterResult").append(found)
        metadata = ET.SubElement(response, f"{ns}ResponseMetadata")
        ET.SubElement(metadata, f"{ns}RequestId").text = rid
        return ET.tostring(response, encoding="utf-8")


def _access_denied(region: str, action: str, form: Mapping[str, str]) -> RdsError:
    """What IAM answers an identity whose policies do not allow the action: HTTP 403 AccessDenied
    (RDS API Reference, "Common Errors"), worded as IAM's "no identity-based policy allows" (IAM
    User Guide, "Troubleshoot access denied error messages"), on the instance's ARN when the
    request names one."""
    instance = form.get("DBInstanceIdentifier")
    resource = f"arn:aws:rds:{region}:{ACCOUNT_ID}:db:{instance}" if instance else "*"
    return RdsError(
        "AccessDenied",
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/sandbox is not authorized to perform: "
        f"rds:{action} on resource: {resource} because no identity-based policy allows the "
        f"rds:{action} action",
        403,
    )


def _form(request: Request) -> dict[str, str]:
    """Query parameters and form fields of a request (the body wins)."""
    fields = {name: values[-1] for name, values in request.query.items() if values}
    if request.method == "POST" and request.body:
        fields |= parse_form(request.body)
    return fields
