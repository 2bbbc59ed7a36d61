"""The git boundary owns what it opens: a Repo's object writer and its deferred cache write
live and die with it (no module-level registry), and git's formats are read in patchq/git."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchq.git import Repo, Sha, objects, packs
from patchq.series.workspace import Workspace
from patchq.status import pipeline as status
from patchq.status.cache import cache_path
from tests.builders import Downstream, UpstreamRepo, git


def test_a_library_caller_of_evaluate_gets_its_cache_written_on_close(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    down = Downstream(upstream, tmp_path / "down")
    down.commit("Add a line", {"README.rst": "nova\ndownstream\n"})
    down.export(series_dir)
    upstream.commit("Upstream work", {"nova/conf.py": "x = 1\n"})
    ws = Workspace(series_dir)
    current = ws.load()
    with ws.open_repo(current) as repo:
        result = status.evaluate(ws, current, repo, against="master")
        path = cache_path(repo)
    assert [p.state for p in result.patches] == ["applies"]
    data = json.loads(path.read_text())
    assert data["format"] == "patchq-commit-cache" and data["ranges"]


def test_each_repo_has_its_own_object_writer_closed_with_it(upstream: UpstreamRepo) -> None:
    assert not [name for name in vars(packs) if name.isupper() and name.startswith("_")]
    with Repo(upstream.path) as one, Repo(upstream.path) as two:
        assert one.objects is one.objects and one.objects is not two.objects
        sha = one.objects.write("blob", b"in memory\n")
        assert one.objects.read(sha) == ("blob", b"in memory\n")
        loose = one.write_object("blob", b"on disk\n")
    assert one._objects is None  # closed: the next use would start afresh
    assert git(upstream.path, "cat-file", "-p", loose) == "on disk\n"
    with pytest.raises(AssertionError, match="cat-file"):  # never flushed: dropped
        git(upstream.path, "cat-file", "-t", sha)


def test_first_parent_chain_reads_commit_headers(upstream: UpstreamRepo) -> None:
    base = upstream.head()
    first = upstream.commit("One", {"a.txt": "1\n"})
    second = upstream.commit("Two", {"a.txt": "2\n"})
    with Repo(upstream.path) as repo:
        assert repo.first_parent_chain(Sha(base), Sha(second)) == [first, second]
        assert objects.commit_parents(repo.read_object(second)[1]) == [first]


def test_patch_ids_survive_a_message_line_that_starts_with_a_sha(upstream: UpstreamRepo) -> None:
    """git patch-id starts a new patch at any line that begins with 40 hex digits; a commit
    message quoting a sha at the start of a line must not shift (or break) the mapping."""
    sha = upstream.commit("Quote a sha", {"a.txt": "1\n"})
    message = f"Backport\n\n{sha}\nis where it came from\n"
    diff = b"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-1\n+2\n"
    quoting = b"Subject: [PATCH] " + message.encode() + b"---\n" + diff
    with Repo(upstream.path) as repo:
        plain, quoted = repo.patch_ids([diff, quoting])
    assert plain is not None and quoted == plain
