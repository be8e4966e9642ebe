"""The application's side: Django, gunicorn, Celery and RQ logs, and the Python tracebacks in
them.

An application's evidence is an exception line (`django.db.utils.InterfaceError: connection
already closed`) or a log message quoting one. A traceback's exception line has no prefix of its
own, so its time and pid are taken from the log line it belongs to. The rule: **the nearest
preceding line of the same input that starts with one of the prefixes below, at most
`ANCHOR_LINES` lines back, skipping lines with a database side's prefix** (a traceback is
logged right after the record that carries it: `logging.Formatter.format` appends
`formatException` to the record's message; a mixed log, as a container platform collects it,
interleaves the database's lines). When none is found the evidence has no time (`at` None) and
the format `python`. Within one anchor a `what` is reported once: a chained exception
(`psycopg2.InterfaceError: ...`, then Django's `django.db.utils.InterfaceError: ...`, "The above
exception was the direct cause"), or a log line that quotes the error followed by its
traceback, repeats one incident; the repeats are counted as read, not reported again.

The prefixes, and where each comes from:
- `gunicorn`: its error log, `[2026-12-07 10:00:00 +0000] [1234] [ERROR] ...` (gunicorn
  glogging.py: format "%(asctime)s [%(process)d] [%(levelname)s] %(message)s", datefmt
  "[%Y-%m-%d %H:%M:%S %z]").
- `celery`: the worker's log, `[2026-12-07 10:00:00,123: ERROR/ForkPoolWorker-1] ...` (Celery
  configuration reference, worker_log_format "[%(asctime)s: %(levelname)s/%(processName)s]
  %(message)s" and worker_task_log_format); no pid (a process name), no zone.
- `rq`: RQ's worker log, `10:00:00 ...` (rq/defaults.py: DEFAULT_LOGGING_FORMAT
  "%(asctime)s %(message)s", DEFAULT_LOGGING_DATE_FORMAT "%H:%M:%S"): a time of day with no
  date, so `at` stays None.
- `django`: Django's documented formats: the logging how-to's "verbose" formatter, `{levelname}
  {asctime} {module} {process:d} {thread:d} {message}` (`ERROR 2026-12-07 10:00:00,123 base
  1234 5678 ...`), and `django.server`'s "[{server_time}] {message}" (`[07/Dec/2026 10:00:00]`).
- `json`: a structured log, one JSON object a line: python-json-logger ("asctime", "message",
  "process", "exc_info"), structlog's JSONRenderer ("timestamp", "event", "exception"), or a
  log service's JSON entry carrying those fields; the time is the entry's "timestamp",
  "time", "@timestamp" or "asctime" (ISO 8601), the pid its "process" or "pid".
- `python-logging`: any line starting with logging's default `asctime`
  (`2026-12-07 10:00:00,123`, logging.Formatter.default_time_format) or an ISO 8601 time, with
  an optional `[pid]` or `pid=` after it; and logging.basicConfig's BASIC_FORMAT
  "%(levelname)s:%(name)s:%(message)s", which has no time.
A time with no zone is read in the assumed zone (UTC unless the caller says otherwise).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final

from cloudtimeouts.diagnose import evidence as ev
from cloudtimeouts.diagnose import formats as fm

ANCHOR_LINES: Final = 200
"""How far back a traceback's exception line looks for the log line it belongs to."""

