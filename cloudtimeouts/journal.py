"""The apply journal: what was (or may have been) written, on disk before and after each write.

Why: a tool that edits production parameters must be able to say, after a crash, a `kill -9`, a
lost response or a Ctrl-C, exactly what it may have changed, and put it back. Each line is one
JSON object, appended, flushed and fsynced before the write it announces and after its outcome is
known, so the file on disk is never behind the cloud by more than one request. The file is created
mode 0600 (it holds parameter values and target names, never credentials).

Lines (`kind`):
- ``apply``: a run started (time, cloudtimeouts version, pid).
- ``target``: a target is about to be written: its id, the target as the profile declared it, and
  the profile's engine, ``conn_max_age`` and ``margin`` (what `rollback` needs to plan and guard).
- ``write``: one parameter of one target: ``before`` and ``after`` in the native unit, and an
  ``outcome``: ``intent`` (about to be sent), then ``written``, ``not-written`` or ``unknown``.

`rollback` treats a parameter whose last line is ``intent`` (the process died mid-write) like
``unknown``: it may have been written, so it is restored.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cloudtimeouts import __version__
from cloudtimeouts.errors import CloudtimeoutsError
from cloudtimeouts.model import Change

WriteOutcomeWord = Literal["intent", "written", "not-written", "unknown"]
MAY_HAVE_BEEN_WRITTEN = frozenset({"intent", "written", "unknown"})


class JournalError(CloudtimeoutsError):
    """The journal cannot be written or read: apply refuses to write without one."""


def default_path(now: float | None = None) -> Path:
    """A new file under $XDG_STATE_HOME/cloudtimeouts/ (default ~/.local/state/cloudtimeouts/)."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    stamp = datetime.fromtimestamp(time.time() if now is None else now, UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    return Path(state) / "cloudtimeouts" / f"apply-{stamp}-{os.getpid()}.jsonl"


class Journal:
    """An append-only JSON-lines file; every record is on disk when `record` returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.fchmod(self._fd, 0o600)
        except OSError as error:
            raise JournalError(
                f"cannot write the journal {path}: {error.strerror or error}",
                hint="choose another file with --journal PATH",
            ) from None

    def record(self, kind: str, **fields: Any) -> None:
        entry = {"kind": kind, "time": datetime.now(UTC).isoformat(timespec="milliseconds")}
        line = (json.dumps({**entry, **fields}, sort_keys=False) + "\n").encode()
        with self._lock:
            if self._fd < 0:
                return  # closed: a target left behind at its deadline ended after the report
            try:
                os.write(self._fd, line)
                os.fsync(self._fd)
            except OSError as error:
                raise JournalError(f"cannot write the journal {self.path}: {error}") from None

    def started(self) -> None:
        self.record("apply", version=__version__, pid=os.getpid())

    def target(
        self, target_id: str, declared: Mapping[str, Any], profile: Mapping[str, Any]
    ) -> None:
        self.record("target", target=target_id, declared=dict(declared), profile=dict(profile))

    def writes(self, target_id: str, changes: Iterable[Change], outcome: WriteOutcomeWord) -> None:
        """One line per change, all with the same outcome; `before_source` says whether the
        value before was the target's own setting or the default (rollback resets those)."""
        for change in changes:
            self.record(
                "write",
                target=target_id,
                parameter=change.parameter,
                before=change.current,
                before_source=change.current_source,
                after=change.desired,
                unit=change.unit.symbol,
                outcome=outcome,
            )

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class Restorable:
    """One parameter a journal says was, or may have been, written: put `before` back."""

    target_id: str
    declared: Mapping[str, Any]
    profile: Mapping[str, Any]
    parameter: str
    before: str
    before_source: str  # "target" or "default"
    after: str
    unit: str
    outcome: str


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """The journal's records; a torn last line (the process died mid-append) is ignored."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as error:
        raise JournalError(f"cannot read the journal {path}: {error.strerror or error}") from None
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError:
            if number == len(lines):
                return  # a line cut short by a crash: nothing after it was written
            raise JournalError(f"{path}:{number}: not a journal line") from None
        if not isinstance(entry, dict) or "kind" not in entry:
            raise JournalError(f"{path}:{number}: not a journal line")
        yield entry


def restorable(path: Path) -> list[Restorable]:
    """Every parameter whose last recorded outcome says it was or may have been written."""
    targets: dict[str, dict[str, Any]] = {}
    last: dict[tuple[str, str], dict[str, Any]] = {}
    first_before: dict[tuple[str, str], tuple[str, str]] = {}
    for entry in read_entries(path):
        if entry["kind"] == "target":
            targets[entry["target"]] = entry
        elif entry["kind"] == "write":
            key = (entry["target"], entry["parameter"])
            # the value before this run touched it, and whether it was the default
            first_before.setdefault(key, (entry["before"], entry.get("before_source", "target")))
            last[key] = entry
    result = []
    for (target_id, parameter), entry in last.items():
        if entry["outcome"] not in MAY_HAVE_BEEN_WRITTEN or target_id not in targets:
            continue
        result.append(
            Restorable(
                target_id=target_id,
                declared=targets[target_id]["declared"],
                profile=targets[target_id]["profile"],
                parameter=parameter,
                before=first_before[(target_id, parameter)][0],
                before_source=first_before[(target_id, parameter)][1],
                after=entry["after"],
                unit=entry["unit"],
                outcome=entry["outcome"],
            )
        )
    return result
