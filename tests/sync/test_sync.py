"""`patchq sync` against a local Gerrit and Launchpad (tests/sync/upstream_server.py)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from patchq.series import io as series_io
from patchq.sync import http
from tests.builders import UpstreamRepo
from tests.builders import run as run_cli
from tests.sync import upstream_server as fake
from tests.sync.upstream_server import (
    CID_ABANDONED,
    CID_MASTER,
    CID_NEW,
    CID_STABLE_ONLY,
    MERGED_SHA,
    STABLE_SHA,
)

SERIES = """\
version: 1
# nova as the distribution carries it
upstream:
  name: nova
  path: ../nova
  branch: master
  base: 31.0.0
  base_commit: 1201b732c81591a087adcc23bf308b1b7d7399aa
  gerrit: {url}          # our local Gerrit
  launchpad: {url}/lp/1.0
patches:
  # sent upstream in March
  - file: 0001-merged.patch
    status: submitted    # by hand, long ago
    upstream:
      change_id: {CID_MASTER}
      bug: https://bugs.launchpad.net/nova/+bug/2101234

  - file: 0002-new.patch
    status: pending
    upstream:
      change_id: {CID_NEW}
  - file: 0003-abandoned.patch
    status: submitted
    upstream:
      change_id: {CID_ABANDONED}
  # packaging only: never asked about
  - file: 0004-packaging.patch
    status: downstream-only
  - file: 0005-stable.patch
    status: pending
    upstream:
      review: https://review.opendev.org/c/openstack/nova/+/951260
history: []
# end of series
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, fake.Upstream]]:
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(http, "BACKOFF", 0.05)
    with fake.serve() as running:
        yield running


def make_series(root: Path, url: str, text: str = SERIES) -> bytes:
    (root / "patches").mkdir(parents=True, exist_ok=True)
    for n in ("0001-merged", "0002-new", "0003-abandoned", "0004-packaging", "0005-stable"):
        (root / "patches" / f"{n}.patch").write_text(f"Subject: [PATCH] {n}\n\n---\n")
    raw = text.format(
        url=url,
        CID_MASTER=CID_MASTER,
        CID_NEW=CID_NEW,
        CID_ABANDONED=CID_ABANDONED,
    ).encode()
    (root / "series.yaml").write_bytes(raw)
    return raw


def patch_entry(root: Path, file: str) -> dict:  # type: ignore[type-arg]
    loaded = series_io.load(root)
    return next(p for p in loaded.patches if p.file == file).as_dict()


