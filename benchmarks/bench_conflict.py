"""A rebase that stops at conflicts (issue 12): `patchq rebase` with `--skip` at each stop
next to `git rebase --onto` with `--skip` at each of its stops, on the same data.

A plug-in of benchmarks/run.py (`rows(data, quick=...)`), or on its own:

    python benchmarks/bench_conflict.py [--quick] [--keep DIR] [--runs N] [--full-worktree]
    python benchmarks/bench_conflict.py --real CLONE --base 27.0.0 --new 28.0.0 \
        --series-range 27.0.0..SERIES_TIP     # a real clone; the series is that range

patchq's conflict worktree is a sparse checkout of the series' files (the default);
`--full-worktree` times `patchq rebase --onto NEW --full-worktree` (the whole tree on disk).

It builds its own upstream (benchmarks/synth.py's stream, one `git fast-import`): tag 1.0 with
5,000 files of 250 lines (about neutron's size), then 300 commits to 2.0 that change the top
halves of files; a 30-patch series on 1.0 that changes bottom halves, of which 5 patches change
a line that one of the 2.0 commits changes too (true conflicts: git and patchq both stop there).
Rows, in paired alternating runs of whole processes:

* the whole rebase (`rebase --onto 2.0`, then `--skip` until it finishes), cold cache, against
  `git rebase --onto 2.0 1.0` (merge backend) with `--skip` on each stop;
* each later stop alone (a `--skip` that stops again), against a 0.3 s budget;
* the first stop (`rebase --onto 2.0` up to the first conflict), against git's first stop;
* one checkout of 2.0 into an empty directory (`git read-tree --reset -u`), against the whole
  git rebase: what a whole-tree conflict worktree (`--full-worktree`) writes once and
  `git rebase`, working in the user's own checkout, never does. The default sparse worktree
  writes only the series' files (tens instead of thousands).
"""

from __future__ import annotations

import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import run as harness  # noqa: E402
from bench_rebase import GIT, _git_side  # noqa: E402
from synth import Synth, _Stream, _write_series, git, load_stream, series_from_range  # noqa: E402

FULL_SIZES = {"files": 5_000, "commits": 300, "patches": 30, "conflicts": 5}
QUICK_SIZES = {"files": 400, "commits": 60, "patches": 12, "conflicts": 3}
STOP_BUDGET = 0.3


