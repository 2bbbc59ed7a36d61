"""`--output FILE` of check and report: one writer, the same refusals, the same words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import run


@pytest.mark.parametrize("command", [["check"], ["report", "--format", "markdown"]])
def test_a_missing_directory_is_refused_by_both(series_dir: Path, command: list[str]) -> None:
    result = run(*command, "--output", "missing/dir/out.txt")
    assert result.exit_code == 2
    assert result.stderr == (
        "patchq: error: --output missing/dir/out.txt: directory missing/dir does not exist: "
        "create it first\n"
    )
    assert not (series_dir / "missing").exists()


@pytest.mark.parametrize("command", [["check"], ["report", "--format", "markdown"]])
def test_both_write_into_an_existing_directory(series_dir: Path, command: list[str]) -> None:
    (series_dir / "out").mkdir()
    result = run(*command, "--output", "out/result.txt")
    assert result.exit_code == 0, result.stderr
    assert (series_dir / "out" / "result.txt").read_text().strip()


@pytest.mark.parametrize("command", [["check"], ["report", "--format", "markdown"]])
def test_both_refuse_a_directory_and_a_file_on_the_way(
    series_dir: Path, command: list[str]
) -> None:
    (series_dir / "afile").write_text("x")
    result = run(*command, "--output", ".")
    assert result.stderr == "patchq: error: --output .: is a directory: give a file name\n"
    result = run(*command, "--output", "afile/x")
    assert result.stderr == (
        f"patchq: error: cannot write --output afile/x: {series_dir / 'afile'} is a file, "
        "not a directory\n"
    )
