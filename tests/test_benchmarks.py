"""The benchmark harness runs end to end on small data (smoke test: no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import REPO_ROOT

ROOT = REPO_ROOT


@pytest.mark.slow
def test_quick_benchmark_runs_and_checks_its_results(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json",
         "--keep", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    table, _, rows_json = proc.stdout.partition("\n[")
    rows = json.loads("[" + rows_json)
    names = [row["name"] for row in rows]
    assert names[:4] == [
        "status, cold cache",
        "status, warm cache",
        "apply 20 patches",
        "patchq --help",
    ]
    for row in rows:
        assert row["patchq_ms"] > 0 and row["baseline_ms"] > 0 and row["ratio"] > 0
    assert "| status, cold cache |" in table


def test_synthetic_upstream_is_what_it_says(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from synth import make_upstream  # type: ignore[import-not-found]  # benchmarks/
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    data = make_upstream(tmp_path / "d", commits=50, patches=6, landed=2, lines=30)
    count = subprocess.run(
        ["git", "-C", str(data.upstream), "rev-list", "--count", f"{data.base}..{data.new}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert int(count) == 50
    assert len(list((data.series_dir / "patches").glob("*.patch"))) == 6
    assert data.mbox.read_bytes().count(b"\nFrom: ") == 6


def test_nova_shaped_upstream_adds_release_notes_to_a_flat_folder(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from synth import make_upstream
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    data = make_upstream(tmp_path / "d", commits=200, patches=10, landed=2, lines=30,
                         files=200, notes_every=5)  # fmt: skip
    notes = subprocess.run(
        ["git", "-C", str(data.upstream), "log", "--format=%H", f"{data.base}..{data.new}",
         "--", "releasenotes/notes"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert 20 <= len(notes) <= 60  # about 1 in 5
    tree = subprocess.run(
        ["git", "-C", str(data.upstream), "ls-tree", "--name-only", data.new,
         "releasenotes/notes/"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert len(tree) >= len(notes) and all(name.endswith(".yaml") for name in tree)
    patches = (data.series_dir / "patches").glob("*.patch")
    assert sum(b"releasenotes/notes/" in p.read_bytes() for p in patches) == 2  # 1 in 5
