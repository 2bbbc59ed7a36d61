"""What the status engine says about each patch against an upstream ref (the shared contract
between status, rebase, report and check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from patchq.series.model import Evidence, Patch, State

LANDED = State.LANDED.value
APPLIES = State.APPLIES.value
CONFLICTS = State.CONFLICTS.value

# Evidence kinds, in the order they are reported.
PATCH_ID = Evidence.PATCH_ID.value
CHANGE_ID = Evidence.CHANGE_ID.value
CHERRY_PICK = Evidence.CHERRY_PICK.value
REVERSE_APPLY = Evidence.REVERSE_APPLY.value
EVIDENCE_KINDS = tuple(kind.value for kind in Evidence)


@dataclass(frozen=True)
class Similar:
    """An upstream commit that looks like a patch (a hint, not evidence)."""

    commit: str
    subject: str
    score: float  # 0.0-1.0


@dataclass(frozen=True)
class PatchState:
    """One patch's state against REF, with its evidence."""

    patch: Patch
    subject: str
    state: str  # LANDED | APPLIES | CONFLICTS
    evidence: tuple[str, ...] = ()
    upstream_commit: str | None = None
    conflicts: tuple[str, ...] = ()
    similar: Similar | None = None

    @property
    def modified_upstream(self) -> bool:
        """Landed only by change-id/cherry-pick: upstream took a reworked version."""
        return self.state == LANDED and not ({PATCH_ID, REVERSE_APPLY} & set(self.evidence))

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.patch.name,
            "file": self.patch.file,
            "subject": self.subject,
            "status": self.patch.status.value,
            "state": self.state,
            "evidence": list(self.evidence),
            "upstream_commit": self.upstream_commit,
            "conflicts": list(self.conflicts),
            "similar": None
            if self.similar is None
            else {
                "commit": self.similar.commit,
                "subject": self.similar.subject,
                "score": self.similar.score,
            },
        }


# States of a commit the move leaves behind (in base, not in REF).
IN_TARGET = "in-target"
LOST = "lost"


@dataclass(frozen=True)
class LeftBehind:
    """A commit of base that REF does not contain (patchq.status.left_behind)."""

    commit: str
    subject: str
    change_id: str | None
    state: str  # IN_TARGET | LOST
    upstream_commit: str | None = None  # the REF commit with the same change (IN_TARGET)

    def as_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "subject": self.subject,
            "change_id": self.change_id,
            "state": self.state,
            "upstream_commit": self.upstream_commit,
        }


@dataclass(frozen=True)
class StatusResult:
    """`patchq status` of a whole series against one REF."""

    base: str
    base_commit: str
    against: str
    against_commit: str
    patches: tuple[PatchState, ...]
    left_behind: tuple[LeftBehind, ...] = ()  # empty when base is an ancestor of REF

    def as_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "base_commit": self.base_commit,
            "against": self.against,
            "against_commit": self.against_commit,
            "patches": [p.as_json() for p in self.patches],
            "left_behind": [c.as_json() for c in self.left_behind],
        }

    @property
    def lost(self) -> tuple[LeftBehind, ...]:
        return tuple(c for c in self.left_behind if c.state == LOST)

    def counts(self) -> dict[str, int]:
        out = {LANDED: 0, APPLIES: 0, CONFLICTS: 0}
        for p in self.patches:
            out[p.state] += 1
        return out
