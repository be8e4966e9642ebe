"""The bound of benchmarks/plan_fleet.py: a minimal client making the calls `cloudtimeouts plan`
makes, with the same SDK, at the same concurrency, and nothing else.

    python benchmarks/fleet_bound.py aws|gcp|azure SPEC.json

SPEC.json (written by plan_fleet.py) names the endpoint, the targets and the concurrency (16 at
once per account and region / project / subscription, 64 in all: the CLI's defaults). The script
imports only its cloud's SDK and the standard library, never cloudtimeouts: what it costs is what
the SDK itself costs (interpreter, imports, clients, sign-in, TLS, the requests and their
answers), so that plan_fleet.py can say how far the CLI is from it. The calls, per cloud, in the
order the CLI's first reads make them (its adapters' docstrings say why):

- aws: DescribeDBParameterGroups without a name, page after page until every group was seen;
  then at once the family's DescribeEngineDefaultParameters (every page) and the first group's
  DescribeDBParameters (every page); then DescribeDBParameters Source=user of every other group.
- gcp: the access token; instances.list of every project (every page); flags.list of the
  database version.
- azure: the sign-in (MSAL's discovery of the authority and one token); Servers - List By
  Resource Group of every resource group (every page); Configurations - List By Server of every
  server (every page).

It prints, as JSON, how many targets it read (so that a test can see it did) and `calls_s`: the
time from its first request (the sign-in's, where there is one) to its last answer, after the
imports and the clients' construction, which plan_fleet.py counts in the CLI's start-up.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_all(work: Callable[[Any], Any], items: Iterable[Any], workers: int) -> list[Any]:
    """`work` for every item, `workers` at once (ThreadPoolExecutor: what a user would write)."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items)))) as pool:
        return list(pool.map(work, items))


def aws(spec: dict[str, Any]) -> int:
    import boto3
    import botocore.config

    config = botocore.config.Config(max_pool_connections=spec["total"])
    rds = boto3.client("rds", region_name=spec["region"], config=config)
    STARTED.append(time.perf_counter())
    pages = {"PaginationConfig": {"PageSize": 100}}
    if len(spec["groups"]) == 1:  # a group alone: its family by name, every page of its rows
        (name,) = spec["groups"]
        rds.describe_db_parameter_groups(DBParameterGroupName=name)
        paginator = rds.get_paginator("describe_db_parameters")
        list(paginator.paginate(DBParameterGroupName=name, **pages))
        return 1
    wanted, families = set(spec["groups"]), {}
    for page in rds.get_paginator("describe_db_parameter_groups").paginate(**pages):
        for group in page["DBParameterGroups"]:
            if group["DBParameterGroupName"] in wanted:
                families[group["DBParameterGroupName"]] = group["DBParameterGroupFamily"]
        if len(families) == len(wanted):
            break
    first, *others = spec["groups"]

    def defaults(_: Any) -> int:
        paginator = rds.get_paginator("describe_engine_default_parameters")
        found = paginator.paginate(DBParameterGroupFamily=families[first], **pages)
        return sum(len(page["EngineDefaults"]["Parameters"]) for page in found)

    def whole(name: str, source: dict[str, str] | None = None) -> int:
        paginator = rds.get_paginator("describe_db_parameters")
        found = paginator.paginate(DBParameterGroupName=name, **(source or {}), **pages)
        return sum(len(page["Parameters"]) for page in found)

    run_all(lambda job: job(None), [defaults, lambda _: whole(first)], spec["per_scope"])
    run_all(lambda name: whole(name, {"Source": "user"}), others, spec["per_scope"])
    return len(spec["groups"])


def gcp(spec: dict[str, Any]) -> int:
    import google.auth
    import google.auth.transport.requests
    from google.cloud import sqladmin_v1beta4 as sql

    credentials, _ = google.auth.default(
        scopes=["https://www.googleapis.com/auth/sqlservice.admin"]
    )
    options = {"api_endpoint": spec["endpoint"]}
    common = {"credentials": credentials, "transport": "rest", "client_options": options}
    instances = sql.SqlInstancesServiceClient(**common)
    flags = sql.SqlFlagsServiceClient(**common)
    STARTED.append(time.perf_counter())
    credentials.refresh(google.auth.transport.requests.Request())

    per_project: dict[str, list[str]] = {}
    for project, name in spec["instances"]:
        per_project.setdefault(project, []).append(name)

    def listing(project: str) -> list[Any]:
        if len(per_project[project]) == 1:  # a lone instance of a project: instances.get
            (name,) = per_project[project]
            return [instances.get(request={"project": project, "instance": name})]
        pager = instances.list(request={"project": project, "max_results": 1000})
        return [instance for page in pager.pages for instance in page.items]

    projects = sorted(per_project)
    listed = dict(zip(projects, run_all(listing, projects, spec["total"]), strict=True))
    version = next(instance.database_version for found in listed.values() for instance in found)
    flags.list(request={"database_version": getattr(version, "name", str(version))})
    return sum(
        1
        for project, found in listed.items()
        for instance in found
        if instance.name in per_project[project]
    )


def azure(spec: dict[str, Any]) -> int:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.postgresqlflexibleservers import PostgreSQLManagementClient

    credential = DefaultAzureCredential(disable_instance_discovery=True)
    client = PostgreSQLManagementClient(credential, spec["subscription"], base_url=spec["endpoint"])
    per_group: dict[str, list[str]] = {}
    for group, name in spec["servers"]:
        per_group.setdefault(group, []).append(name)

    def servers(group: str) -> list[Any]:
        if len(per_group[group]) == 1:  # a lone server of a resource group: Servers - Get
            return [client.servers.get(group, per_group[group][0])]
        return list(client.servers.list_by_resource_group(group))

    # the sign-in, once, before the reads (the CLI shares one token between its reads)
    STARTED.append(time.perf_counter())
    credential.get_token("https://management.azure.com/.default")
    run_all(servers, sorted(per_group), spec["total"])

    def configurations(server: tuple[str, str]) -> int:
        return len(list(client.configurations.list_by_server(*server)))

    run_all(configurations, [tuple(server) for server in spec["servers"]], spec["per_scope"])
    return len(spec["servers"])


CLOUDS: dict[str, Callable[[dict[str, Any]], int]] = {"aws": aws, "gcp": gcp, "azure": azure}
STARTED: list[float] = []  # when the first request is about to be sent

if __name__ == "__main__":
    cloud, path = sys.argv[1:3]
    with open(path) as file:
        read = CLOUDS[cloud](json.load(file))
    print(json.dumps({"read": read, "calls_s": time.perf_counter() - STARTED[0]}))
