"""The git boundary's core: one clone, its commands and its objects.

Everything else gets patchq types (Sha, CommitInfo, MergeResult), never raw processes.
Every command runs with the upstream's hooks disabled, a neutral locale and no leaked GIT_* from
the caller's environment. `-v` prints each command before it runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from patchq import console
from patchq.errors import ConfigError, GitError
from patchq.git import sealed
from patchq.git.objects import SHA_RE, Sha, as_sha, commit_object, commit_parents
from patchq.git.packs import ObjectWriter

if TYPE_CHECKING:
    import tempfile

__all__ = ["SHA_RE", "CommitInfo", "MergeResult", "Repo", "Sha", "as_sha", "commit_object"]

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
    """A commit's metadata as `git log --format` gives it (no diff)."""

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
    """A `git merge-tree --write-tree` outcome: the tree, and the paths that conflict."""

    clean: bool
    tree: Sha
    conflicts: tuple[str, ...] = ()


@dataclass
class Repo:
    """A local git repository patchq reads from and writes objects (never refs unless asked) to."""

    path: Path
    git_dir: Path = field(init=False)
    _cat: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _objects: ObjectWriter | None = field(default=None, init=False, repr=False)
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, init=False, repr=False)
    _deferred: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)
    _running: list[threading.Thread] = field(default_factory=list, init=False, repr=False)
    objects_dir: Path = field(init=False)
    _object_format: str = field(default="sha1", init=False)
    _shallow: Path | None = field(default=None, init=False)
    _sealed_dir: Path | None = field(default=None, init=False)
    _sealing: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Commits never change: what commit_info() learned of a full sha is kept for the repo's life.
    _infos: dict[str, CommitInfo] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.is_dir():
            why = "is not a directory" if self.path.exists() else "does not exist"
            raise ConfigError(
                f"upstream repository {self.path} {why}: "
                "pass --upstream PATH or set upstream.path in series.yaml"
            )
        proc = subprocess.run(
            git_argv(
                self.path,
                [
                    "rev-parse",
                    "--absolute-git-dir",
                    "--show-object-format",
                    "--path-format=absolute",
                    "--git-path",
                    "objects",
                    "--git-path",
                    "shallow",
                ],
            ),
            capture_output=True,
            env=clean_env(),
        )
        if proc.returncode != 0:
            raise ConfigError(
                f"{self.path} is not a git repository: point --upstream at a clone of upstream"
            )
        git_dir, object_format, objects, shallow = proc.stdout.decode().splitlines()[:4]
        self.git_dir = Path(git_dir)
        self._object_format = object_format
        self.objects_dir = Path(objects)
        self._shallow = Path(shallow)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        self.wait_deferred()
        if self._cat is not None:
            if self._cat.stdin:
                self._cat.stdin.close()
            self._cat.wait()
            self._cat = None
        if self._objects is not None:
            self._objects.close()
            self._objects = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._sealed_dir = None

    def __enter__(self) -> Repo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def defer(self, job: Callable[[], None]) -> None:
        """Work on patchq's own files in this repo (the commit cache) that need not hold up
        the caller: started by run_deferred() while the process waits on git anyway, and
        finished by wait_deferred() or close() at the latest."""
        self._deferred.append(job)

    def run_deferred(self) -> None:
        """Start the deferred jobs, each in a thread."""
        while self._deferred:
            thread = threading.Thread(target=self._deferred.pop(0), name="patchq-deferred")
            self._running.append(thread)
            thread.start()

    def wait_deferred(self) -> None:
        self.run_deferred()
        while self._running:
            self._running.pop(0).join()

    def scratch_dir(self) -> Path:
        """A private temp dir (outside the user's worktree) removed on close()."""
        if self._tmp is None:
            import tempfile  # with shutil and the archive modules: not for every command

            self._tmp = tempfile.TemporaryDirectory(prefix="patchq-")
        return Path(self._tmp.name)

    # -- running commands ------------------------------------------------------------------

    def _command(
        self, args: Sequence[str], env: Mapping[str, str] | None
    ) -> tuple[list[str], dict[str, str]]:
        """argv and environment of one git command; content commands run sealed."""
        if sealed.subcommand(args) not in sealed.SEALED_COMMANDS:
            return git_argv(self.path, args), clean_env(env)
        git_dir = self.sealed_dir()
        overrides = [item for pair in sealed.SEALED_CONFIG for item in ("-c", pair)]
        argv = git_argv(git_dir, [*overrides, *args])
        return argv, clean_env({**(env or {}), **sealed.sealed_env(git_dir, self.objects_dir)})

    def sealed_dir(self) -> Path:
        """The private GIT_DIR that sees only this clone's objects (see git/sealed.py)."""
        with self._sealing:  # the rebase runs git from two threads
            if self._sealed_dir is None:
                path = self.scratch_dir() / "sealed.git"
                sealed.make_git_dir(
                    path,
                    objects=self.objects_dir,
                    object_format=self._object_format,
                    shallow=self._shallow,
                )
                self._sealed_dir = path
            return self._sealed_dir

    def sealed_env(self, work_tree: Path, git_dir: Path) -> dict[str, str]:
        """Environment for git in a patchq-made worktree with its own sealed `git_dir`."""
        return sealed.sealed_env(git_dir, self.objects_dir, work_tree)

    def make_sealed_git_dir(self, path: Path, *, head: str) -> None:
        sealed.make_git_dir(
            path,
            objects=self.objects_dir,
            object_format=self._object_format,
            shallow=self._shallow,
            head=head,
            bare=False,
        )

    def is_sealed_git_dir(self, path: Path, *, extra_config: str = "") -> bool:
        """Whether `path` is still a worktree `.git` as make_sealed_git_dir() made it: its
        config untouched (no filter, driver or hook of anyone's; `extra_config` is what its
        maker appended) and no attributes file or link to another repository's git dir
        added."""
        if path.is_symlink() or not path.is_dir():
            return False
        if any((path / name).exists() for name in ("commondir", "gitdir", "info/attributes")):
            return False
        try:
            config = (path / "config").read_text()
        except (OSError, UnicodeDecodeError):
            return False
        return config == sealed.config_text(self._object_format, bare=False) + extra_config

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        ok_codes: Iterable[int] = (0,),
    ) -> subprocess.CompletedProcess[bytes]:
        argv, full_env = self._command(args, env)
        console.debug(_show(argv))
        proc = subprocess.run(argv, input=input, capture_output=True, env=full_env)
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
        argv, full_env = self._command(args, env)
        console.debug(_show(argv))
        return subprocess.Popen(
            argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env
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

    def resolve_all(self, refs: Sequence[str]) -> list[Sha | None]:
        """resolve() of each ref: ONE `git rev-parse` when every ref names a commit (the
        usual case), else one per ref (git stops printing at the first name it cannot
        resolve, so the answers no longer line up)."""
        if refs and all(r and not r.startswith("-") and "\n" not in r for r in refs):
            proc = self.run("rev-parse", "--revs-only", *(f"{r}^{{commit}}" for r in refs),
                            check=False)  # fmt: skip
            lines = proc.stdout.decode().split()
            answered = proc.returncode == 0 and len(lines) == len(refs)
            if answered and all(SHA_RE.match(line) for line in lines):
                return [Sha(line) for line in lines]
        return [self.resolve(r) for r in refs]

    def resolve_or_fail(self, ref: str, *, what: str = "ref") -> Sha:
        sha = self.resolve(ref)
        if sha is None:
            raise ConfigError(
                f"{what} {ref!r} is not a commit in {self.path}: check the name or fetch it"
            )
        return sha

    def update_ref(self, ref: str, new: Sha, old: str | None = None, *, reason: str) -> None:
        args = ["update-ref", "-m", reason, ref, new]
        if old is not None:
            args.append(old)
        self.run(*args)

    def update_refs(self, updates: Sequence[tuple[str, Sha]], *, reason: str) -> None:
        """Set several refs in one `git update-ref --stdin` transaction (all or none)."""
        lines = "".join(f"update {ref}\0{new}\0\0" for ref, new in updates)
        self.run("update-ref", "-z", "--stdin", "-m", reason, input=lines.encode())

    def delete_refs(self, refs: Sequence[str], *, reason: str) -> None:
        """Delete refs in one `git update-ref --stdin` (a ref that does not exist is fine;
        like `update-ref -d`, a failure is not an error: the refs only keep objects alive)."""
        lines = "".join(f"delete {ref}\0\0" for ref in refs)
        self.run("update-ref", "-z", "--stdin", "-m", reason, input=lines.encode(), check=False)

    def commit_info(self, shas: Sequence[str]) -> list[CommitInfo]:
        """Metadata of many commits from one `git log --no-walk` process."""
        if not shas:
            return []
        if all(sha in self._infos for sha in shas):
            return [self._infos[sha] for sha in shas]
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
        for sha, info in found.items():
            self._infos[sha] = info
        if all(sha in found for sha in shas):
            return [found[Sha(sha)] for sha in shas]
        return printed

    def log_range(self, rev_range: str, *extra: str) -> list[CommitInfo]:
        fmt = "%x01%H%x00%P%x00%T%x00%an%x00%ae%x00%ad%x00%cn%x00%ce%x00%cd%x00%B"
        out = self.run("log", "--date=raw", f"--format={fmt}", *extra, rev_range).stdout
        return [_parse_commit_record(rec) for rec in out.split(b"\x01")[1:]]

    # -- objects ---------------------------------------------------------------------------

    def _cat_batch(self) -> subprocess.Popen[bytes]:
        if self._cat is None:
            self._cat = self.popen("cat-file", "--batch")
        return self._cat

    def read_object(self, sha: str) -> tuple[str, bytes]:
        """(type, content) through one long-lived `git cat-file --batch`."""
        cat = self._cat_batch()
        assert cat.stdin and cat.stdout
        cat.stdin.write(sha.encode() + b"\n")
        cat.stdin.flush()
        header = cat.stdout.readline().decode()
        parts = header.split()
        if len(parts) != 3:
            raise GitError(f"object {sha} is missing from {self.path}")
        data = cat.stdout.read(int(parts[2]))
        cat.stdout.read(1)
        return parts[1], data

    def read_objects(self, shas: Sequence[str]) -> dict[str, tuple[str, bytes]]:
        """Many objects through the repo's persistent `git cat-file --batch`, requests written all
        at once (by a thread, so neither side blocks on a full pipe) instead of one round trip
        each. Missing objects are left out."""
        if not shas:
            return {}
        cat = self._cat_batch()
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

    def first_parent_chain(self, base: Sha, tip: Sha) -> list[Sha]:
        """The commits from base (excluded) to tip along first parents, oldest first, read
        through the persistent cat-file (for a short linear chain, such as patchq's own)."""
        out: list[Sha] = []
        at = tip
        while at != base:
            out.append(at)
            kind, data = self.read_object(at)
            parents = commit_parents(data) if kind == "commit" else []
            if not parents:
                raise ConfigError(f"{tip} does not descend from {base} along first parents")
            at = parents[0]
        return out[::-1]

    @property
    def objects(self) -> ObjectWriter:
        """The repo's one object writer: new objects in memory, written as one pack on
        flush(); closed with the repo."""
        if self._objects is None:
            fmt = self._object_format  # asked when the repo was opened
            if fmt != "sha1":
                raise ConfigError(f"{self.path} uses {fmt} object names: patchq supports sha1 only")
            self._objects = ObjectWriter(self)
        return self._objects

    def write_object(self, kind: str, data: bytes) -> Sha:
        """Write one object git can read at once (ObjectWriter.write_now)."""
        return self.objects.write_now(kind, data)

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
            paths = conflict_paths(proc.stderr.decode("utf-8", "replace"))
            return MergeResult(clean=False, tree=tree, conflicts=paths)
        new_tree = as_sha(self.text("write-tree", env=env))
        return MergeResult(clean=True, tree=new_tree)

    def patch_ids(self, patches: Iterable[bytes]) -> list[str | None]:
        """`git patch-id --stable` of each diff (PatchFile.diff, not a whole file: a message
        may quote a diff), in one process."""
        texts = list(patches)
        if not texts:
            return []
        # git patch-id starts a new patch at any line that begins with a sha (bare, or after
        # "commit ", "From " or "diff-tree "): only the diffs go in, each under a tag line
        # patchq writes, so no message line can be read as a header.
        diffs = [diff_only(t) for t in texts]
        joined = b"".join(
            b"commit %040x\n" % (i + 1) + d + (b"" if d.endswith(b"\n") else b"\n")
            for i, d in enumerate(diffs)
            if d
        )
        ids: list[str | None] = [None] * len(texts)
        if not joined:
            return ids
        out = self.text("patch-id", "--stable", input=joined)
        for line in out.splitlines():
            pid, tag = line.split()
            number = int(tag, 16) - 1
            if 0 <= number < len(ids):
                ids[number] = pid
        return ids


_FIRST_DIFF = re.compile(rb"^diff ", re.M)


def diff_only(diff: bytes) -> bytes:
    """A diff from its first `diff ` line (what git patch-id reads); b"" when it has none."""
    found = _FIRST_DIFF.search(diff)
    return diff[found.start() :] if found is not None else b""


_CONFLICT_RE = re.compile(
    r"^(?:error: patch failed: (?P<a>.+?):\d+|error: (?P<b>.+?): (?:does not exist in index|"
    r"already exists in index|patch does not apply|does not match index)|"
    r"U (?P<c>.+))$",
    re.M,
)


def conflict_paths(stderr: str) -> tuple[str, ...]:
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
