"""A rebase in progress, on disk under `.patchq/rebase/`, so that kill -9 at any moment leaves a
state from which `--abort` restores the original byte for byte and `--continue` goes on.

Layout of `.patchq/rebase/`:
  backup/blob, backup/manifest.json   the originals (series.yaml and every patch file, in one
      blob, with their spans and the blob's sha256: two fsyncs however long the series), complete
      before the directory exists under its final name (it is built as `rebase.new/` and
      renamed), so "a rebase is in progress" always implies "the originals are safe";
  state.json    where the walk stands (written atomically at each durable step);
  out/          the finished result (patch bytes, series.yaml text, deletions), journalled
      before any user file is touched, so an interrupted finish is simply replayed;
  worktree/     the patchq-owned git worktree that shows a conflict to a human.

The user's files change only while the out/ journal is replayed; before that the rebase lives
in the state file and in commits in the upstream object store (kept alive by refs under
`refs/patchq/rebase/<id>/` while the rebase waits for a human).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchq.errors import ConfigError
from patchq.fsutil import atomic_write, checkpoint, fsync_dir, fsync_files
from patchq.series.model import Action
from patchq.series.workspace import REBASE_STATE, Workspace
from patchq.status.verdict import LeftBehind

STATE_VERSION = 1

WALKING = "walking"  # picking patches onto the new base
STOPPED = "stopped"  # waiting for a human to resolve a conflict
FINISHING = "finishing"  # out/ is complete; replaying it onto the user's files

DROPPED = Action.DROPPED.value
CARRIED = Action.CARRIED.value
SKIPPED = Action.SKIPPED.value


@dataclass(frozen=True)
class Entry:
    """One patch of the series as planned at the start."""

    file: str
    subject: str
    old_commit: str  # the patch as a commit on the old base
    landed: bool = False
    evidence: tuple[str, ...] = ()
    upstream_commit: str | None = None


@dataclass(frozen=True)
class Outcome:
    file: str
    subject: str
    action: str  # DROPPED | CARRIED | SKIPPED
    commit: str | None = None  # the new commit of a carried patch
    evidence: tuple[str, ...] = ()
    upstream_commit: str | None = None
    reason: str | None = None
    resolved: bool = False  # carried after a human resolved a conflict


@dataclass(frozen=True)
class Conflict:
    file: str
    subject: str
    paths: tuple[str, ...]
    worktree: str
    ready: bool = False  # the worktree exists and shows the conflict
    sparse_files: int = 0  # a sparse worktree: how many files it has on disk (0: whole tree)


@dataclass(frozen=True)
class RebaseState:
    onto: str
    onto_commit: str
    from_ref: str
    from_commit: str
    entries: tuple[Entry, ...]
    position: int  # index of the next entry to walk
    head: str  # tip of the new chain so far
    outcomes: tuple[Outcome, ...] = ()
    conflict: Conflict | None = None
    phase: str = WALKING
    refs: str = ""  # prefix of this rebase's temporary refs
    upstream: str = ""  # absolute path of the upstream clone
    left_behind: tuple[LeftBehind, ...] = ()  # commits of the old base the new one lacks
    full_worktree: bool = False  # `--full-worktree`: conflict worktrees are whole checkouts

    @property
    def old_tip(self) -> str:
        return self.entries[-1].old_commit if self.entries else self.from_commit

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["version"] = STATE_VERSION
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RebaseState:
        if data.get("version") != STATE_VERSION:
            raise ValueError("unknown state version")
        conflict = data.get("conflict")
        return cls(
            onto=data["onto"],
            onto_commit=data["onto_commit"],
            from_ref=data["from_ref"],
            from_commit=data["from_commit"],
            entries=tuple(
                Entry(**{**e, "evidence": tuple(e["evidence"])}) for e in data["entries"]
            ),
            position=int(data["position"]),
            head=data["head"],
            outcomes=tuple(
                Outcome(**{**o, "evidence": tuple(o["evidence"])}) for o in data["outcomes"]
            ),
            conflict=None
            if conflict is None
            else Conflict(**{**conflict, "paths": tuple(conflict["paths"])}),
            phase=data["phase"],
            refs=data["refs"],
            upstream=data["upstream"],
            left_behind=tuple(LeftBehind(**c) for c in data.get("left_behind") or ()),
            full_worktree=bool(data.get("full_worktree", False)),
        )


@dataclass(frozen=True)
class Output:
    """The finished rebase, as the user's files should look."""

    writes: dict[str, bytes]  # patch file -> new bytes
    deletes: tuple[str, ...]
    series_text: bytes


