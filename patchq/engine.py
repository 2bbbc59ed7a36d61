"""The series as commits: patch files applied in memory onto a base, one commit per patch.

No worktree, no user index: each patch is applied to a tree in a private index and written as
a commit with the patch's own author, date and message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from patchq.errors import ConflictError
from patchq.git import CommitInfo, Repo, Sha
from patchq.model import Patch
from patchq.patchfile import PatchFile

COMMITTER = "patchq <patchq@localhost>"


@dataclass(frozen=True)
class PatchCommit:
    patch: Patch
    info: PatchFile
    commit: Sha
    tree: Sha
    parent: Sha


def commit_patch(repo: Repo, *, parent: Sha, tree: Sha, info: PatchFile) -> Sha:
    author = info.git_author_line()
    # The committer date equals the author date so the same series always gives the same shas.
    committer = f"{COMMITTER} {author.rsplit(' ', 2)[-2]} {author.rsplit(' ', 1)[-1]}"
    return repo.write_commit(
        tree=tree, parents=[parent], message=info.message, author=author, committer=committer
    )


def build_commits(
    repo: Repo,
    *,
    base: Sha,
    patches: Sequence[tuple[Patch, PatchFile]],
    three_way: bool = True,
) -> list[PatchCommit]:
    """Apply each patch on the result of the previous ones; ConflictError names the first
    that does not apply."""
    out: list[PatchCommit] = []
    head = base
    tree = repo.commit_info([base])[0].tree
    for patch, info in patches:
        result = repo.apply_to_tree(tree, info.raw)
        if not result.clean and three_way:
            result = repo.apply_to_tree(tree, info.raw, three_way=True)
        if not result.clean:
            paths = ", ".join(result.conflicts) or "see `git apply` output"
            raise ConflictError(
                f"patch {patch.file} ({info.subject}) does not apply: {paths}",
                paths=result.conflicts,
            )
        commit = commit_patch(repo, parent=head, tree=result.tree, info=info)
        out.append(
            PatchCommit(patch=patch, info=info, commit=commit, tree=result.tree, parent=head)
        )
        head, tree = commit, result.tree
    return out


@dataclass(frozen=True)
class PickStep:
    """One patch carried onto the result of the previous ones (see pick_chain)."""

    patch_commit: PatchCommit
    clean: bool
    tree: Sha  # the merged tree (with conflict markers when not clean)
    commit: Sha | None  # the new commit on the chain when clean
    conflicts: tuple[str, ...]
    empty: bool = False  # clean, and the patch changed nothing: it is already there


def as_commit_info(pc: PatchCommit) -> CommitInfo:
    """The commit-object view of a PatchCommit, without asking git for it."""
    author = pc.info.git_author_line()
    name, _, rest = author.partition(" <")
    email, _, date = rest.partition("> ")
    return CommitInfo(
        sha=pc.commit,
        parents=(pc.parent,),
        tree=pc.tree,
        author_name=name,
        author_email=email,
        author_date=date,
        committer_name=name,
        committer_email=email,
        committer_date=date,
        message=pc.info.message,
    )


def pick_one(repo: Repo, *, head: Sha, head_tree: Sha, pc: PatchCommit) -> PickStep:
    """Cherry-pick one patch commit onto `head` in memory; a clean pick gets a new commit."""
    result = repo.pick(onto_tree=head_tree, commit=as_commit_info(pc))
    if not result.clean:
        return PickStep(pc, clean=False, tree=result.tree, commit=None, conflicts=result.conflicts)
    commit = commit_patch(repo, parent=head, tree=result.tree, info=pc.info)
    empty = result.tree == head_tree
    return PickStep(pc, clean=True, tree=result.tree, commit=commit, conflicts=(), empty=empty)


def pick_chain(
    repo: Repo, *, onto: Sha, commits: Sequence[PatchCommit], stop_on_conflict: bool
) -> list[PickStep]:
    """Carry each patch onto the result of the previous clean ones (`git merge-tree`, in
    memory; files upstream renamed are followed). A conflicting patch is left out of the chain;
    with stop_on_conflict the list ends at it."""
    steps: list[PickStep] = []
    head = onto
    head_tree = repo.commit_info([onto])[0].tree
    for pc in commits:
        step = pick_one(repo, head=head, head_tree=head_tree, pc=pc)
        steps.append(step)
        if step.clean and step.commit is not None:
            head, head_tree = step.commit, step.tree
        elif stop_on_conflict:
            break
    return steps
