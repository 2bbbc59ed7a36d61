"""Everything patchq draws on a terminal: the list, status, rebase, check and sync tables.

Each renderer takes the data a library call returned and prints it (rich on stdout; a stop
at a conflict explained on stderr). Piped, a table prints one row per line, for grep.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

import click

from patchq import console

if TYPE_CHECKING:
    from patchq.check.findings import Report as CheckReport
    from patchq.rebase.report import Report as RebaseReport
    from patchq.status.verdict import PatchState, StatusResult
    from patchq.sync.run import Result as SyncResult


# -- list -----------------------------------------------------------------------------------


def series_table(table_rows: list[dict[str, Any]]) -> None:
    """`patchq list`: one row per patch (listing.rows)."""
    from rich.table import Table
    from rich.text import Text

    from patchq.series.listing import upstream_link

    table = Table(box=None, pad_edge=False)
    for column in ("#", "name", "subject", "status", "age", "upstream"):
        table.add_column(column, overflow="fold")
    for row in table_rows:
        link = upstream_link(row.get("upstream") or {})
        age = "" if row["age_days"] is None else f"{row['age_days']}d"
        # Text(): a subject like "Close [/] tag" is data, not rich markup.
        cells = (row["name"], row["subject"], row["status"], age, link)
        table.add_row(str(row["position"]), *(Text(console.printable(str(c))) for c in cells))
    out = console.stdout_console()
    out.print(table)
    out.print(f"{len(table_rows)} patches")


# -- status ---------------------------------------------------------------------------------


def state_label(state: PatchState) -> str:
    from patchq.status import verdict

    if state.state == verdict.LANDED and state.modified_upstream:
        return "landed (modified upstream)"
    return state.state


def status_summary(result: StatusResult) -> str:
    from patchq.status import verdict

    counts = result.counts()
    return (
        f"{len(result.patches)} patches: {counts[verdict.LANDED]} landed, "
        f"{counts[verdict.APPLIES]} apply, {counts[verdict.CONFLICTS]} conflicts"
    )


def status_table(result: StatusResult, *, rebase_in_progress: bool) -> None:
    """`patchq status`: the range, then one row per patch with its state and evidence."""
    from rich.table import Table
    from rich.text import Text

    from patchq.status import verdict
    from patchq.status.left_behind import summary_lines

    out = console.stdout_console()
    if not out.is_terminal:
        out.width = max(out.width, 200)  # piped: one patch per line, for grep
    out.print(
        f"against {result.against} ({result.against_commit[:12]}), "
        f"base {result.base} ({result.base_commit[:12]})"
    )
    if rebase_in_progress:
        out.print("a rebase is in progress: this is the series as last saved")
    colours = {verdict.LANDED: "green", verdict.APPLIES: "cyan", verdict.CONFLICTS: "red"}
    table = Table(box=None, pad_edge=False)
    for column in ("#", "patch", "state", "evidence", "upstream"):
        table.add_column(column, no_wrap=True)
    table.add_column("notes", overflow="fold")
    for position, state in enumerate(result.patches, 1):
        notes = ""
        if state.conflicts:
            notes = "conflicts: " + ", ".join(state.conflicts)
        elif state.similar is not None:
            notes = (
                f"similar to {state.similar.commit[:12]} ({state.similar.score:.2f}) "
                f"{state.similar.subject}"
            )
        table.add_row(
            str(position),
            Text(state.patch.name),  # names, paths and subjects are data, not rich markup
            Text(state_label(state), style=colours[state.state]),
            ", ".join(state.evidence),
            (state.upstream_commit or "")[:12],
            Text(notes),
        )
    if out.is_terminal:
        out.print(table)
    else:  # piped: no padding at line ends
        with out.capture() as captured:
            out.print(table)
        for line in captured.get().splitlines():
            out.print(line.rstrip(), markup=False, highlight=False)
    out.print(status_summary(result))
    for line in summary_lines(result.base, result.against, result.left_behind):
        out.print(line, markup=False, highlight=False)  # what a move to REF leaves behind


# -- rebase ---------------------------------------------------------------------------------


def rebase_report(report: RebaseReport) -> None:
    """The plan or summary table on stdout; a stop at a conflict explained on stderr."""
    from rich.table import Table
    from rich.text import Text

    from patchq.rebase import report as rebase

    styles = {
        rebase.DROP: "yellow",
        rebase.REFRESH: "cyan",
        rebase.UNCHANGED: "green",
        rebase.SKIP: "magenta",
        rebase.CONFLICT: "bold red",
        rebase.NOT_REACHED: "dim",
    }
    # A long series lists only the patches that need a look; the counts line covers the rest.
    quiet = (rebase.REFRESH, rebase.UNCHANGED)
    shown = [
        (i, row)
        for i, row in enumerate(report.rows, 1)
        if len(report.rows) <= 30 or row.result not in quiet or row.detail
    ]
    if shown:
        title = "plan (dry run: nothing written)" if report.dry_run else None
        table = Table(title=title, title_justify="left")
        for column in ("#", "patch", "subject", "result", "detail"):
            table.add_column(column, overflow="fold")
        for i, row in shown:
            result = f"[{styles.get(row.result, '')}]{row.result}[/]"
            table.add_row(str(i), Text(row.file), Text(row.subject), result, Text(row.detail))
        out = console.stdout_console()
        if not out.is_terminal:
            out.width = max(out.width, 200)  # piped: one patch per line, for grep
        out.print(table)
    counts = report.counts()
    carried = counts[rebase.REFRESH] + counts[rebase.UNCHANGED]
    tally = (
        f"{counts[rebase.DROP]} dropped, {counts[rebase.REFRESH]} refreshed, "
        f"{counts[rebase.UNCHANGED]} unchanged, {counts[rebase.SKIP]} skipped; {carried} carried"
    )
    where = f"{report.onto} ({report.onto_commit[:12]})"
    conflict = report.conflict
    for line in report.left_behind:  # what the move leaves behind (base not in REF)
        click.echo(line)
    if report.dry_run:
        if conflict is None:
            click.echo(f"rebase onto {where} would give: {tally}")
            return
        after = report.predicted_counts()
        click.echo(
            f"rebase onto {where} would give: up to the stop: {tally}; stops at "
            f"{conflict.file} (conflict); after it, if that patch is skipped: "
            f"{after[rebase.DROP]} dropped, {after[rebase.CARRY]} carried, "
            f"{after[rebase.CONFLICT]} conflicting"
        )
        return
    if conflict is None:
        click.echo(f"rebased onto {where}: {tally}")
        return
    lines = [
        f"patchq: stopped at {conflict.file} ({conflict.subject}): it conflicts with the new "
        f"base in {len(conflict.paths)} path(s):",
        *(f"  {path}" for path in conflict.paths),
        "the new base, the series so far and this patch's conflict markers are in:",
        f"  {conflict.worktree}",
        *_sparse_note(conflict.worktree, conflict.sparse_files),
        "resolve the files there (no need to commit), then run one of:",
        "  patchq rebase --continue              the worktree becomes this patch's new content",
        "  patchq rebase --skip [--reason TEXT]  leave this patch out of the series",
        "  patchq rebase --abort                 put series.yaml and patches/ back as they were",
    ]
    click.echo("\n".join(lines), err=True)


def _sparse_note(worktree: str, files: int) -> list[str]:
    """What a sparse conflict worktree holds, and how to get the rest."""
    if not files:
        return []
    return [
        f"it is a sparse checkout: {files} file(s) on disk, those the series touches and the "
        "conflicted ones;",
        "the rest of the tree is in its index (git status, git diff and --continue see it all).",
        "every file on disk (writes the whole tree; `rebase --onto REF --full-worktree` does it "
        "from the start):",
        f"  git -C {shlex.quote(worktree)} sparse-checkout disable",
    ]


# -- check ----------------------------------------------------------------------------------


def check_findings(report: CheckReport, *, color: bool) -> str:
    """`patchq check`'s text format, coloured (check_paint) when `color`."""
    from patchq.check.output import text

    return text(report, paint=check_paint if color else None)


