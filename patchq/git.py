"""The only place patchq runs git.

Everything else gets patchq types (Sha, CommitInfo, MergeResult), never raw processes.
Every command runs with the upstream's hooks disabled, a neutral locale and no leaked GIT_* from
the caller's environment. `-v` prints each command before it runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple, NewType

from patchq import console
from patchq.errors import ConfigError, GitError

Sha = NewType("Sha", str)  # 40 lowercase hex, validated by as_sha()

SHA_RE = re.compile(r"^[0-9a-f]{40}$")
EMPTY_TREE = Sha("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

# Config that keeps git's output machine-readable and stops the upstream repo from running
# anything of its own (hooks, fsmonitor, auto-gc) while patchq works in it.
_SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.quotePath=false",
    "log.showSignature=false",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.external=",
    "gc.auto=0",
    "maintenance.auto=false",
    "commit.gpgSign=false",
    "am.threeWay=false",
    "advice.detachedHead=false",
)

_LEAKY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_EXTERNAL_DIFF",
    "GIT_DIFF_OPTS",
)


def as_sha(text: str) -> Sha:
    value = text.strip()
    if not SHA_RE.match(value):
        raise GitError(f"git returned {value!r} where a commit sha was expected")
    return Sha(value)


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_ENV}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("GIT_AUTHOR_NAME", "patchq")
    env.setdefault("GIT_AUTHOR_EMAIL", "patchq@localhost")
    env.setdefault("GIT_COMMITTER_NAME", "patchq")
    env.setdefault("GIT_COMMITTER_EMAIL", "patchq@localhost")
    if extra:
        env.update(extra)
    return env


def git_argv(path: Path, args: Sequence[str]) -> list[str]:
    argv = ["git", "-C", str(path)]
    for item in _SAFE_CONFIG:
        argv += ["-c", item]
    return argv + list(args)


def _show(argv: Sequence[str]) -> str:
    # Hide the -c noise in -v output: it is the same for every command.
    shown = [a for i, a in enumerate(argv) if a != "-c" and not (i and argv[i - 1] == "-c")]
    return "+ " + shlex.join(shown)


@dataclass(frozen=True)
class CommitInfo:
    sha: Sha
    parents: tuple[Sha, ...]
    tree: Sha
    author_name: str
    author_email: str
    author_date: str  # raw "<unix seconds> <+zone>"
    committer_name: str
    committer_email: str
    committer_date: str
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()

    @property
    def author(self) -> str:
        return f"{self.author_name} <{self.author_email}>"


@dataclass(frozen=True)
class MergeResult:
    clean: bool
    tree: Sha
    conflicts: tuple[str, ...] = ()


@dataclass
class Repo:
    """A local git repository patchq reads from and writes objects (never refs unless asked) to."""

    path: Path
    git_dir: Path = field(init=False)
    _cat: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _writers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict, init=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)
    _counter: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.is_dir():
            raise ConfigError(
                f"upstream repository {self.path} does not exist: "
                "pass --upstream PATH or set upstream.path in series.yaml"
            )
        proc = subprocess.run(
            git_argv(self.path, ["rev-parse", "--absolute-git-dir"]),
            capture_output=True,
            env=clean_env(),
        )
        if proc.returncode != 0:
            raise ConfigError(
                f"{self.path} is not a git repository: point --upstream at a clone of upstream"
            )
        self.git_dir = Path(proc.stdout.decode().strip())

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        procs = ([self._cat] if self._cat else []) + list(self._writers.values())
        for proc in procs:
            if proc.stdin:
                proc.stdin.close()
            proc.wait()
        self._cat = None
        self._writers.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scratch_dir(self) -> Path:
        """A private temp dir (outside the user's worktree) removed on close()."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="patchq-")
        return Path(self._tmp.name)

    # -- running commands ------------------------------------------------------------------

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        ok_codes: Iterable[int] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        argv = git_argv(self.path, args)
        console.debug(_show(argv))
        proc = subprocess.run(argv, input=input, capture_output=True, env=clean_env(env))
        if check and proc.returncode not in tuple(ok_codes):
            raise self.error(argv, proc.returncode, proc.stderr)
        return proc

    def text(self, *args: str, **kw: object) -> str:
        return self.run(*args, **kw).stdout.decode("utf-8", "replace")  # type: ignore[arg-type]

    def error(self, argv: Sequence[str], code: int, stderr: bytes) -> GitError:
        first = stderr.decode("utf-8", "replace").strip().splitlines()
        detail = first[0] if first else f"exit code {code}"
        return GitError(f"`{_show(argv)[2:]}` failed in {self.path}: {detail}")

    def popen(
        self,
        *args: str,
        stdin: int | IO[bytes] | None = subprocess.PIPE,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        argv = git_argv(self.path, args)
        console.debug(_show(argv))
        return subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(env)
        )

    # -- refs and commits ------------------------------------------------------------------

    def resolve(self, ref: str) -> Sha | None:
        """The commit `ref` names, or None when it names none."""
        if ref.startswith("-"):
            return None
        proc = self.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False
        )
        return as_sha(proc.stdout.decode()) if proc.returncode == 0 else None

    def resolve_or_fail(self, ref: str, *, what: str = "ref") -> Sha:
        sha = self.resolve(ref)
        if sha is None:
            raise ConfigError(
                f"{what} {ref!r} is not a commit in {self.path}: check the name or fetch it"
            )
        return sha

    def has_commit(self, sha: str) -> bool:
        return bool(sha) and self.resolve(sha) is not None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        proc = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return proc.returncode == 0

    def branch_exists(self, name: str) -> bool:
        return self.resolve(f"refs/heads/{name}") is not None

    def update_ref(self, ref: str, new: Sha, old: str | None = None, *, reason: str) -> None:
        args = ["update-ref", "-m", reason, ref, new]
        if old is not None:
            args.append(old)
        self.run(*args)

    def delete_ref(self, ref: str) -> None:
        self.run("update-ref", "-d", ref, check=False)

    def commit_info(self, shas: Sequence[str]) -> list[CommitInfo]:
        """Metadata of many commits from one `git log --no-walk` process."""
        if not shas:
            return []
        fmt = "%x01%H%x00%P%x00%T%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B"
        out = self.run(
            "log",
            "--no-walk=unsorted",
            "--date=raw",
            f"--format={fmt}",
            "--stdin",
            input="\n".join(shas).encode() + b"\n",
        ).stdout
        printed = [_parse_commit_record(rec) for rec in out.split(b"\x01")[1:]]
        # git shows a commit once however often it is asked for: map full shas back to the
        # request (duplicates included); other names keep the order git printed.
        found = {c.sha: c for c in printed}
        if all(sha in found for sha in shas):
            return [found[Sha(sha)] for sha in shas]
        return printed

    def log_range(self, rev_range: str, *extra: str) -> list[CommitInfo]:
        fmt = "%x01%H%x00%P%x00%T%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B"
        out = self.run("log", "--date=raw", f"--format={fmt}", *extra, rev_range).stdout
        return [_parse_commit_record(rec) for rec in out.split(b"\x01")[1:]]

    # -- objects ---------------------------------------------------------------------------

    def read_object(self, sha: str) -> tuple[str, bytes]:
        """(type, content) through one long-lived `git cat-file --batch`."""
        if self._cat is None:
            self._cat = self.popen("cat-file", "--batch")
        assert self._cat.stdin and self._cat.stdout
        self._cat.stdin.write(sha.encode() + b"\n")
        self._cat.stdin.flush()
        header = self._cat.stdout.readline().decode()
        parts = header.split()
        if len(parts) != 3:
            raise GitError(f"object {sha} is missing from {self.path}")
        data = self._cat.stdout.read(int(parts[2]))
        self._cat.stdout.read(1)
        return parts[1], data

    def write_object(self, kind: str, data: bytes) -> Sha:
        """Write one object through a long-lived `git hash-object -w --stdin-paths`."""
        writer = self._writers.get(kind)
        if writer is None:
            writer = self.popen("hash-object", "-w", "-t", kind, "--stdin-paths")
            self._writers[kind] = writer
        self._counter += 1
        tmp = self.scratch_dir() / f"obj{self._counter}"
        tmp.write_bytes(data)
        assert writer.stdin and writer.stdout
        writer.stdin.write(str(tmp).encode() + b"\n")
        writer.stdin.flush()
        sha = as_sha(writer.stdout.readline().decode())
        tmp.unlink()
        return sha

    def write_commit(
        self,
        *,
        tree: Sha,
        parents: Sequence[Sha],
        message: str,
        author: str,
        committer: str | None = None,
    ) -> Sha:
        """Write a commit object; author/committer are "Name <email> <secs> <zone>" lines."""
        body = commit_object(
            tree=tree,
            parents=parents,
            message=message,
            author=author,
            committer=committer or author,
        )
        return self.write_object("commit", body)

    def merge_tree(self, ours: Sha, theirs: Sha) -> MergeResult:
        """In-memory 3-way merge (git >= 2.38); the merge base is found by git."""
        proc = self.run(
            "merge-tree",
            "--write-tree",
            "--name-only",
            "--no-messages",
            ours,
            theirs,
            ok_codes=(0, 1),
        )
        lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
        tree = as_sha(lines[0])
        conflicts = tuple(dict.fromkeys(p for p in lines[1:] if p))
        return MergeResult(clean=proc.returncode == 0, tree=tree, conflicts=conflicts)

    def pick(self, *, onto_tree: Sha, commit: CommitInfo) -> MergeResult:
        """Cherry-pick `commit` onto a tree in memory.

        git 2.39 has no `merge-tree --merge-base`, so a fake commit with tree `onto_tree` and
        the picked commit's parent makes git choose that parent as the merge base.
        """
        parent = commit.parents[0] if commit.parents else None
        fake = self.write_commit(
            tree=onto_tree,
            parents=[parent] if parent else [],
            message="patchq: cherry-pick base\n",
            author=f"{commit.author_name} <{commit.author_email}> {commit.author_date}",
        )
        if parent is None:
            raise GitError(f"commit {commit.sha} has no parent to pick it from")
        return self.merge_tree(fake, commit.sha)

    def apply_to_tree(self, tree: Sha, patch: bytes, *, three_way: bool = False) -> MergeResult:
        """Apply a patch to `tree` in a private index; never touches the user's index."""
        index = self.scratch_dir() / "index"
        env = {"GIT_INDEX_FILE": str(index)}
        self.run("read-tree", tree, env=env)
        args = ["apply", "--cached", "--binary", "--whitespace=nowarn"]
        if three_way:
            args.append("-3")
        proc = self.run(*args, "-", input=patch, env=env, check=False)
        if proc.returncode != 0:
            paths = _conflict_paths(proc.stderr.decode("utf-8", "replace"))
            return MergeResult(clean=False, tree=tree, conflicts=paths)
        new_tree = as_sha(self.text("write-tree", env=env))
        return MergeResult(clean=True, tree=new_tree)

    def patch_ids(self, patches: Iterable[bytes]) -> list[str | None]:
        """`git patch-id --stable` of each patch text, in one process."""
        texts = list(patches)
        if not texts:
            return []
        # Tag each patch with a fake commit line so the output maps back to its input. git
        # patch-id also starts a new patch at a "From <sha>" mbox line, so that line goes.
        texts = [_without_mbox_line(t) for t in texts]
        joined = b"".join(
            b"commit %040x\n" % (i + 1) + t + (b"" if t.endswith(b"\n") else b"\n")
            for i, t in enumerate(texts)
        )
        out = self.text("patch-id", "--stable", input=joined)
        ids: list[str | None] = [None] * len(texts)
        for line in out.splitlines():
            pid, tag = line.split()
            ids[int(tag, 16) - 1] = pid
        return ids


