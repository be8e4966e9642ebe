"""read_logs and read_lines: inputs (files, globs, `-`, gzip by its magic bytes), the errors
that name what cannot be read, counting, blocks and their seams, and tracebacks."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest

from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose import read as rd
from cloudtimeouts.diagnose.read import read_lines, read_logs
from cloudtimeouts.errors import CloudtimeoutsError, ExitCode, LogError

PG = "2026-12-07 10:05:00.250 UTC [2201] FATAL:  terminating connection due to idle-session timeout"
BOUNCER = (
    "2026-12-07 10:05:00.100 UTC [123] LOG C-0x55d0c5d8a0f0: shop/app@10.0.0.5:5678 "
    "closing because: client_idle_timeout (age=300s)"
)
NOISE = "2026-12-07 10:00:00.000 UTC [101] LOG:  checkpoint complete"


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_files_and_globs_in_order_with_sources(tmp_path: Path) -> None:
    write(tmp_path / "b.log", NOISE, PG)
    write(tmp_path / "a.log", BOUNCER)
    write(tmp_path / "c.txt", PG)
    read = read_logs([str(tmp_path / "*.log"), str(tmp_path / "c.txt")])
    found = list(read)
    assert [e.source for e in found] == [
        f"{tmp_path / 'a.log'}:1",
        f"{tmp_path / 'b.log'}:2",
        f"{tmp_path / 'c.txt'}:1",
    ]
    assert [c.name for c in read.counts] == [str(tmp_path / n) for n in ("a.log", "b.log", "c.txt")]
    assert (read.lines, read.recognised, read.unrecognised) == (4, 3, 1)
    assert read.counts[1].by_format == {"postgres": 1}


def test_a_glob_that_matches_nothing_is_an_error_naming_it(tmp_path: Path) -> None:
    pattern = str(tmp_path / "*.log")
    with pytest.raises(LogError) as raised:
        read_logs([pattern])
    assert pattern in raised.value.message
    assert isinstance(raised.value, CloudtimeoutsError)
    assert raised.value.exit_code == ExitCode.ERROR


@pytest.mark.parametrize("kind", ["missing", "directory", "unreadable"])
def test_a_file_that_cannot_be_read_is_one_error_naming_it(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "server.log"
    if kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        write(path, PG)
        path.chmod(0)
        if os.access(path, os.R_OK):  # root reads anything
            pytest.skip("running as root: every file is readable")
    with pytest.raises(LogError) as raised:
        read_logs([str(path)])
    assert str(path) in raised.value.message
    assert "\n" not in raised.value.message


def test_standard_input_is_dash(tmp_path: Path) -> None:
    stdin = io.BytesIO(f"{NOISE}\n{PG}\n".encode())
    read = read_logs(["-"], stdin=stdin)
    (found,) = list(read)
    assert found.source == "-:2" and found.what == ev.PG_IDLE_SESSION
    assert read.counts[0].name == "-"


def test_gzip_is_known_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    body = f"{NOISE}\n{PG}\n".encode()
    plain_name = tmp_path / "postgresql.log"  # gzip inside, no .gz
    plain_name.write_bytes(gzip.compress(body) + gzip.compress(f"{BOUNCER}\n".encode()))
    fake_gz = tmp_path / "not-really.log.gz"  # plain text behind a .gz name
    fake_gz.write_bytes(body)
    found = list(read_logs([str(plain_name), str(fake_gz)]))
    assert [(e.source.rpartition("/")[2], e.what) for e in found] == [
        ("postgresql.log:2", ev.PG_IDLE_SESSION),
        ("postgresql.log:3", ev.PGBOUNCER_CLIENT_IDLE),  # the second gzip member
        ("not-really.log.gz:2", ev.PG_IDLE_SESSION),
    ]
    stdin = io.BytesIO(gzip.compress(body))
    assert [e.source for e in read_logs(["-"], stdin=stdin)] == ["-:2"]


def test_broken_gzip_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.log"
    path.write_bytes(gzip.compress(f"{PG}\n".encode() * 1000)[:40] + b"\x00" * 64)
    with pytest.raises(LogError) as raised:
        list(read_logs([str(path)]))
    assert str(path) in raised.value.message and "gzip" in raised.value.message


def test_read_lines_feeds_text_through_the_same_readers() -> None:
    read = read_lines("rds:orders-db/error/postgresql.log.2026-12-07-10", [NOISE, PG + "\n", ""])
    (found,) = list(read)
    assert found.source == "rds:orders-db/error/postgresql.log.2026-12-07-10:2"
    assert (read.lines, read.recognised) == (3, 1)


def test_a_line_no_format_reads_is_counted_never_fatal(tmp_path: Path) -> None:
    path = tmp_path / "odd.log"
    path.write_bytes(
        b"\x00\xff binary junk with closing because: nothing\n"
        b"Aborted connection but no MySQL prefix\n"
        b"{not json: closing because: x\n"
        + PG.encode()
        + b"\n"
        + b"no newline at the end: connection already closed"
    )
    read = read_logs([str(path)])
    found = list(read)
    assert [(e.source.rpartition(":")[2], e.what) for e in found] == [
        ("4", ev.PG_IDLE_SESSION),
        ("5", ev.APP_CONNECTION_CLOSED),  # a bare exception line: no time, format python
    ]
    assert found[1].format == "python" and found[1].at is None
    assert (read.lines, read.recognised, read.unrecognised) == (5, 2, 3)


def test_blocks_seams_and_overlong_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small blocks: lines cut by a block's end are read whole, line numbers run on, and a
    line longer than MAX_LINE is read in pieces (memory stays bounded)."""
    monkeypatch.setattr(rd, "BLOCK", 64)
    monkeypatch.setattr(rd, "MAX_LINE", 256)
    path = tmp_path / "seams.log"
    long = "x" * 1000
    write(path, NOISE, PG, long, BOUNCER, NOISE, PG)
    read = read_logs([str(path)])
    found = list(read)
    # the 1000-byte line is four pieces of at most 256 bytes: four lines
    assert [e.source.rpartition(":")[2] for e in found] == ["2", "7", "9"]
    assert read.lines == 9 and read.recognised == 3


