"""The rebase plan at the speed floor: no git process per patch on the common path.

* The series becomes commits on its old base with the patch text applied in Python to blobs
  read through the persistent `cat-file` and trees written through the persistent
  `hash-object`: only a hunk that does not match exactly at its stated line (or a rename, a
  mode change, a binary patch) falls back to `git apply` for that one patch.
* Every patch is merged onto REF at once by ONE `git merge-tree --stdin` (cherry-pick
  semantics through the fake-parent commits of Repo.pick). A patch whose paths no earlier
  carried patch touched gets exactly the result the chained merge would give, so its change
  is laid onto the chain's tree in Python; the others are merged on the chain one by one
  (engine.pick_one), as status.carry does for every patch.

The verdicts are status.carry's: the same evidence, reverse-apply when the merge changes
nothing, status.landed_state for the landed ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from patchq import status, verdict
from patchq.engine import PatchCommit, commit_patch, pick_one
from patchq.errors import ConfigError, GitError
from patchq.git import EMPTY_TREE, MergeResult, Repo, ScannedCommit, Sha, as_sha
from patchq.model import Patch
from patchq.patchfile import PatchFile

TREE_MODE = "40000"
Entry = tuple[str, Sha]  # (mode, sha)
Delta = dict[bytes, Entry | None]  # path -> new entry, None = deleted


# -- trees in Python ------------------------------------------------------------------------


class Trees:
    """Read, diff and edit tree objects through the repo's persistent object pipes."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self._cache: dict[str, dict[bytes, Entry]] = {}

    def entries(self, sha: str | None) -> dict[bytes, Entry]:
        if sha is None or sha == EMPTY_TREE:
            return {}
        cached = self._cache.get(sha)
        if cached is None:
            kind, data = self.repo.read_object(sha)
            if kind != "tree":
                raise GitError(f"{sha} is a {kind}, not a tree")
            cached = _parse_tree(data)
            self._cache[sha] = cached
        return cached

    def entries_root(self, commit: Sha) -> Sha:
        """The tree of a commit (read through cat-file, not a git process)."""
        kind, data = self.repo.read_object(commit)
        if kind != "commit" or not data.startswith(b"tree "):
            raise GitError(f"{commit} is not a commit")
        return Sha(data[5:45].decode())

    def write(self, entries: dict[bytes, Entry]) -> Sha:
        def key(item: tuple[bytes, Entry]) -> bytes:
            return item[0] + (b"/" if item[1][0] == TREE_MODE else b"")

        body = b"".join(
            mode.encode() + b" " + name + b"\0" + bytes.fromhex(sha)
            for name, (mode, sha) in sorted(entries.items(), key=key)
        )
        sha = self.repo.write_object("tree", body)
        self._cache[sha] = dict(entries)
        return sha

    def edit(self, root: str | None, changes: Delta) -> Sha:
        return self._edit(root, changes) or EMPTY_TREE

    def _edit(self, root: str | None, changes: Delta) -> Sha | None:
        entries = dict(self.entries(root))
        below: dict[bytes, Delta] = {}
        for path, value in changes.items():
            head, sep, rest = path.partition(b"/")
            if sep:
                below.setdefault(head, {})[rest] = value
            elif value is None:
                entries.pop(head, None)
            else:
                entries[head] = value
        for name, sub in below.items():
            current = entries.get(name)
            subtree = current[1] if current and current[0] == TREE_MODE else None
            new = self._edit(subtree, sub)
            if new is None:
                entries.pop(name, None)
            else:
                entries[name] = (TREE_MODE, new)
        return self.write(entries) if entries else None

    def delta(self, a: str | None, b: str | None, prefix: bytes = b"") -> Delta:
        """What turns tree a into tree b, file by file."""
        if a == b:
            return {}
        old, new = self.entries(a), self.entries(b)
        out: Delta = {}
        for name in old.keys() | new.keys():
            x, y = old.get(name), new.get(name)
            if x == y:
                continue
            path = prefix + name
            x_dir = x is not None and x[0] == TREE_MODE
            y_dir = y is not None and y[0] == TREE_MODE
            if y is not None and y_dir:
                out.update(self.delta(x[1] if x is not None and x_dir else None, y[1], path + b"/"))
            elif x is not None and x_dir and y is None:
                out.update(self.delta(x[1], None, path + b"/"))
            else:  # a file changed, appeared, went away, or replaced a directory
                out[path] = y
        return out


def _parse_tree(data: bytes) -> dict[bytes, Entry]:
    out: dict[bytes, Entry] = {}
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        mode = data[at:space].decode()
        out[data[space + 1 : nul]] = (mode, Sha(data[nul + 1 : nul + 21].hex()))
        at = nul + 21
    return out


# -- patch text applied in Python ------------------------------------------------------------

_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_UNSUPPORTED = (
    b"old mode ",
    b"new mode ",
    b"similarity index ",
    b"dissimilarity index ",
    b"rename from ",
    b"copy from ",
    b"Binary files ",
    b"GIT binary patch",
)


