"""`cloudtimeouts explain`: an `explain.Explanation` drawn as a timeline, in the terminal or as SVG.

Both pictures are the same: one row per Django budget, per timeout (in the order they fire) and
for the server's keepalive, each placed on one log-scaled time axis (`explain.Axis`); a dotted
line marks the end of Django's budget between requests, so whatever fires left of it is what the
guard refuses (unless the pool checks connections on checkout); then what fires first and what
it closes, the hops the keepalives keep open, and the guard's verdict in its own words.

The text is plain rich Text sized to the console's width (no colour in a pipe: rich decides);
the SVG is written by hand with ElementTree (well-formed by construction), one `<g>` per row.
The table's entries: `text` (the terminal) and `svg_file` (the SVG, written to a file).
"""

from __future__ import annotations

import re
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.text import Text

from cloudtimeouts.durations import Duration
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.explain import (
    CLOSES_WORDS,
    STATUS_WORDS,
    BudgetBar,
    Entry,
    Explanation,
    Status,
)
from cloudtimeouts.hops import kinds as hop_kinds
from cloudtimeouts.printable import printable

if TYPE_CHECKING:
    from cloudtimeouts.render import Output

_STYLE = {
    "refused": "bold red",
    "kept open": "cyan",
    "safe": "green",
    "checked": "green",
    "pooler only": "dim",
    "not Django's": "dim",
    "off": "dim",
    "budget": "blue",
    "keepalive": "cyan",
}
_DEFAULT_MARK = "*"
_MIN_CHART = 24  # columns: in a narrower console, long labels wrap onto a second line first


def text(explanation: Explanation, output: Output) -> None:
    """The picture on stdout (a text rendering writes no file: `--write` is for the SVG)."""
    if output.file is not None:
        raise CloudtimeoutsError("--write goes with --output svg")
    explain_text(explanation, output.out)


