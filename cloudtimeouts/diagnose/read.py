"""Reading logs into evidence: files, globs, standard input and downloaded text, in one pass.

Why it reads blocks, not lines: a log worth diagnosing is often gigabytes of requests and jobs
with a handful of lines that matter. Each input is read in blocks of `BLOCK` bytes; the
keywords every format needs (`formats.KEYWORDS`) are looked for in the raw bytes with
`bytes.find`; only a line that holds one is decoded (UTF-8, errors replaced) and handed to the
readers, the database side's first (`formats_server.server`), then the application's
(`formats_app`). Lines are counted with `bytes.count`. Memory holds one block, the tail of the
one before (`CONTEXT`, for a traceback's look back), and whatever evidence the caller keeps:
it grows with the evidence, not with the file (issue 19, item 5).

The rules:
- An input is a path, a glob (expanded and sorted; one that matches nothing is an error naming
  it), or `-` for standard input. Gzip is recognised by its magic bytes (1f 8b, RFC 1952), not
  by a name, and may hold several members (as `cat a.gz b.gz` makes).
- A line no format reads is counted (`InputCounts.unrecognised`), never an error. A file that
  cannot be opened or read, or a broken gzip stream, is a `LogError` naming it.
- A line longer than `MAX_LINE` bytes is read in pieces of that size (each counted as a line),
  so that one endless line cannot hold the whole file in memory.
- Evidence is yielded in the order of the inputs and, within one, of its lines. `source` is
  `path:line` (`-:line` for standard input, `name:line` for `read_lines`).
"""

from __future__ import annotations

import glob
import os
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import BinaryIO, Final

from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose import formats as fm
from cloudtimeouts.diagnose import formats_app as fa
from cloudtimeouts.diagnose import formats_server as fs
from cloudtimeouts.errors import LogError

BLOCK: Final = 4 << 20
CONTEXT: Final = 64 << 10
MAX_LINE: Final = 1 << 20
GZIP_MAGIC: Final = b"\x1f\x8b"
STDIN: Final = "-"


@dataclass
class InputCounts:
    """What one input held: its lines, those a format read, by format. Complete once the
    evidence has been read to its end."""

    name: str
    lines: int = 0
    recognised: int = 0
    by_format: Counter[str] = field(default_factory=Counter)

    @property
    def unrecognised(self) -> int:
        return self.lines - self.recognised


class LogRead:
    """The evidence of a set of inputs, read once as it is iterated, and their counts."""

    def __init__(
        self, inputs: Sequence[tuple[str, Callable[[], Iterator[bytes]]]], assumed: tzinfo
    ):
        self.counts: tuple[InputCounts, ...] = tuple(InputCounts(name) for name, _ in inputs)
        self._inputs = inputs
        self._assumed = assumed
        self.evidence: Iterator[ev.Evidence] = self._read()

    def __iter__(self) -> Iterator[ev.Evidence]:
        return self.evidence

    def _read(self) -> Iterator[ev.Evidence]:
        for counts, (_, blocks) in zip(self.counts, self._inputs, strict=True):
            yield from _Scanner(counts, self._assumed).scan(blocks())

    @property
    def lines(self) -> int:
        return sum(c.lines for c in self.counts)

    @property
    def recognised(self) -> int:
        return sum(c.recognised for c in self.counts)

    @property
    def unrecognised(self) -> int:
        return sum(c.unrecognised for c in self.counts)


def read_logs(
    inputs: Sequence[str], stdin: BinaryIO | None = None, *, assumed: tzinfo = fm.UTC
) -> LogRead:
    """The evidence in these files, globs and `-` (standard input, or `stdin`).

    Inputs are checked now (a glob that matches nothing, a file that is missing or cannot be
    read: `LogError`), read later, as the evidence is iterated. `assumed` is the zone of a time
    written without one."""
    sources: list[tuple[str, Callable[[], Iterator[bytes]]]] = []
    for given in inputs:
        if given == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            sources.append((STDIN, lambda s=stream: _stream_blocks(STDIN, s)))
            continue
        paths = sorted(glob.glob(given)) if glob.has_magic(given) else [given]
        if not paths:
            raise LogError(f"no log file matches {given!r}")
        for path in paths:
            _check(path)
            sources.append((path, lambda p=path: _file_blocks(p)))
    return LogRead(sources, assumed)


