"""What carrying one patch onto a tree can give: the words the carry engine, the status cache
and its replay share (light: a warm status replays recorded outcomes without the engine)."""

from __future__ import annotations

from dataclasses import dataclass

from patchq.series.model import State

APPLIES = State.APPLIES.value
PRESENT = "present"  # the change is already there: applying it would change nothing
CONFLICTS = State.CONFLICTS.value
UNDECIDED = "undecided"  # not applied exactly either way, and no merge was asked for


@dataclass(frozen=True)
class CarryStep:
    """One patch's outcome against the current result, and the paths that conflict."""

    outcome: str  # APPLIES | PRESENT | CONFLICTS | UNDECIDED
    conflicts: tuple[str, ...] = ()
