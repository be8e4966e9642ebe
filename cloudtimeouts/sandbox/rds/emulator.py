"""`RealisticRds`: the RDS app on a loopback server, with seeding helpers for tests and the demo.

Seeding goes through boto3 against the server itself, as a user would, so a seeded group is
exactly what a user's requests would have made (and the requests are recorded like any other).

Usage::

    with RealisticRds() as rds:                       # serves http://127.0.0.1:PORT
        os.environ.update(rds.env())                  # AWS_ENDPOINT_URL_RDS / _STS + keys
        rds.create_group("orders-pg16", "postgres16", {"statement_timeout": "30000"})
        rds.create_instance("orders-db", "postgres", group="orders-pg16")
        rds.faults.add(Fault.THROTTLE, operation="DescribeDBParameters", nth=1)
        rds.calls["DescribeDBParameters"], rds.last_params["DescribeDBParameters"]
        rds.put_log("orders-db", "2026-12-07 10:00:00 UTC::@:[42]:FATAL:  terminating ...")
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from cloudtimeouts.sandbox.loopback import Emulator, LoopbackServer
from cloudtimeouts.sandbox.rds.app import RdsApp
from cloudtimeouts.sandbox.rds.catalogue import FAMILIES, STATIC, family_catalogue
from cloudtimeouts.sandbox.rds.logs import default_name, now
from cloudtimeouts.sandbox.rds.proxies import ACCOUNT_ID
from cloudtimeouts.sandbox.rds.state import MAX_MODIFY, Group
from cloudtimeouts.sandbox.rds.wire import parse_form

__all__ = ["RealisticRds"]

ACCESS_KEY = SECRET_KEY = "sandbox"  # throwaway: the emulator checks no signature


class RealisticRds(Emulator):
    """The RDS emulator on http://127.0.0.1:PORT (port 0: a free one).

    ``faults`` is the server's fault switch and ``requests`` what clients sent, each with its
    operation (the Query ``Action``); ``calls`` and ``last_params`` summarise them per Action.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, region: str = "eu-west-1") -> None:
        self.region = region
        self.app = RdsApp()
        self.server = LoopbackServer(self.app, host=host, port=port, name="realistic-rds")

    def _started(self) -> None:
        """moto loads its RDS backend on first use (~1 s): pay that now, not in a timed call."""
        self.app.moto.warm_up(self.region)

    def env(self) -> dict[str, str]:
        """The SDK's own endpoint variables for RDS and STS, and throwaway keys."""
        return {
            "AWS_ENDPOINT_URL_RDS": self.url,
            "AWS_ENDPOINT_URL_STS": self.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    # -- observation ---------------------------------------------------------------------------
    @property
    def calls(self) -> Counter[str]:
        """Requests per operation since start (or the last reset)."""
        return Counter(request.operation for request in self.server.recorded())

    @property
    def last_params(self) -> dict[str, dict[str, str]]:
        """The form fields of the last request of each operation."""
        return {r.operation: parse_form(r.body) for r in self.server.recorded()}

    def reset_counters(self) -> None:
        self.server.clear_requests()

    def reset(self) -> None:
        """A fresh account: no custom groups, instances, clusters or pending reboots; no faults
        and no recorded requests."""
        self.app.reset()
        self.app.moto.warm_up(self.region)
        self.faults.clear()
        self.reset_counters()

    # -- seeding (through boto3 against this server, as a user would) ----------------------------
    def client(self, service: str = "rds", region: str | None = None) -> Any:
        """A boto3 client of this server with throwaway credentials (``rds``, ``sts``, ``ec2``)."""
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            region_name=region or self.region,
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_group(
        self,
        name: str,
        family: str,
        values: Mapping[str, str] | None = None,
        *,
        cluster: bool = False,
        description: str | None = None,
        region: str | None = None,
        static: Collection[str] = (),
    ) -> None:
        """Creates a (cluster) parameter group, then sets `values` as a user does.

        ``static`` is a test seam, not RDS behaviour: the group reports those parameters as
        ApplyType static (RDS has no static timeout, and the restart path needs one).
        """
        rds = self.client(region=region)
        text = description or f"{family} parameters"
        if cluster:
            rds.create_db_cluster_parameter_group(
                DBClusterParameterGroupName=name, DBParameterGroupFamily=family, Description=text
            )
        else:
            rds.create_db_parameter_group(
                DBParameterGroupName=name, DBParameterGroupFamily=family, Description=text
            )
        if static:
            with self.app.lock:
                group = self._group(region, name, cluster)
                group.static = frozenset(static)
        if values:
            self.set_parameters(name, values, cluster=cluster, region=region)

    def set_parameters(
        self,
        name: str,
        values: Mapping[str, str],
        *,
        cluster: bool = False,
        region: str | None = None,
    ) -> None:
        """ModifyDB(Cluster)ParameterGroup in batches of 20: static parameters `pending-reboot`,
        dynamic ones `immediate`, as a careful user would."""
        with self.app.lock:
            group = self._group(region, name, cluster)
            catalogue = family_catalogue(group.family)
            static = {
                key
                for key in values
                if key in catalogue and group.apply_type(catalogue[key]) == STATIC
            }
        batch = [
            {
                "ParameterName": key,
                "ParameterValue": value,
                "ApplyMethod": "pending-reboot" if key in static else "immediate",
            }
            for key, value in values.items()
        ]
        rds = self.client(region=region)
        for start in range(0, len(batch), MAX_MODIFY):
            chunk = batch[start : start + MAX_MODIFY]
            if cluster:
                rds.modify_db_cluster_parameter_group(
                    DBClusterParameterGroupName=name, Parameters=chunk
                )
            else:
                rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=chunk)

    def parameters(
        self,
        name: str,
        *,
        cluster: bool = False,
        source: str | None = None,
        region: str | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Every row DescribeDB(Cluster)Parameters lists for the group, by name (all pages)."""
        operation = "describe_db_cluster_parameters" if cluster else "describe_db_parameters"
        key = "DBClusterParameterGroupName" if cluster else "DBParameterGroupName"
        arguments: dict[str, str] = {key: name} | ({"Source": source} if source else {})
        pages = self.client(region=region).get_paginator(operation).paginate(**arguments)
        return {row["ParameterName"]: row for page in pages for row in page["Parameters"]}

    def _group(self, region: str | None, name: str, cluster: bool) -> Group:
        return self.app.groups.get(region or self.region, cluster, name)

    def create_instance(
        self,
        identifier: str,
        engine: str,
        group: str | None = None,
        *,
        engine_version: str | None = None,
        instance_class: str = "db.t4g.medium",
        cluster: str | None = None,
        region: str | None = None,
    ) -> None:
        """A DB instance (or an Aurora cluster member) using `group` (None: the default group)."""
        region = region or self.region
        if engine_version is None:
            if group:
                with self.app.lock:
                    family = FAMILIES[self._group(region, group, False).family]
            else:
                family = [f for f in FAMILIES.values() if f.rds_engine == engine][-1]
            engine_version = family.default_engine_version
        arguments: dict[str, Any] = {
            "DBInstanceIdentifier": identifier,
            "DBInstanceClass": instance_class,
            "Engine": engine,
            "EngineVersion": engine_version,
        }
        if group:
            arguments["DBParameterGroupName"] = group
        if cluster:
            arguments["DBClusterIdentifier"] = cluster
        else:
            arguments |= {
                "AllocatedStorage": 20,
                "MasterUsername": "app",
                "MasterUserPassword": "sandbox-only-1",
            }
        self.client(region=region).create_db_instance(**arguments)

    def create_proxy(
        self, name: str, engine_family: str = "POSTGRESQL", *, region: str | None = None
    ) -> None:
        """An RDS Proxy (moto's CreateDBProxy needs a VPC subnet: one is made for it)."""
        region = region or self.region
        ec2 = self.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        self.client(region=region).create_db_proxy(
            DBProxyName=name,
            EngineFamily=engine_family,
            Auth=[
                {
                    "AuthScheme": "SECRETS",
                    "SecretArn": f"arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}",
                }
            ],
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
            VpcSubnetIds=[subnet],
        )

    def create_cluster(
        self,
        identifier: str,
        engine: str,
        cluster_group: str,
        *,
        members: int = 1,
        instance_group: str | None = None,
        region: str | None = None,
    ) -> None:
        """An Aurora (or Multi-AZ) cluster using `cluster_group`, with `members` instances."""
        region = region or self.region
        with self.app.lock:
            family = FAMILIES[self._group(region, cluster_group, True).family]
        self.client(region=region).create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine=engine,
            EngineVersion=family.default_engine_version,
            DBClusterParameterGroupName=cluster_group,
            MasterUsername="app",
            MasterUserPassword="sandbox-only-1",
        )
        for index in range(members):
            self.create_instance(
                f"{identifier}-{index + 1}",
                engine,
                instance_group,
                engine_version=family.default_engine_version,
                instance_class="db.r6g.large",
                cluster=identifier,
                region=region,
            )

    # -- log files (DescribeDBLogFiles, DownloadDBLogFilePortion: `logs`) -------------------------
    def put_log(
        self,
        instance: str,
        text: str,
        *,
        name: str | None = None,
        written: datetime | None = None,
        region: str | None = None,
    ) -> str:
        """Append `text` to one of the instance's log files, as its server would write it; the
        file's LastWritten becomes `written` (default now). `name` defaults to the error log RDS
        names for the instance's engine (`logs.default_name`: PostgreSQL's hourly
        `error/postgresql.log.YYYY-MM-DD-HH` of `written`, else `error/mysql-error.log`).
        Returns the file's name. The instance must exist (DBInstanceNotFound otherwise)."""
        region = region or self.region
        written = written or now()
        with self.app.lock:
            found = self.app.moto.internal(
                region, "DescribeDBInstances", {"DBInstanceIdentifier": instance}
            )
            engine = next(e.text or "" for e in found.iter() if e.tag.endswith("}Engine"))
            name = name or default_name(engine, written)
            self.app.logs.put(region, instance, name, text, written)
        return name

    def remove_log(self, instance: str, name: str, *, region: str | None = None) -> None:
        """The file is gone, as RDS removes a rotated file past its retention: listing it no
        more, and DBLogFileNotFoundFault for a download already under way."""
        with self.app.lock:
            self.app.logs.remove(region or self.region, instance, name)

    def deny(self, *actions: str) -> None:
        """The caller's IAM policy no longer allows these RDS actions (AccessDenied, 403) until
        `reset`: a test seam for least privilege, the emulator checks no real policy."""
        with self.app.lock:
            self.app.denied.update(actions)

    def pending_reboot(self, region: str | None = None) -> set[str]:
        """Identifiers of instances / cluster members waiting for a reboot to apply a change."""
        region = region or self.region
        with self.app.lock:
            return {key[2] for key in self.app.groups.pending if key[0] == region}
