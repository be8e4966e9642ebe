"""Signals on the command line: Ctrl-C and SIGTERM stop work honestly instead of killing it.

Python runs signal handlers on the main thread only, so these install handlers there and leave
other threads (tests calling the CLI in-process from a worker, for instance) untouched.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a command reads or writes, not when the CLI starts
    from rich.console import Console

    from cloudtimeouts.concurrency import Cancellation


STOPPING = {  # what the first signal does, in the words of what is running
    "write": "Stopping: no new write will start; waiting for writes in flight "
    "(press Ctrl-C again to stop waiting).",
    # plan (and apply's reading before it asks) writes nothing: saying "writes in flight" there
    # made a reader wonder what plan had been writing (issue 20)
    "read": "Stopping: no new target will be read, and nothing is written; waiting for the "
    "reads in flight (press Ctrl-C again to stop waiting).",
}


@contextlib.contextmanager
def stoppable(console: Console, doing: str = "write") -> Iterator[Cancellation]:
    """While reading or writing, Ctrl-C and SIGTERM stop new work instead of killing the run.

    The first signal lets no new target start (writes in flight finish or are reported as
    unknown; reads in flight finish or fail); a second one stops waiting for them. `doing` is
    "read" or "write": what the first signal's line says is stopping.
    """
    from cloudtimeouts.concurrency import Cancellation

    cancel = Cancellation()
    if threading.current_thread() is not threading.main_thread():
        yield cancel
        return

    def stop(signum: int, frame: object) -> None:
        again = cancel.requested.is_set()
        cancel.request()
        console.print("Stopping now: waiting for nothing more." if again else STOPPING[doing])

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield cancel
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the emulators stop and their files are removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
