"""RDS Proxy targets end to end: IdleClientTimeout planned, guarded and written (ModifyDBProxy)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.profiles import profile_text

TARGET = "aws:eu-west-1:rds-proxy/orders-proxy"


def write(tmp_path: Path, conn_max_age: str, hop: str) -> Path:
    text = profile_text(conn_max_age=conn_max_age, server={"idle_session_timeout": "0"})
    text = text.replace("targets: []\n", "")
    text += (
        f"path:\n  - {hop}\n"
        "targets:\n  - {provider: aws, region: eu-west-1, rds_proxy: orders-proxy}\n"
    )
    path = tmp_path / "orders.yaml"
    path.write_text(text)
    return path


def test_a_proxy_idle_client_timeout_is_planned_applied_and_read_back(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_proxy("orders-proxy")
    profile = write(
        tmp_path, "10min", "{kind: rds-proxy, name: orders-proxy, idle_client_timeout: 20min}"
    )
    plan = cli("plan", profile, "-o", "json")
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    (target,) = json.loads(plan.stdout)["targets"]
    assert target["id"] == TARGET
    (change,) = target["changes"]
    assert (change["parameter"], change["current"], change["desired"]) == (
        "idle_client_timeout",
        "1800",
        "1200",
    )
    applied = cli("apply", profile, "--yes")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    (proxy,) = aws.client().describe_db_proxies(DBProxyName="orders-proxy")["DBProxies"]
    assert proxy["IdleClientTimeout"] == 1200
    assert cli("plan", profile, "--detailed-exitcode").exit_code == 0


def test_the_proxy_s_own_value_is_guarded_when_the_profile_sets_none(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_proxy("orders-proxy")
    profile = write(tmp_path, "45min", "{kind: rds-proxy, name: orders-proxy}")
    plan = cli("plan", profile, "-o", "json")
    assert plan.exit_code == 3
    (refusal,) = json.loads(plan.stdout)["targets"][0]["refusals"]
    assert "idle_client_timeout = 1800 s (30min, set on the proxy)" in refusal["message"]


def test_a_proxy_of_another_engine_is_an_error(aws: Any, cli: Any, tmp_path: Path) -> None:
    aws.create_proxy("orders-proxy", "MYSQL")
    profile = write(tmp_path, "10min", "{kind: rds-proxy, name: orders-proxy}")
    plan = cli("plan", profile, "-o", "json")
    assert plan.exit_code == 1
    assert "engine family is MYSQL" in json.loads(plan.stdout)["targets"][0]["error"]


def test_rollback_restores_the_proxy_s_idle_client_timeout(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_proxy("orders-proxy")  # IdleClientTimeout 1800 s
    profile = write(
        tmp_path, "10min", "{kind: rds-proxy, name: orders-proxy, idle_client_timeout: 20min}"
    )
    journal = tmp_path / "apply.jsonl"
    applied = cli("apply", profile, "--yes", "--journal", journal)
    assert applied.exit_code == 0, applied.stdout + applied.stderr

    undone = cli("rollback", journal, "--yes", "-o", "json", "--journal", tmp_path / "undo")
    assert undone.exit_code == 0, undone.stdout + undone.stderr
    (target,) = json.loads(undone.stdout)["targets"]
    assert (target["id"], target["written"]) == (TARGET, ["idle_client_timeout"])
    (proxy,) = aws.client().describe_db_proxies(DBProxyName="orders-proxy")["DBProxies"]
    assert proxy["IdleClientTimeout"] == 1800