def commit_object(
    *, tree: Sha, parents: Sequence[Sha], message: str, author: str, committer: str
) -> bytes:
    """The raw content of a commit object (what `git cat-file commit` prints)."""
    lines = [f"tree {tree}"] + [f"parent {p}" for p in parents]
    lines += [f"author {author}", f"committer {committer}", "", message]
    body = "\n".join(lines)
    if not body.endswith("\n"):
        body += "\n"
    return body.encode("utf-8", "surrogateescape")


def _without_mbox_line(raw: bytes) -> bytes:
    first, _, rest = raw.partition(b"\n")
    if first.startswith(b"From ") and first.endswith(b" Mon Sep 17 00:00:00 2001"):
        return rest
    return raw


_CONFLICT_RE = re.compile(
    r"^(?:error: patch failed: (?P<a>.+?):\d+|error: (?P<b>.+?): (?:does not exist in index|"
    r"already exists in index|patch does not apply|does not match index)|"
    r"U (?P<c>.+))$",
    re.M,
)


def _conflict_paths(stderr: str) -> tuple[str, ...]:
    found = []
    for m in _CONFLICT_RE.finditer(stderr):
        found.append(m.group("a") or m.group("b") or m.group("c"))
    return tuple(dict.fromkeys(found))


def _parse_commit_record(rec: bytes) -> CommitInfo:
    text = rec.decode("utf-8", "surrogateescape")
    sha, parents, tree, an, ae, ad, cn, ce, cd, message = text.split("\x00", 9)
    return CommitInfo(
        sha=Sha(sha),
        parents=tuple(Sha(p) for p in parents.split()),
        tree=Sha(tree),
        author_name=an,
        author_email=ae,
        author_date=ad,
        committer_name=cn,
        committer_email=ce,
        committer_date=cd,
        message=message.rstrip("\n") + "\n",
    )


