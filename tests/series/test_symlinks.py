"""No file outside the series directory is read or written: a patches/ or .patchq/ that leads
out of it (a symlink), or a symlink inside .patchq/, is refused with one line and exit 2
before anything is read or written. A patches/ that is a symlink to a directory inside the
series directory is allowed, for every command alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from patchq.series import io as series
from tests.builders import UpstreamRepo, add_patch, run
from tests.cli.test_hardening import one_error_line


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file and symlink under `root` (what must not change)."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = "-> " + str(path.readlink())
        elif path.is_file():
            out[key] = path.read_bytes()
        else:
            out[key] = "dir"
    return out


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the series with files a hostile link would aim at."""
    path = tmp_path / "outside"
    (path / "rebase.done").mkdir(parents=True)
    (path / "rebase.done" / "keep").write_text("precious\n")
    (path / "secret.patch").write_text("root:x:0:0 the first line of a secret\n")
    return path


@pytest.fixture
def two(series_dir: Path) -> Path:
    add_patch(series_dir, "a.patch", "A")
    add_patch(series_dir, "b.patch", "B")
    return series_dir


COMMANDS = [
    ["list"],
    ["report", "--format", "markdown"],
    ["check"],
    ["mark", "a", "submitted"],
    ["drop", "a"],
    ["move", "a", "--to", "2"],
    ["import", "extra.patch"],
    ["status", "--against", "1.0"],
    ["rebase", "--onto", "1.0"],
    ["rebase", "--abort"],
]


def write_extra(tmp_path: Path, two: Path) -> None:
    """A patch file to import (a copy of b.patch under a new name, outside patches/)."""
    (two / "extra.patch").write_bytes((two / "patches" / "b.patch").read_bytes())


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_patches_symlinked_out_is_refused(
    two: Path, outside: Path, tmp_path: Path, args: list[str]
) -> None:
    write_extra(tmp_path, two)
    for item in (two / "patches").iterdir():
        shutil.move(item, outside / item.name)
    (two / "patches").rmdir()
    (two / "patches").symlink_to(outside)
    before, series_before = snapshot(outside), (two / "series.yaml").read_bytes()
    result = run(*args)
    assert result.exit_code == 2, (args, result.stdout, result.stderr)
    line = one_error_line(result.stderr)
    assert "patches leads out of the series directory" in line
    assert "first line of a secret" not in result.stdout + result.stderr
    assert snapshot(outside) == before
    assert (two / "series.yaml").read_bytes() == series_before


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_state_dir_symlinked_out_is_refused(
    two: Path, outside: Path, tmp_path: Path, args: list[str]
) -> None:
    write_extra(tmp_path, two)
    (two / ".patchq").symlink_to(outside)
    before = snapshot(outside)
    files_before = snapshot(two / "patches"), (two / "series.yaml").read_bytes()
    result = run(*args)
    assert result.exit_code == 2, (args, result.stdout, result.stderr)
    assert ".patchq leads out of the series directory" in one_error_line(result.stderr)
    assert snapshot(outside) == before
    assert (snapshot(two / "patches"), (two / "series.yaml").read_bytes()) == files_before


@pytest.mark.parametrize("inner", ["rebase", "rebase.done", "lock"])
def test_a_symlink_inside_the_state_dir_is_refused(two: Path, outside: Path, inner: str) -> None:
    (two / ".patchq").mkdir()
    (two / ".patchq" / inner).symlink_to(outside / "rebase.done")
    before = snapshot(outside)
    for args in (["mark", "a", "submitted"], ["rebase", "--onto", "1.0"], ["rebase", "--abort"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert f".patchq/{inner} is a symlink" in one_error_line(result.stderr)
    assert snapshot(outside) == before


def test_a_patch_file_symlinked_out_is_not_dropped_or_read(two: Path, outside: Path) -> None:
    (two / "patches" / "a.patch").unlink()
    (two / "patches" / "a.patch").symlink_to(outside / "secret.patch")
    before = snapshot(outside)
    for args in (["drop", "a"], ["list"], ["report", "--format", "text"], ["mark", "a", "merged"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert "symlink out of patches/" in one_error_line(result.stderr)
        assert "first line of a secret" not in result.stdout
    assert snapshot(outside) == before


def test_patches_symlinked_inside_the_series_directory_is_allowed(
    two: Path, tmp_path: Path, upstream: UpstreamRepo
) -> None:
    """`patches -> debian/patches` is a layout some packagers use: every command follows it."""
    write_extra(tmp_path, two)
    (two / "debian").mkdir()
    (two / "patches").rename(two / "debian" / "patches")
    (two / "patches").symlink_to("debian/patches")
    assert run("list").exit_code == 0
    assert run("mark", "a", "submitted").exit_code == 0
    imported = run("import", "extra.patch")
    assert imported.exit_code == 0, imported.stderr
    assert run("status", "--against", "1.0").exit_code == 0
    dropped = run("drop", "a")
    assert dropped.exit_code == 0, dropped.stderr
    assert not (two / "debian" / "patches" / "a.patch").exists()
    names = sorted(p.name for p in (two / "debian" / "patches").iterdir())
    assert names == ["0003-B.patch", "b.patch"]
    assert [p.file for p in series.load(two).patches] == ["b.patch", "0003-B.patch"]
