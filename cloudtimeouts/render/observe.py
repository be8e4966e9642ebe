"""`observe`'s report as a terminal table and as markdown (its JSON is `ObserveReport.to_json`).

Why both read the same lines: a holder's row (who, where, how many, in which states, the longest
idle age, the budget it is judged against and the verdict) is what a person acts on, in a
terminal or in a CI job summary; the findings under it say why, in the words of the report
(`ObserveReport.beyond` and `.warnings`), so the three renderings never disagree. Every holder's
name comes from the database (an application_name anyone may set): it goes through `printable`
(text) or `escape` (markdown), never parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cloudtimeouts.live.observe import age_text, who
from cloudtimeouts.printable import printable
from cloudtimeouts.render.markdown import _item, escape

if TYPE_CHECKING:
    from cloudtimeouts.budget import Budget
    from cloudtimeouts.live.observe import HolderGroup, ObserveReport
    from cloudtimeouts.render import Output

COLUMNS = ("holder", "seen on", "connections", "states", "longest idle", "budget", "verdict")
_VERDICT_STYLE = {
    "within": "green",
    "stale": "dim",
    "beyond": "bold red",
    "unknown": "yellow",
    "pooler": "dim",
}
_SIDE = {
    "server": "server",
    "pgbouncer-client": "PgBouncer",
    "pgbouncer-server": "PgBouncer->server",
}


def heading(report: ObserveReport) -> str:
    """`app@db:5432/orders (postgres 16.4; profile orders; 4 samples over 3s, every 1s)`."""
    pooler = f", through {report.pooler}" if report.pooler else ""
    if report.watch is None:
        sampled = "one sample"
    else:
        every = report.interval.human() if report.interval is not None else "?"
        sampled = f"{report.samples} sample(s) over {report.watch.human()}, every {every}"
        if report.interrupted:
            sampled += ", interrupted"
    return (
        f"{report.endpoint} ({report.engine.value} {report.server_version}{pooler}; profile "
        f"{report.profile}; {sampled})"
    )


def budget_words(budget: Budget) -> str:
    """`Django's requests: CONN_MAX_AGE 300 s; in a transaction: CONN_MAX_AGE 300 s`."""
    return f"{who(budget)}: {budget.session_words}; in a transaction: {budget.transaction_words}"


def cells(group: HolderGroup) -> tuple[str, ...]:
    """One holder's row, as plain strings (the text and markdown renderings style them)."""
    states = ", ".join(f"{state} {count}" for state, count in group.states.items())
    longest = age_text(group.longest)
    if group.longest_idle_in_transaction_s is not None and (
        group.longest_idle_s is None or group.longest_idle_in_transaction_s > group.longest_idle_s
    ):
        longest += " (in transaction)"
    budget = "PgBouncer's own" if group.budget is None else who(group.budget)
    return (
        group.holder, _SIDE[group.seen_on], str(group.connections), states, longest, budget,
        group.verdict,
    )  # fmt: skip


def summary(report: ObserveReport) -> str:
    if report.refused:
        beyond = len(report.beyond)
        outside = report.outside_request_cycle
        named = f" (outside the request cycle: {', '.join(outside)})" if outside else ""
        return (
            f"Beyond a budget: {beyond} holder(s) keep connections idle longer than allowed{named}."
        )
    near = f"; {len(report.warnings)} near an idle timeout" if report.warnings else ""
    return f"OK: no holder keeps a connection idle beyond its budget{near}."


def table(report: ObserveReport, output: Output) -> None:
    """The table on stdout; what people must act on (beyond, near a timeout, notes) on stderr
    too, as verify does."""
    out, err = output.out, output.err
    out.print(Text(printable(f"# {heading(report)}"), style="bold"))
    for budget in report.budgets:
        out.print(Text(printable(f"budget {budget_words(budget)}")))
    timeouts = "; ".join(t.words for t in report.timeouts) or "none enabled"
    out.print(Text(printable(f"idle timeouts: {timeouts}")))
    grid = Table(box=None, pad_edge=False, show_edge=False)
    for column in COLUMNS:  # fold, never "…" (rich's default) nor a silent crop (no_wrap)
        grid.add_column(column, overflow="fold")
    for group in report.holders:
        row = [Text(printable(cell)) for cell in cells(group)]
        row[-1].stylize(_VERDICT_STYLE[group.verdict])
        grid.add_row(*row)
    if not report.holders:
        out.print("no connection but observe's own")
    elif out.is_terminal:
        out.print(grid)
    else:  # a pipe or a CI log has no width: keep each holder on one line there
        Console(file=out.file, width=max(out.width, 160), highlight=False).print(grid)
    for note in report.notes:
        err.print(Text(printable(f"note: {note.message}"), style="yellow"))
    for warning in report.warnings:
        err.print(Text(printable(f"warning: {warning.message}"), style="yellow"))
    for finding in report.beyond:
        err.print(Text(printable(f"beyond: {finding.message}"), style="red"))
    out.print(Text(summary(report), style="red" if report.refused else "green"))


def markdown(report: ObserveReport, output: Output) -> None:
    print(observe_markdown(report), end="", file=output.out.file)


def observe_markdown(report: ObserveReport) -> str:
    """A verdict heading, the budgets and timeouts, the holders' table, then the findings."""
    verdict = "beyond a budget" if report.refused else "ok"
    lines = [f"## cloudtimeouts observe: {verdict}", "", escape(heading(report)), ""]
    lines += [_item(f"budget {budget_words(b)}") for b in report.budgets]
    lines += [_item(f"idle timeout {t.words}") for t in report.timeouts]
    lines.append("")
    if report.holders:
        lines += ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        for group in report.holders:
            row = [escape(cell) for cell in cells(group)]
            if group.verdict == "beyond":
                row[-1] = f"**{row[-1]}**"
            lines.append("| " + " | ".join(row) + " |")
    else:
        lines.append("No connection but observe's own.")
    lines.append("")
    for title, findings in (
        ("Beyond a budget", report.beyond),
        ("Near an idle timeout", report.warnings),
        ("Notes", report.notes),
    ):
        if findings:
            lines += [f"**{title}:**", ""] + [_item(f.message) for f in findings] + [""]
    lines.append(escape(summary(report)))
    return "\n".join(lines) + "\n"
