"""Landed detection's git work: one streaming range scan, batched diffs and object reads
(patchq status)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from patchq.git.core import (
    SHA_RE,
    Repo,
    Sha,
)


class ScannedCommit(NamedTuple):
    """What one upstream commit says about itself, from a metadata-only `git log` (a
    NamedTuple: ranges hold tens of thousands of them, and it is 5x cheaper to make than a
    frozen dataclass)."""

    sha: Sha
    subject: str
    change_ids: tuple[str, ...]
    reverts: str | None  # the commit named by "This reverts commit X."
    path_key: str  # every path it touches (renames as delete + add), sorted, "\n"-joined

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self.path_key.split("\n")) if self.path_key else frozenset()


def path_key(paths: Iterable[str]) -> str:
    return "\n".join(sorted(set(paths)))


@dataclass(frozen=True)
class RangeScan:
    """The commits of base..REF, and whether base is an ancestor of REF."""

    commits: list[ScannedCommit]  # the non-merge commits, oldest first
    base_is_ancestor: bool  # base == ref, or some commit of the range has base as a parent


_REVERTS_RE = re.compile(r"^This reverts commit ([0-9a-f]{7,40})\b", re.M)
_SCAN_FORMAT = (
    "--format=%x01%H%x00%P%x00%s%x00%(trailers:key=Change-Id,valueonly,separator=%x2C)%x00%B%x02"
)
_SCAN_ARGS = ("log", "-z", "--no-renames", "--name-only", _SCAN_FORMAT)


class ScanStreams:
    """The `git log` of scan_range, started ahead of reading it (git spends its first tenth of
    a second walking the range before it writes anything), and on a long range a second one
    from the other end (see RangeReader)."""

    def __init__(self, repo: Repo, base: Sha, ref: Sha) -> None:
        self.repo, self.base, self.ref = repo, base, ref
        # Newest first: `--reverse` would make git hold everything back until the walk ends.
        self.forward = start_stream(repo, [*_SCAN_ARGS, f"{base}..{ref}", "--"])
        self.back: subprocess.Popen[bytes] | None = None

    def start_back(self) -> subprocess.Popen[bytes]:
        """The same scan, oldest first (git's default 64 KiB pipe: it runs only a few hundred
        commits ahead of its reader, and so past the point where the two meet)."""
        args = [*_SCAN_ARGS, "--reverse", f"{self.base}..{self.ref}", "--"]
        self.back = start_stream(self.repo, args, wide=False)
        return self.back

    def stop(self) -> None:
        for proc in (self.forward, self.back):
            if proc is not None:
                _reap(proc)


def start_scan(repo: Repo, base: Sha, ref: Sha) -> ScanStreams:
    return ScanStreams(repo, base, ref)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill a git process started here whose output is no longer wanted, and reap it."""
    proc.kill()
    proc.communicate()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """stop(), for a process that may have ended or been stopped already."""
    import contextlib

    if proc.returncode is None:
        proc.kill()
    with contextlib.suppress(ValueError, OSError):
        proc.communicate()


