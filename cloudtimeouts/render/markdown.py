"""A plan as GitHub-flavoured markdown: for a CI job summary and a pull-request comment.

Why a rendering of its own: the text rendering is for a terminal (rich styles, a legend of
symbols); a job summary or a review comment is read in a browser, where a table per target and a
verdict in the heading say at a glance whether the change may ship. It reads the same `Plan` as
the text and the JSON, so that the three never disagree.

Every value that comes from a profile or a cloud (names, ids, messages, values) is escaped: a
parameter group called `a|b` or `<img src=x>` must neither break a table row nor become HTML in
someone's pull request.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cloudtimeouts.durations import format_native
from cloudtimeouts.printable import printable

if TYPE_CHECKING:
    from cloudtimeouts.model import Change
    from cloudtimeouts.plan import Plan, TargetPlan, TerraformSource
    from cloudtimeouts.render import Output

# The first line, hidden when rendered: a bot finds its previous comment by it (and updates that
# one instead of adding another), and a CI script reads the counts from it without a second plan.
COMMENT_MARKER = "<!-- cloudtimeouts-plan"

# CommonMark lets a backslash escape any ASCII punctuation; these are the ones that can start
# emphasis, code, links, images, HTML, entities, strikethrough or a table cell anywhere in a
# line. A list marker or a heading only counts at the start of an item, hence `_LEADING`. A line
# break would end a table row or a list item, and a control character is not text: `printable`
# shows both as escapes (`\n`, `\x1b`) before the markdown escaping.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|!~&])")
_LEADING = re.compile(r"^(\s*)([-+#=]|\d+(?=[.)]))")

_TERRAFORM_COLUMNS = ("the Terraform plan leaves", "the profile wants")
_SOURCE_WORDS = {
    "default": "default",
    "target": "set on the target",
    "terraform": "in the Terraform plan",
}


def escape(value: object) -> str:
    """`value` as literal markdown text, safe inside a table cell or a line."""
    return _SPECIAL.sub(r"\\\1", printable(value))


def _item(value: object) -> str:
    """A list item whose text starts with `value`: a leading `-`, `#` or `1.` stays text."""
    return "- " + _LEADING.sub(_escape_leading, escape(value))


def _escape_leading(match: re.Match[str]) -> str:
    space, mark = match.groups()
    if mark.isdigit():  # `1.` starts an ordered list: escape the dot or parenthesis after it
        return f"{space}{mark}\\"
    return f"{space}\\{mark}"


def plan(plan: Plan, output: Output) -> None:
    print(plan_markdown(plan), end="", file=output.out.file)


def plan_markdown(plan: Plan) -> str:
    """The whole plan: a verdict heading, a summary line, then one section per target."""
    counts = f"changes={plan.change_count} refusals={plan.refusal_count} errors={plan.error_count}"
    lines = [f"{COMMENT_MARKER} {counts} -->", f"## cloudtimeouts plan: {verdict(plan)}", ""]
    lines += [summary(plan), ""]
    if plan.terraform is not None:
        lines += _terraform_section(plan.terraform)
    for target in plan.targets:
        lines += _target_section(target, _header(plan))
    return "\n".join(lines).rstrip("\n") + "\n"


def verdict(plan: Plan) -> str:
    """What a reviewer must know first, in the order the exit code decides it (1, 3, 2, 0)."""
    if plan.error_count:
        return f"errors on {plan.error_count} target{_s(plan.error_count)}"
    if plan.refusal_count:
        return "refused by the guard"
    if plan.change_count:
        return f"{plan.change_count} change{_s(plan.change_count)}"
    return "no changes"


def summary(plan: Plan) -> str:
    """The counts the text rendering's footer gives, in one sentence."""
    restart = sum(len(target.restart_changes) for target in plan.targets)
    restart_note = f" ({restart} need a restart)" if restart else ""
    changed = sum(1 for target in plan.targets if target.changes)
    return (
        f"**{plan.change_count}** to change{restart_note} on {changed} of {len(plan.targets)} "
        f"target(s), **{plan.refusal_count}** refused, **{plan.error_count}** error(s)."
    )


def _terraform_section(source: TerraformSource) -> list[str]:
    """Say that no cloud was read, so that nobody mistakes the plan for the clouds' state."""
    version = f" (Terraform {escape(source.terraform_version)})" if source.terraform_version else ""
    where = "read from standard input" if source.from_stdin else escape(source.path)
    lines = [
        f"Judged from the Terraform plan {where}{version}: the values it will "
        "leave, not what the clouds hold today. No cloud was read.",
        "",
    ]
    if source.unmatched:
        lines += ["Resources that match no target (listed, not judged):", ""]
        lines += [f"{_item(address)}: {escape(why)}" for address, why in source.unmatched]
        lines.append("")
    return lines


def _header(plan: Plan) -> str:
    """The change table's header: from a Terraform plan, a change means the Terraform code
    disagrees with the profile (nothing of ours will be written), so the columns say that."""
    columns = ("current", "desired") if plan.terraform is None else _TERRAFORM_COLUMNS
    return f"| | parameter | {' | '.join(columns)} | apply |\n|---|---|---|---|---|"


def _target_section(target: TargetPlan, header: str) -> list[str]:
    version = f", {escape(target.state.version)}" if target.state and target.state.version else ""
    lines = [f"### {escape(target.id)}", "", f"Profile {escape(target.profile.name)}{version}.", ""]
    if target.error:
        lines += [f"- **error**: {escape(target.error)}", ""]
    if target.changes:
        lines.append(header)
        lines += [_change_row(change) for change in target.changes]
        lines.append("")
    elif not target.error:
        lines += ["No changes.", ""]
    if target.unchanged:
        count = len(target.unchanged)
        lines += [f"{count} unchanged parameter{_s(count)} not shown.", ""]
    if target.refusals:
        lines += ["**Refused by the guard:**", ""]
        lines += [_item(refusal.message) for refusal in target.refusals]
        lines.append("")
    if target.warnings:
        lines += ["**Warnings:**", ""]
        lines += [_item(warning.message) for warning in target.warnings]
        lines.append("")
    return lines


def _change_row(change: Change) -> str:
    """One table row; `+` sets a value where the default applies today, `~` replaces one."""
    symbol = "+" if change.current_source == "default" else "~"
    source = _SOURCE_WORDS.get(change.current_source, change.current_source)
    apply = "**restart** (needs --allow-restart)" if change.apply == "restart" else "immediate"
    cells = (
        symbol,
        escape(change.parameter),
        f"{escape(format_native(change.current, change.unit))}, {escape(source)}",
        escape(format_native(change.desired, change.unit)),
        apply,
    )
    return "| " + " | ".join(cells) + " |"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
