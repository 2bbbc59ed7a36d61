"""patchq rebase: drop what landed, refresh the rest, stop at a conflict, continue/skip/abort."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from patchq import git as pgit
from patchq.series.workspace import Workspace
from tests.builders import (
    NOVA_API,
    P1,
    P2,
    P3,
    P4,
    P5,
    SERIES,
    UpstreamRepo,
    copy_workspace,
    digest_tree,
    git,
    make_series,
    release_two,
    run,
)

API_TWICE = NOVA_API.replace("def boot(", "# downstream\ndef boot(").replace(
    "    return True\n", "    return True  # downstream\n"
)
API_UPSTREAM = NOVA_API.replace('"""Compute API."""', '"""Compute API (upstream)."""')
RESOLVED_DELETE = 'def delete(instance):\n    LOG.debug("deleting instance %s", instance)\n'


@pytest.fixture
def carried(series_dir: Path, upstream: UpstreamRepo) -> Path:
    """The four-patch series on 1.0, and upstream 2.0."""
    make_series(upstream, series_dir)
    release_two(upstream)
    return series_dir


def user_state(upstream: UpstreamRepo) -> tuple[str, str, str]:
    """The user's upstream checkout with uncommitted work in it: what must never change."""
    return upstream.snapshot()


def dirty(upstream: UpstreamRepo) -> None:
    upstream.write("nova/api.py", "local edit\n")
    upstream.write("scratch.txt", "untracked\n")
    git(upstream.path, "add", "scratch.txt")


