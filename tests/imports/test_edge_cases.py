"""Import edge cases: half-way failures, non-UTF-8 bytes, binary patches, CRLF files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from patchq.series import io as series
from patchq.series.workspace import Workspace
from tests.builders import UpstreamRepo, am_tree, git, run, series_patches, snapshot

README_DIFF = "--- a/README.rst\n+++ b/README.rst\n@@ -1 +1,2 @@\n nova\n+{line}\n"


def good_patch(tmp_path: Path, name: str, line: str) -> Path:
    path = tmp_path / name
    path.write_text(f"{name} subject\n\n" + README_DIFF.format(line=line))
    return path


def test_failure_half_way_through_files_writes_nothing(series_dir: Path, tmp_path: Path) -> None:
    assert run("import", str(good_patch(tmp_path, "first.diff", "one"))).exit_code == 0
    before = snapshot(series_dir)
    bad = tmp_path / "bad.diff"
    bad.write_text("no diff in here\n")
    result = run(
        "import",
        str(good_patch(tmp_path, "a.diff", "a")),
        str(good_patch(tmp_path, "b.diff", "b")),
        str(bad),
    )
    assert result.exit_code == 2
    assert f"{bad}: no diff found" in result.stderr
    assert snapshot(series_dir) == before


def test_failure_half_way_through_mbox_writes_nothing(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    for i in range(3):
        upstream.commit(f"Change {i}", {f"f{i}.txt": f"{i}\n"})
    out = tmp_path / "fp"
    git(upstream.path, "format-patch", "-q", "-o", str(out), "1.0..master")
    files = sorted(out.iterdir())
    broken = files[2].read_bytes().replace(b"+++ b/f2.txt", b"+++ b/../../f2.txt")
    broken = broken.split(b"diff --git")[0] + b"\n"  # last message loses its diff
    mbox = tmp_path / "x.mbox"
    mbox.write_bytes(
        files[0].read_bytes()
        + files[1].read_bytes()
        + broken
        + b"From nobody Mon Sep 17 00:00:00 2001\n\n"
    )
    before = snapshot(series_dir)
    result = run("import", "--mbox", str(mbox))
    assert result.exit_code == 2, result.stderr
    assert snapshot(series_dir) == before


def test_failure_while_writing_removes_written_files(
    series_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("import", str(good_patch(tmp_path, "first.diff", "one"))).exit_code == 0
    before = snapshot(series_dir)
    calls: list[str] = []
    real = Workspace.write_patch

    def write_then_fail(self: Workspace, file: str, data: bytes) -> None:
        calls.append(file)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(self.patches_dir / file))
        real(self, file, data)

    monkeypatch.setattr(Workspace, "write_patch", write_then_fail)
    names = [str(good_patch(tmp_path, f"{c}.diff", c)) for c in "abc"]
    result = run("import", *names)
    assert result.exit_code == 2
    assert len(calls) == 3
    assert result.stderr.strip().splitlines() == [
        f"patchq: error: cannot write {series_dir / 'patches' / calls[2]}: "
        "No space left on device: nothing was imported"
    ]
    assert snapshot(series_dir) == before


def test_failure_saving_series_yaml_removes_written_files(
    series_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(series_dir)

    def fail(self: Workspace, new: object) -> None:
        raise OSError(13, "Permission denied", str(self.series_path))

    monkeypatch.setattr(Workspace, "save", fail)
    result = run("import", str(good_patch(tmp_path, "a.diff", "a")))
    assert result.exit_code == 2
    assert "Permission denied: nothing was imported" in result.stderr
    assert snapshot(series_dir) == before
    assert not list((series_dir / "patches").iterdir())


def test_non_utf8_bytes_survive(series_dir: Path, upstream: UpstreamRepo, tmp_path: Path) -> None:
    git(upstream.path, "checkout", "-q", "-b", "latin", "1.0")
    upstream.commit("Add latin-1 motd", {"motd.txt": b"Caf\xe9 cr\xe8me\n"})
    tip = upstream.head()
    git(upstream.path, "checkout", "-q", "master")
    assert run("import", "--range", "1.0..latin").exit_code == 0
    (written,) = series_patches(series_dir)
    assert b"+Caf\xe9 cr\xe8me\n" in written.read_bytes()
    # A hand-made patch with latin-1 bytes in its message and diff, imported as a file.
    raw = (
        b"Fix caf\xe9 handling\n\nSigned-off-by: Andr\xe9 <andre@example.org>\n\n"
        b"--- a/README.rst\n+++ b/README.rst\n@@ -1 +1,2 @@\n nova\n+na\xefve\n"
    )
    hand = tmp_path / "latin.diff"
    hand.write_bytes(raw)
    result = run("import", str(hand))
    assert result.exit_code == 0, result.stderr
    first, second = series_patches(series_dir)
    assert second.name == "0002-Fix-caf-handling.patch"
    data = second.read_bytes()
    assert b"Andr\xe9 <andre@example.org>" in data and b"+na\xefve\n" in data
    listed = run("list", "--format", "json")
    assert listed.exit_code == 0
    assert json.loads(listed.stdout)["patches"][1]["name"] == "0002-Fix-caf-handling"
    am_tree(upstream.path, "1.0", [first], tmp_path)
    assert (
        am_tree(upstream.path, "1.0", [first], tmp_path)
        == git(upstream.path, "rev-parse", f"{tip}^{{tree}}").strip()
    )


def test_binary_patch_range_and_file(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    blob = bytes(range(256)) * 8 + b"\x00\x89PNG"
    git(upstream.path, "checkout", "-q", "-b", "bin", "1.0")
    upstream.commit("Add the nova logo", {"doc/logo.png": blob})
    upstream.commit("Tweak the logo", {"doc/logo.png": blob[::-1]})
    tip = upstream.head()
    git(upstream.path, "checkout", "-q", "master")
    assert run("import", "--range", "1.0..bin").exit_code == 0
    written = series_patches(series_dir)
    assert all(b"GIT binary patch" in p.read_bytes() for p in written)
    tree = am_tree(upstream.path, "1.0", written, tmp_path)
    assert tree == git(upstream.path, "rev-parse", f"{tip}^{{tree}}").strip()
    # The same binary patches imported as files are stored unchanged.
    copies = []
    for path in written:
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    assert run("drop", "2").exit_code == 0 and run("drop", "1").exit_code == 0
    assert run("import", *map(str, copies)).exit_code == 0
    again = series_patches(series_dir)
    assert [p.read_bytes() for p in again] == [c.read_bytes() for c in copies]


def test_crlf_content_round_trip(series_dir: Path, upstream: UpstreamRepo, tmp_path: Path) -> None:
    git(upstream.path, "checkout", "-q", "-b", "crlf", "1.0")
    upstream.commit("Add a Windows batch file", {"tools/run.bat": b"@echo off\r\nrem nova\r\n"})
    upstream.commit("Edit it", {"tools/run.bat": b"@echo off\r\nrem nova\r\nexit /b 0\r\n"})
    tip = upstream.head()
    git(upstream.path, "checkout", "-q", "master")
    assert run("import", "--range", "1.0..crlf").exit_code == 0
    written = series_patches(series_dir)
    assert b"+exit /b 0\r\n" in written[1].read_bytes()
    exported = {p.name: p.read_bytes() for p in written}
    assert run("mark", "1", "downstream-only", "--reason", "Windows tooling").exit_code == 0
    assert run("move", "1", "--to", "2").exit_code == 0
    assert run("move", "2", "--to", "1").exit_code == 0
    assert {p.name: p.read_bytes() for p in written} == exported  # byte-identical
    # git am strips CRs unless told to keep them; with --keep-cr the tree is identical.
    tree = am_tree(upstream.path, "1.0", written, tmp_path, keep_cr=True)
    assert tree == git(upstream.path, "rev-parse", f"{tip}^{{tree}}").strip()


def test_crlf_patch_file_kept_byte_identical(
    series_dir: Path, upstream: UpstreamRepo, tmp_path: Path
) -> None:
    cid = "I" + "c" * 40
    text = (
        "From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
        "From: Win Dows <win@example.org>\nDate: Mon, 1 Sep 2025 10:00:00 +0000\n"
        "Subject: [PATCH] Saved on Windows\n\nBody.\n\n"
        f"Change-Id: {cid}\n---\n" + README_DIFF.format(line="crlf")
    )
    raw = text.replace("\n", "\r\n").encode()
    path = tmp_path / "windows.patch"
    path.write_bytes(raw)
    result = run("import", str(path))
    assert result.exit_code == 0, result.stderr
    (patch,) = series.load(series_dir).patches
    assert patch.file == "0001-Saved-on-Windows.patch"
    assert patch.upstream.change_id == cid
    stored = series_dir / "patches" / patch.file
    assert stored.read_bytes() == raw
    assert run("mark", "1", "submitted", "--review", "https://review.example/1").exit_code == 0
    assert stored.read_bytes() == raw
    am_tree(upstream.path, "1.0", [stored], tmp_path)  # git am drops the CRs of the mail
