"""How long `patchq export` takes to write a series in every format (debian, rpm, mbox).

Target (issue 13): a 200-patch series is exported in every format in under 1 s.

    python benchmarks/bench_export.py [--quick]

The series is the harness's synthetic one (synth.py: 200 format-patch files by default, 20 with
--quick), copied so its series.yaml can name three export targets. Each sample is one whole
`python -m patchq export` process (interpreter start-up included) writing all three targets
from scratch (they are removed before each run), against the one-second budget; `cpu_ms` (the
process's CPU time) stays steady when other jobs share the machine. The first row runs with the
user's cache as the warm-up left it (where RPM's Python bindings are, found once: see
patchq/export/rpmbindings.py); the second gives every run an empty cache, as a first export on a
new machine or a CI job in a fresh container would. patchq is byte-compiled first
(run.precompile), as an installed patchq is.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

TARGET_SECONDS = 1.0
SPEC = """\
Name:           nova
Version:        1.0
Release:        1
Summary:        nova
License:        Apache-2.0
Source0:        nova-1.0.tar.gz

%description
nova

%prep
%autosetup -p1

%changelog
* Mon Jan 06 2025 Bench <bench@example.org> - 1.0-1
- Package 1.0
"""


def prepare(data: Any, work: Path) -> Path:
    series_dir = work / "series"
    if series_dir.exists():
        shutil.rmtree(series_dir)
    shutil.copytree(data.series_dir, series_dir, ignore=shutil.ignore_patterns(".patchq"))
    yaml = series_dir / "series.yaml"
    text = yaml.read_text()
    targets = (
        "export:\n  debian: ../out/debian/patches\n  rpm: ../out/nova.spec\n"
        "  mbox: ../out/all.mbox\n"
    )
    yaml.write_text(text.replace("patches:", targets + "patches:", 1))
    return series_dir


def reset(work: Path) -> None:
    out = work / "out"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    (out / "nova.spec").write_text(SPEC)


def _clock() -> tuple[float, float]:
    """Wall time, and CPU time of this process plus its finished children."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def run_on(argv: list[str], cwd: Path, extra: dict[str, str]) -> None:
    from run import env

    environment = {**env(), **extra}
    subprocess.run(argv, cwd=cwd, env=environment, check=True, capture_output=True)


def rows(data: Any, *, quick: bool) -> list[dict[str, Any]]:
    from run import patchq_argv
    from run import run as run_patchq

    work = data.root / "bench-export"
    work.mkdir(exist_ok=True)
    series_dir = prepare(data, work)
    argv = patchq_argv("-C", str(series_dir), "--upstream", str(data.upstream), "export")
    reset(work)
    run_patchq(argv, work)
    written = sorted(p.name for p in (work / "out" / "debian" / "patches").iterdir())
    assert len(written) == data.patches + 1, written  # every patch and `series`
    assert (work / "out" / "all.mbox").read_bytes().count(b"\nFrom: ") == data.patches
    out = []
    variants: dict[str, dict[str, str] | None] = {
        "": {},
        ", empty user cache": None,  # a new temporary XDG_CACHE_HOME per run
    }
    for label, extra in variants.items():
        samples = []
        for _ in range(3 if quick else 5):
            reset(work)
            with tempfile.TemporaryDirectory(prefix="patchq-bench-cache-") as cache:
                wall0, cpu0 = _clock()
                if extra is None:
                    run_on(argv, work, {"XDG_CACHE_HOME": cache})
                else:
                    run_patchq(argv, work)
                wall1, cpu1 = _clock()
            samples.append((wall1 - wall0, cpu1 - cpu0))
        walls = [w for w, _ in samples]
        wall = statistics.median(walls)
        out.append(
            {
                "name": f"export {data.patches} patches: debian + rpm + mbox{label}",
                "patchq_ms": round(wall * 1000, 1),
                "baseline": "1 s budget (issue 13)",
                "baseline_ms": TARGET_SECONDS * 1000,
                "ratio": round(wall / TARGET_SECONDS, 3),
                "target": 1.0,
                "cpu_ms": round(statistics.median(c for _, c in samples) * 1000, 1),
                "spread_ms": [round(min(walls) * 1000), round(max(walls) * 1000)],
            }
        )
    return out


def main() -> int:
    from run import QUICK, load_or_make
    from synth import make_upstream

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    # The export reads only the series: a short upstream history is enough.
    params = QUICK if args.quick else {**QUICK, "patches": 200}

    with tempfile.TemporaryDirectory(prefix="patchq-bench-export-") as tmp:
        root = Path(tmp)
        data = load_or_make(root, params, lambda: make_upstream(root / "data", **params))
        for item in rows(data, quick=args.quick):
            print(item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
