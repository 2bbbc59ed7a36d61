"""format-patch export, fast-import, and the patchq-owned conflict worktree
(import, demo, rebase)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from patchq.errors import GitError
from patchq.git.core import (
    Repo,
    Sha,
    as_sha,
)
from patchq.git.sealed import SEALED_CONFIG

# format-patch flags that pin its output whatever the user's format.* config says.
FORMAT_PATCH_FLAGS = (
    "--no-numbered",
    "--no-signature",
    "--no-cover-letter",
    "--no-thread",
    "--no-attach",
    "--no-to",
    "--no-cc",
    "--no-add-header",
    "--no-base",
    "--no-signoff",
    "--no-notes",
    "--no-from",
    "--no-relative",
    "--binary",
    "--no-textconv",
    "--no-ext-diff",
)


def format_patches(repo: Repo, start: Sha, end: Sha) -> dict[Sha, bytes]:
    """`git format-patch start..end` in one process: each commit's patch file by commit sha."""
    import tempfile  # with shutil and the archive modules: only when formatting

    out_dir = Path(tempfile.mkdtemp(prefix="format-patch-", dir=repo.scratch_dir()))
    repo.run(
        "format-patch",
        "-q",
        "--numbered-files",
        "-o",
        str(out_dir),
        *FORMAT_PATCH_FLAGS,
        f"{start}..{end}",
    )
    found: dict[Sha, bytes] = {}
    for item in out_dir.iterdir():
        data = item.read_bytes()
        if not data:  # a commit that changes nothing: format-patch leaves its file empty
            continue
        first = data.split(b"\n", 1)[0].split(b" ")
        if len(first) < 2 or first[0] != b"From":
            raise GitError(f"`git format-patch` wrote an unexpected file in {repo.path}")
        found[as_sha(first[1].decode())] = data
    return found


def fast_import(repo: Repo, stream: bytes) -> None:
    """Feed a `git fast-import` stream into a repository (the demo's synthetic upstream)."""
    repo.run("fast-import", "--quiet", "--date-format=raw", "--done", input=stream)


def checkout(repo: Repo, branch: str) -> None:
    """Check `branch` out in a repository patchq itself created (never the user's)."""
    repo.run("checkout", "-q", "-f", branch)


# Flags and config that pin every knob of format-patch output, so a regenerated patch file
# depends only on the commit (not on the user's format.* / diff.* config or the repo's size).
REFRESH_FORMAT_CONFIG = (
    "diff.algorithm=myers",
    "diff.context=3",
    "diff.interHunkContext=0",
    "diff.relative=false",
    "diff.renames=true",
    "diff.indentHeuristic=true",
    "diff.suppressBlankEmpty=false",
    "format.mboxrd=false",
    "format.forceInBodyFrom=false",
    "i18n.logOutputEncoding=UTF-8",
)
REFRESH_FORMAT_FLAGS = (
    "--stdout",
    "--zero-commit",
    "--no-signature",
    "--no-numbered",
    "--no-thread",
    "--no-notes",
    "--no-cover-letter",
    "--no-base",
    "--no-attach",
    "--no-add-header",
    "--no-to",
    "--no-cc",
    "--no-signoff",
    "--subject-prefix=PATCH",
    "--encode-email-headers",
    "--abbrev=12",
    "--find-renames",
    "--diff-algorithm=myers",
    "--unified=3",
    "--inter-hunk-context=0",
    "--no-relative",
    "--indent-heuristic",
    "-O/dev/null",
    "--stat=72",
    "--no-textconv",
    "--no-ext-diff",
)


def format_patch_chain(repo: Repo, tip: Sha, count: int) -> bytes:
    """`git format-patch` of the last `count` commits of the linear chain ending at `tip`, as
    one mbox, in pinned, stable form. Counting (`-N tip`) instead of naming the range
    (`base..tip`) spares git a walk of upstream history: patchq's commits keep their patches'
    old dates, which a range walk must look far past to rule out."""
    args: list[str] = []
    for item in REFRESH_FORMAT_CONFIG:
        args += ["-c", item]
    return repo.run(*args, "format-patch", *REFRESH_FORMAT_FLAGS, f"-{count}", tip).stdout


# What a sparse conflict worktree adds to its sealed `.git/config` (git/worktree.py): git's
# own sparse checkout, with patterns that name files (non-cone mode).
SPARSE_CONFIG = "[core]\n\tsparseCheckout = true\n\tsparseCheckoutCone = false\n"


def worktree_add(repo: Repo, path: Path, commit: Sha, *, patterns: bytes | None = None) -> None:
    """A worktree at `commit` with its own sealed `.git` (git/sealed.py): no branch is created
    or moved, nothing is registered in the clone, and none of the clone's filters, merge
    drivers or hooks run while it is checked out, merged into or staged. With `patterns` (the
    lines of git's `info/sparse-checkout`) it is a sparse checkout: only the files they name
    are written, every other entry of the tree is in the index with skip-worktree."""
    path.mkdir(parents=True)
    git_dir = path / ".git"
    repo.make_sealed_git_dir(git_dir, head=commit)
    if patterns is not None:
        (git_dir / "info").mkdir(exist_ok=True)
        (git_dir / "info" / "sparse-checkout").write_bytes(patterns)
        with (git_dir / "config").open("a") as config:
            config.write(SPARSE_CONFIG)
    # Parallel checkout (one worker per core): writing thousands of files is system time,
    # and two workers halved it in paired runs on a 5,000-file tree (1.0-2.5 s against
    # 2.1-3.1 s, 2 cores).
    run_in_worktree(repo, path, "-c", "checkout.workers=0", "reset", "-q", "--hard", commit)


