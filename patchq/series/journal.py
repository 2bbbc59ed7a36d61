"""The intent journal of `import` and `drop`: `.patchq/journal.json` says which patch files a
command is about to create or delete before it touches any, and goes once series.yaml says
the result. A crash in between (kill -9, power loss) leaves the journal behind, and the next
command that takes the lock settles it from what series.yaml says: a created file that no
entry names is removed (the import never happened), a file being dropped that no entry names
any more is removed (the drop happened, its file's removal was cut short). series.yaml itself
is only ever replaced atomically, so it is always the before or the after.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from patchq.fsutil import atomic_write, checkpoint, fsync_dir
from patchq.series.io import unsafe_patch_name

JOURNAL = "journal.json"


def path_of(state_dir: Path) -> Path:
    return state_dir / JOURNAL


def begin(state_dir: Path, *, command: str, files: Sequence[str]) -> None:
    """Record that `command` is about to create or delete `files` (names under patches/)."""
    data = {"command": command, "files": list(files)}
    atomic_write(path_of(state_dir), (json.dumps(data, indent=1) + "\n").encode())
    checkpoint(f"{command}: journal written")


def end(state_dir: Path, *, command: str) -> None:
    path_of(state_dir).unlink(missing_ok=True)
    fsync_dir(state_dir)
    checkpoint(f"{command}: journal removed")


def settle(state_dir: Path, patches_dir: Path, named: set[str]) -> list[str]:
    """Finish or undo what an interrupted command's journal describes; returns the files
    removed. `named` is every file series.yaml lists now."""
    path = path_of(state_dir)
    try:
        data = json.loads(path.read_text("utf-8"))
        files = [str(f) for f in data["files"]]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)  # torn or foreign: it promised nothing we can act on
        return []
    removed = []
    for file in files:
        if file in named or unsafe_patch_name(file, patches_dir.parent):
            continue
        target = patches_dir / file
        if target.is_file() and not target.is_symlink():
            target.unlink()
            removed.append(file)
    if removed:
        fsync_dir(patches_dir)
    path.unlink(missing_ok=True)
    fsync_dir(state_dir)
    return removed
