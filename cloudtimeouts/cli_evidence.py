"""The commands that read evidence of what the databases do, not what the clouds hold: `verify`
(a live session's timeouts), `observe` (who holds idle connections now) and `diagnose` (which
timeout closed the connections the logs show). Registered on the app by `cli`.

No `from __future__ import annotations` here: typer reads every command's annotations (see cli).
"""

import sys
from typing import Annotated

import typer

from cloudtimeouts.cli_common import load_all, outputs, progress_bar, say_interrupted
from cloudtimeouts.cli_options import (
    ClockOffset,
    DatabaseUrl,
    DiagnoseFormat,
    FromTarget,
    Logs,
    ObserveFormat,
    ProfileArg,
    Since,
    Timeout,
    VerifyFormat,
    Watch,
    Window,
)
from cloudtimeouts.errors import ExitCode
from cloudtimeouts.render import Format, show
from cloudtimeouts.signals import sigterm_as_interrupt


def verify(
    profile: ProfileArg,
    database_url: DatabaseUrl,
    output: Annotated[VerifyFormat, typer.Option("--output", "-o")] = VerifyFormat.table,
) -> None:
    """Read the timeouts the live database applies to a session, and run the guard on them."""
    from cloudtimeouts.live import verify as verify_live

    (loaded,) = load_all([profile])
    with progress_bar("connecting"):
        report = verify_live(loaded, database_url)
    show(report, Format(output), outputs())
    if report.refused:
        raise typer.Exit(ExitCode.REFUSED)


def observe(
    profile: ProfileArg,
    database_url: DatabaseUrl,
    watch: Watch = None,
    output: Annotated[ObserveFormat, typer.Option("--output", "-o")] = ObserveFormat.table,
) -> None:
    """Show who holds idle connections, and for how long, against every budget and timeout."""
    from cloudtimeouts.library import observe as observe_live

    (loaded,) = load_all([profile])
    waiting = f"watching for {watch} (Ctrl-C: report now)" if watch else "connecting"
    with sigterm_as_interrupt(), progress_bar(waiting):
        report = observe_live(loaded, database_url, watch=watch)
    show(report, Format(output), outputs())
    if report.interrupted:
        say_interrupted(f"Interrupted: the report shows what {report.samples} sample(s) saw.")
    if report.refused:
        raise typer.Exit(ExitCode.REFUSED)


def diagnose(
    profile: ProfileArg,
    logs: Logs = None,
    from_target: FromTarget = False,
    since: Since = "24h",
    window: Window = None,
    clock_offset: ClockOffset = "0s",
    timeout: Timeout = 60.0,
    output: Annotated[DiagnoseFormat, typer.Option("--output", "-o")] = DiagnoseFormat.table,
) -> None:
    """Name the timeout that closed the connections the application's errors met, from logs."""
    from cloudtimeouts.library import diagnose as diagnose_logs

    (loaded,) = load_all([profile])
    with progress_bar("reading the logs"):
        found = diagnose_logs(
            loaded,
            logs or (),
            window=window,
            clock_offset=clock_offset,
            stdin=sys.stdin.buffer,
            from_target=from_target,
            since=since,
            timeout=timeout,
        )
    show(found, Format(output), outputs())
    if found.found:
        raise typer.Exit(ExitCode.REFUSED)