class _NotSimple(Exception):
    """The patch needs git apply (rename, mode change, binary, inexact hunk...)."""


def apply_in_python(trees: Trees, tree: Sha, diff: bytes) -> Sha:
    """Apply a git diff whose hunks match exactly where they say; _NotSimple otherwise."""
    changes: Delta = {}
    for path, header, hunks in _file_sections(diff):
        current = _lookup(trees, tree, path)
        if b"deleted file mode" in header:
            if current is None:
                raise _NotSimple
            changes[path] = None
            continue
        if b"new file mode" in header:
            if current is not None:
                raise _NotSimple
            mode = header.split(b"new file mode ", 1)[1].split(b"\n", 1)[0].decode().strip()
            old = b""
        else:
            if current is None or current[0] not in ("100644", "100755"):
                raise _NotSimple
            mode = current[0]
            old = trees.repo.read_object(current[1])[1]
        new = _apply_hunks(old, hunks)
        changes[path] = (mode, trees.repo.write_object("blob", new))
    if not changes:
        raise _NotSimple
    return trees.edit(tree, changes)


def _lookup(trees: Trees, tree: Sha, path: bytes) -> Entry | None:
    entries = trees.entries(tree)
    parts = path.split(b"/")
    for part in parts[:-1]:
        found = entries.get(part)
        if found is None or found[0] != TREE_MODE:
            return None
        entries = trees.entries(found[1])
    return entries.get(parts[-1])


def _file_sections(diff: bytes) -> list[tuple[bytes, bytes, list[tuple[int, int, list[bytes]]]]]:
    out = []
    for section in re.split(rb"(?m)^(?=diff --git )", diff):
        if not section.startswith(b"diff --git "):
            continue
        first, _, rest = section.partition(b"\n")
        match = re.match(rb"^diff --git a/(\S+) b/(\S+)$", first)
        if match is None or match.group(1) != match.group(2) or first.count(b" a/") != 1:
            raise _NotSimple
        header, _, body = rest.partition(b"\n@@ ")
        if any(marker in header for marker in _UNSUPPORTED):
            raise _NotSimple
        hunks = _parse_hunks(b"@@ " + body) if body else []
        out.append((match.group(1), header, hunks))
    return out


def _parse_hunks(text: bytes) -> list[tuple[int, int, list[bytes]]]:
    """(old start, old count, patch lines) per hunk; lines are counted, so a trailing
    format-patch signature ("-- ") is never taken for part of a hunk."""
    lines = text.split(b"\n")
    hunks = []
    i = 0
    while i < len(lines):
        match = _HUNK.match(lines[i])
        if match is None:
            i += 1
            continue
        old_start, old_len = int(match.group(1)), int(match.group(2) or b"1")
        new_len = int(match.group(4) or b"1")
        i += 1
        body: list[bytes] = []
        seen_old = seen_new = 0
        while seen_old < old_len or seen_new < new_len:
            if i >= len(lines):
                raise _NotSimple
            line = lines[i]
            tag = line[:1]
            if tag == b" ":
                seen_old, seen_new = seen_old + 1, seen_new + 1
            elif tag == b"-":
                seen_old += 1
            elif tag == b"+":
                seen_new += 1
            else:
                raise _NotSimple
            body.append(line)
            i += 1
            if i < len(lines) and lines[i].startswith(b"\\"):
                body.append(lines[i])
                i += 1
        hunks.append((old_start, old_len, body))
    return hunks


def _apply_hunks(old: bytes, hunks: list[tuple[int, int, list[bytes]]]) -> bytes:
    source = old.split(b"\n")
    # split() leaves "" after a final newline; lines[k] is line k+1 without its "\n".
    ends_with_newline = old.endswith(b"\n") or not old
    if old.endswith(b"\n"):
        source.pop()
    elif not old:
        source = []
    out: list[bytes] = []
    out_newline = ends_with_newline
    pos = 0
    for start, length, body in hunks:
        at = start - 1 if length else start
        if at < pos or at > len(source):
            raise _NotSimple
        out.extend(source[pos:at])
        pre: list[bytes] = []
        post: list[bytes] = []
        pre_eof = post_eof = False  # the last line of that side lacks "\n"
        last = b""
        for line in body:
            if line.startswith(b"\\"):
                if last in (b" ", b"-"):
                    pre_eof = True
                if last in (b" ", b"+"):
                    post_eof = True
                continue
            last = line[:1]
            if last in (b" ", b"-"):
                pre.append(line[1:])
            if last in (b" ", b"+"):
                post.append(line[1:])
        if source[at : at + len(pre)] != pre:
            raise _NotSimple
        end = at + len(pre)
        if pre_eof != (end == len(source) and not ends_with_newline and bool(pre)):
            raise _NotSimple
        out.extend(post)
        pos = end
        if end == len(source):
            out_newline = not post_eof
    out.extend(source[pos:])
    if not out:
        return b""
    return b"\n".join(out) + (b"\n" if out_newline else b"")


