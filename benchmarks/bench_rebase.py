"""`patchq rebase --onto 2.0` next to `git rebase --onto 2.0 1.0` (merge backend), same data.

Both are timed as whole processes, run alternately (A B A B ...) so machine drift hits both,
and the ratio is the median of the per-pair ratios. Each patchq run gets a fresh copy of the
series; each git run starts from a fresh detached checkout of the series as commits on 1.0
(built once with `git am`, untimed) in a clone that shares the upstream's objects.

    python benchmarks/bench_rebase.py [--quick]     (builds its own synthetic data)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for entry in (str(ROOT), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=_env()
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def _env() -> dict[str, str]:
    env = {**os.environ, **GIT_ENV, "PYTHONPATH": str(ROOT)}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "PATCHQ_TEST_CRASH_AFTER"):
        env.pop(key, None)
    return env


def _timed(argv: list[str], *, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=_env(), cwd=cwd)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])}...: exit {proc.returncode}: {proc.stderr[-500:]}")
    return elapsed


def _git_side(data: Any, scratch: Path) -> tuple[Path, str]:
    """A clone (objects shared) with the series as commits on base; returns (clone, tip)."""
    clone = scratch / "git-rebase"
    _git(scratch, "clone", "-q", "--shared", "--no-checkout", str(data.upstream), str(clone))
    _git(clone, "config", "gc.auto", "0")
    _git(clone, "checkout", "-q", "--detach", data.base)
    _git(clone, "am", "-q", str(data.mbox))
    return clone, _git(clone, "rev-parse", "HEAD").strip()


def _run_patchq(data: Any, scratch: Path, n: int) -> tuple[float, str]:
    ws = scratch / f"series-{n}"
    shutil.copytree(data.series_dir, ws, ignore=shutil.ignore_patterns(".patchq"))
    argv = [sys.executable, "-m", "patchq", "-q", "-C", str(ws), "--upstream", str(data.upstream)]
    elapsed = _timed([*argv, "rebase", "--onto", data.new])
    summary = _timed_summary(ws)
    shutil.rmtree(ws)
    return elapsed, summary


def _timed_summary(ws: Path) -> str:
    import yaml

    entry = yaml.safe_load((ws / "series.yaml").read_text())["history"][-1]
    return (
        f"{len(entry['dropped'])} dropped, {entry['refreshed']} refreshed, "
        f"{entry['carried']} carried"
    )


def _run_git(data: Any, clone: Path, tip: str) -> tuple[float, int]:
    _git(clone, "checkout", "-q", "-f", "--detach", tip)
    argv = ["git", "-C", str(clone), "-c", "rebase.backend=merge", "rebase", "-q"]
    elapsed = _timed([*argv, "--onto", data.new, data.base])
    left = int(_git(clone, "rev-list", "--count", f"{data.new}..HEAD").strip())
    return elapsed, left


def rows(data: Any, *, quick: bool) -> list[dict[str, Any]]:
    """One row: patchq rebase vs git rebase on `data` (a synth.Synth), timed in this run."""
    runs = 1 if quick else 5
    with tempfile.TemporaryDirectory(prefix="bench-rebase-") as tmp:
        scratch = Path(tmp)
        clone, tip = _git_side(data, scratch)
        ours, theirs, ratios = [], [], []
        summary, left = "", 0
        for n in range(runs + 1):  # the first pair warms the page cache and is not counted
            a, summary = _run_patchq(data, scratch, n)
            b, left = _run_git(data, clone, tip)
            if n or runs == 1:
                ours.append(a)
                theirs.append(b)
                ratios.append(a / b)
    return [
        {
            "benchmark": f"rebase {data.patches} patches ({data.landed} landed) across "
            f"{data.commits} commits",
            "patchq": "patchq rebase --onto 2.0",
            "patchq_s": statistics.median(ours),
            "baseline": "git rebase --onto 2.0 1.0 (merge backend)",
            "baseline_s": statistics.median(theirs),
            "ratio": statistics.median(ratios),
            "target": 0.5,
            "runs": len(ratios),
            "notes": f"patchq: {summary}; git rebase left {left} commits",
        }
    ]


def main() -> None:
    import argparse

    import synth

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--data", type=Path, help="reuse a synth directory built before")
    args = parser.parse_args()
    sizes = {"commits": 2_000, "patches": 40, "landed": 8} if args.quick else {}
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        data = synth.make_upstream(Path(tmp) / "data", **sizes)
        for row in rows(data, quick=args.quick):
            print(
                f"{row['benchmark']}: patchq {row['patchq_s']:.2f}s, git rebase "
                f"{row['baseline_s']:.2f}s, ratio {row['ratio']:.2f} (target <= "
                f"{row['target']}); {row['notes']}"
            )


if __name__ == "__main__":
    main()
