"""`patchq apply`: publish the series as a branch in the upstream clone, without a worktree.

The branch is REF plus one commit per patch that has not landed upstream, each with its own
author, date and message. Nothing is created unless every patch applies; the branch is never
checked out, and an existing branch is replaced only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from patchq.carry.engine import build_commits
from patchq.errors import ConfigError, ConflictError
from patchq.git import Repo, Sha
from patchq.series.model import Series
from patchq.series.workspace import Workspace
from patchq.status import pipeline as status
from patchq.status import verdict
from patchq.status.range import resolve_range


@dataclass(frozen=True)
class Applied:
    head: Sha
    onto_name: str
    applied: int
    landed: int


def check_branch(repo: Repo, branch: str, *, force: bool) -> Sha | None:
    """The branch's current commit (None when new); refuses what must not be replaced."""
    proc = repo.run("check-ref-format", "--branch", branch, check=False)
    # --branch expands "@{-1}" to another name; "@" alone means HEAD to every git command,
    # and "refs/..." would nest under refs/heads/.
    expanded = proc.stdout.decode(errors="replace").strip()
    bad = proc.returncode != 0 or expanded != branch or branch == "@"
    if bad or branch.startswith(("-", "refs/")):
        raise ConfigError(f"--branch {branch!r} is not a valid branch name")
    old = repo.resolve(f"refs/heads/{branch}")
    if old is None:
        return None
    if not force:
        raise ConfigError(
            f"branch {branch} already exists in {repo.path}: pass --force to replace it"
        )
    if branch in checked_out_branches(repo):
        raise ConfigError(
            f"branch {branch} is checked out in {repo.path}: switch away from it first"
        )
    return old


def checked_out_branches(repo: Repo) -> set[str]:
    out = repo.text("worktree", "list", "--porcelain")
    prefix = "branch refs/heads/"
    return {line[len(prefix) :] for line in out.splitlines() if line.startswith(prefix)}


def apply_series(
    ws: Workspace, current: Series, repo: Repo, *, onto: str | None, branch: str, force: bool
) -> Applied:
    old = check_branch(repo, branch, force=force)
    onto_name = current.upstream.base if onto is None else onto  # "--onto ''" is refused
    rng = resolve_range(current, repo, onto_name)
    if rng.against_commit == rng.base_commit:
        # Nothing upstream between base and REF: the series built on its base is the branch.
        pairs = status.read_series(ws, current)
        try:
            commits = build_commits(repo, base=rng.base_commit, patches=pairs)
        except ConflictError as exc:
            raise ConflictError(f"{exc}; nothing was created", paths=exc.paths) from None
        head = commits[-1].commit if commits else rng.base_commit
        applied, landed = len(commits), 0
    else:
        found = status.assess(
            ws, current, repo, against=onto_name, progress=True, commit=True, hints=False
        )
        first_conflict(found.result)
        head = found.head
        counts = found.result.counts()
        applied, landed = counts[verdict.APPLIES], counts[verdict.LANDED]
    repo.update_ref(
        f"refs/heads/{branch}", head, old or "0" * 40, reason=f"patchq apply onto {onto_name}"
    )
    return Applied(head=head, onto_name=onto_name, applied=applied, landed=landed)


def first_conflict(result: verdict.StatusResult) -> None:
    for state in result.patches:
        if state.state == verdict.CONFLICTS:
            paths = ", ".join(state.conflicts) or "see `patchq status`"
            raise ConflictError(
                f"patch {state.patch.file} ({state.subject}) does not apply onto "
                f"{result.against}: {paths}; nothing was created",
                paths=state.conflicts,
            )
