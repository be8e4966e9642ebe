"""moto, in process, behind the RDS app: instances, clusters, STS and whatever else is not ours.

moto's own WSGI application (`DomainDispatcherApplication`) answers every request this emulator
does not answer itself; no second port, no subprocess (~0.3 s import, ~0.8 s for the RDS backend
on first use). moto's backends are process-global: two emulators in one process share instances
and clusters (each keeps its own parameter groups), and `reset()` resets every one of them.

Where moto is not RDS, this module corrects the answer: moto hard-codes `in-sync` for
ParameterApplyStatus / DBClusterParameterGroupStatus, so answers carrying DBInstance or DBCluster
elements are rewritten to show `pending-reboot` where the parameter-group state says so.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from cloudtimeouts.sandbox.rds.wire import API_VERSION, NAMESPACE, RdsError

__all__ = ["MotoBridge"]

_NS = f"{{{NAMESPACE}}}"
Pending = Callable[[str, str, str], bool]  # (kind "db" | "cluster", identifier, group) -> bool


class MotoBridge:
    """moto's WSGI app, imported on first use (so that building an emulator stays cheap)."""

    def __init__(self) -> None:
        self._wsgi: Any = None
        self._lock = threading.Lock()

    @property
    def _app(self) -> Any:
        with self._lock:
            if self._wsgi is None:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    create_backend_app,
                )

                self._wsgi = DomainDispatcherApplication(create_backend_app)
            return self._wsgi

    def call(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """One request through moto's WSGI app: (status, headers, body)."""
        from werkzeug.test import EnvironBuilder

        builder = EnvironBuilder(
            method=method,
            path=path,
            query_string=query,
            headers={k: v for k, v in headers.items() if k.lower() != "content-length"},
            data=body,
        )
        captured: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
            captured["status"], captured["headers"] = int(status.split()[0]), response_headers

        try:
            chunks = self._app(builder.get_environ(), start_response)
            try:
                payload = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()
        finally:
            builder.close()
        return captured["status"], captured["headers"], payload

    def internal(self, region: str, action: str, params: Mapping[str, str]) -> ET.Element:
        """An RDS call to moto (never through our own layer); the parsed answer, or RdsError."""
        body = urlencode({"Action": action, "Version": API_VERSION, **params}).encode()
        headers = {
            "Host": f"rds.{region}.amazonaws.com",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDSANDBOX/20240101/{region}/rds/"
            "aws4_request, SignedHeaders=host, Signature=0",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        status, _headers, payload = self.call("POST", "/", "", headers, body)
        root = ET.fromstring(payload)
        if status >= 300:
            code = root.findtext(f".//{_NS}Code") or root.findtext(".//Code") or "Error"
            message = root.findtext(f".//{_NS}Message") or root.findtext(".//Message")
            raise RdsError(code, message or "", status)
        return root

    def reset(self) -> None:
        """moto's documented reset endpoint: every backend back to empty."""
        self.call("POST", "/moto-api/reset", "", {}, b"")

    def warm_up(self, region: str) -> None:
        """moto loads its RDS backend on first use (~0.8 s): pay that now, not in a timed call."""
        self.internal(region, "DescribeDBInstances", {})

    # -- who uses a group ------------------------------------------------------------------------
    def users(self, region: str, group: str, cluster: bool) -> list[tuple[str, str]]:
        """(kind, instance identifier) of every instance or cluster member using the group."""
        users: list[tuple[str, str]] = []
        if cluster:
            for found in self.internal(region, "DescribeDBClusters", {}).iter(f"{_NS}DBCluster"):
                if found.findtext(f"{_NS}DBClusterParameterGroup") == group:
                    users += [
                        ("cluster", member.findtext(f"{_NS}DBInstanceIdentifier") or "")
                        for member in found.iter(f"{_NS}DBClusterMember")
                    ]
            return users
        for instance in self.internal(region, "DescribeDBInstances", {}).iter(f"{_NS}DBInstance"):
            names = {
                element.findtext(f"{_NS}DBParameterGroupName")
                for element in instance.iter(f"{_NS}DBParameterGroup")
            }
            if group in names:
                users.append(("db", instance.findtext(f"{_NS}DBInstanceIdentifier") or ""))
        return users

    def cluster(self, region: str, identifier: str) -> tuple[ET.Element, list[str]]:
        """moto's DBCluster element and the identifiers of its members."""
        root = self.internal(region, "DescribeDBClusters", {"DBClusterIdentifier": identifier})
        found = next(root.iter(f"{_NS}DBCluster"))
        members = [
            member.findtext(f"{_NS}DBInstanceIdentifier") or ""
            for member in found.iter(f"{_NS}DBClusterMember")
        ]
        return found, members

    # -- pending-reboot ---------------------------------------------------------------------------
    @staticmethod
    def rewrite_statuses(payload: bytes, pending: Pending) -> bytes:
        """moto says in-sync everywhere; show pending-reboot where `pending` says so."""
        root = ET.fromstring(payload)
        for instance in root.iter(f"{_NS}DBInstance"):
            identifier = instance.findtext(f"{_NS}DBInstanceIdentifier") or ""
            for group in instance.iter(f"{_NS}DBParameterGroup"):
                name = group.findtext(f"{_NS}DBParameterGroupName") or ""
                status = group.find(f"{_NS}ParameterApplyStatus")
                if status is not None and pending("db", identifier, name):
                    status.text = "pending-reboot"
        for found in root.iter(f"{_NS}DBCluster"):
            name = found.findtext(f"{_NS}DBClusterParameterGroup") or ""
            for member in found.iter(f"{_NS}DBClusterMember"):
                identifier = member.findtext(f"{_NS}DBInstanceIdentifier") or ""
                status = member.find(f"{_NS}DBClusterParameterGroupStatus")
                if status is not None and pending("cluster", identifier, name):
                    status.text = "pending-reboot"
        return ET.tostring(root, encoding="utf-8")
