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

By default the worktree is a sparse checkout (git's own, non-cone patterns in
`.git/info/sparse-checkout`, `core.sparseCheckout` in its own config): on disk only the files
the series' patches touch, plus whatever git writes to show a conflict (an unmerged path is
always written, at a path an upstream rename moved it to too); every other entry is in the
index with skip-worktree, so `git status`, `git diff`, `write-tree` and the resolution
`--continue` takes see the whole tree. That writes tens of files instead of thousands. The
paths patterns name are kept in `.git/patchq-sparse`; a worktree whose patterns or config a
human changed (`git sparse-checkout disable`, say) is checked out again rather than moved.
A move keeps the patterns: `reset --hard` writes a path that was unmerged outside them (the
last stop's conflict at a renamed path) as a plain file, and the cherry-pick that follows, a
merge that applies the patterns to every entry, takes it off disk again, so each stop shows
what a fresh sparse checkout shows.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from patchq import console
from patchq.errors import GitError
from patchq.git.core import Repo, Sha
from patchq.git.export import SPARSE_CONFIG, run_in_worktree, worktree_add, worktree_remove

TOKEN = "patchq-checkout"
SPARSE_RECORD = "patchq-sparse"  # the paths the sparse patterns name, NUL-separated

# The paths a sparse worktree holds, asked for only when it is checked out from scratch.
SparsePaths = Callable[[], Iterable[bytes]]


def worktree_checkout(
    repo: Repo, path: Path, commit: Sha, *, sparse: SparsePaths | None = None
) -> bool:
    """Put the conflict worktree at `commit` with nothing else in it, as a fresh checkout
    would (`sparse`: only the paths it gives on disk). It is moved when it is one patchq made
    in the same form and can be moved safely, else checked out from scratch. Returns True
    when it was moved."""
    if worktree_move(repo, path, commit, sparse=sparse is not None):
        return True
    worktree_fresh(repo, path, commit, sparse=sparse)
    return False


def worktree_fresh(
    repo: Repo, path: Path, commit: Sha, *, sparse: SparsePaths | None = None
) -> None:
    """Remove whatever is at `path` and check `commit` out there from scratch."""
    if path.exists() or path.is_symlink():
        worktree_remove(repo, path)
    paths = None if sparse is None else sorted(set(sparse()))
    worktree_add(repo, path, commit, patterns=None if paths is None else sparse_patterns(paths))
    if paths is not None:
        (path / ".git" / SPARSE_RECORD).write_bytes(b"\0".join(paths))
    import secrets  # only at a checkout

    (path / ".git" / TOKEN).write_text(secrets.token_hex(8) + "\n")
    _past_the_racy_second(path / ".git" / "index")


def series_paths(repo: Repo, commits: Sequence[str]) -> tuple[bytes, ...]:
    """Every path the commits change, both sides of a rename and created files included
    (one `git diff-tree --stdin`, trees only)."""
    args = ("diff-tree", "--stdin", "-r", "-z", "--name-only", "--no-renames", "--no-commit-id")
    out = repo.run(*args, input="".join(f"{sha}\n" for sha in commits).encode()).stdout
    return tuple(dict.fromkeys(p for p in out.split(b"\0") if p))


_GLOB = re.compile(rb"([\\*?\[\] !#])")


def sparse_patterns(paths: Iterable[bytes]) -> bytes:
    """`info/sparse-checkout` naming exactly `paths` (non-cone, gitignore syntax): each one
    anchored, its wildcard characters and spaces escaped. A newline or carriage return,
    which a pattern cannot hold, becomes `?` (any one character): a few more files on disk,
    never fewer."""
    lines = []
    for path in sorted(set(paths)):
        escaped = _GLOB.sub(rb"\\\1", path).replace(b"\n", b"?").replace(b"\r", b"?")
        lines.append(b"/" + escaped + b"\n")
    return b"".join(lines)


def worktree_sparse_paths(path: Path) -> tuple[bytes, ...] | None:
    """The paths the sparse worktree at `path` holds, as its checkout recorded them; None
    when it is not a sparse checkout patchq made or its patterns were changed since."""
    git_dir = path / ".git"
    try:
        recorded = (git_dir / SPARSE_RECORD).read_bytes()
        patterns = (git_dir / "info" / "sparse-checkout").read_bytes()
    except OSError:
        return None
    paths = tuple(recorded.split(b"\0")) if recorded else ()
    return paths if patterns == sparse_patterns(paths) else None


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


def worktree_move(repo: Repo, path: Path, commit: Sha, *, sparse: bool = False) -> bool:
    """Move an existing patchq worktree to `commit`, writing only the files that differ.
    False (nothing done that matters) when there is none or it cannot be moved safely: not a
    directory, a `.git` patchq did not make or a human reconfigured (sparse patterns
    included), not in the form asked for (`sparse` or full), a lock a killed git left, or
    git refusing."""
    git_dir = path / ".git"
    extra = SPARSE_CONFIG if sparse else ""
    if path.is_symlink() or not path.is_dir():
        return False
    if not repo.is_sealed_git_dir(git_dir, extra_config=extra):
        return False
    if not (git_dir / TOKEN).is_file() or (git_dir / "index.lock").exists():
        return False
    if sparse and worktree_sparse_paths(path) is None:
        return False
    try:
        run_in_worktree(repo, path, "reset", "-q", "--hard", commit)
        run_in_worktree(repo, path, "clean", "-q", "-ffdx")
    except GitError as exc:
        console.debug(f"patchq: checking the worktree out again: {exc}")
        return False
    return True


def worktree_files(path: Path) -> int:
    """How many files (and symlinks) the worktree at `path` has on disk, `.git` aside."""
    count = 0
    for folder, dirs, files in os.walk(path):
        if folder == str(path):
            dirs[:] = [d for d in dirs if d != ".git"]
        links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        count += len(files) + len(links)
    return count


def worktree_checkout_token(path: Path) -> str | None:
    """The token of the checkout the worktree at `path` comes from (None: there is none)."""
    try:
        return (path / ".git" / TOKEN).read_text().strip() or None
    except OSError:
        return None