def init_repo(path: Path) -> None:
    """Create an empty repository (used by `patchq demo`)."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "init", "-q", "-b", "master", str(path)],
        check=True,
        env=clean_env(),
        capture_output=True,
    )


# == patchq check (issue 6): apply a series to a private index, continuing past failures ==


@dataclass(frozen=True)
class ApplyResult:
    clean: bool
    three_way: bool = False  # applied only with a 3-way merge
    conflicts: tuple[str, ...] = ()
    detail: str = ""  # git's first error line when it failed


class PrivateIndex:
    """A temporary index outside the user's worktree: patches are applied to it in order."""

    def __init__(self, repo: Repo, tree: str, *, name: str = "check-index") -> None:
        self.repo = repo
        self.path = repo.scratch_dir() / name
        self.env = {"GIT_INDEX_FILE": str(self.path)}
        repo.run("read-tree", tree, env=self.env)

    def apply_all(self, files: Sequence[Path]) -> bool:
        """Apply every patch file in order in ONE process; all or nothing."""
        if not files:
            return True
        args = ["apply", "--cached", "--binary", "--whitespace=nowarn"]
        proc = self.repo.run(*args, *(str(f.resolve()) for f in files), env=self.env, check=False)
        return proc.returncode == 0

    def apply(self, patch: bytes, *, three_way: bool = True) -> ApplyResult:
        """Apply one patch; when it fails the index is left exactly as it was."""
        args = ["apply", "--cached", "--binary", "--whitespace=nowarn"]
        proc = self.repo.run(*args, "-", input=patch, env=self.env, check=False)
        if proc.returncode == 0:
            return ApplyResult(clean=True)
        stderr = proc.stderr.decode("utf-8", "replace")
        if three_way:
            saved = self.path.read_bytes()
            retry = self.repo.run(*args, "-3", "-", input=patch, env=self.env, check=False)
            if retry.returncode == 0:
                return ApplyResult(clean=True, three_way=True)
            self.path.write_bytes(saved)  # -3 leaves unmerged entries behind
        lines = [line for line in stderr.splitlines() if line.startswith("error:")]
        detail = (lines[-1] if lines else stderr.strip().split("\n")[0])[:200]
        return ApplyResult(clean=False, conflicts=_conflict_paths(stderr), detail=detail)


