"""The apply journal: what was (or may have been) written, on disk before and after each write.

Why: a tool that edits production parameters must be able to say, after a crash, a `kill -9`, a
lost response or a Ctrl-C, exactly what it may have changed, and put it back. Each line is one
JSON object, appended, flushed and fsynced before the write it announces and after its outcome is
known, so the file on disk is never behind the cloud by more than one request. The file is created
mode 0600 (it holds parameter values and target names, never credentials).

`--journal PATH` may name only a regular file: a new one (created 0600, `O_EXCL`), or an earlier
journal, appended to with its mode left as its owner set it. A symbolic link, a device
(`/dev/null`), a FIFO, a socket or a directory is refused before anything is opened for writing,
and again after opening (`fstat`), so that running as root can never change the mode of, block on
or write into something that is not a journal. An existing file that is not a journal is refused
too: apply appends JSON lines only where they belong.

A journal that cannot be written mid-apply (disk full, file size limit, I/O error, the file
removed or replaced by another) is marked broken: no further line is appended (a line cut short is
truncated away where the file system allows it, else it stays the last one, which `read_entries`
tolerates), and every later `record` raises, so that no write starts without its intent on disk.
An earlier journal whose last line a crash cut short gets a line break before the new run's lines,
and `read_entries` skips such a line where a new run starts after it.

Lines (`kind`):
- ``apply``: a run started (time, cloudtimeouts version, pid).
- ``target``: a target is about to be written: its id, the target as the profile declared it, and
  the whole profile as applied but its targets (`profile_record`: django with its pool, guard,
  server, path), so that `rollback` plans and guards the restore under the same profile. Journals
  of earlier versions hold only ``name``, ``engine``, ``conn_max_age`` and ``margin``; `rollback`
  still reads them.
- ``write``: one parameter of one target: ``before`` and ``after`` in the native unit, and an
  ``outcome``: ``intent`` (about to be sent), then ``written``, ``not-written`` or ``unknown``.

`rollback` treats a parameter whose last line is ``intent`` (the process died mid-write) like
``unknown``: it may have been written, so it is restored.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
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
from cloudtimeouts.profile import Profile

WriteOutcomeWord = Literal["intent", "written", "not-written", "unknown"]
MAY_HAVE_BEEN_WRITTEN = frozenset({"intent", "written", "unknown"})
_HINT = "choose a new file, or the journal of an earlier apply, with --journal PATH"
_FIRST_LINE_BYTES = 4096  # an apply line is about 100 bytes
_LINE_START = b'{"kind": "'  # how every line `record` writes begins


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
        self._broken: str | None = None  # why the journal can no longer be written
        self._fd = _open(path)

    def record(self, kind: str, **fields: Any) -> None:
        entry = {"kind": kind, "time": datetime.now(UTC).isoformat(timespec="milliseconds")}
        line = (json.dumps({**entry, **fields}, sort_keys=False) + "\n").encode()
        with self._lock:
            if self._broken is not None:
                raise JournalError(self._broken)
            if self._fd < 0:
                return  # closed: a target left behind at its deadline ended after the report
            start = -1
            try:
                start = os.fstat(self._fd).st_size  # O_APPEND: where this line begins
                rest = memoryview(line)
                while rest:  # a write cut short (a size limit reached) is retried: then it fails
                    rest = rest[os.write(self._fd, rest) :]
                os.fsync(self._fd)
                gone = _elsewhere(self.path, self._fd)
            except OSError as error:
                if start >= 0:  # no torn line left behind, where the file system allows it
                    with contextlib.suppress(OSError):
                        os.ftruncate(self._fd, start)
                gone = error.strerror or str(error)
            if gone:
                self._broken = f"cannot write the journal {self.path}: {gone}"
                raise JournalError(self._broken)

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


def profile_record(profile: Profile) -> dict[str, Any]:
    """The profile as applied, but its targets: what `rollback` rebuilds its profile from.

    The same keys and words as a profile file (durations in words), so that the profile loader
    reads it back; `conn_max_age` is always present (`unlimited` for Django's None)."""
    record = profile.model_dump(mode="json", exclude={"targets"}, exclude_none=True)
    if profile.django.conn_max_age is None:
        record["django"]["conn_max_age"] = "unlimited"
    return record


def check_path(path: Path) -> None:
    """Refuse, before anything is read or written, a --journal that is not a journal file."""
    why = _not_a_journal(path)
    if why:
        raise JournalError(f"cannot write the journal {path}: {why}", hint=_HINT)


def _open(path: Path) -> int:
    """A new journal (0600), or an earlier one to append to; never anything else (see above)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)  # never follows a link
            created = True
        except FileExistsError:
            check_path(path)  # refused here: a device or a FIFO is never opened
            fd, created = os.open(path, (flags & ~os.O_WRONLY) | os.O_RDWR), False
    except OSError as error:
        raise JournalError(
            f"cannot write the journal {path}: {error.strerror or error}", hint=_HINT
        ) from None
    why = _kind(os.fstat(fd).st_mode) or (None if created else _foreign(fd))
    if why:  # replaced between the check and the open
        os.close(fd)
        raise JournalError(f"cannot write the journal {path}: {why}", hint=_HINT)
    if created:
        os.fchmod(fd, 0o600)  # ours: 0600 whatever the umask; another file keeps its mode
    os.set_blocking(fd, True)
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":  # torn by a crash: our lines start anew
        try:
            os.write(fd, b"\n")
        except OSError as error:
            os.close(fd)
            raise JournalError(
                f"cannot write the journal {path}: {error.strerror or error}", hint=_HINT
            ) from None
    return fd


def _elsewhere(path: Path, fd: int) -> str | None:
    """Why the lines written to `fd` can no longer be found at `path` (removed, or replaced by
    another file): rollback reads the path, so such a journal is one that failed."""
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return "it was removed during the apply"
    ours = os.fstat(fd)
    if (named.st_dev, named.st_ino) != (ours.st_dev, ours.st_ino):
        return "it was replaced by another file during the apply"
    return None


def _not_a_journal(path: Path) -> str | None:
    try:
        kind = _kind(os.lstat(path).st_mode)
    except FileNotFoundError:
        return None  # created by apply
    except OSError as error:
        return error.strerror or str(error)
    if kind:
        return kind
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        return error.strerror or str(error)
    try:
        return _kind(os.fstat(fd).st_mode) or _foreign(fd)
    finally:
        os.close(fd)


def _kind(mode: int) -> str | None:
    """Why a file of this type cannot be a journal; None for a regular file."""
    for test, words in (
        (stat.S_ISLNK, "a symbolic link (name the file itself)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return f"it is {words}, not a regular file"
    return None if stat.S_ISREG(mode) else "it is not a regular file"


def _foreign(fd: int) -> str | None:
    """Why a non-empty existing file is not a journal (its first line is not an apply line)."""
    head = os.pread(fd, _FIRST_LINE_BYTES, 0)
    if not head:
        return None
    try:
        first = json.loads(head.split(b"\n", 1)[0])
    except ValueError:
        first = None
    if isinstance(first, dict) and first.get("kind") == "apply":
        return None
    return "it is not a cloudtimeouts journal, and apply appends only to a journal"


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
            if line.startswith(_LINE_START) and _starts_a_run(lines[number]):
                continue  # one of ours cut short too; a later apply appended its run after it
            raise JournalError(f"{path}:{number}: not a journal line") from None
        if not isinstance(entry, dict) or "kind" not in entry:
            raise JournalError(f"{path}:{number}: not a journal line")
        yield entry


def _starts_a_run(line: bytes) -> bool:
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return isinstance(entry, dict) and entry.get("kind") == "apply"


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
