"""What a person reads in a terminal: the plan, the apply report, the live report, `validate`.

The table's entries (`plan`, `apply_result`, `verify_report`, `validation`) take a result and an
`Output`; `plan_text`, `apply_text` and `verify_text` draw on the consoles they are given (apply
shows its plan on stderr when stdout carries the JSON report). Every value from a profile or a
cloud goes through `printable` and into a rich `Text`, so that no markup in it is parsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from cloudtimeouts.catalog import Engine
from cloudtimeouts.durations import format_native
from cloudtimeouts.printable import printable

if TYPE_CHECKING:  # only named: `validate` draws here without loading the plan or the live check
    from cloudtimeouts.live import VerifyReport
    from cloudtimeouts.model import Change
    from cloudtimeouts.plan import Plan, TargetPlan
    from cloudtimeouts.render import Output
    from cloudtimeouts.results import ApplyResult, Validation

_SYMBOLS = {
    "+": "set (the target uses the default today)",
    "~": "update (the target sets another value today)",
}
_TERRAFORM_SYMBOLS = {  # a plan judged from a Terraform plan: what the Terraform code leaves
    "+": "set (the Terraform plan leaves the default)",
    "~": "update (the Terraform plan leaves another value)",
}


def plan(plan: Plan, output: Output) -> None:
    plan_text(plan, output.out)


def apply_result(result: ApplyResult, output: Output) -> None:
    apply_text(result, output.out)


def verify_report(report: VerifyReport, output: Output) -> None:
    verify_text(report, output.out, output.err)


_FINDING_STYLE = {"refused": "red", "note": "yellow"}


def validation(checked: Validation, output: Output) -> None:
    """Each refusal and note on stderr, naming the file; the profile's summary on stdout when the
    guard accepts it."""
    where = output.source if output.source is not None else checked.profile.name
    findings = [(f, "refused") for f in checked.refusals] + [(f, "note") for f in checked.notes]
    for finding, word in findings:
        output.err.print(_text(f"{word}: {where}: {finding.message}", _FINDING_STYLE[word]))
    if checked.ok:
        profile = checked.profile
        count = f"{len(profile.server)} server parameter(s), {len(profile.targets)} target(s)"
        output.out.print(_text(f"{where}: ok ({profile.name}, {profile.engine}, {count})"))


def plan_text(plan: Plan, console: Console) -> None:
    """One block per target, a legend of the symbols in use, a one-line summary at the end."""
    symbols = sorted({_symbol(change) for target in plan.targets for change in target.changes})
    if plan.terraform is not None:
        version = plan.terraform.terraform_version or "unknown version"
        source = plan.terraform
        where = "read from standard input" if source.from_stdin else source.path
        console.print(
            _text(
                f"Judged from the Terraform plan {where} (Terraform {version}), "
                "not read from the clouds: [terraform] marks a value the plan will leave; a "
                "change is a value the profile sets and the Terraform code does not."
            )
        )
        console.print()
    if symbols:
        words = _SYMBOLS if plan.terraform is None else _TERRAFORM_SYMBOLS
        console.print("Symbols: " + "; ".join(f"{s} {words[s]}" for s in symbols))
        console.print()
    for target in plan.targets:
        _target_block(target, console)
    if plan.terraform is not None and plan.terraform.unmatched:
        console.print("Not judged (resources of the Terraform plan that match no target):")
        for address, why in plan.terraform.unmatched:
            console.print(_text(f"  - {address}: {why}"))
        console.print()
    console.print(_summary(plan))


def _target_block(target: TargetPlan, console: Console) -> None:
    version = f", {target.state.version}" if target.state and target.state.version else ""
    console.print(
        _text(f"# {target.id}", style="bold"), _text(f"(profile {target.profile.name}{version})")
    )
    if target.error:
        console.print(_text(f"  error: {target.error}", style="red"))
    for change in target.changes:
        line = _text(f"  {_symbol(change)} {change.parameter}: ", style="yellow")
        current = f"{format_native(change.current, change.unit)} [{change.current_source}]"
        line.append(printable(current))
        line.append(printable(f" -> {format_native(change.desired, change.unit)}"))
        if change.apply == "restart":
            line.append("  # restart required (needs --allow-restart)", style="magenta")
        console.print(line)
    if target.unchanged:
        count = len(target.unchanged)
        console.print(f"  ({count} unchanged parameter{'s' if count > 1 else ''} hidden)")
    if not target.error and not target.changes:
        console.print("  no changes")
    for warning in target.warnings:
        console.print(_text(f"  ! warning: {warning.message}", style="yellow"))
    for refusal in target.refusals:
        console.print(_text(f"  x refused: {refusal.message}", style="red"))
    console.print()


def _text(value: object, style: str = "") -> Text:
    """Outside text as a rich `Text`: its controls escaped (`printable`), and no markup parsed,
    so that a `[red]` or an ESC in a target's name or a cloud's answer is shown as written."""
    return Text(printable(value), style=style)


def _symbol(change: Change) -> str:
    return "+" if change.current_source == "default" else "~"


def _summary(plan: Plan) -> str:
    restart = sum(len(target.restart_changes) for target in plan.targets)
    restart_note = f" ({restart} need a restart)" if restart else ""
    return (
        f"Plan: {plan.change_count} to change{restart_note} on "
        f"{sum(1 for t in plan.targets if t.changes)} of {len(plan.targets)} target(s), "
        f"{plan.refusal_count} refused, {plan.error_count} error(s)."
    )


def apply_text(result: ApplyResult, console: Console) -> None:
    """Per target: what was written, what was not, what is unknown; then the journal's path."""
    for target in result.targets:
        if target.outcome == "unchanged":
            continue
        style = "green" if target.outcome == "applied" else "red"
        console.print(_text(f"# {target.id}: {target.outcome}", style=style))
        if target.written:
            verified = " and verified" if target.outcome == "applied" else ""
            console.print(_text(f"  written{verified}: {', '.join(target.written)}"))
        if target.not_written and target.outcome != "changed-since-plan":
            console.print(_text(f"  not written: {', '.join(target.not_written)}"))
        if target.unknown:
            console.print(
                _text(
                    f"  unknown (the request may have reached the cloud): "
                    f"{', '.join(target.unknown)}",
                    style="yellow",
                )
            )
        if target.pending_restart:
            console.print(
                _text(
                    f"  waiting for a reboot you schedule: {', '.join(target.pending_restart)}",
                    style="magenta",
                )
            )
        for note in target.notes:
            console.print(_text(f"  {note}"))
        if target.error:
            console.print(_text(f"  error: {target.error}", style="red"))
    applied = sum(len(target.written) for target in result.targets)
    unknown = sum(len(target.unknown) for target in result.targets)
    failed = sum(1 for target in result.targets if target.outcome not in ("applied", "unchanged"))
    maybe = f", {unknown} unknown" if unknown else ""
    console.print(f"Apply: {applied} parameter(s) written{maybe}, {failed} target(s) not applied.")
    if result.interrupted:
        console.print(Text("Interrupted: no write started after the stop request.", style="red"))
    if result.journal:
        console.print(_text(f"Journal: {result.journal} (cloudtimeouts rollback {result.journal})"))
    if result.journal_error:
        console.print(
            _text(f"Journal error: {result.journal_error}; no write started after it.", "red")
        )


