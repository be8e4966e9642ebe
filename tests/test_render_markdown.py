"""The markdown rendering of a plan: what a reviewer reads in a job summary or a PR comment."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import support.profiles as support
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from test_render import PROFILE

from cloudtimeouts.catalog import ApplyType, Engine
from cloudtimeouts.durations import NativeUnit
from cloudtimeouts.model import Change, Finding, ParameterState, TargetState
from cloudtimeouts.plan import (
    Plan,
    TargetPlan,
    TerraformSource,
    build_target_plan,
    failed_target_plan,
)
from cloudtimeouts.render.markdown import escape, plan_markdown

FIRST, SECOND = PROFILE.targets

# GitHub's dialect as far as it matters here: CommonMark (raw HTML allowed) with GFM tables.
GFM = MarkdownIt("commonmark").enable(["table", "strikethrough"])

GOLDEN = """\
<!-- cloudtimeouts-plan changes=3 refusals=0 errors=1 -->
## cloudtimeouts plan: errors on 1 target

**3** to change (1 need a restart) on 1 of 2 target(s), **0** refused, **1** error(s).

### aws:eu-west-1:parameter-group/orders-pg16

Profile orders, postgres16.

| | parameter | current | desired | apply |
|---|---|---|---|---|
| + | idle\\_session\\_timeout | 0 ms (off), default | 600000 ms (10min) | immediate |
| ~ | idle\\_in\\_transaction\\_session\\_timeout | 60000 ms (1min), set on the target \
| 600000 ms (10min) | immediate |
| + | tcp\\_keepalives\\_idle | 300 s (5min), default | 60 s (1min) \
| **restart** (needs --allow-restart) |

1 unchanged parameter not shown.

**Warnings:**

- currently unsafe: aws:eu-west-1:parameter-group/orders-pg16: \
idle\\_in\\_transaction\\_session\\_timeout = 60000 ms (60 s, set on the target) is not above \
CONN\\_MAX\\_AGE 300 s plus the margin of 30 s (330 s in all). The server closes a connection \
once it has been idle inside a transaction for 60 s, and Django may hand such a connection to a \
request, which then fails. Raise idle\\_in\\_transaction\\_session\\_timeout above 330 s, or \
lower conn\\_max\\_age below 30 s. This plan fixes it.

### aws:eu-west-1:parameter-group/missing

Profile orders.

