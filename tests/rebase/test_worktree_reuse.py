"""The conflict worktree is checked out once per rebase and moved from stop to stop (issue 12):
later stops write only the files that differ, the result is what a fresh checkout would show,
and --skip, --continue and --abort keep their promises; in the default sparse checkout and
with --full-worktree alike (tests/rebase/test_sparse_worktree.py has what differs)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from patchq import git as pgit
from patchq.git import worktree as moving
from tests.builders import Story, UpstreamRepo, digest_tree, git, make_series, run

LINES = [f"line {n}\n" for n in range(12)]


def module(name: str, edit: str | None = None, at: int = 5) -> str:
    lines = [f"{name}: {line}" for line in LINES]
    if edit is not None:
        lines[at] = f"{name}: {edit}\n"
    return "".join(lines)


# Three patches conflict with 2.0 (m1, m2, m4); between the stops the others modify, add and
# delete files, so every move has files to write, create and remove.
STORY: Story = [
    ("0001-a.patch", "Edit m0", "Carried.\n", {"pkg/m0.py": module("m0", "downstream")}),
    ("0002-b.patch", "Edit m1", "Conflicts.\n", {"pkg/m1.py": module("m1", "downstream")}),
    ("0003-c.patch", "Add a module", "Carried.\n", {"pkg/new/added.py": "added\n"}),
    ("0004-d.patch", "Edit m2", "Conflicts.\n", {"pkg/m2.py": module("m2", "downstream")}),
    ("0005-e.patch", "Drop m3", "Carried.\n", {"pkg/m3.py": None}),
    ("0006-f.patch", "Edit m4", "Conflicts.\n", {"pkg/m4.py": module("m4", "downstream")}),
    ("0007-g.patch", "Edit m5", "Carried.\n", {"pkg/m5.py": module("m5", "downstream")}),
]
CONFLICTING = ["0002-b.patch", "0004-d.patch", "0006-f.patch"]


@pytest.fixture
def stack(tmp_path: Path) -> tuple[UpstreamRepo, Path]:
    return build_stack(tmp_path)


def build_stack(tmp_path: Path) -> tuple[UpstreamRepo, Path]:
    """An upstream (1.0, 2.0) and the STORY series on 1.0 in tmp_path/pkg."""
    upstream = UpstreamRepo(tmp_path / "up")
    files: dict[str, str | bytes | None] = {f"pkg/m{i}.py": module(f"m{i}") for i in range(8)}
    files["untouched.txt"] = "nobody changes me\n"
    files["tool.sh"] = "#!/bin/sh\necho tool\n"
    upstream.commit("Initial", files)
    os.chmod(upstream.path / "tool.sh", 0o755)
    upstream.commit("Executable tool")
    upstream.tag("1.0")
    ws = series_on_1_0(upstream, tmp_path, STORY)
    upstream.commit("Upstream m1", {"pkg/m1.py": module("m1", "upstream")})
    upstream.commit("Upstream m2 and docs", {"pkg/m2.py": module("m2", "up"), "doc/a": "a\n"})
    upstream.commit("Upstream m4", {"pkg/m4.py": module("m4", "upstream")})
    upstream.commit("Upstream m6", {"pkg/m6.py": module("m6", "upstream", at=0)})
    upstream.tag("2.0")
    return upstream, ws


def rebase(ws: Path, *args: str) -> tuple[int, str]:
    result = run("-C", str(ws), "rebase", *args)
    return result.exit_code, result.stderr


def worktree_of(ws: Path) -> Path:
    return ws / ".patchq" / "rebase" / "worktree"


def listing(root: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file under root but .git: its bytes and whether it is executable."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".git" or path.is_dir():
            continue
        out[str(rel)] = (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    return out


def fresh_view(upstream: UpstreamRepo, ws: Path, scratch: Path) -> dict[str, tuple[bytes, bool]]:
    """What a fresh checkout of the stop shows: the state's head, the stopped patch picked; a
    sparse checkout of the series' paths unless the rebase began with --full-worktree."""
    state = json.loads((ws / ".patchq" / "rebase" / "state.json").read_text())
    pick = state["entries"][state["position"]]["old_commit"]
    olds = [e["old_commit"] for e in state["entries"]]
    with pgit.Repo(upstream.path) as repo:

        def paths() -> tuple[bytes, ...]:
            return pgit.series_paths(repo, olds)

        sparse = None if state.get("full_worktree") else paths
        pgit.worktree_fresh(repo, scratch, pgit.Sha(state["head"]), sparse=sparse)
        pgit.worktree_pick_conflict(repo, scratch, pgit.Sha(pick))
    return listing(scratch)


