"""Where the series directory's own subdirectories lead: nothing of patches/ or .patchq/ may
resolve outside the series directory (issue 17: a symlinked patches/ made `list` print an
outside file's first line and `drop` delete it; a symlinked .patchq/ made `rebase` write and
delete in its target)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def outside_paths(root: Path, names: Sequence[str], *, owned: str) -> str | None:
    """Why one of root/<name> leads out of `root`, or None. Inside `owned` (patchq's state
    dir, where patchq itself never makes a symlink) any symlink at all is refused."""
    top = os.path.realpath(root)
    for name in names:
        path = root / name
        if not os.path.lexists(path):
            continue
        target = os.path.realpath(path)
        if not _within(target, top):
            return (
                f"{path} leads out of the series directory (to {target}): patchq reads and "
                f"writes only inside {root}; make {name} a real directory there"
            )
        if name == owned and path.is_dir():
            link = _first_symlink(path, depth=2)
            if link is not None:
                return (
                    f"{link} is a symlink: patchq keeps its own state in {path} and never "
                    "follows links there; remove it"
                )
    return None


def _first_symlink(directory: Path, *, depth: int) -> Path | None:
    """A symlink among the entries of `directory` and of its subdirectories, `depth` levels
    down (the rebase state: .patchq/rebase/{backup,out,worktree,state.json})."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_symlink():
                return directory / entry.name
            if depth > 1 and entry.is_dir(follow_symlinks=False):
                found = _first_symlink(directory / entry.name, depth=depth - 1)
                if found is not None:
                    return found
    return None


def _within(target: str, top: str) -> bool:
    return target == top or target.startswith(top.rstrip(os.sep) + os.sep)
