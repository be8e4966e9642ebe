"""Every shipped AWS example in profiles/ plans against the RDS emulator without a "no parameter"
error: what it sets exists where it sets it (the emulator's data is AWS's, see
tests/sandbox/test_rds_recorded.py). Targets reached through role_arn are left out: they live in
another account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudtimeouts.profile import load_profile

REPO = Path(__file__).resolve().parent.parent.parent
FAMILY = {
    ("postgres", False): "postgres16",
    ("postgres", True): "aurora-postgresql16",
    ("mysql", False): "mysql8.0",
    ("mysql", True): "aurora-mysql8.0",
    ("mariadb", False): "mariadb10.11",
}
EXAMPLES = sorted((REPO / "profiles").glob("aws-*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_a_shipped_aws_example_plans_cleanly(aws: Any, cli: Any, path: Path) -> None:
    profile = load_profile(path)
    ids = []
    for target in profile.targets:
        if target.provider != "aws" or target.role_arn or target.rds_proxy:
            continue
        cluster = target.cluster_parameter_group is not None
        family = FAMILY[(profile.engine.value, cluster)]
        aws.create_group(target.group_name, family, cluster=cluster, region=target.region)
        ids.append(target.id)
    assert ids, "each AWS example has a target of its own account"
    plan = cli("plan", path, *(f"--target={i}" for i in ids), "-o", "json")
    report = json.loads(plan.stdout)
    errors = [t["error"] for t in report["targets"] if t["error"]]
    assert errors == [], errors
    assert plan.exit_code in (0, 2), plan.stderr
