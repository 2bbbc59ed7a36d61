"""The exceptions patchq raises for users, each carrying its exit code."""

from __future__ import annotations

# Exit codes (documented in README and docs/): 0 success, 1 the command found a problem the
# user asked about, 2 usage or configuration error.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class PatchqError(Exception):
    """An expected, user-facing failure: printed as one line, never as a traceback."""

    exit_code = EXIT_USAGE


class ConfigError(PatchqError):
    """series.yaml, a patch file, a flag or the upstream repository is not usable."""

    exit_code = EXIT_USAGE


class GitError(PatchqError):
    """A git command failed; the message names the command and git's own words."""

    exit_code = EXIT_USAGE


class ConflictError(PatchqError):
    """A patch does not apply; `paths` lists the conflicting files."""

    exit_code = EXIT_FINDINGS

    def __init__(self, message: str, *, paths: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.paths = paths


class ServerError(PatchqError):
    """A review or bug server could not be asked, or its answer could not be read."""

    exit_code = EXIT_USAGE
