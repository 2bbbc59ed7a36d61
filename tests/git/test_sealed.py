"""Nothing of the upstream clone runs: merge drivers, filters, textconv and diff programs
configured in the clone (its .git/config, .git/info/attributes, a committed .gitattributes),
and every hook, are planted to write a marker file; no patchq command may make one appear."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.builders import P4, UpstreamRepo, copy_workspace, git, make_series, release_two, run

HOOKS = tuple(
    [
        "applypatch-msg",
        "pre-applypatch",
        "post-applypatch",
        "pre-commit",
        "pre-merge-commit",
        "prepare-commit-msg",
        "commit-msg",
        "post-commit",
        "pre-rebase",
        "post-checkout",
        "post-merge",
        "pre-push",
        "pre-receive",
        "update",
        "proc-receive",
        "post-receive",
        "post-update",
        "reference-transaction",
        "push-to-checkout",
        "pre-auto-gc",
        "post-rewrite",
        "sendemail-validate",
        "fsmonitor-watchman",
        "p4-changelist",
        "p4-prepare-changelist",
        "p4-post-changelist",
        "p4-pre-submit",
        "post-index-change",
    ]
)

RESOLVED = (
    'def delete(instance):\n    LOG.debug("deleting instance %s", instance)\n    return True\n'
)


def marker_script(markers: Path, name: str) -> str:
    """A shell command that records `name` ran (and then behaves like a no-op filter)."""
    return f"touch {markers}/{name}; cat"


def plant(upstream: UpstreamRepo, markers: Path) -> None:
    """Arm the clone: drivers and filters in its config, attributes in info/attributes, every
    hook, an fsmonitor hook, and a process filter."""
    markers.mkdir(exist_ok=True)
    config = {
        "merge.evil.driver": f"touch {markers}/merge-driver; false",
        "merge.evil.name": "evil",
        "filter.evil.clean": marker_script(markers, "clean"),
        "filter.evil.smudge": marker_script(markers, "smudge"),
        "filter.evil.required": "true",
        "filter.proc.process": f"touch {markers}/process-filter; false",
        "diff.evil.textconv": marker_script(markers, "textconv"),
        "diff.evil.command": f"touch {markers}/diff-command; true",
        "diff.external": f"touch {markers}/diff-external; true",
        "core.fsmonitor": hook_script(markers.parent / "fsmonitor.sh", markers, "fsmonitor"),
    }
    for key, value in config.items():
        git(upstream.path, "config", key, value)
    info = upstream.path / ".git" / "info"
    info.mkdir(exist_ok=True)
    (info / "attributes").write_text("* merge=evil filter=evil diff=evil\n*.py filter=proc\n")
    hooks = upstream.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in HOOKS:
        hook_script(hooks / name, markers, f"hook-{name}")


def hook_script(path: Path, markers: Path, name: str) -> str:
    path.write_text(f"#!/bin/sh\ntouch {markers}/{name}\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.fixture
def armed(series_dir: Path, upstream: UpstreamRepo, tmp_path: Path) -> tuple[Path, Path]:
    """The rebase series on 1.0, an upstream 2.0 that commits a hostile .gitattributes, and a
    clone armed to write markers; returns (series dir, markers dir)."""
    make_series(upstream, series_dir)
    upstream.commit("Attributes", {".gitattributes": "* merge=evil filter=evil diff=evil\n"})
    release_two(upstream)
    markers = tmp_path / "markers"
    plant(upstream, markers)
    return series_dir, markers


def ran(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir())


def patchq(ws: Path, *args: str) -> int:
    result = run("-C", str(ws), *args)
    assert "Traceback" not in result.stderr
    return result.exit_code


def test_the_plant_works_on_plain_git(armed: tuple[Path, Path], upstream: UpstreamRepo) -> None:
    """Without patchq's sealing, git itself runs them (so the assertions below can fail)."""
    _, markers = armed
    # (fsmonitor and the process filter, which fail on purpose, would stop git itself)
    quiet = ("-c", "core.fsmonitor=false", "-c", "filter.proc.process=")
    git(upstream.path, *quiet, "checkout", "-q", "-b", "probe", "1.0")
    assert "hook-post-checkout" in ran(markers)
    (upstream.path / "README.rst").write_text("changed\n")
    git(upstream.path, *quiet, "add", "README.rst")
    assert "clean" in ran(markers)


def test_read_only_commands_run_nothing(armed: tuple[Path, Path], upstream: UpstreamRepo) -> None:
    ws, markers = armed
    assert patchq(ws, "status", "--against", "2.0") == 0
    assert ran(markers) == [], "status"
    assert patchq(ws, "status", "--against", "2.0", "--format", "json") == 0
    assert patchq(ws, "check", "--against", "2.0") in (0, 1)
    assert ran(markers) == [], "check"
    assert patchq(ws, "report", "--against", "2.0", "--format", "json") == 0
    assert ran(markers) == [], "report"
    assert patchq(ws, "apply", "--onto", "2.0", "--branch", "carried") == 1  # P4 conflicts
    assert patchq(ws, "apply", "--onto", "1.0", "--branch", "carried") == 0
    assert ran(markers) == [], "apply"
    assert patchq(ws, "rebase", "--onto", "2.0", "--dry-run") == 0
    assert ran(markers) == [], "rebase --dry-run"


def test_rebase_stop_continue_skip_abort_run_nothing(
    armed: tuple[Path, Path], upstream: UpstreamRepo, tmp_path: Path
) -> None:
    template, markers = armed
    before = git(upstream.path, "worktree", "list", "--porcelain")

    ws = copy_workspace(template, tmp_path / "continue")
    assert patchq(ws, "rebase", "--onto", "2.0") == 1
    assert ran(markers) == [], "rebase stop"
    worktree = ws / ".patchq" / "rebase" / "worktree"
    api = worktree / "nova" / "api.py"
    assert "<<<<<<< " in api.read_text()  # the conflict is shown, by git's own text merge
    assert git(upstream.path, "worktree", "list", "--porcelain") == before  # not registered
    text = api.read_text()
    api.write_text(text[: text.index("<<<<<<< ")] + RESOLVED)
    assert patchq(ws, "rebase", "--continue") == 0
    assert ran(markers) == [], "rebase --continue"
    assert "deleting instance" in (ws / "patches" / P4).read_text()
    assert not worktree.exists()

    ws = copy_workspace(template, tmp_path / "skip")
    assert patchq(ws, "rebase", "--onto", "2.0") == 1
    assert patchq(ws, "rebase", "--skip") == 0
    assert ran(markers) == [], "rebase --skip"

    ws = copy_workspace(template, tmp_path / "abort")
    assert patchq(ws, "rebase", "--onto", "2.0") == 1
    assert patchq(ws, "rebase", "--abort") == 0
    assert ran(markers) == [], "rebase --abort"
    assert git(upstream.path, "worktree", "list", "--porcelain") == before


def test_import_range_runs_nothing(
    armed: tuple[Path, Path], upstream: UpstreamRepo, tmp_path: Path
) -> None:
    ws, markers = armed
    assert patchq(ws, "import", "--range", "1.0..2.0") == 0
    assert ran(markers) == [], "import --range"
