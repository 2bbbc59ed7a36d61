"""Regenerated patch files: carried commits written back in pinned `git format-patch` form.

A patch whose diff did not change keeps its file byte for byte, whatever tool wrote it. "Did
not change" means that `git format-patch` would write the same diffstat and diff for the
patch's commit on the old base and on the new base. That is decided from the two commits' raw
diffs (paths, modes, blob ids: what the diff text is a function of, and what its `index`
lines show), so the old side is never formatted; only a rename, whose text can hide a changed
blob, is settled by formatting both. Regenerated files depend only on the commit
(git.format_patch_chain pins every format and diff option), so the same input gives the same
bytes and the packaging repository's diff after a rebase shows only what really moved.
"""

from __future__ import annotations

from collections.abc import Sequence

from patchq import git
from patchq.errors import GitError
from patchq.git import Repo, Sha
from patchq.patches.patchfile import ZERO_FROM, am_safe

_SEPARATOR = b"\n---\n"


SPLIT_AT = 40  # a chain this long is formatted by two processes at once (two cores)


def format_chain(repo: Repo, commits: Sequence[Sha], *, split: bool = False) -> list[bytes]:
    """One format-patch text per commit of the linear chain `commits` (oldest first);
    `split`: format the two halves of a long chain in parallel (for when a core is idle)."""
    if split and len(commits) >= SPLIT_AT:
        from concurrent.futures import ThreadPoolExecutor

        mid = len(commits) // 2
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(format_chain, repo, commits[:mid])
            second = format_chain(repo, commits[mid:])
            return first.result() + second
    if not commits:
        return []
    texts = split_mbox(git.format_patch_chain(repo, commits[-1], len(commits)))
    if len(texts) == len(commits):
        return [am_safe(text) for text in texts]
    # A message line that looks like a patch separator, or an empty commit format-patch
    # left out: format the commits one by one instead.
    out = []
    for commit in commits:
        one = split_mbox(git.format_patch_chain(repo, commit, 1))
        if len(one) != 1:
            raise GitError(f"git format-patch gave no patch for commit {commit}")
        out.append(am_safe(one[0]))
    return out


def split_mbox(data: bytes) -> list[bytes]:
    """Split format-patch --stdout output at its zero-commit "From " lines."""
    if not data:
        return []
    if not data.startswith(ZERO_FROM):
        raise GitError("git format-patch output does not start with a From line")
    starts = [0]
    at = data.find(b"\n" + ZERO_FROM)
    while at >= 0:
        starts.append(at + 1)
        at = data.find(b"\n" + ZERO_FROM, at + 1)
    # git writes one "\n" between patches (log-tree's separator): it belongs to no patch.
    ends = [s - 1 for s in starts[1:]] + [len(data)]
    return [data[s:e] for s, e in zip(starts, ends, strict=True)]


def diff_part(text: bytes) -> bytes:
    """The diffstat and diff of a format-patch text (everything after the `---` line)."""
    at = text.find(_SEPARATOR)
    return text[at + len(_SEPARATOR) :] if at >= 0 else text


def refreshed_bytes(*, original: bytes, new_text: bytes, moved: bool) -> bytes:
    """What the patch file holds after the rebase: the original bytes when the diff did not
    move, else the regenerated format-patch text."""
    return original if new_text == original or not moved else new_text


def diffs_moved(
    repo: Repo,
    pairs: Sequence[tuple[Sha, Sha]],
    new_texts: Sequence[bytes],
    raws: dict[str, bytes] | None = None,
) -> list[bool]:
    """For each (old commit, new commit) of a patch, and the new commit's format-patch text:
    whether format-patch writes a different diffstat and diff for the two. `raws`: the
    commits' git.commit_raw_diffs, when the caller fetched them already."""
    if raws is None:
        raws = git.commit_raw_diffs(repo, [sha for pair in pairs for sha in pair])
    moved: list[bool] = []
    for (old, new), new_text in zip(pairs, new_texts, strict=True):
        before, after = raws.get(old), raws.get(new)
        if before is None or after is None or _has_rename(before) or _has_rename(after):
            # A 100% rename shows no blob ids: only the texts can tell.
            old_text = format_chain(repo, [old])[0]
            moved.append(diff_part(old_text) != diff_part(new_text))
        else:
            moved.append(before != after)
    return moved


def _has_rename(raw: bytes) -> bool:
    return any(
        line.startswith(b":") and line.split(b"\t", 1)[0].rsplit(b" ", 1)[-1][:1] in (b"R", b"C")
        for line in raw.splitlines()
    )
