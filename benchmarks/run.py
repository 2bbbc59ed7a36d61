"""patchq next to plain git, on the same synthetic data, in the same run.

    python benchmarks/run.py            # 20,000 upstream commits, 200 patches, 40 landed
    python benchmarks/run.py --quick    # small sizes, seconds (CI smoke test)

Each row times a patchq command (a whole process, interpreter start-up included) against a
plain-git baseline doing comparable work, in paired alternating runs (A B A B ...); the ratio
is the median of the per-pair ratios, so machine-speed drift cancels out. Every patchq result
is checked (landed count, branch tree equal to `git am`'s) before it is timed.

Modules `benchmarks/bench_*.py` that define `rows(data: Synth, *, quick: bool) -> list[dict]`
add their rows to the same table; use `paired()` and `row()` from here.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import shutil
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

from synth import Synth, make_upstream, series_from_range  # noqa: E402

QUICK = {"commits": 400, "patches": 20, "landed": 5, "lines": 100}
FULL = {"commits": 20_000, "patches": 200, "landed": 40, "lines": 250}


def patchq_argv(*args: str) -> list[str]:
    """The `patchq` command a packager runs: the console script pip put next to this Python
    (`python -m patchq` costs runpy's ~10 ms more); it imports the checkout (PYTHONPATH)."""
    precompile()
    script = Path(sys.executable).parent / "patchq"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), *args]
    return [sys.executable, "-m", "patchq", *args]


@functools.cache
def precompile() -> None:
    """Byte-compile patchq once, as `pip install` does: with PYTHONDONTWRITEBYTECODE set (as on
    the test VM) an editable checkout would otherwise be compiled from source by every timed
    process, 0.1-0.2 s that no installed patchq pays."""
    import compileall

    compileall.compile_dir(ROOT / "patchq", quiet=1)


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    out.pop("PATCHQ_UPSTREAM", None)
    return out