def test_sync_reads_review_and_bug_state_into_series(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, state = server
    make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync")
    assert result.exit_code == 0, result.output
    merged = patch_entry(tmp_path, "0001-merged.patch")
    assert merged["status"] == "merged"
    up = merged["upstream"]
    assert up["commit"] == MERGED_SHA
    assert up["review"] == f"{url}/c/openstack/nova/+/951234"
    assert up["changes"] == [
        {
            "branch": "master",
            "number": 951234,
            "status": "MERGED",
            "commit": MERGED_SHA,
            "merged": "2026-03-20T10:02:11Z",
        },
        {
            "branch": "stable/2025.1",
            "number": 951300,
            "status": "MERGED",
            "commit": STABLE_SHA,
            "merged": "2026-04-02T08:30:00Z",
        },
    ]
    assert up["bug_task"] == {
        "target": "nova",
        "status": "Fix Released",
        "importance": "High",
        "fix_released": "2026-03-25T08:00:00Z",
    }
    assert up["synced_from"] == f"{url}, {url}/lp/1.0"
    new = patch_entry(tmp_path, "0002-new.patch")
    assert new["status"] == "submitted"
    assert new["upstream"]["review"] == f"{url}/c/openstack/nova/+/951240"
    # The same Change-Id MERGED in openstack/nova-specs is not ours.
    assert new["upstream"]["changes"] == [{"branch": "master", "number": 951240, "status": "NEW"}]
    abandoned = patch_entry(tmp_path, "0003-abandoned.patch")
    assert abandoned["status"] == "submitted"  # flagged, not changed silently
    assert abandoned["upstream"]["changes"][0]["status"] == "ABANDONED"
    assert "flag: 0003-abandoned.patch: change 951250 on master is ABANDONED" in result.stdout
    assert "synced" not in patch_entry(tmp_path, "0004-packaging.patch").get("upstream", {})
    stable = patch_entry(tmp_path, "0005-stable.patch")
    assert stable["status"] == "pending"  # NEW on a stable branch only: not the tracked one
    assert stable["upstream"]["change_id"] == CID_STABLE_ONLY
    assert stable["upstream"]["changes"] == [
        {"branch": "stable/2025.1", "number": 951260, "status": "NEW"}
    ]
    # Asked by number first, then by the Change-Id Gerrit gave, to see every branch.
    asked = [p for p in state.requests if p.startswith("/changes/")]
    assert any("change%3A951260" in p for p in asked)
    assert any(f"change%3A{CID_STABLE_ONLY}" in p for p in asked)
    assert (tmp_path / ".patchq" / "sync.json").is_file()
    assert "updated 4, 1 flagged; wrote series.yaml" in result.stdout


def test_sync_keeps_comments_and_blank_lines(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, _ = server
    before = make_series(tmp_path, url).decode()
    assert run_cli("-C", str(tmp_path), "sync").exit_code == 0
    after = (tmp_path / "series.yaml").read_text()
    for line in before.splitlines():
        if ("#" in line or not line.strip()) and "by hand" not in line:
            assert line in after.splitlines(), line
    assert "  - file: 0001-merged.patch\n    status: merged       # by hand, long ago\n" in after
    assert after.endswith("history: []\n# end of series\n")
    # A second sync with the same answers only moves the sync time.
    second = run_cli("-C", str(tmp_path), "sync")
    assert "updated 0, 1 flagged" in second.stdout


def test_paging_follows_more_changes(tmp_path: Path, server: tuple[str, fake.Upstream]) -> None:
    url, state = server
    state.page_size = 1
    make_series(tmp_path, url)
    assert run_cli("-C", str(tmp_path), "sync", "0001-merged").exit_code == 0
    pages = [p for p in state.requests if f"change%3A{CID_MASTER}" in p]
    assert len(pages) == 2 and "S=1" in pages[1]
    branches = [
        c["branch"] for c in patch_entry(tmp_path, "0001-merged.patch")["upstream"]["changes"]
    ]
    assert branches == ["master", "stable/2025.1"]


def test_dry_run_prints_the_table_and_writes_nothing(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, _ = server
    raw = make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "series.yaml").read_bytes() == raw
    assert not (tmp_path / ".patchq").exists()  # not even the lock
    out = result.stdout
    assert "changes (dry run: nothing written)" in out
    row = next(line for line in out.splitlines() if "0002-new.patch" in line)
    assert "status" in row and "pending" in row and "submitted" in row
    assert "would update 4, 1 flagged; nothing written" in out


def test_json_output(tmp_path: Path, server: tuple[str, fake.Upstream]) -> None:
    url, _ = server
    make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync", "--format", "json", "0002-new")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["written"] is True and data["dry_run"] is False and data["offline"] is False
    assert data["gerrit"] == url and data["project"] == "openstack/nova"
    assert data["questions"] == 1 and data["answers_fetched"] is None
    [patch] = data["patches"]
    assert patch["file"] == "0002-new.patch"
    assert (patch["status_before"], patch["status"]) == ("pending", "submitted")
    assert {"field": "status", "before": "pending", "after": "submitted"} in patch["updates"]
    assert patch["changes"] == [{"branch": "master", "number": 951240, "status": "NEW"}]


def test_offline_replays_the_kept_answers_and_says_how_old(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, state = server
    raw = make_series(tmp_path, url)
    assert run_cli("-C", str(tmp_path), "sync").exit_code == 0
    online = (tmp_path / "series.yaml").read_bytes()
    (tmp_path / "series.yaml").write_bytes(raw)
    asked = len(state.requests)
    result = run_cli("-C", str(tmp_path), "sync", "--offline")
    assert result.exit_code == 0, result.output
    assert len(state.requests) == asked  # no network
    assert (tmp_path / "series.yaml").read_bytes() == online
    assert "offline: answers kept in .patchq/sync.json, fetched 20" in result.stdout
    assert " s ago)" in result.stdout


def test_offline_without_kept_answers_is_refused(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, _ = server
    raw = make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync", "--offline")
    assert result.exit_code == 2
    assert "no answers kept in" in result.stderr and "without --offline" in result.stderr
    assert (tmp_path / "series.yaml").read_bytes() == raw


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        (["500", "500"], "answered HTTP 500"),
        (["404"], "answered HTTP 404"),
        (["html"], "is not JSON (it starts '<html><body>Sign in</body></html>')"),
        (["slow"], "no answer within 0.5 s"),
        (["reset", "reset"], "the connection was reset twice"),
        (["429:3600"], "it asks to wait 3600 s"),
        (["301"], "redirects to https://review.example.org/changes/: put that server in"),
    ],
)
def test_a_failure_names_the_server_and_writes_nothing(
    tmp_path: Path,
    server: tuple[str, fake.Upstream],
    monkeypatch: pytest.MonkeyPatch,
    faults: list[str],
    message: str,
) -> None:
    url, state = server
    monkeypatch.setattr(http, "TIMEOUT", 0.5)
    state.slow_seconds = 1.5
    raw = make_series(tmp_path, url)
    state.faults = list(faults)
    result = run_cli("-C", str(tmp_path), "sync", "0002-new")
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"patchq: error: {url}: ")
    assert message in line and "nothing written" in line
    assert (tmp_path / "series.yaml").read_bytes() == raw
    assert not (tmp_path / ".patchq" / "sync.json").exists()


def test_one_failure_among_many_writes_nothing(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, state = server
    raw = make_series(tmp_path, url)
    state.faults = ["", "", "html"]  # the third request of several
    result = run_cli("-C", str(tmp_path), "sync")
    assert result.exit_code == 2
    assert (tmp_path / "series.yaml").read_bytes() == raw


def test_server_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"  # nothing listens there any more
    raw = make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync")
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"patchq: error: {url}: cannot connect")
    assert (tmp_path / "series.yaml").read_bytes() == raw


@pytest.mark.parametrize("faults", [["500"], ["503"], ["reset"], ["noxssi"], ["429:0"], ["429"]])
def test_a_retry_or_a_tolerable_answer_succeeds(
    tmp_path: Path, server: tuple[str, fake.Upstream], faults: list[str]
) -> None:
    url, state = server
    make_series(tmp_path, url)
    state.faults = list(faults)
    result = run_cli("-C", str(tmp_path), "sync", "0002-new")
    assert result.exit_code == 0, result.output
    assert patch_entry(tmp_path, "0002-new.patch")["status"] == "submitted"
    expected = 1 if faults == ["noxssi"] else 2
    assert len(state.requests) == expected


def test_at_most_four_requests_in_flight(tmp_path: Path, server: tuple[str, fake.Upstream]) -> None:
    url, state = server
    text = SERIES.replace(
        "history: []",
        "".join(
            f"  - file: 01{i:02d}-bug.patch\n    upstream:\n"
            f"      bug: https://bugs.launchpad.net/nova/+bug/{3000000 + i}\n"
            for i in range(12)
        )
        + "history: []",
    )
    make_series(tmp_path, url, text)
    for i in range(12):
        (tmp_path / "patches" / f"01{i:02d}-bug.patch").write_text("x\n")
        state.bugs[3000000 + i] = [fake.task("nova", "Triaged", "Medium")]
    state.faults = ["hold"] * 20
    result = run_cli("-C", str(tmp_path), "sync")
    assert result.exit_code == 0, result.output
    assert 2 <= state.max_in_flight <= 4
    assert patch_entry(tmp_path, "0111-bug.patch")["upstream"]["bug_task"]["status"] == "Triaged"


def test_missing_launchpad_bug_is_a_note(tmp_path: Path, server: tuple[str, fake.Upstream]) -> None:
    url, state = server
    state.bugs.clear()
    make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync", "1")
    assert result.exit_code == 0, result.output
    assert "note: 0001-merged.patch: Launchpad shows no task" in result.stdout
    assert patch_entry(tmp_path, "0001-merged.patch")["status"] == "merged"


def test_verbose_logs_each_request(tmp_path: Path, server: tuple[str, fake.Upstream]) -> None:
    url, _ = server
    make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "-v", "sync", "0002-new")
    assert result.exit_code == 0
    assert f"GET {url}/changes/?q=change%3A{CID_NEW}+project%3Aopenstack%2Fnova" in result.stderr


