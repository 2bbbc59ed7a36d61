"""Exit codes at the edge: a bug is exit 3 with one line and a crash log, a closed pipe is
quiet, Ctrl-C is 130. Real processes where the signal or the pipe is the point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from patchq.cli import cli
from patchq.errors import ExitCode

BUG_LINE = "patchq: internal error: ValueError: boom; details in {}; please report it\n"


def patched_patchq(patch: str, *args: str) -> list[str]:
    """argv of `patchq ARGS` in a fresh interpreter where `patch` (Python) ran first: the
    way to put a bug or a slow step into a real process without a hook in patchq."""
    script = textwrap.dedent(patch) + "\nfrom patchq.cli import main\nmain()\n"
    return [sys.executable, "-c", script, *args]


RAISE_IN_DEMO = """
import patchq.demo.tour as tour
def prepare(*a, **k):
    raise ValueError("boom")
tour.prepare = prepare
"""


def test_a_bug_is_one_line_exit_3_and_a_crash_log_in_the_series(
    series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from patchq.series import listing

    def rows(*args: object, **kwargs: object) -> list[dict[str, str]]:
        raise ValueError("boom")

    monkeypatch.setattr(listing, "rows", rows)
    result = CliRunner().invoke(cli, ["list", "--format", "json"], catch_exceptions=False)
    log = series_dir / ".patchq" / "crash.log"
    assert result.exit_code == ExitCode.BUG and int(ExitCode.BUG) == 3
    assert result.stderr == BUG_LINE.format(log)
    assert result.stdout == ""
    text = log.read_text()
    assert "command: patchq list --format json" in text
    assert "Traceback (most recent call last):" in text
    assert text.rstrip().endswith("ValueError: boom")
    assert (series_dir / ".patchq" / ".gitignore").is_file()


def test_a_bug_outside_a_series_logs_to_the_cache_dir_and_v_shows_the_traceback(
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        patched_patchq(RAISE_IN_DEMO, "-v", "demo"), cwd=tmp_path, capture_output=True, text=True
    )
    log = Path(os.environ["HOME"]) / ".cache" / "patchq" / "crash.log"
    assert proc.returncode == 3
    lines = proc.stderr.splitlines(keepends=True)
    assert lines[-1] == BUG_LINE.format(log)
    assert "Traceback (most recent call last):\n" in lines
    assert ", in prepare\n" in proc.stderr  # the frame that raised
    assert "command: patchq -v demo" in log.read_text()
    quiet = subprocess.run(
        patched_patchq(RAISE_IN_DEMO, "demo"), cwd=tmp_path, capture_output=True, text=True
    )
    assert (quiet.returncode, quiet.stderr) == (3, BUG_LINE.format(log))


def test_a_bug_honours_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    proc = subprocess.run(
        patched_patchq(RAISE_IN_DEMO, "demo"), cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.stderr == BUG_LINE.format(tmp_path / "xdg" / "patchq" / "crash.log")


def test_expected_errors_stay_exit_2_without_a_crash_log(workdir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "patchq", "list"], cwd=workdir, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("patchq: error: ") and proc.stderr.count("\n") == 1
    assert not (Path(os.environ["HOME"]) / ".cache" / "patchq").exists()


def test_a_closed_pipe_ends_quietly(series_dir: Path) -> None:
    for args in (["list"], ["list", "--format", "json"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "patchq", *args],
            cwd=series_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader is gone before patchq writes a byte
        err = proc.stderr.read()
        assert (proc.wait(), err) == (ExitCode.PIPE_CLOSED, b"")


def test_list_piped_into_head_says_nothing_on_stderr(series_dir: Path) -> None:
    proc = subprocess.run(
        ["sh", "-c", f"{sys.executable} -m patchq list --format json | head -1"],
        cwd=series_dir,
        capture_output=True,
        text=True,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "{\n", "")


def test_ctrl_c_exits_130_with_one_line(series_dir: Path) -> None:
    slow = """
    import sys, time
    import patchq.series.listing as listing
    def rows(*a, **k):
        print("ready", file=sys.stderr, flush=True)
        time.sleep(60)
    listing.rows = rows
    """
    proc = subprocess.Popen(
        patched_patchq(slow, "list"),
        cwd=series_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert proc.stderr.readline() == "ready\n"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (ExitCode.INTERRUPTED, "", "patchq: interrupted\n")