# == status and apply (issue 3): range scans, batched diffs, object reads ===================


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
    commits: list[ScannedCommit]  # the non-merge commits, oldest first
    base_is_ancestor: bool  # base == ref, or some commit of the range has base as a parent


_REVERTS_RE = re.compile(r"^This reverts commit ([0-9a-f]{7,40})\b", re.M)
_SCAN_FORMAT = (
    "--format=%x01%H%x00%P%x00%s%x00%(trailers:key=Change-Id,valueonly,separator=%x2C)%x00%B%x02"
)
_SCAN_ARGS = ("log", "-z", "--no-renames", "--name-only", _SCAN_FORMAT)


def scan_range(
    repo: Repo, base: Sha, ref: Sha, *, on_commit: Callable[[ScannedCommit], None] | None = None
) -> RangeScan:
    """base..ref in ONE `git log` with no blob diffs: each non-merge commit's Change-Ids,
    revert target and path set, and whether base is an ancestor of ref (which costs nothing
    here, unlike a separate `git merge-base --is-ancestor`)."""
    commits, ancestor = [], base == ref
    # Newest first: `--reverse` would make git hold everything back until the walk ends.
    for rec in stream_records(repo, [*_SCAN_ARGS, f"{base}..{ref}", "--"]):
        commit, parents = _parse_scan(rec)
        ancestor = ancestor or base in parents
        if len(parents) <= 1:
            commits.append(commit)
            if on_commit is not None:
                on_commit(commit)
    commits.reverse()
    return RangeScan(commits, ancestor)


