"""One release of a nova-shaped upstream (issue 12): `patchq status` next to one
`git log -p base..REF | git patch-id --stable` pass, where fixed costs weigh the most.

A plug-in of benchmarks/run.py (`rows(data, quick=...)`), or on its own:

    python benchmarks/bench_one_release.py [--quick] [--keep DIR] [--runs N]

Real packagers move one release at a time: nova 31.0.0 -> 32.0.0 is about 200 non-merge
commits, neutron 27.0.0 -> 28.0.0 about 300 (800 with merges). The data (benchmarks/synth.py)
is a nova-shaped tree (5,000 files of 250 lines in folders of 50, and a flat
`releasenotes/notes/` that 1 in 5 commits adds a file to) with nova's busy big files (HOT),
500 commits from 1.0 to 2.0 and a 50-patch series of which 10 landed. Targets: cold <= 0.5x,
warm <= 0.2x of the patch-id pass.
`shaped_rows` is shared with bench_nova_shaped.py (the 20,000-commit case).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402
from synth import Synth, make_upstream  # noqa: E402

NOVA_SHAPE = {"files": 5_000, "lines": 250, "notes_every": 5}
# nova's busiest files (compute/manager.py, its tests: 0.3-0.5 MB) are what a one-release
# patch-id pass spends its time on: 10 files of 10,000 lines, one of them changed by 60% of the
# commits, bring the pass to nova's cost per commit (about 2.5 ms on an idle machine).
HOT = {"hot_files": 10, "hot_lines": 10_000, "hot_share": 0.6}
SIZES = {"commits": 500, "patches": 50, "landed": 10, **NOVA_SHAPE, **HOT}
QUICK = {"commits": 200, "patches": 20, "landed": 4, "files": 500, "lines": 100, "notes_every": 5}


def shaped_data(root: Path, sizes: dict[str, int]) -> Synth:
    """The nova-shaped data under `root` (built once: reused while the sizes match)."""
    return harness.load_or_make(root, sizes, lambda: make_upstream(root, **sizes))


def shaped_rows(
    data: Synth, *, what: str, runs: int, targets: tuple[float, float]
) -> list[dict[str, Any]]:
    """status cold and warm next to the patch-id pass, and (no target) what the `--name-only`
    scan of every commit of the range alone costs next to it."""
    out = harness.status_rows(data, runs=runs, targets=targets, what=what)
    scan = ["git", "log", "-z", "--no-renames", "--name-only", "--format=%H%x00%P%x00%B"]
    scan.append(f"{data.base}..{data.new}")

    def patch_ids() -> None:
        harness.pipeline(
            data.upstream,
            ["git", "log", "-p", "--no-merges", f"{data.base}..{data.new}"],
            ["git", "patch-id", "--stable"],
        )

    alone = harness.paired(lambda: harness.run(scan, data.upstream), patch_ids, runs=runs)
    label = "`git log -p base..REF | git patch-id --stable`"
    out.append(harness.row(f"{what}: `git log --name-only` of the range alone", label, alone, None))
    return out


def describe(data: Synth, *, hot: bool = False) -> str:
    big = ", 10 of 10,000 lines" if hot else ""
    return (
        f"{data.commits} commits, {data.files} files of {data.lines} lines{big} + release notes, "
        f"{data.patches} patches ({data.landed} landed)"
    )


def rows(data: Synth, *, quick: bool, runs: int | None = None) -> list[dict[str, Any]]:
    runs = runs or (1 if quick else 5)
    shaped = shaped_data(data.root / "one-release-data", QUICK if quick else SIZES)
    what = f"one release ({describe(shaped, hot=not quick)}): status"
    return shaped_rows(shaped, what=what, runs=runs, targets=(0.5, 0.2))


def shaped_main(
    description: str,
    sizes: dict[str, int],
    quick_sizes: dict[str, int],
    *,
    label: str,
    runs: int,
    targets: tuple[float, float],
    hot: bool = False,
) -> None:
    """The command line of a shaped-data benchmark (this one and bench_nova_shaped.py)."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data here")
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patchq-bench-") as tmp:
        root = args.keep or Path(tmp) / "data"
        data = shaped_data(root, quick_sizes if args.quick else sizes)
        what = f"{label} ({describe(data, hot=hot and not args.quick)}): status"
        table = shaped_rows(data, what=what, runs=args.runs or runs, targets=targets)
        print(harness.render(table, data))


def main() -> None:
    shaped_main(__doc__.splitlines()[0], SIZES, QUICK, label="one release", runs=5,
                targets=(0.5, 0.2), hot=True)  # fmt: skip


if __name__ == "__main__":
    main()
