"""diffapply: git diffs parsed and applied in Python, checked against `git apply` on the same
bytes (offsets, no newline at end of file, renames, mode changes, deletions, CRLF)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from patchq.carry.diffapply import FilePatch, Hunk, apply_hunks, parse, safe_path, split_lines
from tests.builders import UpstreamRepo, git

BASE = "".join(f"line {i}\n" for i in range(1, 41))


def git_apply(tmp: Path, name: str, content: bytes, diff: bytes) -> bytes | None:
    """What `git apply` (no fuzz, like diffapply) makes of `content` under `diff`."""
    work = tmp / f"apply-{len(list(tmp.glob('apply-*')))}"
    (work / name).parent.mkdir(parents=True)
    (work / name).write_bytes(content)
    proc = subprocess.run(["git", "apply", "-"], cwd=work, input=diff, capture_output=True)
    return (work / name).read_bytes() if proc.returncode == 0 else None


def diff_of(tmp: Path, old: bytes, new: bytes, name: str = "f.txt") -> bytes:
    """`git diff` of one file from `old` to `new`, made by git."""
    repo = UpstreamRepo(tmp / f"diff-{len(list(tmp.glob('diff-*')))}")
    repo.commit("old", {name: old})
    repo.write(name, new)
    return git(repo.path, "diff").encode("utf-8", "surrogateescape")


def only_hunks(diff: bytes) -> tuple[Hunk, ...]:
    parsed = parse(diff)
    assert parsed is not None and len(parsed) == 1
    return parsed[0].hunks


def test_a_commit_with_every_supported_shape_parses_and_applies_like_git(
    upstream: UpstreamRepo,
) -> None:
    upstream.commit(
        "more files",
        {"tools/run.sh": "#!/bin/sh\necho run\n", "doc/old.rst": "Old\n===\n\n" + BASE},
    )
    base = upstream.head()
    (upstream.path / "tools" / "run.sh").chmod(0o755)
    git(upstream.path, "mv", "doc/old.rst", "doc/new.rst")
    upstream.write("doc/new.rst", "Old\n===\n\n" + BASE.replace("line 20\n", "line twenty\n"))
    upstream.write("nova/new.py", "NEW = 1\n")
    head = upstream.commit("shapes", {"README.rst": None})
    files = parse(git(upstream.path, "diff", "-M", base, head).encode())
    assert files is not None
    by_path = {(f.old_path, f.new_path): f for f in files}
    assert set(by_path) == {
        ("README.rst", None),
        ("doc/old.rst", "doc/new.rst"),
        (None, "nova/new.py"),
        ("tools/run.sh", "tools/run.sh"),
    }
    assert by_path["README.rst", None].old_mode == "100644"
    assert by_path[None, "nova/new.py"].new_mode == "100644"
    mode = by_path["tools/run.sh", "tools/run.sh"]
    assert (mode.old_mode, mode.new_mode, mode.hunks) == ("100644", "100755", ())
    for patch in files:
        old = git(upstream.path, "show", f"{base}:{patch.old_path}") if patch.old_path else ""
        new = git(upstream.path, "show", f"{head}:{patch.new_path}") if patch.new_path else ""
        assert apply_hunks(old.encode(), patch.hunks) == new.encode(), patch
        assert apply_hunks(new.encode(), patch.inverted().hunks) == old.encode(), patch


@pytest.mark.parametrize("moved", [-5, 3, 12])
def test_context_that_moved_is_found_at_its_offset(tmp_path: Path, moved: int) -> None:
    new = BASE.replace("line 30\n", "line thirty\n")
    diff = diff_of(tmp_path, BASE.encode(), new.encode())
    if moved > 0:  # lines added above the hunk
        content = ("".join(f"extra {i}\n" for i in range(moved)) + BASE).encode()
    else:  # lines removed above it
        content = "".join(BASE.splitlines(keepends=True)[-moved:]).encode()
    ours = apply_hunks(content, only_hunks(diff))
    assert ours is not None
    assert ours == git_apply(tmp_path, "f.txt", content, diff)
    assert ours.count(b"line thirty\n") == 1 and b"line 30\n" not in ours


def test_of_two_matches_the_nearest_to_the_hunk_position_wins(tmp_path: Path) -> None:
    unit = "u1\nu2\nu3\nTARGET\nu4\nu5\nu6\n"  # exactly one hunk's context around the change
    old = "".join(f"old {i}\n" for i in range(20)) + unit + "tail\n" * 10
    diff = diff_of(tmp_path, old.encode(), old.replace("TARGET", "CHANGED").encode())
    assert only_hunks(diff)[0].old_start == 21
    # Two copies: one 18 lines before where the hunk says, one 7 lines after it.
    content = ("p\n" * 2 + unit + "q\n" * 18 + unit + "r\n" * 10).encode()
    ours = apply_hunks(content, only_hunks(diff))
    assert ours == git_apply(tmp_path, "f.txt", content, diff)
    assert (
        ours
        == ("p\n" * 2 + unit + "q\n" * 18 + unit.replace("TARGET", "CHANGED") + "r\n" * 10).encode()
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"a\nb\nc", b"a\nB\nc"),  # no newline at end on both sides
        (b"a\nb\nc", b"a\nb\nc\n"),  # the newline at end is added
        (b"a\nb\nc\n", b"a\nb\nc"),  # the newline at end is removed
        (b"only", b""),
        (b"", b"first\n"),
        (b"x\r\ny\r\nz\r\n", b"x\r\nY\r\nz\r\n"),  # CRLF kept byte for byte
    ],
)
def test_end_of_file_and_line_endings_match_git(tmp_path: Path, old: bytes, new: bytes) -> None:
    diff = diff_of(tmp_path, old, new)
    hunks = only_hunks(diff)
    assert apply_hunks(old, hunks) == new == git_apply(tmp_path, "f.txt", old, diff)
    parsed = parse(diff)
    assert parsed is not None
    assert apply_hunks(new, parsed[0].inverted().hunks) == old


def test_context_that_changed_does_not_apply(tmp_path: Path) -> None:
    diff = diff_of(tmp_path, BASE.encode(), BASE.replace("line 20\n", "line 2O\n").encode())
    content = BASE.replace("line 19\n", "line nineteen\n").encode()
    assert git_apply(tmp_path, "f.txt", content, diff) is None
    assert apply_hunks(content, only_hunks(diff)) is None


def test_a_hunk_at_the_end_must_stay_at_the_end(tmp_path: Path) -> None:
    diff = diff_of(tmp_path, b"a\nb\nc\n", b"a\nb\nc\nd\n")
    assert apply_hunks(b"a\nb\nc\n", only_hunks(diff)) == b"a\nb\nc\nd\n"
    content = b"a\nb\nc\nmore\n"
    assert apply_hunks(content, only_hunks(diff)) is None
    assert git_apply(tmp_path, "f.txt", content, diff) is None


UNSUPPORTED = {
    "binary": b"diff --git a/x.png b/x.png\nindex 1..2 100644\nGIT binary patch\nliteral 1\n",
    "binary files": b"diff --git a/x b/x\nindex 1..2 100644\nBinary files a/x and b/x differ\n",
    "copy": b"diff --git a/a b/b\nsimilarity index 100%\ncopy from a\ncopy to b\n",
    "quoted path": b'diff --git "a/\\303\\251" "b/\\303\\251"\nindex 1..2 100644\n',
    "dot dot": b"diff --git a/../x b/../x\n--- a/../x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n",
    "into .git": b"diff --git a/.git/hooks/x b/.git/hooks/x\n@@ -1 +1 @@\n-a\n+b\n",
    "submodule mode": b"diff --git a/m b/m\nnew file mode 160000\nindex 0..1\n",
    "short hunk": b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n",
    "text before": b"hello\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n",
}


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_unsupported_shapes_are_left_to_git(name: str) -> None:
    assert parse(UNSUPPORTED[name]) is None


def test_format_patch_signature_and_blank_lines_between_hunks() -> None:
    diff = (
        b"diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n"
        b"@@ -1,2 +1,2 @@\n-a\n+A\n b\n\n@@ -9 +9 @@\n-i\n+I\n-- \n2.39.5\n"
    )
    parsed = parse(diff)
    assert parsed == [
        FilePatch(
            "f",
            "f",
            "100644",
            "100644",
            (Hunk(1, 1, (b"-a\n", b"+A\n", b" b\n")), Hunk(9, 9, (b"-i\n", b"+I\n"))),
        )
    ]


def test_safe_path_and_split_lines() -> None:
    assert safe_path("nova/api.py") and safe_path("a/.gitignore")
    for bad in ("/etc/passwd", "a/../b", "./a", "a//b", ".GIT/config", "a/"):
        assert not safe_path(bad), bad
    assert split_lines(b"a\nb") == [b"a\n", b"b"]
    assert split_lines(b"a\r\nb\n") == [b"a\r\n", b"b\n"]
    assert split_lines(b"") == []
    big = b"x\n" * 5000  # cached: a copy each time, never the cached list itself
    first = split_lines(big)
    first.append(b"mutated")
    assert split_lines(big) == [b"x\n"] * 5000