class RebaseDir:
    """`.patchq/rebase/` of one workspace."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.path = ws.state_dir / REBASE_STATE
        self._originals: tuple[bytes, dict[str, bytes]] | None = None

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    @property
    def backup_dir(self) -> Path:
        return self.path / "backup"

    @property
    def out_dir(self) -> Path:
        return self.path / "out"

    @property
    def worktree(self) -> Path:
        return self.path / "worktree"

    def refs_prefix(self) -> str:
        digest = hashlib.sha1(str(self.ws.root.resolve()).encode()).hexdigest()[:16]
        return f"refs/patchq/rebase/{digest}"

    def exists(self) -> bool:
        return self.path.is_dir()

    # -- starting: back up everything, then appear atomically ------------------------------

    @property
    def staging(self) -> Path:
        return self.path.with_name(REBASE_STATE + ".new")

    def stage(self, files: list[str]) -> None:
        """Back up series.yaml and every patch file (may run while the plan is made)."""
        self.clear_leftovers()
        backup = self.staging / "backup"
        backup.mkdir(parents=True)
        blob = bytearray(self.ws.series_path.read_bytes())
        manifest: dict[str, Any] = {"series": [0, len(blob)], "patches": {}}
        for file in files:
            source = self.ws.patch_path(file)
            if source.is_file():
                data = source.read_bytes()
                manifest["patches"][file] = [len(blob), len(data)]
                blob += data
        manifest["sha256"] = hashlib.sha256(blob).hexdigest()
        atomic_write(backup / "blob", bytes(blob))
        checkpoint("backed up the series")
        atomic_write(backup / "manifest.json", _dump(manifest))

    def begin(self, state: RebaseState) -> None:
        """The staged backups and the state appear as `.patchq/rebase/` in one rename."""
        atomic_write(self.staging / "state.json", _dump(state.to_json()))
        os.replace(self.staging, self.path)
        fsync_dir(self.path.parent)
        checkpoint("rebase started")

    def clear_leftovers(self) -> None:
        """Remove what an interrupted start or finish left behind (never a live rebase)."""
        for name in (REBASE_STATE + ".new", REBASE_STATE + ".done"):
            leftover = self.ws.state_dir / name
            if leftover.exists():
                shutil.rmtree(leftover)

    # -- the walk ---------------------------------------------------------------------------

    def load(self) -> RebaseState:
        try:
            return RebaseState.from_json(json.loads(self.state_file.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"{self.state_file} is unreadable ({type(exc).__name__}): "
                "run `patchq rebase --abort` to restore the series"
            ) from None

    def save(self, state: RebaseState, label: str) -> None:
        atomic_write(self.state_file, _dump(state.to_json()))
        checkpoint(label)

    def original_patch(self, file: str) -> bytes:
        patches = self._backup()[1]
        if file not in patches:
            raise self._damaged(f"it has no copy of {file}")
        return patches[file]

    def original_series(self) -> bytes:
        return self._backup()[0]

    def backed_up_files(self) -> list[str]:
        return list(self._backup()[1])

    def _backup(self) -> tuple[bytes, dict[str, bytes]]:
        """series.yaml and each patch file as they were before the rebase (read once, and
        checked whole before anything is taken from them)."""
        if self._originals is None:
            try:
                raw, blob = self._read("manifest.json"), self._read("blob")
                manifest = json.loads(raw)
                if hashlib.sha256(blob).hexdigest() != manifest["sha256"]:
                    raise self._damaged("its sha256 does not match")
                start, length = manifest["series"]
                series = blob[start : start + length]
                patches = {
                    str(f): blob[start : start + length]
                    for f, (start, length) in manifest["patches"].items()
                }
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise self._damaged(type(exc).__name__) from None
            self._originals = (series, patches)
        return self._originals

    def _read(self, name: str) -> bytes:
        try:
            return (self.backup_dir / name).read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"the rebase backup {self.backup_dir / name} is gone ({exc.strerror}): "
                "patchq cannot finish or undo this rebase; series.yaml and patches/ are as "
                f"they are now: restore them from version control and remove {self.path}"
            ) from None

    def _damaged(self, why: str) -> ConfigError:
        return ConfigError(
            f"the rebase backup in {self.backup_dir} is damaged ({why}): restore series.yaml "
            f"and patches/ from version control and remove {self.path}"
        )

    # -- finishing: journal the result, then replay it ------------------------------------

    def write_output(self, output: Output) -> None:
        """Journal the result in two files (all patch bytes in one blob), fsynced once each."""
        out = self.out_dir
        if out.exists():
            shutil.rmtree(out)
        out.mkdir()
        blob = bytearray()
        spans: dict[str, list[int]] = {}
        for file, data in sorted(output.writes.items()):
            spans[file] = [len(blob), len(data)]
            blob += data
        spans_series = [len(blob), len(output.series_text)]
        blob += output.series_text
        atomic_write(out / "blob", bytes(blob))
        manifest = {"writes": spans, "series": spans_series, "deletes": list(output.deletes)}
        atomic_write(out / "manifest.json", _dump(manifest))
        checkpoint("result journalled")

    def journalled_writes(self) -> list[str]:
        """The patch files the journalled result rewrites."""
        manifest = json.loads((self.out_dir / "manifest.json").read_text("utf-8"))
        return list(manifest["writes"])

    def replay_output(self) -> None:
        """Make the user's files match out/ (idempotent: safe to repeat after a crash)."""
        manifest = json.loads((self.out_dir / "manifest.json").read_text("utf-8"))
        blob = (self.out_dir / "blob").read_bytes()
        touched: set[Path] = set()
        written: list[Path] = []
        for file, (start, length) in manifest["writes"].items():
            data = blob[start : start + length]
            path = self.ws.patch_path(file)
            if not path.is_file() or path.read_bytes() != data:
                _replace(path, data)
                touched.add(path.parent)
                written.append(path)
            checkpoint(f"wrote {file}")
        for file in manifest["deletes"]:
            path = self.ws.patch_path(file)
            path.unlink(missing_ok=True)
            touched.add(path.parent)
            checkpoint(f"removed {file}")
        fsync_files(written)  # before the journal can go: it is what a power cut would replay
        for directory in sorted(touched):
            fsync_dir(directory)
        start, length = manifest["series"]
        atomic_write(self.ws.series_path, blob[start : start + length])
        checkpoint("wrote series.yaml")

    # -- aborting ---------------------------------------------------------------------------

    def restore(self) -> int:
        """Put series.yaml and every backed-up patch file back, byte for byte; returns how
        many files had to be rewritten."""
        # Every original is read (and checked) before anything is written: a damaged backup
        # changes nothing.
        originals = [(self.ws.series_path, self.original_series())]
        originals += [
            (self.ws.patch_path(f), self.original_patch(f)) for f in self.backed_up_files()
        ]
        changed = 0
        for target, data in originals:
            if not target.is_file() or target.read_bytes() != data:
                atomic_write(target, data)
                changed += 1
                checkpoint(f"restored {target.name}")
        return changed

    def discard(self) -> None:
        """Forget the rebase: rename first (atomic: no longer in progress), then delete."""
        done = self.path.with_name(REBASE_STATE + ".done")
        if done.exists():
            shutil.rmtree(done)
        os.replace(self.path, done)
        fsync_dir(self.path.parent)
        checkpoint("rebase state removed")
        shutil.rmtree(done, ignore_errors=True)


def _replace(path: Path, data: bytes) -> None:
    """fsutil.atomic_write without the fsyncs: fsync_files() does the whole batch at once
    (the journal is durable until then, and replaying it is idempotent)."""
    atomic_write(path, data, durable=False)


def _dump(data: dict[str, Any]) -> bytes:
    # One line: json's C encoder does not indent, and a 200-patch state is written 3 times.
    return (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()
