"""Exit codes, and the exceptions patchq raises for users, each carrying its exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a patchq process tells its caller (README "Exit codes"; docs/ci.md)."""

    OK = 0
    FOUND = 1  # the command ran and found what was asked about (failed checks, a conflict)
    USAGE = 2  # usage or configuration error: bad flag, series.yaml, ref or upstream clone
    BUG = 3  # an internal error: one line on stderr, the traceback in a crash log
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
    PIPE_CLOSED = 141  # the reader closed stdout (`patchq list | head -1`): 128 + SIGPIPE


class PatchqError(Exception):
    """An expected, user-facing failure: printed as one line, never as a traceback."""

    exit_code: int = ExitCode.USAGE


class ConfigError(PatchqError):
    """series.yaml, a patch file, a flag or the upstream repository is not usable."""

    exit_code = ExitCode.USAGE


class GitError(PatchqError):
    """A git command failed; the message names the command and git's own words."""

    exit_code = ExitCode.USAGE


class ConflictError(PatchqError):
    """A patch does not apply; `paths` lists the conflicting files."""

    exit_code = ExitCode.FOUND

    def __init__(self, message: str, *, paths: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.paths = paths


class ServerError(PatchqError):
    """A review or bug server could not be asked, or its answer could not be read."""

    exit_code = ExitCode.USAGE
