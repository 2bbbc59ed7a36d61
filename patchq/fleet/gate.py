"""`patchq check DIR...`: every series checked in parallel, one verdict, one JUnit file.

A series that cannot be checked at all (no series.yaml, --require-upstream without its clone)
is reported as that project's error and does not hide the others."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchq.check import output
from patchq.check.findings import Report
from patchq.errors import ExitCode, PatchqError
from patchq.fleet import aggregate

Paint = Callable[[str, str], str]  # (word, role) -> styled word, as check.output.text takes


@dataclass(frozen=True)
class CheckJob:
    source: str  # the DIR as given
    root: Path
    prefix: str  # the DIR relative to the working directory, with '/': for annotation paths
    upstream: str | None
    against: str | None
    require_upstream: bool


@dataclass(frozen=True)
class ProjectCheck:
    name: str
    source: str
    prefix: str
    report: Report | None
    error: str | None

    @property
    def failed(self) -> bool:
        return self.error is not None or (self.report is not None and self.report.failed)


def jobs_for(
    directories: list[str],
    *,
    start: Path,
    upstream: str | None,
    against: str | None,
    require_upstream: bool,
) -> list[CheckJob]:
    jobs = []
    for d in directories:
        root = (start / d).resolve()
        rel = os.path.relpath(root, Path.cwd().resolve())
        prefix = "" if rel == "." else Path(rel).as_posix() + "/"
        jobs.append(CheckJob(d, root, prefix, upstream, against, require_upstream))
    return jobs


def check_series(job: CheckJob) -> ProjectCheck:
    from patchq.check import checks
    from patchq.series.workspace import Workspace

    name = _project_name(job.root)
    try:
        if not job.root.is_dir():
            why = "is not a directory" if job.root.exists() else "no such directory"
            raise PatchqError(f"{job.source}: {why}")
        ws = Workspace(job.root, upstream_override=job.upstream)
        report = checks.run(ws, against=job.against, require_upstream=job.require_upstream)
    except PatchqError as exc:
        return ProjectCheck(name, job.source, job.prefix, None, str(exc))
    except Exception as exc:  # a bug must not lose the other projects' verdicts
        return ProjectCheck(name, job.source, job.prefix, None, aggregate.bug_row(exc))
    return ProjectCheck(name, job.source, job.prefix, report, None)


def _project_name(root: Path) -> str:
    """upstream.name when series.yaml says it, else the directory's name."""
    from patchq.series import io as series

    try:
        current, _ = series.load_with_problems(root, check_files=False)
    except PatchqError:  # check reports it; the name falls back
        return root.name
    return current.upstream.name if current is not None else root.name


def exit_code(projects: list[ProjectCheck]) -> ExitCode:
    if any(p.error is not None and p.error.startswith(aggregate.BUG) for p in projects):
        return ExitCode.BUG
    return ExitCode.FOUND if any(p.failed for p in projects) else ExitCode.OK


def ordered(projects: list[ProjectCheck]) -> list[ProjectCheck]:
    return sorted(projects, key=lambda p: (p.name, p.source))


# -- output ---------------------------------------------------------------------------------


def render(projects: list[ProjectCheck], fmt: str, *, paint: Paint | None = None) -> str:
    projects = ordered(projects)
    if fmt == "json":
        return as_json(projects)
    if fmt == "junit":
        return junit(projects)
    if fmt == "github":
        return github(projects)
    return text(projects, paint=paint)


def summary(projects: list[ProjectCheck]) -> str:
    failed = [p for p in projects if p.failed]
    errors = sum(1 for p in projects if p.error is not None)
    broken = f" ({errors} could not be checked)" if errors else ""
    if not failed:
        return f"patchq check: ok: {len(projects)} projects"
    return f"patchq check: failed: {len(failed)} of {len(projects)} projects{broken}"


def text(projects: list[ProjectCheck], *, paint: Paint | None = None) -> str:
    parts = []
    for project in projects:
        head = f"== {project.name} ({project.source})"
        parts.append((paint(head, "patch") if paint else head) + "\n")
        if project.report is not None:
            parts.append(output.text(project.report, paint=paint))
        else:
            label = paint("error", "error") if paint else "error"
            parts.append(f"  {label}  {project.error}\n")
    parts.append(summary(projects) + "\n")
    return "".join(parts)


def as_json(projects: list[ProjectCheck]) -> str:
    """[{project, dir, error, findings}] (docs/ci.md documents it)."""
    data: list[dict[str, Any]] = [
        {
            "project": p.name,
            "dir": p.source,
            "error": p.error,
            "findings": [] if p.report is None else [f.as_json() for f in p.report.findings],
        }
        for p in projects
    ]
    return json.dumps(data, indent=2) + "\n"


def junit(projects: list[ProjectCheck]) -> str:
    """A <testsuite> per project (named after it); a project that could not be checked is a
    suite with one errored testcase."""
    suites = ET.Element("testsuites", name="patchq check")
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for project in projects:
        name = f"{project.name} ({project.source})"
        if project.report is not None:
            counts = output.junit_suite(suites, project.report, name=name, prefix=project.prefix)
        else:
            counts = {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}
            suite = ET.SubElement(suites, "testsuite", name=name)
            case = ET.SubElement(
                suite,
                "testcase",
                classname="patchq.project",
                name="series.yaml",
                file=project.prefix + "series.yaml",
                time="0",
            )
            error = ET.SubElement(case, "error", type="error", message=project.error or "")
            error.text = project.error
            output.set_counts(suite, counts)
        for key, value in counts.items():
            total[key] += value
    output.set_counts(suites, total)
    return output.junit_document(suites)


def github(projects: list[ProjectCheck]) -> str:
    """Workflow commands whose paths are relative to the working directory, then a summary."""
    lines = []
    for project in projects:
        if project.report is not None:
            body = output.github(project.report, path_prefix=project.prefix)
            lines += body.splitlines()[:-1]  # its own summary line: one for all, below
        else:
            where = output.escape_property(project.prefix + "series.yaml")
            lines.append(
                f"::error file={where},title=patchq::{output.escape_data(project.error or '')}"
            )
    lines.append(summary(projects))
    return "\n".join(lines) + "\n"
