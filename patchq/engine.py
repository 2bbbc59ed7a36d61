"""The series as commits: patch files applied in memory onto a base, one commit per patch.

No worktree, no user index: each patch is applied to a tree in a private index and written as
a commit with the patch's own author, date and message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from patchq.errors import ConflictError
from patchq.git import Repo, Sha
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
