"""`patchq sync --format json`: the result as one JSON document (docs/sync.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patchq.sync.run import Result


def as_json(result: Result, *, dry_run: bool, written: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "offline": result.offline,
        "written": written,
        "gerrit": result.servers.gerrit,
        "project": result.servers.project,
        "launchpad": result.servers.launchpad,
        "answers_fetched": result.oldest,
        "answers_age_seconds": _age_seconds(result.oldest),
        "questions": result.asked,
        "patches": [
            {
                "file": o.after.file,
                "status_before": o.before.status.value,
                "status": o.after.status.value,
                "change_id": o.after.upstream.change_id,
                "review": o.after.upstream.review,
                "changes": [c.as_dict() for c in o.after.upstream.changes],
                "bug_task": o.after.upstream.bug_task.as_dict()
                if o.after.upstream.bug_task
                else None,
                "synced": o.after.upstream.synced,
                "synced_from": o.after.upstream.synced_from,
                "updates": [u.__dict__ for u in o.updates],
                "flags": list(o.flags),
                "notes": list(o.notes),
            }
            for o in result.outcomes
        ],
        "skipped": [{"file": f, "reason": why} for f, why in result.skipped],
    }


def _age_seconds(since: str | None) -> int | None:
    if since is None:
        return None
    then = dt.datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return max(0, int((dt.datetime.now(dt.timezone.utc) - then).total_seconds()))
