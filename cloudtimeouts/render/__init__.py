"""Every rendering of every result, chosen by (result, format) from one list of formats.

Why one table: a command's formats are the renderings its result has, so `--output` and
`--format` take their choices from here (`formats`), and `--help` and a wrong value list exactly
the formats that exist for that command; a new rendering is one row and one function, and a
command cannot offer a format nobody draws. The CLI parses, calls the library and hands the
result to `show`; how it looks is decided here.

The table names each renderer by its dotted path and each result type by its class name, so that
this module (read at start-up, for the choices of `--help`) imports neither the results, nor
rich's tables, nor the SVG writer: a renderer's module loads only when its format is chosen.

The renderers (each `(result, Output) -> None`):
- `text`: the plan, the apply report, the live report and `validate`'s verdict, for a terminal;
- `markdown`: the plan for a CI job summary or a pull-request comment;
- `observe`: who holds idle connections (`observe`), as a table and as markdown;
- `explain`: the timeline of `explain`, in the terminal or as an SVG file;
- `json`: a result's `to_json()`, the documents of docs/json.md;
- `generated`: what another tool reads: the Django settings snippet, Terraform HCL;
- `diagnose`: `diagnose`'s incidents, for a terminal or as markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from rich.console import Console


class Format(StrEnum):
    """Every output format of the tool: the words of `--output` and `--format`."""

    table = "table"
    text = "text"
    json = "json"
    markdown = "markdown"
    svg = "svg"
    python = "python"
    dj_database_url = "dj-database-url"
    terraform = "terraform"


_TEXT = "cloudtimeouts.render.text"
_JSON = "cloudtimeouts.render.json:document"
_EXPLAIN = "cloudtimeouts.render.explain"
_GENERATED = "cloudtimeouts.render.generated"

# (result type, format) -> renderer; a result's formats are offered in the order of its rows.
RENDERERS: dict[tuple[str, Format], str] = {
    ("Plan", Format.table): f"{_TEXT}:plan",
    ("Plan", Format.json): _JSON,
    ("Plan", Format.markdown): "cloudtimeouts.render.markdown:plan",
    ("ApplyResult", Format.table): f"{_TEXT}:apply_result",
    ("ApplyResult", Format.json): _JSON,
    ("VerifyReport", Format.table): f"{_TEXT}:verify_report",
    ("VerifyReport", Format.json): _JSON,
    ("ObserveReport", Format.table): "cloudtimeouts.render.observe:table",
    ("ObserveReport", Format.json): _JSON,
    ("ObserveReport", Format.markdown): "cloudtimeouts.render.observe:markdown",
    ("Validation", Format.text): f"{_TEXT}:validation",
    ("Explanation", Format.text): f"{_EXPLAIN}:text",
    ("Explanation", Format.svg): f"{_EXPLAIN}:svg_file",
    ("DjangoSettings", Format.python): f"{_GENERATED}:django_python",
    ("DjangoSettings", Format.dj_database_url): f"{_GENERATED}:django_dj_database_url",
    ("DjangoSettings", Format.json): f"{_GENERATED}:django_json",
    ("TerraformExport", Format.terraform): f"{_GENERATED}:terraform",
    ("Diagnosis", Format.table): "cloudtimeouts.render.diagnose:text",
    ("Diagnosis", Format.json): _JSON,
    ("Diagnosis", Format.markdown): "cloudtimeouts.render.diagnose:markdown",
}


@dataclass(frozen=True, slots=True)
class Output:
    """Where a rendering goes: `out` is stdout (the result itself), `err` is stderr (what a person
    must see but a pipe must not get: progress, refusals, "Wrote FILE"). `source` is the file
    the result was made from, as the user named it; `file` a file to write the rendering to
    instead of stdout, for the formats that make one (explain's SVG)."""

    out: Console
    err: Console
    source: Path | None = None
    file: Path | None = None


def formats(result: str) -> tuple[Format, ...]:
    """The formats the table has for a result type (its class name), in the order of its rows."""
    found = tuple(fmt for kind, fmt in RENDERERS if kind == result)
    if not found:
        raise LookupError(f"no rendering of {result}")
    return found


def renderer(result: object, fmt: Format) -> Callable[[Any, Output], None]:
    """The function that draws `result` in `fmt` (its module imported now)."""
    for kind in type(result).__mro__:
        location = RENDERERS.get((kind.__name__, Format(fmt)))
        if location is not None:
            module, _, name = location.partition(":")
            drawn: Callable[[Any, Output], None] = getattr(import_module(module), name)
            return drawn
    raise LookupError(f"no {fmt} rendering of {type(result).__name__}")


def show(result: object, fmt: Format, output: Output) -> None:
    """Draw `result` in `fmt`: the one way a command's result reaches the user."""
    renderer(result, fmt)(result, output)