class RangeReader:
    """Reads a range scan; `on_commit` sees each non-merge commit as it arrives, one call at
    a time (from either reader thread).

    Diffing every commit's trees (for the path sets) is git's work, one core's worth: on a
    tree with thousands of files it is most of a long scan. From BACK_AFTER commits on, a
    second `git log --reverse` of the range starts from the oldest end, read in a thread, and
    both stop where they meet: it is the same walk in reverse order, so the first commit one
    reader gets that the other has seen means the other has seen all the rest. Only when
    the machine has a core to spare (spare_core)."""

    BACK_AFTER = 1000

    def __init__(
        self,
        repo: Repo,
        streams: ScanStreams,
        on_commit: Callable[[ScannedCommit], None] | None,
    ) -> None:
        import threading

        self.repo, self.streams, self.on_commit = repo, streams, on_commit
        self.newest: list[ScannedCommit] = []  # the forward reader's, newest first
        self.oldest: list[ScannedCommit] = []  # the backward reader's, oldest first
        self.ancestor = streams.base == streams.ref
        self._seen: set[str] = set()  # merges too: where the two meet
        self._lock = threading.Lock()
        self._met = False
        self._back_error: BaseException | None = None
        self._back_thread: threading.Thread | None = None

    def read(self) -> RangeScan:
        """Read the forward stream here (and the backward one in a thread, on a long range)."""
        error: BaseException | None = None
        try:
            self._read(self.streams.forward, self.newest, first=True)
        except BaseException as exc:
            error = exc
            self._stop_both()
        if self._back_thread is not None:
            self._back_thread.join()
        self.streams.stop()
        if error is not None and (self._back_error is None or not isinstance(error, Exception)):
            raise error
        if self._back_error is not None:
            raise self._back_error  # what stopped both (the forward reader's end is cut short)
        return RangeScan([*self.oldest, *reversed(self.newest)], self.ancestor)

    def _read(
        self, proc: subprocess.Popen[bytes], into: list[ScannedCommit], *, first: bool
    ) -> None:
        for count, rec in enumerate(_stream_records(proc), 1):
            if self._take(rec, into):
                self._stop_both()
                return
            if first and count == self.BACK_AFTER and spare_core():
                self._start_back()
        assert proc.stderr is not None
        stderr = proc.stderr.read()
        if proc.wait() != 0:
            with self._lock:
                if self._met:
                    return  # stopped here: the other reader has the rest
            raise self.repo.error(list(proc.args), proc.returncode, stderr)  # type: ignore[arg-type]
        with self._lock:
            self._met = True  # this reader saw the whole range
        self._stop_both()

    def _take(self, rec: bytes, into: list[ScannedCommit]) -> bool:
        """Keep one commit; True once the readers have met."""
        if self._met:
            return True  # what a stopped git wrote last may be cut short
        commit, parents = _parse_scan(rec)
        with self._lock:
            if self._met or commit.sha in self._seen:
                self._met = True
                return True
            self._seen.add(commit.sha)
            self.ancestor = self.ancestor or self.streams.base in parents
            if len(parents) <= 1:
                into.append(commit)
                if self.on_commit is not None:
                    self.on_commit(commit)
        return False

    def _start_back(self) -> None:
        import threading

        proc = self.streams.start_back()
        self._back_thread = threading.Thread(target=self._read_back, args=(proc,), daemon=True)
        self._back_thread.start()

    def _read_back(self, proc: subprocess.Popen[bytes]) -> None:
        try:
            self._read(proc, self.oldest, first=False)
        except BaseException as exc:  # re-raised by read(), on the caller's thread
            self._back_error = exc
            self._stop_both()

    def _stop_both(self) -> None:
        for proc in (self.streams.forward, self.streams.back):
            if proc is not None and proc.returncode is None:
                proc.kill()


def spare_core() -> bool:
    """Whether another process of git's would find a core idle (the load average, over the
    last minute, below the number of cores): on a busy machine the second reader only adds
    work (the walk again, what each git runs ahead of the meeting point) for no time won."""
    try:
        return os.getloadavg()[0] < (os.cpu_count() or 1)
    except OSError:
        return False


def _stream_records(proc: subprocess.Popen[bytes], sep: bytes = b"\x01") -> Iterator[bytes]:
    """read_records() without the exit status (a reader that was stopped checks it)."""
    assert proc.stdout is not None
    rest = b""
    while chunk := os.read(proc.stdout.fileno(), 1 << 20):
        parts = (rest + chunk).split(sep)
        rest = parts.pop()
        yield from (part for part in parts if part)
    if rest:
        yield rest


def scan_range(
    repo: Repo,
    base: Sha,
    ref: Sha,
    *,
    on_commit: Callable[[ScannedCommit], None] | None = None,
    started: ScanStreams | None = None,
) -> RangeScan:
    """base..ref in ONE `git log` with no blob diffs (two on a long range, RangeReader): each
    non-merge commit's Change-Ids, revert target and path set, and whether base is an
    ancestor of ref (which costs nothing here, unlike a separate `git merge-base
    --is-ancestor`). `started`: its start_scan()."""
    return RangeReader(repo, started or start_scan(repo, base, ref), on_commit).read()


def start_stream(repo: Repo, args: Sequence[str], *, wide: bool = True) -> subprocess.Popen[bytes]:
    # GIT_FLUSH=0: git would otherwise write() each record to a pipe on its own, and every
    # small read costs this process a turn at the interpreter lock.
    proc = repo.popen(*args, stdin=subprocess.DEVNULL, env={"GIT_FLUSH": "0"})
    assert proc.stdout is not None
    if wide:
        _widen_pipe(proc.stdout.fileno())
    return proc


