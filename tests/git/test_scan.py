"""scan.py's range scan: on a long range two `git log`s, one from each end, meeting in the
middle, give exactly what one `git log --name-only` per commit says."""

from __future__ import annotations

import subprocess

import pytest

from patchq.errors import GitError
from patchq.git import RangeReader, Repo, ScanStreams, Sha, scan_range, scan_shas
from patchq.git import scan as scan_module
from tests.builders import Clock, UpstreamRepo, fast_commits, git


def long_history(upstream: UpstreamRepo) -> tuple[str, str]:
    """1.0, then 40 commits with a merged side branch of 5 in the middle: (base, tip)."""
    base = upstream.head()
    clock = Clock()
    first = [(f"Change {i}\n\nChange-Id: I{i:040x}\n", {f"nova/m{i % 7}.py": f"V = {i}\n"})
             for i in range(20)]  # fmt: skip
    middle = fast_commits(upstream.path, "refs/heads/master", base, first, clock)[-1]
    side = [(f"Side {i}\n", {f"nova/side{i}.py": "S\n", "releasenotes/notes/s.yaml": f"{i}\n"})
            for i in range(5)]  # fmt: skip
    side_tip = fast_commits(upstream.path, "refs/heads/side", middle, side, clock)[-1]
    rest = [(f"Later {i}\n", {f"nova/m{i % 5}.py": f"W = {i}\n"}) for i in range(20)]
    fast_commits(upstream.path, "refs/heads/master", middle, rest, clock)
    git(upstream.path, "checkout", "-q", "-f", "master")
    git(upstream.path, "merge", "-q", "--no-ff", "-m", "Merge side", side_tip)
    later = [(f"Last {i}\n", {f"nova/m{i}.py": None if i == 1 else "X\n"}) for i in range(3)]
    fast_commits(upstream.path, "refs/heads/master", upstream.head(), later, clock)
    return base, git(upstream.path, "rev-parse", "master").strip()


@pytest.mark.parametrize(
    ("back_after", "spare"), [(7, True), (1, True), (10_000, True), (1, False)]
)
def test_both_ends_meet_with_every_path_set(
    upstream: UpstreamRepo, monkeypatch: pytest.MonkeyPatch, back_after: int, spare: bool
) -> None:
    base, tip = long_history(upstream)
    monkeypatch.setattr(RangeReader, "BACK_AFTER", back_after)
    monkeypatch.setattr(scan_module, "spare_core", lambda: spare)  # the machine's load
    backs: list[int] = []
    start_back = ScanStreams.start_back

    def counted(self: ScanStreams) -> subprocess.Popen[bytes]:
        backs.append(1)
        return start_back(self)

    monkeypatch.setattr(ScanStreams, "start_back", counted)
    with Repo(upstream.path) as repo:
        seen: list[str] = []
        scan = scan_range(repo, Sha(base), Sha(tip), on_commit=lambda c: seen.append(c.sha))
        one_by_one = scan_shas(repo, [c.sha for c in scan.commits])
    assert backs == ([1] if back_after < 100 and spare else [])
    assert len(scan.commits) == 48  # the merge is left out
    assert scan.commits == one_by_one  # metadata and path sets, as one --name-only log has them
    assert sorted(seen) == sorted(c.sha for c in scan.commits)  # each commit seen once
    assert scan.base_is_ancestor
    deleted = [c for c in scan.commits if c.subject == "Last 1"]
    assert deleted[0].path_key == "nova/m1.py"


def test_a_failing_scan_is_an_error_and_leaves_nothing_running(
    upstream: UpstreamRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, _ = long_history(upstream)
    monkeypatch.setattr(RangeReader, "BACK_AFTER", 3)
    monkeypatch.setattr(scan_module, "spare_core", lambda: True)
    with Repo(upstream.path) as repo:
        streams = ScanStreams(repo, Sha(base), Sha("0" * 40))  # a commit it does not have
        with pytest.raises(GitError, match="failed"):
            RangeReader(repo, streams, None).read()
        procs = [streams.forward, streams.back]
        assert all(p is None or p.returncode is not None for p in procs)
