"""How long `patchq report` takes on a 500-patch series with 10 releases of history.

Target (issue 5): a 500-patch series renders in under a second, in every format.

    python benchmarks/bench_report.py [--quick] [--patches N] [--against]

Each row is the median of several runs of the whole command in-process (load series.yaml, read
every patch file, build the model, render, write the file atomically), plus cold runs of
`python -m patchq report --format html` as a subprocess (interpreter start-up and imports
included): wall seconds, and CPU seconds (this process and its children), which stay steady
when other jobs share the machine. With --against, it also times `report --against` on the
shared synthetic upstream (benchmarks/synth.py) next to the `status --against` it runs.
`rows(data, quick=...)` returns the same rows for a harness (`data`: a synth.Synth, or None).
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

TARGET_SECONDS = 1.0
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
    """Wall time, and CPU time of this process plus its finished children (git, python)."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def measure(run: Callable[[], None], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds. On a shared machine CPU time is the steadier number."""
    walls, cpus = [], []
    for _ in range(runs):
        wall0, cpu0 = _clock()
        run()
        wall1, cpu1 = _clock()
        walls.append(wall1 - wall0)
        cpus.append(cpu1 - cpu0)
    return statistics.median(walls), statistics.median(cpus)


def invoke(argv: list[str]) -> Callable[[], None]:
    from click.testing import CliRunner

    from patchq.cli import cli

    def run() -> None:
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output

    return run


def cold_process(argv: list[str]) -> Callable[[], None]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run() -> None:
        subprocess.run([sys.executable, "-m", "patchq", "-q", *argv], check=True, env=env)

    return run


def time_against(data: Any, runs: int) -> list[dict[str, Any]]:
    """On the harness's synthetic upstream (synth.Synth): `report --against` next to the
    `status --against` it runs, so the difference is what the report itself costs."""
    where = ["-C", str(data.series_dir), "--upstream", str(data.upstream)]
    page = str(data.root / "report-against.html")
    status = measure(invoke([*where, "status", "--against", data.new, "--format", "json"]), runs)
    report = measure(
        invoke([*where, "report", "--against", data.new, "--format", "html", "-o", page]), runs
    )
    label = f"{data.patches} patches, {data.commits} upstream commits, warm cache"
    return [
        _row(f"status --against ({label})", *status, target=False),
        _row(f"report --against --format html ({label})", *report),
    ]


def rows(data: Any = None, *, quick: bool = False, patches: int = 500) -> list[dict[str, Any]]:
    """The 500-patch rows (own series); with the harness's synth.Synth as `data`, also
    `report --against` on it."""
    runs = 3 if quick else 7
    out = []
    if data is not None and hasattr(data, "series_dir"):
        out += time_against(data, runs)
    with tempfile.TemporaryDirectory(prefix="patchq-bench-report-") as tmp:
        root = Path(tmp)
        build_series(root, patches)
        for fmt in ("html", "markdown", "json", "text"):
            argv = ["-C", str(root), "report", "--format", fmt, "-o", str(root / f"r.{fmt}")]
            name = f"report --format {fmt} ({patches} patches, in-process)"
            out.append(_row(name, *measure(invoke(argv), runs)))
        argv = ["-C", str(root), "report", "--format", "html", "-o", str(root / "cold.html")]
        name = f"report --format html ({patches} patches, cold process)"
        out.append(_row(name, *measure(cold_process(argv), runs)))
        size = (root / "r.html").stat().st_size
    out.append({"name": "report.html size (bytes)", "seconds": None, "bytes": size})
    return out


def _row(name: str, wall: float, cpu: float, *, target: bool = True) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "seconds": round(wall, 4), "cpu_seconds": round(cpu, 4)}
    if target:
        row.update(target_seconds=TARGET_SECONDS, ok=wall < TARGET_SECONDS)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--patches", type=int, default=500)
    parser.add_argument(
        "--against",
        action="store_true",
        help="also time report --against on a synthetic upstream (benchmarks/synth.py)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchq-bench-synth-") as tmp:
        data = None
        if args.against:
            import synth

            size = {"commits": 2_000, "patches": 50, "landed": 10} if args.quick else {}
            data = synth.make_upstream(Path(tmp) / "synth", **size)
            time_against(data, 1)  # fill the status cache: the rows are warm runs
        table = rows(data, quick=args.quick, patches=args.patches)
    width = max(len(r["name"]) for r in table)
    print(f"{'benchmark':<{width}}  {'wall s':>7}  {'cpu s':>7}  target  ok")
    for r in table:
        if r["seconds"] is None:
            print(f"{r['name']:<{width}}  {r['bytes'] / 1024:>6.0f}K")
            continue
        target = f"<{r['target_seconds']:.1f}s" if "target_seconds" in r else ""
        verdict = ("yes" if r["ok"] else "NO") if "ok" in r else ""
        print(
            f"{r['name']:<{width}}  {r['seconds']:>7.3f}  {r['cpu_seconds']:>7.3f}  "
            f"{target:>6}  {verdict}"
        )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
