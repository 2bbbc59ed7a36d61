"""How long `patchq report` takes on a 500-patch series with 10 releases of history.

Target (issue 5): a 500-patch series renders in under a second, in every format.

    python benchmarks/bench_report.py [--quick] [--patches N] [--against]

Each row is the median of several whole `python -m patchq report` processes (interpreter
start-up, loading series.yaml, reading every patch file, building the model, rendering, the
atomic write), after a warm-up, against the one-second budget; `cpu ms` (the process's CPU
time) stays steady when other jobs share the machine. With --against (and always under
benchmarks/run.py, which passes its synthetic data), `report --against` is timed in alternating
pairs with the `status --against` it runs, on that data.

`rows(data, quick=...)` is the plug-in benchmarks/run.py calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BUDGET_SECONDS = 1.0
PATCHES = 500
STATUSES = ("pending", "submitted", "merged", "backport", "rejected", "downstream-only")
RELEASES = 10

PATCH = """\
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Doe <jane@example.org>
Date: Tue, 14 Nov 2023 22:13:20 +0000
Subject: [PATCH] {subject}

Why this is carried, in a few lines of explanation that a
packager would write for the next person.

Closes-Bug: #{bug}
Change-Id: I{cid:040x}
---
 nova/module_{n}.py | 12 ++++++------
 1 file changed, 6 insertions(+), 6 deletions(-)

diff --git a/nova/module_{n}.py b/nova/module_{n}.py
index 0123456..789abcd 100644
--- a/nova/module_{n}.py
+++ b/nova/module_{n}.py
@@ -10,12 +10,12 @@ def handler(request):
{hunk}
"""


def build_series(root: Path, patches: int) -> None:
    """series.yaml, `patches` patch files and a history of RELEASES rebases."""
    (root / "patches").mkdir(parents=True)
    hunk = "\n".join(
        f"-    old_line_{i} = compute({i})\n+    new_line_{i} = compute({i})" for i in range(6)
    )
    entries = []
    for n in range(1, patches + 1):
        name = f"{n:04d}-change-number-{n}.patch"
        text = PATCH.format(
            subject=f"Fix handler {n} | <edge> case", bug=2000000 + n, cid=n, n=n, hunk=hunk
        )
        (root / "patches" / name).write_text(text)
        status = STATUSES[n % len(STATUSES)]
        month = 1 + n % 12
        entries.append(
            f"  - file: {name}\n    status: {status}\n    reason: carried for operators\n"
            f"    owner: team-{n % 7}\n    added: '20{20 + n % 6}-{month:02d}-15'\n"
            "    upstream:\n"
            f"      review: https://review.opendev.org/c/openstack/nova/+/{900000 + n}\n"
            f"      bug: https://bugs.launchpad.net/nova/+bug/{2000000 + n}\n"
        )
    history = ["history:\n"]
    for r in range(RELEASES):
        history.append(
            f"- date: 20{20 + r // 2}-{1 + (r % 2) * 6:02d}-10T10:00:00Z\n"
            f"  from: '{20 + r}.0.0'\n  from_commit: {'a' * 40}\n"
            f"  to: '{21 + r}.0.0'\n  to_commit: {'b' * 40}\n"
            "  dropped:\n"
            + "".join(
                f"  - file: 9{r}{k:02d}-landed.patch\n    subject: Landed {r}.{k}\n"
                f"    evidence: [patch-id, change-id]\n    upstream_commit: {'c' * 40}\n"
                for k in range(8)
            )
            + f"  skipped: []\n  refreshed: 40\n  carried: {patches + 8 * (RELEASES - r - 1)}\n"
        )
    (root / "series.yaml").write_text(
        "version: 1\nupstream:\n  name: nova\n  url: https://opendev.org/openstack/nova\n"
        f"  path: ../nova\n  base: '{20 + RELEASES}.0.0'\n  base_commit: {'b' * 40}\n"
        "patches:\n" + "".join(entries) + "".join(history)
    )


def _clock() -> tuple[float, float]:
    """Wall time, and CPU time of this process plus its finished children."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def timed(action: Callable[[], None]) -> tuple[float, float]:
    wall0, cpu0 = _clock()
    action()
    wall1, cpu1 = _clock()
    return wall1 - wall0, cpu1 - cpu0