def check_paint(word: str, role: str) -> str:
    """Patch names bold, errors red, warnings yellow, skips dim."""
    return click.style(word, **CHECK_STYLE[role])


CHECK_STYLE: dict[str, dict[str, Any]] = {
    "patch": {"bold": True},
    "error": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow"},
    "skipped": {"dim": True},
}


# -- sync -----------------------------------------------------------------------------------


def sync_changes(result: SyncResult, *, dry_run: bool, written: bool, named: bool) -> None:
    """`patchq sync`: the table of changes, the flags and notes, and a summary line."""
    from rich.table import Table
    from rich.text import Text

    from patchq.sync.run import age

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
            cells = (shown, update.field, update.before, update.after)
            table.add_row(*(Text(console.printable(cell)) for cell in cells))
        out.print(table)
    for o in result.outcomes:
        for flag in o.flags:
            out.print(Text(console.printable(f"flag: {o.after.file}: {flag}")), style="bold yellow")
        for note in o.notes:
            out.print(Text(console.printable(f"note: {o.after.file}: {note}")))
    for file, why in result.skipped if named else []:
        out.print(Text(console.printable(f"skipped: {file}: {why}")))
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
    source = "the kept answers" if result.offline else _sync_servers(result)
    out.print(
        Text(
            f"synced {len(result.outcomes)} patch{'es' if len(result.outcomes) != 1 else ''} "
            f"from {source}: {verb} {updated}, {flagged} flagged; {tail}"
        )
    )


def _sync_servers(result: SyncResult) -> str:
    used = {s for o in result.outcomes for s in (o.after.upstream.synced_from or "").split(", ")}
    ordered = [s for s in (result.servers.gerrit, result.servers.launchpad) if s in used]
    return " and ".join(ordered) or result.servers.gerrit
