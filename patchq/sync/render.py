"""`patchq sync` output: the table of changes (text) or one JSON document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patchq import console
from patchq.sync.run import Result, age


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


def print_text(result: Result, *, dry_run: bool, written: bool, named: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console.stdout_console()
    rows = [(o.after.file, u) for o in result.outcomes for u in o.updates]
    if rows:
        title = "changes (dry run: nothing written)" if dry_run else None
        table = Table(title=title, title_justify="left")
        for column in ("patch", "field", "before", "after"):
            table.add_column(column, overflow="fold")
        last = None
        for file, update in rows:
            shown = "" if file == last else file
            last = file
            table.add_row(Text(shown), update.field, Text(update.before), Text(update.after))
        out.print(table)
    for o in result.outcomes:
        for flag in o.flags:
            out.print(Text(f"flag: {o.after.file}: {flag}"), style="bold yellow")
        for note in o.notes:
            out.print(Text(f"note: {o.after.file}: {note}"))
    for file, why in result.skipped if named else []:
        out.print(Text(f"skipped: {file}: {why}"))
    if result.offline and result.oldest is not None:
        out.print(
            Text(
                f"offline: answers kept in .patchq/sync.json, fetched {result.oldest} "
                f"({age(result.oldest)} ago)"
            )
        )
    updated = sum(1 for o in result.outcomes if o.updates)
    flagged = sum(1 for o in result.outcomes if o.flags)
    verb = "would update" if dry_run else "updated"
    tail = "nothing written" if dry_run else ("wrote series.yaml" if written else "no change")
    source = "the kept answers" if result.offline else _servers(result)
    out.print(
        Text(
            f"synced {len(result.outcomes)} patch{'es' if len(result.outcomes) != 1 else ''} "
            f"from {source}: {verb} {updated}, {flagged} flagged; {tail}"
        )
    )


def _servers(result: Result) -> str:
    used = {s for o in result.outcomes for s in (o.after.upstream.synced_from or "").split(", ")}
    ordered = [s for s in (result.servers.gerrit, result.servers.launchpad) if s in used]
    return " and ".join(ordered) or result.servers.gerrit


def _age_seconds(since: str | None) -> int | None:
    if since is None:
        return None
    then = dt.datetime.strptime(since, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    return max(0, int((dt.datetime.now(dt.timezone.utc) - then).total_seconds()))
