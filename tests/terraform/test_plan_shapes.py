"""Plan shapes real Terraform/OpenTofu emit, read as the JSON Output Format documents them.

Sources: developer.hashicorp.com/terraform/internals/json-format ("Change Representation",
"Configuration Representation"), and the resources' provider docs (registry.terraform.io).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, write_profile
from support.terraform import change, parameter_group, plan_json, write_plan

AWS = aws_target("orders-pg16")


@pytest.mark.parametrize("value", ["{DBInstanceClassMemory/1048576}", "10min", "-1"])
def test_a_known_value_that_is_not_a_number_is_not_called_unknown(
    cli: Any, tmp_path: Path, value: str
) -> None:
    """A formula or a unit suffix is a value Terraform knows at plan time: the guard cannot
    evaluate it, and says so; it does not say Terraform knows it only after apply."""
    profile = write_profile(tmp_path, targets=[AWS])
    group = parameter_group("orders-pg16", {"idle_session_timeout": value})
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [group]))
    assert code == 3
    (refusal,) = shown["targets"][0]["refusals"]
    assert "after apply" not in refusal["message"]
    assert "not a number cloudtimeouts can evaluate" in refusal["message"]
    assert repr(value) in refusal["message"] and "set by the Terraform plan" in refusal["message"]


def test_a_proxy_timeout_that_is_no_duration_is_refused_not_an_unexpected_error(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(
        tmp_path, targets=[{"provider": "aws", "region": "eu-west-1", "rds_proxy": "orders-proxy"}]
    )
    profile.write_text(profile.read_text() + "path:\n  - kind: rds-proxy\n    name: orders-proxy\n")
    proxy = change("aws_db_proxy.orders", {"name": "orders-proxy", "idle_client_timeout": -5})
    code, shown = plan_json(cli, profile, "--terraform-plan", write_plan(tmp_path, [proxy]))
    assert code == 3 and shown["targets"][0]["error"] is None
    (refusal,) = shown["targets"][0]["refusals"]
    assert (
        "'-5'" in refusal["message"]
        and "not a number cloudtimeouts can evaluate" in (refusal["message"])
    )