def run(argv: list[str], cwd: Path, *, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(argv, cwd=cwd, env=env(), capture_output=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {proc.stderr.decode()[-2000:]}")
    return proc


def pipeline(cwd: Path, first: list[str], second: list[str]) -> None:
    """`first | second` with two processes, output discarded."""
    a = subprocess.Popen(first, cwd=cwd, stdout=subprocess.PIPE)
    b = subprocess.Popen(second, cwd=cwd, stdin=a.stdout, stdout=subprocess.DEVNULL)
    assert a.stdout is not None
    a.stdout.close()
    if b.wait() != 0 or a.wait() != 0:
        raise RuntimeError(f"{first} | {second} failed")


def timed(action: Callable[[], Any], prepare: Callable[[], Any] | None = None) -> float:
    if prepare is not None:
        prepare()
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def paired(
    a: Callable[[], Any],
    b: Callable[[], Any],
    *,
    runs: int,
    prepare_a: Callable[[], Any] | None = None,
    prepare_b: Callable[[], Any] | None = None,
) -> tuple[float, float, float]:
    """(median a, median b, median of a/b) over `runs` alternating pairs, after one warm-up."""
    timed(a, prepare_a)
    timed(b, prepare_b)
    times_a, times_b, ratios = [], [], []
    for _ in range(runs):
        ta = timed(a, prepare_a)
        tb = timed(b, prepare_b)
        times_a.append(ta)
        times_b.append(tb)
        ratios.append(ta / tb)
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def row(
    name: str, baseline: str, result: tuple[float, float, float], target: float | None
) -> dict[str, Any]:
    a, b, ratio = result
    return {
        "name": name,
        "patchq_ms": round(a * 1000, 1),
        "baseline": baseline,
        "baseline_ms": round(b * 1000, 1),
        "ratio": round(ratio, 3),
        "target": target,
    }


# -- the rows of issue 3 ---------------------------------------------------------------------


def status_rows(
    data: Synth, *, runs: int, targets: tuple[float, float] = (0.3, 0.1), what: str = "status"
) -> list[dict[str, Any]]:
    """Cold and warm `patchq status` against one `git log -p | git patch-id` pass of the range
    (`targets`: the largest cold and warm ratios allowed)."""
    cache = data.upstream / ".git" / "patchq"
    status = patchq_argv("status", "--against", data.new, "--format", "json")
    check = json.loads(run(status, data.series_dir).stdout)
    landed = sum(p["state"] == "landed" for p in check["patches"])
    if data.landed >= 0 and landed != data.landed:
        raise RuntimeError(f"status found {landed} landed patches, expected {data.landed}")

    def baseline() -> None:
        pipeline(
            data.upstream,
            ["git", "log", "-p", "--no-merges", f"{data.base}..{data.new}"],
            ["git", "patch-id", "--stable"],
        )

    def forget() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    label = "`git log -p base..REF | git patch-id --stable`"
    cold = paired(lambda: run(status, data.series_dir), baseline, runs=runs, prepare_a=forget)
    run(status, data.series_dir)
    warm = paired(lambda: run(status, data.series_dir), baseline, runs=runs)
    return [
        row(f"{what}, cold cache", label, cold, targets[0]),
        row(f"{what}, warm cache", label, warm, targets[1]),
    ]


def apply_rows(data: Synth, *, runs: int) -> list[dict[str, Any]]:
    worktree = data.root / "am-worktree"
    if not worktree.exists():
        run(["git", "worktree", "add", "-q", "--detach", str(worktree), data.base], data.upstream)
    git_am = ["git", "-c", "core.hooksPath=/dev/null", "am", "-q", str(data.mbox)]

    def reset_am() -> None:
        run(["git", "am", "--abort"], worktree, check=False)
        run(["git", "checkout", "-q", "-f", "--detach", data.base], worktree)

    apply = patchq_argv("apply", "--branch", "bench-apply", "--force")
    reset_am()
    run(git_am, worktree)
    want = run(["git", "rev-parse", "HEAD^{tree}"], worktree).stdout
    run(apply, data.series_dir)
    got = run(["git", "rev-parse", "bench-apply^{tree}"], data.upstream).stdout
    if got != want:
        raise RuntimeError("patchq apply built another tree than git am")
    result = paired(
        lambda: run(apply, data.series_dir), lambda: run(git_am, worktree), runs=runs,
        prepare_b=reset_am,
    )  # fmt: skip
    return [row(f"apply {data.patches} patches", "one `git am` of the same mbox", result, 1.0)]


def help_rows(data: Synth, *, runs: int) -> list[dict[str, Any]]:
    result = paired(
        lambda: run(patchq_argv("--help"), data.root),
        lambda: run([sys.executable, "-c", "import click, yaml"], data.root),
        runs=max(runs, 5),
    )
    return [row("patchq --help", '`python -c "import click, yaml"`', result, 2.0)]


def extra_rows(data: Synth, *, quick: bool, only: set[str] | None = None) -> list[dict[str, Any]]:
    """Rows from benchmarks/bench_*.py (other commands' benchmarks); `only`: the plug-ins
    named (bench_NAME.py), when given."""
    out: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if only is not None and path.stem.removeprefix("bench_") not in only:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "rows"):
            out += module.rows(data, quick=quick)
    return out


def render(rows: list[dict[str, Any]], data: Synth) -> str:
    what = (
        f"synthetic upstream: {data.commits} commits in {data.base}..{data.new}, "
        f"{data.files} files of {data.lines} lines; series of {data.patches} patches, "
        f"{data.landed} landed upstream"
    )
    if data.landed < 0:
        what = (
            f"real upstream {data.upstream}: {data.commits} non-merge commits in "
            f"{data.base}..{data.new}; series of {data.patches} patches"
        )
    lines = [
        what,
        "",
        "| what | patchq ms | baseline | baseline ms | ratio | target |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        target = "" if r.get("target") is None else f"<= {r['target']}"
        verdict = (
            "" if r.get("target") is None else (" ok" if r["ratio"] <= r["target"] else " MISS")
        )
        baseline = str(r["baseline"]).replace("|", "\\|")  # a pipe inside a table cell
        lines.append(
            f"| {r['name']} | {r['patchq_ms']} | {baseline} | {r['baseline_ms']} | "
            f"{r['ratio']}{verdict} | {target} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--commits", type=int)
    parser.add_argument("--patches", type=int)
    parser.add_argument("--landed", type=int)
    parser.add_argument("--lines", type=int, help="lines per file")
    parser.add_argument("--runs", type=int, help="timed pairs per row (default 5, quick 1)")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the data here and keep it")
    parser.add_argument("--json", action="store_true", help="print rows as JSON too")
    parser.add_argument(
        "--only",
        help="comma-separated rows to run: status, apply, help and plug-in names "
        "(bench_NAME.py: e.g. one_release, nova_shaped, point_release); default all",
    )
    parser.add_argument("--real", type=Path, help="a real upstream clone instead of synthetic")
    parser.add_argument("--base", default="31.0.0", help="with --real: the series' base")
    parser.add_argument("--new", default="33.0.0", help="with --real: the REF to compare with")
    parser.add_argument(
        "--series-range",
        default="31.0.0..origin/stable/2025.1",
        help="with --real: commits that make the series (format-patch of each)",
    )
    args = parser.parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    for key in sizes:
        if getattr(args, key) is not None:
            sizes[key] = getattr(args, key)
    runs = args.runs or (1 if args.quick else 5)
    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="patchq-bench-")
        root = Path(tmp.name) / "data"
    else:
        root = args.keep
    try:
        start = time.perf_counter()
        if args.real is not None:
            real = {"real": str(args.real), "base": args.base, "new": args.new,
                    "series_range": args.series_range, "limit": args.patches or 200}  # fmt: skip
            data = load_or_make(root, real, lambda: series_from_range(
                args.real, root, base=args.base, new=args.new,
                series_range=args.series_range, limit=args.patches or 200,
            ))  # fmt: skip
        else:
            data = load_or_make(root, sizes, lambda: make_upstream(root, **sizes))
        print(f"data ready in {time.perf_counter() - start:.1f}s", file=sys.stderr)
        only = set(args.only.split(",")) if args.only else None
        rows: list[dict[str, Any]] = []
        if only is None or "status" in only:
            # A real clone is one release (issue 12): fixed costs weigh more, targets are looser.
            targets = (0.5, 0.2) if args.real is not None else (0.3, 0.1)
            rows += status_rows(data, runs=runs, targets=targets)
        if only is None or "apply" in only:
            rows += apply_rows(data, runs=runs)
        if only is None or "help" in only:
            rows += help_rows(data, runs=runs)
        rows += extra_rows(data, quick=args.quick, only=only)
        print(render(rows, data))
        if args.quick:
            print("\n(the targets are ratios for the default synthetic sizes; small ranges"
                  " are dominated by fixed costs such as interpreter start-up)")  # fmt: skip
        if args.real is not None:
            print("\n(status targets on a real clone: issue 12's, for one-release ranges)")
        if args.json:
            print(json.dumps(rows, indent=2))
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


def load_or_make(root: Path, params: dict[str, Any], make: Callable[[], Synth]) -> Synth:
    """The data built earlier with the same parameters under `root` (--keep), or new data."""
    marker = root / "synth.json"
    if marker.is_file():
        saved = json.loads(marker.read_text())
        if saved.get("params") == params:
            paths = {k: Path(saved[k]) for k in ("root", "upstream", "series_dir", "mbox")}
            fields = {k: v for k, v in saved.items() if k != "params"}
            return Synth(**{**fields, **paths})
    if root.exists():
        shutil.rmtree(root)
    data = make()
    saved = {k: str(v) if isinstance(v, Path) else v for k, v in data.__dict__.items()}
    marker.write_text(json.dumps({**saved, "params": params}))
    return data


if __name__ == "__main__":
    sys.exit(main())
