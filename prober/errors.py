"""One error hierarchy for bad input and usage; the CLI turns it into `Error: ... / Hint: ...` and an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a run tells CI (README "Exit codes"); prober/verdict.py decides between 0, 1 and 4."""

    OK = 0
    FAILED = 1  # drift: an outcome outside its expect:, or (with --fail-on changed) a change since the baseline
    USAGE = 2  # usage or bad input, a run given no credential at all among them
    INTERNAL = 3  # a bug in prober
    UNREACHABLE = 4  # transport failures expect: did not allow (an outage or a proxy problem), and no drift
    INTERRUPTED = 130


class ProberError(Exception):
    """A problem the user can fix. `message` says what is wrong, `hint` how to fix it."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class CatalogueError(ProberError):
    """The catalogue is missing, unreadable or invalid. `problems` holds every located problem found."""

    def __init__(self, message: str, hint: str | None = None, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message, hint)
        self.problems = problems or (message,)


class CredentialError(ProberError):
    """An API key or cookie source cannot be used."""


class ReportError(ProberError):
    """A report cannot be read or written."""