def read_lines(name: str, lines: Iterable[str], *, assumed: tzinfo = fm.UTC) -> LogRead:
    """The evidence in text already in memory or arriving in pieces (a log downloaded from a
    cloud API), read by the same readers; `source` is `name:line`."""
    return LogRead([(name, lambda: _text_blocks(lines))], assumed)


def _check(path: str) -> None:
    if os.path.isdir(path):
        raise LogError(f"cannot read log {path}: it is a directory")
    if not os.path.exists(path):
        raise LogError(f"cannot read log {path}: no such file")
    if not os.access(path, os.R_OK):
        raise LogError(f"cannot read log {path}: permission denied")


def _file_blocks(path: str) -> Iterator[bytes]:
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed below, after the generator's last block)
    except OSError as error:
        raise LogError(f"cannot read log {path}: {error.strerror or error}") from error
    with stream:
        yield from _stream_blocks(path, stream)


def _stream_blocks(name: str, stream: BinaryIO) -> Iterator[bytes]:
    """The raw blocks of a stream, gunzipped when it starts with gzip's magic bytes."""
    try:
        first = stream.read(BLOCK)
        if first[:2] == GZIP_MAGIC:
            yield from _gunzip(name, first, stream)
            return
        while first:
            yield first
            first = stream.read(BLOCK)
    except OSError as error:
        raise LogError(f"cannot read log {name}: {error.strerror or error}") from error


def _gunzip(name: str, first: bytes, stream: BinaryIO) -> Iterator[bytes]:
    """Decompressed blocks of at most BLOCK bytes, member after member (RFC 1952, 2.2: a gzip
    file is a series of members). Bytes after the last member that do not start another are
    ignored, as `gzip -d` does; data that ends inside a member is an error (truncated)."""
    inflate = zlib.decompressobj(wbits=31)
    pending, fed = first, False
    try:
        while pending:
            while pending:
                out = inflate.decompress(pending, BLOCK)
                fed = True
                if out:
                    yield out
                pending = inflate.unconsumed_tail
                if inflate.eof:  # what follows the member is all in unused_data
                    rest = inflate.unused_data
                    if 0 < len(rest) < len(GZIP_MAGIC):
                        rest += stream.read(BLOCK)
                    if rest and rest[:2] != GZIP_MAGIC:
                        return  # trailing bytes that are not a member
                    inflate, pending, fed = zlib.decompressobj(wbits=31), rest, False
            pending = stream.read(BLOCK)
    except zlib.error as error:
        raise LogError(f"cannot read log {name}: broken gzip data ({error})") from error
    if fed and not inflate.eof:
        raise LogError(f"cannot read log {name}: the gzip data ends early (truncated)")


def _text_blocks(lines: Iterable[str]) -> Iterator[bytes]:
    batch: list[str] = []
    size = 0
    for line in lines:
        text = line[:-1] if line.endswith("\n") else line
        batch.append(text)
        size += len(text) + 1
        if size >= BLOCK:
            yield ("\n".join(batch) + "\n").encode("utf-8", "replace")
            batch, size = [], 0
    if batch:
        yield ("\n".join(batch) + "\n").encode("utf-8", "replace")