_VERDICT_STYLE = {
    "ok": "green",
    "refused": "bold red",
    "off": "dim",
    "absent": "dim",
    "unknown": "yellow",
}


def verify_text(report: VerifyReport, out: Console, err: Console) -> None:
    """The table on stdout; drift and refusals, which people must act on, on stderr too."""
    from rich.table import Table

    mysql = report.engine is not Engine.POSTGRES
    cma = "unlimited" if report.conn_max_age is None else f"{report.conn_max_age} s"
    margin = f", margin {report.margin.human()}" if not report.margin.disabled else ""
    out.print(
        _text(f"# {report.endpoint}", style="bold"),
        _text(
            f"({report.engine.value} {report.server_version}; profile {report.profile}: "
            f"CONN_MAX_AGE {cma}{margin})"
        ),
    )
    table = Table(box=None, pad_edge=False, show_edge=False)
    # overflow="fold" on every column: a cell too wide for a narrow terminal wraps, where rich's
    # default ("ellipsis") would cut a parameter's name to `idle_in_transaction_sess…`
    for header in ("parameter", "profile", "live (session)", "source", "global", "guard"):
        if header != "global" or mysql:
            table.add_column(header, overflow="fold")
    for row in report.parameters:
        cells: list[Text | str] = [
            _text(row.name),
            _text(row.profile_text or "-"),
            _text(row.live_text, style="yellow" if row.drift else ""),
            _text(row.source or "-"),
        ]
        if mysql:
            cells.append(_text(row.global_text or "-"))
        cells.append(
            Text(row.verdict, style=_VERDICT_STYLE[row.verdict]) if row.verdict else Text("-")
        )
        table.add_row(*cells)
    if out.is_terminal:
        out.print(table)
    else:  # a pipe or a CI log has no width: keep each parameter on one line there
        Console(file=out.file, width=max(out.width, 160), highlight=False).print(table)
    for warning in report.warnings:
        err.print(_text(f"warning: {warning.message}", style="yellow"))
    for refusal in report.refusals:
        err.print(_text(f"refused: {refusal.message}", style="red"))
    if report.refused:
        out.print(
            Text(
                f"Refused: {len(report.refusals)} live idle timeout(s) can close a connection "
                "Django may still reuse.",
                style="red",
            )
        )
    else:
        drift = (
            f" ({len(report.drift)} parameter(s) differ from the profile)" if report.drift else ""
        )
        out.print(Text(f"OK: every live idle timeout is above CONN_MAX_AGE{drift}.", style="green"))