# -- the series on its old base --------------------------------------------------------------


def build_chain(
    repo: Repo, trees: Trees, *, base: Sha, patches: Sequence[tuple[Patch, PatchFile]], name: str
) -> list[PatchCommit]:
    """engine.build_commits' commits (same trees, same shas), mostly without git processes."""
    head, tree = base, repo.commit_info([base])[0].tree
    out: list[PatchCommit] = []
    for patch, info in patches:
        try:
            new_tree = apply_in_python(trees, tree, info.diff)
        except _NotSimple:
            new_tree = _git_apply(repo, tree, patch, info, name)
        commit = commit_patch(repo, parent=head, tree=new_tree, info=info)
        out.append(PatchCommit(patch=patch, info=info, commit=commit, tree=new_tree, parent=head))
        head, tree = commit, new_tree
    return out


def _git_apply(repo: Repo, tree: Sha, patch: Patch, info: PatchFile, name: str) -> Sha:
    result = repo.apply_to_tree(tree, info.raw)
    if not result.clean:
        result = repo.apply_to_tree(tree, info.raw, three_way=True)
    if not result.clean:
        raise ConfigError(
            f"patch {patch.file} ({info.subject}) does not apply to the series' base {name}: "
            "fix the series first (`patchq status` shows which patches break)"
        )
    return result.tree


# -- carrying the series onto REF -------------------------------------------------------------


@dataclass(frozen=True)
class Carried:
    states: list[verdict.PatchState]
    commits: list[Sha | None]  # the new commit of each patch that applies, in series order
    head: Sha


def carry(
    repo: Repo,
    trees: Trees,
    rng: status.Range,
    commits: Sequence[PatchCommit],
    found_by_index: dict[int, dict[str, str]],
    scanned: Sequence[ScannedCommit],
    *,
    alone: Sequence[MergeResult],
) -> Carried:
    """status.carry's verdicts and chain, with the merges batched (see the module docstring);
    `alone` is merge_all's result for the same commits onto REF."""
    head = rng.against_commit
    head_tree, parent_tree = (i.tree for i in repo.commit_info([head, rng.base_commit]))
    ref_tree = head_tree
    touched: set[bytes] = set()
    states: list[verdict.PatchState] = []
    new_commits: list[Sha | None] = []
    for index, pc in enumerate(commits):
        found = dict(found_by_index.get(index, {}))
        result = alone[index]
        delta = trees.delta(ref_tree, result.tree) if result.clean else {}
        paths = {p.encode("utf-8", "surrogateescape") for p in pc.info.paths} | set(delta)
        conflicts = result.conflicts
        if paths & touched:  # an earlier carried patch changed these paths: merge on the chain
            step = pick_one(repo, head=head, head_tree=head_tree, pc=pc)
            clean, new_tree, empty, conflicts = step.clean, step.tree, step.empty, step.conflicts
        else:
            clean = result.clean
            new_tree = trees.edit(head_tree, delta) if clean else head_tree
            empty = clean and not delta
        if clean and empty and pc.tree != parent_tree:
            found[verdict.REVERSE_APPLY] = ""
        parent_tree = pc.tree
        if found:
            states.append(status.landed_state(repo, pc, found, scanned))
            new_commits.append(None)
        elif clean:
            head = commit_patch(repo, parent=head, tree=new_tree, info=pc.info)
            head_tree = new_tree
            touched |= paths
            states.append(verdict.PatchState(pc.patch, pc.info.subject, verdict.APPLIES))
            new_commits.append(head)
        else:
            states.append(
                verdict.PatchState(
                    pc.patch, pc.info.subject, verdict.CONFLICTS, conflicts=tuple(conflicts)
                )
            )
            new_commits.append(None)
    return Carried(states=states, commits=new_commits, head=head)


def merge_all(repo: Repo, onto_tree: Sha, commits: Sequence[PatchCommit]) -> list[MergeResult]:
    """Each patch cherry-picked alone onto `onto_tree`, all in ONE `git merge-tree --stdin`."""
    if not commits:
        return []
    lines = []
    for pc in commits:
        fake = repo.write_commit(
            tree=onto_tree,
            parents=[pc.parent],
            message="patchq: cherry-pick base\n",
            author=pc.info.git_author_line(),
        )
        lines.append(f"{fake} {pc.commit}\n")
    out = repo.run(
        "merge-tree", "--stdin", "-z", "--name-only", "--no-messages", input="".join(lines).encode()
    ).stdout
    tokens = out.split(b"\0")
    results: list[MergeResult] = []
    at = 0
    while len(results) < len(commits):
        clean = tokens[at] == b"1"
        tree = as_sha(tokens[at + 1].decode())
        at += 2
        paths: list[str] = []
        while tokens[at]:
            paths.append(tokens[at].decode("utf-8", "surrogateescape"))
            at += 1
        at += 1
        results.append(MergeResult(clean=clean, tree=tree, conflicts=tuple(dict.fromkeys(paths))))
    return results
