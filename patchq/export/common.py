"""What every export format shares: the files an export would write, how `--check` compares
them with what is on disk, and how they are written so an interrupted export changes nothing.

A format module only computes an `Output` (full bytes of every file, and files to remove);
nothing here knows about DEP-3, specs or mboxes.
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import os
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
    """Write what changed and remove what left, all or nothing (one output: see `Writer`)."""
    with Writer() as writer:
        writer.stage(output)
        return writer.commit()[0]


class Writer:
    """Writes every output of one export in a single pass, all or nothing.

    `stage` starts writing an output's changed files at once, each to a temporary name beside
    its target, fsynced, in a shared pool of threads, so the disk works while the next format
    is computed. `commit` waits for them and only then renames them over the targets, output by
    output in staging order (the index file of each last), then removes what left, with SIGINT
    and SIGTERM held back for those few renames. Leaving the `with` block without a commit (a
    later target failed, an interrupt) removes every temporary file and every directory the
    export created: the targets stay as they were.
    """

    def __init__(self) -> None:
        # fsync waits for the disk; many at once share the filesystem's journal commits, so a
        # 400-file export costs a few disk flushes instead of 400 in a row.
        self._pool = ThreadPoolExecutor(max_workers=16)
        self._staged: list[tuple[Output, list[tuple[Path, Future[Path | None]]]]] = []
        self._early: dict[Path, tuple[bytes, Future[Path | None]]] = {}
        self._new_dirs: set[Path] = set()
        self._failure: tuple[OSError, Path] | None = None
        self._done = False

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._done:
            self._abort()

    def stage_early(self, files: dict[Path, bytes]) -> None:
        """Start writing files an output will hold before the rest of it is known; `stage`
        of that output then reuses them (unless their bytes changed meanwhile).

        Whether each file exists is asked now: RPM's parse, which runs meanwhile, puts
        placeholders under the names of missing sources for a moment (specfile's dummy
        sources), and a file absent now must not be compared with, or take the mode of, one."""
        present = self._present(files)
        if present is None:
            return  # `stage` of that output meets the same failure, and keeps it for `commit`
        for path, data in files.items():
            absent = _absent(path, present)
            job = self._pool.submit(_stage_if_changed, path, data, absent=absent)
            self._early[path] = (data, job)

    def stage(self, output: Output) -> None:
        jobs: list[tuple[Path, Future[Path | None]]] = []
        present = self._present(output.files, output.target)
        if present is None:
            self._staged.append((output, jobs))
            return
        for path, data in output.files.items():
            early = self._early.pop(path, None)
            if early is not None and early[0] == data:
                jobs.append((path, early[1]))
                continue
            if early is not None:
                self._forget(early[1])
            absent = _absent(path, present)
            jobs.append((path, self._pool.submit(_stage_if_changed, path, data, absent=absent)))
        self._staged.append((output, jobs))

    def commit(self) -> list[Written]:
        for _, future in self._early.values():
            self._forget(future)
        self._early.clear()
        try:
            if self._failure is not None:
                raise self._failure[0]
            ready = [
                (output, [(path, future.result()) for path, future in jobs])
                for output, jobs in self._staged
            ]
            with _signals_held():
                results = []
                touched: set[Path] = set()
                for output, files in ready:
                    for path, tmp in files:
                        if tmp is not None:
                            os.replace(tmp, path)
                            touched.add(path.parent)
                    for path in output.removals:
                        path.unlink(missing_ok=True)
                        touched.add(path.parent)
                    written = tuple(path for path, tmp in files if tmp is not None)
                    results.append(
                        Written(written, len(output.files) - len(written), output.removals)
                    )
                self._done = True
                for directory in touched:
                    fsync_dir(directory)
        except OSError as exc:
            staged = self._staged[0][0].target if self._staged else ""
            target = self._failure[1] if self._failure else staged
            raise ConfigError(
                f"cannot write {exc.filename or target}: {exc.strerror}: nothing was exported"
            ) from None
        finally:
            self._pool.shutdown()
        return results

    def _present(
        self, files: dict[Path, bytes], target: Path | None = None
    ) -> dict[Path, set[str] | None] | None:
        """The names already in each directory the files go to (one listing per directory,
        not a failed open per new file); a missing directory is created, and remembered so an
        aborted export removes it again. A directory that cannot be made is reported by
        `commit`, after every target was computed (their errors come first), as None here."""
        present: dict[Path, set[str] | None] = {}
        for parent in sorted({path.parent for path in files}):
            try:
                try:
                    present[parent] = set(os.listdir(parent))
                except FileNotFoundError:
                    self._new_dirs.update(d for d in (parent, *parent.parents) if not d.exists())
                    parent.mkdir(parents=True, exist_ok=True)
                    present[parent] = set()
                except OSError:  # not a directory, unreadable: each file's own read says why
                    present[parent] = None
            except OSError as exc:
                if target is not None and self._failure is None:
                    self._failure = (exc, target)
                return None
        return present

    def _forget(self, future: Future[Path | None]) -> None:
        """A staged file nothing will rename: remove it once written."""
        future.add_done_callback(_unlink_result)

    def _abort(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        futures = [f for _, jobs in self._staged for _, f in jobs]
        futures += [f for _, f in self._early.values()]
        for future in futures:
            _unlink_result(future)
        for directory in sorted(self._new_dirs, key=lambda d: len(d.parts), reverse=True):
            with contextlib.suppress(OSError):  # a directory this export created, if empty
                directory.rmdir()


def _unlink_result(future: Future[Path | None]) -> None:
    if future.done() and not future.cancelled() and future.exception() is None:
        tmp = future.result()
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def _absent(path: Path, present: dict[Path, set[str] | None]) -> bool | None:
    names = present[path.parent]
    return None if names is None else path.name not in names


def _stage_if_changed(path: Path, data: bytes, *, absent: bool | None = False) -> Path | None:
    """The temporary file holding `data`, or None when `path` already holds exactly that.
    `absent`: the caller knows there is no such file (whatever may stand there meanwhile);
    None: it could not list the directory, whose errors reading and making it report."""
    if not absent and _read_or_none(path) == data:
        return None
    if absent is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _stage(path, data, new=bool(absent))


_serial = itertools.count()


def _stage(path: Path, data: bytes, *, new: bool = False) -> Path:
    """`data` in a new file beside `path`, fsynced, with `path`'s mode (0644 for a new one).
    A few syscalls per file: an export stages hundreds of them."""
    mode = path.stat().st_mode & 0o777 if not new and path.exists() else 0o644
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    while True:
        tmp = path.parent / f".{path.name}.{os.getpid()}-{next(_serial)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o600)
            break
        except FileExistsError:  # left by an earlier process that had this pid
            continue
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fchmod(fd, mode)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
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
