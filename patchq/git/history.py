"""The shape of history between a base and a ref that need not contain it: merge bases, and
first-parent walks (patchq status when base is not an ancestor of REF)."""

from __future__ import annotations

from collections.abc import Iterable

from patchq.git.core import Repo, Sha, as_sha


def merge_bases(repo: Repo, a: Sha, b: Sha) -> list[Sha]:
    """The best common ancestors of a and b (`git merge-base --all`); [] for unrelated
    histories. Every commit both reach is reachable from one of them, so the commits `a` has
    and `b` lacks are exactly `a ^base1 ^base2...`, a walk of a's side only."""
    proc = repo.run("merge-base", "--all", a, b, check=False, ok_codes=(0, 1))
    if proc.returncode != 0:
        return []
    return [as_sha(line) for line in proc.stdout.decode().split()]


def first_parent_touching(
    repo: Repo, tip: Sha, exclude: Iterable[Sha], paths: Iterable[str]
) -> list[Sha]:
    """The commits on tip's first-parent chain, down to the first one `exclude` reaches,
    whose tree differs from their first parent's at `paths` (merges included), oldest first:
    where a change to those paths can first show up along the chain. ONE `git rev-list`."""
    wanted = sorted(set(paths))
    if not wanted:
        return []
    args = ["rev-list", "--first-parent", "--reverse", tip, *(f"^{e}" for e in exclude)]
    out = repo.text(*args, "--", *(f":(literal){p}" for p in wanted))
    return [Sha(line) for line in out.split()]
