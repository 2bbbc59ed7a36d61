"""A private index: apply a whole series in one `git apply`, continuing past failures
(patchq check)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from patchq.git.core import (
    Repo,
    conflict_paths,
)


@dataclass(frozen=True)
class ApplyResult:
    """What `git apply --index` did to a private index."""

    clean: bool
    three_way: bool = False  # applied only with a 3-way merge
    conflicts: tuple[str, ...] = ()
    detail: str = ""  # git's first error line when it failed


class PrivateIndex:
    """A temporary index outside the user's worktree: patches are applied to it in order."""

    def __init__(self, repo: Repo, tree: str, *, name: str = "check-index") -> None:
        self.repo = repo
        self.path = repo.scratch_dir() / name
        self.env = {"GIT_INDEX_FILE": str(self.path)}
        repo.run("read-tree", tree, env=self.env)

    def apply_all(self, files: Sequence[Path]) -> bool:
        """Apply every patch file in order in ONE process; all or nothing."""
        if not files:
            return True
        args = ["apply", "--cached", "--binary", "--whitespace=nowarn"]
        proc = self.repo.run(*args, *(str(f.resolve()) for f in files), env=self.env, check=False)
        return proc.returncode == 0

    def apply(self, patch: bytes, *, three_way: bool = True) -> ApplyResult:
        """Apply one patch; when it fails the index is left exactly as it was."""
        args = ["apply", "--cached", "--binary", "--whitespace=nowarn"]
        proc = self.repo.run(*args, "-", input=patch, env=self.env, check=False)
        if proc.returncode == 0:
            return ApplyResult(clean=True)
        stderr = proc.stderr.decode("utf-8", "replace")
        if three_way:
            saved = self.path.read_bytes()
            retry = self.repo.run(*args, "-3", "-", input=patch, env=self.env, check=False)
            if retry.returncode == 0:
                return ApplyResult(clean=True, three_way=True)
            self.path.write_bytes(saved)  # -3 leaves unmerged entries behind
        lines = [line for line in stderr.splitlines() if line.startswith("error:")]
        detail = (lines[-1] if lines else stderr.strip().split("\n")[0])[:200]
        return ApplyResult(clean=False, conflicts=conflict_paths(stderr), detail=detail)
