"""How fast `diagnose` reads a big log (issue 19, item 5): a generated mixed log, read with
`cloudtimeouts.diagnose.read.read_logs` in a fresh process.

Run (about 30 seconds on two cores, most of it writing the file):

    .venv/bin/python benchmarks/diagnose_read.py            # 1 GiB
    .venv/bin/python benchmarks/diagnose_read.py --size 256MiB --every 200

The log is mostly lines no format reads (gunicorn access lines, Django and Celery INFO lines,
PostgreSQL checkpoints and connections, PgBouncer stats, MariaDB notes), with one line of
evidence every --every lines (default 1000), taken in turn from each format the readers know
(application tracebacks included). It is written once to a temporary directory (removed after),
then read by a child process that keeps every evidence record it gets (as `diagnose` does) and
reports its wall time and its peak RSS (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, KiB on
Linux). The goal: under 20 s and under 200 MB for 1 GiB, memory growing with the evidence found,
not with the file (compare two sizes: the peak barely moves).

`main(argv)` returns the figures (tests/test_benchmarks.py runs it on a few MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 20.0
GOAL_MB = 200.0
BLOCK_LINES = 20_000  # lines generated once, then written again and again

NOISE = (
    '10.0.{a}.{b} - - [07/Dec/2026:10:{m:02d}:{s:02d} +0000] "GET /api/orders/{n} HTTP/1.1" 200 '
    '{n} "-" "Mozilla/5.0 (X11; Linux x86_64)"',
    "INFO 2026-12-07 10:{m:02d}:{s:02d},{ms:03d} views {pid} 140{n} order {n} shipped in 0.{ms}s",
    "[2026-12-07 10:{m:02d}:{s:02d},{ms:03d}: INFO/ForkPoolWorker-{a}] Task shop.tasks.send[{n}]"
    " succeeded in 0.{ms}s: None",
    "2026-12-07 10:{m:02d}:{s:02d} UTC:10.0.{a}.{b}({n}):app@shop:[{pid}]:LOG:  connection "
    "authorized: user=app database=shop SSL enabled (protocol=TLSv1.3)",
    "2026-12-07 10:{m:02d}:{s:02d}.{ms:03d} UTC [{pid}] LOG:  checkpoint complete: wrote {n} "
    "buffers (0.{ms}%); 0 WAL file(s) added, 0 removed, 1 recycled",
    "2026-12-07 10:{m:02d}:{s:02d}.{ms:03d} UTC [{pid}] LOG stats: {n} xacts/s, {a} queries/s, "
    "in {n} B/s, out {n} B/s, xact {ms} us, query {ms} us, wait 0 us",
    "2026-12-07 10:{m:02d}:{s:02d} {a} [Note] Detected table cache mutex contention at instance "
    "1: {ms}% waits",
    '  File "/srv/app/shop/views.py", line {a}, in order_detail',
)
EVIDENCE = (
    "2026-12-07 10:{m:02d}:{s:02d} UTC:10.0.{a}.{b}({n}):app@shop:[{pid}]:FATAL:  terminating "
    "connection due to idle-session timeout",
    "2026-12-07 10:{m:02d}:{s:02d} UTC-6571b3c0.{pidhex}-FATAL:  terminating connection due to "
    "idle-in-transaction timeout",
    "2026-12-07 10:{m:02d}:{s:02d}.{ms:03d} UTC [{pid}]: [3-1] db=shop,user=app LOG:  "
    "disconnection: session time: 0:10:00.{ms:03d} user=app database=shop host=10.0.{a}.{b} "
    "port={n}",
    '{{"textPayload": "2026-12-07 10:{m:02d}:{s:02d}.{ms:03d} UTC [{pid}]: [2-1] db=shop,user=app '
    'LOG:  could not receive data from client: Connection reset by peer", '
    '"timestamp": "2026-12-07T10:{m:02d}:{s:02d}.{ms:03d}Z"}}',
    "2026-12-07T10:{m:02d}:{s:02d}.{ms:03d}000Z {a} [Note] [MY-010914] [Server] Aborted connection"
    " {a} to db: 'shop' user: 'app' host: '10.0.{a}.{b}' (Got timeout reading communication "
    "packets).",
    "2026-12-07 10:{m:02d}:{s:02d} {a} [Warning] Aborted connection {a} to db: 'shop' user: 'app' "
    "host: '10.0.{a}.{b}' (Got an error reading communication packets)",
    "2026-12-07 10:{m:02d}:{s:02d}.{ms:03d} UTC [{pid}] LOG C-0x55d0c5d8{pidhex}: shop/app@10.0."
    "{a}.{b}:{n} closing because: client_idle_timeout (age=600s)",
    "[2026-12-07 10:{m:02d}:{s:02d} +0000] [{pid}] [ERROR] Error handling request /orders\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/app/shop/views.py", line {a}, in order_detail\n'
    "django.db.utils.InterfaceError: connection already closed",
    "[2026-12-07 10:{m:02d}:{s:02d},{ms:03d}: ERROR/ForkPoolWorker-{a}] Task shop.tasks.send[{n}]"
    " raised unexpected: OperationalError('server closed the connection unexpectedly')",
    '{{"event": "job failed", "timestamp": "2026-12-07T10:{m:02d}:{s:02d}.{ms:03d}Z", "pid": {pid},'
    ' "exception": "django.db.utils.OperationalError: (2013, \'Lost connection to MySQL server'
    " during query')\"}}",
    "ERROR 2026-12-07 10:{m:02d}:{s:02d},{ms:03d} log {pid} 140{n} Internal Server Error: /orders\n"
    "Traceback (most recent call last):\n"
    "django.db.utils.OperationalError: (2006, 'MySQL server has gone away')",
)


def _size(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(B|KiB|MiB|GiB)?", text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"a size such as 1GiB, 64MiB or 1048576: {text!r}")
    unit = {"B": 1, None: 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[match[2]]
    return int(match[1]) * unit


def _block(every: int) -> tuple[bytes, int, int]:
    """BLOCK_LINES lines (as bytes), how many of them are evidence, and how many lines."""
    lines: list[str] = []
    evidence = 0
    for n in range(BLOCK_LINES):
        fields = {
            "a": n % 250,
            "b": (n * 7) % 250,
            "m": (n // 60) % 60,
            "s": n % 60,
            "ms": n % 1000,
            "n": 10_000 + n,
            "pid": 1000 + n % 5000,
            "pidhex": f"{1000 + n % 5000:x}",
        }
        if n % every == every - 1:
            lines.append(EVIDENCE[evidence % len(EVIDENCE)].format(**fields))
            evidence += 1
        else:
            lines.append(NOISE[n % len(NOISE)].format(**fields))
    text = "\n".join(lines) + "\n"
    return text.encode(), evidence, text.count("\n")


def generate(path: Path, size: int, every: int) -> dict[str, int]:
    """Write about `size` bytes of whole blocks; the expected counts."""
    block, evidence, lines = _block(every)
    repeats = max(1, round(size / len(block)))
    with path.open("wb") as out:
        for _ in range(repeats):
            out.write(block)
    return {"bytes": len(block) * repeats, "lines": lines * repeats, "evidence": evidence * repeats}


def read_in_child(path: Path) -> dict[str, Any]:
    """Read the log in a fresh interpreter; its wall time, counts and peak RSS."""
    code = (
        "import json, resource, sys, time\n"
        "from cloudtimeouts.diagnose.read import read_logs\n"
        "started = time.perf_counter()\n"
        "found = read_logs([sys.argv[1]])\n"
        "kept = list(found)\n"
        "seconds = time.perf_counter() - started\n"
        "print(json.dumps({'seconds': seconds, 'lines': found.lines, 'evidence': len(kept),\n"
        "    'recognised': found.recognised, 'unrecognised': found.unrecognised,\n"
        "    'by_format': dict(found.counts[0].by_format),\n"
        "    'peak_rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=_size, default=1 << 30, help="default 1GiB")
    parser.add_argument("--every", type=int, default=1000, help="one evidence line every N")
    parser.add_argument("--dir", type=Path, default=None, help="where to write the log")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="diagnose-read-") as tmp:
        path = Path(tmp) / "mixed.log"
        started = time.perf_counter()
        expected = generate(path, args.size, args.every)
        written_s = time.perf_counter() - started
        figures = read_in_child(path)
        os.unlink(path)
    seconds = figures["seconds"]
    peak_mb = figures["peak_rss_kib"] / 1024
    result = {
        **expected,
        "write_s": written_s,
        "read_s": seconds,
        "lines_per_s": figures["lines"] / seconds if seconds else 0.0,
        "mib_per_s": expected["bytes"] / (1 << 20) / seconds if seconds else 0.0,
        "peak_rss_mb": peak_mb,
        "read_lines": figures["lines"],
        "read_evidence": figures["evidence"],
        "recognised": figures["recognised"],
        "unrecognised": figures["unrecognised"],
        "by_format": figures["by_format"],
        "goal_met": seconds < GOAL_S and peak_mb < GOAL_MB,
    }
    mib = expected["bytes"] / (1 << 20)
    print(
        f"log:       {mib:,.0f} MiB, {expected['lines']:,} lines, one evidence every {args.every}"
    )
    print(
        f"read:      {seconds:.2f} s, {result['lines_per_s']:,.0f} lines/s, "
        f"{result['mib_per_s']:,.0f} MiB/s"
    )
    print(f"peak RSS:  {peak_mb:.1f} MB (the reading process, every evidence kept)")
    print(
        f"found:     {figures['evidence']:,} evidence of {expected['evidence']:,} written; "
        f"{figures['unrecognised']:,} lines no format reads"
    )
    print(f"formats:   {', '.join(f'{k} {v:,}' for k, v in sorted(figures['by_format'].items()))}")
    verdict = "met" if result["goal_met"] else "NOT met"
    print(f"goal:      under {GOAL_S:.0f} s and {GOAL_MB:.0f} MB: {verdict}")
    return result


if __name__ == "__main__":
    main()
