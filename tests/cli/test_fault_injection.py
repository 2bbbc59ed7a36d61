"""Every write of import, mark, drop, move and rebase made to fail in turn (ENOSPC, EIO): the
error is one line, and the series is as it was or completely changed (a rebase that was
under way is undone byte for byte by --abort).

The failure is injected at os.fsync, which every durable write of patchq goes through (the
file's, then its directory's), counting only the command's own thread (the status cache is
written beside it and may fail quietly)."""

from __future__ import annotations

import errno
import os
import re
import threading
from pathlib import Path

import pytest

from tests.builders import (
    P5,
    UpstreamRepo,
    copy_workspace,
    digest_tree,
    make_series,
    release_two,
    run,
)
from tests.cli.test_hardening import one_error_line

MAIN = threading.main_thread()


def digest(root: Path) -> dict[str, str]:
    """digest_tree with the wall-clock date of a history entry masked."""
    out = digest_tree(root)
    text = (root / "series.yaml").read_text()
    out["series.yaml"] = re.sub(r"date: '?\d{4}-[0-9T:-]+Z'?", "date: X", text)
    return out


class Faults:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.fail_at: int | None = None
        self.code = errno.ENOSPC
        real = os.fsync

        def fsync(fd: int) -> None:
            if threading.current_thread() is MAIN:
                self.calls += 1
                if self.calls == self.fail_at:
                    raise OSError(self.code, os.strerror(self.code))
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def arm(self, at: int | None, code: int = errno.ENOSPC) -> None:
        self.calls, self.fail_at, self.code = 0, at, code


@pytest.fixture
def template(series_dir: Path, upstream: UpstreamRepo) -> Path:
    make_series(upstream, series_dir)
    release_two(upstream)
    source = (series_dir / "patches" / P5).read_bytes()
    (series_dir / "extra.patch").write_bytes(source.replace(b"More workers", b"Extra workers"))
    return series_dir


COMMANDS: list[tuple[str, list[str]]] = [
    ("import", ["import", "extra.patch"]),
    ("mark", ["mark", "2", "submitted", "--reason", "sent"]),
    ("drop", ["drop", "3", "--reason", "gone"]),
    ("move", ["move", "1", "--to", "4"]),
    ("rebase", ["rebase", "--onto", "2.0"]),
]


@pytest.mark.parametrize(("name", "args"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_each_write_failing_leaves_the_series_before_or_after(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, args: list[str]
) -> None:
    faults = Faults(monkeypatch)
    before = digest(template)
    done = copy_workspace(template, tmp_path / "done")
    faults.arm(None)
    finished = run("-C", str(done), *args)
    assert finished.exit_code in (0, 1), finished.stderr  # rebase stops at a conflict: 1
    total = faults.calls
    assert total >= 2
    after = digest(done)
    steps = range(1, total + 1)
    sampled = list(steps) if total <= 12 else sorted({*steps[:: max(1, total // 10)], total})
    for at in sampled:
        for code in (errno.ENOSPC, errno.EIO):
            ws = copy_workspace(template, tmp_path / f"{name}-{at}-{code}")
            faults.arm(at, code)
            result = run("-C", str(ws), *args)
            faults.arm(None)
            assert result.exit_code == 2, (at, result.stdout, result.stderr)
            line = one_error_line(result.stderr)
            assert os.strerror(code) in line, line
            if (ws / ".patchq" / "rebase").exists():
                assert run("-C", str(ws), "rebase", "--abort").exit_code == 0
            else:  # the next command settles what an interrupted import or drop left
                assert run("-C", str(ws), "mark", "1", "pending").exit_code in (0, 2)
            assert digest(ws) in (before, after), (name, at, code)
