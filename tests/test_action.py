"""The composite GitHub Action: its structure, and its script steps run here as the runner would.

No runner and no cloud here: the plan step runs against the RDS emulator (AWS_ENDPOINT_URL_RDS,
as tests/test_cli.py does) and in the Terraform mode, with GITHUB_STEP_SUMMARY, GITHUB_OUTPUT
and the INPUT_* variables action.yml sets; the install step runs with a stand-in `python` that
records the pip command instead of installing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import support.profiles as support
import yaml
from support.terraform import parameter_group, write_plan

REPO = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((REPO / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]
TARGET = "aws:eu-west-1:parameter-group/orders-pg16"


def _scripts() -> list[tuple[dict[str, Any], Path]]:
    found = []
    for step in STEPS:
        if "run" in step:
            (name,) = re.findall(
                r'^bash "\$GITHUB_ACTION_PATH/(scripts/[\w.-]+\.sh)"$', step["run"]
            )
            found.append((step, REPO / name))
    return found


def test_the_action_is_composite_and_every_input_it_uses_exists() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["inputs"]["profiles"]["required"] is True
    assert {"extras", "terraform-plan", "python-version", "version", "args"} <= set(
        ACTION["inputs"]
    )
    text = (REPO / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", text))
    assert used == set(ACTION["inputs"]), "every input used, and only declared ones"
    assert STEPS[0]["uses"] == "actions/setup-python@v5"
    step_ids = {step.get("id") for step in STEPS}
    for output in ACTION["outputs"].values():
        (step, _) = re.findall(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", output["value"])[
            0
        ]
        assert step in step_ids


def test_each_run_step_runs_a_script_that_exists_and_reads_only_the_env_it_is_given() -> None:
    scripts = _scripts()
    assert len(scripts) == 2
    for step, script in scripts:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach a script through env, never spliced in"
        assert script.is_file() and os.access(script, os.X_OK), script
        read = set(re.findall(r"\bINPUT_[A-Z_]+", script.read_text()))
        assert read == set(step["env"]), script.name


# -- the install step ------------------------------------------------------------------------


def _install(
    tmp_path: Path, extras: str, version: str, also: str = ""
) -> subprocess.CompletedProcess[str]:
    stand_in = tmp_path / "bin"
    stand_in.mkdir(exist_ok=True)
    (stand_in / "python").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "$RECORD"\n{also}')
    (stand_in / "python").chmod(0o755)
    env = os.environ | {
        "PATH": f"{stand_in}{os.pathsep}{os.environ['PATH']}",
        "RECORD": str(tmp_path / "record"),
        "GITHUB_ACTION_PATH": "/actions/cloudtimeouts",
        "INPUT_EXTRAS": extras,
        "INPUT_VERSION": version,
    }
    return subprocess.run(
        ["bash", str(REPO / "scripts/action-install.sh")], env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("extras", "version", "requirement"),
    [
        ("all", "", "/actions/cloudtimeouts[all]"),
        ("aws, gcp", "", "/actions/cloudtimeouts[aws,gcp]"),
        ("", "", "/actions/cloudtimeouts"),
        ("aws", "0.2.0", "cloudtimeouts[aws]==0.2.0"),
        ("all", "git+https://example.org/x/cloudtimeouts@v1", "cloudtimeouts[all] @ git+https://example.org/x/cloudtimeouts@v1"),
    ],
)  # fmt: skip
def test_install_asks_pip_for_the_chosen_extras_and_version(
    tmp_path: Path, extras: str, version: str, requirement: str
) -> None:
    done = _install(tmp_path, extras, version)
    assert done.returncode == 0, done.stderr
    recorded = (tmp_path / "record").read_text().splitlines()
    assert recorded[:3] == ["-m", "pip", "install"]
    assert recorded[-1] == requirement


def test_install_refuses_extras_that_are_not_names(tmp_path: Path) -> None:
    done = _install(tmp_path, "all] evil @ file:///x [", "")
    assert done.returncode == 1
    assert "::error title=cloudtimeouts::extras must be names" in done.stderr
    assert not (tmp_path / "record").exists()


# -- the plan step ---------------------------------------------------------------------------


def _plan(cwd: Path, **inputs: str) -> tuple[int, str, dict[str, str], str]:
    """Run the plan step: (exit code, job summary, outputs, log)."""
    summary, outputs = cwd / "summary.md", cwd / "outputs"
    summary.write_text("earlier steps' summary\n")
    outputs.unlink(missing_ok=True)
    env = os.environ | {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "INPUT_PROFILES": inputs.get("profiles", ""),
        "INPUT_TERRAFORM_PLAN": inputs.get("terraform_plan", ""),
        "INPUT_ARGS": inputs.get("args", ""),
    }
    done = subprocess.run(
        ["bash", str(REPO / "scripts/action-plan.sh")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    shown = summary.read_text()
    assert shown.startswith("earlier steps' summary\n"), "the summary is appended to"
    return done.returncode, shown, _outputs(outputs.read_text()), done.stdout + done.stderr


def _outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT read as the runner reads it: `NAME=VALUE` lines and `NAME<<DELIMITER`
    multiline values (GitHub docs, "Workflow commands for GitHub Actions", multiline strings);
    a key written twice is an error here, as an injected one would be."""
    pairs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            else:
                raise AssertionError(f"{name}: no closing delimiter")
            found = "\n".join(value)
        else:
            name, found = line.split("=", 1)
        assert name not in pairs, f"{name} written twice"
        pairs[name] = found
    return pairs


