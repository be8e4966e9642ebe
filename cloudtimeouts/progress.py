"""Progress on stderr for a person watching: a bar for a fleet, a spinner for a few targets.

Nothing is drawn when stderr is not a terminal (pipes, CI) or for `--output json`, so stdout
carries only the plan or the report and logs stay clean.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from cloudtimeouts.printable import printable

BAR_FROM = 4  # targets: below this a spinner says enough

Tick = Callable[[Any], None]


@contextlib.contextmanager
def progress(console: Console, message: str, total: int, *, quiet: bool = False) -> Iterator[Tick]:
    """Yield a callable to call with each finished target's result (its `error` is counted).

    `message` is shown through rich markup (the spinner's status and the bar's description are
    parsed as markup): it is made `printable` and markup-escaped first, so that whatever a caller
    puts in it is shown as written.
    """
    message = escape(printable(message))
    if quiet or not console.is_terminal:
        yield lambda result: None
        return
    if total < BAR_FROM:
        with console.status(message):
            yield lambda result: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[errors]} error(s)"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(message, total=total, errors=0)
        errors = 0

        def tick(result: Any) -> None:
            nonlocal errors
            errors += bool(getattr(result, "error", None))
            bar.update(task, advance=1, errors=errors)

        yield tick
