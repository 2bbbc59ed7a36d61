"""A series on a stable point release moved to the next release, which does not contain it
(issue 10), next to plain git on the same data.

A plug-in of benchmarks/run.py (`rows(data, quick=...)`), or on its own:

    python benchmarks/bench_point_release.py [--quick] [--keep DIR]

On top of the synthetic upstream (benchmarks/synth.py: 1.0, then `commits` commits to 2.0), a
stable branch is cut at 1.0 with about 20 backports (`git cherry-pick -x` of commits spread over
1.0..2.0; those that do not apply are skipped) and 2 stable-only commits, and tagged 1.1; 2.0
does not contain 1.1. The series is the synthetic one, `git am`-ed onto 1.1 and imported from
there. Rows (paired alternating runs, whole processes):

* `status --against 2.0`, cold and warm, against `git log -p 2.0 ^1.1 | git patch-id --stable`;
* `rebase --onto 2.0`, against `git rebase --onto 2.0 1.1` with `--skip` on each stop;
* what the left-behind classification adds: status of the series on 1.1 (23 commits left
  behind) against the same series on 1.0 (an ancestor of 2.0: nothing left behind), both cold.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402
from synth import Synth, make_upstream  # noqa: E402

GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
GIT += ["-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0"]
POINT = "1.1"
STABLE = "stable/bench"
SERIES_BRANCH = "downstream-1.1"
BACKPORTS = 20


def rows(data: Synth, *, quick: bool, runs: int | None = None) -> list[dict[str, Any]]:
    runs = runs or (1 if quick else 5)
    side = data.root / "point-release-bench"
    shutil.rmtree(side, ignore_errors=True)
    side.mkdir()
    left = make_point_release(data, side)
    series = make_series(data, side)
    cache = data.upstream / ".git" / "patchq"

    def forget() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    status = harness.patchq_argv("status", "--against", data.new, "--format", "json")
    found = json.loads(harness.run(status, series).stdout)
    if len(found["left_behind"]) != left:
        raise RuntimeError(f"status left {len(found['left_behind'])} behind, not {left}")
    landed = sum(p["state"] == "landed" for p in found["patches"])
    if landed != data.landed:
        raise RuntimeError(f"status found {landed} landed, not {data.landed}")

    def patch_ids() -> None:
        harness.pipeline(
            data.upstream,
            ["git", "log", "-p", "--no-merges", data.new, f"^{POINT}"],
            ["git", "patch-id", "--stable"],
        )

    label = f"`git log -p {data.new} ^{POINT} | git patch-id --stable`"
    what = (
        f"point release {POINT} -> {data.new}: status, {data.patches} patches, {left} left behind"
    )
    cold = harness.paired(
        lambda: harness.run(status, series), patch_ids, runs=runs, prepare_a=forget
    )
    harness.run(status, series)
    warm = harness.paired(lambda: harness.run(status, series), patch_ids, runs=runs)

    on_base = harness.patchq_argv("status", "--against", data.new, "--format", "json")
    overhead = harness.paired(
        lambda: harness.run(status, series),
        lambda: harness.run(on_base, data.series_dir),
        runs=runs,
        prepare_a=forget,
        prepare_b=forget,
    )
    out = [
        harness.row(f"{what}, cold cache", label, cold, 0.3),
        harness.row(f"{what}, warm cache", label, warm, 0.1),
        harness.row(
            f"status on {POINT} ({left} left behind) / same series on {data.base}, cold",
            f"`patchq status` of the series on {data.base}",
            overhead,
            1.1,
        ),
    ]
    out += rebase_rows(data, side, series, runs=runs, forget=forget)
    shutil.rmtree(side, ignore_errors=True)
    return out


def make_point_release(data: Synth, side: Path) -> int:
    """Branch STABLE at base with backports and stable-only commits, tagged POINT (kept in the
    upstream for later runs); returns how many commits 2.0 lacks."""
    up = data.upstream
    if harness.run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{POINT}"], up, check=False
                   ).returncode == 0:  # fmt: skip
        count = harness.run(
            ["git", "rev-list", "--count", "--no-merges", f"{data.new}..{POINT}"], up
        )
        return int(count.stdout)
    work = side / "stable-worktree"
    harness.run([*GIT, "worktree", "add", "-q", "-b", STABLE, str(work), data.base], up)
    shas = harness.run(["git", "rev-list", "--reverse", f"{data.base}..{data.new}"], up)
    candidates = shas.stdout.decode().split()
    step = max(1, len(candidates) // (BACKPORTS * 2))
    picked = 0
    for sha in candidates[step // 2 :: step]:
        if picked == BACKPORTS:
            break
        proc = harness.run([*GIT, "cherry-pick", "-x", sha], work, check=False)
        if proc.returncode != 0:
            harness.run([*GIT, "cherry-pick", "--abort"], work, check=False)
            continue
        picked += 1
    for name, text in ((".gitreview", f"[gerrit]\ndefaultbranch={STABLE}\n"),
                       ("STABLE-ONLY.txt", "a stable-only fix\n")):  # fmt: skip
        (work / name).write_text(text)
        harness.run([*GIT, "add", name], work)
        message = f"[stable-only] {name}\n\nChange-Id: I{abs(hash(name)) % 10**40:040d}\n"
        harness.run([*GIT, "commit", "-q", "-m", message], work)
    harness.run([*GIT, "tag", POINT], work)
    harness.run([*GIT, "worktree", "remove", "--force", str(work)], up)
    return picked + 2


def make_series(data: Synth, side: Path) -> Path:
    """The synthetic series as commits on POINT (`git am`) and imported from there."""
    up = data.upstream
    series = side / "series"
    if harness.run(["git", "rev-parse", "-q", "--verify", SERIES_BRANCH], up, check=False
                   ).returncode != 0:  # fmt: skip
        work = side / "series-worktree"
        harness.run([*GIT, "worktree", "add", "-q", "-b", SERIES_BRANCH, str(work), POINT], up)
        harness.run([*GIT, "am", "-q", "-3", str(data.mbox)], work)
        harness.run([*GIT, "worktree", "remove", "--force", str(work)], up)
    series.mkdir()
    pq = ["-q", "-C", str(series), "--upstream", str(up)]
    harness.run(harness.patchq_argv(*pq, "init", "--base", POINT), side)
    harness.run(harness.patchq_argv(*pq, "import", "--range", f"{POINT}..{SERIES_BRANCH}"), side)
    return series


def rebase_rows(
    data: Synth, side: Path, series: Path, *, runs: int, forget: Any
) -> list[dict[str, Any]]:
    clone = side / "git-rebase"
    harness.run(["git", "clone", "-q", "--shared", "--no-checkout", str(data.upstream),
                 str(clone)], side)  # fmt: skip
    tip = harness.run(["git", "rev-parse", f"origin/{SERIES_BRANCH}"], clone).stdout
    tip_sha = tip.decode().strip()
    work = side / "rebase-series"
    rebase = harness.patchq_argv("-q", "-C", str(work), "--upstream", str(data.upstream),
                                 "rebase", "--onto", data.new)  # fmt: skip
    git_rebase = [*GIT, "-c", "rebase.backend=merge", "rebase", "-q", "--onto", data.new, POINT]

    def fresh_series() -> None:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(series, work, ignore=shutil.ignore_patterns(".patchq"))

    def cold() -> None:
        fresh_series()
        forget()

    def reset_git() -> None:
        harness.run([*GIT, "rebase", "--abort"], clone, check=False)
        harness.run([*GIT, "checkout", "-q", "-f", "--detach", tip_sha], clone)

    def git_with_skips() -> int:
        stops = 0
        proc = harness.run(git_rebase, clone, check=False)
        while proc.returncode != 0:
            stops += 1
            proc = harness.run([*GIT, "rebase", "--skip"], clone, check=False)
        return stops

    def patchq_with_skips() -> int:
        stops = 0
        proc = harness.run(rebase, side, check=False)
        while proc.returncode == 1:
            stops += 1
            skip = harness.patchq_argv("-q", "-C", str(work), "--upstream", str(data.upstream),
                                       "rebase", "--skip")  # fmt: skip
            proc = harness.run(skip, side, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"patchq rebase failed: {proc.stderr.decode()[-2000:]}")
        return stops

    cold()
    ours = patchq_with_skips()
    reset_git()
    theirs = git_with_skips()
    if ours > theirs:
        raise RuntimeError(f"patchq rebase stopped {ours} times, git rebase only {theirs}")
    label = f"`git rebase --onto {data.new} {POINT}` (merge backend), --skip on each stop"
    what = f"point release {POINT} -> {data.new}: rebase {data.patches} patches ({ours} stops)"
    result_cold = harness.paired(patchq_with_skips, git_with_skips, runs=runs,
                                 prepare_a=cold, prepare_b=reset_git)  # fmt: skip
    result_warm = harness.paired(patchq_with_skips, git_with_skips, runs=runs,
                                 prepare_a=fresh_series, prepare_b=reset_git)  # fmt: skip
    return [
        harness.row(f"{what}, cold cache", label, result_cold, 0.5),
        harness.row(f"{what}, warm cache", label, result_warm, 0.5),
    ]


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data here")
    parser.add_argument("--commits", type=int)
    parser.add_argument("--patches", type=int)
    parser.add_argument("--landed", type=int)
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    sizes = dict(harness.QUICK if args.quick else harness.FULL)
    for key in ("commits", "patches", "landed"):
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    with tempfile.TemporaryDirectory(prefix="patchq-bench-") as tmp:
        root = args.keep or Path(tmp) / "data"
        data = harness.load_or_make(root, sizes, lambda: make_upstream(root, **sizes))
        print(harness.render(rows(data, quick=args.quick, runs=args.runs), data))


if __name__ == "__main__":
    main()
