"""`mark` on a big series.yaml edits only the changed entry's lines, and gives exactly the bytes
the whole-file round trip gives."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from patchq.series import io as series
from patchq.series import quickedit
from patchq.series.model import Status, UpstreamLinks
from tests.builders import run


def big_series(root: Path, count: int) -> None:
    lines = [
        "# downstream nova",
        "version: 1",
        "upstream:",
        "  name: nova",
        "  path: ../nova",
        "  base: '1.0'",
        "  base_commit: " + "a" * 40,
        "patches:",
    ]
    for i in range(1, count + 1):
        if i % 7 == 0:
            lines.append(f"  # group {i}: kept by hand")
        lines += [f"  - file: {i:05d}-p.patch", "    status: pending  # not sent yet"]
        if i % 3 == 0:
            lines += [
                "    reason: carried because " + ("word " * 20).strip(),
                "    added: '2025-01-01'",
            ]
        if i % 5 == 0:
            lines += ["    upstream:", "      bug: https://bugs.launchpad.net/nova/+bug/1"]
        if i % 11 == 0:
            lines.append("")
    lines += ["", "# history below", "history: []"]
    (root / "series.yaml").write_text("\n".join(lines) + "\n")
    (root / "patches").mkdir()
    for i in range(1, count + 1):
        (root / "patches" / f"{i:05d}-p.patch").write_text(f"Subject: P{i}\n\ndiff --git a/x b/x\n")


def yml() -> YAML:
    made: YAML = series._yaml(YAML)
    return made


@pytest.mark.parametrize("index", [0, 6, 54, 119])
@pytest.mark.parametrize(
    "change",
    [
        {"status": Status.SUBMITTED},
        {"reason": "a new reason"},
        {"owner": "nova-team"},
        {"upstream": UpstreamLinks(review="https://review.opendev.org/c/openstack/nova/+/1")},
        {"upstream": UpstreamLinks(bug="https://bugs.launchpad.net/nova/+bug/2", commit="abc1234")},
    ],
)
def test_the_quick_edit_gives_the_round_trips_bytes(
    tmp_path: Path, index: int, change: dict[str, object]
) -> None:
    big_series(tmp_path, 120)  # small enough for the whole-file round trip to compare with
    raw = (tmp_path / "series.yaml").read_bytes()
    old = series.load(tmp_path)
    patches = list(old.patches)
    patches[index] = dataclasses.replace(patches[index], **change)  # type: ignore[arg-type]
    new = dataclasses.replace(old, patches=tuple(patches))
    quick = quickedit.render(raw, old, new, yml())
    assert quick is not None
    assert quick == series.render_bytes(raw, new)


def test_lists_that_change_take_the_whole_file_path(tmp_path: Path) -> None:
    big_series(tmp_path, 50)
    raw = (tmp_path / "series.yaml").read_bytes()
    old = series.load(tmp_path)
    assert (
        quickedit.render(raw, old, dataclasses.replace(old, patches=old.patches[1:]), yml()) is None
    )
    crlf = raw.replace(b"\n", b"\r\n")
    marked = dataclasses.replace(
        old, patches=(dataclasses.replace(old.patches[0], owner="x"), *old.patches[1:])
    )
    assert quickedit.render(crlf, old, marked, yml()) is None


@pytest.mark.slow
def test_mark_on_a_big_series_is_quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big_series(tmp_path, 3000)  # ~300 KB: the whole-file round trip takes tens of seconds
    monkeypatch.chdir(tmp_path)
    before = (tmp_path / "series.yaml").read_text()
    started = time.process_time()
    result = run("mark", "1500", "merged", "--commit", "abc1234")
    assert result.exit_code == 0, result.stderr
    assert time.process_time() - started < 5
    after = (tmp_path / "series.yaml").read_text()
    assert after.count("\n") == before.count("\n") + 1  # a commit beside its bug
    assert "# group 1498: kept by hand" in after
    assert series.load(tmp_path).patches[1499].status == Status.MERGED
