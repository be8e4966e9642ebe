"""`diagnose`'s renderings: each incident, the timeout that closed its connection, the evidence
lines (file:line), whether the profile would have refused it and the fix; in a terminal, or as
markdown for an incident review or a ticket. Log text is outside text: made printable here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from cloudtimeouts.printable import printable
from cloudtimeouts.render.markdown import escape

if TYPE_CHECKING:
    from rich.console import Console

    from cloudtimeouts.diagnose.incidents import Diagnosis, Incident
    from cloudtimeouts.render import Output


def text(diagnosis: Diagnosis, output: Output) -> None:
    diagnosis_text(diagnosis, output.out)


def diagnosis_text(diagnosis: Diagnosis, console: Console) -> None:
    console.print(Text(_assumed(diagnosis)))
    for note in diagnosis.notes:
        console.print(Text(f"note: {printable(note)}", "yellow"))
    if diagnosis.profile_refusals:
        console.print(
            Text(
                f"The profile as it stands is refused by the guard "
                f"({len(diagnosis.profile_refusals)} refusal(s); cloudtimeouts validate shows "
                "them): often why the incidents happened.",
                "yellow",
            )
        )
    console.print()
    for number, incident in enumerate(diagnosis.incidents, 1):
        for line in _incident_lines(number, incident):
            console.print(Text(*line) if isinstance(line, tuple) else Text(line))
        console.print()
    console.print(Text(_summary(diagnosis), "red" if diagnosis.found else "green"))


def markdown(diagnosis: Diagnosis, output: Output) -> None:
    output.out.print(diagnosis_markdown(diagnosis), markup=False, highlight=False, soft_wrap=True)


def diagnosis_markdown(diagnosis: Diagnosis) -> str:
    lines = [
        f"### cloudtimeouts diagnose: {escape(diagnosis.profile)}",
        "",
        escape(_assumed(diagnosis)),
        *(f"> note: {escape(note)}" for note in diagnosis.notes),
    ]
    if diagnosis.profile_refusals:
        lines += [
            "",
            f"> The profile as it stands is refused "
            f"({len(diagnosis.profile_refusals)} refusal(s)).",
        ]
    for number, incident in enumerate(diagnosis.incidents, 1):
        lines += ["", f"#### Incident {number}: {escape(_title(incident))}", ""]
        lines += [f"- {escape(item)}" for item in _facts(incident)]
    lines += ["", f"**{escape(_summary(diagnosis))}**"]
    return "\n".join(lines) + "\n"


def _assumed(diagnosis: Diagnosis) -> str:
    read = sum(int(item.get("lines", 0)) for item in diagnosis.inputs)
    unread = sum(int(item.get("unrecognised", 0)) for item in diagnosis.inputs)
    offset = diagnosis.clock_offset.total_seconds()
    return (
        f"Profile {diagnosis.profile}: {read} log line(s) read ({unread} not recognised); a "
        f"closure counts up to {diagnosis.window.total_seconds():g} s before an error and 2 s "
        f"after; the application's clock assumed {offset:+g} s from the servers'."
    )


def _title(incident: Incident) -> str:
    at = incident.error.at.isoformat() if incident.error.at is not None else "no time"
    return f"{at} {printable(incident.error.detail)}"


def _facts(incident: Incident) -> list[str]:
    facts = []
    if incident.closed_by is not None:
        after = (
            f", {incident.after.total_seconds():g} s before the error"
            if incident.after is not None
            else ""
        )
        facts.append(f"closed by {incident.closed_by} = {incident.value}{after}")
    else:
        facts.append("no cause found in the logs")
    evidence = [line.source for line in incident.lines]
    if incident.cause is not None:
        evidence.append(f"{incident.cause.source} ({printable(incident.cause.detail)})")
    facts.append("evidence: " + ", ".join(printable(item) for item in evidence))
    if incident.refused is not None:
        facts.append(
            "the profile would have refused it"
            if incident.refused
            else "the profile as it stands accepts it"
        )
    facts.append(incident.fix)
    facts += [f"or: {reason}" for reason in incident.otherwise]
    return facts


def _incident_lines(number: int, incident: Incident) -> list[str | tuple[str, str]]:
    style = "red" if incident.refused else "yellow"
    lines: list[str | tuple[str, str]] = [
        (f"Incident {number}: {_title(incident)}", f"bold {style}")
    ]
    lines += [f"  {fact}" for fact in _facts(incident)]
    return lines


def _summary(diagnosis: Diagnosis) -> str:
    if not diagnosis.found:
        return "No incident: no application error about a closed connection in the logs."
    explained = sum(1 for incident in diagnosis.incidents if incident.explained)
    return f"{len(diagnosis.incidents)} incident(s), {explained} explained (exit 3)."