def stream_records(repo: Repo, args: Sequence[str], sep: bytes = b"\x01") -> Iterator[bytes]:
    """The `sep`-separated records of a command's output, as they arrive: parsing overlaps
    git's work instead of waiting for all of it."""
    proc = repo.popen(*args, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    rest = b""
    while chunk := os.read(proc.stdout.fileno(), 1 << 16):
        parts = (rest + chunk).split(sep)
        rest = parts.pop()
        yield from (part for part in parts if part)
    if rest:
        yield rest
    stderr = proc.stderr.read()
    if proc.wait() != 0:
        raise repo.error(list(proc.args), proc.returncode, stderr)  # type: ignore[arg-type]


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
    tail = tail.lstrip("\x00")
    if tail.startswith("\n"):
        tail = tail[1:]
    reverts = _REVERTS_RE.search(body) if "This reverts commit" in body else None
    commit = ScannedCommit(
        sha=Sha(sha),
        subject=subject,
        change_ids=tuple(c.strip() for c in cids.split(",") if c.strip()) if cids else (),
        reverts=reverts.group(1) if reverts else None,
        path_key="\n".join(sorted(p for p in tail.split("\x00") if p)),
    )
    return commit, parents.split()


_DIFF_ARGS = ("diff-tree", "--stdin", "-p", "-M", "--binary", "--no-color", "-r")


def commit_diffs(repo: Repo, shas: Sequence[str]) -> dict[str, bytes]:
    """Each commit's diff against its first parent, in the form `git format-patch` writes it
    (renames, binary), from ONE `git diff-tree --stdin` process."""
    if not shas:
        return {}
    out = repo.run(*_DIFF_ARGS, input="\n".join(shas).encode() + b"\n").stdout
    return split_diffs(out, set(shas))


class DiffFeed:
    """A `git diff-tree --stdin` fed commit by commit while other work runs (e.g. while the
    range scan is still streaming), so diffing overlaps scanning instead of following it."""

    def __init__(self, repo: Repo) -> None:
        import threading

        self.proc = repo.popen(*_DIFF_ARGS)
        self.sent: set[str] = set()
        self._out: list[bytes] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._args = [str(a) for a in self.proc.args]  # type: ignore[union-attr]
        self._repo = repo

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read(1 << 16):
            self._out.append(chunk)

    def add(self, sha: str) -> None:
        if sha in self.sent:
            return
        assert self.proc.stdin is not None
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        self.sent.add(sha)

    def result(self) -> dict[str, bytes]:
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        self._reader.join()
        stderr = self.proc.stderr.read()
        if self.proc.wait() != 0:
            raise self._repo.error(self._args, self.proc.returncode, stderr)
        return split_diffs(b"".join(self._out), self.sent)


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


# == import and demo (issue 2) =============================================================

# format-patch flags that pin its output whatever the user's format.* config says.
FORMAT_PATCH_FLAGS = (
    "--no-numbered",
    "--no-signature",
    "--no-cover-letter",
    "--no-thread",
    "--no-attach",
    "--no-to",
    "--no-cc",
    "--no-add-header",
    "--no-base",
    "--no-signoff",
    "--no-notes",
    "--no-from",
    "--no-relative",
    "--binary",
)


def format_patches(repo: Repo, start: Sha, end: Sha) -> dict[Sha, bytes]:
    """`git format-patch start..end` in one process: each commit's patch file by commit sha."""
    out_dir = Path(tempfile.mkdtemp(prefix="format-patch-", dir=repo.scratch_dir()))
    repo.run(
        "format-patch",
        "-q",
        "--numbered-files",
        "-o",
        str(out_dir),
        *FORMAT_PATCH_FLAGS,
        f"{start}..{end}",
    )
    found: dict[Sha, bytes] = {}
    for item in out_dir.iterdir():
        data = item.read_bytes()
        if not data:  # a commit that changes nothing: format-patch leaves its file empty
            continue
        first = data.split(b"\n", 1)[0].split(b" ")
        if len(first) < 2 or first[0] != b"From":
            raise GitError(f"`git format-patch` wrote an unexpected file in {repo.path}")
        found[as_sha(first[1].decode())] = data
    return found


def fast_import(repo: Repo, stream: bytes) -> None:
    """Feed a `git fast-import` stream into a repository (the demo's synthetic upstream)."""
    repo.run("fast-import", "--quiet", "--date-format=raw", "--done", input=stream)


def checkout(repo: Repo, branch: str) -> None:
    """Check `branch` out in a repository patchq itself created (never the user's)."""
    repo.run("checkout", "-q", "-f", branch)


def read_objects(repo: Repo, shas: Sequence[str]) -> dict[str, tuple[str, bytes]]:
    """Many objects through the repo's persistent `git cat-file --batch`, requests written all
    at once (by a thread, so neither side blocks on a full pipe) instead of one round trip
    each. Missing objects are left out."""
    import threading

    if not shas:
        return {}
    if repo._cat is None:
        repo._cat = repo.popen("cat-file", "--batch")
    cat = repo._cat
    assert cat.stdin is not None and cat.stdout is not None
    requests = "".join(f"{sha}\n" for sha in shas).encode()

    def send() -> None:
        assert cat.stdin is not None
        cat.stdin.write(requests)
        cat.stdin.flush()

    writer = threading.Thread(target=send, daemon=True)
    writer.start()
    out: dict[str, tuple[str, bytes]] = {}
    for sha in shas:
        parts = cat.stdout.readline().decode().split()
        if len(parts) == 3:
            out[sha] = (parts[1], cat.stdout.read(int(parts[2])))
            cat.stdout.read(1)
    writer.join()
    return out


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


# == rebase (issue 4): format-patch export and the patchq-owned conflict worktree ==========

# Flags and config that pin every knob of format-patch output, so a regenerated patch file
# depends only on the commit (not on the user's format.* / diff.* config or the repo's size).
_FORMAT_PATCH_CONFIG = (
    "diff.algorithm=myers",
    "diff.context=3",
    "diff.interHunkContext=0",
    "diff.relative=false",
    "diff.renames=true",
    "diff.indentHeuristic=true",
    "diff.suppressBlankEmpty=false",
    "format.mboxrd=false",
    "format.forceInBodyFrom=false",
    "i18n.logOutputEncoding=UTF-8",
)
_FORMAT_PATCH_FLAGS = (
    "--stdout",
    "--zero-commit",
    "--no-signature",
    "--no-numbered",
    "--no-thread",
    "--no-notes",
    "--no-cover-letter",
    "--no-base",
    "--no-attach",
    "--no-add-header",
    "--no-to",
    "--no-cc",
    "--no-signoff",
    "--subject-prefix=PATCH",
    "--encode-email-headers",
    "--abbrev=12",
    "--find-renames",
    "--diff-algorithm=myers",
    "--unified=3",
    "--inter-hunk-context=0",
    "--no-relative",
    "--indent-heuristic",
    "-O/dev/null",
    "--stat=72",
)


def format_patch_range(repo: Repo, base: Sha, tip: Sha) -> bytes:
    """`git format-patch` of base..tip (a linear chain) as one mbox, in pinned, stable form."""
    args: list[str] = []
    for item in _FORMAT_PATCH_CONFIG:
        args += ["-c", item]
    return repo.run(*args, "format-patch", *_FORMAT_PATCH_FLAGS, f"{base}..{tip}").stdout


def worktree_add(repo: Repo, path: Path, commit: Sha) -> None:
    """A detached worktree at `commit` (no branch is created or moved)."""
    repo.run("worktree", "add", "--detach", "--force", str(path), commit)


def worktree_remove(repo: Repo, path: Path) -> None:
    """Remove a worktree patchq made, with its admin data under the git dir, and nothing else."""
    proc = repo.run("worktree", "remove", "--force", "--force", str(path), check=False)
    if proc.returncode == 0:
        return
    # The directory is gone (or half made): drop only the admin entry that points at it.
    admin_root = repo.git_dir / "worktrees"
    wanted = os.path.realpath(path / ".git") if path.exists() else str(path / ".git")
    if not admin_root.is_dir():
        return
    import shutil

    for admin in admin_root.iterdir():
        pointer = admin / "gitdir"
        try:
            target = pointer.read_text().strip()
        except OSError:
            continue
        if target in (wanted, str(path / ".git"), os.path.realpath(path) + "/.git"):
            shutil.rmtree(admin, ignore_errors=True)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)


def worktree_tree(worktree: Path) -> Sha:
    """Stage everything in a patchq worktree and return its tree (the user's resolution)."""
    wt = Repo(worktree)
    wt.run("add", "-A", "--", ".")
    return as_sha(wt.text("write-tree"))


def worktree_pick_conflict(worktree: Path, commit: Sha) -> None:
    """Cherry-pick `commit` without committing in a patchq worktree, leaving git's conflict
    markers and unmerged index entries for a human to resolve."""
    Repo(worktree).run(
        "-c", "rerere.enabled=false", "cherry-pick", "--no-commit", commit, ok_codes=(0, 1)
    )
