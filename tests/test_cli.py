"""The CLI end to end: the real entry point, boto3 over HTTP to the realistic RDS emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import support.profiles as support

from cloudtimeouts.applying import apply_plan
from cloudtimeouts.planning import make_plan
from cloudtimeouts.profile import load_profile

REGION = "eu-west-1"
TARGET = f"aws:{REGION}:parameter-group/orders-pg16"


def write_profile(
    directory: Path,
    *,
    groups: tuple[str, ...] = ("orders-pg16",),
    **fields: object,
) -> Path:
    """A profile for the RDS groups `groups` (support.profiles.write_profile does the writing)."""
    fields.setdefault("margin", "0s")
    return support.write_profile(
        directory, targets=[support.aws_target(group, REGION) for group in groups], **fields
    )


SAFE_SERVER = (
    "  idle_session_timeout: 10min\n  statement_timeout: 30s\n  tcp_keepalives_idle: 60s\n"
)


@pytest.fixture
def rds(aws: Any) -> Any:
    return boto3.client("rds", region_name=REGION)


def stored(rds: Any, group: str = "orders-pg16") -> dict[str, str | None]:
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
    return {
        p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]
    }


def test_plan_shows_changes_in_both_units(aws: Any, cli: Any, rds: Any, tmp_path: Path) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = write_profile(tmp_path, server=SAFE_SERVER)
    result = cli("plan", profile, "--detailed-exitcode")
    assert result.exit_code == 2, result.stderr
    assert "~ idle_session_timeout: 0 ms (off) [target] -> 600000 ms (10min)" not in result.stdout
    assert "+ idle_session_timeout: 0 ms (off) [default] -> 600000 ms (10min)" in result.stdout
    assert "+ tcp_keepalives_idle: 300 s (5min) [default] -> 60 s (1min)" in result.stdout
    assert "Plan: 3 to change on 1 of 1 target(s), 0 refused, 0 error(s)." in result.stdout

    as_json = json.loads(cli("plan", profile, "--output", "json").stdout)
    (target,) = as_json["targets"]
    assert target["id"] == TARGET and target["error"] is None
    units = {change["parameter"]: change["unit"] for change in target["changes"]}
    assert units == {
        "idle_session_timeout": "ms",
        "statement_timeout": "ms",
        "tcp_keepalives_idle": "s",
    }
    idle = next(c for c in target["changes"] if c["parameter"] == "idle_session_timeout")
    assert idle | {"reason": ""} == {
        "parameter": "idle_session_timeout",
        "current": "0",
        "current_source": "default",
        "desired": "600000",
        "unit": "ms",
        "apply": "immediate",
        "reason": "",
    }
    assert as_json["summary"] == {"changes": 3, "refusals": 0, "errors": 0}
    assert as_json["format_version"] == "1"


def test_apply_then_replan_is_empty_and_unrelated_parameters_stay(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    before = stored(rds)
    profile = write_profile(tmp_path, server=SAFE_SERVER)
    result = cli("apply", profile, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "written and verified" in result.stdout
    after = stored(rds)
    assert after["idle_session_timeout"] == "600000"
    assert after["statement_timeout"] == "30000"
    assert after["tcp_keepalives_idle"] == "60"
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"idle_session_timeout", "statement_timeout", "tcp_keepalives_idle"}
    replan = cli("plan", profile, "--detailed-exitcode")
    assert replan.exit_code == 0, replan.stdout
    assert "no changes" in replan.stdout
    assert "(3 unchanged parameters hidden)" in replan.stdout


def test_guard_refuses_a_profile_value(aws: Any, cli: Any, rds: Any, tmp_path: Path) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = write_profile(tmp_path, conn_max_age="10min", server="  idle_session_timeout: 5min\n")
    offline = cli("validate", profile)
    assert offline.exit_code == 3
    assert "idle_session_timeout = 300000 ms (300 s, from the profile)" in offline.stderr
    online = cli("plan", profile)
    assert online.exit_code == 3
    assert f"x refused: {TARGET}: idle_session_timeout = 300000 ms (300 s, from the profile)" in (
        online.stdout
    )


def test_guard_refuses_because_of_the_current_value_on_the_target(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16", {"idle_in_transaction_session_timeout": "60000"})
    profile = write_profile(tmp_path, server="  statement_timeout: 30s\n")
    assert cli("validate", profile).exit_code == 0  # offline, the engine default (off) applies
    result = cli("plan", profile, "--output", "json")
    assert result.exit_code == 3
    (refusal,) = json.loads(result.stdout)["targets"][0]["refusals"]
    assert refusal["parameter"] == "idle_in_transaction_session_timeout"
    assert "60000 ms (60 s, set on the target)" in refusal["message"]


def test_guard_counts_the_margin(aws: Any, cli: Any, rds: Any, tmp_path: Path) -> None:
    aws.create_group("orders-pg16", "postgres16")
    server = "  idle_session_timeout: 10min\n"
    safe = write_profile(tmp_path, server=server, conn_max_age="5min", margin="4min")
    assert cli("plan", safe).exit_code == 0
    unsafe = write_profile(tmp_path, server=server, conn_max_age="5min", margin="5min")
    result = cli("plan", unsafe)
    assert result.exit_code == 3
    assert "CONN_MAX_AGE 300 s plus the margin of 300 s (600 s in all)" in result.stdout


def test_a_refused_apply_writes_nothing_anywhere(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    aws.create_group("orders-pg16-b", "postgres16", {"idle_session_timeout": "60000"})
    before = (stored(rds), stored(rds, "orders-pg16-b"))
    profile = write_profile(
        tmp_path, server="  statement_timeout: 30s\n", groups=("orders-pg16", "orders-pg16-b")
    )
    result = cli("apply", profile, "--yes")
    assert result.exit_code == 3
    assert "nothing was applied" in result.stderr
    assert (stored(rds), stored(rds, "orders-pg16-b")) == before


def test_a_currently_unsafe_target_is_a_warning_when_the_plan_fixes_it(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16", {"idle_session_timeout": "60000"})
    profile = write_profile(tmp_path, server="  idle_session_timeout: 10min\n")
    result = cli("plan", profile, "--output", "json")
    assert result.exit_code == 0
    (warning,) = json.loads(result.stdout)["targets"][0]["warnings"]
    assert warning["message"].startswith("currently unsafe:")
    assert warning["message"].endswith("This plan fixes it.")


def test_default_group_and_family_mismatch_are_errors(cli: Any, rds: Any, tmp_path: Path) -> None:
    rds.create_db_parameter_group(  # default.postgres16 exists, as on AWS
        DBParameterGroupName="orders-mysql", DBParameterGroupFamily="mysql8.0", Description="mysql"
    )
    profile = write_profile(
        tmp_path, server=SAFE_SERVER, groups=("default.postgres16", "orders-mysql")
    )
    result = cli("plan", profile, "--output", "json")
    assert result.exit_code == 1
    errors = {t["id"]: t["error"] for t in json.loads(result.stdout)["targets"]}
    assert (
        "AWS does not allow modifying default groups"
        in errors[f"aws:{REGION}:parameter-group/default.postgres16"]
    )
    assert "copy-db-parameter-group" in errors[f"aws:{REGION}:parameter-group/default.postgres16"]
    assert "family is mysql8.0" in errors[f"aws:{REGION}:parameter-group/orders-mysql"]


def test_an_api_error_on_one_target_does_not_hide_the_others(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = write_profile(tmp_path, server=SAFE_SERVER, groups=("orders-pg16", "missing-group"))
    result = cli("plan", profile)
    assert result.exit_code == 1
    assert "DBParameterGroupNotFound" in result.stdout
    assert "+ idle_session_timeout: 0 ms (off) [default] -> 600000 ms (10min)" in result.stdout
    assert "Plan: 3 to change on 1 of 2 target(s), 0 refused, 1 error(s)." in result.stdout
    assert cli("apply", profile, "--yes").exit_code == 1
    assert stored(rds)["idle_session_timeout"] is None  # untouched: RDS lists no value


def test_apply_refuses_a_non_interactive_stdin_without_yes(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = write_profile(tmp_path, server=SAFE_SERVER)
    result = cli("apply", profile)
    assert result.exit_code == 1
    assert "standard input is not a terminal" in result.stderr
    assert "--yes" in result.stderr
    assert stored(rds)["idle_session_timeout"] is None  # untouched: RDS lists no value


def test_restart_bound_changes_need_allow_restart(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    # RDS has no static timeout: the emulator's test seam reports this one static in this group.
    aws.create_group("orders-pg16", "postgres16", static={"tcp_keepalives_idle"})
    profile = write_profile(tmp_path, server=SAFE_SERVER)
    plan = cli("plan", profile)
    assert "tcp_keepalives_idle: 300 s (5min) [default] -> 60 s (1min)  # restart required" in (
        plan.stdout
    )
    refused = cli("apply", profile, "--yes")
    assert refused.exit_code == 1
    assert "--allow-restart" in refused.stderr
    assert stored(rds)["tcp_keepalives_idle"] == "300"
    allowed = cli("apply", profile, "--yes", "--allow-restart")
    assert allowed.exit_code == 0, allowed.stderr
    assert "waiting for a reboot you schedule: tcp_keepalives_idle" in allowed.stdout
    assert stored(rds)["tcp_keepalives_idle"] == "60"


def test_target_selects_and_unknown_target_is_an_error(
    aws: Any, cli: Any, rds: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = write_profile(tmp_path, server=SAFE_SERVER, groups=("orders-pg16", "missing-group"))
    only = cli("plan", profile, "--target", TARGET)
    assert only.exit_code == 0
    assert "missing-group" not in only.stdout
    unknown = cli("plan", profile, "--target", "aws:eu-west-1:parameter-group/nope")
    assert unknown.exit_code == 1
    assert "no profile has the target" in unknown.stderr


def test_a_target_changed_since_the_plan_is_not_written(aws: Any, rds: Any, tmp_path: Path) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = load_profile(write_profile(tmp_path, server=SAFE_SERVER))
    plan = make_plan([profile])
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders-pg16",
        Parameters=[
            {
                "ParameterName": "statement_timeout",
                "ParameterValue": "1000",
                "ApplyMethod": "immediate",
            }
        ],
    )
    result = apply_plan(plan)
    (target,) = result.targets
    assert target.outcome == "changed-since-plan"
    assert result.failed
    assert stored(rds)["idle_session_timeout"] is None  # untouched: RDS lists no value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nengine: postgres\ndjango: {conn_max_age: 1\n",
            ":4: not valid YAML: expected ',' or '}', but got '<stream end>' "
            "(while parsing a flow mapping that starts on line 3)",
        ),
        (
            "name: x\nengine: postgres\ndjango: {conn_max_age: 1}\ncolour: red\n",
            ":4: unknown key 'colour'",
        ),
        (
            "name: x\nengine: postgres\ndjango: {conn_max_age: 1}\nserver:\n  wait_timeout: 1\n",
            ":5: server.wait_timeout: wait_timeout is not a parameter",
        ),
        (
            "name: x\nengine: postgres\ndjango: {conn_max_age: 1}\nserver:\n"
            "  lock_timeout: 10 minutes\n",
            ":5: server.lock_timeout:",
        ),
        (
            "name: x\nengine: mysql\ndjango: {conn_max_age: 1}\nserver:\n  wait_timeout: 1500ms\n",
            "1s500ms is not a whole number of s",
        ),
        ("name: x\nengine: oracle\ndjango: {conn_max_age: 1}\n", ":2: engine: 'oracle' is not"),
    ],
    ids=["malformed", "unknown-key", "unknown-parameter", "bad-duration", "fractional", "engine"],
)
def test_bad_profiles_exit_1_naming_the_file_and_line(
    cli: Any, tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    for command in ("validate", "plan", "apply"):
        result = cli(command, path)
        assert result.exit_code == 1
        assert f"{path}" in result.stderr and expected in result.stderr
        assert "Traceback" not in result.stderr


def test_a_missing_profile_file_is_named(cli: Any, tmp_path: Path) -> None:
    result = cli("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: no such file" in result.stderr


def test_validate_reports_every_file_not_only_the_first_bad_one(cli: Any, tmp_path: Path) -> None:
    """pre-commit hands the hook every changed profile at once: each one is judged."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: orders\nengine: oracle\ndjango:\n  conn_max_age: 5min\n")
    good = write_profile(tmp_path, filename="good.yaml", server=SAFE_SERVER)
    unsafe = write_profile(
        tmp_path, filename="unsafe.yaml", server="  idle_session_timeout: 1min\n"
    )
    missing = tmp_path / "missing.yaml"
    result = cli("validate", broken, good, missing, unsafe)
    assert result.exit_code == 1  # an error wins over a refusal
    assert f"Error: {broken}:2: engine: 'oracle' is not an engine" in result.stderr
    assert f"{missing}: no such file" in result.stderr
    assert f"refused: {unsafe}: " in result.stderr
    assert f"{good}: ok (" in result.stdout
    assert cli("validate", good, unsafe).exit_code == 3


