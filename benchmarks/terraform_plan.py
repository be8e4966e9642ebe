"""How fast `cloudtimeouts plan --terraform-plan` judges a large Terraform plan (issue #12).

Run (under a minute on two cores):

    .venv/bin/python benchmarks/terraform_plan.py

Writes, in a temporary directory, the JSON `terraform show -json` prints for a plan of
--resources resource instances (default 20 000), as Terraform writes it: `resource_changes`
(before and after), `planned_values`, `prior_state` and `configuration`. Of those, --judged
(default 2 000) are of the judged types, in equal parts RDS parameter groups in a for_each
module, Cloud SQL instances and Azure PostgreSQL server parameters; the rest are filler resources
of --attributes attributes each (an EC2 instance has about 40). Then profiles naming every judged
target (at most 500 targets per profile, the size a profile file allows), and the real CLI on
them (a subprocess, so start-up counts): its wall time and its own peak RSS, the best of
--repeat runs.

The plan's size matters as much as its count: Python holds the whole parsed JSON, about 8x its
size on disk, while it reads it.

`main(argv)` returns the figures (tests/terraform/test_benchmark.py runs it with a tiny plan).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

SUBSCRIPTION = "00000000-0000-0000-0000-00000000f1ee"
PER_PROFILE = 500
STARTER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.perf_counter() - started} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _change(address: str, kind: str, after: dict[str, Any]) -> dict[str, Any]:
    name = address.rsplit(".", 1)[-1].split("[")[0]
    module = address.rsplit(".", 2)[0] if address.startswith("module.") else None
    entry = {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": f"registry.terraform.io/hashicorp/{kind.split('_')[0]}",
        "change": {
            "actions": ["no-op"],
            "before": after,
            "after": after,
            "after_unknown": {},
            "before_sensitive": {},
            "after_sensitive": {},
        },
    }
    return entry | ({"module_address": module} if module else {})


def _judged(count: int) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """(resource change, its target) for `count` judged resources, three kinds in turn."""
    for i in range(count):
        if i % 3 == 0:
            name = f"orders-{i}"
            after = {
                "name": name,
                "family": "postgres16",
                "region": "eu-west-1",
                "parameter": [
                    {
                        "apply_method": "immediate",
                        "name": "idle_session_timeout",
                        "value": "600000",
                    },
                    {"apply_method": "immediate", "name": "statement_timeout", "value": "30000"},
                ],
            }
            address = f'module.db["{name}"].aws_db_parameter_group.this'
            target = {"provider": "aws", "region": "eu-west-1", "parameter_group": name}
            yield _change(address, "aws_db_parameter_group", after), target
        elif i % 3 == 1:
            name = f"orders-{i}"
            after = {
                "name": name,
                "project": "acme-prod",
                "database_version": "POSTGRES_16",
                "settings": [
                    {
                        "tier": "db-custom-2-7680",
                        "database_flags": [{"name": "idle_session_timeout", "value": "600000"}],
                    }
                ],
            }
            address = f"google_sql_database_instance.i{i}"
            target = {"provider": "gcp", "project": "acme-prod", "instance": name}
            yield _change(address, "google_sql_database_instance", after), target
        else:
            server = f"orders-{i}"
            after = {
                "name": "idle_session_timeout",
                "server_id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/prod/providers/"
                f"Microsoft.DBforPostgreSQL/flexibleServers/{server}",
                "value": "600000",
            }
            kind = "azurerm_postgresql_flexible_server_configuration"
            target = {
                "provider": "azure",
                "subscription_id": SUBSCRIPTION,
                "resource_group": "prod",
                "server": server,
            }
            yield _change(f"{kind}.c{i}", kind, after), target


def write_plan(
    directory: Path, resources: int, judged: int, attributes: int
) -> tuple[Path, list[Path]]:
    """The plan's JSON and the profiles naming its judged targets."""
    changes, targets = [], []
    for entry, target in _judged(judged):
        changes.append(entry)
        targets.append(target)
    for i in range(resources - judged):
        after = {f"attribute_{a}": f"value-{i}-{a}" for a in range(attributes)}
        changes.append(
            _change(f"aws_instance.filler_{i}", "aws_instance", after | {"id": f"i-{i}"})
        )
    values = [{"address": c["address"], "values": c["change"]["after"]} for c in changes]
    configuration = [
        {"address": c["address"].split("[")[0], "type": c["type"], "name": c["name"]}
        for c in changes
    ]
    document = {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": values}},
        "resource_changes": changes,
        "prior_state": {"values": {"root_module": {"resources": values}}},
        "configuration": {"root_module": {"resources": configuration}},
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    plan = directory / "plan.json"
    plan.write_text(json.dumps(document))
    profiles = []
    for number, start in enumerate(range(0, len(targets), PER_PROFILE)):
        lines = [f"name: fleet-{number}", "engine: postgres", "django:", "  conn_max_age: 5min"]
        lines += ["server:", "  idle_session_timeout: 10min", "targets:"]
        for target in targets[start : start + PER_PROFILE]:
            first, *rest = target.items()
            lines += [f"  - {first[0]}: {first[1]}", *(f"    {k}: {v}" for k, v in rest)]
        profile = directory / f"fleet-{number}.yaml"
        profile.write_text("\n".join(lines) + "\n")
        profiles.append(profile)
    return plan, profiles


def run(plan: Path, profiles: Sequence[Path], directory: Path) -> tuple[float, float, int]:
    """(seconds, peak MiB, exit code) of one `cloudtimeouts plan --terraform-plan` run."""
    figures = directory / "figures.txt"
    command = [sys.executable, "-m", "cloudtimeouts", "plan", *map(str, profiles)]
    command += ["--terraform-plan", str(plan), "--output", "json"]
    done = subprocess.run(
        [sys.executable, "-c", STARTER, str(figures), *command], env=os.environ.copy()
    )
    seconds, peak = figures.read_text().split()
    return float(seconds), int(peak) / 1024, done.returncode


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--judged", type=int, default=2_000)
    parser.add_argument("--attributes", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cloudtimeouts-tfplan-") as name:
        directory = Path(name)
        started = time.perf_counter()
        plan, profiles = write_plan(
            directory, options.resources, options.judged, options.attributes
        )
        written = time.perf_counter() - started
        runs = [run(plan, profiles, directory) for _ in range(options.repeat)]
        seconds, peak, code = min(runs)
        figures = {
            "resources": options.resources,
            "judged": options.judged,
            "plan_mib": round(plan.stat().st_size / 2**20, 1),
            "seconds": round(seconds, 2),
            "peak_mib": round(peak, 1),
            "exit_code": code,
        }
    print(
        f"{figures['resources']} resources ({figures['judged']} judged, "
        f"{figures['plan_mib']} MiB of JSON, written in {written:.1f} s): "
        f"{figures['seconds']} s, peak RSS {figures['peak_mib']} MiB, exit {code}"
    )
    return figures


if __name__ == "__main__":
    main()