def read_records(
    repo: Repo, proc: subprocess.Popen[bytes], sep: bytes = b"\x01"
) -> Iterator[bytes]:
    """The `sep`-separated records of a start_stream() command's output, as they arrive:
    parsing overlaps git's work instead of waiting for all of it."""
    assert proc.stderr is not None
    yield from _stream_records(proc, sep)
    stderr = proc.stderr.read()
    if proc.wait() != 0:
        raise repo.error(list(proc.args), proc.returncode, stderr)  # type: ignore[arg-type]


def _widen_pipe(fd: int) -> None:
    """Let git run up to 1 MiB ahead of the reader (Linux; the default is 64 KiB), so it is not
    stalled while other threads of this process hold the interpreter."""
    import contextlib
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)


def rev_list(repo: Repo, base: Sha, ref: Sha) -> tuple[list[Sha], bool]:
    """The non-merge commits of base..ref, oldest first, and whether base is an ancestor of
    ref (shas only: cheap)."""
    out = repo.text("rev-list", "--parents", f"{base}..{ref}", "--")
    shas, ancestor = [], base == ref
    for line in out.splitlines():
        sha, *parents = line.split()
        ancestor = ancestor or base in parents
        if len(parents) <= 1:
            shas.append(Sha(sha))
    shas.reverse()
    return shas, ancestor


def scan_shas(repo: Repo, shas: Sequence[str]) -> list[ScannedCommit]:
    """What scan_range learns, for given (non-merge) commits, in the order given."""
    if not shas:
        return []
    data = "\n".join(shas).encode() + b"\n"
    out = repo.run(*_SCAN_ARGS, "--no-walk=unsorted", "--stdin", input=data).stdout
    return [_parse_scan(rec)[0] for rec in out.split(b"\x01")[1:]]


def _parse_scan(rec: bytes) -> tuple[ScannedCommit, list[str]]:
    # Hot: called once per upstream commit of the range (tens of thousands).
    head, _, tail = rec.decode("utf-8", "surrogateescape").partition("\x02")
    sha, parents, subject, cids, body = head.split("\x00", 4)
    reverts = _REVERTS_RE.search(body) if "This reverts commit" in body else None
    commit = ScannedCommit(
        sha=Sha(sha),
        subject=subject,
        change_ids=tuple(c.strip() for c in cids.split(",") if c.strip()) if cids else (),
        reverts=reverts.group(1) if reverts else None,
        path_key=_paths_key(tail),
    )
    return commit, parents.split()


def _paths_key(tail: str) -> str:
    """path_key of the NUL-separated `--name-only -z` paths after a record's header."""
    tail = tail.lstrip("\x00")
    if tail.startswith("\n"):
        tail = tail[1:]
    return "\n".join(sorted(p for p in tail.split("\x00") if p))


_DIFF_ARGS = ("diff-tree", "--stdin", "-p", "-M", "--binary", "--no-color", "-r")


def commit_diffs(repo: Repo, shas: Sequence[str]) -> dict[str, bytes]:
    """Each commit's diff against its first parent, in the form `git format-patch` writes it
    (renames, binary), from ONE `git diff-tree --stdin` process."""
    if not shas:
        return {}
    out = repo.run(*_DIFF_ARGS, input="\n".join(shas).encode() + b"\n").stdout
    return split_diffs(out, set(shas))


def commit_raw_diffs(repo: Repo, shas: Sequence[str]) -> dict[str, bytes]:
    """Each commit's `--raw` diff against its first parent (modes, full blob ids, status,
    paths; renames found as format-patch finds them), from ONE `git diff-tree --stdin`: trees
    only, no blob is read unless a rename is looked for."""
    if not shas:
        return {}
    args = ("diff-tree", "--stdin", "-r", "-M", "--raw", "--no-abbrev", "--no-color")
    out = repo.run(*args, input="\n".join(shas).encode() + b"\n").stdout
    return split_diffs(out, set(shas))