def test_validate_says_what_it_does_not_judge_and_why(cli: Any, tmp_path: Path) -> None:
    """RDS MySQL, wait_timeout 8 h, interactive_timeout 5 min, CONN_MAX_AGE 10 min: Django's
    connections are not interactive, so it is sound; validate says why interactive_timeout is not
    judged. On an Aurora cluster group the smaller of the two applies: refused."""
    mysql = tmp_path / "mysql.yaml"
    text = (
        "name: orders\nengine: mysql\ndjango: {conn_max_age: 10min}\n"
        "server: {wait_timeout: 8h, interactive_timeout: 5min}\n"
        "targets: [{provider: aws, region: eu-west-1, GROUP: orders}]\n"
    )
    mysql.write_text(text.replace("GROUP", "parameter_group"))
    result = cli("validate", mysql)
    assert result.exit_code == 0, result.stderr
    assert f"note: {mysql}: profile orders: interactive_timeout = 300 s" in result.stderr
    assert "CLIENT_INTERACTIVE" in result.stderr
    mysql.write_text(text.replace("GROUP", "cluster_parameter_group"))
    aurora = cli("validate", mysql)
    assert aurora.exit_code == 3
    assert "refused: " in aurora.stderr and "interactive_timeout" in aurora.stderr


def test_plan_names_every_profile_that_does_not_load(cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: orders\nengine: oracle\ndjango:\n  conn_max_age: 5min\n")
    missing = tmp_path / "missing.yaml"
    result = cli("plan", broken, missing)
    assert result.exit_code == 1
    assert f"{broken}:2: engine:" in result.stderr and f"{missing}: no such file" in result.stderr


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["plan", "p.yaml", "--timeout", "abc"], "value for '--timeout': 'abc' is not a number"),
        (["plan", "p.yaml", "--timeout", "0"], "value for '--timeout': must be at least 1, got 0"),
        (["apply", "p", "--concurrency", "100"], "'--concurrency': must be at most 64, got 100"),
        (["apply", "p", "--concurrency", "2.5"], "'--concurrency': '2.5' is not a whole number"),
        (["plan", "p.yaml", "-o", "xml"], "'-o': 'xml' is not one of: table, json, markdown"),
        (["django-settings", "p", "-f", "x"], "'x' is not one of: python, dj-database-url, json"),
        (["explain", "p.yaml", "-o", "png"], "'png' is not one of: text, svg"),
        (["export", "p.yaml", "--format", "json"], "'json' is not one of: terraform"),
    ],
)  # fmt: skip
def test_a_wrong_option_value_is_said_in_words(cli: Any, argv: list[str], said: str) -> None:
    result = cli(*argv)
    assert result.exit_code == 1
    assert said in result.stderr
    for pydantic in ("Input should be", "Value error", "unable to parse", "errors.pydantic.dev"):
        assert pydantic not in result.stderr