- **error**: DescribeDBParameterGroups failed: DBParameterGroupNotFound
"""


def _state(**values: str | None) -> TargetState:
    parameters = {
        "idle_session_timeout": ParameterState("idle_session_timeout", None),
        "idle_in_transaction_session_timeout": ParameterState(
            "idle_in_transaction_session_timeout", "60000"
        ),
        "statement_timeout": ParameterState("statement_timeout", "30000"),
        "tcp_keepalives_idle": ParameterState(
            "tcp_keepalives_idle", None, apply_type=ApplyType.STATIC
        ),
    }
    for name, value in values.items():
        parameters[name] = ParameterState(name, value)
    return TargetState(FIRST.id, Engine.POSTGRES, parameters, version="postgres16")


def _change(parameter: str = "idle_session_timeout", apply: str = "immediate") -> Change:
    return Change(parameter, "0", "default", "600000", NativeUnit.MILLISECONDS, apply, "why")  # type: ignore[arg-type]


def test_plan_markdown_golden() -> None:
    plan = Plan(
        (
            build_target_plan(PROFILE, FIRST, _state()),
            failed_target_plan(
                PROFILE, SECOND, "DescribeDBParameterGroups failed: DBParameterGroupNotFound"
            ),
        )
    )
    assert plan_markdown(plan) == GOLDEN


@pytest.mark.parametrize(
    ("targets", "heading"),
    [
        ((), "no changes"),
        ((TargetPlan(PROFILE, FIRST),), "no changes"),
        ((TargetPlan(PROFILE, FIRST, changes=(_change(),)),), "1 change"),
        ((TargetPlan(PROFILE, FIRST, changes=(_change(), _change("x"))),), "2 changes"),
        (
            (
                TargetPlan(
                    PROFILE, FIRST, changes=(_change(),), refusals=(Finding("x", "too short"),)
                ),
            ),
            "refused by the guard",
        ),
        (
            (
                TargetPlan(PROFILE, FIRST, refusals=(Finding("x", "too short"),)),
                failed_target_plan(PROFILE, SECOND, "boom"),
            ),
            "errors on 1 target",
        ),
    ],
)
def test_the_heading_gives_the_verdict_the_exit_code_gives(
    targets: tuple[TargetPlan, ...], heading: str
) -> None:
    shown = plan_markdown(Plan(targets))
    assert shown.splitlines()[1] == f"## cloudtimeouts plan: {heading}"


def test_refusals_and_warnings_are_lists_and_no_changes_is_said() -> None:
    shown = plan_markdown(
        Plan(
            (
                TargetPlan(
                    PROFILE,
                    FIRST,
                    refusals=(Finding("a", "a is too short"), Finding("b", "b is too short")),
                    warnings=(Finding("c", "c is odd"),),
                ),
            )
        )
    )
    assert "No changes.\n\n**Refused by the guard:**\n\n- a is too short\n- b is too short\n" in (
        shown
    )
    assert "**Warnings:**\n\n- c is odd\n" in shown


HOSTILE = "x|y <img src=x onerror=alert(1)> `code` [link](http://e) *em* &lt; \\| ~~s~~\n| z |"


def test_hostile_values_neither_break_a_table_nor_become_html() -> None:
    change = Change(HOSTILE, HOSTILE, "target", HOSTILE, NativeUnit.SECONDS, "restart", "why")
    plan = Plan(
        (
            TargetPlan(
                PROFILE,
                FIRST,
                state=TargetState(FIRST.id, Engine.POSTGRES, {}, version=HOSTILE),
                changes=(change,),
                refusals=(Finding("p", HOSTILE),),
                warnings=(Finding("p", "- " + HOSTILE),),
            ),
            failed_target_plan(PROFILE, SECOND, "# " + HOSTILE),
        ),
        terraform=TerraformSource(HOSTILE, HOSTILE, ((HOSTILE, HOSTILE), ("1. x", "2) y"))),
    )
    html = GFM.render(plan_markdown(plan))
    tags = set(re.findall(r"</?([a-z0-9]+)", html))
    # no img, a, code, em, del, ol, h1: every hostile character stayed text
    allowed = {"h2", "h3", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td"}
    assert tags <= allowed, tags
    assert html.count("<!--") == 1  # the first line's counts, nothing from the values
    (row,) = re.findall(r"<tbody>\s*(.*?)\s*</tbody>", html, re.S)
    assert row.count("<td>") == 5  # the five columns, whatever the cells hold
    assert "x|y &lt;img src=x onerror=alert(1)&gt; `code` [link](http://e) *em* &amp;lt;" in row


@pytest.mark.parametrize(
    "text", ["a|b", "<b>", "`x`", "_x_", "**x**", "[a](b)", "![i](s)", "&amp;", "1.5 s", "a\\b"]
)
def test_escape_keeps_the_text_as_it_was(text: str) -> None:
    assert GFM.renderInline(escape(text)) == escapeHtml(text)


@pytest.mark.parametrize("text", ["- x", "+ x", "* x", "# x", "3. x", "4) x", "> x", "  - x"])
def test_a_message_that_looks_like_markdown_stays_one_list_item(text: str) -> None:
    shown = plan_markdown(Plan((TargetPlan(PROFILE, FIRST, refusals=(Finding("p", text),)),)))
    (items,) = re.findall(r"<ul>\s*(.*?)\s*</ul>", GFM.render(shown), re.S)
    assert items == f"<li>{escapeHtml(text.strip())}</li>"


def test_a_terraform_plan_is_named_and_its_unmatched_resources_listed() -> None:
    plan = Plan(
        (TargetPlan(PROFILE, FIRST),),
        terraform=TerraformSource(
            "plan.json",
            "1.9.5",
            (("aws_db_parameter_group.other", "no target names parameter group other"),),
        ),
    )
    shown = plan_markdown(plan)
    assert "Judged from the Terraform plan plan.json (Terraform 1.9.5)" in shown
    assert "No cloud was read." in shown
    assert (
        "Resources that match no target (listed, not judged):\n\n"
        "- aws\\_db\\_parameter\\_group.other: no target names parameter group other\n"
    ) in shown
    assert "Terraform plan" not in plan_markdown(Plan((TargetPlan(PROFILE, FIRST),)))


def test_cli_plan_output_markdown_against_the_rds_emulator(
    aws: Any, cli: Any, tmp_path: Path
) -> None:
    aws.create_group("orders-pg16", "postgres16")
    profile = support.write_profile(
        tmp_path,
        margin="0s",
        server={"idle_session_timeout": "10min", "tcp_keepalives_idle": "60s"},
        targets=[support.aws_target("orders-pg16")],
    )
    result = cli("plan", profile, "--output", "markdown", "--detailed-exitcode")
    assert result.exit_code == 2, result.stderr
    assert result.stdout.startswith(
        "<!-- cloudtimeouts-plan changes=2 refusals=0 errors=0 -->\n"
        "## cloudtimeouts plan: 2 changes\n"
    )
    assert "### aws:eu-west-1:parameter-group/orders-pg16\n\nProfile orders, postgres16." in (
        result.stdout
    )
    assert (
        "| + | idle\\_session\\_timeout | 0 ms (off), default | 600000 ms (10min) | immediate |"
        in result.stdout
    )
    # the same plan as the JSON: markdown is a rendering, not another diff
    as_json = json.loads(cli("plan", profile, "-o", "json").stdout)
    assert len(as_json["targets"][0]["changes"]) == 2

    refused = support.write_profile(
        tmp_path,
        "refused.yaml",
        margin="0s",
        server={"idle_session_timeout": "1min"},
        targets=[support.aws_target("orders-pg16")],
    )
    result = cli("plan", refused, "-o", "markdown")
    assert result.exit_code == 3
    assert "## cloudtimeouts plan: refused by the guard" in result.stdout
    assert "**Refused by the guard:**\n\n- " in result.stdout
