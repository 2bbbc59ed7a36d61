"""detect: each landed-evidence kind as the pure function it is, on commits scanned from a real
upstream where that matters (reverts, abbreviated shas) and on hand-made ones for the edges."""

from __future__ import annotations

import pytest

from patchq.git import Repo, ScannedCommit, Sha, scan_range
from patchq.status.detect import (
    SIMILAR_MIN_SCORE,
    Carried,
    PrefixIndex,
    best_similar,
    by_change_id,
    by_cherry_pick,
    by_patch_id,
    changed_lines,
    line_similarity,
    live_commits,
    patch_id_candidates,
    similar_candidates,
    unresolved_picks,
)
from tests.builders import NOVA_CONF, UpstreamRepo, git


def commit(
    full: str, *, cids: tuple[str, ...] = (), reverts: str | None = None, paths: str = "f"
) -> ScannedCommit:
    return ScannedCommit(Sha(full), f"subject {full[:4]}", cids, reverts, paths)


def carried(
    index: int,
    *,
    cids: frozenset[str] = frozenset(),
    picked: tuple[str, ...] = (),
    paths: str = "f",
    pid: str | None = None,
) -> Carried:
    return Carried(index, cids, picked, paths, pid)


def sha(c: str) -> str:
    return c * 40


def test_reverts_scanned_from_a_real_upstream(upstream: UpstreamRepo) -> None:
    base = upstream.head()
    kept = upstream.commit("Keep this", {"nova/conf.py": NOVA_CONF + "KEEP = 1\n"})
    undone = upstream.commit("Undo me later", {"nova/a.py": "A = 1\n"})
    git(upstream.path, "revert", "--no-edit", undone)
    revert = upstream.head()
    back = upstream.commit("Again", {"nova/b.py": "B = 1\n"})
    git(upstream.path, "revert", "--no-edit", back)
    git(upstream.path, "revert", "--no-edit", "HEAD")  # reverting the revert brings `back` back
    with Repo(upstream.path) as repo:
        scanned = scan_range(repo, Sha(base), Sha(upstream.head())).commits
    assert [c.reverts for c in scanned if c.sha == revert] == [undone]
    live = [c.sha for c in live_commits(scanned)]
    assert live == [kept, back]


def test_a_revert_named_by_an_abbreviated_sha_still_counts() -> None:
    target = commit(sha("a"))
    scanned = [target, commit(sha("b"), reverts="aaaaaaa"), commit(sha("c"))]
    assert live_commits(scanned) == [scanned[2]]
    # No revert at all: the same list, a copy.
    plain = [target, scanned[2]]
    got = live_commits(plain)
    assert got == plain and got is not plain


def test_a_revert_of_a_commit_before_the_range_is_a_change_like_any_other() -> None:
    # A downstream patch may carry the same revert upstream later made: that is evidence.
    scanned = [commit(sha("a")), commit(sha("b"), reverts="f" * 12)]
    assert live_commits(scanned) == scanned


def test_prefix_index() -> None:
    index = PrefixIndex(["abc1" + "0" * 36, "abc2" + "0" * 36, "def" + "0" * 37])
    assert index.find("abc1") == "abc1" + "0" * 36
    assert index.find("ABC2") == "abc2" + "0" * 36  # case-insensitive
    assert index.find("abc") is None  # ambiguous
    assert index.find("abd") is None
    assert index.find("def") == "def" + "0" * 37
    assert PrefixIndex([]).find("a") is None


def test_change_id_takes_the_first_live_commit_and_the_smallest_id() -> None:
    live = [
        commit(sha("1"), cids=("Ib",)),
        commit(sha("2"), cids=("Ia",)),
        commit(sha("3"), cids=("Ia", "Ic")),
    ]
    patches = [
        carried(0, cids=frozenset({"Ia", "Ib"})),  # Ia sorts first: commit 2, not 1
        carried(1, cids=frozenset({"Ic"})),
        carried(2, cids=frozenset({"Iz"})),
        carried(3),
    ]
    assert by_change_id(patches, live) == {0: sha("2"), 1: sha("3")}


