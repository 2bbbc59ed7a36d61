"""The aggregate model: every project's counts, distribution totals, the oldest carried
patches, every submitted patch, and carried patches per release, from the projects' single
reports. Plain data, exactly what `--format json` prints (docs/aggregate-schema.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from patchq import __version__
from patchq.errors import ExitCode
from patchq.report.build import STATES
from patchq.series.model import STATUSES

KIND = "patchq-aggregate"
SCHEMA_VERSION = 1
OLDEST = 10  # how many of the oldest carried patches the aggregate lists
BUG = "internal error, please report it"  # how a project's error row starts when patchq failed
COUNT_KEYS = ("carried", *STATES, *STATUSES)


def project_row(
    *, name: str, source: str, report: dict[str, Any] | None, error: str | None
) -> dict[str, Any]:
    """A project of the aggregate before counting: its single report, or why there is none."""
    return {"name": name, "source": source, "error": error, "report": report}


def build(rows: Iterable[dict[str, Any]], *, generated: str) -> dict[str, Any]:
    """The aggregate of project rows (collect.project_row), sorted by project name then source."""
    projects = sorted((_project(row) for row in rows), key=lambda p: (p["name"], p["source"]))
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "generated": generated,
        "patchq_version": __version__,
        "against": sorted(
            {p["report"]["against"]["ref"] for p in projects if _against(p) is not None}
        ),
        "totals": totals(projects),
        "projects": projects,
        "oldest": oldest(projects),
        "submitted": submitted(projects),
        "chart": [
            {"project": p["name"], "source": p["source"], "points": p["report"]["chart"]}
            for p in projects
            if p["report"] is not None
        ],
    }


def _against(project: dict[str, Any]) -> Any:
    return None if project["report"] is None else project["report"]["against"]


def _project(row: dict[str, Any]) -> dict[str, Any]:
    report = row["report"]
    return {
        "name": row["name"],
        "source": row["source"],
        "error": row["error"],
        "counts": None if report is None else counts(report),
        "report": report,
    }


def counts(report: dict[str, Any]) -> dict[str, Any]:
    """carried; landed/applies/conflicts against REF (null without it); each status; the age
    of the oldest patch in days."""
    summary = report["summary"]
    by_state = summary["by_state"]
    ages = [p["age_days"] for p in report["patches"] if p["age_days"] is not None]
    return {
        "carried": summary["patches"],
        **{s: None if by_state is None else by_state.get(s, 0) for s in STATES},
        **{s: summary["by_status"].get(s, 0) for s in STATUSES},
        "oldest_age_days": max(ages) if ages else None,
    }


def totals(projects: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The distribution: counts summed over the projects that reported (a null stays null
    only when every project has it null), and how many projects failed."""
    good = [p["counts"] for p in projects if p["counts"] is not None]
    out: dict[str, Any] = {"projects": len(projects), "errors": len(projects) - len(good)}
    for key in COUNT_KEYS:
        values = [c[key] for c in good if c[key] is not None]
        out[key] = sum(values) if values else (0 if key in ("carried", *STATUSES) else None)
    ages = [c["oldest_age_days"] for c in good if c["oldest_age_days"] is not None]
    out["oldest_age_days"] = max(ages) if ages else None
    return out


def _patches(projects: Sequence[dict[str, Any]]) -> Iterable[tuple[dict[str, Any], Any]]:
    for project in projects:
        if project["report"] is not None:
            for patch in project["report"]["patches"]:
                yield project, patch


def oldest(projects: Sequence[dict[str, Any]], limit: int = OLDEST) -> list[dict[str, Any]]:
    """The `limit` carried patches added longest ago, across projects (ties: project order,
    then series order). Patches without `added` have no age and are not ranked."""
    ranked = sorted(
        (
            (-patch["age_days"], i, patch["position"], project, patch)
            for i, (project, patch) in enumerate(_patches(projects))
            if patch["age_days"] is not None
        ),
        key=lambda t: t[:3],
    )
    return [_patch_ref(project, patch) for *_, project, patch in ranked[:limit]]


def submitted(projects: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every `submitted` patch with its review link, in project then series order."""
    return [
        {
            **_patch_ref(project, patch),
            "review": patch["links"]["review"],
            "review_url": patch["links"]["review_url"],
            "change_id": patch["links"]["change_id"],
        }
        for project, patch in _patches(projects)
        if patch["status"] == "submitted"
    ]


def _patch_ref(project: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    return {
        "project": project["name"],
        "source": project["source"],
        "position": patch["position"],
        "file": patch["file"],
        "subject": patch["subject"],
        "status": patch["status"],
        "added": patch["added"],
        "age_days": patch["age_days"],
        "releases_carried": patch["releases_carried"],
    }


def bug_row(exc: Exception) -> str:
    """The error row of a project on which patchq itself failed (exit code 3, not 1)."""
    return f"{BUG}: {type(exc).__name__}: {exc}"


def exit_code(model: dict[str, Any]) -> ExitCode:
    """OK; FOUND when a project has an error row; BUG when patchq failed on one."""
    errors = [p["error"] for p in model["projects"] if p["error"] is not None]
    if any(e.startswith(BUG) for e in errors):
        return ExitCode.BUG
    return ExitCode.FOUND if errors else ExitCode.OK
