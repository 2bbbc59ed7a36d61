"""Helpers for the import tests: snapshots of a series dir, and `git am` into a fresh clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import git


def snapshot(root: Path) -> dict[str, bytes]:
    """series.yaml and every file under patches/, byte for byte."""
    files = {"series.yaml": (root / "series.yaml").read_bytes()}
    patches = root / "patches"
    if patches.is_dir():
        for path in sorted(patches.rglob("*")):
            files[str(path.relative_to(root))] = path.read_bytes()
    return files


def am_tree(
    upstream: Path, base: str, patches: list[Path], tmp: Path, *, keep_cr: bool = False
) -> str:
    """Clone upstream, `git am` the patches onto base, return the resulting tree sha."""
    clone = tmp / f"am-clone-{len(list(tmp.glob('am-clone-*')))}"
    git(tmp, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-q", "--detach", base)
    args = ["am", "-q"] + (["--keep-cr"] if keep_cr else []) + [str(p) for p in patches]
    proc = subprocess.run(["git", "-C", str(clone), *args], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return git(clone, "rev-parse", "HEAD^{tree}").strip()


def series_patches(root: Path) -> list[Path]:
    from patchq.series import io as series

    return [root / "patches" / p.file for p in series.load(root).patches]
