"""How long one cloud call may take: one definition, each cloud its own values.

The README promises that no target waits more than 60 s on an unresponsive endpoint, and that
every call has timeouts and a bounded retry budget. Each SDK spells that differently (botocore's
`connect_timeout`/`read_timeout`/`total_max_attempts`, google-api-core's `Retry(initial, maximum,
multiplier, timeout)` and per-call `timeout`, azure-core's `connection_timeout`/`read_timeout`/
`retry_total`/`retry_backoff_factor`/`timeout`); each adapter turns its `CallBudget` into its
SDK's settings, in the module that makes its clients. Long-running writes (Cloud SQL's operations,
Azure's) are polled within an `OperationBudget`.

The values are read when a client or a call is made, so that tests can shorten them with
`monkeypatch.setattr(module, "CALLS", dataclasses.replace(module.CALLS, ...))`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class CallBudget:
    """One call: its timeouts per attempt, its retries, and the time all its attempts may take."""

    connect_s: float  # per attempt: making the connection (TCP and TLS)
    read_s: float  # per attempt: waiting for the answer once the request is sent
    total_s: float  # every attempt and back-off of one call: no retry starts later than this
    attempts: int | None  # every attempt, the first included; None: as many as total_s allows
    backoff_s: float  # the wait before a retry, multiplied by `backoff_multiplier` each time…
    backoff_max_s: float  # …up to this (a server's Retry-After wins where the SDK honours it)
    backoff_multiplier: float = 2.0


@dataclass(frozen=True)
class OperationBudget:
    """A long-running operation the write waits for: polled from `poll_s` to `poll_max_s` apart
    (when the service sends no Retry-After), given up after `timeout_s`."""

    timeout_s: float
    poll_s: float
    poll_max_s: float


class LogsDeadline:
    """The time all of one target's server-log calls may take (`diagnose --from-target`'s
    `--timeout`), checked before each call, page or chunk; a call under way is bounded by the
    client's own `CallBudget`, as a plan's are. A spent deadline ends the fetch with a note."""

    clock = staticmethod(time.monotonic)

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._deadline = self.clock() + timeout

    @property
    def spent(self) -> bool:
        return self.clock() >= self._deadline

    def said(self) -> str:
        return f"the {self.timeout:g} s allowed for the server logs was spent"