def test_a_traceback_takes_its_time_and_pid_from_its_log_line_across_a_block_seam(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rd, "BLOCK", 128)
    path = write(
        tmp_path / "gunicorn.log",
        "[2026-12-07 10:15:01 +0000] [1234] [ERROR] Error handling request /orders/42/",
        "Traceback (most recent call last):",
        *[f'  File "/srv/app/frame{n}.py", line {n}, in f{n}' for n in range(20)],
        "psycopg2.InterfaceError: connection already closed",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "django.db.utils.InterfaceError: connection already closed",
        "[2026-12-07 10:15:09 +0000] [1240] [ERROR] Error handling request /orders/43/",
        "django.db.utils.InterfaceError: connection already closed",
    )
    read = read_logs([str(path)])
    found = list(read)
    assert [(e.source.rpartition(":")[2], e.pid, e.at and e.at.second) for e in found] == [
        ("23", 1234, 1),
        ("29", 1240, 9),  # a new log line: a new incident
    ]
    assert read.recognised == 3  # the repeat is read, counted, and not reported twice


def test_a_traceback_too_far_from_any_log_line_has_no_time(tmp_path: Path) -> None:
    lines = ["[2026-12-07 10:15:01 +0000] [1234] [ERROR] Error handling request /"]
    lines += ["  frame"] * 250
    lines += ["psycopg2.InterfaceError: connection already closed"]
    (found,) = list(read_logs([str(write(tmp_path / "far.log", *lines))]))
    assert (found.at, found.pid, found.format) == (None, None, "python")


def test_gzip_members_across_many_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small blocks: a member's end, the next member's start and the decompressor's bounded
    output fall anywhere in a block; every line still comes out once, in order."""
    monkeypatch.setattr(rd, "BLOCK", 512)
    first = "".join(f"{NOISE} {n}\n" for n in range(300)) + PG + "\n"
    second = "".join(f"{NOISE} {n}\n" for n in range(300)) + BOUNCER + "\n"
    path = tmp_path / "rotated"
    path.write_bytes(gzip.compress(first.encode()) + gzip.compress(second.encode()))
    read = read_logs([str(path)])
    assert [e.source.rpartition(":")[2] for e in read] == ["301", "602"]
    assert read.lines == 602


def test_truncated_gzip_is_an_error_and_trailing_bytes_are_ignored(tmp_path: Path) -> None:
    whole = gzip.compress(f"{NOISE}\n{PG}\n".encode() * 50)
    cut = tmp_path / "cut"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LogError, match="truncated"):
        list(read_logs([str(cut)]))
    padded = tmp_path / "padded"
    padded.write_bytes(whole + b"\x00" * 100)  # as some tape and block devices pad
    assert len(list(read_logs([str(padded)]))) == 50
