"""What every command of the command line shares: its two consoles, loading profiles, the
progress bar, where results go, and saying an interrupt once (`cli` and `cli_evidence` both
use them; `cli.main` reads `interruption.said`)."""

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from cloudtimeouts.errors import ExitCode
from cloudtimeouts.render import Output

if TYPE_CHECKING:
    from cloudtimeouts.concurrency import Cancellation
    from cloudtimeouts.profile import Profile

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class _Interruption:
    said = False  # an interrupt was reported: main() does not say "Interrupted." again


interruption = _Interruption()


def load_all(paths: list[Path]) -> "list[Profile]":
    from cloudtimeouts.profile import load_profiles

    return load_profiles(paths)


def progress_bar(message: str, total: int = 0, quiet: bool = False):  # type: ignore[no-untyped-def]
    """A bar (or a spinner) on stderr when a person is watching; silence in pipes and CI."""
    from cloudtimeouts.progress import progress

    return progress(stderr, message, total, quiet=quiet)


def outputs(source: Path | None = None, file: Path | None = None) -> Output:
    """Results on stdout, what a person must see beside them on stderr."""
    return Output(stdout, stderr, source=source, file=file)


def exit_if_interrupted(cancel: "Cancellation", what: str) -> None:
    if cancel.requested.is_set():
        say_interrupted(f"Interrupted: {what}.")


def say_interrupted(message: str | None) -> NoReturn:
    """Exit 130, having said so once (typer turns a bare Ctrl-C into a silent 130)."""
    if message:
        stderr.print(message)
    interruption.said = True
    raise typer.Exit(ExitCode.INTERRUPTED)
