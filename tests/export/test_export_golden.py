"""The bytes `patchq export` writes, all three formats in one run, kept in tests/golden/: the
speed work on export (one writing pass, files written while RPM parses the spec, no second
parse of an unchanged spec) must not change a byte of any file, nor the command's report."""

from __future__ import annotations

from pathlib import Path

from patchq.series import io as series
from tests.builders import UpstreamRepo, run
from tests.export.helpers import SPEC_EXPLICIT, make_series, need_specfile, ok
from tests.transcript import Golden


def snapshot(root: Path) -> str:
    """Every file under `root` (path, mode, bytes), temporary files included."""
    parts = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        mode = oct(path.stat().st_mode & 0o777)
        parts.append(f"=== {path.relative_to(root)} {mode}\n{path.read_text()}")
    return "".join(parts)


def test_export_of_every_format_writes_the_golden_bytes(
    upstream: UpstreamRepo, workdir: Path, tmp_path: Path, golden: Golden
) -> None:
    need_specfile()
    pkg = make_series(upstream, workdir)
    out = tmp_path / "out"
    (out / "rpm").mkdir(parents=True)
    (out / "rpm" / "nova.spec").write_text(SPEC_EXPLICIT)
    (out / "rpm" / "0099-an-old-patch-dropped-since.patch").write_text("old\n")
    text = (pkg / "series.yaml").read_text()
    targets = (
        "export:\n  debian: ../out/debian\n  rpm: ../out/rpm/nova.spec\n  mbox: ../out/all.mbox\n"
    )
    (pkg / "series.yaml").write_text(text.replace("patches:", targets + "patches:", 1))
    transcript = []
    first = run("export")
    ok(first)
    transcript.append(f"$ patchq export\n{first.stderr}{first.stdout}{snapshot(out)}")
    # A second run writes nothing; then one patch changes status and one leaves the series.
    again = run("export")
    ok(again)
    transcript.append(f"$ patchq export\n{again.stderr}{again.stdout}")
    ok(run("mark", "2", "submitted", "--review", "https://review.opendev.org/c/x/+/1"))
    ok(run("drop", "3"))
    assert len(series.load(pkg).patches) == 4
    changed = run("export")
    ok(changed)
    transcript.append(f"$ patchq export\n{changed.stderr}{changed.stdout}{snapshot(out)}")
    golden.check("export", "\n".join(transcript).replace(str(tmp_path), "<tmp>"))


def test_a_target_that_cannot_be_written_is_one_line_and_nothing_is_written(
    upstream: UpstreamRepo, workdir: Path, tmp_path: Path
) -> None:
    pkg = make_series(upstream, workdir)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a-file").write_text("not a directory\n")
    before = snapshot(out)
    result = run("export", "--format", "mbox", str(out / "a-file" / "x" / "all.mbox"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"patchq: error: cannot read {out}/a-file/x/all.mbox: Not a directory\n"
    )
    assert snapshot(out) == before and not list(pkg.glob("**/*.tmp"))