def test_usage_errors_exit_1_not_2(cli: Any) -> None:
    assert cli("plan").exit_code == 1
    assert cli("plan", "x.yaml", "--no-such-flag").exit_code == 1


def test_schema_is_json_schema_of_the_profile(cli: Any) -> None:
    schema = json.loads(cli("schema").stdout)
    assert schema["title"] == "cloudtimeouts profile"
    assert {"name", "engine", "django"} <= set(schema["required"])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["validate", "profiles/aws-postgres.yaml"],
        ["django-settings", "profiles/aws-postgres.yaml"],
        ["schema"],
    ],
)
def test_offline_commands_import_no_cloud_sdk(argv: list[str]) -> None:
    script = (
        "import sys\nfrom cloudtimeouts.cli import main\n"
        f"try:\n    main({argv!r})\n"
        "except SystemExit as done:\n    assert not done.code, done.code\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('boto3', 'botocore', 'google', 'grpc', 'azure')]\n"
        "assert not loaded, loaded\n"
    )
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_django_settings_refuses_an_unsafe_profile(cli: Any, tmp_path: Path) -> None:
    unsafe = write_profile(tmp_path, conn_max_age="unlimited", server=SAFE_SERVER)
    result = cli("django-settings", unsafe)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "CONN_MAX_AGE is unlimited" in result.stderr
    safe = write_profile(tmp_path, server=SAFE_SERVER, name="safe")
    snippet = cli("django-settings", safe, "--format", "dj-database-url")
    assert snippet.exit_code == 0
    assert "dj_database_url.config(" in snippet.stdout and "conn_max_age=300" in snippet.stdout


