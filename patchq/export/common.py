"""What every export format shares: the files an export would write, how `--check` compares
them with what is on disk, and how they are written so an interrupted export changes nothing.

A format module only computes an `Output` (full bytes of every file, and files to remove);
nothing here knows about DEP-3, specs or mboxes.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import signal
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from patchq.errors import ConfigError
from patchq.fsutil import fsync_dir
from patchq.patches import patchfile
from patchq.series.model import Patch, Series
from patchq.series.workspace import Workspace


@dataclass(frozen=True)
class Loaded:
    """One series entry with its patch file, read once for every format."""

    patch: Patch
    parsed: patchfile.PatchFile


@dataclass(frozen=True)
class Output:
    """Everything one export writes: `files` in write order (the index file last)."""

    format: str
    target: Path
    files: dict[Path, bytes]
    removals: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Written:
    written: tuple[Path, ...]
    unchanged: int
    removed: tuple[Path, ...]


def load_patches(ws: Workspace, series: Series) -> list[Loaded]:
    out = []
    for patch in series.patches:
        path = ws.patch_path(patch.file)
        if not path.is_file():
            raise ConfigError(
                f"patches/{patch.file} is listed in series.yaml but missing: restore it or "
                f"`patchq drop {patch.name}`"
            )
        out.append(Loaded(patch, ws.read_patch(patch)))
    return out


def refuse_target(ws: Workspace, target: Path, what: str) -> None:
    """A target may not be series.yaml, the workspace itself, or lie in patches/ or .patchq/."""
    resolved = target.resolve()
    if resolved == ws.series_path.resolve():
        raise ConfigError(f"{what} {target} is the series file itself: export elsewhere")
    if resolved == ws.root.resolve() and target.is_dir():
        raise ConfigError(f"{what} {target} is the series directory: export into a subdirectory")
    for own in (ws.patches_dir, ws.state_dir):
        mine = own.resolve()
        if resolved == mine or mine in resolved.parents:
            raise ConfigError(
                f"{what} {target} is {own} or inside it: patchq owns that directory; "
                "export elsewhere (e.g. ../debian/patches)"
            )


def inside(directory: Path, path: Path, what: str) -> Path:
    """`path`, refused when it (or a directory on the way) is a link out of `directory`."""
    if path.is_symlink():
        raise ConfigError(f"{path} is a symlink: {what} writes only regular files; remove the link")
    if path.parent == directory:  # a plain name: its directory is the target itself
        return path
    base = directory.resolve()
    parent = path.parent.resolve()
    if parent != base and base not in parent.parents:
        raise ConfigError(f"{path} lies outside {directory}: {what} writes nothing there")
    return path


# -- --check --------------------------------------------------------------------------------


def shown(path: Path) -> str:
    """A path as messages show it: relative to the current directory when near it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith(("../..", "..\\..")) else relative


def differences(output: Output, *, line_diff: tuple[Path, ...] = ()) -> list[str]:
    """One line per file (or, for the files in `line_diff`, per line) that differs on disk."""
    found: list[str] = []
    for path, data in output.files.items():
        current = _read_or_none(path)
        if current == data:
            continue
        if current is None:
            found.append(f"{shown(path)}: missing (an export writes it)")
        elif path in line_diff:
            found += _line_differences(path, current, data)
        else:
            where = f"{shown(path)}:{_first_difference(current, data)}"
            found.append(f"{where}: differs from the export")
    for path in output.removals:
        found.append(f"{shown(path)}: not in the series any more (an export removes it)")
    return found


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _first_difference(old: bytes, new: bytes) -> int:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


def _line_differences(file: Path, old: bytes, new: bytes) -> list[str]:
    path = shown(file)
    a = old.decode("utf-8", "surrogateescape").splitlines()
    b = new.decode("utf-8", "surrogateescape").splitlines()
    out = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for i in range(i1, i2):
            out.append(f"{path}:{i + 1}: - {a[i]}")
        for j in range(j1, j2):
            out.append(f"{path}:{i1 + 1}: + {b[j]}")
    if not out:  # only the line endings or the last newline differ
        out.append(f"{path}:{len(a)}: differs in line endings from the export")
    return out


# -- writing ----------------------------------------------------------------------------------


def write(output: Output) -> Written:
    """Write what changed and remove what left, all or nothing.

    Every new file is first written and fsynced beside its target under a temporary name; only
    then are they renamed over the targets, with SIGINT and SIGTERM held back for those few
    renames. An export stopped while staging leaves the target as it was.
    """
    changed = [(path, data) for path, data in output.files.items() if _read_or_none(path) != data]
    parents = {p.parent for p, _ in changed}
    new_dirs = {d for parent in parents if not parent.is_dir() for d in (parent, *parent.parents)}
    new_dirs = {d for d in new_dirs if not d.exists()}
    staged: list[tuple[Path, Path]] = []
    try:
        # fsync waits for the disk; many at once share the filesystem's journal commits, so a
        # 200-file export costs a few disk flushes instead of 200 in a row.
        staged = _stage_all(changed)
        with _signals_held():
            for tmp, path in staged:
                os.replace(tmp, path)
            staged = []
            for path in output.removals:
                path.unlink(missing_ok=True)
            for directory in {p.parent for p, _ in changed} | {p.parent for p in output.removals}:
                fsync_dir(directory)
    except BaseException as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for directory in sorted(new_dirs, key=lambda d: len(d.parts), reverse=True):
            with contextlib.suppress(OSError):  # a directory this export created, if empty
                directory.rmdir()
        if isinstance(exc, OSError):
            raise ConfigError(
                f"cannot write {exc.filename or output.target}: {exc.strerror}: nothing was "
                "exported"
            ) from None
        raise
    return Written(
        written=tuple(p for p, _ in changed),
        unchanged=len(output.files) - len(changed),
        removed=output.removals,
    )


def _stage_all(changed: list[tuple[Path, bytes]]) -> list[tuple[Path, Path]]:
    """(temp file, target) for each; on any failure or interrupt, none is left behind."""
    pool = ThreadPoolExecutor(max_workers=16)
    futures = [(pool.submit(_stage, path, data), path) for path, data in changed]
    staged: list[tuple[Path, Path]] = []
    try:
        for future, path in futures:
            staged.append((future.result(), path))
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        for future, _ in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                future.result().unlink(missing_ok=True)
        raise
    pool.shutdown()
    return staged


def _stage(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


@contextmanager
def _signals_held() -> Iterator[None]:
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # not the main thread, or no such call
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
