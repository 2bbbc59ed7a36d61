"""`patchq propose`: a carried patch as a branch for Gerrit, pushed to a local bare repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from patchq.series import io as series_io
from tests.builders import NOVA_API, NOVA_CONF, Downstream, UpstreamRepo, git, run

LOUD_API = NOVA_API.replace('LOG.info("rebooting', 'LOG.warning("rebooting')
TIMEOUT_CONF = NOVA_CONF.replace('"rbd_pool": "vms",', '"rbd_pool": "vms",\n    "rbd_timeout": 60,')
NAME = "0002-Log-reboots-louder"
BRANCH = f"patchq/propose/{NAME}"


@pytest.fixture
def series(series_dir: Path, upstream: UpstreamRepo, tmp_path: Path) -> Path:
    """Two patches on 1.0 (the second without a Change-Id); master moved on since."""
    down = Downstream(upstream, tmp_path / "down")
    down.commit("Add rbd timeout\n\nChange-Id: I" + "1" * 40, {"nova/conf.py": TIMEOUT_CONF})
    down.commit(
        "Log reboots louder\n\nA hard reboot is worth a warning.\n\nCloses-Bug: #2101234",
        {"nova/api.py": LOUD_API},
    )
    down.export(series_dir)
    upstream.commit("Rewrite readme", {"README.rst": "The nova project\n"})
    return series_dir


def patch_path(root: Path) -> Path:
    return root / "patches" / f"{NAME}.patch"


def hook_change_id(repo: Path, parent: str, message: str) -> str:
    """What Gerrit's commit-msg hook computes, by running its own pipeline with git."""
    script = (
        '{ git var GIT_COMMITTER_IDENT ; echo "$1" ; printf "%s" "$2"; } | git hash-object --stdin'
    )
    out = subprocess.run(
        ["sh", "-c", script, "hook", parent, message],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return "I" + out.stdout.strip()


def test_propose_adds_a_gerrit_change_id_and_creates_the_branch(
    series: Path, upstream: UpstreamRepo
) -> None:
    before_file = patch_path(series).read_bytes()
    head, _, status = upstream.snapshot()
    result = run("propose", NAME)
    assert result.exit_code == 0, result.stderr
    tip = upstream.head()
    message = "Log reboots louder\n\nA hard reboot is worth a warning.\n\nCloses-Bug: #2101234\n"
    expected = hook_change_id(upstream.path, tip, message)
    # Written to the patch file, one line added in its trailer block, nothing else changed.
    after_file = patch_path(series).read_bytes()
    assert after_file == before_file.replace(
        b"Closes-Bug: #2101234\n", f"Closes-Bug: #2101234\nChange-Id: {expected}\n".encode()
    )
    loaded = series_io.load(series)
    assert loaded.patches[1].upstream.change_id == expected
    assert loaded.patches[1].status.value == "pending"  # not pushed yet
    # The branch: the patch on master's tip, with the trailer, never checked out.
    assert git(upstream.path, "rev-parse", f"{BRANCH}^").strip() == tip
    body = git(upstream.path, "log", "-1", "--format=%B", BRANCH)
    assert body.rstrip("\n").endswith(f"Closes-Bug: #2101234\nChange-Id: {expected}")
    assert git(upstream.path, "log", "-1", "--format=%an|%cn", BRANCH).strip() == (
        "A U Thor|C O Mitter"
    )
    assert (
        git(upstream.path, "rev-parse", "HEAD"),
        git(upstream.path, "status", "--porcelain", "--ignored"),
    ) == (head, status)
    assert f"next: git -C {upstream.path} push origin {BRANCH}:refs/for/master" in result.stdout
    # Again: the Change-Id is kept (stable), the file is not touched, the branch is the same.
    first = git(upstream.path, "rev-parse", BRANCH)
    again = run("propose", NAME)
    assert again.exit_code == 0, again.stderr
    assert patch_path(series).read_bytes() == after_file
    assert f"Change-Id {expected} (kept)" in again.stderr
    assert git(upstream.path, "rev-parse", BRANCH) == first


def test_the_branch_content_equals_git_am_on_the_tip(
    series: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    assert run("propose", NAME).exit_code == 0
    check = tmp_path / "am"
    subprocess.run(["git", "clone", "-q", str(upstream.path), str(check)], check=True)
    git(check, "am", "-q", str(patch_path(series)))
    assert git(check, "rev-parse", "HEAD^{tree}") == git(
        upstream.path, "rev-parse", f"{BRANCH}^{{tree}}"
    )
    assert git(check, "log", "-1", "--format=%B") == git(
        upstream.path, "log", "-1", "--format=%B", BRANCH
    )


def test_push_lands_in_the_bare_repository_and_marks_submitted(
    series: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    bare = tmp_path / "gerrit.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(upstream.path, "remote", "add", "gerrit", str(bare))
    # Like Gerrit, the server says where the new change is (a hook of the stand-in, not of
    # the user's clone: those never run).
    hook = bare / "hooks" / "post-receive"
    url = "https://review.example.org/c/openstack/nova/+/955555"
    hook.write_text(f"#!/bin/sh\necho\necho SUCCESS\necho '  {url} Log reboots louder [NEW]'\n")
    hook.chmod(0o755)
    result = run("propose", NAME, "--push", "gerrit")
    assert result.exit_code == 0, result.stderr
    assert git(bare, "rev-parse", "refs/for/master") == git(upstream.path, "rev-parse", BRANCH)
    assert f"pushed {BRANCH} to gerrit refs/for/master" in result.stdout
    assert result.stdout.rstrip().endswith(f"is now submitted, review {url}")
    pushed = series_io.load(series).patches[1]
    assert (pushed.status.value, pushed.upstream.review) == ("submitted", url)


def test_a_push_to_an_unknown_remote_is_refused(series: Path, upstream: UpstreamRepo) -> None:
    result = run("propose", NAME, "--push", "gerit")
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("patchq: error: no remote 'gerit' in ")
    assert "(remotes: none): add it with `git remote add gerit URL`" in line
    assert series_io.load(series).patches[1].status.value == "pending"
    # Refused before anything is made: no branch, no Change-Id written.
    assert upstream.snapshot()[1].count("patchq/propose") == 0
    assert b"Change-Id" not in patch_path(series).read_bytes()


def test_a_conflicting_patch_is_refused_and_nothing_changes(
    series: Path, upstream: UpstreamRepo
) -> None:
    upstream.commit(
        "Reword reboot logs", {"nova/api.py": NOVA_API.replace("rebooting %s", "reboot of %s")}
    )
    files = (patch_path(series).read_bytes(), (series / "series.yaml").read_bytes())
    before = upstream.snapshot()
    result = run("propose", NAME)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"patchq: error: {NAME}.patch does not apply to master ({upstream.head()[:12]}): "
        "conflicts in nova/api.py; nothing was created"
    )
    assert upstream.snapshot() == before
    assert (patch_path(series).read_bytes(), (series / "series.yaml").read_bytes()) == files


def test_an_unknown_branch_is_one_line(series: Path) -> None:
    result = run("propose", NAME, "--branch", "stable/1999.1")
    assert result.exit_code == 2
    assert "--branch stable/1999.1: no such branch" in result.stderr