class DiffFeed:
    """A `git diff-tree --stdin` fed commit by commit while other work runs (e.g. while the
    range scan is still streaming), so diffing overlaps scanning instead of following it.
    With `patch_ids`, its output also streams into a `git patch-id --stable`, so the ids are
    known when the last diff is (patch_ids())."""

    def __init__(self, repo: Repo, *, patch_ids: bool = False) -> None:
        import threading

        self.proc = repo.popen(*_DIFF_ARGS)
        self.sent: set[str] = set()
        self._out: list[bytes] = []
        self._ids = _PatchIdTee(repo) if patch_ids else None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._args = [str(a) for a in self.proc.args]  # type: ignore[union-attr]
        self._repo = repo

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read(1 << 16):
            self._out.append(chunk)
            if self._ids is not None:
                self._ids.feed(chunk)
        if self._ids is not None:
            self._ids.end()

    def add(self, sha: str) -> None:
        if sha in self.sent:
            return
        assert self.proc.stdin is not None
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        self.sent.add(sha)

    def close(self) -> None:
        """Stop diffing (after an error): the diffs asked for so far are not wanted."""
        self.proc.kill()
        self.proc.wait()
        if self._ids is not None:
            self._ids.kill()

    def result(self) -> dict[str, bytes]:
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        self._reader.join()
        stderr = self.proc.stderr.read()
        if self.proc.wait() != 0:
            if self._ids is not None:
                self._ids.kill()
            raise self._repo.error(self._args, self.proc.returncode, stderr)
        return split_diffs(b"".join(self._out), self.sent)

    def patch_ids(self) -> dict[str, str]:
        """After result(): the patch-id of each diffed commit that has one; {} when the
        patch-id process failed (the caller then asks for them as before)."""
        return self._ids.result(self.sent) if self._ids is not None else {}


class _PatchIdTee:
    """`git patch-id --stable` reading what diff-tree writes: diff-tree prints each commit's
    sha on a line of its own before its diff, which is how patch-id tells commits apart."""

    def __init__(self, repo: Repo) -> None:
        import threading

        self.proc = repo.popen("patch-id", "--stable")
        self.broken = False
        self._out = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        self._out = self.proc.stdout.read()

    def feed(self, chunk: bytes) -> None:
        if self.broken:
            return
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(chunk)
        except OSError:
            self.broken = True

    def end(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            self.broken = True

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def result(self, wanted: set[str]) -> dict[str, str]:
        self._reader.join()
        assert self.proc.stderr is not None
        self.proc.stderr.read()
        if self.proc.wait() != 0 or self.broken:
            return {}
        found = {}
        for line in self._out.decode("ascii", "replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1] in wanted:
                found[parts[1]] = parts[0]
        return found


def split_diffs(out: bytes, wanted: set[str]) -> dict[str, bytes]:
    """`git diff-tree --stdin` output cut at the "<sha>" line it prints before each commit."""
    found: dict[str, bytes] = {}
    current: str | None = None
    chunks: list[bytes] = []
    for line in out.splitlines(keepends=True):
        key = line[:40].decode("ascii", "replace")
        if len(line) in (41, 42) and key in wanted and line[40:].strip() == b"":
            if current is not None:
                found[current] = b"".join(chunks)
            current, chunks = key, []
        else:
            chunks.append(line)
    if current is not None:
        found[current] = b"".join(chunks)
    return found


def commit_names(repo: Repo, names: Sequence[str]) -> dict[str, Sha]:
    """The full sha of each name that names a commit (ONE `git cat-file --batch-check`);
    unknown or ambiguous names and non-commits are left out."""
    wanted = [n for n in names if n and not n.startswith("-") and "\n" not in n]
    if not wanted:
        return {}
    out = repo.text(
        "cat-file", "--batch-check=%(objectname) %(objecttype)",
        input="\n".join(wanted).encode() + b"\n",
    )  # fmt: skip
    found: dict[str, Sha] = {}
    for name, line in zip(wanted, out.splitlines(), strict=False):
        parts = line.split()
        if len(parts) == 2 and parts[1] == "commit" and SHA_RE.match(parts[0]):
            found[name] = Sha(parts[0])
    return found


def reached_by(repo: Repo, tip: Sha, shas: Sequence[Sha]) -> set[Sha]:
    """Which of `shas` (existing commits) `tip` reaches: ONE `git rev-list X... ^tip`, which
    lists exactly the ones it does not."""
    if not shas:
        return set()
    out = repo.text("rev-list", *shas, f"^{tip}", "--")
    unreached = set(out.split())
    return {sha for sha in shas if sha not in unreached}