def svg_file(explanation: Explanation, output: Output) -> None:
    """The picture as SVG, written to `output.file` (default: the profile's file with .svg),
    never over the profile; "Wrote FILE" and the guard's refusals on stderr."""
    source = output.source
    if output.file is not None:
        path = output.file
    elif source is not None:
        path = source.with_suffix(".svg")
    else:
        raise CloudtimeoutsError("an SVG is written to a file", hint="pass --write FILE.svg")
    if source is not None and path.resolve() == source.resolve():
        raise CloudtimeoutsError(f"{path} is the profile itself", hint="pass --write FILE.svg")
    try:
        path.write_text(explain_svg(explanation), encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise CloudtimeoutsError(f"cannot write {path}: {reason}") from None
    output.err.print(Text(printable(f"Wrote {path}")))
    for finding in explanation.refusals:
        where = source if source is not None else explanation.profile
        output.err.print(Text(printable(f"refused: {where}: {finding.message}"), style="red"))


@dataclass(frozen=True, slots=True)
class _Row:
    """One line of the picture, whatever draws it."""

    kind: Literal["budget", "timeout", "keepalive"]
    label: str
    value: str
    start: float  # where the solid part ends (budget: what Django holds; else the marker)
    end: float  # budget: held + margin; else = start
    status: str
    unlimited: bool = False
    entry: Entry | None = None
    budget: BudgetBar | None = None
    tick: float | None = None  # where the budget this timeout must outlast ends
    tick_budget: str = "session"


def _rows(explanation: Explanation) -> list[_Row]:
    axis = explanation.axis
    rows = []
    for bar in explanation.budgets:
        total = bar.total
        rows.append(
            _Row("budget", printable(bar.label), "unlimited" if total is None else _human(total),
                 axis.position(bar.held), axis.position(total), "budget",
                 unlimited=total is None, budget=bar)
        )  # fmt: skip
    if explanation.keepalive is not None:
        where = axis.position(explanation.keepalive)
        rows.append(
            _Row("keepalive", "server tcp_keepalives_idle", _human(explanation.keepalive),
                 where, where, "keepalive")
        )  # fmt: skip
    budgets = {bar.what: bar for bar in explanation.budgets}
    for entry in explanation.entries:
        shown = "0s, used once" if _used_once(entry, explanation) else entry.value.human()
        value = shown + ("" if entry.source == "from the profile" else _DEFAULT_MARK)
        where = axis.position(entry.value)
        bar = budgets[entry.against] if entry.against else None
        tick = None if bar is None or bar.total is None else axis.position(bar.total)
        rows.append(
            _Row("timeout", printable(entry.label), value, where, where,
                 _status(entry, explanation), entry=entry, tick=tick,
                 tick_budget=bar.what if bar else "session")
        )  # fmt: skip
    return rows


def _used_once(entry: Entry, explanation: Explanation) -> bool:
    """A 0 that is not "off": PgBouncer's server_lifetime 0 uses each server connection once
    (hops.HopTimeout.zero; pgbouncer.org/config.html)."""
    if not entry.value.disabled:
        return False
    kinds = {hop.name: hop.kind for hop in explanation.path}
    kind = hop_kinds().get(kinds.get(entry.where, ""))
    timeouts = kind.timeouts if kind is not None else ()
    return any(t.name == entry.name and t.zero == "used once" for t in timeouts)


def _status(entry: Entry, explanation: Explanation) -> Status:
    """The entry's status as shown: a pooler's used-once server connections are not "off"."""
    return "pooler only" if _used_once(entry, explanation) else entry.status


def _human(value: Duration) -> str:
    return "0s" if value.disabled else value.human()


def _sentences(explanation: Explanation) -> list[tuple[str, str]]:
    """(text, style) lines under the picture: budgets, first to fire, keepalives, verdict."""
    lines = []
    for bar in explanation.budgets:
        if bar.total is None:
            lines.append((f"{bar.label}: {bar.words}.", ""))
            continue
        if bar.total.disabled:
            lines.append((f"{bar.label}: {bar.words}: nothing is held idle.", ""))
        elif bar.margin.disabled:
            lines.append((f"{bar.label}: {bar.words}.", ""))
        else:
            margin = f" + margin {bar.margin.human()} = {bar.total.human()}"
            lines.append((f"{bar.label}: {bar.words}{margin}.", ""))
    first, idle = explanation.first, explanation.first_between_requests
    if first is None:
        lines.append(("Nothing fires: every timeout on the path is off or kept open.", ""))
    else:
        lines.append((_fires("Fires first", first), _STYLE[first.status]))
    if idle is not None and idle is not first:
        lines.append((_fires("First between requests", idle), _STYLE[idle.status]))
    kept = explanation.kept_open
    if kept and explanation.keepalive is not None:
        names = ", ".join(f"{e.where} {e.name} ({e.value.human()})" for e in kept)
        lines.append(
            (f"Kept open by the server's TCP keepalives after {explanation.keepalive.human()} "
             f"idle (tcp_keepalives_idle): {names}.", "cyan")
        )  # fmt: skip
    return lines


_HOLLOW = ("kept open", "pooler only")  # statuses whose marker is hollow (○), in both pictures


def _legend(explanation: Explanation) -> tuple[list[str], int]:
    """The statuses in use, the markers and the default mark, in the picture's words; where the
    words start. Every word of the status column and every kind of marker is explained: a reader
    of the SVG alone asked what "budget", "keepalive" and a hollow circle meant (issue 20)."""
    statuses = dict.fromkeys(_status(entry, explanation) for entry in explanation.entries)
    shown = [s for s in statuses if s != "off"]
    words = dict.fromkeys(["budget", *(["keepalive"] if explanation.keepalive else []), *statuses])
    width = max(len(word) for word in [*words, "● ○"])
    lines = [
        f"{'budget':<{width}}  how long Django may hold an idle connection: █ its budget "
        "(CONN_MAX_AGE, the pool's lifetime, a transaction's idle time), ▒ the margin; each bar "
        "starts when the connection goes idle, at the axis' left edge (a log axis has no 0)"
    ]
    if explanation.keepalive:
        lines.append(
            f"{'keepalive':<{width}}  ◆ the server starts TCP keepalives after this long idle; "
            "they keep a load balancer's or a NAT's idle timer from running out"
        )
    lines += [f"{status:<{width}}  {STATUS_WORDS[status]}" for status in statuses]
    if shown:
        filled = [s for s in shown if s not in _HOLLOW]
        hollow = [s for s in shown if s in _HOLLOW]
        said = ([f"● filled: it closes the connection ({', '.join(filled)})"] if filled else []) + (
            [f"○ hollow: it never closes Django's connection ({', '.join(hollow)})"]
            if hollow
            else []
        )
        lines.append(f"{'● ○':<{width}}  where the timeout fires; " + "; ".join(said))
    if any(entry.source != "from the profile" for entry in explanation.entries):
        mark = f"{_DEFAULT_MARK:<{width}}"
        lines.append(f"{mark}  the documented default: the profile does not set it")
    budgets = {bar.what: bar.total for bar in explanation.budgets}
    if any(entry.against and budgets[entry.against] for entry in explanation.entries):
        mark = f"{'┊':<{width}}"
        lines.append(f"{mark}  the end of the budget (+ margin) the timeout must outlast")
    return lines, width + 2


def _fires(what: str, entry: Entry) -> str:
    return (
        f"{what}: {entry.label} after {entry.value.human()}; it closes "
        f"{CLOSES_WORDS[entry.closes]}."
    )


def _verdict(explanation: Explanation) -> tuple[list[str], str]:
    if not explanation.refused:
        return ["Guard: ok, nothing refused."], "green"
    count = len(explanation.refusals)
    head = f"Guard: {count} refused (exit 3):"
    return [head, *(f"x refused: {finding.message}" for finding in explanation.refusals)], "red"


def _prose(explanation: Explanation, width: int) -> list[tuple[str, str]]:
    """Everything under the chart, wrapped to `width` columns: (line, style); "" separates."""
    lines: list[tuple[str, str]] = []

    def add(text: str, style: str, indent: int = 2) -> None:
        wrapped = textwrap.wrap(
            printable(text), width, subsequent_indent=" " * indent, break_on_hyphens=False
        )
        lines.extend((line, style) for line in wrapped)

    for text, style in _sentences(explanation):
        add(text, style)
    lines.append(("", ""))
    legend, column = _legend(explanation)
    for text in legend:
        add(text, "dim", column)
    lines.append(("", ""))
    verdict, style = _verdict(explanation)
    for text in verdict:
        add(text, style)
    return lines


def _header(explanation: Explanation) -> tuple[str, str]:
    title = (
        f"Profile {explanation.profile} ({explanation.engine.value}): what closes an idle "
        "connection, and when (log time axis)"
    )
    hops = [
        f"{hop.name} ({hop.kind}{', ' + hop.provider if hop.provider else ''})"
        for hop in explanation.path
    ]
    path = " → ".join(["Django", *hops, f"server ({explanation.engine.value})"])
    return printable(title), printable(f"Path: {path}")  # hop names are the profile's words


# --- text -------------------------------------------------------------------------------------


def explain_text(explanation: Explanation, console: Console) -> None:
    """The timeline, sized to the console's width; a pipe gets no colour (rich's choice)."""
    rows = _rows(explanation)
    width = max(console.width, 60)
    value_w = max(len(row.value) for row in rows)
    status_w = max(len(row.status) for row in rows)
    label_w = max(len(row.label) for row in rows)
    label_w = max(min(label_w, width - value_w - status_w - 6 - _MIN_CHART), 12)
    chart_w = max(width - label_w - value_w - status_w - 6, 8)
    title, path = _header(explanation)
    for text, style in ((title, "bold"), (path, "")):
        for line in textwrap.wrap(text, width, subsequent_indent="  "):
            _whole(console, Text(line, style=style))
    console.print()
    indent = Text(" " * (label_w + value_w + 4))
    labels, ruler = _axis_lines(explanation, chart_w)
    _whole(console, indent + labels)
    _whole(console, indent + ruler)
    for row in rows:
        first, *rest = _wrap_label(row.label, label_w)
        line = Text(f"{first:<{label_w}}  {row.value:<{value_w}}  ")
        line += _chart(row, chart_w)
        line += Text("  " + row.status, style=_STYLE.get(row.status, ""))
        line.rstrip()
        _whole(console, line)
        for more in rest:  # the rest of a long name, under its start: wrapped, never cut
            _whole(console, Text(more))
    console.print()
    for text, style in _prose(explanation, width):
        _whole(console, Text(text, style=style))


def _whole(console: Console, line: Text) -> None:
    """One line as laid out: never wrapped by rich, and never cut either.

    The layout above already fits the console's width; a line that still does not (a console
    narrower than a value and a status side by side) is printed whole. rich's defaults would
    crop it, or end it with "…", which cut names in a pipe (80 columns: issue 20).
    """
    console.print(line, no_wrap=True, overflow="ignore", crop=False)


def _wrap_label(label: str, width: int) -> list[str]:
    """A row's name in `width` columns, its continuation lines indented by two.

    Parameter names are long words (`idle_in_transaction_session_timeout`): they break after an
    underscore or a space, whole pieces where they fit; only a piece wider than a line is folded.
    """
    lines: list[str] = []
    line = ""
    for piece in re.split(r"(?<=[ _])", label):
        room = width - (2 if lines else 0)
        if line and len(line + piece.rstrip()) > room:
            lines.append(line.rstrip())
            line = ""
        while len(piece) > width - 2:  # wider than any line: fold it
            cut = (width - (2 if lines else 0)) - len(line)
            lines.append(line + piece[:cut])
            line, piece = "", piece[cut:]
        line += piece
    lines.append(line.rstrip())
    return [lines[0], *("  " + more for more in lines[1:])]


def _cell(position: float, width: int) -> int:
    return round(position * (width - 1))


def _axis_lines(explanation: Explanation, width: int) -> tuple[Text, Text]:
    """Tick labels that fit without touching, and the ruler under them."""
    labels = [" "] * width
    ruler = ["─"] * width
    taken = -2
    for tick in explanation.axis.ticks:
        cell = _cell(explanation.axis.position(tick), width)
        ruler[cell] = "┼"
        name = tick.human()
        start = min(max(cell - len(name) // 2, 0), width - len(name))
        if start > taken + 1:
            labels[start : start + len(name)] = list(name)
            taken = start + len(name) - 1
    ruler[0], ruler[-1] = "├", "┤"
    return Text("".join(labels).rstrip()), Text("".join(ruler), style="dim")


def _chart(row: _Row, width: int) -> Text:
    start, end = _cell(row.start, width), _cell(row.end, width)
    chart = Text()
    if row.kind == "budget":
        bar = row.budget
        held = bar is not None and bar.held is not None and not bar.held.disabled
        solid = max(start, 1) if held else 0
        chart.append("█" * solid, style="blue")
        if bar is not None and not bar.margin.disabled:
            chart.append("▒" * max(end + 1 - solid, 1), style="blue")
        if row.unlimited:
            chart = Text("█" * (width - 1) + "→", style="blue")
    elif row.status != "off":
        line, mark = {"keepalive": ("╌", "◆"), "kept open": ("┄", "○"),
                      "pooler only": ("─", "○")}.get(row.status, ("─", "●"))  # fmt: skip
        chart.append(line * start, style="dim" if row.status != "refused" else "red")
        chart.append(mark, style=_STYLE.get(row.status, ""))
    tick = None if row.tick is None else _cell(row.tick, width)
    if tick is not None and tick >= len(chart):  # past the marker: the budget it must outlast
        style = "blue" if row.tick_budget == "session" else "magenta"
        chart.append(" " * (tick - len(chart)) + "┊", style=style)
    chart.append(" " * (width - len(chart)))
    return chart


# --- SVG --------------------------------------------------------------------------------------

_SVG = "http://www.w3.org/2000/svg"
_FONT = 13
_CHAR = 7.83  # DejaVu Sans Mono / Menlo at 13 px: 0.6 em per character
_PAD = 20
_ROW = 26
_CHART_W = 520
_COLOUR = {
    "refused": "#c62828",
    "kept open": "#00838f",
    "safe": "#2e7d32",
    "checked": "#558b2f",
    "pooler only": "#757575",
    "off": "#9e9e9e",
    "budget": "#1565c0",
    "margin": "#90caf9",
    "transaction": "#6a1b9a",
    "transaction margin": "#ce93d8",
    "keepalive": "#00838f",
    "grid": "#e0e0e0",
    "text": "#212121",
}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"  # serialised as xml:space
_FOOTER_COLOUR = {"red": "#c62828", "green": "#2e7d32", "cyan": "#00838f", "dim": "#616161"}


def explain_svg(explanation: Explanation) -> str:
    """The same picture as an SVG document: one `<g class="timeout">` per timeout, labelled."""
    rows = _rows(explanation)
    label_x = _PAD
    value_x = label_x + max(len(row.label) for row in rows) * _CHAR + 16
    x0 = value_x + max(len(row.value) for row in rows) * _CHAR + 16
    x1 = x0 + _CHART_W
    status_x = x1 + 24
    width = status_x + max(len(row.status) for row in rows) * _CHAR + _PAD
    wrap = int((width - 2 * _PAD) / _CHAR)
    title, path = _header(explanation)
    footer = _prose(explanation, wrap)
    axis_y = 106
    top = axis_y + 22
    bottom = top + len(rows) * _ROW
    height = bottom + 16 + len(footer) * 18 + _PAD

    svg = ET.Element(
        "svg",
        xmlns=_SVG,
        width=_n(width),
        height=_n(height),
        viewBox=f"0 0 {_n(width)} {_n(height)}",
        fill=_COLOUR["text"],
        style=f"font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: {_FONT}px",
    )
    _el(svg, "title", title)
    _el(svg, "rect", width="100%", height="100%", fill="white")
    _el(svg, "text", title, x=label_x, y=30, style="font-weight: bold; font-size: 15px")
    _el(svg, "text", path, x=label_x, y=54)
    _el(svg, "text", "time since the connection went idle (log scale)", x=x0, y=axis_y - 24,
        fill="#616161")  # fmt: skip
    axis = _el(svg, "g", **{"class": "axis"})
    for tick in explanation.axis.ticks:
        x = x0 + explanation.axis.position(tick) * _CHART_W
        _el(axis, "line", x1=x, y1=axis_y, x2=x, y2=bottom, stroke=_COLOUR["grid"])
        _el(axis, "text", tick.human(), x=x, y=axis_y - 6, fill="#616161",
            **{"text-anchor": "middle"})  # fmt: skip
    _el(axis, "line", x1=x0, y1=axis_y, x2=x1, y2=axis_y, stroke="#9e9e9e")
    for index, row in enumerate(rows):
        _row(svg, row, top + index * _ROW + _ROW / 2, (label_x, value_x, x0, status_x))
    notes = _el(svg, "g", **{"class": "notes"})
    for index, (line, style) in enumerate(footer):
        colour = _FOOTER_COLOUR.get(style.split()[-1] if style else "", _COLOUR["text"])
        if line:
            _el(notes, "text", line, x=label_x, y=bottom + 28 + index * 18, fill=colour,
                **{_XML_SPACE: "preserve"})  # fmt: skip
    ET.indent(svg)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(svg, encoding="unicode") + "\n"


def _row(svg: ET.Element, row: _Row, y: float, columns: tuple[float, ...]) -> None:
    label_x, value_x, x0, status_x = columns
    group = _el(svg, "g", **{"class": row.kind, "data-status": row.status})
    if row.entry is not None:
        group.set("data-key", row.entry.key)
    _el(group, "title", _tooltip(row))
    if row.tick is not None:  # the end of the budget this timeout must outlast
        x = x0 + row.tick * _CHART_W
        colour = _COLOUR["budget" if row.tick_budget == "session" else "transaction"]
        _el(group, "line", x1=x, y1=y - _ROW / 2, x2=x, y2=y + _ROW / 2, stroke=colour,
            **{"stroke-dasharray": "3 3", "class": "budget-tick"})  # fmt: skip
    colour = _COLOUR.get(row.status, _COLOUR["text"])
    _el(group, "text", row.label, x=label_x, y=y + 4)
    _el(group, "text", row.value, x=value_x, y=y + 4)
    start, end = x0 + row.start * _CHART_W, x0 + row.end * _CHART_W
    if row.kind == "budget":
        solid, light = ("budget", "margin") if row.label.endswith("requests") else (
            "transaction", "transaction margin")  # fmt: skip
        if row.unlimited:
            end = start = x0 + _CHART_W
            _el(group, "polygon", points=_points((end, y - 9), (end + 12, y), (end, y + 9)),
                fill=_COLOUR[solid])  # fmt: skip
        _el(group, "rect", x=x0, y=y - 7, width=max(start - x0, 2), height=14, fill=_COLOUR[solid])
        if end > start:
            _el(group, "rect", x=start, y=y - 7, width=end - start, height=14, fill=_COLOUR[light])
        colour = _COLOUR[solid]
    elif row.status == "off":
        pass  # never fires: nothing on the axis, as in the text
    elif row.kind == "keepalive":
        _el(group, "line", x1=x0, y1=y, x2=start, y2=y, stroke=colour,
            **{"stroke-dasharray": "2 3"})  # fmt: skip
        _el(group, "polygon", points=_points((start, y - 6), (start + 6, y), (start, y + 6),
                                             (start - 6, y)), fill=colour)  # fmt: skip
    else:
        dashed = {"stroke-dasharray": "4 3"} if row.status == "kept open" else {}
        _el(group, "line", x1=x0, y1=y, x2=start, y2=y, stroke=colour,
            **{"stroke-width": "2", **dashed})  # fmt: skip
        hollow = row.status in _HOLLOW
        _el(group, "circle", cx=start, cy=y, r=5, fill="white" if hollow else colour,
            stroke=colour, **{"stroke-width": "2"})  # fmt: skip
    _el(group, "text", row.status, x=status_x, y=y + 4, fill=colour)


def _tooltip(row: _Row) -> str:
    if row.budget is not None:
        return f"{row.label}: {row.budget.words}, margin {row.budget.margin.human()}"
    if row.entry is None:
        return f"{row.label} = {row.value}: the server sends TCP keepalives on an idle connection"
    entry = row.entry
    words = (
        f"{entry.label} = {entry.value.human()} ({entry.source}): closes "
        f"{CLOSES_WORDS[entry.closes]}; {row.status}: {STATUS_WORDS[row.status]}"
    )
    return words + (f". {entry.finding.message}" if entry.finding else "")


def _el(parent: ET.Element, tag: str, text: str | None = None, **attributes: object) -> ET.Element:
    """An SVG element; its text and attributes `printable`: XML 1.0 cannot hold most controls
    (ElementTree would write a document no reader accepts), and a viewer must not show a
    newline or a bidi override from a profile as anything but an escape."""
    element = ET.SubElement(parent, tag, {k: printable(_n(v)) for k, v in attributes.items()})
    element.text = None if text is None else printable(text)
    return element


def _n(value: object) -> str:
    """Numbers as SVG wants them: short, no trailing zeros."""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _points(*points: tuple[float, float]) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