def test_hand_broken_sync_keys_are_refused(tmp_path: Path) -> None:
    make_series(tmp_path, "http://127.0.0.1:9")
    text = (tmp_path / "series.yaml").read_text()
    broken = text.replace(
        "      change_id: " + CID_NEW,
        "      change_id: " + CID_NEW + "\n      changes:\n        - branch: master\n"
        "          number: 951240\n          status: MERGD",
    )
    (tmp_path / "series.yaml").write_text(broken)
    result = run_cli("-C", str(tmp_path), "list")
    assert result.exit_code == 2
    assert "unknown Gerrit status 'MERGD'" in result.stderr


def test_review_number_forms() -> None:
    from patchq.sync.gerrit import review_number

    assert review_number("https://review.opendev.org/c/openstack/nova/+/951234") == 951234
    assert review_number("https://review.opendev.org/c/openstack/nova/+/951234/3") == 951234
    assert review_number("https://review.opendev.org/#/c/951234/") == 951234
    assert review_number("https://review.opendev.org/951234") == 951234
    assert review_number("https://example.org/nothing") is None


def test_check_flags_an_abandoned_submitted_patch_pq015(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, _ = server
    make_series(tmp_path, url)
    assert run_cli("-C", str(tmp_path), "sync").exit_code == 0
    result = run_cli("-C", str(tmp_path), "check", "--format", "json")
    found = [f for f in json.loads(result.stdout) if f["id"] == "PQ015"]
    assert [(f["patch"], f["severity"]) for f in found] == [("0003-abandoned.patch", "error")]
    assert "its change 951250 on master was ABANDONED" in found[0]["message"]
    assert found[0]["line"] is not None


def test_check_flags_a_merged_patch_the_base_contains_pq015(
    tmp_path: Path, server: tuple[str, fake.Upstream], upstream: UpstreamRepo
) -> None:
    url, state = server
    landed = upstream.commit("Fix the thing upstream", {"nova/fix.py": "fixed = True\n"})
    upstream.tag("31.0.0")
    state.changes[0]["current_revision"] = landed
    root = tmp_path / "pkg"
    text = SERIES.replace("path: ../nova", f"path: {upstream.path}").replace(
        "1201b732c81591a087adcc23bf308b1b7d7399aa", landed
    )
    make_series(root, url, text)
    assert run_cli("-C", str(root), "sync").exit_code == 0
    result = run_cli("-C", str(root), "check", "--format", "json")
    found = [f for f in json.loads(result.stdout) if f["id"] == "PQ015"]
    assert [f["patch"] for f in found] == ["0001-merged.patch", "0003-abandoned.patch"]
    assert f"merged upstream as {landed[:12]} (change 951234)" in found[0]["message"]


def test_check_sync_age_pq016(tmp_path: Path, server: tuple[str, fake.Upstream]) -> None:
    url, _ = server
    text = SERIES.replace("patches:\n", "policy:\n  max_sync_age_days: 30\npatches:\n", 1)
    make_series(tmp_path, url, text)
    before = run_cli("-C", str(tmp_path), "check", "--format", "json")
    stale = [f for f in json.loads(before.stdout) if f["id"] == "PQ016"]
    assert len(stale) == 4 and "never synced with upstream" in stale[0]["message"]
    assert run_cli("-C", str(tmp_path), "sync").exit_code == 0
    after = run_cli("-C", str(tmp_path), "check", "--format", "json")
    assert not [f for f in json.loads(after.stdout) if f["id"] == "PQ016"]
    aged = (tmp_path / "series.yaml").read_text().replace("synced: 20", "synced: 19", 1)
    (tmp_path / "series.yaml").write_text(aged)
    old = run_cli("-C", str(tmp_path), "check", "--format", "json")
    [finding] = [f for f in json.loads(old.stdout) if f["id"] == "PQ016"]
    assert (
        finding["patch"] == "0001-merged.patch"
        and "over policy max_sync_age_days 30" in (finding["message"])
    )


def test_report_shows_review_bug_and_sync_state(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, _ = server
    make_series(tmp_path, url)
    assert run_cli("-C", str(tmp_path), "sync").exit_code == 0
    markdown = run_cli("-C", str(tmp_path), "report", "--format", "markdown").stdout
    row = next(line for line in markdown.splitlines() if line.startswith("| 1 | "))
    assert "master MERGED, stable/2025.1 MERGED; bug Fix Released (High); synced 20" in row
    html = run_cli("-C", str(tmp_path), "report", "--format", "html").stdout
    assert '<li class="muted">master ABANDONED; synced 20' in html
    data = json.loads(run_cli("-C", str(tmp_path), "report", "--format", "json").stdout)
    assert [c["status"] for c in data["patches"][0]["review_state"]] == ["MERGED", "MERGED"]
    assert data["patches"][0]["bug_state"]["status"] == "Fix Released"


def test_retry_after_forms() -> None:
    import email.utils
    import time

    from patchq.sync.http import _retry_after_seconds

    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds(None) == 1.0
    assert _retry_after_seconds("soon") == 1.0
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= _retry_after_seconds(later) <= 31


def test_what_a_hostile_server_sends_is_not_recorded(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, state = server
    state.changes = [
        fake.change(951240, CID_NEW, "MERGED", revision="not-a-sha\nx: y", submitted="soon"),
        fake.change(951241, CID_NEW, "NEW", branch="stable/\x1b[31mred"),
        fake.change(951242, CID_NEW, "DRAFT", branch="stable/2025.2"),
    ]
    make_series(tmp_path, url)
    result = run_cli("-C", str(tmp_path), "sync", "0002-new")
    assert result.exit_code == 0, result.output
    up = patch_entry(tmp_path, "0002-new.patch")["upstream"]
    assert up["changes"] == [{"branch": "master", "number": 951240, "status": "MERGED"}]
    assert "commit" not in up  # no sha: nothing to record as the merged commit
    assert "\x1b" not in result.stdout


def test_offline_skips_a_patch_without_a_kept_answer(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, _ = server
    make_series(tmp_path, url)
    assert run_cli("-C", str(tmp_path), "sync", "0002-new").exit_code == 0
    result = run_cli("-C", str(tmp_path), "sync", "--offline", "0002-new", "0003-abandoned")
    assert result.exit_code == 0, result.output
    assert "skipped: 0003-abandoned.patch: no answer kept for it: run `patchq sync` online" in (
        result.stdout
    )
    assert "changes" not in patch_entry(tmp_path, "0003-abandoned.patch")["upstream"]


def test_sync_waits_for_a_rebase_in_progress(
    tmp_path: Path, server: tuple[str, fake.Upstream]
) -> None:
    url, state = server
    raw = make_series(tmp_path, url)
    (tmp_path / ".patchq" / "rebase").mkdir(parents=True)
    result = run_cli("-C", str(tmp_path), "sync")
    assert result.exit_code == 2
    assert "a rebase is in progress" in result.stderr and "`patchq sync` must wait" in result.stderr
    assert (tmp_path / "series.yaml").read_bytes() == raw and state.requests == []


@pytest.mark.parametrize("where", ["after the base", "not fetched"])
def test_a_merged_commit_outside_the_base_is_no_pq015(
    tmp_path: Path, server: tuple[str, fake.Upstream], upstream: UpstreamRepo, where: str
) -> None:
    url, state = server
    base = upstream.head()
    later = upstream.commit("Fix the thing upstream", {"nova/fix.py": "fixed = True\n"})
    state.changes[0]["current_revision"] = later if where == "after the base" else "f" * 40
    root = tmp_path / "pkg"
    text = SERIES.replace("path: ../nova", f"path: {upstream.path}").replace(
        "1201b732c81591a087adcc23bf308b1b7d7399aa", base
    )
    make_series(root, url, text)
    assert run_cli("-C", str(root), "sync", "1").exit_code == 0
    result = run_cli("-C", str(root), "check", "--format", "json")
    assert not [f for f in json.loads(result.stdout) if f["id"] == "PQ015"]


def test_a_server_that_is_not_http_is_refused(tmp_path: Path) -> None:
    raw = make_series(tmp_path, "file:///etc")
    result = run_cli("-C", str(tmp_path), "sync")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "patchq: error: series.yaml: upstream server 'file:///etc' is not an http(s) URL: "
        "fix upstream.gerrit or upstream.launchpad"
    )
    assert (tmp_path / "series.yaml").read_bytes() == raw
