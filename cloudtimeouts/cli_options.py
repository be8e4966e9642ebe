"""The command line's shared options: one declaration each, used by several commands.

Each command's output formats are the renderings its result has in the renderer table
(`cloudtimeouts.render`): `--help` and a wrong value list exactly those.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cloudtimeouts.render import Format, formats


class Group(TyperGroup):
    """Typer's group, with help that shows no value type after a flag, nor a Python type after an
    argument.

    Typer's rich help prints `<bool>` next to `--yes`, `--help` and every other flag, as if they
    took a value; a flag whose metavar is empty shows nothing there. This covers the commands' own
    flags, `--help` and the completion options typer adds, including flags added later. Typer
    0.29 also prints an argument's Python type (`profiles... <list[Path]>`) and wraps a required
    one in braces on the usage line (`{profiles}...`): an argument shows its metavar there
    (`PROFILE...`), as man pages and click do.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        return _without_flag_types(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _without_flag_types([*command.params, command.get_help_option(ctx)])
            if not hasattr(command, "_names_whole"):
                command.format_help = _names_whole(command.format_help)
                command._names_whole = True
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with _names_never_cut():
            super().format_help(ctx, formatter)


def _names_whole(format_help: Any) -> Any:
    def whole(ctx: Any, formatter: Any) -> None:
        with _names_never_cut():
            format_help(ctx, formatter)

    return whole


@contextmanager
def _names_never_cut() -> Iterator[None]:
    """Rich help at 80 columns squeezes the option names' column with the others and cuts a long
    name (`--aws-cluster-paramete…`); its columns other than the value type and the help text
    are kept whole while typer draws the help, and a word longer than the help column folds."""
    try:
        from typer import rich_utils
    except ImportError:  # typer without rich: click's plain help wraps nothing
        yield
        return
    table = getattr(rich_utils, "Table", None)
    if table is None:
        yield
        return

    class Whole(table):  # type: ignore[misc, valid-type]
        def add_row(self, *renderables: Any, **options: Any) -> None:
            super().add_row(*renderables, **options)
            for column in self.columns[:-2]:
                column.no_wrap = True
            help_cell = renderables[-1] if renderables else None
            for text in getattr(help_cell, "renderables", None) or [help_cell]:
                if hasattr(text, "overflow"):  # rich Text: an example id folds, not `orde…`
                    text.overflow = "fold"

    rich_utils.Table = Whole
    try:
        yield
    finally:
        rich_utils.Table = table


def _without_flag_types(params: list[Any]) -> list[Any]:
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif getattr(param, "param_type_name", "") == "argument":
            name = param.metavar or param.name.upper()
            usage = name if param.required else f"[{name}]"
            if param.nargs != 1 and not usage.endswith("..."):
                usage += "..."
            param.display_type_rich = lambda ctx: None  # typer 0.29's `<list[Path]>`
            param._usage_display_name = lambda usage=usage: usage  # typer 0.29's `{profiles}`
    return params


def shown_as_usage_error(error: Exception) -> bool:
    """Click's usage error shown on stderr (its usage line, then the error in words); False for
    any other error. Typer vendors click, so this matches the shape, not a class."""
    if not isinstance(getattr(error, "exit_code", None), int) or not callable(
        getattr(error, "show", None)
    ):
        return False
    option_value_in_words(error)
    error.show(file=sys.stderr)  # type: ignore[attr-defined]
    return True


def option_value_in_words(error: Exception) -> None:
    """A wrong option value said as a command line says it, not in pydantic's words.

    Typer (0.29+) checks option values with pydantic, whose message reaches the user as is
    ("Input should be a valid number, unable to parse string as a number", "Value error, 'xml'
    is not one of 'table', 'json', 'markdown'."). Click's usage error keeps it in `message`, with
    pydantic's ValidationError as its cause: this rewrites the message from that cause.
    """
    cause = error.__cause__
    if not hasattr(error, "message") or not callable(getattr(cause, "errors", None)):
        return
    try:
        items = cause.errors()  # type: ignore[union-attr]
    except Exception:  # not pydantic's after all: leave the message alone
        return
    if items:
        error.message = "; ".join(_in_words(item) for item in items)  # type: ignore[attr-defined]


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "less_than_equal": ("at most", "le"),
    "greater_than": ("more than", "gt"),
    "less_than": ("less than", "lt"),
}


def _in_words(item: Any) -> str:
    from cloudtimeouts.durations import shown

    kind, value, ctx = item.get("type", ""), item.get("input"), item.get("ctx") or {}
    got = value if isinstance(value, str) and _NUMBER.match(value) else shown(value)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{shown(value)} is not a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{shown(value)} is not a number"
    if kind in _BOUNDS:
        words, bound = _BOUNDS[kind]
        limit = ctx.get(bound)
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return f"must be {words} {limit}, got {got}"
    text = str(ctx.get("error", "")) if kind == "value_error" else ""
    choice = re.match(r"^(.*) is not one of (.*?)\.?$", text)
    if choice:
        choices = re.findall(r"'([^']*)'", choice[2])
        return f"{choice[1]} is not one of: {', '.join(choices)}"
    if text:
        return text
    return "expected " + str(item.get("msg", "another value")).removeprefix("Input should be ")