def worktree_remove(repo: Repo, path: Path) -> None:
    """Remove a worktree patchq made, and nothing else. One a patchq before 0.x registered in
    the clone with `git worktree add` is removed with its admin data under the git dir."""
    import shutil

    if (path / ".git").is_dir():  # patchq's own sealed worktree: not known to the clone
        shutil.rmtree(path, ignore_errors=True)
        return
    proc = repo.run("worktree", "remove", "--force", "--force", str(path), check=False)
    if proc.returncode == 0:
        return
    # The directory is gone (or half made): drop only the admin entry that points at it.
    admin_root = repo.git_dir / "worktrees"
    wanted = os.path.realpath(path / ".git") if path.exists() else str(path / ".git")
    if admin_root.is_dir():
        for admin in admin_root.iterdir():
            pointer = admin / "gitdir"
            try:
                target = pointer.read_text().strip()
            except OSError:
                continue
            if target in (wanted, str(path / ".git"), os.path.realpath(path) + "/.git"):
                shutil.rmtree(admin, ignore_errors=True)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


def worktree_registered(repo: Repo, path: Path) -> bool:
    """Whether git still lists a worktree at `path` (its admin entry under the git dir),
    even when the directory itself is gone."""
    admin = repo.git_dir / "worktrees"
    if not admin.is_dir():
        return False
    wanted = str(path / ".git")
    for entry in admin.iterdir():
        try:
            if (entry / "gitdir").read_text().strip() == wanted:
                return True
        except OSError:
            continue
    return False


def worktree_tree(repo: Repo, worktree: Path) -> Sha:
    """Stage everything in a patchq worktree and return its tree (the user's resolution); the
    objects land in the clone's object store. In a sparse worktree the entries that are not
    on disk are taken from the index as they are (skip-worktree, or a deletion staged with
    `git rm --sparse`), and a file a human created or edited outside the sparse patterns is
    staged like any other."""
    # A blob the human's own `git add`/`git commit` there wrote went to the worktree's private
    # object store, which the clone does not see: those objects are copied into the clone
    # first, so the index (which a sparse worktree cannot rebuild from its files) names only
    # objects the clone has. Then `add -A` hashes only the files that changed (a 5,000-file
    # tree is not read again).
    _adopt_own_objects(repo, worktree)
    # --sparse: without it, `add` leaves alone the files on disk that the sparse patterns do
    # not name (a conflict git placed at a renamed path, a file the human created), and
    # refuses new ones. It changes nothing in a full checkout.
    run_in_worktree(repo, worktree, "add", "-A", "--sparse")
    return as_sha(run_in_worktree(repo, worktree, "write-tree").stdout.decode())


def _adopt_own_objects(repo: Repo, worktree: Path) -> None:
    """Copy every object of the worktree's private store into the clone's (one pack)."""
    own = worktree / ".git" / "objects"
    names = _own_object_names(repo, own)
    if not names:
        return
    batch = "".join(f"{name}\n" for name in names).encode()
    out = run_in_worktree(repo, worktree, "cat-file", "--batch", input=batch, lend=own).stdout
    at = 0
    while at < len(out):
        end = out.index(b"\n", at)
        header = out[at:end].split()
        at = end + 1
        if len(header) != 3:  # "<name> missing": nothing to copy
            continue
        size = int(header[2])
        kind, data = header[1].decode(), out[at : at + size]
        at += size + 1
        if repo.objects.write(kind, data) != header[0].decode():
            raise GitError(f"{own}: object {header[0].decode()} is corrupt")
    repo.objects.flush()


def _own_object_names(repo: Repo, objects: Path) -> list[str]:
    """The names of the objects in a worktree's private store: loose ones by file name,
    packed ones from each pack index (`git show-index`)."""
    names: list[str] = []
    try:
        folders = sorted(objects.iterdir())
    except OSError:
        return names
    for folder in folders:
        if len(folder.name) == 2 and folder.is_dir():
            names += [folder.name + f.name for f in folder.iterdir() if len(f.name) == 38]
        elif folder.name == "pack":
            for index in sorted(folder.glob("*.idx")):
                listed = repo.run("show-index", input=index.read_bytes()).stdout.decode()
                names += [line.split()[1] for line in listed.splitlines() if line.strip()]
    return names


def worktree_pick_conflict(repo: Repo, worktree: Path, commit: Sha) -> None:
    """Cherry-pick `commit` without committing in a patchq worktree, leaving git's conflict
    markers and unmerged index entries for a human to resolve."""
    run_in_worktree(
        repo,
        worktree,
        "-c",
        "rerere.enabled=false",
        "cherry-pick",
        "--no-commit",
        commit,
        ok_codes=(0, 1),
    )


def run_in_worktree(
    repo: Repo,
    worktree: Path,
    *args: str,
    ok_codes: tuple[int, ...] = (0,),
    input: bytes | None = None,
    lend: Path | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """git in a patchq worktree, sealed; `lend`: an object store it may read too (new objects
    still go to the clone's)."""
    overrides = [item for pair in SEALED_CONFIG for item in ("-c", pair)]
    env = repo.sealed_env(worktree, worktree / ".git")
    if lend is not None:
        env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = str(lend)
    return repo.run(*overrides, *args, env=env, ok_codes=ok_codes, input=input)