def status(worktree: Path) -> str:
    return git(worktree, "status", "--porcelain", "--untracked-files=all", "--ignored")


START = {"sparse": ("--onto", "2.0"), "full": ("--onto", "2.0", "--full-worktree")}


@pytest.mark.parametrize("form", ["sparse", "full"])
def test_later_stops_move_the_worktree_and_show_what_a_fresh_checkout_would(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path, form: str
) -> None:
    upstream, ws = stack
    before = upstream.snapshot()
    original = digest_tree(ws)
    worktree = worktree_of(ws)

    code, err = rebase(ws, *START[form])
    assert code == 1 and CONFLICTING[0] in err, err
    token = pgit.worktree_checkout_token(worktree)
    assert token is not None
    # A file no move has to write: outside the series (full) or carried only after the last
    # stop (sparse, where only the series' files are on disk).
    same = "untouched.txt" if form == "full" else "pkg/m5.py"
    untouched = (worktree / same).stat().st_ino
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh1")
    # A human leaves things behind: an edit, an untracked file, an ignored one, a new dir.
    (worktree / "pkg" / "m0.py").write_text("scribbled\n")
    (worktree / ".gitignore").write_text("*.log\n")
    (worktree / "build.log").write_text("noise\n")
    (worktree / "scratch" / "deep").mkdir(parents=True)
    (worktree / "scratch" / "deep" / "notes").write_text("mine\n")
    os.chmod(worktree / ("tool.sh" if form == "full" else "pkg/m0.py"), 0o644)

    code, err = rebase(ws, "--skip")
    assert code == 1 and CONFLICTING[1] in err, err
    assert pgit.worktree_checkout_token(worktree) == token  # moved, not checked out again
    assert (worktree / same).stat().st_ino == untouched  # not rewritten
    expected = fresh_view(upstream, ws, tmp_path / "fresh2")
    assert listing(worktree) == expected
    assert "pkg/new/added.py" in expected
    assert not (worktree / "scratch").exists()
    assert status(worktree) == status(tmp_path / "fresh2")

    text = (worktree / "pkg" / "m2.py").read_text()
    (worktree / "pkg" / "m2.py").write_text(module("m2", "resolved"))
    assert "<<<<<<< " in text
    code, err = rebase(ws, "--continue")
    assert code == 1 and CONFLICTING[2] in err, err
    assert pgit.worktree_checkout_token(worktree) == token
    assert (worktree / same).stat().st_ino == untouched
    expected = fresh_view(upstream, ws, tmp_path / "fresh3")
    assert listing(worktree) == expected
    assert "pkg/m3.py" not in expected and "m2: resolved" in expected["pkg/m2.py"][0].decode()

    # Nothing of the user's was touched while stopped; --abort puts the series back.
    assert digest_tree(ws) == original
    code, err = rebase(ws, "--abort")
    assert code == 0, err
    assert digest_tree(ws) == original
    assert not (ws / ".patchq" / "rebase").exists()
    assert upstream.snapshot() == before


