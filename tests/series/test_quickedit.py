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
from patchq.series.model import Series, Status, UpstreamLinks
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


# The sweeps: a sample in the default run, the rest under --run-slow.
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "index", [0, pytest.param(6, marks=SLOW), pytest.param(54, marks=SLOW), 119]
)
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


def test_a_removed_entry_takes_the_comments_above_it(tmp_path: Path) -> None:
    big_series(tmp_path, 50)
    raw = (tmp_path / "series.yaml").read_bytes()
    old = series.load(tmp_path)
    dropped = dataclasses.replace(old, patches=(*old.patches[:6], *old.patches[7:]))
    quick = quickedit.render(raw, old, dropped, yml())
    assert quick is not None
    assert b"# group 7: kept by hand" not in quick and b"# group 14: kept by hand" in quick
    assert quick == series.render_bytes(raw, dropped)


def test_crlf_takes_the_whole_file_path(tmp_path: Path) -> None:
    big_series(tmp_path, 50)
    raw = (tmp_path / "series.yaml").read_bytes()
    old = series.load(tmp_path)
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


def rebase_edit(old: Series, drop: list[int], *, entries: int = 1) -> Series:
    """What the end of a rebase writes: dropped entries gone, the base moved, history added."""
    history = tuple(
        {
            "date": f"2026-12-0{n + 1}T10:00:00Z",
            "from": "1.0",
            "to": "2.0",
            "to_commit": "b" * 40,
            "dropped": [{"file": old.patches[i].file, "evidence": ["patch-id"]} for i in drop],
            "refreshed": 3,
            "carried": len(old.patches) - len(drop),
        }
        for n in range(entries)
    )
    return dataclasses.replace(
        old,
        upstream=dataclasses.replace(old.upstream, base="2.0", base_commit="b" * 40),
        patches=tuple(p for i, p in enumerate(old.patches) if i not in drop),
        history=(*old.history, *history),
    )


SHAPES = {
    "no history key": "",
    "history at the end": (
        "history:\n"
        "  - date: 2025-01-01T00:00:00Z\n"
        "    from: '0.9'\n"
        "    to: '1.0'\n"
        "    carried: 2\n"
        "# the end\n"
    ),
    "history: [] as init writes it": "\n# history below\nhistory: []\n",
    "history: [] with a comment after": "history: []\n# the end\n",
    "history, then a comment and another key": (
        "history:\n  - date: 2025-01-01T00:00:00Z\n    to: '1.0'\n\n# policy\npolicy: {}\n"
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "drop",
    [
        [],
        pytest.param([0], marks=SLOW),
        pytest.param([6], marks=SLOW),
        [0, 1, 2],
        pytest.param([119], marks=SLOW),
        [10, 20, 54, 55, 118, 119],
        pytest.param([5, 6, 7, 13, 14], marks=SLOW),
    ],
)
def test_a_rebase_edit_gives_the_round_trips_bytes(
    tmp_path: Path, shape: str, drop: list[int]
) -> None:
    big_series(tmp_path, 120)
    text = (tmp_path / "series.yaml").read_text().replace("\n# history below\nhistory: []\n", "")
    block_scalar = "    reason: |\n      carried\n\n      because"
    text = text.replace("    reason: carried because", block_scalar)
    (tmp_path / "series.yaml").write_text(text + SHAPES[shape])
    raw = (tmp_path / "series.yaml").read_bytes()
    old = series.load(tmp_path)
    new = rebase_edit(old, drop, entries=2 if shape == "no history key" else 1)
    quick = quickedit.render(raw, old, new, yml())
    assert quick is not None
    assert quick.decode() == series.render_bytes(raw, new).decode()


def test_shapes_the_fast_path_leaves_to_the_round_trip(tmp_path: Path) -> None:
    big_series(tmp_path, 30)
    flow = (tmp_path / "series.yaml").read_text().replace("history: []", "history: [{to: '1'}]")
    raw = flow.encode()
    (tmp_path / "series.yaml").write_bytes(raw)
    old = series.load(tmp_path)
    assert quickedit.render(raw, old, rebase_edit(old, [3]), yml()) is None
    everything = dataclasses.replace(old, patches=())
    assert quickedit.render(raw, old, everything, yml()) is None
    reordered = dataclasses.replace(old, patches=(old.patches[1], old.patches[0], *old.patches[2:]))
    assert quickedit.render(raw, old, reordered, yml()) is None
