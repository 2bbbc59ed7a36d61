"""A mail patch saved with CRLF line ends (a Windows mail client, a web download) is what
`git am` applies: git mailsplit makes every CRLF an LF. status, apply, check and rebase read
it the same way, and its file keeps its bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import NOVA_CONF, UpstreamRepo, git, run

CHANGED = NOVA_CONF.replace('"workers": 4', '"workers": 16')


@pytest.fixture
def crlf_patch(series_dir: Path, upstream: UpstreamRepo) -> Path:
    """A format-patch file of one downstream commit on 1.0, converted to CRLF, imported."""
    git(upstream.path, "checkout", "-q", "-b", "downstream", "1.0")
    upstream.commit("More workers\n\nOur hosts are big.\n", {"nova/conf.py": CHANGED})
    out = git(upstream.path, "format-patch", "-1", "-o", str(series_dir.parent / "mail"))
    git(upstream.path, "checkout", "-q", "master")
    git(upstream.path, "branch", "-q", "-D", "downstream")
    lf = Path(out.strip())
    crlf = lf.with_name("crlf.patch")
    crlf.write_bytes(lf.read_bytes().replace(b"\n", b"\r\n"))
    result = run("import", str(crlf))
    assert result.exit_code == 0, result.stderr
    return crlf


def test_git_am_applies_it_and_so_does_patchq(
    crlf_patch: Path, series_dir: Path, upstream: UpstreamRepo
) -> None:
    git(upstream.path, "checkout", "-q", "-b", "by-am", "1.0")
    git(upstream.path, "am", "-q", str(crlf_patch))  # the reference: real git am
    am_tree = git(upstream.path, "rev-parse", "HEAD^{tree}").strip()
    git(upstream.path, "checkout", "-q", "master")

    stored = next((series_dir / "patches").iterdir())
    assert stored.read_bytes() == crlf_patch.read_bytes()  # imported byte for byte

    status = run("status", "--against", "1.0", "--format", "json")
    assert status.exit_code == 0, status.stderr
    assert [p["state"] for p in json.loads(status.stdout)["patches"]] == ["applies"]

    applied = run("apply", "--onto", "1.0", "--branch", "carried")
    assert applied.exit_code == 0, applied.stderr
    assert git(upstream.path, "rev-parse", "carried^{tree}").strip() == am_tree

    checked = run("check", "--against", "1.0")
    assert checked.exit_code == 0, checked.stdout + checked.stderr


def test_rebase_carries_it_and_keeps_its_bytes(
    crlf_patch: Path, series_dir: Path, upstream: UpstreamRepo
) -> None:
    upstream.commit("Unrelated docs", {"doc/index.rst": "docs\n"})
    upstream.tag("2.0")
    stored = next((series_dir / "patches").iterdir())
    before = stored.read_bytes()
    result = run("rebase", "--onto", "2.0")
    assert result.exit_code == 0, result.stderr
    assert stored.read_bytes() == before
    assert b"\r\n" in before


def test_it_is_found_landed_when_upstream_takes_it(
    crlf_patch: Path, series_dir: Path, upstream: UpstreamRepo
) -> None:
    upstream.commit("More workers (upstream)", {"nova/conf.py": CHANGED})
    upstream.tag("2.0")
    status = run("status", "--against", "2.0", "--format", "json")
    assert status.exit_code == 0, status.stderr
    assert [p["state"] for p in json.loads(status.stdout)["patches"]] == ["landed"]
