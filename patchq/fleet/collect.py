"""One series directory's report, made in a worker process: the single report's model, or an
error row when the series or its clone cannot be read. Never raises for a broken series."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchq.errors import PatchqError
from patchq.fleet.aggregate import bug_row, project_row
from patchq.report.build import Clock

if TYPE_CHECKING:
    from patchq.series.model import Series
    from patchq.series.workspace import Workspace
    from patchq.status.verdict import StatusResult


@dataclass(frozen=True)
class SeriesJob:
    """What a worker needs to report one series (picklable: it crosses a process boundary)."""

    source: str  # the DIR as the user gave it: names the project in rows and errors
    root: Path  # that directory, resolved
    upstream: str | None  # --upstream, relative to root when relative
    against: str | None
    clock: Clock


def report_series(job: SeriesJob) -> dict[str, Any]:
    """The single report of job.root (exactly `patchq report --format json` there), as a row."""
    from patchq.report import build as reporting
    from patchq.series.workspace import Workspace

    name = job.root.name or job.source
    try:
        if not job.root.is_dir():
            why = "is not a directory" if job.root.exists() else "no such directory"
            raise PatchqError(f"{job.source}: {why}")
        ws = Workspace(job.root, upstream_override=job.upstream)
        current = ws.load()
        name = current.upstream.name
        status = None
        if job.against is not None:
            status = _status(ws, current, job.against)
        model = reporting.build(ws, current, clock=job.clock, status=status)
    except PatchqError as exc:
        return project_row(name=name, source=job.source, report=None, error=str(exc))
    except Exception as exc:  # a bug must not lose the other projects' results
        return project_row(name=name, source=job.source, report=None, error=bug_row(exc))
    return project_row(name=name, source=job.source, report=model, error=None)


def _status(ws: Workspace, current: Series, against: str) -> StatusResult:
    from patchq.status import pipeline as status_mod

    with ws.open_repo(current) as repo:  # closing it writes the commit cache
        return status_mod.evaluate(ws, current, repo, against=against, progress=False)


def jobs_for(
    directories: list[str],
    *,
    start: Path,
    upstream: str | None,
    against: str | None,
    clock: Clock,
) -> list[SeriesJob]:
    return [
        SeriesJob(
            source=d,
            root=(start / d).resolve() if not os.path.isabs(d) else Path(d).resolve(),
            upstream=upstream,
            against=against,
            clock=clock,
        )
        for d in directories
    ]