def _apply_on_a_terminal(profile: Path, answer: str) -> tuple[int, str]:
    """Run apply as a person would: stdin is a terminal, the answer is typed at the prompt."""
    import os
    import pty
    import select

    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudtimeouts.cli", "apply", str(profile)],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    os.close(secondary)
    select.select([], [primary], [], 10)
    os.write(primary, f"{answer}\n".encode())
    try:
        _, err = process.communicate(timeout=60)
    finally:
        os.close(primary)
    return process.returncode, err.decode()


@pytest.mark.parametrize(("answer", "exit_code", "written"), [("no", 1, False), ("yes", 0, True)])
def test_apply_asks_on_a_terminal_and_only_yes_writes(
    aws: Any, rds: Any, tmp_path: Path, answer: str, exit_code: int, written: bool
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = write_profile(tmp_path, server=SAFE_SERVER)
    code, err = _apply_on_a_terminal(profile, answer)
    assert code == exit_code, err
    assert "Only 'yes' will be accepted" in err
    assert (stored(rds)["idle_session_timeout"] == "600000") is written


def test_the_readme_documents_every_command_and_option() -> None:
    import typer

    from cloudtimeouts.cli import app

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"cloudtimeouts {name}" in readme, name
        for parameter in command.params:
            for option in parameter.opts:
                if option.startswith("--") and option != "--help":
                    assert option in readme, f"{name} {option}"


def test_version_is_one_line_and_exit_0(cli: Any) -> None:
    from cloudtimeouts import __version__

    result = cli("--version")
    assert (result.exit_code, result.stdout.strip()) == (0, f"cloudtimeouts {__version__}")
