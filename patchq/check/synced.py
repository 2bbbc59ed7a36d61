"""Checks on what `patchq sync` recorded: PQ015 (the review state contradicts the series) and
PQ016 (the recorded state is older than policy max_sync_age_days).

Each yields (check id, patch file, where in series.yaml, message); checks.py makes findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from patchq.errors import PatchqError
from patchq.series.model import Patch, Series, Status

if TYPE_CHECKING:
    from patchq.series.workspace import Workspace

MAX_SYNC_AGE = "max_sync_age_days"
Located = tuple[int, Patch]  # (index in patches:, the patch)
Problem = tuple[str, str, tuple[str | int, ...], str]


def anything_synced(current: Series | None) -> bool:
    """Whether `patchq sync` recorded a review state for any patch (PQ015 runs only then)."""
    return current is not None and any(p.upstream.changes for p in current.patches)


def review_state(
    ws: Workspace, current: Series | None, patches: Sequence[Located]
) -> Iterator[Problem]:
    """PQ015: a submitted patch whose change is ABANDONED, or a patch merged upstream that is
    still carried on a base that already contains the merged commit."""
    trunk = current.upstream.trunk if current is not None else "master"
    merged: list[tuple[int, Patch, int, str]] = []
    for index, patch in patches:
        tracked = next((c for c in patch.upstream.changes if c.branch == trunk), None)
        if tracked is None:
            continue
        if tracked.status == "ABANDONED" and patch.status is Status.SUBMITTED:
            yield (
                "PQ015",
                patch.file,
                ("patches", index, "upstream", "changes"),
                f"{patch.file}: submitted, but its change {tracked.number} on {trunk} was "
                f"ABANDONED (sync of {patch.upstream.synced or 'an unknown date'}): restore or "
                f"re-propose it, or `patchq mark {patch.name} pending`",
            )
        elif tracked.status == "MERGED" and tracked.commit:
            merged.append((index, patch, tracked.number, tracked.commit))
    for index, patch, number, commit in _already_in_base(ws, current, merged):
        yield (
            "PQ015",
            patch.file,
            ("patches", index),
            f"{patch.file}: merged upstream as {commit[:12]} (change {number}), which the base "
            f"already contains: drop it (`patchq drop {patch.name}`)",
        )


def _already_in_base(
    ws: Workspace, current: Series | None, merged: list[tuple[int, Patch, int, str]]
) -> list[tuple[int, Patch, int, str]]:
    """The merged commits that are ancestors of base_commit, when the upstream clone is at hand
    and knows them (a commit it has not fetched says nothing)."""
    if not merged or current is None:
        return []
    try:
        repo = ws.open_repo(current)
    except PatchqError:
        return []
    base = current.upstream.base_commit
    commits = sorted({item[3] for item in merged})
    with repo:
        # Two processes for any number of patches: which commits the clone has, then which
        # of those are not in base (what `rev-list C... ^base` lists).
        probe = repo.run(
            "cat-file", "--batch-check", input="\n".join(commits).encode() + b"\n", check=False
        )
        known = {
            line.split()[0]
            for line in probe.stdout.decode(errors="replace").splitlines()
            if " commit " in line  # "<sha> missing" for a commit the clone has not fetched
        }
        if not known:
            return []
        walk = repo.run("rev-list", *sorted(known), f"^{base}", "--", check=False)
        if walk.returncode != 0:
            return []
        outside = set(walk.stdout.decode(errors="replace").split())
    return [item for item in merged if item[3] in known and item[3] not in outside]


def sync_age(limit: object, patches: Sequence[Located], today: dt.date) -> Iterator[Problem]:
    """PQ016: with policy max_sync_age_days, a patch with a Change-Id, review or bug whose last
    sync is older than that, or that was never synced."""
    if not isinstance(limit, int) or isinstance(limit, bool):
        return
    for index, patch in patches:
        links = patch.upstream
        if not (links.change_id or links.review or links.bug):
            continue
        where = ("patches", index, "upstream")
        if links.synced is None:
            yield (
                "PQ016",
                patch.file,
                where,
                f"{patch.file}: never synced with upstream (policy {MAX_SYNC_AGE} {limit}): "
                "run `patchq sync`",
            )
            continue
        try:
            age = (today - dt.date.fromisoformat(links.synced[:10])).days
        except ValueError:
            age = limit + 1
        if age > limit:
            yield (
                "PQ016",
                patch.file,
                where,
                f"{patch.file}: last synced {age} days ago ({links.synced[:10]}), over policy "
                f"{MAX_SYNC_AGE} {limit}: run `patchq sync`",
            )
