"""kill -9 at every durable step of a rebase: --abort restores the original byte for byte, and
--continue goes on to the same result as a run that was never interrupted.

The crash is the test-only hook PATCHQ_TEST_CRASH_AFTER=k (os._exit(137) right after step k,
so no finally block, atexit or buffered write runs: what kill -9 would leave), in a real
process: a child forked from a pre-imported `python -m patchq` (tests/rebase/forkserver.py).

Each sweep runs twice over: "sample" (the default run) crashes at three steps spread over the
sweep, the first, the middle and the last; "full" (marked slow: --run-slow or PATCHQ_SLOW=1)
crashes at every step.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import (
    REPO_ROOT,
    SERIES,
    UpstreamRepo,
    copy_workspace,
    digest_tree,
    git,
    make_series,
    release_two,
    resolve,
)
from tests.rebase.forkserver import ForkServer

ROOT = REPO_ROOT
SWEEPS = [pytest.param("sample"), pytest.param("full", marks=pytest.mark.slow)]


class Runner:
    def __init__(
        self, upstream: UpstreamRepo, template: Path, scratch: Path, server: ForkServer
    ) -> None:
        self.upstream = upstream
        self.template = template
        self.scratch = scratch
        self.server = server
        self.count = 0

    def fresh(self) -> Path:
        self.count += 1
        return copy_workspace(self.template, self.scratch / f"ws{self.count}")

    def patchq(
        self, ws: Path, *args: str, crash: int | None = None, trace: bool = False
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("PATCHQ_TEST_CRASH_AFTER", None)
        if crash is not None:
            env["PATCHQ_TEST_CRASH_AFTER"] = str(crash)
        if trace:
            env["PATCHQ_TEST_CRASH_TRACE"] = "1"
        argv = ["-C", str(ws), "--upstream", str(self.upstream.path)]
        return self.server.run([*argv, *args], env)

    def steps(self, ws: Path, *args: str) -> tuple[int, subprocess.CompletedProcess[str]]:
        proc = self.patchq(ws, *args, trace=True)
        return len(re.findall(r"^patchq: step \d+: ", proc.stdout, re.M)), proc


def crash_points(total: int, sweep: str) -> list[int]:
    """The steps to crash at: all of them, or the first, the middle and the last."""
    if sweep == "full":
        return list(range(1, total + 1))
    return sorted({1, (total + 1) // 2, total})


def result_of(ws: Path) -> dict[str, str]:
    """The files a finished rebase leaves, with the history date (wall clock) masked."""
    out = digest_tree(ws)
    text = (ws / "series.yaml").read_text()
    out["series.yaml"] = re.sub(r"date: '?\d{4}-[0-9T:-]+Z'?", "date: X", text)
    return out


def test_the_sample_is_the_first_the_middle_and_the_last_step() -> None:
    assert crash_points(9, "sample") == [1, 5, 9]
    assert crash_points(8, "sample") == [1, 4, 8]
    assert crash_points(2, "sample") == [1, 2]
    assert crash_points(5, "full") == [1, 2, 3, 4, 5]


def finish_from(runner: Runner, ws: Path) -> None:
    """Carry on after a crash the way a user would, up to the end of the rebase."""
    for _ in range(4):
        if not (ws / ".patchq" / "rebase").exists():
            return
        proc = runner.patchq(ws, "rebase", "--continue")
        # Stopped at the conflict (again), or it was already shown before the crash.
        if proc.returncode == 1 or "still has conflict markers" in proc.stderr:
            resolve(ws)
            continue
        assert proc.returncode == 0, proc.stderr
    assert not (ws / ".patchq" / "rebase").exists()


def assert_upstream_clean(upstream: UpstreamRepo, before: tuple[str, str, str]) -> None:
    assert upstream.snapshot() == before
    assert git(upstream.path, "worktree", "list", "--porcelain").count("worktree ") == 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ForkServer]:
    with ForkServer({**os.environ, "PYTHONPATH": str(ROOT)}, tmp_path / "io") as started:
        yield started


@pytest.fixture
def runner(series_dir: Path, upstream: UpstreamRepo, tmp_path: Path, server: ForkServer) -> Runner:
    make_series(upstream, series_dir)
    release_two(upstream)
    return Runner(upstream, series_dir, tmp_path / "runs", server)


@pytest.fixture
def reference(runner: Runner) -> dict[str, str]:
    ws = runner.fresh()
    assert runner.patchq(ws, "rebase", "--onto", "2.0").returncode == 1
    resolve(ws)
    done = runner.patchq(ws, "rebase", "--continue")
    assert done.returncode == 0, done.stderr
    return result_of(ws)


@pytest.mark.parametrize("sweep", SWEEPS)
def test_crash_at_every_step_up_to_the_conflict(
    runner: Runner, reference: dict[str, str], upstream: UpstreamRepo, sweep: str
) -> None:
    before = upstream.snapshot()
    original = digest_tree(runner.template)
    counted = runner.fresh()
    total, first = runner.steps(counted, "rebase", "--onto", "2.0")
    assert first.returncode == 1, first.stderr
    assert runner.patchq(counted, "rebase", "--abort").returncode == 0
    assert total >= 5  # the backup, the start, the durable steps of the walk, the stop
    for k in crash_points(total, sweep):
        aborted = runner.fresh()
        crashed = runner.patchq(aborted, "rebase", "--onto", "2.0", crash=k)
        assert crashed.returncode == 137, (k, crashed.stderr)
        undo = runner.patchq(aborted, "rebase", "--abort")
        if undo.returncode != 0:  # died before the rebase existed: nothing was changed
            assert "no rebase in progress" in undo.stderr, (k, undo.stderr)
        assert digest_tree(aborted) == original, k
        assert not (aborted / ".patchq" / "rebase").exists()

        resumed = runner.fresh()
        assert runner.patchq(resumed, "rebase", "--onto", "2.0", crash=k).returncode == 137
        if not (resumed / ".patchq" / "rebase").exists():
            again = runner.patchq(resumed, "rebase", "--onto", "2.0")
            assert again.returncode == 1, (k, again.stderr)
            resolve(resumed)
        finish_from(runner, resumed)
        assert result_of(resumed) == reference, k
    assert_upstream_clean(upstream, before)


@pytest.mark.parametrize("sweep", SWEEPS)
def test_crash_at_every_step_after_the_resolution(
    runner: Runner, reference: dict[str, str], upstream: UpstreamRepo, sweep: str
) -> None:
    before = upstream.snapshot()
    original = digest_tree(runner.template)

    def stopped() -> Path:
        ws = runner.fresh()
        assert runner.patchq(ws, "rebase", "--onto", "2.0").returncode == 1
        resolve(ws)
        return ws

    total, done = runner.steps(stopped(), "rebase", "--continue")
    assert done.returncode == 0, done.stderr
    assert total >= 8
    for k in crash_points(total, sweep):
        aborted = stopped()
        assert runner.patchq(aborted, "rebase", "--continue", crash=k).returncode == 137
        if (aborted / ".patchq" / "rebase").exists():
            undo = runner.patchq(aborted, "rebase", "--abort")
            assert undo.returncode == 0, (k, undo.stderr)
            assert digest_tree(aborted) == original, k
        else:  # died after the rebase was complete
            assert result_of(aborted) == reference, k

        resumed = stopped()
        assert runner.patchq(resumed, "rebase", "--continue", crash=k).returncode == 137
        finish_from(runner, resumed)
        assert result_of(resumed) == reference, k
    assert_upstream_clean(upstream, before)


@pytest.mark.parametrize("sweep", SWEEPS)
def test_crash_at_every_step_of_a_clean_rebase(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path, server: ForkServer, sweep: str
) -> None:
    make_series(upstream, series_dir, SERIES[:3])
    release_two(upstream)
    runner = Runner(upstream, series_dir, tmp_path / "runs", server)
    before = upstream.snapshot()
    original = digest_tree(series_dir)
    ref_ws = runner.fresh()
    total, done = runner.steps(ref_ws, "rebase", "--onto", "2.0")
    assert done.returncode == 0, done.stderr
    reference = result_of(ref_ws)
    for k in crash_points(total, sweep):
        ws = runner.fresh()
        assert runner.patchq(ws, "rebase", "--onto", "2.0", crash=k).returncode == 137
        if (ws / ".patchq" / "rebase").exists():
            finish_from(runner, ws)
        elif digest_tree(ws) == original:  # died before the rebase existed: run it again
            assert runner.patchq(ws, "rebase", "--onto", "2.0").returncode == 0
        assert result_of(ws) == reference, k
        ws2 = runner.fresh()
        assert runner.patchq(ws2, "rebase", "--onto", "2.0", crash=k).returncode == 137
        if (ws2 / ".patchq" / "rebase").exists():
            assert runner.patchq(ws2, "rebase", "--abort").returncode == 0
            assert digest_tree(ws2) == original, k
    assert_upstream_clean(upstream, before)


def _phase(ws: Path) -> tuple[str, int, bool] | None:
    """(phase, position, conflict shown) of the rebase in progress, or None."""
    state_file = ws / ".patchq" / "rebase" / "state.json"
    if not state_file.is_file():
        return None
    state = json.loads(state_file.read_text())
    conflict = state.get("conflict") or {}
    return state["phase"], state["position"], bool(conflict.get("ready"))


@pytest.mark.parametrize("sweep", SWEEPS)
def test_crash_at_every_step_of_a_skip_that_moves_the_worktree(
    tmp_path: Path, server: ForkServer, sweep: str
) -> None:
    """The conflict worktree moved from one stop to the next (issue 12): a crash at any step
    of that `--skip` is undone by --abort byte for byte, and `--continue`/`--skip` go on to
    the uninterrupted result, with the next stop's worktree as a fresh checkout would show."""
    from tests.rebase.test_worktree_reuse import build_stack, fresh_view, listing

    upstream, template = build_stack(tmp_path / "stack")
    runner = Runner(upstream, template, tmp_path / "runs", server)
    before = upstream.snapshot()
    original = digest_tree(template)

    def finish(ws: Path) -> None:
        for _ in range(10):
            where = _phase(ws)
            if where is None:
                return
            phase, _position, ready = where
            if phase == "stopped" and ready:
                proc = runner.patchq(ws, "rebase", "--skip")
            else:
                proc = runner.patchq(ws, "rebase", "--continue")
            assert proc.returncode in (0, 1), proc.stderr
        raise AssertionError("the rebase does not end")

    ref_ws = runner.fresh()
    assert runner.patchq(ref_ws, "rebase", "--onto", "2.0").returncode == 1
    finish(ref_ws)
    reference = result_of(ref_ws)

    counted = runner.fresh()
    assert runner.patchq(counted, "rebase", "--onto", "2.0").returncode == 1
    total, moved = runner.steps(counted, "rebase", "--skip")
    assert moved.returncode == 1, moved.stderr
    assert "worktree moved" in moved.stdout
    assert runner.patchq(counted, "rebase", "--abort").returncode == 0
    for k in crash_points(total, sweep):
        aborted = runner.fresh()
        assert runner.patchq(aborted, "rebase", "--onto", "2.0").returncode == 1
        assert runner.patchq(aborted, "rebase", "--skip", crash=k).returncode == 137
        assert runner.patchq(aborted, "rebase", "--abort").returncode == 0, k
        assert digest_tree(aborted) == original, k
        assert not (aborted / ".patchq" / "rebase").exists()

        resumed = runner.fresh()
        assert runner.patchq(resumed, "rebase", "--onto", "2.0").returncode == 1
        assert runner.patchq(resumed, "rebase", "--skip", crash=k).returncode == 137
        where = _phase(resumed)
        assert where is not None, k
        if where[0] != "stopped" or where[1] == 1:  # not at the second stop yet: get there
            step = "--skip" if where == ("stopped", 1, True) else "--continue"
            assert runner.patchq(resumed, "rebase", step).returncode == 1, k
        elif not where[2]:  # stopped there, but the worktree was not shown: show it again
            assert runner.patchq(resumed, "rebase", "--continue").returncode == 1, k
        worktree = resumed / ".patchq" / "rebase" / "worktree"
        assert listing(worktree) == fresh_view(upstream, resumed, tmp_path / f"fresh{k}"), k
        finish(resumed)
        assert result_of(resumed) == reference, k
    assert_upstream_clean(upstream, before)
