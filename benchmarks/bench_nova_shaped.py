"""20,000 upstream commits on a nova-shaped tree (issue 12): cold `patchq status` <= 0.3x of
one `git log -p base..REF | git patch-id --stable` pass.

A plug-in of benchmarks/run.py (`rows(data, quick=...)`), or on its own:

    python benchmarks/bench_nova_shaped.py [--quick] [--keep DIR] [--runs N]

nova-shaped (benchmarks/synth.py): 5,000 files of 250 lines in folders of 50, and a flat
`releasenotes/notes/` folder that 1 in 5 commits (and 1 in 5 patches) adds a file to; the
series is the default one (200 patches, 40 landed). Where a tree like this makes a full
`--name-only` scan of every commit expensive (each note added rewrites a tree of thousands of
entries), the scan alone is shown next to the patch-id pass too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_one_release import NOVA_SHAPE, describe, shaped_data, shaped_main, shaped_rows  # noqa: E402
from synth import Synth  # noqa: E402

SIZES = {"commits": 20_000, "patches": 200, "landed": 40, **NOVA_SHAPE}
QUICK = {"commits": 1_000, "patches": 20, "landed": 5, "files": 500, "lines": 100, "notes_every": 5}


def rows(data: Synth, *, quick: bool, runs: int | None = None) -> list[dict[str, Any]]:
    runs = runs or (1 if quick else 3)
    shaped = shaped_data(data.root / "nova-shaped-data", QUICK if quick else SIZES)
    what = f"nova-shaped ({describe(shaped)}): status"
    return shaped_rows(shaped, what=what, runs=runs, targets=(0.3, 0.1))


def main() -> None:
    shaped_main(__doc__.splitlines()[0], SIZES, QUICK, label="nova-shaped", runs=3,
                targets=(0.3, 0.1))  # fmt: skip


if __name__ == "__main__":
    main()
