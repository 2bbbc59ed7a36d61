"""The series as commits, carried onto other upstream commits, all in memory.

No worktree, no user index. Patches are applied to file contents in Python (diffapply) on an
in-memory tree (memtree) and the new objects are written as one pack; whatever the fast path
does not handle (binary patches, hunks that need a 3-way merge) goes to git: `git apply -3` on
a private index when building the series, `git merge-tree` when carrying it onto another
commit. Commits keep the patch's author, date and message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from patchq.carry import diffapply
from patchq.carry.outcomes import APPLIES, CONFLICTS, PRESENT, UNDECIDED, CarryStep
from patchq.errors import ConflictError
from patchq.git import CommitInfo, Repo, Sha
from patchq.git.memtree import MemTree
from patchq.git.packs import ObjectWriter
from patchq.patches.patchfile import PatchFile
from patchq.series.model import Patch

COMMITTER = "patchq <patchq@localhost>"


@dataclass(frozen=True)
class PatchCommit:
    patch: Patch
    info: PatchFile
    commit: Sha
    tree: Sha
    parent: Sha


def write_patch_commit(writer: ObjectWriter, *, parent: Sha, tree: Sha, info: PatchFile) -> Sha:
    """The patch's commit on `parent`, into the writer's pending pack (flush before git
    needs it)."""
    author = info.git_author_line()
    # The committer date equals the author date so the same series always gives the same shas.
    committer = f"{COMMITTER} {author.rsplit(' ', 2)[-2]} {author.rsplit(' ', 1)[-1]}"
    return writer.commit(
        tree=tree, parents=[parent], message=info.message, author=author, committer=committer
    )


# -- applying a patch to an in-memory tree ---------------------------------------------------

Staged = dict[str, "tuple[str, bytes] | None"]


def stage(tree: MemTree, files: Sequence[diffapply.FilePatch]) -> Staged | None:
    """The new (mode, content) of every file the patch touches (None = deleted), or None
    when it does not apply exactly as `git apply` would."""
    staged: Staged = {}

    def current(path: str) -> tuple[str, bytes] | None:
        return staged[path] if path in staged else tree.read(path)

    for fp in files:
        if fp.old_path is None:
            assert fp.new_path is not None
            if current(fp.new_path) is not None or not tree.writable(fp.new_path):
                return None
            content = diffapply.apply_hunks(b"", fp.hunks)
            if content is None:
                return None
            staged[fp.new_path] = (fp.new_mode or "100644", content)
            continue
        now = current(fp.old_path)
        if now is None:
            return None
        mode, data = now
        if fp.old_mode and fp.new_mode and fp.old_mode != fp.new_mode and mode != fp.old_mode:
            return None
        content = diffapply.apply_hunks(data, fp.hunks)
        if content is None:
            return None
        if fp.new_path is None:
            if content:
                return None  # a deletion must remove the whole file
            staged[fp.old_path] = None
            continue
        if fp.new_path != fp.old_path:
            if current(fp.new_path) is not None or not tree.writable(fp.new_path):
                return None
            staged[fp.old_path] = None
        staged[fp.new_path] = (fp.new_mode or mode, content)
    return staged


def write_staged(tree: MemTree, staged: Staged) -> None:
    for path, value in staged.items():
        if value is None:
            tree.write(path, None)
    for path, value in staged.items():
        if value is not None:
            tree.write(path, value)


# -- the series on its base ------------------------------------------------------------------


def build_commits(
    repo: Repo,
    *,
    base: Sha,
    patches: Sequence[tuple[Patch, PatchFile]],
    three_way: bool = True,
) -> list[PatchCommit]:
    """Apply each patch on the result of the previous ones; ConflictError names the first
    that does not apply."""
    writer = repo.objects
    out: list[PatchCommit] = []
    head = base
    tree = MemTree(repo, repo.commit_info([base])[0].tree, writer)
    for patch, info in patches:
        files = diffapply.parse(info.diff)
        staged = stage(tree, files) if files is not None else None
        if staged is not None:
            write_staged(tree, staged)
            new_tree = tree.flush()
        else:
            new_tree = apply_with_git(repo, writer, tree, patch, info, three_way=three_way)
        commit = write_patch_commit(writer, parent=head, tree=new_tree, info=info)
        out.append(PatchCommit(patch=patch, info=info, commit=commit, tree=new_tree, parent=head))
        head = commit
    writer.flush()
    return out


def apply_with_git(
    repo: Repo,
    writer: ObjectWriter,
    tree: MemTree,
    patch: Patch,
    info: PatchFile,
    *,
    three_way: bool,
) -> Sha:
    """`git apply` (then `git apply -3`) on a private index, for what Python does not do."""
    root = tree.flush()
    writer.flush()
    result = repo.apply_to_tree(root, info.raw)
    if not result.clean and three_way:
        result = repo.apply_to_tree(root, info.raw, three_way=True)
    if not result.clean:
        paths = ", ".join(result.conflicts) or "see `git apply` output"
        raise ConflictError(
            f"patch {patch.file} ({info.subject}) does not apply: {paths}",
            paths=result.conflicts,
        )
    tree.reset(result.tree)
    return result.tree


# -- carrying commits onto another commit (git merge-tree) -----------------------------------


@dataclass(frozen=True)
class PickStep:
    """One patch carried onto the result of the previous ones (see pick_chain)."""

    patch_commit: PatchCommit
    clean: bool
    tree: Sha  # the merged tree (with conflict markers when not clean)
    commit: Sha | None  # the new commit on the chain when clean
    conflicts: tuple[str, ...]
    empty: bool = False  # clean, and the patch changed nothing: it is already there


def as_commit_info(pc: PatchCommit) -> CommitInfo:
    """The commit-object view of a PatchCommit, without asking git for it."""
    author = pc.info.git_author_line()
    name, _, rest = author.partition(" <")
    email, _, date = rest.partition("> ")
    return CommitInfo(
        sha=pc.commit,
        parents=(pc.parent,),
        tree=pc.tree,
        author_name=name,
        author_email=email,
        author_date=date,
        committer_name=name,
        committer_email=email,
        committer_date=date,
        message=pc.info.message,
    )


def _pick(repo: Repo, *, head: Sha, head_tree: Sha, pc: PatchCommit) -> PickStep:
    writer = repo.objects
    result = repo.pick(onto_tree=head_tree, commit=as_commit_info(pc))
    if not result.clean:
        return PickStep(pc, clean=False, tree=result.tree, commit=None, conflicts=result.conflicts)
    commit = write_patch_commit(writer, parent=head, tree=result.tree, info=pc.info)
    empty = result.tree == head_tree
    return PickStep(pc, clean=True, tree=result.tree, commit=commit, conflicts=(), empty=empty)


def pick_chain(
    repo: Repo, *, onto: Sha, commits: Sequence[PatchCommit], stop_on_conflict: bool
) -> list[PickStep]:
    """Carry each patch onto the result of the previous clean ones (`git merge-tree`, in
    memory; files upstream renamed are followed). A conflicting patch is left out of the chain;
    with stop_on_conflict the list ends at it. Every commit returned is in the object store."""
    steps: list[PickStep] = []
    head = onto
    head_tree = repo.commit_info([onto])[0].tree
    repo.objects.flush()  # git must see the commits picked
    for pc in commits:
        step = _pick(repo, head=head, head_tree=head_tree, pc=pc)
        steps.append(step)
        if step.clean and step.commit is not None:
            head, head_tree = step.commit, step.tree
        elif stop_on_conflict:
            break
    repo.objects.flush()
    return steps


# -- carrying patch files onto another commit (status, apply --onto) -------------------------


class Carrier:
    """Carries patches one at a time onto a commit: `attempt` judges a patch against the
    current result, `accept` adds it. Python applies what applies exactly; anything else is
    decided by git's 3-way merge (`git merge-tree`, which follows renames) of the patch as a
    commit on the series so far (`series(index)`, made only when needed)."""

    def __init__(self, repo: Repo, *, onto: Sha, series: Callable[[int], PatchCommit]) -> None:
        self.repo = repo
        self.writer = repo.objects
        self.head = onto
        self.tree = MemTree(repo, repo.commit_info([onto])[0].tree, self.writer)
        self._series = series
        self._staged: Staged | None = None
        self._merged: Sha | None = None

    def prefetch(self, infos: Sequence[PatchFile]) -> None:
        """Read every file the patches touch, in one batch."""
        self.tree.prefetch({path for info in infos for path in info.paths})

    def applies_cleanly(self, info: PatchFile) -> bool:
        """Whether the patch applies exactly to the current result and is not already in it
        (pure Python, no git, nothing staged): what a patch that will go onto the stack
        usually shows before any evidence is in."""
        files = diffapply.parse(info.diff) if info.diff.strip() else []
        if not files:
            return False
        forward = stage(self.tree, files)
        return (
            forward is not None
            and stage(self.tree, [f.inverted() for f in reversed(files)]) is None
        )

    def attempt(self, index: int, info: PatchFile, *, exact_only: bool = False) -> CarryStep:
        """Judge a patch against the current result. With exact_only (the caller only wants
        to know whether it is already there), a patch Python can read is never sent to git's
        3-way merge: UNDECIDED instead."""
        self._staged = self._merged = None
        if not info.diff.strip():
            return CarryStep(APPLIES)  # a message-only patch: nothing to find, nothing to add
        files = diffapply.parse(info.diff)
        if files:
            forward = stage(self.tree, files)
            backward = stage(self.tree, [f.inverted() for f in reversed(files)])
            if forward is not None and backward is None:
                self._staged = forward
                return CarryStep(APPLIES)
            # A deleted file's absence alone proves nothing (upstream may have renamed it):
            # git's merge, which detects renames, decides those.
            deletes = any(f.new_path is None for f in files)
            if backward is not None and forward is None and not deletes:
                return CarryStep(PRESENT)
            if exact_only and not deletes:
                return CarryStep(UNDECIDED)
        return self._merge(self._series(index))

    def _merge(self, pc: PatchCommit) -> CarryStep:
        root = self.tree.flush()
        self.writer.flush()
        result = self.repo.pick(onto_tree=root, commit=as_commit_info(pc))
        if not result.clean:
            return CarryStep(CONFLICTS, result.conflicts)
        if result.tree == root:
            return CarryStep(PRESENT)
        self._merged = result.tree
        return CarryStep(APPLIES)

    def accept(self, info: PatchFile, *, commit: bool) -> None:
        """Add the patch last judged APPLIES to the result (and as a commit when asked)."""
        if self._staged is not None:
            write_staged(self.tree, self._staged)
        elif self._merged is not None:
            self.tree.reset(self._merged)
        self._staged = self._merged = None
        if commit:
            self.head = write_patch_commit(
                self.writer, parent=self.head, tree=self.tree.flush(), info=info
            )

    def finish(self) -> Sha:
        """The head commit, written to the object store."""
        self.writer.flush()
        return self.head


# -- a patch as a commit, for one 3-way merge -------------------------------------------------


class SeriesSource:
    """Patch `index` as a commit whose parent is the series before it, made on demand.

    A 3-way pick only looks at the files the picked patch touches (elsewhere its two sides
    agree), so the parent need only hold the series' versions of those files on top of base:
    a few blobs instead of the whole series. When that cannot be made exactly (an earlier
    patch is binary, renames across, or needs git's 3-way apply), the whole series is built."""

    def __init__(self, repo: Repo, base: Sha, pairs: Sequence[tuple[Patch, PatchFile]]) -> None:
        self.repo, self.base, self.pairs = repo, base, pairs
        self._parsed: dict[int, list[diffapply.FilePatch] | None] = {}
        self._full: list[PatchCommit] | None = None

    def __call__(self, index: int) -> PatchCommit:
        return self.minimal(index) or self.full()[index]

    def full(self) -> list[PatchCommit]:
        if self._full is None:
            self._full = build_commits(self.repo, base=self.base, patches=self.pairs)
        return self._full

    def _parse(self, index: int) -> list[diffapply.FilePatch] | None:
        if index not in self._parsed:
            self._parsed[index] = diffapply.parse(self.pairs[index][1].diff)
        return self._parsed[index]

    def minimal(self, index: int) -> PatchCommit | None:
        patch, info = self.pairs[index]
        files = self._parse(index)
        if not files:
            return None
        touched = {p for fp in files for p in (fp.old_path, fp.new_path) if p}
        writer = self.repo.objects
        base_tree = self.repo.commit_info([self.base])[0].tree
        tree = MemTree(self.repo, base_tree, writer)
        for earlier in range(index):
            if not touched & set(self.pairs[earlier][1].paths):
                continue
            parsed = self._parse(earlier)
            if parsed is None:
                return None
            relevant = [fp for fp in parsed if {fp.old_path, fp.new_path} & touched]
            if any(p not in touched for fp in relevant for p in (fp.old_path, fp.new_path) if p):
                return None  # a rename into or out of the touched files
            staged = stage(tree, relevant)
            if staged is None:
                return None
            write_staged(tree, staged)
        parent_tree = tree.flush()
        staged = stage(tree, files)
        if staged is None:
            return None
        write_staged(tree, staged)
        child_tree = tree.flush()
        stamp = info.git_author_line()
        parent = writer.commit(
            tree=parent_tree,
            parents=[self.base],
            message="patchq: the series before this patch, in its files\n",
            author=stamp,
            committer=stamp,
        )
        child = write_patch_commit(writer, parent=parent, tree=child_tree, info=info)
        writer.flush()
        return PatchCommit(patch=patch, info=info, commit=child, tree=child_tree, parent=parent)
