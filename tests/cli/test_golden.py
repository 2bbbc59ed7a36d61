"""The text of list, status, check and rebase (stop and finish) on the rebase story's series,
compared whole with tests/golden/ (`--update-golden` accepts a new output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import UpstreamRepo, make_series, release_two, resolve
from tests.transcript import Golden, Transcript


@pytest.fixture
def story(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Transcript:
    """Five pending patches on 1.0, and an upstream 2.0 where the first landed and the fourth
    conflicts; stderr wide enough that no path is folded."""
    monkeypatch.setenv("COLUMNS", "1000")
    make_series(upstream, series_dir)
    release_two(upstream)
    return Transcript(tmp_path)


def test_list(story: Transcript, golden: Golden) -> None:
    story.run("list")
    story.run("mark", "2", "submitted", "--review", "https://review.opendev.org/c/o/nova/+/1")
    story.run("mark", "3", "downstream-only", "--reason", "packaging note")
    story.run("move", "5", "--to", "1")
    story.run("list")
    golden.check("list", story.text())


def test_status(story: Transcript, golden: Golden) -> None:
    story.run("status", "--against", "1.0")
    story.run("status", "--against", "2.0")
    story.run("status", "--against", "9.9")
    golden.check("status", story.text())


def test_check(story: Transcript, series_dir: Path, golden: Golden) -> None:
    story.run("check")
    story.run("check", "--against", "2.0")
    (series_dir / "patches" / "0003-Add-downstream-README-note.patch").unlink()
    (series_dir / "patches" / "0009-stray.patch").write_text("not a patch\n")
    story.note("removed 0003's file, added patches/0009-stray.patch")
    story.run("check")
    golden.check("check", story.text())


def test_rebase_stop_and_finish(story: Transcript, series_dir: Path, golden: Golden) -> None:
    story.run("rebase", "--onto", "2.0", "--dry-run")
    story.run("rebase", "--onto", "2.0")
    story.run("status")
    resolve(series_dir)
    story.note("resolved nova/api.py in the worktree")
    story.run("rebase", "--continue")
    story.run("list")
    golden.check("rebase", story.text())


def test_the_switch_compares_or_accepts(tmp_path: Path) -> None:
    story = Transcript(tmp_path)
    story.run("--version")
    story.note("a note")
    text = story.text()
    assert text.startswith("$ patchq --version\n[exit 0]\npatchq, version ")
    assert text.endswith("\n# a note\n")
    with pytest.raises(pytest.fail.Exception, match="does not exist: run pytest with --update"):
        Golden(False, tmp_path).check("version", text)
    Golden(True, tmp_path).check("version", text)
    assert (tmp_path / "version.txt").read_text() == text
    Golden(False, tmp_path).check("version", text)
    with pytest.raises(AssertionError, match=r"version\.txt differs"):
        Golden(False, tmp_path).check("version", text + "more\n")
