"""The errors users can act on, and the exit codes every command shares."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # not a cycle: kept out of run time so that `--help` never loads the catalog
    from cloudtimeouts.model import Finding


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # bad input, usage, credentials, API error
    CHANGES = 2  # only `plan --detailed-exitcode`: there are changes to make
    REFUSED = 3  # the guard refused
    INTERRUPTED = 130  # Ctrl-C or SIGTERM (the shell's 128 + SIGINT)


class CloudtimeoutsError(Exception):
    """An error with a message for users and, optionally, a hint on what to do about it.

    A message is one line: the values it quotes (a file's name, a --target, what a cloud said)
    are not ours, so a line break in them is shown escaped, never kept. A message the tool writes
    on several lines says so with `lines` (each line then escaped on its own)."""

    exit_code = ExitCode.ERROR

    def __init__(
        self, message: str, hint: str | None = None, *, lines: Sequence[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.lines = tuple(lines) if lines is not None else None


class ProfileError(CloudtimeoutsError):
    """A profile that cannot be loaded; the message carries file:line for each problem."""

    def __init__(self, path: str, problems: list[tuple[int | None, str]], hint: str | None = None):
        self.path = path
        self.problems = problems
        lines = [f"{path}:{line}: {text}" if line else f"{path}: {text}" for line, text in problems]
        super().__init__("\n".join(lines), hint, lines=lines)


class LogError(CloudtimeoutsError):
    """A log `diagnose` was given that cannot be read: a file missing or unreadable, a glob that
    matches nothing, a gzip stream that is broken. One message naming it (exit 1)."""


class ProviderUnavailableError(CloudtimeoutsError):
    """The provider's optional dependencies are not installed."""


class ProviderAuthError(CloudtimeoutsError):
    """No usable credentials were found, or they were refused."""


class ProviderAPIError(CloudtimeoutsError):
    """The cloud answered with an error: what we were doing, what the cloud said."""

    def __init__(
        self, provider: str, operation: str, code: str, message: str, hint: str | None = None
    ) -> None:
        self.provider = provider
        self.operation = operation
        self.code = code
        super().__init__(message, hint)


class TargetChangedError(ProviderAPIError):
    """The cloud refused a write because the target changed after it was read (a precondition)."""


class TargetNotAllowedError(CloudtimeoutsError):
    """The target exists but must not be changed (a default.* group, an engine mismatch…)."""


class ConfirmationRequired(CloudtimeoutsError):
    """apply on a non-interactive stdin without --yes."""


class GuardRefusal(CloudtimeoutsError):
    exit_code = ExitCode.REFUSED


class UnsafeProfileError(GuardRefusal):
    """A profile the guard refuses on its own values; `refusals` say which and why."""

    def __init__(
        self,
        message: str,
        refusals: Sequence[Finding],
        hint: str | None = None,
        *,
        lines: Sequence[str] | None = None,
    ) -> None:
        self.refusals = tuple(refusals)
        super().__init__(message, hint, lines=lines)


class WriteError(CloudtimeoutsError):
    """A write failed: `written` the cloud confirmed, `unknown` it may or may not have applied.

    Every other change given to the write was not sent. The orchestration reconciles `unknown`
    by reading the target, never by sending the write again. `in_flight` says the cloud may still
    be applying it (an operation not known to have ended): then a value that still reads as
    before is not proof that it was not written, and it stays unknown.
    """

    def __init__(
        self,
        message: str,
        written: Sequence[str] = (),
        unknown: Sequence[str] = (),
        hint: str | None = None,
        *,
        in_flight: bool = False,
    ) -> None:
        self.written = tuple(written)
        self.unknown = tuple(unknown)
        self.in_flight = in_flight
        super().__init__(message, hint)
