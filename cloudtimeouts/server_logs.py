"""The profile's targets' server logs, fetched through each cloud's API, read as evidence.

`diagnose --from-target` reads each target's databases' own logs (`Cloud.logs`, a
`providers.base.ServerLogs`: the files of every instance a target reaches, written since a
time) through the same readers as a file (`diagnose.read.read_lines`). A cloud whose API offers
no server log is a note saying how to export its logs; a file or an instance that vanished is a
note; a failure of the API (credentials, a permission, throttling past the retries) is the
cloud's `CloudtimeoutsError`, as in `plan`. Two targets reaching one instance read its files
once. Lazy: a file is downloaded as its evidence is taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from cloudtimeouts.diagnose.evidence import Evidence
from cloudtimeouts.diagnose.read import InputCounts, read_lines
from cloudtimeouts.profile import Profile
from cloudtimeouts.providers import load_server_logs


@dataclass
class Fetched:
    """What the fetch read, complete once `evidence` has been read to its end."""

    counts: list[InputCounts] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fetch_evidence(
    profile: Profile, since: datetime, *, timeout: float, fetched: Fetched
) -> Iterator[Evidence]:
    """The evidence in the server logs of every target of the profile, written since `since`;
    `fetched` gathers the inputs' counts and the notes as they are read."""
    seen: set[tuple[str, str]] = set()
    for target in profile.targets:
        fetch = load_server_logs(target.provider)
        if fetch is None:
            fetched.notes.append(
                f"{target.id}: its server logs are not fetched through the API: export them "
                "(README, 'Server logs from the cloud') and pass the file"
            )
            continue
        for log in fetch(target, since, timeout=timeout):
            if not log.name:  # a note about the instance only
                fetched.notes.extend(f"{target.id}: {note}" for note in log.notes)
                continue
            if (log.instance, log.name) in seen:
                continue
            seen.add((log.instance, log.name))
            read = read_lines(f"{log.instance}:{log.name}", log.lines)
            yield from read
            fetched.counts.extend(read.counts)
            fetched.notes.extend(f"{log.instance}:{log.name}: {note}" for note in log.notes)
