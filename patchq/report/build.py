"""The carried-patch report model: plain data built from the series, its history and
(optionally) the status engine's verdict.

The model is exactly what `--format json` prints (docs/report-schema.md); patchq.report_render
only reads it, so every format says the same thing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from patchq import __version__
from patchq.series.listing import age_days
from patchq.series.model import STATUSES, Patch, Series
from patchq.status.verdict import APPLIES, CONFLICTS, LANDED, PatchState, StatusResult

if TYPE_CHECKING:
    from patchq.series.workspace import Workspace

SCHEMA_VERSION = 1
FORMATS = ("text", "html", "markdown", "json")
STATES = (LANDED, APPLIES, CONFLICTS)
_SUFFIX_FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
}


@dataclass(frozen=True)
class Clock:
    """When the report is generated; SOURCE_DATE_EPOCH pins it for reproducible reports."""

    now: dt.datetime

    @classmethod
    def from_env(cls) -> Clock:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch.isdigit():
            return cls(dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc))
        return cls(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))

    @property
    def stamp(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the model ------------------------------------------------------------------------------


def build(
    ws: Workspace, current: Series, *, clock: Clock, status: StatusResult | None = None
) -> dict[str, Any]:
    """The report as plain data: header, summary, one row per patch, history and chart."""
    subjects = _subjects(ws, current, status)
    states = {s.patch.file: s for s in status.patches} if status else {}
    rebase_dates = [
        e["date"][:10] for e in history_entries(current.history) if e["kind"] == "rebase"
    ]
    rows = [
        patch_row(
            position,
            patch,
            subject=subjects[patch.file],
            upstream_url=current.upstream.url,
            today=clock.now.date(),
            rebase_dates=rebase_dates,
            verdict=states.get(patch.file),
        )
        for position, patch in enumerate(current.patches, 1)
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": clock.stamp,
        "patchq_version": __version__,
        "upstream": {
            "name": current.upstream.name,
            "url": current.upstream.url,
            "web_url": web_url(current.upstream.url),
            "branch": current.upstream.trunk,
            "base": current.upstream.base,
            "base_commit": current.upstream.base_commit,
        },
        "against": None
        if status is None
        else {
            "ref": status.against,
            "commit": status.against_commit,
            "left_behind": left_behind(current, status),
        },
        "summary": summary(current.patches, status),
        "patches": rows,
        "history": history_entries(current.history, upstream_url=current.upstream.url),
        "chart": carried_per_release(current),
    }


def left_behind(current: Series, status: StatusResult) -> dict[str, Any]:
    """What moving to REF leaves behind (base not in REF): counted, the lost ones listed."""
    from patchq.status.left_behind import summary_lines

    lost = status.lost
    lines = summary_lines(current.upstream.base, status.against, status.left_behind)
    return {
        "commits": len(status.left_behind),
        "in_target": len(status.left_behind) - len(lost),
        "summary": lines[0].rstrip(":") if lines else None,
        "lost": [
            {
                "commit": c.commit,
                "subject": c.subject,
                "change_id": c.change_id,
                "commit_url": commit_url(current.upstream.url, c.commit),
            }
            for c in lost
        ],
    }


def _subjects(ws: Workspace, current: Series, status: StatusResult | None) -> dict[str, str]:
    known = {s.patch.file: s.subject for s in status.patches} if status else {}
    return {p.file: known.get(p.file) or ws.read_patch(p).subject for p in current.patches}


def summary(patches: Sequence[Patch], status: StatusResult | None) -> dict[str, Any]:
    by_status = dict.fromkeys(STATUSES, 0)
    for patch in patches:
        by_status[patch.status.value] += 1
    by_state = None
    if status is not None:
        by_state = dict.fromkeys(STATES, 0)
        for verdict in status.patches:
            by_state[verdict.state] = by_state.get(verdict.state, 0) + 1
    return {"patches": len(patches), "by_status": by_status, "by_state": by_state}


def patch_row(
    position: int,
    patch: Patch,
    *,
    subject: str,
    upstream_url: str | None,
    today: dt.date,
    rebase_dates: Sequence[str],
    verdict: PatchState | None = None,
) -> dict[str, Any]:
    links = patch.upstream
    row: dict[str, Any] = {
        "position": position,
        "file": patch.file,
        "name": patch.name,
        "subject": subject,
        "status": patch.status.value,
        "reason": patch.reason,
        "owner": patch.owner,
        "added": patch.added,
        "age_days": age_days(patch.added, today),
        "releases_carried": releases_carried(patch.added, rebase_dates),
        "links": {
            "review": links.review,
            "review_url": web_url(links.review),
            "change_id": links.change_id,
            "bug": links.bug,
            "bug_url": web_url(links.bug),
            "commit": links.commit,
            "commit_url": commit_url(upstream_url, links.commit),
        },
        "state": None,
        "evidence": [],
        "upstream_commit": None,
        "upstream_commit_url": None,
        "conflicts": [],
        "similar": None,
        "modified_upstream": False,
        # What `patchq sync` last read from Gerrit and Launchpad.
        "review_state": [
            {
                key: getattr(change, key)
                for key in ("branch", "number", "status", "commit", "merged")
            }
            for change in links.changes
        ],
        "bug_state": None
        if links.bug_task is None
        else {
            key: getattr(links.bug_task, key)
            for key in ("target", "status", "importance", "fix_released")
        },
        "synced": links.synced,
    }
    if verdict is not None:
        row.update(
            state=verdict.state,
            evidence=list(verdict.evidence),
            upstream_commit=verdict.upstream_commit,
            upstream_commit_url=commit_url(upstream_url, verdict.upstream_commit),
            conflicts=list(verdict.conflicts),
            modified_upstream=verdict.modified_upstream,
        )
        if verdict.similar is not None:
            row["similar"] = {
                "commit": verdict.similar.commit,
                "subject": verdict.similar.subject,
                "score": verdict.similar.score,
            }
    return row


def releases_carried(added: str | None, rebase_dates: Sequence[str]) -> int | None:
    """Releases the patch has sat on: the current base plus one per rebase since `added`."""
    if not added:
        return None
    return 1 + sum(1 for day in rebase_dates if day >= added[:10])


def web_url(value: str | None) -> str | None:
    """`value` when it is an http(s) URL, else None: nothing else ever becomes a link."""
    if value and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None


def commit_url(upstream_url: str | None, sha: str | None) -> str | None:
    """<url>/commit/<sha>: the form opendev (Gitea), GitHub and GitLab all serve."""
    base = web_url(upstream_url)
    if not base or not sha:
        return None
    base = base.rstrip("/")
    base = base[: -len(".git")] if base.endswith(".git") else base
    return f"{base}/commit/{sha}"


def history_entries(
    history: Iterable[Any], *, upstream_url: str | None = None
) -> list[dict[str, Any]]:
    """Each history entry normalised: a rebase (from/to) or a hand drop (`patchq drop`)."""
    out = []
    for entry in history:
        if not isinstance(entry, dict):
            continue
        is_rebase = "to" in entry or "from" in entry
        out.append(
            {
                "kind": "rebase" if is_rebase else "drop",
                "date": _str(entry.get("date")) or "",
                "from": _str(entry.get("from")),
                "from_commit": _str(entry.get("from_commit")),
                "to": _str(entry.get("to")),
                "to_commit": _str(entry.get("to_commit")),
                "dropped": [_item(i, upstream_url) for i in _list(entry.get("dropped"))],
                "skipped": [_item(i, upstream_url) for i in _list(entry.get("skipped"))],
                "refreshed": _int(entry.get("refreshed")),
                "carried": _int(entry.get("carried")),
            }
        )
    return out


def _item(item: dict[str, Any], upstream_url: str | None) -> dict[str, Any]:
    upstream_commit = _str(item.get("upstream_commit"))
    evidence = item.get("evidence")
    return {
        "file": _str(item.get("file")) or "",
        "subject": _str(item.get("subject")) or "",
        "evidence": [str(e) for e in evidence] if isinstance(evidence, list) else [],
        "upstream_commit": upstream_commit,
        "upstream_commit_url": commit_url(upstream_url, upstream_commit),
        "reason": _str(item.get("reason")),
    }


def carried_per_release(current: Series) -> list[dict[str, Any]]:
    """Patches carried on each release: counted when the series left it, now for the base."""
    points: dict[str, dict[str, Any]] = {}
    for entry in history_entries(current.history):
        if entry["kind"] != "rebase" or entry["carried"] is None:
            continue
        if entry["from"]:
            leaving = entry["carried"] + len(entry["dropped"]) + len(entry["skipped"])
            points[entry["from"]] = {"release": entry["from"], "carried": leaving}
        if entry["to"]:
            points[entry["to"]] = {"release": entry["to"], "carried": entry["carried"]}
    base = current.upstream.base
    points.pop(base, None)
    points[base] = {"release": base, "carried": len(current.patches)}
    return list(points.values())


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# -- output -------------------------------------------------------------------------------


def format_for(fmt: str | None, output: Path | None) -> str:
    """--format, else guessed from --output's suffix, else text."""
    if fmt:
        return fmt
    if output is not None:
        return _SUFFIX_FORMATS.get(output.suffix.lower(), "text")
    return "text"
