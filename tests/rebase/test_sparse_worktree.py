"""The conflict worktree is a sparse checkout by default (issue 12): on disk only the files the
series' patches touch and the conflicted ones (at an upstream rename's new path too), the
rest in the index, so git status, git diff and --continue see the whole tree; the resolution
taken is the one a full checkout gives; `--full-worktree` keeps the whole tree for the whole
rebase; a human who disables sparse checkout or changes its patterns loses nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from patchq import git as pgit
from tests.builders import Story, UpstreamRepo, digest_tree, git
from tests.rebase.test_worktree_reuse import STORY as REUSE_STORY
from tests.rebase.test_worktree_reuse import (
    fresh_view,
    listing,
    module,
    rebase,
    series_on_1_0,
    worktree_of,
)

# 0002 and 0006 conflict in place; 0004 edits pkg/m2.py, which 2.0 renamed to lib/m2.py with
# the same line changed: git shows that conflict at lib/m2.py, a path no patch names.
STORY: Story = REUSE_STORY[:6]  # the same patches, without the last carried one
SERIES_PATHS = {"pkg/m0.py", "pkg/m1.py", "pkg/new/added.py", "pkg/m2.py", "pkg/m3.py"}
SERIES_PATHS |= {"pkg/m4.py"}


def build(tmp_path: Path) -> tuple[UpstreamRepo, Path]:
    upstream = UpstreamRepo(tmp_path / "up")
    files: dict[str, str | bytes | None] = {f"pkg/m{i}.py": module(f"m{i}") for i in range(8)}
    files |= {"untouched.txt": "nobody changes me\n", "doc/other.txt": "other\n"}
    files |= {f"big/f{i:03d}.txt": f"filler {i}\n" for i in range(60)}
    upstream.commit("Initial", files)
    upstream.tag("1.0")
    ws = series_on_1_0(upstream, tmp_path, STORY)
    upstream.commit("Upstream m1", {"pkg/m1.py": module("m1", "upstream")})
    upstream.commit("Move m2", {"pkg/m2.py": None, "lib/m2.py": module("m2", "upstream")})
    upstream.commit("Upstream m4", {"pkg/m4.py": module("m4", "upstream")})
    upstream.tag("2.0")
    return upstream, ws


@pytest.fixture
def stack(tmp_path: Path) -> tuple[UpstreamRepo, Path]:
    return build(tmp_path)


def twin_of(ws: Path, target: Path) -> Path:
    target.mkdir()
    (target / "series.yaml").write_bytes((ws / "series.yaml").read_bytes())
    (target / "patches").mkdir()
    for item in (ws / "patches").iterdir():
        (target / "patches" / item.name).write_bytes(item.read_bytes())
    return target


def full_view(upstream: UpstreamRepo, ws: Path, scratch: Path) -> Path:
    """A whole checkout of the stop (the state's head, the stopped patch picked)."""
    state = json.loads((ws / ".patchq" / "rebase" / "state.json").read_text())
    pick = state["entries"][state["position"]]["old_commit"]
    with pgit.Repo(upstream.path) as repo:
        pgit.worktree_fresh(repo, scratch, pgit.Sha(state["head"]))
        pgit.worktree_pick_conflict(repo, scratch, pgit.Sha(pick))
    return scratch


def seen_by_git(worktree: Path) -> tuple[str, str, str]:
    """What git shows of the worktree as a whole: status, the unstaged diff, the index."""
    return (
        git(worktree, "status", "--porcelain", "--untracked-files=all"),
        git(worktree, "diff"),
        git(worktree, "ls-files", "--stage"),
    )


def in_tree(upstream: UpstreamRepo, commit: str) -> set[str]:
    return set(git(upstream.path, "ls-tree", "-r", "--name-only", commit).split())


def test_the_worktree_holds_the_series_files_and_the_conflicts_and_git_sees_all(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path
) -> None:
    upstream, ws = stack
    before = upstream.snapshot()
    original = digest_tree(ws)
    worktree = worktree_of(ws)
    state = ws / ".patchq" / "rebase" / "state.json"

    code, err = rebase(ws, "--onto", "2.0")
    assert code == 1 and "0002-b.patch" in err, err
    assert not json.loads(state.read_text())["full_worktree"]
    head = json.loads(state.read_text())["head"]
    assert set(listing(worktree)) == SERIES_PATHS & in_tree(upstream, head)
    assert "<<<<<<< " in (worktree / "pkg" / "m1.py").read_text()
    full = full_view(upstream, ws, tmp_path / "full1")
    assert len(listing(full)) == len(in_tree(upstream, head)) > 60
    assert seen_by_git(worktree) == seen_by_git(full)
    on_disk = len(SERIES_PATHS & in_tree(upstream, head))
    assert f"it is a sparse checkout: {on_disk} file(s) on disk" in err
    assert f"git -C {worktree} sparse-checkout disable" in err

    # The second stop: the conflict is at lib/m2.py, which no patch names; git writes it.
    code, err = rebase(ws, "--skip")
    assert code == 1 and "0004-d.patch" in err and "lib/m2.py" in err, err
    head = json.loads(state.read_text())["head"]
    assert set(listing(worktree)) == (SERIES_PATHS & in_tree(upstream, head)) | {"lib/m2.py"}
    assert "<<<<<<< " in (worktree / "lib" / "m2.py").read_text()
    assert seen_by_git(worktree) == seen_by_git(full_view(upstream, ws, tmp_path / "full2"))

    # The third: lib/m2.py, skipped while unmerged, is off disk again, as in a fresh sparse
    # checkout (test_the_resolution_taken_... continues from it instead).
    code, err = rebase(ws, "--skip")
    assert code == 1 and "0006-f.patch" in err, err
    head = json.loads(state.read_text())["head"]
    assert "pkg/m3.py" not in in_tree(upstream, head)
    assert set(listing(worktree)) == SERIES_PATHS & in_tree(upstream, head)
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh3")
    assert seen_by_git(worktree) == seen_by_git(full_view(upstream, ws, tmp_path / "full3"))

    assert rebase(ws, "--abort")[0] == 0
    assert digest_tree(ws) == original
    assert upstream.snapshot() == before


def resolve_everything(worktree: Path, *, sparse: bool) -> None:
    """One resolution of the first stop, made the way a human would in either worktree: the
    conflict, an edit of a file the series does not touch (not on disk when sparse: written
    from scratch) staged by hand, a new file, and a deletion outside the series (`git rm
    --sparse` when the file is not on disk)."""
    (worktree / "pkg" / "m1.py").write_text(module("m1", "resolved"))
    (worktree / "untouched.txt").write_text("changed while resolving\n")
    # Staged by the human's own git: the blob is in the worktree's private object store.
    git(worktree, "add", "--sparse", "untouched.txt")
    (worktree / "doc" / "new.txt").parent.mkdir(exist_ok=True)
    (worktree / "doc" / "new.txt").write_text("a new file\n")
    if sparse:
        git(worktree, "rm", "-q", "--sparse", "doc/other.txt")
    else:
        (worktree / "doc" / "other.txt").unlink()


def test_the_resolution_taken_is_what_a_full_checkout_gives(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path
) -> None:
    _upstream, ws = stack
    twin = twin_of(ws, tmp_path / "twin")
    results = []
    for root, sparse in ((ws, True), (twin, False)):
        start = ("--onto", "2.0") if sparse else ("--onto", "2.0", "--full-worktree")
        assert rebase(root, *start)[0] == 1
        assert (worktree_of(root) / "untouched.txt").exists() is not sparse
        resolve_everything(worktree_of(root), sparse=sparse)
        code, err = rebase(root, "--continue")
        assert code == 1 and "0004-d.patch" in err, err
        (worktree_of(root) / "lib" / "m2.py").write_text(module("m2", "resolved"))
        assert rebase(root, "--continue")[0] == 1
        assert (worktree_of(root) / "lib" / "m2.py").exists() is not sparse
        code, err = rebase(root, "--skip")
        assert code == 0, err
        files = digest_tree(root)
        text = (root / "series.yaml").read_text()
        files["series.yaml"] = "".join(line for line in text.splitlines() if "date:" not in line)
        results.append(files)
    assert results[0] == results[1]
    patch = (ws / "patches" / "0002-b.patch").read_text()
    assert "+changed while resolving" in patch and "+a new file" in patch
    assert "deleted file mode 100644" in patch and "+m1: resolved" in patch
    assert "+m2: resolved" in (ws / "patches" / "0004-d.patch").read_text()


def test_full_worktree_checks_out_the_whole_tree_at_every_stop(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path
) -> None:
    upstream, ws = stack
    worktree = worktree_of(ws)
    code, err = rebase(ws, "--onto", "2.0", "--full-worktree")
    assert code == 1, err
    assert json.loads((ws / ".patchq" / "rebase" / "state.json").read_text())["full_worktree"]
    assert "sparse-checkout" not in err
    assert listing(worktree) == listing(full_view(upstream, ws, tmp_path / "full1"))
    token = pgit.worktree_checkout_token(worktree)
    for n, step in enumerate(("--skip", "--continue")):
        if step == "--continue":
            (worktree / "lib" / "m2.py").write_text(module("m2", "resolved"))
        code, err = rebase(ws, step)
        assert code == 1 and "sparse-checkout" not in err, err
        assert pgit.worktree_checkout_token(worktree) == token  # moved
        assert listing(worktree) == listing(full_view(upstream, ws, tmp_path / f"full{n + 2}"))
    assert "untouched.txt" in listing(worktree)
    assert rebase(ws, "--skip")[0] == 0


def test_a_human_who_disables_sparse_checkout_or_changes_its_patterns_loses_nothing(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path
) -> None:
    upstream, ws = stack
    worktree = worktree_of(ws)
    assert rebase(ws, "--onto", "2.0")[0] == 1
    first = pgit.worktree_checkout_token(worktree)
    git(worktree, "sparse-checkout", "disable")
    assert listing(worktree) == listing(full_view(upstream, ws, tmp_path / "full1"))
    (worktree / "pkg" / "m1.py").write_text(module("m1", "resolved"))
    (worktree / "untouched.txt").write_text("edited in the whole tree\n")
    code, err = rebase(ws, "--continue")
    assert code == 1 and "0004-d.patch" in err, err
    state = json.loads((ws / ".patchq" / "rebase" / "state.json").read_text())
    carried = next(o for o in state["outcomes"] if o["file"] == "0002-b.patch")
    assert carried["resolved"]
    show = git(upstream.path, "show", "--format=", carried["commit"])
    assert "+m1: resolved" in show and "+edited in the whole tree" in show
    # Reconfigured by the human: checked out again, sparse as the rebase began.
    second = pgit.worktree_checkout_token(worktree)
    assert second not in (None, first)
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh2")
    assert "untouched.txt" not in listing(worktree)

    # Patterns changed by hand (config untouched): checked out again too, not moved.
    patterns = worktree / ".git" / "info" / "sparse-checkout"
    patterns.write_bytes(patterns.read_bytes() + b"/untouched.txt\n")
    git(worktree, "sparse-checkout", "reapply")
    assert (worktree / "untouched.txt").is_file()
    code, err = rebase(ws, "--skip")
    assert code == 1 and "0006-f.patch" in err, err
    assert pgit.worktree_checkout_token(worktree) not in (None, first, second)
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh3")
    assert rebase(ws, "--abort")[0] == 0


def test_full_worktree_goes_with_onto(stack: tuple[UpstreamRepo, Path]) -> None:
    _upstream, ws = stack
    assert rebase(ws, "--onto", "2.0")[0] == 1
    for step in ("--continue", "--skip", "--abort"):
        code, err = rebase(ws, step, "--full-worktree")
        assert code == 2
        assert "--full-worktree goes with --onto REF" in err
    assert rebase(ws, "--abort")[0] == 0


NAMES = ["a b.txt", "star*.txt", "q?.txt", "[x].txt", "#hash", "!bang", "back\\slash", "end "]
DECOYS = ["starX.txt", "qX.txt", "x.txt", "a  b.txt", "end"]


def test_patterns_name_exactly_the_paths_whatever_their_characters(tmp_path: Path) -> None:
    upstream = UpstreamRepo(tmp_path / "up")
    head = upstream.commit("Odd names", {f"d/{n}": f"{n}\n" for n in NAMES + DECOYS})
    with pgit.Repo(upstream.path) as repo:
        pgit.worktree_fresh(
            repo,
            tmp_path / "wt",
            pgit.Sha(head),
            sparse=lambda: [f"d/{n}".encode() for n in NAMES],
        )
    assert set(listing(tmp_path / "wt")) == {f"d/{n}" for n in NAMES}
    assert git(tmp_path / "wt", "status", "--porcelain") == ""
    assert os.path.exists(tmp_path / "wt" / ".git" / "patchq-sparse")