_LEVEL: Final = r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|EXCEPTION)"
_GUNICORN: Final = re.compile(
    r"\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?P<tz>[+-]\d{4})\] \[(?P<pid>\d+)\] \[[A-Z]+\] "
)
_CELERY: Final = re.compile(
    r"\[(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?): " + _LEVEL + r"/[^\]]+\] "
)
_DJANGO_VERBOSE: Final = re.compile(
    _LEVEL + r" (?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)?) \S+ (?P<pid>\d+) \d+ "
)
_DJANGO_SERVER: Final = re.compile(r"\[(?P<ts>\d\d/[A-Z][a-z]{2}/\d{4} \d\d:\d\d:\d\d)\] ")
_PYTHON: Final = re.compile(
    r"(?:" + _LEVEL + r"[: ]\s*)?\[?(?P<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?)"
    r"(?P<tz>Z|[+-]\d\d:?\d\d| ?UTC)?\]?"
    r"(?:[^\n\[]{0,80}?(?:\[(?P<pid>\d+)\]|pid=(?P<pidkv>\d+)))?"
)
_BASIC: Final = re.compile(_LEVEL + r":[\w.]+:")
_RQ: Final = re.compile(r"\d\d:\d\d:\d\d ")

_PREFIXES: Final = (
    ("gunicorn", _GUNICORN),
    ("celery", _CELERY),
    ("django", _DJANGO_VERBOSE),
    ("django", _DJANGO_SERVER),
    ("python-logging", _PYTHON),
    ("python-logging", _BASIC),
    ("rq", _RQ),
)


@dataclass(frozen=True, slots=True)
class Prefix:
    """What a log line's prefix says: its format, time and process."""

    format: str
    at: datetime | None
    pid: int | None
    end: int  # where the message starts


def prefix(line: str, assumed: tzinfo) -> Prefix | None:
    """The application log prefix this line starts with, if any."""
    for name, pattern in _PREFIXES:
        match = pattern.match(line)
        if match is None:
            continue
        fields = match.groupdict()
        stamp = fields.get("ts")
        when: datetime | None = None
        if stamp and pattern is _DJANGO_SERVER:
            try:
                naive = datetime.strptime(stamp, "%d/%b/%Y %H:%M:%S")
            except ValueError:
                naive = None
            when = fm.at(naive.isoformat(), None, assumed) if naive else None
        elif stamp:
            when = fm.at(stamp, (fields.get("tz") or "").strip() or None, assumed)
        pid_text = fields.get("pid") or fields.get("pidkv")
        return Prefix(name, when, int(pid_text) if pid_text else None, match.end())
    return None


def app(
    line: str, source: str, assumed: tzinfo, own: Prefix | None, anchor: Prefix | None
) -> ev.Evidence | None:
    """An application's error line: with its own prefix (`own`), or a traceback line that
    takes its time and pid from the log line it belongs to (`anchor`)."""
    what = fm.app_what(line)
    if what is None:
        return None
    found = own or anchor
    message = line[own.end :] if own else line
    return ev.Evidence(
        at=found.at if found else None,
        source=source,
        side="app",
        format=found.format if found else "python",
        what=what,
        pid=found.pid if found else None,
        detail=fm.detail(message),
    )


_JSON_TIMES: Final = ("timestamp", "time", "@timestamp", "asctime")
_JSON_TEXTS: Final = ("message", "msg", "event", "exc_info", "exception", "error")


def json_line(line: str, source: str, assumed: tzinfo) -> ev.Evidence | None:
    """A structured application log line (one JSON object) that holds an error's wording."""
    what = fm.app_what(line)
    if what is None:
        return None
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    payload = entry.get("jsonPayload")
    fields = {**entry, **payload} if isinstance(payload, dict) else entry
    stamp = next((v for k in _JSON_TIMES if isinstance(v := fields.get(k), str)), None)
    when = fm.at(stamp.replace("Z", "+00:00"), None, assumed) if stamp else None
    pid = next((v for k in ("process", "pid") if isinstance(v := fields.get(k), int)), None)
    texts = [v for k in _JSON_TEXTS if isinstance(v := fields.get(k), str)]
    said = next((t for t in texts if fm.app_what(t) == what), texts[0] if texts else line)
    lines = [part for part in said.splitlines() if fm.app_what(part) == what]
    return ev.Evidence(
        at=when,
        source=source,
        side="app",
        format="json",
        what=what,
        pid=pid,
        detail=fm.detail(lines[-1] if lines else said),
    )
