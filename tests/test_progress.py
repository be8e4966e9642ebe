"""The progress bar: drawn on a terminal for a fleet, never in pipes or for JSON."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from cloudtimeouts.progress import progress


def console(terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=100), buffer


def test_a_fleet_gets_a_bar_with_targets_done_and_errors_so_far() -> None:
    screen, buffer = console(terminal=True)
    with progress(screen, "reading targets", 5) as tick:
        for index in range(5):
            tick(SimpleNamespace(error="boom" if index == 2 else None))
    drawn = buffer.getvalue()
    assert "reading targets" in drawn
    assert "5/5" in drawn and "1 error(s)" in drawn


def test_nothing_is_drawn_in_a_pipe_or_for_json() -> None:
    for terminal, quiet in ((False, False), (True, True)):
        screen, buffer = console(terminal)
        with progress(screen, "reading targets", 50, quiet=quiet) as tick:
            tick(SimpleNamespace(error=None))
        assert buffer.getvalue() == ""