def _profiles(cwd: Path, **server: str) -> None:
    """Two profiles under cwd/db/, so that the input's glob has something to expand."""
    for name, group in (("orders", "orders-pg16"), ("billing", "billing-pg16")):
        support.write_profile(
            cwd / "db" / name if name == "billing" else cwd / "db",
            name=name,
            margin="0s",
            server=server or {"idle_session_timeout": "10min"},
            targets=[support.aws_target(group)],
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "db" / "billing").mkdir(parents=True)
    return tmp_path


def test_changes_to_make_pass_the_step_and_reach_the_summary(aws: Any, workspace: Path) -> None:
    aws.create_group("orders-pg16", "postgres16")
    aws.create_group("billing-pg16", "postgres16", {"idle_session_timeout": "600000"})
    _profiles(workspace)
    code, summary, outputs, log = _plan(workspace, profiles="db/**/*.yaml\n")
    assert code == 0, log
    assert outputs == {"exitcode": "2", "changes": "1"}
    assert "## cloudtimeouts plan: 1 change\n" in summary
    assert (
        f"### {TARGET}" in summary and "### aws:eu-west-1:parameter-group/billing-pg16" in summary
    )
    assert "| + | idle\\_session\\_timeout | 0 ms (off), default | 600000 ms (10min) |" in summary
    assert "+ cloudtimeouts plan db/billing/billing.yaml db/orders.yaml --detailed-exitcode" in log

    code, summary, outputs, log = _plan(
        workspace, profiles="db/orders.yaml db/billing/*.yaml", args=f"--target {TARGET}"
    )
    assert (code, outputs) == (0, {"exitcode": "2", "changes": "1"}), log
    assert "billing-pg16" not in summary.split("cloudtimeouts-plan", 1)[1]


def test_a_plan_with_nothing_to_change_passes(aws: Any, workspace: Path) -> None:
    aws.create_group("orders-pg16", "postgres16", {"idle_session_timeout": "600000"})
    aws.create_group("billing-pg16", "postgres16", {"idle_session_timeout": "600000"})
    _profiles(workspace)
    code, summary, outputs, log = _plan(workspace, profiles="db/**/*.yaml")
    assert (code, outputs) == (0, {"exitcode": "0", "changes": "0"}), log
    assert "## cloudtimeouts plan: no changes\n" in summary