def load(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((root / "series.yaml").read_text())
    return data


def resolve_conflict(worktree: Path) -> None:
    api = (worktree / "nova/api.py").read_text()
    assert "<<<<<<< " in api and ">>>>>>> " in api
    head, _, rest = api.partition("def delete(instance):\n")
    tail = rest.split(">>>>>>> ", 1)[1].split("\n", 1)[1]
    (worktree / "nova/api.py").write_text(head + RESOLVED_DELETE + tail)


def test_rebase_stops_at_conflict_then_continue_finishes(
    carried: Path, upstream: UpstreamRepo
) -> None:
    dirty(upstream)
    before = user_state(upstream)
    originals = {f: (carried / "patches" / f).read_bytes() for f, *_ in SERIES}
    files_before = digest_tree(carried)

    stopped = run("rebase", "--onto", "2.0")
    assert stopped.exit_code == 1, stopped.stderr
    worktree = carried / ".patchq" / "rebase" / "worktree"
    assert f"stopped at {P4} (Quieter delete logging)" in stopped.stderr
    assert "\n  nova/api.py\n" in stopped.stderr
    assert str(worktree) in stopped.stderr
    for way in ("--continue", "--skip", "--abort"):
        assert f"patchq rebase {way}" in stopped.stderr
    # Nothing of the user's changes while stopped; the worktree shows base + series + markers.
    assert digest_tree(carried) == files_before
    assert user_state(upstream)[0::2] == before[0::2]
    assert "Downstream build." in (worktree / "README.rst").read_text()  # P3, carried so far
    assert '"""Boot it."""' in (worktree / "nova/api.py").read_text()  # the new base
    assert "UU nova/api.py" in git(worktree, "status", "--porcelain")
    # Other mutating commands are refused while it waits.
    for args in (("rebase", "--onto", "2.0"), ("mark", "1", "merged"), ("drop", "1")):
        refused = run(*args)
        assert refused.exit_code == 2
        assert "rebase" in refused.stderr and "in progress" in refused.stderr

    resolve_conflict(worktree)
    done = run("rebase", "--continue")
    assert done.exit_code == 0, done.stderr
    assert "1 dropped, 2 refreshed, 2 unchanged, 0 skipped; 4 carried" in done.stdout

    data = load(carried)
    assert data["upstream"]["base"] == "2.0"
    assert data["upstream"]["base_commit"] == git(upstream.path, "rev-parse", "2.0").strip()
    assert [p["file"] for p in data["patches"]] == [P2, P3, P4, P5]
    entry = data["history"][-1]
    assert list(entry) == [
        "date",
        "from",
        "from_commit",
        "to",
        "to_commit",
        "dropped",
        "skipped",
        "refreshed",
        "carried",
    ]
    landed_at = git(upstream.path, "log", "--format=%H", "--grep=rbd timeout", "1.0..2.0")
    assert entry["dropped"] == [
        {
            "file": P1,
            "subject": "Add rbd timeout option",
            "evidence": ["patch-id", "change-id", "reverse-apply"],
            "upstream_commit": landed_at.strip(),
        }
    ]
    assert entry["skipped"] == []
    assert (entry["refreshed"], entry["carried"]) == (2, 4)
    assert entry["from"] == "1.0" and entry["to"] == "2.0"
    assert len(data["history"]) == 1

    assert not (carried / "patches" / P1).exists()
    assert (carried / "patches" / P3).read_bytes() == originals[P3]  # diff did not move
    assert (carried / "patches" / P5).read_bytes() == originals[P5]  # nor after the conflict
    p2 = (carried / "patches" / P2).read_text()
    assert "@@ -13,6 +13,8 @@ def boot(instance, flavor):" in p2  # new context line numbers
    assert p2.startswith("From 0000000000000000000000000000000000000000 ")
    assert "From: A U Thor <author@example.com>\n" in p2
    assert "Subject: [PATCH] Log hard reboots\n\nSo that support can see them.\n---\n" in p2
    p4 = (carried / "patches" / P4).read_text()
    assert '-    LOG.info("deleting instance %s", instance)\n' in p4
    assert '+    LOG.debug("deleting instance %s", instance)\n' in p4
    # The refreshed series applies to 2.0 with plain `git am`, no 3-way fallback.
    clone = carried.parent / "am-check"
    git(carried, "clone", "-q", str(upstream.path), str(clone))
    git(clone, "checkout", "-q", "2.0")
    patches = [str(carried / "patches" / f) for f in (P2, P3, P4, P5)]
    git(clone, "-c", "user.name=x", "-c", "user.email=x@y", "am", "-q", *patches)
    assert '    LOG.debug("deleting instance %s", instance)' in (clone / "nova/api.py").read_text()
    # Worktree, its admin data and the temporary refs are gone; the user's repo is as it was.
    assert not (carried / ".patchq" / "rebase").exists()
    assert git(upstream.path, "worktree", "list", "--porcelain").count("worktree ") == 1
    assert user_state(upstream) == before


def test_skip_records_reason_and_removes_the_patch(carried: Path, upstream: UpstreamRepo) -> None:
    assert run("rebase", "--onto", "2.0").exit_code == 1
    done = run("rebase", "--skip", "--reason", "replaced upstream")
    assert done.exit_code == 0, done.stderr
    data = load(carried)
    assert [p["file"] for p in data["patches"]] == [P2, P3, P5]
    assert data["history"][-1]["skipped"] == [
        {"file": P4, "subject": "Quieter delete logging", "reason": "replaced upstream"}
    ]
    assert data["history"][-1]["carried"] == 3
    assert not (carried / "patches" / P4).exists()


def test_skip_default_reason(carried: Path) -> None:
    assert run("rebase", "--onto", "2.0").exit_code == 1
    assert run("rebase", "--skip").exit_code == 0
    skipped = load(carried)["history"][-1]["skipped"]
    assert skipped[0]["reason"] == "conflict during rebase onto 2.0"


def test_abort_restores_everything_byte_for_byte(carried: Path, upstream: UpstreamRepo) -> None:
    dirty(upstream)
    before = user_state(upstream)
    files = digest_tree(carried)
    assert run("rebase", "--onto", "2.0").exit_code == 1
    # A hand edit while stopped is undone too.
    (carried / "patches" / P2).write_text("scribble\n")
    aborted = run("rebase", "--abort")
    assert aborted.exit_code == 0, aborted.stderr
    assert digest_tree(carried) == files
    assert not (carried / ".patchq" / "rebase").exists()
    assert not (upstream.path / ".git" / "worktrees").exists() or not any(
        (upstream.path / ".git" / "worktrees").iterdir()
    )
    assert user_state(upstream) == before
    assert run("mark", "1", "merged").exit_code == 0  # the series is usable again


def test_dry_run_prints_the_plan_and_writes_nothing(carried: Path, upstream: UpstreamRepo) -> None:
    before = user_state(upstream)
    files = digest_tree(carried)
    plan = run("rebase", "--onto", "2.0", "--dry-run")
    assert plan.exit_code == 0, plan.stderr
    assert "dry run" in plan.stdout
    for word in ("dropped", "refreshed", "unchanged", "conflict"):
        assert word in plan.stdout
    assert f"stops at {P4}" in plan.stdout
    assert digest_tree(carried) == files
    assert not (carried / ".patchq" / "rebase").exists()
    assert user_state(upstream) == before


def test_clean_rebase_needs_no_worktree(
    series_dir: Path, upstream: UpstreamRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_series(upstream, series_dir, SERIES[:3])
    release_two(upstream)
    before = user_state(upstream)

    def no_worktree(*args: object) -> None:
        raise AssertionError("the clean path must not create a worktree")

    monkeypatch.setattr(pgit, "worktree_add", no_worktree)
    monkeypatch.setattr(pgit, "worktree_checkout", no_worktree)
    done = run("rebase", "--onto", "2.0")
    assert done.exit_code == 0, done.stderr
    assert "1 dropped, 1 refreshed, 1 unchanged, 0 skipped; 2 carried" in done.stdout
    assert [p["file"] for p in load(series_dir)["patches"]] == [P2, P3]
    assert user_state(upstream) == before


def test_regenerated_files_are_deterministic_and_stable(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    make_series(upstream, series_dir, SERIES[:3])
    release_two(upstream)
    twin = copy_workspace(series_dir, tmp_path / "twin")
    assert run("rebase", "--onto", "2.0").exit_code == 0
    again = run("-C", str(twin), "--upstream", str(upstream.path), "rebase", "--onto", "2.0")
    assert again.exit_code == 0, again.stderr
    for file in (P2, P3):
        mine, theirs = series_dir / "patches" / file, twin / "patches" / file
        assert mine.read_bytes() == theirs.read_bytes()
    # Upstream moves on without touching the carried lines: every file stays byte-identical.
    upstream.commit("More docs", {"doc/more.rst": "more\n"})
    upstream.tag("3.0")
    after_two = {f: (series_dir / "patches" / f).read_bytes() for f in (P2, P3)}
    third = run("rebase", "--onto", "3.0")
    assert third.exit_code == 0, third.stderr
    assert "0 refreshed, 2 unchanged" in third.stdout
    assert {f: (series_dir / "patches" / f).read_bytes() for f in (P2, P3)} == after_two
    assert len(load(series_dir)["history"]) == 2


def test_continue_refuses_unresolved_or_empty_resolution(carried: Path) -> None:
    assert run("rebase", "--onto", "2.0").exit_code == 1
    worktree = carried / ".patchq" / "rebase" / "worktree"
    markers = run("rebase", "--continue")
    assert markers.exit_code == 2
    assert "nova/api.py" in markers.stderr and "conflict markers" in markers.stderr
    # Resolving to exactly the series so far leaves the patch empty: --skip is the way.
    git(worktree, "checkout", "HEAD", "--", "nova/api.py")
    empty = run("rebase", "--continue")
    assert empty.exit_code == 2
    assert "--skip" in empty.stderr
    assert (carried / ".patchq" / "rebase" / "state.json").is_file()
    assert run("rebase", "--abort").exit_code == 0


def test_second_patchq_is_refused_while_one_holds_the_lock(carried: Path) -> None:
    files = digest_tree(carried)
    with Workspace(carried).lock():
        second = run("rebase", "--onto", "2.0")
    assert second.exit_code == 2
    lock = carried / ".patchq" / "lock"
    assert second.stderr == (
        f"patchq: error: another patchq is working on {carried} ({lock} is locked): "
        "wait for it to finish\n"
    )
    assert digest_tree(carried) == files
    assert not (carried / ".patchq" / "rebase").exists()


SEE_HELP = "see `patchq rebase --help`"
ONE_OF = "give exactly one of --onto REF, --continue, --skip, --abort: " + SEE_HELP


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("rebase", "--onto", "9.9"),
            "ref '9.9' is not a commit in {clone}: check the name or fetch it",
        ),
        (("rebase", "--continue"), "no rebase in progress in {series}: nothing to continue"),
        (("rebase", "--skip"), "no rebase in progress in {series}: nothing to skip"),
        (("rebase", "--abort"), "no rebase in progress in {series}: nothing to abort"),
        (("rebase",), ONE_OF),
        (("rebase", "--onto", "2.0", "--abort"), ONE_OF),
        (("rebase", "--continue", "--reason", "x"), "--reason goes with --skip: " + SEE_HELP),
        (("rebase", "--continue", "--dry-run"), "--dry-run goes with --onto REF: " + SEE_HELP),
    ],
)
def test_bad_input_is_one_line_exit_2(carried: Path, args: tuple[str, ...], message: str) -> None:
    files = digest_tree(carried)
    result = run(*args)
    assert result.exit_code == 2
    wanted = message.format(series=carried, clone=f"{carried}/../nova")
    assert result.stderr == f"patchq: error: {wanted}\n"
    assert "Traceback" not in result.stderr
    assert digest_tree(carried) == files


