"""docs/json.md stays true: each documented example has exactly the keys the real output has."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from support.memory import MemoryAdapter
from support.profiles import aws_target, write_profile

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.journal import Journal, read_entries
from cloudtimeouts.planning import make_plan
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


def real_verify(margin: str = "30s") -> dict[str, Any]:
    """verify's JSON on a session seen through a PgBouncer (what `verify -o json` prints)."""
    from cloudtimeouts.catalog import Engine
    from cloudtimeouts.durations import Duration
    from cloudtimeouts.live.path import PathSeen, PoolerSetting
    from cloudtimeouts.live.read import LiveSession, LiveSetting
    from cloudtimeouts.live.report import build_report
    from cloudtimeouts.profile import parse_profile

    profile = parse_profile(
        "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 300\n"
        f"guard:\n  margin: {margin}\nserver:\n  idle_session_timeout: 10min\n"
    )
    live = LiveSetting(
        "idle_session_timeout", "60000 ms", Duration(60_000_000), "60000", "configuration file"
    )
    session = LiveSession(Engine.POSTGRES, "16.4", {"idle_session_timeout": live})
    pooler = {"client_idle_timeout": PoolerSetting("client_idle_timeout", "0", Duration(0))}
    seen = PathSeen("app@db.internal:6432/orders", True, "PgBouncer 1.23.1", pooler)
    return build_report(profile, "app@db.internal:6432/orders", session, seen).to_json()


def test_the_verify_example_has_the_real_keys() -> None:
    real = real_verify()
    example = json.loads(documented("verify"))
    same_keys(example, real)
    for key in ("conn_max_age", "margin_s", "format_version", "verdict"):
        assert shape(example[key]) == shape(real[key]), key


# Strings by design: values in the parameter's native unit, as the cloud or the server shows them.
NATIVE_VALUES = frozenset({"current", "desired", "before", "after", "profile", "live", "global"})
NAMES = frozenset({"format_version", "version", "server_version"})  # names, not quantities
A_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def strings_that_are_numbers(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [found for k, item in value.items() for found in strings_that_are_numbers(item, k)]
    if isinstance(value, list):
        return [found for item in value for found in strings_that_are_numbers(item, key)]
    if isinstance(value, str) and key not in NATIVE_VALUES | NAMES and A_NUMBER.fullmatch(value):
        return [f"{key}: {value!r}"]
    if isinstance(value, float) and value.is_integer():
        return [f"{key}: {value!r} (a whole number written as a float)"]
    return []


def test_numbers_are_json_numbers_in_every_output(tmp_path: Path) -> None:
    plan, applied, entries = real_run(tmp_path)
    for name, output in [("plan", plan), ("apply", applied), ("journal", entries)]:
        assert strings_that_are_numbers(output) == [], name
        assert "E+" not in json.dumps(output), name
    for margin, seconds in [("30s", 30), ("250ms", 0.25), ("0", 0), ("1h", 3600)]:
        verified = real_verify(margin)
        assert strings_that_are_numbers(verified) == [], margin
        assert verified["margin_s"] == seconds and type(verified["margin_s"]) is type(seconds)
        assert verified["conn_max_age"] == 300
    assert entries[0]["pid"] > 0 and isinstance(entries[0]["pid"], int)
