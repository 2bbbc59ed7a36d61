"""Issue 10: moving a series from a stable point release (31.1.0) to the next release
(32.0.0), which does not contain it; the history is release_history's OpenStack shape."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.builders import Clock, git, run
from tests.status.release_history import ReleaseHistory, build, build_series, cid

P = [
    "0001-Count-cores-in-quota",
    "0002-Retry-network-calls",
    "0003-Validate-the-volume-size",
    "0004-Weigh-and-filter-hosts",
    "0005-Add-a-console-banner",
    "0006-Log-volume-detach",
    "0007-Name-the-boot-log",
]


@pytest.fixture(scope="module")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module (fixed dates: the shas are the same each time), copied per test."""
    import os

    path = tmp_path_factory.mktemp("release") / "nova"
    saved = dict(os.environ)
    os.environ.update(
        {
            "GIT_AUTHOR_NAME": "A U Thor",
            "GIT_AUTHOR_EMAIL": "author@example.com",
            "GIT_COMMITTER_NAME": "C O Mitter",
            "GIT_COMMITTER_EMAIL": "committer@example.com",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
    )
    try:
        up = build(path)
        build_series(up)
        (path.parent / "shas.json").write_text(json.dumps(up.sha))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return path


@pytest.fixture
def nova(history_template: Path, tmp_path: Path) -> ReleaseHistory:
    subprocess.run(["cp", "-a", str(history_template), str(tmp_path / "nova")], check=True)
    up = ReleaseHistory.__new__(ReleaseHistory)
    up.path = tmp_path / "nova"
    up.clock = Clock(1800000000)
    up.sha = json.loads((history_template.parent / "shas.json").read_text())
    return up


@pytest.fixture
def series(nova: ReleaseHistory, workdir: Path) -> Path:
    assert run("init", "--upstream", str(nova.path), "--base", "31.1.0").exit_code == 0
    imported = run("import", "--range", "31.1.0..downstream")
    assert imported.exit_code == 0, imported.stderr
    return workdir


def status_json(*args: str) -> dict[str, Any]:
    result = run("status", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def behind(
    sha: dict[str, str], name: str, state: str, subject: str, change: str, up: str | None
) -> dict[str, Any]:
    return {
        "commit": sha[name],
        "subject": subject,
        "change_id": cid(change),
        "state": state,
        "upstream_commit": sha[up] if up else None,
    }


def expected_left_behind(sha: dict[str, str]) -> list[dict[str, Any]]:
    return [
        behind(
            sha,
            "gitreview",
            "lost",
            "[stable-only] Update .gitreview for stable/2025.1",
            "gitreview",
            None,
        ),
        # cherry-picked from master: its origin
        behind(sha, "rc2", "in-target", "Fix a race in compute start-up", "rc2", "fix_rc2"),
        # by hand, same Change-Id
        behind(sha, "bp1_stable", "in-target", "Handle timeouts in conf", "bp1", "bp1"),
        # by hand, new Change-Id, same diff: patch-id
        behind(sha, "bp2_stable", "in-target", "Tidy conf comments on stable", "bp2-stable", "bp2"),
        behind(sha, "virt", "lost", "[stable-only] Fix volume detach on stable", "virt", None),
        # cherry-picked from master's "Cache flavors", which master then reverted
        behind(sha, "cache_stable", "lost", "Cache flavors", "cache", None),
    ]


def test_status_against_the_next_release_exact_json(series: Path, nova: ReleaseHistory) -> None:
    sha = nova.sha
    apart = ["git", "-C", str(nova.path), "merge-base", "--is-ancestor", "31.1.0", "32.0.0"]
    assert subprocess.run(apart).returncode == 1
    data = status_json("--against", "32.0.0")
    assert list(data) == [
        "base", "base_commit", "against", "against_commit", "patches", "left_behind"
    ]  # fmt: skip
    assert data["base_commit"] == sha["cache_stable"]
    assert data["against_commit"] == sha["api_rename"]
    rows = [
        ("pending", "landed", ["patch-id", "reverse-apply"], "quota", []),
        ("pending", "landed", ["change-id"], "network", []),
        ("backport", "landed", ["patch-id", "change-id", "cherry-pick", "reverse-apply"],
         "volume", []),
        # made upstream in two commits merged together: the merge's side names the commit
        ("pending", "landed", ["reverse-apply"], "sched2", []),
        # its origin was reverted upstream: no evidence, it still applies
        ("backport", "applies", [], None, []),
        # context from the stable-only fix that 32.0.0 lacks: the 3-way carry takes it
        ("pending", "applies", [], None, []),
        ("pending", "conflicts", [], None, ["nova/api.py"]),
    ]  # fmt: skip
    subjects = [
        "Count cores in quota", "Retry network calls", "Validate the volume size",
        "Weigh and filter hosts", "Add a console banner", "Log volume detach",
        "Name the boot log",
    ]  # fmt: skip
    assert data["patches"] == [
        {
            "name": name,
            "file": f"{name}.patch",
            "subject": subject,
            "status": status,
            "state": state,
            "evidence": evidence,
            "upstream_commit": sha[upstream] if upstream else None,
            "conflicts": conflicts,
            "similar": None,
        }
        for name, subject, (status, state, evidence, upstream, conflicts) in zip(
            P, subjects, rows, strict=True
        )
    ]
    assert data["left_behind"] == expected_left_behind(sha)


def test_status_text_summary_and_lost_rows(series: Path, nova: ReleaseHistory) -> None:
    sha = nova.sha
    result = run("status", "--against", "32.0.0")
    assert result.exit_code == 0, result.stderr
    tail = result.stdout.splitlines()[-5:]
    assert tail == [
        "7 patches: 4 landed, 2 apply, 1 conflicts",
        "31.1.0 has 6 commits that 32.0.0 lacks: 3 are in 32.0.0 as other commits, "
        "3 would be lost:",
        f"  {sha['gitreview'][:12]} [stable-only] Update .gitreview for stable/2025.1",
        f"  {sha['virt'][:12]} [stable-only] Fix volume detach on stable",
        f"  {sha['cache_stable'][:12]} Cache flavors",
    ]
    warm = run("status", "--against", "32.0.0")  # from the cache: the same answer
    assert warm.stdout == result.stdout


def test_base_an_ancestor_gives_an_empty_list(series: Path, nova: ReleaseHistory) -> None:
    git(nova.path, "tag", "31.1.0-next", "downstream")
    data = status_json("--against", "31.1.0-next")
    assert data["left_behind"] == []
    text = run("status", "--against", "31.1.0-next").stdout
    assert "lacks" not in text


def test_other_shapes(series: Path, nova: ReleaseHistory) -> None:
    sha = nova.sha
    # REF an ancestor of base: nothing upstream, everything after REF is left behind
    back = status_json("--against", "31.0.0")
    assert [c["commit"] for c in back["left_behind"]] == [
        sha[n] for n in ("bp1_stable", "bp2_stable", "virt", "cache_stable")
    ]
    assert {c["state"] for c in back["left_behind"]} == {"lost"}
    assert [p["state"] for p in back["patches"]] == ["applies"] * 7
    # REF equal to base
    same = status_json("--against", "31.1.0")
    assert same["left_behind"] == []
    refused = run("rebase", "--onto", "31.1.0")
    assert refused.exit_code == 2 and "already on 31.1.0" in refused.stderr
    # REF a branch, not a tag
    branch = status_json("--against", "master")
    assert branch["left_behind"] == expected_left_behind(sha)
    # unrelated history: one line, exit 2
    git(nova.path, "checkout", "-q", "--orphan", "other")
    git(nova.path, "commit", "-q", "--allow-empty", "-m", "elsewhere")
    git(nova.path, "tag", "elsewhere")
    git(nova.path, "checkout", "-q", "-f", "master")
    for args in (
        ("status", "--against", "elsewhere"),
        ("rebase", "--onto", "elsewhere", "--dry-run"),
        ("check", "--against", "elsewhere"),
        ("report", "--against", "elsewhere"),
        ("apply", "--onto", "elsewhere", "--branch", "x"),
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stdout, result.stderr)
        assert "share no history" in result.stderr, args
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_base_a_merge_commit(nova: ReleaseHistory, workdir: Path) -> None:
    sha = nova.sha
    assert run("init", "--upstream", str(nova.path), "--base", sha["sched_merge"]).exit_code == 0
    data = status_json("--against", "stable/2025.1")
    assert [c["commit"] for c in data["left_behind"]] == [
        sha[n]
        for n in (
            *("fix_rc2", "bp1", "bp2", "cache", "quota", "network", "volume", "api_log"),
            *("sched1", "sched2"),
        )
    ]
    states = {c["commit"]: (c["state"], c["upstream_commit"]) for c in data["left_behind"]}
    assert states[sha["fix_rc2"]] == ("in-target", sha["rc2"])  # same Change-Id
    assert states[sha["cache"]] == ("in-target", sha["cache_stable"])
    assert states[sha["quota"]] == ("lost", None)


def test_rebase_dry_run_and_rebase_print_the_summary_and_record_it(
    series: Path, nova: ReleaseHistory
) -> None:
    sha = nova.sha
    summary = [
        "31.1.0 has 6 commits that 32.0.0 lacks: 3 are in 32.0.0 as other commits, "
        "3 would be lost:",
        f"  {sha['gitreview'][:12]} [stable-only] Update .gitreview for stable/2025.1",
        f"  {sha['virt'][:12]} [stable-only] Fix volume detach on stable",
        f"  {sha['cache_stable'][:12]} Cache flavors",
    ]
    dry = run("rebase", "--onto", "32.0.0", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[-5:-1] == summary
    assert lines[-1].startswith("rebase onto 32.0.0 (")
    stopped = run("rebase", "--onto", "32.0.0")
    assert stopped.exit_code == 1
    assert stopped.stdout.splitlines()[-4:] == summary
    done = run("rebase", "--skip", "--reason", "upstream renamed it")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines()[-5:-1] == summary
    entry = yaml.safe_load((series / "series.yaml").read_text())["history"][-1]
    assert entry["left_behind"] == {
        "lost": [
            {
                "commit": sha["gitreview"],
                "subject": "[stable-only] Update .gitreview for stable/2025.1",
                "change_id": cid("gitreview"),
            },
            {
                "commit": sha["virt"],
                "subject": "[stable-only] Fix volume detach on stable",
                "change_id": cid("virt"),
            },
            {"commit": sha["cache_stable"], "subject": "Cache flavors", "change_id": cid("cache")},
        ],
        "in_target": 3,
    }
    assert [d["file"] for d in entry["dropped"]] == [f"{p}.patch" for p in P[:4]]
    assert entry["carried"] == 2
    listed = yaml.safe_load((series / "series.yaml").read_text())
    assert listed["upstream"]["base"] == "32.0.0"
    # the carried patch whose context came from the lost stable-only fix, refreshed onto 32.0.0
    virt = (series / "patches" / f"{P[5]}.patch").read_text()
    assert "-virt_23 = 23\n+virt_23 = 'logged'\n" in virt
    assert " virt_20 = 20\n" in virt


def git_rebase_stops(nova: ReleaseHistory, tmp_path: Path) -> list[str]:
    """`git rebase --onto 32.0.0 31.1.0` of the downstream branch, --skip on each stop: the
    subjects of the patches it stopped on."""
    clone = tmp_path / "git-rebase"
    subprocess.run(["git", "clone", "-q", str(nova.path), str(clone)], check=True)
    git(clone, "checkout", "-q", "-b", "work", "origin/downstream")
    stops = []
    proc = subprocess.run(
        ["git", "-C", str(clone), "rebase", "--onto", "32.0.0", "31.1.0"], capture_output=True
    )
    while proc.returncode != 0:
        stopped = git(clone, "log", "-1", "--format=%s", "REBASE_HEAD").strip()
        stops.append(stopped)
        proc = subprocess.run(["git", "-C", str(clone), "rebase", "--skip"], capture_output=True)
    return stops


def test_rebase_stops_on_no_more_patches_than_git(
    series: Path, nova: ReleaseHistory, tmp_path: Path
) -> None:
    by_git = git_rebase_stops(nova, tmp_path)
    assert "Name the boot log" in by_git
    by_patchq = []
    result = run("rebase", "--onto", "32.0.0")
    while result.exit_code == 1:
        state = json.loads((series / ".patchq" / "rebase" / "state.json").read_text())
        by_patchq.append(state["conflict"]["subject"])
        result = run("rebase", "--skip")
    assert result.exit_code == 0, result.stderr
    assert by_patchq == ["Name the boot log"]
    assert len(by_patchq) <= len(by_git)


def test_check_warns_pq013_for_each_lost_commit(series: Path, nova: ReleaseHistory) -> None:
    sha = nova.sha
    result = run("check", "--against", "32.0.0", "--format", "json")
    found = json.loads(result.stdout)
    lost = [f for f in found if f["id"] == "PQ013"]
    assert [(f["severity"], f["file"], f["patch"]) for f in lost] == [
        ("warning", "series.yaml", None)
    ] * 3
    assert lost[1]["message"] == (
        f"31.1.0 has {sha['virt'][:12]} ([stable-only] Fix volume detach on stable) and 32.0.0 "
        "does not: moving to 32.0.0 loses it; carry it as a patch if it must ship"
    )
    for fmt in ("junit", "github", "text"):  # a series-wide warning in every format
        shown = run("check", "--against", "32.0.0", "--format", fmt)
        assert shown.exit_code == 1, (fmt, shown.stderr)
        assert "PQ013" in shown.stdout and sha["virt"][:12] in shown.stdout, fmt
    junit = run("check", "--against", "32.0.0", "--format", "junit").stdout
    assert '<testcase classname="patchq.PQ013" name="series.yaml"' in junit  # a warning: no failure
    text = (series / "series.yaml").read_text()
    (series / "series.yaml").write_text(text + "policy:\n  ignore: [PQ013]\n")
    quiet = json.loads(run("check", "--against", "32.0.0", "--format", "json").stdout)
    assert not [f for f in quiet if f["id"] == "PQ013"]


def test_report_shows_the_lost_commits(series: Path, nova: ReleaseHistory) -> None:
    sha = nova.sha
    data = json.loads(run("report", "--against", "32.0.0", "--format", "json").stdout)
    assert data["against"]["left_behind"] == {
        "commits": 6,
        "in_target": 3,
        "summary": "31.1.0 has 6 commits that 32.0.0 lacks: 3 are in 32.0.0 as other commits, "
        "3 would be lost",
        "lost": [
            {
                "commit": sha[name],
                "subject": subject,
                "change_id": cid(change),
                "commit_url": None,
            }
            for name, subject, change in (
                ("gitreview", "[stable-only] Update .gitreview for stable/2025.1", "gitreview"),
                ("virt", "[stable-only] Fix volume detach on stable", "virt"),
                ("cache_stable", "Cache flavors", "cache"),
            )
        ],
    }
    for fmt in ("text", "markdown", "html"):
        out = run("report", "--against", "32.0.0", "--format", fmt).stdout
        assert "31.1.0 has 6 commits that 32.0.0 lacks" in out, fmt
        assert sha["virt"][:12] in out, fmt
        assert "Fix volume detach on stable" in out, fmt


def test_apply_onto_the_next_release(series: Path, nova: ReleaseHistory) -> None:
    conflict = run("apply", "--onto", "32.0.0", "--branch", "downstream-32")
    assert conflict.exit_code == 1
    assert "0007-Name-the-boot-log.patch" in conflict.stderr
    assert run("drop", P[6]).exit_code == 0
    done = run("apply", "--onto", "32.0.0", "--branch", "downstream-32")
    assert done.exit_code == 0, done.stderr
    log = git(nova.path, "log", "--format=%s", "32.0.0..downstream-32").splitlines()
    assert log == ["Log volume detach", "Add a console banner"]