def test_onto_a_ref_that_does_not_contain_the_base(carried: Path, upstream: UpstreamRepo) -> None:
    git(upstream.path, "checkout", "-q", "--orphan", "other")
    upstream.commit("Unrelated root", {"x": "y\n"})
    upstream.tag("elsewhere")
    git(upstream.path, "checkout", "-q", "master")
    result = run("rebase", "--onto", "elsewhere")
    assert result.exit_code == 2
    short = {r: git(upstream.path, "rev-parse", r).strip()[:12] for r in ("1.0", "elsewhere")}
    assert result.stderr == (
        f"patchq: error: base 1.0 ({short['1.0']}) and elsewhere ({short['elsewhere']}) "
        f"share no history in {carried}/../nova: pick a REF of the same project\n"
    )
    assert not (carried / ".patchq" / "rebase").exists()


def test_skip_when_not_stopped_and_broken_state(carried: Path) -> None:
    assert run("rebase", "--onto", "2.0").exit_code == 1
    state = carried / ".patchq" / "rebase" / "state.json"
    state.write_text("{not json")
    broken = run("rebase", "--continue")
    assert broken.exit_code == 2
    assert broken.stderr == (
        f"patchq: error: {state} is unreadable (JSONDecodeError): "
        "run `patchq rebase --abort` to restore the series\n"
    )
    files_after_abort = run("rebase", "--abort")
    assert files_after_abort.exit_code == 0, files_after_abort.stderr
    assert not (carried / ".patchq" / "rebase").exists()


