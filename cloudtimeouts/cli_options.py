"""The command line's shared options: one declaration each, used by several commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

Profiles = Annotated[list[Path], typer.Argument(help="Profile YAML files.", show_default=False)]
Targets = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        help="Only this target id (repeatable), e.g. aws:eu-west-1:parameter-group/orders-pg16.",
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class PlanFormat(StrEnum):
    """plan's renderings: markdown is for CI job summaries and pull-request comments."""

    table = "table"
    json = "json"
    markdown = "markdown"


class SnippetFormat(StrEnum):
    python = "python"
    dj_database_url = "dj-database-url"
    json = "json"


class PictureFormat(StrEnum):
    text = "text"
    svg = "svg"


Concurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=1,
        max=64,
        help="Targets read or written at once per account and region, project or "
        "subscription (default 16).",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        help="Seconds any one target may take before it ends with an error (default 60).",
    ),
]


AllowRestart = Annotated[
    bool,
    typer.Option(
        "--allow-restart",
        help="Also write changes that take effect only after a restart (never restarts).",
    ),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
JournalPath = Annotated[
    Path | None,
    typer.Option(
        "--journal",
        help="Append the journal here (default: a new file under $XDG_STATE_HOME/cloudtimeouts/).",
        show_default=False,
    ),
]
