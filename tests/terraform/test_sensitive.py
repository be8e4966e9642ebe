"""A value Terraform marks sensitive is judged like any other and never printed.

`terraform show -json` prints sensitive values in clear in `after`; `after_sensitive` (the shape
of `after`, `true` where a value is sensitive) is how a consumer knows not to display them
(developer.hashicorp.com/terraform/internals/json-format, "Change Representation": "These
objects should be combined with Before and After to prevent accidental display of sensitive
values in user interfaces"). Terraform itself shows such a value as `(sensitive value)`.

A sensitive element of a set makes the whole set sensitive (cty moves marks on set elements to
the set), so an RDS group's `parameter` set is then `true` as a whole; Cloud SQL's
`database_flags` is a list and keeps its marks per element; an Azure server parameter's `value`
is a plain attribute.

Every value below is chosen so that any rendering of it (ms, seconds, the room left once the
margin is taken off) holds the digits 1234, and no output may hold them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.profiles import aws_target, azure_target, gcp_target, write_profile
from support.terraform import (
    aurora_cluster,
    azure_configuration,
    change,
    cloudsql_instance,
    parameter_group,
    write_plan,
)

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
OUTPUTS = ("table", "json", "markdown")


def outputs(cli: Any, *args: Any) -> list[tuple[int, str]]:
    """Exit code and everything printed, in every output format."""
    shown = []
    for output in OUTPUTS:
        result = cli("plan", *args, "--output", output)
        assert "Traceback" not in result.stderr, result.stderr
        shown.append((result.exit_code, result.stdout + result.stderr))
    return shown


def test_a_sensitive_parameter_set_is_judged_and_its_values_are_not_shown(
    cli: Any, tmp_path: Path
) -> None:
    profile = write_profile(
        tmp_path, server={"idle_session_timeout": "10min"}, targets=[aws_target("orders-pg16")]
    )
    group = parameter_group(
        "orders-pg16", {"idle_session_timeout": "61234"}, after_sensitive={"parameter": True}
    )
    for code, printed in outputs(cli, profile, "--terraform-plan", write_plan(tmp_path, [group])):
        assert code == 3  # 61.234 s is not above CONN_MAX_AGE 300 s + 30 s: still refused
        assert "1234" not in printed
        assert "(sensitive value)" in printed
        assert "idle_session_timeout" in printed.replace("\\_", "_")


def test_a_sensitive_cloud_sql_flag_hides_only_its_own_value(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path,
        engine="mysql",
        server={"interactive_timeout": "20min"},
        targets=[gcp_target("acme-prod", "orders-db")],
    )
    instance = cloudsql_instance(
        "orders-db",
        {"interactive_timeout": "1234", "wait_timeout": "120"},
        version="MYSQL_8_0",
        after_sensitive={"settings": [{"database_flags": [{"value": True}, {}]}]},
    )
    for code, printed in outputs(
        cli, profile, "--terraform-plan", write_plan(tmp_path, [instance])
    ):
        assert code == 3  # wait_timeout 120 s is refused, and shown
        assert "1234" not in printed
        assert "120" in printed


def test_a_sensitive_azure_value_refused_and_not_shown(cli: Any, tmp_path: Path) -> None:
    target = azure_target(SUBSCRIPTION, "prod", "orders-pg")
    profile = write_profile(tmp_path, server={"idle_session_timeout": "10min"}, targets=[target])
    setting = azure_configuration(
        "orders-pg", "idle_session_timeout", "61234", after_sensitive={"value": True}
    )
    for code, printed in outputs(cli, profile, "--terraform-plan", write_plan(tmp_path, [setting])):
        assert code == 3
        assert "1234" not in printed and "(sensitive value)" in printed


def test_a_sensitive_proxy_timeout_is_refused_and_not_shown(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(
        tmp_path,
        conn_max_age="30min",
        targets=[{"provider": "aws", "region": "eu-west-1", "rds_proxy": "orders-proxy"}],
    )
    profile.write_text(profile.read_text() + "path:\n  - kind: rds-proxy\n    name: orders-proxy\n")
    proxy = change(
        "aws_db_proxy.orders",
        {"name": "orders-proxy", "engine_family": "POSTGRESQL", "idle_client_timeout": 1234},
        after_sensitive={"idle_client_timeout": True},
    )
    for code, printed in outputs(cli, profile, "--terraform-plan", write_plan(tmp_path, [proxy])):
        assert code == 3  # 1234 s is not above 30 min + 30 s
        assert "1234" not in printed and "(sensitive value)" in printed


@pytest.mark.parametrize("value", ["600000", "0"])
def test_a_sensitive_value_that_passes_is_not_shown_either(
    cli: Any, tmp_path: Path, value: str
) -> None:
    profile = write_profile(
        tmp_path, server={"idle_session_timeout": "20min"}, targets=[aws_target("orders-pg16")]
    )
    group = parameter_group(
        "orders-pg16",
        {"idle_session_timeout": value, "statement_timeout": "71234"},
        after_sensitive={"parameter": True},
    )
    for code, printed in outputs(cli, profile, "--terraform-plan", write_plan(tmp_path, [group])):
        assert code == 0
        assert "1234" not in printed
        assert "(sensitive value)" in printed  # the drift's current value


def test_a_sensitive_aurora_member_override_is_not_shown(cli: Any, tmp_path: Path) -> None:
    profile = write_profile(tmp_path, targets=[aws_target("orders-aurora", cluster=True)])
    cluster_group = parameter_group("orders-aurora", {}, family="aurora-postgresql16", cluster=True)
    writer = parameter_group(
        "orders-aurora-writer", {"idle_in_transaction_session_timeout": "61234"},
        family="aurora-postgresql16", after_sensitive={"parameter": True},
    )  # fmt: skip
    members = aurora_cluster(("orders-1", "orders-aurora-writer"))
    plan = write_plan(tmp_path, [cluster_group, writer, *members])
    for code, printed in outputs(cli, profile, "--terraform-plan", plan):
        assert code == 3
        assert "1234" not in printed and "orders-1" in printed
