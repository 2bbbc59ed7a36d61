"""A packaging directory: series.yaml, patches/, the .patchq/ state dir and the upstream clone."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from patchq.errors import ConfigError
from patchq.fsutil import atomic_write
from patchq.patches import patchfile
from patchq.series import io as series
from patchq.series.model import Patch, Series

if TYPE_CHECKING:  # git's modules load when a command opens the clone, not for every series
    from patchq.git import Repo

STATE_DIR = ".patchq"
REBASE_STATE = "rebase"


@dataclass
class Workspace:
    """A series directory: series.yaml, patches/ and patchq's own .patchq/."""

    root: Path
    upstream_override: str | None = None  # --upstream, else $PATCHQ_UPSTREAM

    def __post_init__(self) -> None:
        self.check_layout()

    def check_layout(self) -> None:
        """Refuse a patches/ or .patchq/ that leads out of the series directory (a symlink, or
        a symlink inside .patchq/), before anything in them is read or written. A patches/
        that is a symlink to a directory inside the series directory is allowed."""
        from patchq.series.layout import outside_paths

        why = outside_paths(self.root, (series.PATCHES_DIR, STATE_DIR), owned=STATE_DIR)
        if why:
            raise ConfigError(why)

    @property
    def series_path(self) -> Path:
        return self.root / series.SERIES_FILE

    @property
    def patches_dir(self) -> Path:
        return self.root / series.PATCHES_DIR

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def exists(self) -> bool:
        return self.series_path.is_file()

    def load(self) -> Series:
        return series.load(self.root)

    def save(self, new: Series) -> None:
        series.save(self.root, new)

    def patch_path(self, file: str) -> Path:
        why = series.unsafe_patch_name(file, self.root)
        if why:
            raise ConfigError(f"{self.series_path}: {why}")
        return self.patches_dir / file

    def read_patch(self, patch: Patch) -> patchfile.PatchFile:
        return patchfile.read(self.patch_path(patch.file))

    def write_patch(self, file: str, data: bytes) -> None:
        atomic_write(self.patch_path(file), data)

    def upstream_path(self, current: Series | None = None) -> Path:
        chosen = self.upstream_override or os.environ.get("PATCHQ_UPSTREAM")
        if not chosen:
            if current is None or not current.upstream.path:
                raise ConfigError(
                    f"{self.series_path}: upstream.path is not set: pass --upstream PATH "
                    "or set PATCHQ_UPSTREAM"
                )
            chosen = current.upstream.path
        path = Path(chosen).expanduser()
        return path if path.is_absolute() else (self.root / path)

    def open_repo(self, current: Series | None = None) -> Repo:
        from patchq.git import Repo

        return Repo(self.upstream_path(current))

    # -- state, locks and guards -----------------------------------------------------------

    def ensure_state_dir(self) -> Path:
        if self.state_dir.exists() and not self.state_dir.is_dir():
            raise ConfigError(
                f"{self.state_dir} is a file: patchq keeps its state in that directory; "
                "move the file away"
            )
        self.check_layout()
        self.state_dir.mkdir(exist_ok=True)
        ignore = self.state_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# patchq's own state: never commit it\n*\n")
        return self.state_dir

    def refuse_as_output(self, path: Path, flag: str = "--output") -> None:
        """An --output file must not be series.yaml or lie in patches/ or .patchq/."""
        target = path.resolve()
        if target == self.series_path.resolve():
            raise ConfigError(
                f"{flag} {path} is the series file itself: write the report elsewhere"
            )
        for own in (self.patches_dir, self.state_dir):
            if own.resolve() in target.parents:
                raise ConfigError(f"{flag} {path} is inside {own}: write the report elsewhere")

    def rebase_in_progress(self) -> bool:
        return (self.state_dir / REBASE_STATE).exists()

    def refuse_during_rebase(self, command: str) -> None:
        if self.rebase_in_progress():
            raise ConfigError(
                f"a rebase is in progress in {self.root}: `patchq {command}` must wait; run "
                "`patchq rebase --continue`, `--skip` or `--abort` first"
            )

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold .patchq/lock: a second patchq writing the same series is refused.

        Without a series.yaml (and no rebase to finish or undo) nothing is created. With the
        lock held, what an interrupted import or drop left is settled first (journal.py)."""
        if not self.exists() and not self.rebase_in_progress():
            series.load(self.root)  # raises "no series.yaml in ...: run `patchq init`"
        path = self.ensure_state_dir() / "lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise ConfigError(
                        f"another patchq is working on {self.root} ({path} is locked): "
                        "wait for it to finish"
                    ) from None
                raise
            self.settle_journal()
            yield
        finally:
            os.close(fd)

    def settle_journal(self) -> None:
        from patchq import console
        from patchq.series import journal

        if not journal.path_of(self.state_dir).exists():
            return
        current, problems = series.load_with_problems(self.root, check_files=False)
        if current is None or problems:
            return  # series.yaml is broken: leave the journal for when it is fixed
        removed = journal.settle(
            self.state_dir, self.patches_dir, {p.file for p in current.patches}
        )
        for file in removed:
            console.info(
                f"patchq: removed {self.patches_dir / file}, left by an interrupted command"
            )


def find_root(start: Path) -> Path:
    """The directory holding series.yaml: `start` or the nearest parent that has one."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / series.SERIES_FILE).is_file():
            return candidate
    return start
