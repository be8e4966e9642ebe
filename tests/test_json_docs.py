"""docs/json.md stays true: each documented example has exactly the keys the real output has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from support.memory import MemoryAdapter
from support.profiles import aws_target, write_profile

from cloudtimeouts.journal import Journal, read_entries
from cloudtimeouts.orchestration import apply_plan, make_plan
from cloudtimeouts.profile import load_profile

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"


def documented(heading: str) -> str:
    section = DOC.read_text().split(f"## {heading}", 1)[1]
    match = re.search(r"```json\n(.*?)```", section, re.S)
    assert match, heading
    return match[1]


def shape(value: Any) -> Any:
    """Keys and types, not values: lists are described by their first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else "null"


def same_keys(doc: Any, real: Any, where: str = "") -> None:
    if isinstance(doc, dict):
        assert isinstance(real, dict) and set(doc) == set(real), where
        for key in doc:
            same_keys(doc[key], real[key], f"{where}.{key}")
    elif isinstance(doc, list) and doc and real:
        same_keys(doc[0], real[0], f"{where}[0]")


def real_run(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    memory = MemoryAdapter()
    memory.values["aws:eu-west-1:parameter-group/orders-pg16"] = {"statement_timeout": "30000"}
    profile = load_profile(
        write_profile(
            tmp_path,
            margin="30s",
            server={"idle_session_timeout": "10min", "statement_timeout": "30s"},
            targets=[aws_target("orders-pg16")],
        )
    )
    plan = make_plan([profile], adapter_loader=memory.loader())
    with Journal(tmp_path / "j.jsonl") as journal:
        result = apply_plan(plan, adapter_loader=memory.loader(), journal=journal)
    entries = list(read_entries(tmp_path / "j.jsonl"))
    return plan.to_json(), result.to_json(), entries


def test_the_plan_example_has_the_real_keys(tmp_path: Path) -> None:
    plan, _, _ = real_run(tmp_path)
    same_keys(json.loads(documented("plan")), plan)


def test_the_apply_example_has_the_real_keys(tmp_path: Path) -> None:
    _, applied, _ = real_run(tmp_path)
    example = json.loads(documented("apply and rollback"))
    same_keys(example, applied)
    assert shape(example["summary"]) == shape(applied["summary"])  # numbers are numbers


def test_the_journal_example_has_the_real_keys(tmp_path: Path) -> None:
    _, _, entries = real_run(tmp_path)
    lines = [json.loads(line) for line in documented("The journal").strip().splitlines()]
    real = {(e["kind"], e.get("outcome")): e for e in entries}
    for line in lines:
        same_keys(line, real[(line["kind"], line.get("outcome"))], line["kind"])