@pytest.mark.parametrize("form", ["sparse", "full"])
def test_moving_gives_the_same_result_as_checking_out_each_time(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    upstream, ws = stack
    before = upstream.snapshot()
    twin = tmp_path / "twin"
    twin.mkdir()
    for item in ("series.yaml", "patches"):
        src = ws / item
        if src.is_dir():
            (twin / item).mkdir()
            for f in src.iterdir():
                (twin / item / f.name).write_bytes(f.read_bytes())
        else:
            (twin / item).write_bytes(src.read_bytes())

    def walk(root: Path, *, forget: bool = False) -> tuple[dict[str, str], list[str]]:
        """The rebase with --skip, --continue, --skip; the finished series and each stop's
        summary (`forget`: without the summaries kept from earlier stops)."""
        shown = []

        def step(*args: str) -> int:
            if forget:
                (root / ".patchq" / "rebase" / "summary.json").unlink(missing_ok=True)
            result = run("-C", str(root), "rebase", *args)
            shown.append(result.stdout)
            return result.exit_code

        assert step(*START[form]) == 1
        assert step("--skip", "--reason", "later") == 1
        (worktree_of(root) / "pkg" / "m2.py").write_text(module("m2", "resolved"))
        assert step("--continue") == 1
        assert step("--skip", "--reason", "later") == 0
        assert not worktree_of(root).exists()
        data = digest_tree(root)
        text = (root / "series.yaml").read_text()
        data["series.yaml"] = "".join(line for line in text.splitlines() if "date:" not in line)
        return data, shown

    moved = walk(ws)
    tokens: list[str | None] = []
    real_fresh = moving.worktree_fresh

    def counted_fresh(
        repo: pgit.Repo, path: Path, commit: pgit.Sha, *, sparse: moving.SparsePaths | None
    ) -> None:
        assert (sparse is None) == (form == "full")
        real_fresh(repo, path, commit, sparse=sparse)
        tokens.append(pgit.worktree_checkout_token(path))

    monkeypatch.setattr(moving, "worktree_move", lambda *args, **kw: False)
    monkeypatch.setattr(moving, "worktree_fresh", counted_fresh)
    assert walk(twin, forget=True) == moved
    assert "refreshed" in moved[1][2] and "conflict resolved" in moved[1][3]
    assert len(tokens) == 3 and len(set(tokens)) == 3  # one checkout per stop there
    assert upstream.snapshot() == before


def test_a_worktree_that_cannot_be_moved_safely_is_checked_out_again(
    stack: tuple[UpstreamRepo, Path], tmp_path: Path
) -> None:
    upstream, ws = stack
    worktree = worktree_of(ws)
    marker = tmp_path / "filter-ran"
    assert rebase(ws, "--onto", "2.0")[0] == 1
    first = pgit.worktree_checkout_token(worktree)
    # A config that names a smudge filter for every file: moving with it would run it.
    config = worktree / ".git" / "config"
    config.write_text(
        config.read_text() + f'[filter "x"]\n\tsmudge = touch {marker}; cat\n\trequired\n'
    )
    (worktree / ".git" / "info").mkdir(exist_ok=True)
    (worktree / ".git" / "info" / "attributes").write_text("* filter=x\n")
    assert rebase(ws, "--skip")[0] == 1
    second = pgit.worktree_checkout_token(worktree)
    assert second not in (None, first)
    assert not marker.exists()
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh2")

    # A lock a killed git left behind: checked out again, not moved.
    (worktree / ".git" / "index.lock").write_text("")
    assert rebase(ws, "--skip")[0] == 1
    third = pgit.worktree_checkout_token(worktree)
    assert third not in (None, first, second)
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh3")

    # Gone altogether: --continue shows the stop again in a new checkout.
    shutil.rmtree(worktree)
    state = ws / ".patchq" / "rebase" / "state.json"
    data = json.loads(state.read_text())
    data["conflict"]["ready"] = False
    state.write_text(json.dumps(data))
    code, err = rebase(ws, "--continue")
    assert code == 1, err
    assert pgit.worktree_checkout_token(worktree) not in (None, first, second, third)
    assert listing(worktree) == fresh_view(upstream, ws, tmp_path / "fresh4")
    assert rebase(ws, "--abort")[0] == 0


@pytest.mark.parametrize("staged", ["no", "yes", "packed"])
def test_continue_takes_the_resolution_whether_or_not_the_human_staged_it(
    stack: tuple[UpstreamRepo, Path], staged: str
) -> None:
    upstream, ws = stack
    worktree = worktree_of(ws)
    assert rebase(ws, "--onto", "2.0")[0] == 1
    (worktree / "pkg" / "m1.py").write_text(module("m1", "resolved"))
    (worktree / "pkg" / "extra.py").write_text("a new file in the resolution\n")
    if staged != "no":  # the blob goes to the worktree's own object store, not the clone's
        past = time.time() - 100  # not racily clean: git takes the index entry as it is
        os.utime(worktree / "pkg" / "m1.py", (past, past))
        git(worktree, "add", "pkg/m1.py")
    if staged == "packed":  # and from there into a pack of its own
        git(worktree, "repack", "-q", "-a", "-d", "-l")
        packs = list((worktree / ".git" / "objects" / "pack").glob("*.idx"))
        assert len(packs) == 1
    code, err = rebase(ws, "--continue")
    assert code == 1 and CONFLICTING[1] in err, err
    state = json.loads((ws / ".patchq" / "rebase" / "state.json").read_text())
    carried = state["outcomes"][-2]
    assert carried["file"] == CONFLICTING[0] and carried["resolved"]
    show = git(upstream.path, "show", "--format=", carried["commit"])
    assert "+m1: resolved" in show and "+a new file in the resolution" in show
    assert rebase(ws, "--abort")[0] == 0


def series_on_1_0(upstream: UpstreamRepo, tmp_path: Path, story: Story) -> Path:
    """A packaging dir `pkg` whose series (`story`) is on upstream's 1.0."""
    ws = tmp_path / "pkg"
    ws.mkdir()
    made = run("-C", str(ws), "init", "--upstream", str(upstream.path), "--base", "1.0")
    assert made.exit_code == 0, made.stderr
    make_series(upstream, ws, story)
    return ws
