"""A git tree edited in memory: read files, stage new contents, write the changed trees once.

Subtrees are read lazily through the repo's persistent `cat-file`; `flush` writes the changed
blobs and trees (bottom-up) and returns the new root tree.
"""

from __future__ import annotations

from collections.abc import Iterable

from patchq.git.core import Repo
from patchq.git.objects import TREE_MODE, Sha, format_tree, parse_tree
from patchq.git.packs import ObjectWriter


class MemTree:
    def __init__(self, repo: Repo, root: Sha, writer: ObjectWriter) -> None:
        self.repo = repo
        self.writer = writer
        self.reset(root)

    def reset(self, root: Sha) -> None:
        self.root = root
        self._dirs: dict[str, dict[str, tuple[str, str]]] = {}
        self._dirty: set[str] = set()
        self._pending: dict[str, bytes] = {}  # path -> content not written yet
        if not hasattr(self, "_fetched"):
            self._fetched: dict[str, tuple[str, bytes]] = {}  # sha -> object, kept on reset

    # -- reading -------------------------------------------------------------------------

    def _dir(self, path: str) -> dict[str, tuple[str, str]] | None:
        """Entries of directory `path` ("" = root), or None when it is not a directory."""
        if path in self._dirs:
            return self._dirs[path]
        if path == "":
            sha = self.root
        else:
            parent, _, name = path.rpartition("/")
            entries = self._dir(parent)
            if entries is None or name not in entries or entries[name][0] != TREE_MODE:
                return None
            sha = Sha(entries[name][1])
        kind, data = self._object(sha)
        self._dirs[path] = parse_tree(data) if kind == "tree" else {}
        return self._dirs[path]

    def read(self, path: str) -> tuple[str, bytes] | None:
        """(mode, content) of a file, or None when there is no file at `path`."""
        parent, _, name = path.rpartition("/")
        entries = self._dir(parent)
        if entries is None or name not in entries or entries[name][0] == TREE_MODE:
            return None
        mode, sha = entries[name]
        if path in self._pending:
            return mode, self._pending[path]
        kind, data = self._object(sha)
        return (mode, data) if kind == "blob" else None

    def _object(self, sha: str) -> tuple[str, bytes]:
        return self.writer.read(sha) or self._fetched.get(sha) or self.repo.read_object(sha)

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read the blobs at `paths` in one batch (their trees are read on the way)."""
        wanted = []
        for path in paths:
            parent, _, name = path.rpartition("/")
            entries = self._dir(parent)
            entry = entries.get(name) if entries is not None else None
            if entry is not None and entry[0] != TREE_MODE and entry[1]:
                wanted.append(entry[1])
        self._fetched.update(self.repo.read_objects(sorted(set(wanted))))

    def writable(self, path: str) -> bool:
        """True when `path` can hold a file: no parent is a file and it is not a directory."""
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[: depth - 1])
            entries = self._dir(parent)
            if entries is None:
                return True  # created on the way
            entry = entries.get(parts[depth - 1])
            if entry is None:
                return True
            if entry[0] != TREE_MODE:
                return False
        entries = self._dir("/".join(parts[:-1]))
        return entries is None or entries.get(parts[-1], ("", ""))[0] != TREE_MODE

    # -- writing -------------------------------------------------------------------------

    def write(self, path: str, value: tuple[str, bytes] | None) -> None:
        """Set a file's (mode, content), or delete it with None."""
        parent, _, name = path.rpartition("/")
        if value is None:
            entries = self._dir(parent)
            if entries is not None and name in entries:
                del entries[name]
                self._pending.pop(path, None)
                self._mark(parent)
                self._prune(parent)
            return
        entries = self._make_dir(parent)
        entries[name] = (value[0], "")
        self._pending[path] = value[1]
        self._mark(parent)

    def _make_dir(self, path: str) -> dict[str, tuple[str, str]]:
        entries = self._dir(path)
        if entries is not None:
            return entries
        parent, _, name = path.rpartition("/")
        above = self._make_dir(parent)
        above[name] = (TREE_MODE, "")
        self._dirs[path] = {}
        self._mark(parent)
        return self._dirs[path]

    def _mark(self, path: str) -> None:
        while True:
            self._dirty.add(path)
            if path == "":
                return
            path = path.rpartition("/")[0]

    def _prune(self, path: str) -> None:
        while path and not self._dirs.get(path):
            parent, _, name = path.rpartition("/")
            self._dirs[parent].pop(name, None)
            self._dirs.pop(path, None)
            self._dirty.discard(path)
            path = parent

    def flush(self) -> Sha:
        """Write what changed; the new root tree."""
        for path, content in self._pending.items():
            parent, _, name = path.rpartition("/")
            entries = self._dirs.get(parent)
            if entries is not None and name in entries:
                entries[name] = (entries[name][0], self.writer.write("blob", content))
        self._pending.clear()
        for path in sorted(self._dirty, key=lambda p: -p.count("/") if p else 1):
            entries = self._dirs.get(path)
            if entries is None:
                continue
            sha = self.writer.write("tree", format_tree(entries))
            if path == "":
                self.root = sha
            else:
                parent, _, name = path.rpartition("/")
                self._dirs[parent][name] = (TREE_MODE, sha)
        self._dirty.clear()
        return self.root
