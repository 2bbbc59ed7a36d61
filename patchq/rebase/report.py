"""What a rebase command reports: one row per patch (the plan of --dry-run, the summary at the
end, the state at a conflict), as data for the CLI to render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patchq.rebase.state import DROPPED, SKIPPED, Conflict, Entry, RebaseState
from patchq.status.verdict import LOST

# Row results shown in the plan and the summary.
DROP = DROPPED
REFRESH = "refreshed"
UNCHANGED = "unchanged"
SKIP = SKIPPED
CONFLICT = "conflict"
NOT_REACHED = "not reached"
CARRY = "carried"  # predicted for a patch after a dry run's stop


@dataclass(frozen=True)
class Row:
    file: str
    subject: str
    result: str  # DROP | REFRESH | UNCHANGED | SKIP | CONFLICT | NOT_REACHED
    detail: str = ""
    predicted: str = ""  # NOT_REACHED rows of a dry run: DROP, CARRY or CONFLICT


@dataclass(frozen=True)
class Report:
    """What a rebase command did (or, for --dry-run, would do)."""

    onto: str
    onto_commit: str
    rows: tuple[Row, ...]
    finished: bool
    conflict: Conflict | None = None
    history: dict[str, Any] | None = None
    dry_run: bool = False
    left_behind: tuple[str, ...] = ()  # the summary of what the move leaves behind

    def counts(self) -> dict[str, int]:
        out = {DROP: 0, REFRESH: 0, UNCHANGED: 0, SKIP: 0}
        for row in self.rows:
            if row.result in out:
                out[row.result] += 1
        return out

    def predicted_counts(self) -> dict[str, int]:
        """For the patches after a dry run's stop: what the status engine predicts."""
        out = {DROP: 0, CARRY: 0, CONFLICT: 0}
        for row in self.rows:
            if row.predicted in out:
                out[row.predicted] += 1
        return out


def landed_detail(entry: Entry) -> str:
    if not entry.landed:
        return ""
    commit = (entry.upstream_commit or "")[:12]
    return f"landed: {', '.join(entry.evidence)}" + (f" ({commit})" if commit else "")


# -- summary --------------------------------------------------------------------------------


def summary_rows(state: RebaseState, files: dict[str, bytes | None]) -> tuple[Row, ...]:
    rows = []
    for o in state.outcomes:
        if o.action == DROPPED:
            commit = (o.upstream_commit or "")[:12]
            detail = ", ".join(o.evidence) + (f" ({commit})" if commit else "")
            rows.append(Row(o.file, o.subject, DROP, detail))
        elif o.action == SKIPPED:
            rows.append(Row(o.file, o.subject, SKIP, o.reason or ""))
        else:
            changed = files.get(o.file) is not None
            detail = "conflict resolved" if o.resolved else ""
            rows.append(Row(o.file, o.subject, REFRESH if changed else UNCHANGED, detail))
    return tuple(rows)


# -- left behind ----------------------------------------------------------------------------


def left_behind_lines(state: RebaseState) -> tuple[str, ...]:
    """The summary `patchq status` prints: what the move leaves behind, the lost ones listed."""
    if not state.left_behind:
        return ()
    # Imported here: it brings the status engine's detection and cache modules, which a
    # --skip or --continue of a rebase that leaves nothing behind does not need.
    from patchq.status.left_behind import summary_lines

    return tuple(summary_lines(state.from_ref, state.onto, state.left_behind))


def left_behind_history(state: RebaseState) -> dict[str, Any]:
    """The history entry's record of it: the lost commits in full, the in-target ones
    counted."""
    lost = [c for c in state.left_behind if c.state == LOST]
    return {
        "lost": [
            {"commit": c.commit, "subject": c.subject, "change_id": c.change_id} for c in lost
        ],
        "in_target": len(state.left_behind) - len(lost),
    }