def patchq(*args: str) -> Callable[[], None]:
    """One whole `python -m patchq` process (start-up included), as benchmarks/run.py times."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PATCHQ_UPSTREAM", None)

    def run() -> None:
        argv = [sys.executable, "-m", "patchq", "-q", *args]
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)

    return run


def budget_row(name: str, action: Callable[[], None], runs: int) -> dict[str, Any]:
    """Median of `runs` (after a warm-up) against issue 5's one-second budget."""
    action()
    samples = [timed(action) for _ in range(runs)]
    wall = statistics.median(w for w, _ in samples)
    cpu = statistics.median(c for _, c in samples)
    return {
        "name": name,
        "patchq_ms": round(wall * 1000, 1),
        "baseline": "1 s budget (issue 5)",
        "baseline_ms": BUDGET_SECONDS * 1000,
        "ratio": round(wall / BUDGET_SECONDS, 3),
        "target": 1.0,
        "cpu_ms": round(cpu * 1000, 1),
    }


def against_row(data: Any, runs: int) -> dict[str, Any]:
    """`report --against` next to the `status --against` it runs, in alternating pairs: the
    ratio is what the report adds on top of the status engine."""
    where = ["-C", str(data.series_dir), "--upstream", str(data.upstream)]
    page = str(data.root / "report-against.html")
    report = patchq(*where, "report", "--against", data.new, "--format", "html", "-o", page)
    status = patchq(*where, "status", "--against", data.new, "--format", "json")
    report()
    status()
    pairs = [(timed(report), timed(status)) for _ in range(runs)]
    return {
        "name": "report --against --format html",
        "patchq_ms": round(statistics.median(r[0] for r, _ in pairs) * 1000, 1),
        "baseline": "patchq status --against (same data)",
        "baseline_ms": round(statistics.median(s[0] for _, s in pairs) * 1000, 1),
        "ratio": round(statistics.median(r[0] / s[0] for r, s in pairs), 3),
        "target": None,
        "cpu_ms": round(statistics.median(r[1] for r, _ in pairs) * 1000, 1),
    }


def rows(data: Any, *, quick: bool, patches: int = PATCHES) -> list[dict[str, Any]]:
    """benchmarks/run.py's plug-in: `report` of each format on a 500-patch series with 10
    releases of history (built here), and `report --against` on the harness's data (a
    synth.Synth; None leaves that row out)."""
    runs = 3 if quick else 5
    out = []
    with tempfile.TemporaryDirectory(prefix="patchq-bench-report-") as tmp:
        root = Path(tmp)
        build_series(root, patches)
        for fmt in ("html", "markdown", "json", "text"):
            action = patchq("-C", str(root), "report", "--format", fmt, "-o", f"r.{fmt}")
            out.append(budget_row(f"report --format {fmt}, {patches} patches", action, runs))
        out[0]["bytes"] = (root / "r.html").stat().st_size
    if data is not None:
        out.append(against_row(data, runs))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs, small synthetic data")
    parser.add_argument("--patches", type=int, default=PATCHES)
    parser.add_argument(
        "--against",
        action="store_true",
        help="also time report --against on synthetic data (benchmarks/synth.py)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchq-bench-synth-") as tmp:
        data = None
        if args.against:
            import synth

            size = {"commits": 2_000, "patches": 50, "landed": 10} if args.quick else {}
            data = synth.make_upstream(Path(tmp) / "synth", **size)
        table = rows(data, quick=args.quick, patches=args.patches)
    print("| what | patchq ms | cpu ms | baseline | baseline ms | ratio | target |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for r in table:
        target = "" if r["target"] is None else f"<= {r['target']}"
        print(
            f"| {r['name']} | {r['patchq_ms']} | {r['cpu_ms']} | {r['baseline']} | "
            f"{r['baseline_ms']} | {r['ratio']} | {target} |"
        )
    print(
        f"\nreport.html for {args.patches} patches: {table[0]['bytes'] // 1024} KiB; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
