"""How long the distribution-wide commands take: 40 series of 50 patches, each on its own
synthetic upstream (benchmarks/synth.py).

Targets (issue 15), ratios in one run:
* `report DIR...` (40 series, no --against): under 2 s;
* `report --against REF DIR...` with warm caches: at most 1.3 x (the sum of the 40 single-series
  warm `status --against REF` times / cores);
* `report --merge` of the 40 series' JSON reports: under 0.5 s.

    python benchmarks/bench_fleet.py [--quick] [--series N] [--patches N] [--keep DIR]

Each time is the median of whole `python -m patchq` processes after a warm-up. `rows(data,
quick=...)` is the plug-in benchmarks/run.py calls (it builds its own data; `data` is unused).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from synth import make_upstream  # noqa: E402

FULL = {"series": 40, "patches": 50, "commits": 300}
QUICK = {"series": 4, "patches": 10, "commits": 60}


def patchq(*args: str, cwd: Path, cold_cache: bool = False) -> Callable[[], None]:
    """`cold_cache`: each run gets an empty user cache (patchq's compiled templates), as a CI
    job in a fresh container would. patchq is byte-compiled first, as an installed one is."""
    from run import precompile

    precompile()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PATCHQ_UPSTREAM", None)

    def run() -> None:
        argv = [sys.executable, "-m", "patchq", "-q", *args]
        if cold_cache:
            with tempfile.TemporaryDirectory(prefix="patchq-bench-cache-") as cache:
                env["XDG_CACHE_HOME"] = cache
                proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
        else:
            proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError(f"patchq {' '.join(args)}: {proc.stderr.decode()[-2000:]}")

    return run


CPU: dict[str, float] = {}  # the CPU seconds of the last median_time, by its label


def median_time(action: Callable[[], None], runs: int, label: str = "") -> float:
    """Median wall time after a warm-up; CPU[label] gets the median CPU time of the process
    and its children (git, the workers): steadier than wall on a shared machine."""
    action()  # warm-up: page cache, the status caches
    samples, cpu = [], []
    for _ in range(runs):
        start, before = time.perf_counter(), os.times()
        action()
        after = os.times()
        samples.append(time.perf_counter() - start)
        cpu.append(
            after.children_user
            + after.children_system
            - before.children_user
            - before.children_system
        )
    CPU[label] = statistics.median(cpu)
    return statistics.median(samples)


def build(root: Path, *, series: int, patches: int, commits: int) -> list[str]:
    """root/pNN/{upstream,series}: a synthetic upstream and its series per project."""
    dirs = []
    for i in range(series):
        data = make_upstream(
            root / f"p{i:02d}",
            commits=commits,
            patches=patches,
            landed=patches // 5,
            lines=60,
            seed=i + 1,
        )
        path = data.series_dir / "series.yaml"
        path.write_text(path.read_text().replace("name: nova", f"name: project-{i:02d}", 1))
        dirs.append(str(data.series_dir.relative_to(root)))
    return dirs


def row(
    name: str, seconds: float, baseline: str, baseline_s: float, target: float
) -> dict[str, Any]:
    return {
        "name": name,
        "patchq_ms": round(seconds * 1000, 1),
        "cpu_ms": round(CPU.get(name, 0.0) * 1000, 1),
        "baseline": baseline,
        "baseline_ms": round(baseline_s * 1000, 1),
        "ratio": round(seconds / baseline_s, 3),
        "target": target,
    }


def measure(
    root: Path, dirs: list[str], *, runs: int, merge_only: bool = False
) -> list[dict[str, Any]]:
    if merge_only:
        return measure_merge(root, dirs, runs=runs)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    n = len(dirs)
    name = f"report {n} DIRs"
    plain = median_time(patchq("report", "-o", "agg.json", *dirs, cwd=root), runs, name)
    out = [row(name, plain, "2 s budget", 2.0, 1.0)]

    singles = singles_cpu = 0.0
    for d in dirs:
        singles += median_time(
            patchq("-C", d, "status", "--against", "2.0", "--format", "json", cwd=root), 1, d
        )
        singles_cpu += CPU[d]
    name = f"report --against {n} DIRs, warm"
    against = median_time(
        patchq("report", "--against", "2.0", "-o", "agg-against.json", *dirs, cwd=root),
        runs,
        name,
    )
    out.append(
        row(
            name,
            against,
            f"sum of {n} warm single `status --against` / {cores} cores",
            singles / cores,
            1.3,
        )
    )
    out[-1]["baseline_cpu_ms"] = round(singles_cpu * 1000, 1)
    out += measure_merge(root, dirs, runs=runs)
    check = json.loads((root / "agg-against.json").read_text())
    if check["totals"]["projects"] != n or check["totals"]["errors"]:
        raise RuntimeError(f"the aggregate has errors: {check['totals']}")
    return out


def measure_merge(root: Path, dirs: list[str], *, runs: int) -> list[dict[str, Any]]:
    """`report --merge` of the series' JSON reports (made once, kept in root)."""
    n = len(dirs)
    reports = []
    for d in dirs:
        name = f"{d.split('/')[0]}.json"
        if not (root / name).is_file():
            patchq("-C", d, "report", "--format", "json", "-o", f"../../{name}", cwd=root)()
        reports.append(name)
    out = []
    for fmt, cold in (("json", False), ("html", False), ("html", True)):
        name = f"report --merge {n} JSON files, --format {fmt}"
        name += ", empty user cache (templates compiled)" if cold else ""
        merge = patchq(
            "report", "--merge", "-o", f"merged.{fmt}", *reports, cwd=root, cold_cache=cold
        )
        out.append(row(name, median_time(merge, runs, name), "0.5 s budget", 0.5, 1.0))
    return out


def rows(data: Any, *, quick: bool) -> list[dict[str, Any]]:
    size = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="patchq-bench-fleet-") as tmp:
        dirs = build(Path(tmp), **size)
        return measure(Path(tmp), dirs, runs=3 if quick else 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--series", type=int)
    parser.add_argument("--patches", type=int)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data in this directory")
    parser.add_argument(
        "--merge-only", action="store_true", help="time only `report --merge` (with --keep)"
    )
    args = parser.parse_args()
    size = dict(QUICK if args.quick else FULL)
    if args.series:
        size["series"] = args.series
    if args.patches:
        size["patches"] = args.patches
    runs = 3 if args.quick else 5
    if args.keep is not None and args.keep.exists():
        dirs = sorted(str(p.relative_to(args.keep)) for p in args.keep.glob("p*/series"))
        results = measure(args.keep, dirs, runs=runs, merge_only=args.merge_only)
    elif args.keep is not None:
        args.keep.mkdir(parents=True)
        dirs = build(args.keep, **size)
        results = measure(args.keep, dirs, runs=runs, merge_only=args.merge_only)
    else:
        results = rows(None, quick=args.quick)
    print("| what | patchq wall | CPU | baseline | ratio | target |")
    print("|---|---:|---:|---|---:|---:|")
    for r in results:
        print(
            f"| {r['name']} | {r['patchq_ms']:.0f} ms | {r['cpu_ms']:.0f} ms | {r['baseline']} "
            f"({r['baseline_ms']:.0f} ms) | {r['ratio']:.2f} | {r['target']} |"
        )
    if any("baseline_cpu_ms" in r for r in results):
        print(f"CPU of the single `status --against` runs: {results[1]['baseline_cpu_ms']} ms")


if __name__ == "__main__":
    main()