def make_conflicting(
    root: Path, *, files: int, commits: int, patches: int, conflicts: int, seed: int = 12
) -> Synth:
    """An upstream and a series on 1.0 of which `conflicts` patches conflict with 2.0."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    upstream = root / "upstream"
    git(root, "init", "-q", "-b", "master", str(upstream))
    git(upstream, "config", "gc.auto", "0")
    stream = _Stream(rng, files, 250)
    base = stream.commit("refs/heads/master", "Initial import\n", list(stream.paths))
    stream.tag("1.0", base)
    base_content = {p: list(v) for p, v in stream.content.items()}
    step = patches // conflicts
    clashing = {step * k + step // 2 for k in range(conflicts)}
    touched = rng.sample(stream.paths, k=patches)
    clashes: list[tuple[str, int]] = []
    parent = base
    for i, path in enumerate(touched):
        line = rng.randint(140, 240)
        stream.content[path][line] += f" # downstream {i}"
        if i in clashing:
            clashes.append((path, line))
        msg = f"Downstream fix {i:04d}\n\nCarried for the distro.\n"
        parent = stream.commit("refs/heads/downstream", msg, [path], parent=parent)
    stream.content = base_content
    clash_at = {(k + 1) * commits // (len(clashes) + 1): c for k, c in enumerate(clashes)}
    parent = base
    for n in range(commits):
        if n in clash_at:
            path, line = clash_at[n]
            stream.content[path][line] += f" # upstream {n}"
            chosen = [path]
        else:
            chosen = rng.sample(stream.paths, k=rng.choice((1, 1, 2, 3)))
            for path in chosen:
                stream.edit(path, half="top", label=f"upstream {n}")
        msg = f"Upstream change {n}\n\nSome work.\n"
        parent = stream.commit("refs/heads/master", msg, chosen, parent=parent)
    stream.tag("2.0", parent)
    load_stream(upstream, stream)

    series_dir, mbox = root / "series", root / "series.mbox"
    _write_series(upstream, series_dir, mbox)
    git(upstream, "update-ref", "-d", "refs/heads/downstream")
    return Synth(
        root=root, upstream=upstream, series_dir=series_dir, mbox=mbox, base="1.0", new="2.0",
        commits=commits, patches=patches, landed=0, files=files, lines=250,
    )  # fmt: skip


def rows(data: Synth | None, *, quick: bool, runs: int | None = None) -> list[dict[str, Any]]:
    """The rows; `data` (the harness's shared upstream) is not used: this case needs its own."""
    runs = runs or (1 if quick else 5)
    sizes = QUICK_SIZES if quick else FULL_SIZES
    root = (data.root if data is not None else Path.cwd()) / "conflict-bench"
    made = harness.load_or_make(
        root / "data", sizes, lambda: make_conflicting(root / "data", **sizes)
    )
    return measure(made, conflicts=sizes["conflicts"], runs=runs)


def measure(
    data: Synth, *, conflicts: int | None, runs: int, full_worktree: bool = False
) -> list[dict[str, Any]]:
    """The rows on `data`; both sides must stop `conflicts` times (None: as often as each
    other, or fewer for patchq, which drops landed patches that git stops at).
    `full_worktree`: patchq's conflict worktree is the whole tree, not a sparse checkout."""
    side = data.root.parent / "runs"
    shutil.rmtree(side, ignore_errors=True)
    side.mkdir()
    clone, tip = _git_side(data, side)
    series = side / "series"
    cache = data.upstream / ".git" / "patchq"
    patchq = harness.patchq_argv("-q", "-C", str(series), "--upstream", str(data.upstream))
    stops: list[float] = []
    firsts: list[float] = []
    git_firsts: list[float] = []

    def fresh() -> None:
        shutil.rmtree(series, ignore_errors=True)
        shutil.copytree(data.series_dir, series, ignore=shutil.ignore_patterns(".patchq"))
        shutil.rmtree(cache, ignore_errors=True)

    def patchq_rebase() -> int:
        start = time.perf_counter()
        onto = ["rebase", "--onto", data.new, *(["--full-worktree"] if full_worktree else [])]
        proc = harness.run([*patchq, *onto], side, check=False)
        firsts.append(time.perf_counter() - start)
        seen = 0
        while proc.returncode == 1:
            seen += 1
            start = time.perf_counter()
            proc = harness.run([*patchq, "rebase", "--skip"], side, check=False)
            if proc.returncode == 1:
                stops.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"patchq rebase failed: {proc.stderr.decode()[-2000:]}")
        return seen

    def reset_git() -> None:
        harness.run([*GIT, "rebase", "--abort"], clone, check=False)
        harness.run([*GIT, "checkout", "-q", "-f", "--detach", tip], clone)

    def git_rebase() -> int:
        argv = [*GIT, "-c", "rebase.backend=merge", "rebase", "-q", "--onto", data.new, data.base]
        start = time.perf_counter()
        proc = harness.run(argv, clone, check=False)
        git_firsts.append(time.perf_counter() - start)
        seen = 0
        while proc.returncode != 0:
            seen += 1
            if seen > 100:
                raise RuntimeError(f"git rebase does not finish: {proc.stderr.decode()[-2000:]}")
            proc = harness.run([*GIT, "rebase", "--skip"], clone, check=False)
        return seen

    fresh()
    got = patchq_rebase()
    reset_git()
    want = git_rebase()
    if (conflicts is not None and (got, want) != (conflicts, conflicts)) or got > want:
        raise RuntimeError(f"patchq stopped {got} times and git {want}, not {conflicts}")
    print(f"patchq stops {got} times, git {want} times", file=sys.stderr)
    stops.clear()
    firsts.clear()
    git_firsts.clear()
    result = harness.paired(
        patchq_rebase, git_rebase, runs=runs, prepare_a=fresh, prepare_b=reset_git
    )
    first = (
        statistics.median(firsts),
        statistics.median(git_firsts),
        statistics.median(a / b for a, b in zip(firsts, git_firsts, strict=True)),
    )
    # What bounds the whole rebase: the one checkout of the tree patchq's worktree needs.
    scratch = side / "checkout"

    def empty() -> None:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir()

    def checkout() -> None:
        env = {**harness.env(), "GIT_INDEX_FILE": str(side / "checkout.index")}
        env["GIT_WORK_TREE"] = str(scratch)
        argv = [*GIT, "read-tree", "--reset", "-u", data.new]
        subprocess.run(argv, cwd=data.upstream, env=env, check=True, capture_output=True)

    bound = harness.paired(checkout, git_rebase, runs=runs, prepare_a=empty, prepare_b=reset_git)
    shutil.rmtree(side, ignore_errors=True)
    tree = f"{data.files}-file upstream" if data.files else f"{data.base}..{data.new}"
    form = "whole-tree worktree" if full_worktree else "sparse worktree"
    what = f"{tree}, {data.patches} patches, {got} stops (git {want}), {form}"
    git_label = "`git rebase --onto NEW OLD` + `--skip` per stop"
    budget = f"{STOP_BUDGET:g} s budget (issue 12)"
    later = (statistics.median(stops), STOP_BUDGET, statistics.median(stops) / STOP_BUDGET)
    worst = (max(stops), STOP_BUDGET, max(stops) / STOP_BUDGET)
    whole = f"rebase with --skip at each stop, cold cache ({what})"
    return [
        harness.row(whole, git_label, result, 1.0),
        harness.row(
            f"a later stop (`--skip` to the next), median of {len(stops)}", budget, later, 1.0
        ),
        harness.row(f"a later stop, slowest of {len(stops)}", budget, worst, 1.0),
        harness.row(
            "the first stop (`rebase --onto`)", "git rebase to its first stop", first, None
        ),
        harness.row("one checkout of NEW alone (`read-tree -u`)", git_label, bound, None),
    ]


