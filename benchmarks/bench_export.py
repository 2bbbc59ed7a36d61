"""How long `patchq export` takes to write a series in every format (debian, rpm, mbox).

Target (issue 13): a 200-patch series is exported in every format in under 1 s.

    python benchmarks/bench_export.py [--quick]

The series is the harness's synthetic one (synth.py: 200 format-patch files by default, 20 with
--quick), copied so its series.yaml can name three export targets. Each patchq run is one
process, `patchq export` with no argument, writing all three targets from scratch (they are
removed before each run). The baseline is plain copying: `cp` of the patch files beside a spec
plus `cat` of them into one mbox, which is the least any export does.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
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


def rows(data: Any, *, quick: bool) -> list[dict[str, Any]]:
    from run import paired, patchq_argv, row
    from run import run as run_patchq

    work = data.root / "bench-export"
    work.mkdir(exist_ok=True)
    series_dir = prepare(data, work)
    argv = patchq_argv("-C", str(series_dir), "--upstream", str(data.upstream), "export")

    def export() -> None:
        run_patchq(argv, work)

    def copy() -> None:
        patches = sorted((series_dir / "patches").glob("*.patch"))
        subprocess.run(["cp", *map(str, patches), str(work / "out")], check=True)
        with open(work / "out" / "all.mbox", "wb") as out:
            subprocess.run(["cat", *map(str, patches)], stdout=out, check=True)

    reset(work)
    export()
    written = sorted(p.name for p in (work / "out" / "debian" / "patches").iterdir())
    assert len(written) == data.patches + 1, written  # every patch and `series`
    assert (work / "out" / "all.mbox").read_bytes().count(b"\nFrom: ") == data.patches
    again = lambda: reset(work)  # noqa: E731
    result = paired(export, copy, runs=3 if quick else 5, prepare_a=again, prepare_b=again)
    name = f"export {data.patches} patches: debian + rpm + mbox"
    return [row(name, "cp + cat of the patch files", result, TARGET_SECONDS)]


def main() -> int:
    import tempfile

    from run import QUICK, load_or_make
    from synth import make_upstream

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    # The export reads only the series: a short upstream history is enough.
    params = QUICK if args.quick else {**QUICK, "patches": 200}

    root = Path(tempfile.mkdtemp(prefix="patchq-bench-export-"))
    data = load_or_make(root, params, lambda: make_upstream(root / "data", **params))
    for item in rows(data, quick=args.quick):
        print(item)
    return 0


if __name__ == "__main__":
    sys.exit(main())
