"""docs/json.md stays true: each documented example is, value by value, what the command prints
for the case the doc describes (run here through the CLI: plan, apply and its journal against the
RDS emulator, verify on real PostgreSQL behind PgBouncer, observe on real PostgreSQL). Only what
changes from run to run or machine to machine is matched by its form: `time`, `pid`, the `journal`
path, verify's endpoint and versions, observe's endpoint, version and idle ages; a list the doc
abridges is matched on the entries it shows."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbservers import set_postgres
from support.memory import MemoryAdapter
from support.profiles import aws_target, write_profile

import cloudtimeouts
from cloudtimeouts.applying import apply_plan
from cloudtimeouts.journal import Journal, read_entries
from cloudtimeouts.live.observe import age_text
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"


def documented(heading: str) -> str:
    section = DOC.read_text().split(f"## {heading}", 1)[1]
    match = re.search(r"```json\n(.*?)```", section, re.S)
    assert match, heading
    return match[1]


# Values that change from run to run or from machine to machine, and the form each must have
# in the doc and in the real output alike (the doc's values are examples of that form).
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00")
JOURNAL = re.compile(r"(?P<home>.+)/cloudtimeouts/apply-\d{8}T\d{6}Z-(?P<pid>\d+)\.jsonl")
VOLATILE = {"time": TIME, "journal": JOURNAL}
# Lists the doc abridges (it says so): the entries it shows are the real list's first ones.
ABRIDGED = {"parameters", "settings"}


def same_values(doc: Any, real: Any, where: str = "$") -> None:
    """The documented example equals the real output, value by value: the same keys in the same
    order, the same values and types, lists in the same order; `time` and `journal` by their
    form (VOLATILE), `pid` a positive integer; an ABRIDGED list by its first entries."""
    key = where.rsplit(".", 1)[-1]
    if key in VOLATILE and isinstance(doc, str):
        assert isinstance(real, str), where
        assert VOLATILE[key].fullmatch(doc), f"{where}: the doc's {doc!r} is not of the form"
        assert VOLATILE[key].fullmatch(real), f"{where}: {real!r}"
    elif key == "pid":
        assert type(doc) is type(real) is int and doc > 0 and real > 0, where
    elif isinstance(doc, dict):
        assert isinstance(real, dict), where
        assert list(doc) == list(real), f"{where}: keys {list(doc)} != {list(real)}"
        for name in doc:
            same_values(doc[name], real[name], f"{where}.{name}")
    elif isinstance(doc, list) and key in ABRIDGED:
        assert isinstance(real, list) and doc, where
        assert len(real) > len(doc), f"{where}: not abridged"
        for index, (documented_item, real_item) in enumerate(zip(doc, real, strict=False)):
            same_values(documented_item, real_item, f"{where}[{index}]")
    elif isinstance(doc, list):
        assert isinstance(real, list) and len(doc) == len(real), f"{where}: {doc} != {real}"
        for index, (documented_item, real_item) in enumerate(zip(doc, real, strict=True)):
            same_values(documented_item, real_item, f"{where}[{index}]")
    else:
        assert (type(doc), doc) == (type(real), real), f"{where}: doc {doc!r} != real {real!r}"


def test_same_values_catches_what_keys_alone_would_not() -> None:
    time = "2026-11-29T22:15:30.120+00:00"
    example = {"summary": {"changes": 1}, "time": time, "pid": 7, "errors": ["a"]}
    same_values(
        example,
        {
            "summary": {"changes": 1},
            "time": "2030-01-01T00:00:00.000+00:00",
            "pid": 9,
            "errors": ["a"],
        },
    )
    for wrong in (
        {"summary": {"changes": 2}, "time": time, "pid": 7, "errors": ["a"]},  # another value
        {"summary": {"changes": "1"}, "time": time, "pid": 7, "errors": ["a"]},  # another type
        {"summary": {"changes": 1}, "time": "yesterday", "pid": 7, "errors": ["a"]},  # no time
        {"summary": {"changes": 1}, "pid": 7, "time": time, "errors": ["a"]},  # another order
        {"summary": {"changes": 1}, "time": time, "pid": 7, "errors": ["a", "b"]},  # one more
    ):
        with pytest.raises(AssertionError):
            same_values(example, wrong)


@dataclass
class DocumentedRun:
    """The case docs/json.md shows, run through the CLI against the RDS emulator."""

    plan: dict[str, Any]
    apply: dict[str, Any]
    journal: list[dict[str, Any]]
    state_home: Path


@pytest.fixture
def documented_run(
    aws: Any, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> DocumentedRun:
    """Profile orders (CONN_MAX_AGE 5min, margin 30s, idle_session_timeout 10min,
    statement_timeout 30s) on the DB parameter group orders-pg16 (family postgres16, where
    statement_timeout is already 30000 and idle_session_timeout at its default), used by the
    instance orders-db; `plan -o json`, then `apply --yes -o json` with the default journal."""
    aws.create_group("orders-pg16", "postgres16", {"statement_timeout": "30000"})
    aws.create_instance("orders-db", "postgres", "orders-pg16")
    profile = write_profile(
        tmp_path,
        margin="30s",
        server={"idle_session_timeout": "10min", "statement_timeout": "30s"},
        targets=[aws_target("orders-pg16")],
    )
    state_home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state_home))
    planned = cli("plan", profile, "--output", "json")
    assert planned.exit_code == 0, planned.stderr
    applied = cli("apply", profile, "--yes", "--output", "json")
    assert applied.exit_code == 0, applied.stderr
    report = json.loads(applied.stdout)
    journal = [json.loads(line) for line in Path(report["journal"]).read_text().splitlines()]
    return DocumentedRun(json.loads(planned.stdout), report, journal, state_home)


def test_the_plan_example_is_what_plan_prints(documented_run: DocumentedRun) -> None:
    same_values(json.loads(documented("plan")), documented_run.plan)


def test_the_apply_example_is_what_apply_prints(documented_run: DocumentedRun) -> None:
    example = json.loads(documented("apply and rollback"))
    same_values(example, documented_run.apply)
    doc_path = JOURNAL.fullmatch(example["journal"])
    real_path = JOURNAL.fullmatch(documented_run.apply["journal"])
    assert doc_path and real_path
    assert real_path["home"] == str(documented_run.state_home)  # the default: $XDG_STATE_HOME
    assert int(real_path["pid"]) == os.getpid() == documented_run.journal[0]["pid"]
    doc_journal = [json.loads(line) for line in documented("The journal").strip().splitlines()]
    assert int(doc_path["pid"]) == doc_journal[0]["pid"]  # the doc's two examples agree


def test_the_journal_example_is_what_apply_writes(documented_run: DocumentedRun) -> None:
    example = [json.loads(line) for line in documented("The journal").strip().splitlines()]
    same_values(example, documented_run.journal)
    for lines in (example, documented_run.journal):
        times = [line["time"] for line in lines]
        assert times == sorted(times)
    assert example[0]["version"] == cloudtimeouts.__version__


def test_the_verify_example_is_what_verify_prints(pgbouncer: Any, tmp_path: Path, cli: Any) -> None:
    """The doc's case on real servers: PostgreSQL with idle_session_timeout 60000 ms set in its
    configuration (ALTER SYSTEM), reached through PgBouncer, and the profile orders
    (CONN_MAX_AGE 300, margin 30s, idle_session_timeout 10min). The endpoint and the two
    versions are this machine's: they are replaced by the doc's before comparing."""
    set_postgres(pgbouncer.server, idle_session_timeout="60000")
    profile = tmp_path / "orders.yaml"
    profile.write_text(
        "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 300\n"
        "guard:\n  margin: 30s\nserver:\n  idle_session_timeout: 10min\n"
    )
    verified = cli("verify", profile, "--database-url", pgbouncer.url(), "-o", "json")
    assert verified.exit_code == 3, verified.stderr
    example = json.loads(documented("verify"))
    real = json.loads(verified.stdout)
    assert (real["server_version"], real["path"]["pooler"]) == (
        pgbouncer.server.version,
        pgbouncer.version,
    )
    text = json.dumps(real)
    for machine, doc in (
        (real["endpoint"], example["endpoint"]),
        (real["path"]["pooler"], example["path"]["pooler"]),
    ):
        text = text.replace(json.dumps(machine)[1:-1], json.dumps(doc)[1:-1])
    real = json.loads(text)
    real["server_version"] = example["server_version"]
    same_values(example, real)


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


def test_the_observe_example_is_what_observe_prints(
    postgres: Any, tmp_path: Path, cli: Any
) -> None:
    """The doc's case on the real PostgreSQL: idle_session_timeout 60000 ms in its configuration,
    the profile orders (CONN_MAX_AGE 0, declaring idle_session_timeout 10min), and two idle
    connections of `rq-default` (a worker the profile does not declare). The endpoint, the
    server's version and the idle ages (in the holder and in the words) are this machine's:
    they are replaced by the doc's once their form is checked; holders other than the doc's (other
    tests' leftovers on this worker's server) are left out."""
    import psycopg

    set_postgres(postgres, idle_session_timeout="60000")
    profile = tmp_path / "orders.yaml"
    profile.write_text(
        "name: orders\nengine: postgres\ndjango:\n  conn_max_age: 0\n"
        "server:\n  idle_session_timeout: 10min\n"
    )
    held = [
        psycopg.connect(postgres.url(), application_name="rq-default", autocommit=True)
        for _ in range(2)
    ]
    try:
        for connection in held:
            connection.execute("SELECT 1")
        time.sleep(2.0)
        observed = cli("observe", profile, "--database-url", postgres.url(), "-o", "json")
    finally:
        for connection in held:
            connection.close()
    assert observed.exit_code == 3, observed.stderr
    example = json.loads(documented("observe"))
    real = json.loads(observed.stdout)
    shown = {holder["holder"] for holder in example["holders"]}
    real["holders"] = [holder for holder in real["holders"] if holder["holder"] in shown]
    for key in ("beyond", "warnings"):
        real[key] = [finding for finding in real[key] if finding["parameter"] in shown]
    real["outside_request_cycle"] = [
        name for name in real["outside_request_cycle"] if name in shown
    ]
    text = json.dumps(real)
    for real_holder, doc_holder in zip(real["holders"], example["holders"], strict=True):
        age, doc_age = real_holder["longest_idle_s"], doc_holder["longest_idle_s"]
        assert 2 <= age < 30 and isinstance(doc_age, float), (age, doc_age)
        seen, doc = age_text(Decimal(str(age))), age_text(Decimal(str(doc_age)))
        text = text.replace(f"idle {seen}", f"idle {doc}")
        text = text.replace(f'"longest_idle_s": {age}', f'"longest_idle_s": {doc_age}')
    text = text.replace(json.dumps(real["endpoint"])[1:-1], json.dumps(example["endpoint"])[1:-1])
    real = json.loads(text)
    assert real["server_version"] == postgres.version
    real["server_version"] = example["server_version"]
    same_values(example, real)


def test_the_diagnose_example_is_what_diagnose_prints(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    example_dir = Path(__file__).resolve().parent.parent / "examples" / "incident"
    monkeypatch.chdir(example_dir)
    found = cli("diagnose", "orders.yaml", "app.log", "postgresql.log", "-o", "json")
    assert found.exit_code == 3, found.stderr
    same_values(json.loads(documented("diagnose")), json.loads(found.stdout))