Profiles = Annotated[
    list[Path],
    typer.Argument(metavar="PROFILE...", help="Profile YAML files.", show_default=False),
]
ProfileArg = Annotated[
    Path, typer.Argument(metavar="PROFILE", help="Profile YAML file.", show_default=False)
]
Targets = Annotated[
    list[str] | None,
    typer.Option(
        "--target",
        metavar="ID",
        help="Only this target id (repeatable), e.g. aws:eu-west-1:parameter-group/orders-pg16.",
    ),
]


def _choices(result: str, name: str) -> type[StrEnum]:
    """The formats the renderer table has for `result`, as the choices of one option: typer
    offers an Enum's values, in its order, in `--help` and in the error for a wrong value."""
    return StrEnum(name, [(fmt.name, fmt.value) for fmt in formats(result)])  # type: ignore[misc]


if TYPE_CHECKING:  # to a type checker, each command's choices are Formats
    PlanFormat = ReportFormat = VerifyFormat = PictureFormat = SnippetFormat = Format
    ObserveFormat = DiagnoseFormat = Format
    ExportFormat = Format
else:
    PlanFormat = _choices("Plan", "PlanFormat")  # markdown: CI job summaries and PR comments
    ReportFormat = _choices("ApplyResult", "ReportFormat")  # apply and rollback
    VerifyFormat = _choices("VerifyReport", "VerifyFormat")
    ObserveFormat = _choices("ObserveReport", "ObserveFormat")
    DiagnoseFormat = _choices("Diagnosis", "DiagnoseFormat")
    PictureFormat = _choices("Explanation", "PictureFormat")
    SnippetFormat = _choices("DjangoSettings", "SnippetFormat")
    ExportFormat = _choices("TerraformExport", "ExportFormat")


Concurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        metavar="N",
        min=1,
        max=64,
        help="Targets read or written at once per account and region, project or subscription.",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=1,
        help="Seconds any one target may take before it ends with an error.",
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


def _journal_file(path: Path | None) -> Path | None:
    """A --journal that is not a journal file (a device, a FIFO, a link…) is refused as it is
    parsed: before any profile is read or any cloud called."""
    if path is not None:
        from cloudtimeouts.journal import check_path

        check_path(path)
    return path


JournalPath = Annotated[
    Path | None,
    typer.Option(
        "--journal",
        metavar="FILE",
        help="Append the journal here (default: a new file under $XDG_STATE_HOME/cloudtimeouts/).",
        show_default=False,
        callback=_journal_file,
    ),
]


DatabaseUrl = Annotated[  # verify and observe: the application's URL, or DATABASE_URL
    str,
    typer.Option(
        "--database-url",
        metavar="URL",
        envvar="DATABASE_URL",
        show_envvar=True,
        show_default=False,
        help="postgres://, postgresql://, mysql:// or mariadb:// URL of the live database, "
        "with the application's credentials.",
    ),
]


def _positive(zero: str) -> Callable[[str | None], str | None]:
    """A callback for an option that takes a duration as profiles spell them (`30s`, `5min`),
    above zero: refused as it is parsed, before anything is read; `zero` says what 0 would be."""

    def parse(value: str | None) -> str | None:
        if value is None:
            return None
        from cloudtimeouts.durations import Duration, DurationError

        try:
            parsed = Duration.parse(value)
        except DurationError as error:
            raise typer.BadParameter(str(error)) from None
        if parsed.disabled:
            raise typer.BadParameter(zero)
        return value

    return parse


Watch = Annotated[
    str | None,
    typer.Option(
        "--watch",
        metavar="DURATION",
        callback=_positive("a watch lasts longer than 0s (leave --watch out to look once)"),
        show_default=False,
        help="Sample every second for DURATION (30s, 5min) and report the longest idle age "
        "seen per holder; Ctrl-C reports what was seen.",
    ),
]


# diagnose: the logs, and how the correlation reads time
Logs = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[LOG]...",
        show_default=False,
        help="Application, server, pooler and proxy logs in any mix: files, globs, - for "
        "standard input; gzip accepted.",
    ),
]
FromTarget = Annotated[
    bool,
    typer.Option(
        "--from-target",
        help="Also read the server logs of the profile's targets through their cloud's API "
        "(RDS and Aurora, Cloud SQL, Azure flexible servers).",
    ),
]
Since = Annotated[
    str,
    typer.Option(
        "--since",
        metavar="DURATION",
        callback=_positive("a --since longer than 0s"),
        help="With --from-target: the server log files written in the last DURATION.",
    ),
]


def _clock_offset(value: str) -> str:
    """A duration, "-" first for an application clock behind the servers'."""
    from cloudtimeouts.durations import Duration, DurationError

    try:
        Duration.parse(value.strip().removeprefix("-"))
    except DurationError as error:
        raise typer.BadParameter(str(error)) from None
    return value


Window = Annotated[
    str | None,
    typer.Option(
        "--window",
        metavar="DURATION",
        callback=_positive("a window longer than 0s (leave --window out for the default)"),
        help="How long before an error its cause may be logged (default: the profile's "
        "longest finite budget plus its margin, at least 1min).",
    ),
]
ClockOffset = Annotated[
    str,
    typer.Option(
        "--clock-offset",
        metavar="DURATION",
        callback=_clock_offset,
        help="How far the application's clock is ahead of the servers' (-30s: behind).",
    ),
]


# every command's: what an unexpected error and the SDKs' logs show
ShowTraceback = Annotated[
    bool, typer.Option("--traceback", help="Show the full traceback of unexpected errors.")
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose", help="Also show the cloud SDKs' own log messages (INFO and above) on stderr."
    ),
]
