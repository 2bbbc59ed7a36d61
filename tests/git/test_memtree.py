"""memtree: git's tree format read and written in Python, and a tree edited in memory, checked
against the trees git itself writes for the same files."""

from __future__ import annotations

import hashlib
import random
import subprocess
from pathlib import Path

import pytest

from patchq.git import Repo, Sha
from patchq.git.memtree import MemTree
from patchq.git.objects import TREE_MODE, format_tree, parse_tree
from patchq.git.packs import ObjectWriter
from tests.builders import UpstreamRepo, git

# Names whose order in a tree depends on git's rule that a directory sorts as "name/":
# "a-b" (0x2d) < "a.b" (0x2e) < "a/" (0x2f) < "a0" (0x30), so the directory `a` comes after
# the file `a.b` although "a" < "a.b" as plain strings.
TRICKY = {
    "a-b": "dash\n",
    "a.b": "dot\n",
    "a/x.py": "in a\n",
    "a0": "zero\n",
    "b/c/d.txt": "deep\n",
    "caf\u00e9.txt": "utf-8 name\n",
}


def tree_bytes(repo: Path, rev: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), "cat-file", "tree", rev], capture_output=True, check=True
    ).stdout


def tree_sha(entries: dict[str, tuple[str, str]]) -> str:
    data = format_tree(entries)
    return hashlib.sha1(b"tree %d\0" % len(data) + data).hexdigest()


@pytest.fixture
def tricky(tmp_path: Path) -> UpstreamRepo:
    repo = UpstreamRepo(tmp_path / "tricky")
    repo.commit("tricky names", dict(TRICKY))
    return repo


def test_parse_reads_git_order_and_entries(tricky: UpstreamRepo) -> None:
    entries = parse_tree(tree_bytes(tricky.path, "HEAD^{tree}"))
    assert list(entries) == ["a-b", "a.b", "a", "a0", "b", "caf\u00e9.txt"]
    assert entries["a"] == (TREE_MODE, git(tricky.path, "rev-parse", "HEAD:a").strip())
    assert entries["a.b"] == ("100644", git(tricky.path, "rev-parse", "HEAD:a.b").strip())


def test_format_is_byte_identical_to_git_in_any_insertion_order(tricky: UpstreamRepo) -> None:
    raw = tree_bytes(tricky.path, "HEAD^{tree}")
    items = list(parse_tree(raw).items())
    for seed in range(5):
        random.Random(seed).shuffle(items)
        assert format_tree(dict(items)) == raw
    assert tree_sha(dict(items)) == git(tricky.path, "rev-parse", "HEAD^{tree}").strip()


def test_a_directory_and_a_file_with_the_same_prefix_sort_as_git_mktree(tmp_path: Path) -> None:
    repo = UpstreamRepo(tmp_path / "r")
    blob = git(repo.path, "hash-object", "-w", "--stdin", input=b"x\n").strip()
    sub = git(repo.path, "mktree", input=f"100644 blob {blob}\tinner\n".encode()).strip()
    entries = {
        "foo": (TREE_MODE, sub),
        "foo.txt": ("100644", blob),
        "foo-bar": ("100755", blob),
        "foo0": ("120000", blob),
    }
    listing = "".join(
        f"{mode} {'tree' if mode == TREE_MODE else 'blob'} {sha}\t{name}\n"
        for name, (mode, sha) in entries.items()
    )
    assert tree_sha(entries) == git(repo.path, "mktree", input=listing.encode()).strip()
    assert list(parse_tree(format_tree(entries))) == ["foo-bar", "foo.txt", "foo", "foo0"]


def test_empty_tree() -> None:
    assert format_tree({}) == b""
    assert parse_tree(b"") == {}
    assert tree_sha({}) == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def edited_by_git(repo: UpstreamRepo) -> str:
    """The same edits as test_edits_match_the_tree_git_writes, made by git in the worktree."""
    repo.write("a/x.py", "changed\n")
    repo.write("new/deep/file.txt", "new\n")
    (repo.path / "a.b").unlink()
    (repo.path / "b" / "c" / "d.txt").unlink()
    (repo.path / "a0").chmod(0o755)
    (repo.path / "link").symlink_to("a0")
    git(repo.path, "add", "-A")
    return git(repo.path, "write-tree").strip()


def test_edits_match_the_tree_git_writes(tricky: UpstreamRepo) -> None:
    before = Sha(git(tricky.path, "rev-parse", "HEAD^{tree}").strip())
    with Repo(tricky.path) as repo:
        writer = ObjectWriter(repo)
        tree = MemTree(repo, before, writer)
        tree.write("a/x.py", ("100644", b"changed\n"))
        tree.write("new/deep/file.txt", ("100644", b"new\n"))
        tree.write("a.b", None)
        tree.write("b/c/d.txt", None)  # the last file of b/c and of b: both directories go
        tree.write("a0", ("100755", b"zero\n"))
        tree.write("link", ("120000", b"a0"))
        tree.write("never/there", None)  # deleting what does not exist changes nothing
        assert tree.read("new/deep/file.txt") == ("100644", b"new\n")  # before the flush
        new_root = tree.flush()
        writer.flush()
    expected = edited_by_git(tricky)
    assert new_root == expected
    assert git(tricky.path, "cat-file", "-t", new_root).strip() == "tree"
    assert "b" not in git(tricky.path, "ls-tree", "--name-only", new_root).split()


def test_unchanged_tree_flushes_to_the_same_sha(tricky: UpstreamRepo) -> None:
    root = Sha(git(tricky.path, "rev-parse", "HEAD^{tree}").strip())
    with Repo(tricky.path) as repo:
        tree = MemTree(repo, root, ObjectWriter(repo))
        tree.write("a/x.py", ("100644", b"in a\n"))  # same content: same blob, same trees
        assert tree.flush() == root


def test_read_and_writable(tricky: UpstreamRepo) -> None:
    root = Sha(git(tricky.path, "rev-parse", "HEAD^{tree}").strip())
    with Repo(tricky.path) as repo:
        tree = MemTree(repo, root, ObjectWriter(repo))
        tree.prefetch(["a/x.py", "a.b", "missing/file", "a"])
        assert tree.read("a/x.py") == ("100644", b"in a\n")
        assert tree.read("caf\u00e9.txt") == ("100644", b"utf-8 name\n")
        assert tree.read("a") is None  # a directory is not a file
        assert tree.read("a.b/x") is None  # under a file
        assert tree.read("nope") is None
        assert tree.writable("new/file")
        assert tree.writable("a/y.py")
        assert not tree.writable("a")  # a directory
        assert not tree.writable("a.b/x")  # under a file
        assert not tree.writable("b/c")  # a directory, deeper
        tree.write("a/x.py", None)
        assert tree.read("a/x.py") is None
        assert tree.writable("a")  # `a` went away with its last file
        tree.reset(root)
        assert tree.read("a/x.py") == ("100644", b"in a\n")
