"""Remotes, the user's identity and pushes, through GitPython (`patchq propose`).

Off the hot path, and where GitPython's API fits: `Remote.push` reports each ref's outcome as
PushInfo flags instead of text to parse. Commands run with the same neutral config as every
other git call (hooks disabled, so the clone's pre-push hook never runs from patchq).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from patchq import console
from patchq.errors import ConfigError, GitError
from patchq.git.core import _LEAKY_ENV, _SAFE_CONFIG


@contextmanager
def _open(path: Path) -> Iterator[Any]:
    import git

    try:
        repo = git.Repo(path)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        raise ConfigError(f"{path} is not a git repository: point --upstream at a clone") from None
    try:
        repo.git.set_persistent_git_options(c=list(_SAFE_CONFIG))
        repo.git.update_environment(
            LC_ALL="C", GIT_TERMINAL_PROMPT="0", **dict.fromkeys(_LEAKY_ENV)
        )
        yield repo
    finally:
        repo.close()


def committer_ident(path: Path) -> str:
    """`git var GIT_COMMITTER_IDENT`: the user's own identity and the time, as a commit's
    committer line (what Gerrit checks an upload against, and what its commit-msg hook
    hashes). Unlike Repo.run, no patchq default identity is put in the environment."""
    import git

    with _open(path) as repo:
        try:
            ident: str = repo.git.var("GIT_COMMITTER_IDENT")
        except git.exc.GitCommandError as exc:
            raise ConfigError(
                f"git knows no committer identity in {path}: set user.name and user.email "
                f"({_stderr(exc)})"
            ) from None
    return ident.strip()


def remote_names(path: Path) -> list[str]:
    with _open(path) as repo:
        return [r.name for r in repo.remotes]


def require_remote(path: Path, remote: str) -> None:
    names = remote_names(path)
    if remote not in names:
        known = ", ".join(names) or "none"
        raise ConfigError(
            f"no remote {remote!r} in {path.resolve()} (remotes: {known}): add it with "
            f"`git remote add {remote} URL` or give another --push REMOTE"
        )


def push(path: Path, *, remote: str, source: str, target: str) -> tuple[str, list[str]]:
    """`git push REMOTE SOURCE:TARGET`: git's one-line summary and the server's `remote:`
    lines (where Gerrit says the review URL); GitError when the ref was not accepted."""
    import git

    require_remote(path, remote)
    with _open(path) as repo:
        refspec = f"{source}:{target}"
        console.debug(f"git push --no-verify --porcelain {remote} {refspec}")
        try:
            progress = git.RemoteProgress()
            infos = repo.remote(remote).push(refspec, progress=progress, no_verify=True)
        except git.exc.GitCommandError as exc:
            raise GitError(f"git push {remote} {refspec} failed: {_stderr(exc)}") from None
        failed = git.PushInfo.ERROR | git.PushInfo.REJECTED | git.PushInfo.REMOTE_REJECTED
        failed |= git.PushInfo.REMOTE_FAILURE
        if not infos:
            raise GitError(f"git push {remote} {refspec} pushed nothing")
        for info in infos:
            if info.flags & failed:
                raise GitError(f"git push {remote} {refspec} was refused: {info.summary.strip()}")
        said = [line[len("remote:") :].strip() for line in progress.other_lines]
        return str(infos[0].summary).strip(), [line for line in said if line]


def _stderr(exc: Any) -> str:
    # GitPython 3.2 pre-formats stderr as "\n  stderr: '...'": keep git's own last line.
    text = str(getattr(exc, "stderr", "") or exc).strip().strip("'")
    lines = [line.strip() for line in text.replace("stderr:", "").splitlines() if line.strip()]
    return lines[-1].strip("'") if lines else "no message"