def main() -> None:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data here")
    parser.add_argument("--runs", type=int, help="timed pairs (default 5, quick 1)")
    parser.add_argument("--real", type=Path, help="a real upstream clone instead")
    parser.add_argument("--base", default="27.0.0", help="with --real: the series' base")
    parser.add_argument("--new", default="28.0.0", help="with --real: the release to rebase onto")
    parser.add_argument("--series-range", help="with --real: the commits that make the series")
    parser.add_argument(
        "--full-worktree", action="store_true", help="patchq checks out the whole tree at a stop"
    )
    args = parser.parse_args()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    runs = args.runs or (1 if args.quick else 5)
    with tempfile.TemporaryDirectory(prefix="patchq-bench-") as tmp:
        root = args.keep or Path(tmp) / "conflict-bench"
        if args.real is not None:
            real = {"real": str(args.real), "base": args.base, "new": args.new,
                    "series_range": args.series_range}  # fmt: skip
            made = harness.load_or_make(root / "data", real, lambda: series_from_range(
                args.real, root / "data", base=args.base, new=args.new,
                series_range=args.series_range, limit=1000,
            ))  # fmt: skip
            rows = measure(made, conflicts=None, runs=runs, full_worktree=args.full_worktree)
            print(harness.render(rows, made))
            return
        made = harness.load_or_make(
            root / "data", sizes, lambda: make_conflicting(root / "data", **sizes)
        )
        out = measure(
            made, conflicts=sizes["conflicts"], runs=runs, full_worktree=args.full_worktree
        )
        print(harness.render(out, made))


if __name__ == "__main__":
    main()
