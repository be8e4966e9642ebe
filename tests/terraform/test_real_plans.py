"""Shapes real Terraform wrote (tests/terraform/data, Terraform 1.11.4), onto the judged types.

No provider can be downloaded here, so the plans use the built-in `terraform_data` resource; its
`input` holds the same kinds of values (a set of {name, value} objects like an RDS group's
`parameter` blocks, a list like Cloud SQL's `database_flags`), and Terraform marks them the same
way. Each test moves those values, with their `after_unknown` and `after_sensitive` markers as
Terraform wrote them, onto the resource type they stand for.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from support.profiles import aws_target, gcp_target, write_profile
from support.terraform import plan_document

from cloudtimeouts.terraform.configuration import Configuration

DATA = Path(__file__).parent / "data"


def _real(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def _transplant(entry: dict[str, Any], kind: str, key: str, into: str, **after: Any) -> Any:
    """`entry`'s input[key], with its markers, as `into` of a resource of type `kind`."""
    change = entry["change"]
    moved = copy.deepcopy(entry)
    moved.update(type=kind, address=f"{kind}.{entry['name']}", name=entry["name"])
    moved["change"] = {
        "actions": change["actions"],
        "before": None,
        "after": after | {into: change["after"]["input"][key]},
        "after_unknown": {into: change["after_unknown"]["input"][key]},
        "after_sensitive": {into: change["after_sensitive"]["input"][key]},
    }
    return moved


def test_real_sensitive_and_unknown_markers(cli: Any, tmp_path: Path) -> None:
    real = {c["address"]: c for c in _real("markers.plan.json")["resource_changes"]}
    hidden = real["terraform_data.set"]
    assert hidden["change"]["after_sensitive"]["input"]["parameter"] is True  # a set: whole
    group = _transplant(
        hidden, "aws_db_parameter_group", "parameter", "parameter",
        name="orders-pg16", family="postgres16",
    )  # fmt: skip
    flags = _transplant(
        hidden, "google_sql_database_instance", "flags", "database_flags",
        name="orders-db", project="acme-prod", database_version="POSTGRES_16",
    )  # fmt: skip
    flags["change"]["after"] = {
        **{k: v for k, v in flags["change"]["after"].items() if k != "database_flags"},
        "settings": [{"database_flags": flags["change"]["after"]["database_flags"]}],
    }
    flags["change"]["after_unknown"] = {"settings": [flags["change"]["after_unknown"]]}
    flags["change"]["after_sensitive"] = {"settings": [flags["change"]["after_sensitive"]]}
    unknown = _transplant(
        real["terraform_data.unknown"], "aws_db_parameter_group", "parameter", "parameter",
        name="billing-pg16", family="postgres16",
    )  # fmt: skip
    profile = write_profile(
        tmp_path,
        server={"idle_session_timeout": "10min"},
        targets=[
            aws_target("orders-pg16"),
            gcp_target("acme-prod", "orders-db"),
            aws_target("billing-pg16"),
        ],
    )
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_document([group, flags, unknown])))
    for output in ("table", "json", "markdown"):
        result = cli("plan", profile, "--terraform-plan", plan, "--output", output)
        assert result.exit_code == 3, result.stdout
        assert "1234" not in result.stdout + result.stderr
    shown = json.loads(cli("plan", profile, "--terraform-plan", plan, "-o", "json").stdout)
    by_id = {t["id"].rsplit("/", 1)[-1]: t for t in shown["targets"]}
    for hidden_target in ("orders-pg16", "orders-db"):  # 61.234 s: refused, not shown
        (refusal,) = by_id[hidden_target]["refusals"]
        assert "(sensitive value)" in refusal["message"]
    (refusal,) = by_id["billing-pg16"]["refusals"]
    assert "only after apply" in refusal["message"]


def test_real_references_between_module_instances() -> None:
    document = _real("references.plan.json")
    afters = {c["address"]: c["change"]["after"] for c in document["resource_changes"]}
    configuration = Configuration(document, afters)

    def inputs(address: str) -> list[str]:
        return [a["input"] for a in configuration.referenced(address, "input", "terraform_data")]

    assert inputs('module.db["eu.1]"].terraform_data.idle') == ["eu.1]"]
    assert inputs('module.db["us"].terraform_data.idle') == ["us"]
    assert inputs("module.settings.terraform_data.idle") == ["s0"]  # var <- server[0]
    assert inputs("terraform_data.cfg[1]") == ["s0", "s1"]  # server[count.index]: either
