"""Building downstream series for status/apply tests: commits in a clone, exported with
`git format-patch` into the series directory."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

from conftest import UpstreamRepo, git

from patchq.series import io as series
from patchq.series.model import Patch, Status, UpstreamLinks


class Downstream(UpstreamRepo):
    """A clone of upstream with a `downstream` branch at 1.0, where patches are written."""

    def __init__(self, upstream: UpstreamRepo, path: Path, *, base: str = "1.0") -> None:
        subprocess.run(["git", "clone", "-q", str(upstream.path), str(path)], check=True)
        git(path, "checkout", "-q", "-b", "downstream", base)
        self.path = path
        self._tick = 1750000000
        self.base = base

    def export(self, series_dir: Path, **links: dict[str, Any]) -> list[str]:
        """format-patch base..HEAD into patches/ and list them in series.yaml, in order.
        `links` maps a 1-based position ("p1") to upstream metadata for that patch."""
        out = git(
            self.path,
            "format-patch",
            "-q",
            "--no-signature",
            "-o",
            str(series_dir / "patches"),
            f"{self.base}..HEAD",
        )
        del out
        names = sorted(p.name for p in (series_dir / "patches").glob("*.patch"))
        current = series.load(series_dir)
        patches = []
        for i, name in enumerate(names, 1):
            meta = links.get(f"p{i}", {})
            status = Status(meta.pop("status", "pending"))
            patches.append(Patch(file=name, status=status, upstream=UpstreamLinks(**meta)))
        series.save(series_dir, dataclasses.replace(current, patches=tuple(patches)))
        return names


def cherry_pick(
    upstream: UpstreamRepo, downstream: Downstream, sha: str, *, message: str | None = None
) -> str:
    """Land a downstream commit upstream unchanged (same diff, optionally a new message)."""
    diff = git(downstream.path, "format-patch", "-1", "--stdout", sha)
    proc = subprocess.run(
        ["git", "-C", str(upstream.path), "am", "-q", "--keep-non-patch"],
        input=diff.encode(),
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    if message is not None:
        git(upstream.path, "commit", "-q", "--amend", "-m", message)
    return upstream.head()