def test_empty_series_moves_the_base(series_dir: Path, upstream: UpstreamRepo) -> None:
    release_two(upstream)
    done = run("rebase", "--onto", "2.0")
    assert done.exit_code == 0, done.stderr
    data = load(series_dir)
    assert data["upstream"]["base"] == "2.0"
    assert data["history"][-1]["carried"] == 0


# -- the fast plan agrees with the status engine ----------------------------------------------

TRICKY: list[tuple[str, str, dict[str, str | bytes | None]]] = [
    (
        "0001-no-eol.patch",
        "Add a line to a file without final newline",
        {"noeol.txt": "one\ntwo\nthree"},
    ),
    ("0002-new-file.patch", "Add a file", {"nova/new.py": "x = 1\n"}),
    ("0003-delete.patch", "Delete the README", {"README.rst": None}),
    ("0004-crlf.patch", "Edit a CRLF file", {"crlf.txt": "a\r\nB\r\nc\r\n"}),
    ("0005-binary.patch", "Change a binary", {"blob.bin": b"\x00\x01\x02changed\xff"}),
    ("0006-eol-again.patch", "Give it a final newline", {"noeol.txt": "one\ntwo\nthree\n"}),
    ("0007-api.patch", "Touch the api twice", {"nova/api.py": API_TWICE}),
    ("0008-empty.patch", "Add an empty file", {"empty.txt": ""}),
]


