"""Interrupted imports and drops leave the series before or after, never in between; names
that fit two patches are refused; no .patchq/ appears where there is no series."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from patchq.series import io as series
from tests.builders import UpstreamRepo, add_patch, run
from tests.cli.test_hardening import one_error_line

ROOT = Path(__file__).resolve().parents[1]


def patchq(
    ws: Path, *args: str, crash: int | None = None, trace: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PATCHQ_TEST_CRASH_AFTER", None)
    if crash is not None:
        env["PATCHQ_TEST_CRASH_AFTER"] = str(crash)
    if trace:
        env["PATCHQ_TEST_CRASH_TRACE"] = "1"
    argv = [sys.executable, "-m", "patchq", "-C", str(ws), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def steps(proc: subprocess.CompletedProcess[str]) -> int:
    return len(re.findall(r"^patchq: step \d+: ", proc.stdout, re.M))


def state(ws: Path) -> dict[str, bytes]:
    """series.yaml and every file in patches/."""
    out = {"series.yaml": (ws / "series.yaml").read_bytes()}
    for path in sorted((ws / "patches").iterdir()):
        out[path.name] = path.read_bytes()
    return out


@pytest.fixture
def one(series_dir: Path, tmp_path: Path) -> Path:
    """A series of one patch, and three patch files beside it to import."""
    add_patch(series_dir, "0001-one.patch", "One")
    for name, subject in (("x.patch", "Ex"), ("y.patch", "Why"), ("z.patch", "Zed")):
        add_patch(series_dir, name, subject)
        shutil.move(series_dir / "patches" / name, tmp_path / name)
    text = (series_dir / "series.yaml").read_text()
    (series_dir / "series.yaml").write_text(text.split("  - file: x.patch")[0] + "history: []\n")
    assert [p.file for p in series.load(series_dir).patches] == ["0001-one.patch"]
    return series_dir


def copy(template: Path, target: Path) -> Path:
    shutil.copytree(template, target, ignore=shutil.ignore_patterns(".patchq"))
    return target


@pytest.mark.slow
def test_import_crash_at_every_step_leaves_the_series_as_before(one: Path, tmp_path: Path) -> None:
    files = [str(tmp_path / n) for n in ("x.patch", "y.patch", "z.patch")]
    before = state(one)
    reference = copy(one, tmp_path / "reference")
    traced = patchq(reference, "import", *files, trace=True)
    assert traced.returncode == 0, traced.stderr
    total = steps(traced)
    assert total == 6  # journal, three files, series.yaml, journal gone
    after = state(reference)
    for crash in range(1, total + 1):
        ws = copy(one, tmp_path / f"crash{crash}")
        assert patchq(ws, "import", *files, crash=crash).returncode == 137
        assert state(ws)["series.yaml"] in (before["series.yaml"], after["series.yaml"])
        # The next command that writes settles what the crash left, then does its own work.
        again = (
            patchq(ws, "import", *files)
            if state(ws)["series.yaml"] == before["series.yaml"]
            else None
        )
        if again is not None:
            assert again.returncode == 0, (crash, again.stderr)
        else:
            assert patchq(ws, "mark", "1", "pending").returncode == 0
        assert state(ws) == after, crash
        assert not (ws / ".patchq" / "journal.json").exists()


@pytest.mark.slow
def test_drop_crash_between_its_writes_is_finished_by_the_next_command(
    one: Path, tmp_path: Path
) -> None:
    add_patch(one, "0002-two.patch", "Two")
    traced = patchq(copy(one, tmp_path / "ref"), "drop", "0001-one", trace=True)
    assert traced.returncode == 0
    assert steps(traced) == 4
    for crash in range(1, 5):
        ws = copy(one, tmp_path / f"crash{crash}")
        assert patchq(ws, "drop", "0001-one", crash=crash).returncode == 137
        assert patchq(ws, "mark", "0002-two", "pending").returncode == 0
        named = [p.file for p in series.load(ws).patches]
        on_disk = sorted(p.name for p in (ws / "patches").iterdir())
        assert on_disk == sorted(named), crash  # no orphan, no entry without its file
        assert named == (["0001-one.patch", "0002-two.patch"] if crash == 1 else ["0002-two.patch"])


@pytest.mark.parametrize(
    "args",
    [
        ["mark", "1", "merged"],
        ["drop", "1"],
        ["move", "1", "--to", "1"],
        ["import", "x.patch"],
        ["rebase", "--onto", "1.0"],
        ["rebase", "--abort"],
        ["rebase", "--continue"],
    ],
)
def test_no_state_dir_appears_where_there_is_no_series(
    tmp_path: Path, upstream: UpstreamRepo, args: list[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("-C", str(empty), "--upstream", str(upstream.path), *args)
    assert result.exit_code == 2
    assert "no series.yaml in" in one_error_line(result.stderr)
    assert list(empty.iterdir()) == []


@pytest.fixture
def clash(series_dir: Path) -> Path:
    for file, subject in (
        ("0001-one.patch", "One"),
        ("0002-two.patch", "Two"),
        ("2.patch", "Hand"),
    ):
        add_patch(series_dir, file, subject)
    return series_dir


def test_a_position_that_is_also_a_file_name_is_refused(clash: Path) -> None:
    before = state(clash)
    result = run("drop", "2")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert "'2' names 2 patches" in line
    assert "#3 2.patch (say `2.patch`)" in line
    assert "#2 0002-two.patch (say `0002-two.patch`)" in line
    assert state(clash) == before
    assert run("drop", "2.patch").exit_code == 0
    assert [p.file for p in series.load(clash).patches] == ["0001-one.patch", "0002-two.patch"]


def test_foo_and_foo_patch_are_told_apart(series_dir: Path) -> None:
    add_patch(series_dir, "foo.patch", "Foo")
    add_patch(series_dir, "foo", "Bare foo")
    result = run("mark", "foo", "merged")
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert "#1 foo.patch (say `foo.patch`)" in line and "#2 foo (say `2`)" in line
    assert run("mark", "./foo", "merged").exit_code == 0
    assert [str(p.status) for p in series.load(series_dir).patches] == ["pending", "merged"]


def test_a_patch_over_the_size_limit_is_refused_unread(series_dir: Path, tmp_path: Path) -> None:
    from patchq.patches import patchfile

    huge = tmp_path / "huge.patch"
    with huge.open("wb") as handle:  # sparse: nothing is really written, nor read
        handle.truncate(patchfile.MAX_PATCH_BYTES + 1)
    result = run("import", str(huge))
    assert result.exit_code == 2
    assert "over patchq's limit of 32 MB: split it" in one_error_line(result.stderr)
    add_patch(series_dir, "a.patch", "A")
    (series_dir / "patches" / "a.patch").unlink()
    huge.rename(series_dir / "patches" / "a.patch")
    listed = run("list")
    assert listed.exit_code == 2
    assert "a.patch is 32 MB, over patchq's limit" in one_error_line(listed.stderr)