class _Scanner:
    """One input's pass: whole lines out of raw blocks, the prefilter, the readers."""

    def __init__(self, counts: InputCounts, assumed: tzinfo) -> None:
        self.counts = counts
        self.assumed = assumed
        self.name = counts.name
        self.offset = 0  # bytes of the input before the current buffer
        self.anchor: tuple[int, set[str]] = (-1, set())  # a traceback's anchor, its whats

    def scan(self, blocks: Iterator[bytes]) -> Iterator[ev.Evidence]:
        context = b""
        pending = b""
        for block in blocks:
            data = pending + block if pending else block
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < MAX_LINE:
                pending = data
                continue
            if cut == 0:
                cut = MAX_LINE
            whole, pending = data[:cut], data[cut:]
            if not whole.endswith(b"\n"):
                whole += b"\n"  # a piece of an overlong line counts as a line
            buf = context + whole
            yield from self._region(buf, len(context))
            context = buf[-CONTEXT:]
            self.offset += len(whole)
            while len(pending) >= MAX_LINE and pending.find(b"\n", 0, MAX_LINE) < 0:
                piece, pending = pending[:MAX_LINE] + b"\n", pending[MAX_LINE:]
                buf = context + piece
                yield from self._region(buf, len(context))
                context = buf[-CONTEXT:]
                self.offset += len(piece)
        if pending:
            yield from self._region(context + pending + b"\n", len(context))

    def _region(self, buf: bytes, start: int) -> Iterator[ev.Evidence]:
        """The evidence in `buf[start:]` (whole lines); `buf[:start]` is context only."""
        base = self.offset - start  # the input's offset of buf[0]
        number = self.counts.lines  # lines of the input before buf[start]
        self.counts.lines += buf.count(b"\n", start)
        position = start
        for begin in _hits(buf, start):
            number += buf.count(b"\n", position, begin)
            position = begin
            end = buf.find(b"\n", begin)
            text = buf[begin:end].decode("utf-8", "replace").rstrip("\r")
            found = self._read_line(text, f"{self.name}:{number + 1}", buf, begin, base)
            if found is None:
                continue
            self.counts.recognised += 1
            self.counts.by_format[found[0].format] += 1
            if found[1]:
                yield found[0]

    def _read_line(
        self, text: str, source: str, buf: bytes, begin: int, base: int
    ) -> tuple[ev.Evidence, bool] | None:
        """The line's evidence and whether to yield it (not a repeat within one traceback)."""
        found = fs.server(text, source, self.assumed)
        if found is not None:
            return found, True
        if fs.claims(text):
            return None
        if text.startswith("{"):
            found = fa.json_line(text, source, self.assumed)
            return (found, True) if found is not None else None
        own = fa.prefix(text, self.assumed)
        anchor_at, anchor = (-1, None) if own else self._anchor(buf, begin)
        found = fa.app(text, source, self.assumed, own, anchor)
        if found is None:
            return None
        if anchor is None:
            if own is not None:  # its own traceback, logged after it, repeats it
                self.anchor = (base + begin, {found.what})
            return found, True
        key = base + anchor_at
        if self.anchor[0] != key:
            self.anchor = (key, set())
        fresh = found.what not in self.anchor[1]
        self.anchor[1].add(found.what)
        return found, fresh

    def _anchor(self, buf: bytes, begin: int) -> tuple[int, fa.Prefix | None]:
        """The nearest preceding line (at most ANCHOR_LINES back, within the buffer) that
        starts with an application log prefix (a database-side line never is one: a mixed log,
        such as a container platform's, interleaves them), and where it starts."""
        end = begin - 1
        for _ in range(fa.ANCHOR_LINES):
            if end < 0:
                break
            start = buf.rfind(b"\n", 0, end) + 1
            line = buf[start:end].decode("utf-8", "replace").rstrip("\r")
            if line and not line[0].isspace() and not fs.shaped(line):
                found = fa.prefix(line, self.assumed)
                if found is not None:
                    return start, found
            end = start - 1
        return -1, None


def _hits(buf: bytes, start: int) -> list[int]:
    """Where each line that holds a keyword starts, in order."""
    begins: set[int] = set()
    for keyword in fm.KEYWORDS:
        found = buf.find(keyword, start)
        while found >= 0:
            begins.add(buf.rfind(b"\n", start, found) + 1 or start)
            found = buf.find(keyword, buf.find(b"\n", found))
            if found == -1:
                break
    return sorted(begins)
