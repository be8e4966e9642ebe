"""The contract every provider adapter fulfils; the data it exchanges lives in `model`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from cloudtimeouts.catalog import Engine
from cloudtimeouts.model import Change, TargetState, WriteOutcome
from cloudtimeouts.profile_targets import Target


class ProviderAdapter(Protocol):
    """Translate between a cloud API and the core's plain data. Nothing more.

    `read` paginates fully and raises a CloudtimeoutsError on any failure: it never returns a
    partial or empty result in place of an error; its state lists every managed parameter the
    target has. `write` performs exactly the changes it is given (already planned and guarded)
    and never diffs. When a write fails it raises `WriteError` naming what the cloud confirmed
    and what may have reached it; any other CloudtimeoutsError means the cloud refused the write
    and applied nothing. A request that is not idempotent is never sent twice.
    """

    def read(self, target: Target, engine: Engine, names: Collection[str]) -> TargetState: ...

    def write(
        self, target: Target, state: TargetState, changes: Sequence[Change]
    ) -> WriteOutcome: ...

    def endpoint(self, target: Target) -> str:
        """The API endpoint(s) a target is reached through, for 'no answer from …' errors."""
        ...

    def expect(self, targets: Sequence[Target]) -> None:
        """Every target of this provider a plan is about to read, before the first read; no I/O.

        An adapter may batch on it (one listing per region or project instead of one call per
        target). What a batch fetched serves only the first read of each target: the re-read
        before a write and the confirming re-read always ask the API.
        """
        ...

    def engine(self, target: Target) -> Engine:
        """The engine a target runs (for `import`); a CloudtimeoutsError when it cannot tell."""
        ...


@dataclass(frozen=True, slots=True)
class LogFile:
    """One server log file of one database instance, its lines streamed as they are read.

    Why a stream: a server log can be gigabytes, fetched in portions; the reader consumes each
    line once. `name` is the cloud's name for the file; empty when the entry only carries a
    note about the instance (gone, paused, nothing written since the start asked for). `lines`
    come in the file's order, each without its line break. `notes` fills while `lines` is read:
    what could not be read and why (a file rotated away mid-download, a portion cut short, the
    time budget spent). Nothing there is fatal: a diagnosis says it and goes on.
    """

    name: str
    instance: str
    lines: Iterable[str]
    notes: list[str] = field(default_factory=list)


class ServerLogs(Protocol):
    """A cloud's server-log fetch: the log files of every database instance a target reaches,
    written since `since`, within `timeout` seconds in all from the first item taken (a spent
    budget ends the stream with a note). Lazy: the files are listed as they are taken, a file's
    lines downloaded as they are read. A failure of the cloud's API (credentials, a missing
    permission, throttling past the retries, no answer) raises a CloudtimeoutsError there, while
    taking a file or while reading its lines; a file or an instance that vanished while being
    read is a note, never an error. Named by `cloud.Cloud.logs`, loaded on first use."""

    def __call__(self, target: Target, since: datetime, *, timeout: float) -> Iterator[LogFile]: ...
