"""The rebase's conflict worktree moved from one stop to the next instead of checked out again.

A fresh checkout of a 5,000-file tree writes every file (seconds, mostly system time); between
two stops of a rebase only the files the patches carried in between touch differ. So the
worktree is checked out once per rebase (export.worktree_add) and later moved: `reset --hard`
in its sealed `.git` writes only the entries whose blob or mode changed (and those a human
edited), and `clean -ffdx` removes whatever a human added. Both run sealed like every other
worktree command (no config but the worktree's own, checked to be the one patchq wrote; no
hooks; no attributes file), so no filter, driver or hook of the clone or the user runs.

Each checkout writes a fresh token to `.git/patchq-checkout`; worktree_checkout_token() reads
it, which is how tests (and `-v` readers) tell a moved worktree from a new one.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path

from patchq import console
from patchq.errors import GitError
from patchq.git.core import Repo, Sha
from patchq.git.export import run_in_worktree, worktree_add, worktree_remove

TOKEN = "patchq-checkout"


def worktree_checkout(repo: Repo, path: Path, commit: Sha) -> bool:
    """Put the conflict worktree at `commit` with nothing else in it, as a fresh checkout
    would. It is moved when it is one patchq made and can be moved safely, else checked out
    from scratch. Returns True when it was moved."""
    if worktree_move(repo, path, commit):
        return True
    worktree_fresh(repo, path, commit)
    return False


def worktree_fresh(repo: Repo, path: Path, commit: Sha) -> None:
    """Remove whatever is at `path` and check `commit` out there from scratch."""
    if path.exists() or path.is_symlink():
        worktree_remove(repo, path)
    worktree_add(repo, path, commit)
    (path / ".git" / TOKEN).write_text(secrets.token_hex(8) + "\n")
    _past_the_racy_second(path / ".git" / "index")


def _past_the_racy_second(index: Path) -> None:
    """Date the fresh index at the start of the next second. git (built without USE_NSEC, as
    distributions ship it) takes every entry written in the index's own second as "racily
    clean" and reads its file again to be sure, at every command until the index is rewritten
    a second later: after a checkout that is the whole tree, twice per command (about 1 s
    for 5,000 files). The date is true for everything the checkout wrote; until then only
    patchq's own cherry-pick writes there, and it records the files it writes and rewrites
    the index with its own date."""
    try:
        stamp = math.floor(index.stat().st_mtime) + 1
        os.utime(index, (stamp, stamp))
    except OSError:
        pass  # a cost, not a risk


def worktree_move(repo: Repo, path: Path, commit: Sha) -> bool:
    """Move an existing patchq worktree to `commit`, writing only the files that differ.
    False (nothing done that matters) when there is none or it cannot be moved safely: not a
    directory, a `.git` patchq did not make or a human reconfigured, a lock a killed git left,
    or git refusing."""
    git_dir = path / ".git"
    if path.is_symlink() or not path.is_dir() or not repo.is_sealed_git_dir(git_dir):
        return False
    if not (git_dir / TOKEN).is_file() or (git_dir / "index.lock").exists():
        return False
    try:
        run_in_worktree(repo, path, "reset", "-q", "--hard", commit)
        run_in_worktree(repo, path, "clean", "-q", "-ffdx")
    except GitError as exc:
        console.debug(f"patchq: checking the worktree out again: {exc}")
        return False
    return True


def worktree_checkout_token(path: Path) -> str | None:
    """The token of the checkout the worktree at `path` comes from (None: there is none)."""
    try:
        return (path / ".git" / TOKEN).read_text().strip() or None
    except OSError:
        return None