def test_cherry_pick_looks_in_the_range_then_in_what_the_caller_resolved() -> None:
    live = [commit(sha("a")), commit(sha("b"))]
    patches = [
        carried(0, picked=("aaaaaaaa",)),
        carried(1, picked=("9" * 40, "bbbbbbb")),  # the first recorded is not in the range
        carried(2, picked=("c" * 40,)),
        carried(3, picked=("d" * 40,)),
    ]
    reachable = {"c" * 40: "c" * 40}
    assert by_cherry_pick(patches, live, reachable) == {0: sha("a"), 1: sha("b"), 2: sha("c")}
    assert by_cherry_pick([carried(0)], live, reachable) == {}
    assert unresolved_picks(patches, live) == ["9" * 40, "c" * 40, "d" * 40]
    assert unresolved_picks([carried(0)], live) == []


def test_patch_id_needs_the_same_paths_and_takes_the_first_live_commit() -> None:
    live = [
        commit(sha("1"), paths="a\nb"),
        commit(sha("2"), paths="a"),
        commit(sha("3"), paths="a\nb"),
    ]
    patches = [carried(0, paths="a\nb", pid="p1"), carried(1, paths="c", pid="p2"), carried(2)]
    assert patch_id_candidates(patches, live) == [sha("1"), sha("3")]
    ids = {sha("1"): "p9", sha("3"): "p1", sha("2"): "p1"}
    assert by_patch_id(patches, live, ids) == {0: sha("2")}
    assert by_patch_id([carried(0, paths="a\nb", pid=None)], live, ids) == {}
    assert similar_candidates(patches, live) == {0: [sha("1"), sha("3")]}
    assert similar_candidates([carried(5, paths="a")], live) == {5: [sha("2")]}


DIFF = b"""\
diff --git a/nova/conf.py b/nova/conf.py
--- a/nova/conf.py
+++ b/nova/conf.py
@@ -1,4 +1,5 @@
 DEFAULTS = {
-    "workers": 4,
+    "workers": 8,
+
+    "rbd_timeout": 60,
 }
"""


def test_changed_lines_ignore_whitespace_headers_and_blank_lines() -> None:
    lines = changed_lines(DIFF)
    assert len(lines) == 3 and [x[0] for x in lines] == ["-", "+", "+"]
    respaced = DIFF.replace(b'+    "workers": 8,', b'+  "workers" :8,')
    assert changed_lines(respaced) == lines
    other = DIFF.replace(b'"workers": 8', b'"workers": 16')
    assert changed_lines(other)[1] != lines[1]
    assert changed_lines(b"--- a/x\n+++ b/x\n") == []


def test_similarity_and_its_threshold() -> None:
    assert line_similarity(["+a", "-b"], ["+a", "-b"]) == 1.0
    assert line_similarity(["+a", "+a"], ["+a"]) == 0.5  # a multiset: duplicates count
    assert line_similarity([], []) == 0.0
    assert line_similarity(["+a"], ["-a"]) == 0.0  # added is not removed
    prints = {"half": ["+a", "+b"], "third": ["+a", "+x", "+y"], "all": ["+a", "+b", "+c"]}
    ours = ["+a", "+b", "+c"]
    assert best_similar(ours, ["half", "third", "all"], prints) == ("all", 1.0)
    assert line_similarity(ours, prints["half"]) == pytest.approx(2 / 3)
    assert best_similar(ours, ["third", "missing"], prints) is None  # 1/5 and 0: below the bar
    at_bar = {"x": ["+a", "+b", "+q", "+r"]}
    assert line_similarity(["+a", "+b"], at_bar["x"]) == SIMILAR_MIN_SCORE
    assert best_similar(["+a", "+b"], ["x"], at_bar) == ("x", SIMILAR_MIN_SCORE)