def test_a_refusal_fails_the_step_with_the_refusal_in_the_summary(
    aws: Any, workspace: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    aws.create_group("billing-pg16", "postgres16")
    _profiles(workspace, idle_session_timeout="1min")
    code, summary, outputs, log = _plan(workspace, profiles="db/orders.yaml")
    assert code == 3, log
    assert outputs == {"exitcode": "3", "changes": "1"}
    assert "## cloudtimeouts plan: refused by the guard\n" in summary
    assert "**Refused by the guard:**\n\n- " in summary
    assert "idle\\_session\\_timeout = 60000 ms (60 s, from the profile) is not above" in summary
    assert "::error title=cloudtimeouts::the guard refused the plan" in log


def test_a_profile_that_does_not_load_fails_the_step_and_says_why(workspace: Path) -> None:
    (workspace / "db" / "orders.yaml").write_text("name: orders\nengine: postgres\ntargets: [\n")
    code, summary, outputs, log = _plan(workspace, profiles="db/orders.yaml db/missing.yaml")
    assert code == 1, log
    assert outputs == {"exitcode": "1", "changes": ""}
    assert "## cloudtimeouts plan: failed (exit code 1)\n\n    Error: " in summary
    assert "::error title=cloudtimeouts::cloudtimeouts plan failed with exit code 1" in log

    code, summary, outputs, log = _plan(workspace, profiles=" \n ")
    assert (code, outputs) == (1, {"exitcode": "1"})
    assert "the profiles input names no file" in log
    assert summary.endswith("## cloudtimeouts plan: failed\n\nThe profiles input names no file.\n")


@pytest.mark.parametrize(
    ("value", "exitcode", "heading"),
    [("600000", "0", "no changes"), ("60000", "3", "refused by the guard")],
)
def test_the_terraform_mode_judges_the_plan_file_with_no_cloud(
    workspace: Path, value: str, exitcode: str, heading: str
) -> None:
    """No AWS endpoint or credentials are set here: a cloud call would fail the plan."""
    _profiles(workspace)
    plan = write_plan(
        workspace,
        [
            parameter_group("orders-pg16", {"idle_session_timeout": value}),
            parameter_group("elsewhere", {"idle_session_timeout": "600000"}),
        ],
    )
    code, summary, outputs, log = _plan(
        workspace, profiles="db/orders.yaml", terraform_plan=plan.name
    )
    assert code == int(exitcode), log  # 0 and 3 pass through; only 2 becomes 0
    assert outputs["exitcode"] == exitcode
    assert f"## cloudtimeouts plan: {heading}\n" in summary
    assert "Judged from the Terraform plan plan.json (Terraform 1.9.8)" in summary
    assert "- aws\\_db\\_parameter\\_group.elsewhere: " in summary
    if exitcode == "3":
        assert "| the Terraform plan leaves | the profile wants |" in summary
        assert "| 60000 ms (1min), in the Terraform plan | 600000 ms (10min) |" in summary


# -- the inputs as a user writes them: paths with spaces, quotes, globs that match nothing ----


def _terraform_workspace(cwd: Path, profile: str) -> str:
    """A profile at `profile` (under cwd) for orders-pg16, and a Terraform plan that sets it."""
    (cwd / profile).parent.mkdir(parents=True, exist_ok=True)
    support.write_profile(
        (cwd / profile).parent,
        filename=Path(profile).name,
        name="orders",
        margin="0s",
        server={"idle_session_timeout": "10min"},
        targets=[support.aws_target("orders-pg16")],
    )
    plan = write_plan(cwd, [parameter_group("orders-pg16", {"idle_session_timeout": "600000"})])
    return plan.name


@pytest.mark.parametrize(
    "profiles",
    [
        "'db/my dir/orders prod.yaml'",
        '"db/my dir/orders prod.yaml"',
        "db/my\\ dir/orders\\ prod.yaml",
        "db/**/*.yaml",
    ],
)
def test_a_profile_path_with_spaces_can_be_given(tmp_path: Path, profiles: str) -> None:
    plan = _terraform_workspace(tmp_path, "db/my dir/orders prod.yaml")
    code, summary, outputs, log = _plan(tmp_path, profiles=profiles, terraform_plan=plan)
    assert (code, outputs) == (0, {"exitcode": "0", "changes": "0"}), log
    assert f"### {TARGET}" in summary


def test_args_are_split_as_a_shell_would_quotes_included(tmp_path: Path) -> None:
    plan = _terraform_workspace(tmp_path, "db/orders.yaml")
    code, summary, outputs, log = _plan(
        tmp_path, profiles="db/orders.yaml", terraform_plan=plan, args=f"--target '{TARGET}'"
    )
    assert (code, outputs) == (0, {"exitcode": "0", "changes": "0"}), log
    code, summary, outputs, log = _plan(
        tmp_path, profiles="db/orders.yaml", terraform_plan=plan, args="--target 'unclosed"
    )
    assert (code, outputs["exitcode"]) == (1, "1"), log
    said = "the args input cannot be split into words: no closing quotation"
    assert f"::error title=cloudtimeouts::{said}" in log
    assert summary.endswith(f"## cloudtimeouts plan: failed\n\n{said[0].upper()}{said[1:]}.\n")


def test_a_pattern_that_matches_no_file_is_named(tmp_path: Path) -> None:
    plan = _terraform_workspace(tmp_path, "db/orders.yaml")
    code, summary, outputs, log = _plan(
        tmp_path, profiles="db/orders.yaml deploy/**/*.yaml", terraform_plan=plan
    )
    assert (code, outputs["exitcode"]) == (1, "1"), log
    said = "the profiles input's pattern deploy/**/*.yaml matches no file"
    assert f"::error title=cloudtimeouts::{said}" in log
    assert "The profiles input's pattern deploy/**/*.yaml matches no file." in summary


def test_a_terraform_plan_that_does_not_exist_is_named_in_the_summary(tmp_path: Path) -> None:
    _terraform_workspace(tmp_path, "db/orders.yaml")
    code, summary, outputs, log = _plan(
        tmp_path, profiles="db/orders.yaml", terraform_plan="plans/missing plan.json"
    )
    assert (code, outputs) == (1, {"exitcode": "1", "changes": ""}), log
    assert "plans/missing plan.json: cannot read the plan" in summary


# -- nothing we did not write becomes a workflow command or an output ----------------------
# GitHub's "Workflow commands for GitHub Actions": a log line starting with `::` is a command,
# unless it comes between `::stop-commands::TOKEN` and `::TOKEN::`; $GITHUB_OUTPUT takes
# NAME=VALUE lines and NAME<<DELIMITER multiline values.

INJECTED = "\n::error file=x::pwned"
_STOP = re.compile(r"^::stop-commands::([0-9a-f]{32})$")


def _commands(log: str) -> list[str]:
    """The workflow commands the runner would run from `log`: every `::` line outside a stopped
    region. A stopped region must end with its own token; a `::` line inside one must not exist
    either (the tool escapes what it prints), nor may a stop marker be left open."""
    commands, token = [], None
    for line in log.splitlines():
        if token is not None:
            if line == f"::{token}::":
                token = None
                continue
            assert not line.startswith("::"), f"a command inside a stopped region: {line!r}"
            continue
        stop = _STOP.match(line)
        if stop:
            token = stop[1]
        elif line.startswith("::"):
            commands.append(line)
    assert token is None, "commands were stopped and never resumed"
    return commands


def _hostile_profile(cwd: Path, name: str = f"orders{INJECTED}.yaml") -> Path:
    path = cwd / "db" / name
    support.write_profile(
        path.parent,
        filename=path.name,
        name="orders",
        margin="0s",
        server={"idle_session_timeout": "10min"},
        targets=[support.aws_target("orders-pg16")],
    )
    return path


def test_a_file_name_and_a_value_cannot_inject_a_workflow_command_or_an_output(
    workspace: Path,
) -> None:
    """Terraform mode, no cloud: a profile file whose name holds a newline and a command, a plan
    file likewise, and a for_each key and a parameter value holding `::` commands."""
    _hostile_profile(workspace)
    plan_name = f"plan{INJECTED}.json"
    other = parameter_group("other", {"idle_session_timeout": "::add-mask::600000"})
    other["address"] = 'aws_db_parameter_group.other["k\n::set-output name=changes::99"]'
    written = write_plan(
        workspace,
        [parameter_group("orders-pg16", {"idle_session_timeout": "600000"}), other],
    )
    written.rename(workspace / plan_name)
    code, summary, outputs, log = _plan(workspace, profiles="db/*.yaml", terraform_plan=plan_name)
    assert (code, outputs) == (0, {"exitcode": "0", "changes": "0"}), log
    assert _commands(log) == []
    assert "orders\\n::error file=x::pwned.yaml" in log  # the name, escaped, as text
    assert "\n::error file=x::pwned" not in summary


def test_a_profile_that_does_not_load_cannot_inject_through_its_name(workspace: Path) -> None:
    (workspace / "db" / f"orders{INJECTED}.yaml").write_text("name: orders\nengine: oracle\n")
    code, summary, outputs, log = _plan(workspace, profiles="db/*.yaml")
    assert (code, outputs) == (1, {"exitcode": "1", "changes": ""}), log
    assert _commands(log) == [
        "::error title=cloudtimeouts::cloudtimeouts plan failed with exit code 1"
    ]
    assert "\n    ::error" not in summary and "\n::error" not in summary


def test_an_input_that_names_no_file_is_quoted_in_one_escaped_command(workspace: Path) -> None:
    code, summary, outputs, log = _plan(workspace, profiles=f"'db/none{INJECTED}*.yaml'")
    assert (code, outputs) == (1, {"exitcode": "1"}), log
    assert _commands(log) == [
        "::error title=cloudtimeouts::the profiles input's pattern "
        "db/none%0A::error file=x::pwned*.yaml matches no file"
    ]
    assert summary.endswith(
        "## cloudtimeouts plan: failed\n\n"
        "The profiles input's pattern db/none ::error file=x::pwned*.yaml matches no file.\n"
    )


def test_outputs_are_written_with_a_random_delimiter(workspace: Path) -> None:
    (workspace / "db" / "orders.yaml").write_text("name: orders\n")
    _plan(workspace, profiles="db/orders.yaml")
    first = (workspace / "outputs").read_text()
    _plan(workspace, profiles="db/orders.yaml")
    second = (workspace / "outputs").read_text()
    delimiters = re.findall(r"^exitcode<<(\S+)$", first + second, re.MULTILINE)
    assert len(delimiters) == 2 and delimiters[0] != delimiters[1]
    assert re.fullmatch(r"ghadelimiter_[0-9a-f]{32}", delimiters[0])


def test_install_cannot_be_made_to_emit_a_command_by_its_inputs(tmp_path: Path) -> None:
    done = _install(tmp_path, "all", f"git+https://example.org/x{INJECTED}")
    assert done.returncode == 0, done.stderr
    assert _commands(done.stdout) == [] and _commands(done.stderr) == []
    done = _install(tmp_path, f"aws{INJECTED}", "")
    assert done.returncode == 1
    assert _commands(done.stderr) == [
        "::error title=cloudtimeouts::extras must be names separated by commas "
        "(aws,gcp,azure,verify,all), not 'aws%0A::errorfile=x::pwned'"
    ]


def test_what_pip_says_on_stderr_is_inside_the_stopped_region_too(tmp_path: Path) -> None:
    """pip quotes a requirement it cannot use on stderr; the runner reads stderr and stdout on
    two pipes in no set order, so the stop-commands region must hold both: nothing the tool
    prints may stay on a stream that carries no stop marker."""
    quoting = 'for last; do :; done; echo "ERROR: Invalid requirement: $last" >&2\n'
    done = _install(tmp_path, "all", f"git+https://example.org/x{INJECTED}", quoting)
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if line.startswith("::")], done.stderr
    lines = done.stdout.splitlines()
    forged = lines.index("::error file=x::pwned")  # pip does not escape: stopped, not escaped
    stops = [i for i, line in enumerate(lines) if _STOP.match(line)]
    start = max(i for i in stops if i < forged)
    assert f"::{_STOP.match(lines[start])[1]}::" in lines[forged:], done.stdout  # type: ignore[index]