def test_tricky_patches_rebase_as_status_predicts(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    upstream.commit(
        "Fixtures",
        {"noeol.txt": "one\ntwo", "crlf.txt": "a\r\nb\r\nc\r\n", "blob.bin": b"\x00\x01\x02\xff"},
    )
    git(upstream.path, "tag", "-f", "1.0")
    path = series_dir / "series.yaml"
    sha = git(upstream.path, "rev-parse", "1.0").strip()
    path.write_text(re.sub(r"base_commit: \w+", f"base_commit: {sha}", path.read_text()))
    make_series(upstream, series_dir, [(f, s, "Body.\n", files) for f, s, files in TRICKY])
    upstream.commit(
        "Upstream edits",
        {"nova/api.py": API_UPSTREAM, "crlf.txt": "A\r\nb\r\nc\r\n", "nova/new.py": "x = 1\n"},
    )
    upstream.tag("2.0")
    predicted = run("status", "--against", "2.0", "--format", "json")
    assert predicted.exit_code == 0, predicted.stderr
    states = {p["file"]: p["state"] for p in json.loads(predicted.stdout)["patches"]}
    assert states.pop("0002-new-file.patch") == "landed"  # upstream added the same file
    assert states.pop("0004-crlf.patch") == "conflicts"  # next to upstream's CRLF edit
    assert set(states.values()) == {"applies"}

    assert run("rebase", "--onto", "2.0").exit_code == 1
    done = run("rebase", "--skip")
    assert done.exit_code == 0, done.stderr
    data = load(series_dir)
    assert [p["file"] for p in data["patches"]] == list(states)
    assert [d["file"] for d in data["history"][-1]["dropped"]] == ["0002-new-file.patch"]
    clone = tmp_path / "am-check"
    git(series_dir, "clone", "-q", str(upstream.path), str(clone))
    git(clone, "checkout", "-q", "2.0")
    files = [str(series_dir / "patches" / f) for f in states]
    git(clone, "-c", "user.name=x", "-c", "user.email=x@y", "am", "-q", *files)
    assert (clone / "noeol.txt").read_bytes() == b"one\ntwo\nthree\n"
    assert (clone / "blob.bin").read_bytes() == b"\x00\x01\x02changed\xff"
    assert not (clone / "README.rst").exists()
    assert (clone / "empty.txt").read_bytes() == b""
    assert "# downstream" in (clone / "nova/api.py").read_text()


def test_status_says_a_rebase_is_in_progress(carried: Path) -> None:
    assert run("rebase", "--onto", "2.0").exit_code == 1
    during = run("status", "--against", "2.0")
    assert during.exit_code == 0, during.stderr
    assert "a rebase is in progress" in during.stdout
    assert run("rebase", "--abort").exit_code == 0


def test_upstream_hooks_never_run_in_the_conflict_worktree(
    carried: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    witness = tmp_path / "hook-ran"
    for name in ("post-checkout", "pre-commit", "post-index-change"):
        hook = upstream.path / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\ntouch {witness}\n")
        hook.chmod(0o755)
    assert run("rebase", "--onto", "2.0").exit_code == 1
    resolve_conflict(carried / ".patchq" / "rebase" / "worktree")
    assert run("rebase", "--continue").exit_code == 0
    assert not witness.exists()


def test_continue_takes_a_resolution_the_user_committed(carried: Path) -> None:
    assert run("rebase", "--onto", "2.0").exit_code == 1
    worktree = carried / ".patchq" / "rebase" / "worktree"
    resolve_conflict(worktree)
    git(worktree, "add", "nova/api.py")
    git(worktree, "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "resolved by hand")
    done = run("rebase", "--continue")
    assert done.exit_code == 0, done.stderr
    p4 = (carried / "patches" / P4).read_text()
    assert "Subject: [PATCH] Quieter delete logging\n" in p4  # the patch's own message
    assert '+    LOG.debug("deleting instance %s", instance)\n' in p4


def test_a_hand_edit_of_series_yaml_while_stopped_is_not_overwritten(carried: Path) -> None:
    files = digest_tree(carried)
    assert run("rebase", "--onto", "2.0").exit_code == 1
    resolve_conflict(carried / ".patchq" / "rebase" / "worktree")
    path = carried / "series.yaml"
    path.write_text(path.read_text() + "# a note\n")
    refused = run("rebase", "--continue")
    assert refused.exit_code == 2
    assert refused.stderr == (
        f"patchq: error: {path} changed while the rebase was in progress: undo the edit and "
        "run `patchq rebase --continue`, or `patchq rebase --abort`\n"
    )
    assert path.read_text().endswith("# a note\n")
    assert run("rebase", "--abort").exit_code == 0
    assert digest_tree(carried) == files


def test_a_long_chain_is_formatted_the_same_in_two_halves(upstream: UpstreamRepo) -> None:
    from patchq.rebase import refresh

    git(upstream.path, "checkout", "-q", "-b", "long", "1.0")
    shas = upstream.commit_many(
        [
            (f"Step {i}\n\nBody {i}.\n", {f"steps/{i % 7}.txt": f"step {i}\n"})
            for i in range(refresh.SPLIT_AT + 5)
        ]
    )
    git(upstream.path, "checkout", "-q", "master")
    with pgit.Repo(upstream.path) as repo:
        chain = [pgit.Sha(s) for s in shas]
        whole = refresh.format_chain(repo, chain)
        halves = refresh.format_chain(repo, chain, split=True)
        one_by_one = [refresh.format_chain(repo, [sha])[0] for sha in chain]
    assert len(whole) == len(shas)
    assert halves == whole == one_by_one
    assert [t.split(b"\n")[3] for t in whole[:2]] == [
        b"Subject: [PATCH] Step 0",
        b"Subject: [PATCH] Step 1",
    ]


def test_unmoved_diffs_keep_their_bytes_even_a_rename_of_a_changed_file(
    series_dir: Path, upstream: UpstreamRepo
) -> None:
    from tests.builders import API_REBOOT, CONF_RBD

    conf, move, api = "0001-conf.patch", "0002-move.patch", "0003-api.patch"
    make_series(
        upstream,
        series_dir,
        [
            (conf, "Tune conf", "Why.\n", {"nova/conf.py": CONF_RBD}),
            (move, "Markdown readme", "Why.\n", {"README.rst": None, "README.md": "nova\n"}),
            (api, "Log hard reboots", "Why.\n", {"nova/api.py": API_REBOOT}),
        ],
    )
    assert "rename from README.rst" in (series_dir / "patches" / move).read_text()
    before = digest_tree(series_dir)
    upstream.commit("Readme", {"README.rst": "nova upstream\n"})  # the renamed file changes
    upstream.commit("Doc", {"nova/api.py": "# api\n" + NOVA_API})  # api.py's lines move
    upstream.tag("2.0")
    result = run("rebase", "--onto", "2.0")
    assert result.exit_code == 0, result.stderr
    assert "1 refreshed, 2 unchanged" in result.stdout
    after = digest_tree(series_dir)
    for file in (conf, move):
        assert after[f"patches/{file}"] == before[f"patches/{file}"]
    assert after[f"patches/{api}"] != before[f"patches/{api}"]
    assert (series_dir / "patches" / api).read_text().startswith("From " + "0" * 40)


def test_a_file_already_refreshed_for_the_new_base_is_kept_and_not_counted(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    """P2's file is replaced by the text the rebase would write: its diff moved, but the
    file is already right, so it is neither rewritten nor counted as refreshed."""
    make_series(upstream, series_dir, SERIES[:3])
    release_two(upstream)
    twin = copy_workspace(series_dir, tmp_path / "twin")
    done = run("-C", str(twin), "--upstream", str(upstream.path), "rebase", "--onto", "2.0")
    assert done.exit_code == 0, done.stderr
    ready = (twin / "patches" / P2).read_bytes()
    assert ready != (series_dir / "patches" / P2).read_bytes()
    (series_dir / "patches" / P2).write_bytes(ready)
    result = run("rebase", "--onto", "2.0")
    assert result.exit_code == 0, result.stderr
    assert (series_dir / "patches" / P2).read_bytes() == ready
    history = load(series_dir)["history"][-1]
    assert history["refreshed"] == load(twin)["history"][-1]["refreshed"] - 1
