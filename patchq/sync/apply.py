"""What Gerrit's and Launchpad's answers change in one patch: pure, no I/O.

The rules (issue 14): a change MERGED on the tracked branch makes a pending or submitted patch
`merged` (commit and merge date recorded); NEW makes a pending patch `submitted` and fills the
review URL; ABANDONED is recorded, and a `submitted` patch keeps its status but is flagged.
Changes on other branches (stable backports) are recorded with their branch.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from patchq.series.model import BugTask, Patch, ReviewChange, Status

PROMOTED_BY_MERGE = (Status.PENDING, Status.SUBMITTED)


@dataclass(frozen=True)
class Update:
    """One visible change to a patch's entry (the --dry-run table's row)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Found:
    """What the servers said about one patch."""

    changes: tuple[ReviewChange, ...] | None  # None: Gerrit was not asked
    bug_task: BugTask | None
    bug_asked: bool
    synced: str
    synced_from: str
    review_url: str | None = None  # URL of the tracked-branch change, when there is one
    change_id: str | None = None  # learnt from Gerrit when the patch had only a review URL


@dataclass(frozen=True)
class Outcome:
    before: Patch
    after: Patch
    updates: tuple[Update, ...]
    flags: tuple[str, ...]  # needs a human: an abandoned change under a submitted patch
    notes: tuple[str, ...]


def apply(patch: Patch, found: Found, *, trunk: str) -> Outcome:
    links = patch.upstream
    status = patch.status
    notes: list[str] = []
    flags: list[str] = []
    changes = links.changes
    if found.changes is not None:
        if found.changes:
            changes = _ordered(found.changes, trunk)
        elif status in (Status.SUBMITTED, Status.MERGED):
            notes.append(f"{status.value}, but Gerrit has no change for it in this project")
    tracked = next((c for c in changes if c.branch == trunk), None)
    review, commit, change_id = links.review, links.commit, links.change_id
    if change_id is None and found.change_id is not None:
        change_id = found.change_id
    if tracked is not None and found.changes:
        if tracked.status == "MERGED":
            if status in PROMOTED_BY_MERGE:
                status = Status.MERGED
            if commit is None and status == Status.MERGED:
                commit = tracked.commit
            review = review or found.review_url
        elif tracked.status == "NEW":
            if status == Status.PENDING:
                status = Status.SUBMITTED
            review = review or found.review_url
        elif tracked.status == "ABANDONED" and status == Status.SUBMITTED:
            flags.append(
                f"change {tracked.number} on {trunk} is ABANDONED but the patch is still "
                f"submitted: restore or re-propose it, or `patchq mark {patch.name} pending`"
            )
    elif found.changes and tracked is None:
        notes.append(f"no change on {trunk}, only on {', '.join(c.branch for c in changes)}")
    bug_task = links.bug_task
    if found.bug_asked:
        if found.bug_task is None:
            notes.append("Launchpad shows no task of this project on the bug (or no such bug)")
        else:
            bug_task = found.bug_task
    new_links = dataclasses.replace(
        links,
        change_id=change_id,
        review=review,
        commit=commit,
        changes=changes,
        bug_task=bug_task,
        synced=found.synced,
        synced_from=found.synced_from,
    )
    after = dataclasses.replace(patch, status=status, upstream=new_links)
    return Outcome(patch, after, tuple(_updates(patch, after)), tuple(flags), tuple(notes))


def _ordered(changes: tuple[ReviewChange, ...], trunk: str) -> tuple[ReviewChange, ...]:
    """The tracked branch first, then the others by name: a stable order for diffs."""
    return tuple(sorted(changes, key=lambda c: (c.branch != trunk, c.branch, c.number)))


def describe_change(change: ReviewChange) -> str:
    text = f"{change.branch} {change.number} {change.status}"
    if change.commit:
        text += f" {change.commit[:12]}"
    if change.merged:
        text += f" {change.merged}"
    return text


def describe_bug(task: BugTask) -> str:
    text = task.status
    if task.importance:
        text += f" ({task.importance})"
    if task.fix_released:
        text += f" released {task.fix_released}"
    return text


def _updates(before: Patch, after: Patch) -> list[Update]:
    out: list[Update] = []
    if before.status != after.status:
        out.append(Update("status", before.status.value, after.status.value))
    old, new = before.upstream, after.upstream
    for key in ("change_id", "review", "commit"):
        if getattr(old, key) != getattr(new, key):
            out.append(Update(key, getattr(old, key) or "", getattr(new, key) or ""))
    old_changes = {c.branch: c for c in old.changes}
    for change in new.changes:
        previous = old_changes.get(change.branch)
        if previous != change:
            before_text = describe_change(previous) if previous else ""
            out.append(Update(f"review {change.branch}", before_text, describe_change(change)))
    if old.bug_task != new.bug_task and new.bug_task is not None:
        before_text = describe_bug(old.bug_task) if old.bug_task else ""
        out.append(Update("bug", before_text, describe_bug(new.bug_task)))
    return out
