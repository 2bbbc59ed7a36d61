"""`patchq rebase --onto NEW` next to `git rebase --onto NEW OLD` (merge backend), same data.

A plug-in of benchmarks/run.py (`rows(data, quick=...)`), or on its own:

    python benchmarks/bench_rebase.py [--quick] [--keep DIR]

Both sides are whole processes in paired alternating runs (run.paired). Each patchq run gets
a fresh copy of the series; each git run starts from a fresh detached checkout of the series as
commits on OLD (built once with `git am`, untimed) in a clone that shares the upstream's
objects. Before timing, the result is checked: patchq drops exactly the landed patches, and
its refreshed patch files `git am` onto NEW to the very tree `git rebase` produces.
"""

from __future__ import annotations

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


def rows(data: Synth, *, quick: bool) -> list[dict[str, Any]]:
    runs = 1 if quick else 5
    side = data.root / "rebase-bench"
    shutil.rmtree(side, ignore_errors=True)
    side.mkdir()
    clone, tip = _git_side(data, side)
    series = side / "series"
    rebase = harness.patchq_argv(
        "-q", "-C", str(series), "--upstream", str(data.upstream), "rebase", "--onto", data.new
    )
    git_rebase = [*GIT, "-c", "rebase.backend=merge", "rebase", "-q", "--onto", data.new]
    git_rebase.append(data.base)
    cache = data.upstream / ".git" / "patchq"

    def fresh_series() -> None:
        shutil.rmtree(series, ignore_errors=True)
        shutil.copytree(data.series_dir, series, ignore=shutil.ignore_patterns(".patchq"))

    def cold() -> None:
        fresh_series()
        shutil.rmtree(cache, ignore_errors=True)

    def reset_git() -> None:
        harness.run([*GIT, "rebase", "--abort"], clone, check=False)
        harness.run([*GIT, "checkout", "-q", "-f", "--detach", tip], clone)

    _check(data, series, clone, rebase, git_rebase, fresh_series, reset_git)
    label = "`git rebase --onto NEW OLD` (merge backend)"
    what = f"rebase {data.patches} patches ({data.landed} landed)"
    cold_result = harness.paired(
        lambda: harness.run(rebase, side),
        lambda: harness.run(git_rebase, clone),
        runs=runs,
        prepare_a=cold,
        prepare_b=reset_git,
    )
    warm_result = harness.paired(
        lambda: harness.run(rebase, side),
        lambda: harness.run(git_rebase, clone),
        runs=runs,
        prepare_a=fresh_series,
        prepare_b=reset_git,
    )
    shutil.rmtree(side, ignore_errors=True)
    return [
        harness.row(f"{what}, cold cache", label, cold_result, 0.5),
        harness.row(f"{what}, warm cache", label, warm_result, 0.5),
    ]


def _git_side(data: Synth, side: Path) -> tuple[Path, str]:
    """A clone sharing the upstream's objects, with the series as commits on OLD."""
    clone = side / "git-rebase"
    harness.run(
        ["git", "clone", "-q", "--shared", "--no-checkout", str(data.upstream), str(clone)], side
    )
    harness.run([*GIT, "checkout", "-q", "--detach", data.base], clone)
    harness.run([*GIT, "am", "-q", str(data.mbox)], clone)
    tip = harness.run(["git", "rev-parse", "HEAD"], clone).stdout.decode().strip()
    return clone, tip


def _check(
    data: Synth,
    series: Path,
    clone: Path,
    rebase: list[str],
    git_rebase: list[str],
    fresh_series: Any,
    reset_git: Any,
) -> None:
    import yaml

    fresh_series()
    harness.run(rebase, series.parent)
    entry = yaml.safe_load((series / "series.yaml").read_text())["history"][-1]
    if len(entry["dropped"]) != data.landed:
        raise RuntimeError(f"patchq rebase dropped {len(entry['dropped'])}, not {data.landed}")
    reset_git()
    harness.run(git_rebase, clone)
    want = harness.run(["git", "rev-parse", "HEAD^{tree}"], clone).stdout
    kept = yaml.safe_load((series / "series.yaml").read_text())["patches"]
    harness.run([*GIT, "checkout", "-q", "-f", "--detach", data.new], clone)
    files = [str(series / "patches" / p["file"]) for p in kept]
    harness.run([*GIT, "am", "-q", *files], clone)
    got = harness.run(["git", "rev-parse", "HEAD^{tree}"], clone).stdout
    if got != want:
        raise RuntimeError("the refreshed series does not give git rebase's tree")


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data here")
    args = parser.parse_args()
    sizes = dict(harness.QUICK if args.quick else harness.FULL)
    with tempfile.TemporaryDirectory(prefix="patchq-bench-") as tmp:
        root = args.keep or Path(tmp) / "data"
        data = harness.load_or_make(root, sizes, lambda: make_upstream(root, **sizes))
        print(harness.render(rows(data, quick=args.quick), data))


if __name__ == "__main__":
    main()
