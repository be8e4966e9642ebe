"""Issue 16, item 4, from the README ("Terraform and OpenTofu"): a value of the wrong JSON type is a
plan error naming the resource address, never a default. The schemas (registry.terraform.io,
hashicorp/aws): r/db_parameter_group `family` a required string and `parameter` a set of blocks
(an empty set is written `[]`); r/db_proxy `idle_client_timeout` a Number (whole seconds:
ModifyDBProxy's IdleClientTimeout is an Integer)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, profile_text, write_profile
from support.terraform import change, parameter_group, write_plan

GROUP = parameter_group("orders-pg16", {"idle_session_timeout": "600000"})


def _error(cli: Any, profile: Path, plan: Path, where: str) -> str:
    result = cli("plan", profile, "--terraform-plan", plan)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert where in result.stderr, result.stderr
    return result.stderr


@pytest.mark.parametrize(
    ("attribute", "value", "where"),
    [
        ("parameter", None, "parameter is a JSON null, not an array"),
        ("parameter", {"a": 1}, "parameter is a JSON object, not an array"),
        ("family", {"a": 1}, "family is a JSON object, not a string"),
        ("family", 16, "family is a JSON number, not a string"),
    ],
)
def test_a_group_attribute_of_the_wrong_type_is_a_plan_error(
    cli: Any, tmp_path: Path, attribute: str, value: object, where: str
) -> None:
    profile = write_profile(tmp_path, targets=[aws_target("orders-pg16")],
                            server={"idle_session_timeout": "10min"})  # fmt: skip
    group = copy.deepcopy(GROUP)
    group["change"]["after"][attribute] = value
    _error(
        cli, profile, write_plan(tmp_path, [group]), f"aws_db_parameter_group.orders_pg16: {where}"
    )


def test_a_parameter_entry_that_is_not_an_object_is_a_plan_error_not_unknown(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, targets=[aws_target("orders-pg16")])
    group = copy.deepcopy(GROUP)
    group["change"]["after"]["parameter"][0] = ["idle_session_timeout", "1"]
    where = "aws_db_parameter_group.orders_pg16: parameter[0] is a JSON array, not an object"
    _error(cli, profile, write_plan(tmp_path, [group]), where)


@pytest.mark.parametrize("value", ["1800", None, {"a": 1}, [1800], True, 1800.5])
def test_a_proxy_idle_client_timeout_of_the_wrong_type_is_a_plan_error(
    cli: Any, tmp_path: Path, value: object
) -> None:
    text = profile_text(conn_max_age="10min", server={}).replace("targets: []\n", "")
    text += "path:\n  - {kind: rds-proxy, name: p1}\ntargets:\n"
    text += "  - {provider: aws, region: eu-west-1, rds_proxy: p1}\n"
    profile = tmp_path / "orders.yaml"
    profile.write_text(text)
    proxy = change("aws_db_proxy.p1", {"name": "p1", "idle_client_timeout": value})
    _error(cli, profile, write_plan(tmp_path, [proxy]),
           "aws_db_proxy.p1: idle_client_timeout is a JSON ")  # fmt: skip


def test_a_proxy_idle_client_timeout_that_is_a_number_is_judged(cli: Any, tmp_path: Path) -> None:
    text = profile_text(conn_max_age="45min", server={}).replace("targets: []\n", "")
    text += "path:\n  - {kind: rds-proxy, name: p1}\ntargets:\n"
    text += "  - {provider: aws, region: eu-west-1, rds_proxy: p1}\n"
    profile = tmp_path / "orders.yaml"
    profile.write_text(text)
    proxy = change("aws_db_proxy.p1", {"name": "p1", "idle_client_timeout": 1800})
    result = cli("plan", profile, "--terraform-plan", write_plan(tmp_path, [proxy]))
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "idle_client_timeout = 1800 s" in result.stdout
