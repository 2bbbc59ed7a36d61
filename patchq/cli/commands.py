"""The commands: each parses its options, calls the library, and renders the result with
cli.render. Library modules are imported inside each command, so `patchq --help` stays fast."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from patchq import console
from patchq.cli import render
from patchq.cli.context import (
    FORMATS,
    Context,
    global_options,
    in_process,
    pass_ctx,
    series_for,
)
from patchq.errors import ExitCode, PatchqError

if TYPE_CHECKING:
    from patchq.series.model import Series
    from patchq.series.workspace import Workspace
    from patchq.status.verdict import StatusResult


# == foundation: init, list, mark, drop, move ==============================================


@click.command()
@click.option("--base", required=True, metavar="REF", help="Upstream ref the series applies to.")
@click.option("--name", metavar="N", help="Upstream project name (default: clone's dir name).")
@click.option("--url", metavar="U", help="Upstream project URL, for reports.")
@click.option(
    "--branch",
    metavar="B",
    default="master",
    show_default=True,
    help="Upstream trunk the series tracks.",
)
@global_options
@pass_ctx
def init(ctx: Context, base: str, name: str | None, url: str | None, branch: str) -> None:
    """Start a series: pin BASE of the upstream clone, create series.yaml and patches/.

    \b
    Example:
      patchq init --upstream ../nova --base 31.0.0 --url https://opendev.org/openstack/nova
    """
    from patchq.series import edit

    ws = ctx.workspace()
    ws.root = ctx.start
    ws.check_layout()
    if ws.exists():
        raise PatchqError(f"{ws.series_path} already exists: edit it, or remove it to start over")
    if not (ctx.upstream or os.environ.get("PATCHQ_UPSTREAM")):
        raise click.UsageError("patchq init needs --upstream PATH (the local upstream clone)")
    if ws.patches_dir.exists() and not ws.patches_dir.is_dir():
        raise PatchqError(f"{ws.patches_dir} is a file: the patches go in that directory")
    with ws.open_repo() as repo:
        rel = os.path.relpath(repo.path.resolve(), ws.root)
        new = edit.new_series(
            repo, path=rel, base=base, name=name or repo.path.resolve().name, url=url, branch=branch
        )
    ws.patches_dir.mkdir(exist_ok=True)
    ws.save(new)
    console.info(
        f"created {ws.series_path} on {base} ({new.upstream.base_commit[:12]}) "
        f"and {ws.patches_dir}/; next: `patchq import`"
    )


@click.command(name="list")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@global_options
@pass_ctx
def list_(ctx: Context, fmt: str) -> None:
    """Show the series in order: position, name, subject, status, age, upstream link.

    \b
    Example:
      patchq list --format json | jq '.patches[] | select(.status == "pending")'
    """
    from patchq.series import listing

    ws = ctx.workspace()
    rows = listing.rows(ws, ws.load())
    if fmt == "json":
        click.echo(json.dumps({"patches": rows}, indent=2))
    else:
        render.series_table(rows)


@click.command()
@click.argument("name")
@click.argument("status", required=False)
@click.option("--review", metavar="URL", help="Gerrit change URL.")
@click.option("--change-id", metavar="ID", help="Gerrit Change-Id (I + 40 hex).")
@click.option("--commit", metavar="SHA", help="Upstream commit it is or came from.")
@click.option("--bug", metavar="URL", help="Launchpad bug URL.")
@click.option("--reason", metavar="TEXT", help="Why it is carried.")
@click.option("--owner", metavar="O", help="Who looks after it.")
@click.option("--subject", metavar="TEXT", help="Rewrite the subject in the patch file.")
@global_options
@pass_ctx
def mark(
    ctx: Context,
    name: str,
    status: str | None,
    review: str | None,
    change_id: str | None,
    commit: str | None,
    bug: str | None,
    reason: str | None,
    owner: str | None,
    subject: str | None,
) -> None:
    """Set a patch's upstream STATUS and links, or fix its subject.

    STATUS is one of pending, submitted, merged, backport, rejected, downstream-only; without
    it the status stays. NAME is a file name, a name without .patch, the start of one name, or
    a 1-based position.

    \b
    Example:
      patchq mark 3 submitted --review https://review.opendev.org/c/openstack/nova/+/951234
      patchq mark 2 --subject "[OVN] Allow multiple values in DHCPv4/v6 options"
    """
    from patchq.series import edit
    from patchq.series import io as series

    links = {"review": review, "change_id": change_id, "commit": commit, "bug": bug}
    changes = [*links.values(), reason, owner]
    if status is None and subject is None and all(v is None for v in changes):
        raise click.UsageError("give a STATUS, --subject TEXT, or a link/--reason/--owner to set")
    ws = ctx.workspace()
    ws.refuse_during_rebase("mark")
    with ws.lock():
        current = ws.load()
        index = series.find_patch(current, name)
        patch = current.patches[index]
        new = edit.mark(
            current,
            index,
            status=edit.parse_status(status) if status is not None else patch.status,
            links=links,
            reason=reason,
            owner=owner,
        )
        if subject is not None:
            ws.write_patch(patch.file, edit.retitle(ws.patch_path(patch.file), subject))
        if new != current:
            ws.save(new)
    done = [str(new.patches[index].status)] + ([f"subject {subject!r}"] if subject else [])
    console.info(f"{patch.file}: {', '.join(done)}")


@click.command()
@click.argument("name")
@click.option("--reason", metavar="TEXT", help="Why it is dropped (kept in history).")
@global_options
@pass_ctx
def drop(ctx: Context, name: str, reason: str | None) -> None:
    """Remove a patch from the series and delete its file; history keeps a record.

    \b
    Example:
      patchq drop 0007-vnc --reason "fixed differently upstream"
    """
    from patchq.fsutil import checkpoint
    from patchq.series import edit, journal
    from patchq.series import io as series

    ws = ctx.workspace()
    ws.refuse_during_rebase("drop")
    with ws.lock():
        current = ws.load()
        index = series.find_patch(current, name)
        patch = current.patches[index]
        path = ws.patch_path(patch.file)
        subject = ws.read_patch(patch).subject if path.is_file() else ""
        journal.begin(ws.state_dir, command="drop", files=[patch.file])
        ws.save(edit.drop(current, index, subject=subject, reason=reason))
        checkpoint("drop: wrote series.yaml")
        path.unlink(missing_ok=True)
        checkpoint(f"drop: removed {patch.file}")
        journal.end(ws.state_dir, command="drop")
    console.info(f"dropped {patch.file}")


@click.command()
@click.argument("name")
@click.option("--before", metavar="OTHER", help="Put it just before OTHER.")
@click.option("--after", metavar="OTHER", help="Put it just after OTHER.")
@click.option("--to", "to", type=int, metavar="N", help="Put it at 1-based position N.")
@global_options
@pass_ctx
def move(ctx: Context, name: str, before: str | None, after: str | None, to: int | None) -> None:
    """Change a patch's position in the series.

    \b
    Example:
      patchq move 0005-Default --before 2
    """
    from patchq.series import edit
    from patchq.series import io as series

    if sum(x is not None for x in (before, after, to)) != 1:
        raise click.UsageError("give exactly one of --before OTHER, --after OTHER, --to N")
    ws = ctx.workspace()
    ws.refuse_during_rebase("move")
    with ws.lock():
        current = ws.load()
        index = series.find_patch(current, name)
        try:
            target = edit.move_target(current, index, before=before, after=after, to=to)
        except edit.BadMove as exc:
            raise click.UsageError(str(exc)) from None
        ws.save(edit.move(current, index, target))
    console.info(f"{current.patches[index].file} is now #{target + 1}")


# == import and demo (issue 2) =============================================================


@click.command(name="import")
@click.option("--range", "rev_range", metavar="A..B", help="Commits A..B of the upstream clone.")
@click.option("--quilt", metavar="DIR", help="A quilt dir with a series file (debian/patches).")
@click.option("--mbox", metavar="FILE", help="An mbox holding one or more patches.")
@click.argument("files", nargs=-1, metavar="[FILE]...")
@global_options
@pass_ctx
def import_(
    ctx: Context,
    rev_range: str | None,
    quilt: str | None,
    mbox: str | None,
    files: tuple[str, ...],
) -> None:
    """Add patches at the end of the series, numbered after the existing ones.

    Give exactly one source: --range A..B, --quilt DIR, --mbox FILE, or patch FILEs.
    A Change-Id trailer fills upstream.change_id; "(cherry picked from commit X)" makes it a
    backport of X; DEP-3 headers (Forwarded, Origin, Applied-Upstream, Bug) decide the status
    where present; otherwise it is pending. Nothing is written if any patch fails.

    \b
    Example:
      patchq import --range 31.0.0..stable/2025.2
      patchq import --quilt ../nova-debian/debian/patches
      patchq import 0001-Fix-rbd-timeout.patch 0002-Add-hw-watchdog.patch
    """
    from patchq.imports import importer
    from patchq.series import edit

    if sum(bool(x) for x in (rev_range, quilt, mbox, files)) != 1:
        raise click.UsageError(
            "give exactly one source: --range A..B, --quilt DIR, --mbox FILE or FILE..."
        )
    ws = ctx.workspace()
    ws.refuse_during_rebase("import")
    start = ctx.start
    with ws.lock():
        current = ws.load()
        if rev_range:
            with ws.open_repo(current) as repo:
                incoming = importer.from_range(repo, rev_range)
        elif quilt:
            incoming = importer.from_quilt(start / quilt)
        elif mbox:
            incoming = importer.from_mbox(start / mbox)
        else:
            incoming = importer.from_files([start / f for f in files])
        plan = importer.plan(
            current, incoming, taken=importer.taken_names(ws, current), today=edit.today()
        )
        importer.write(ws, plan)
    for note in plan.notes:
        console.info(f"note: {note}")
    first = len(current.patches) + 1
    for position, patch in enumerate(plan.series.patches[first - 1 :], first):
        link = patch.upstream.commit or patch.upstream.review or patch.upstream.change_id or ""
        console.info(f"#{position} {patch.file}  {patch.status}  {link}".rstrip())
    count = len(incoming)
    console.info(f"imported {count} patch{'es' if count != 1 else ''} into {ws.series_path}")


@click.command()
@click.argument("directory", required=False, metavar="[DIR]")
@global_options
@click.pass_context
def demo(click_ctx: click.Context, directory: str | None) -> None:
    """Build a small synthetic nova and walk the example series through every command.

    DIR (default: a new temp dir) gets nova/ (the upstream, tags 31.0.0, 31.0.1 and 32.0.0),
    packaging/ (the example series.yaml and patches/) and debian/patches/ (a quilt series).
    Each command is printed before its output; the directory is kept for you to explore.

    \b
    Example:
      patchq demo /tmp/patchq-demo && cd /tmp/patchq-demo/packaging && patchq list
    """
    from patchq.demo import tour

    layout = tour.prepare(Path(directory) if directory else None)
    click.echo(f"# Demo directory: {layout.root}")
    tags = "tags 31.0.0, 32.0.0; stable/2025.1 with 31.0.1"
    click.echo(f"# Built the upstream in {layout.upstream} ({tags})")
    click.echo(f"$ cd {layout.packaging}")
    runner = in_process(click_ctx.find_root().command)
    tour.run_steps(layout, tour.STEPS, say=click.echo, invoke=runner)
    tour.run_sync_steps(layout, say=click.echo, invoke=runner)
    tour.run_steps(layout, tour.EXPORT_STEPS, say=click.echo, invoke=runner)
    tour.run_steps(layout, tour.DISTRIBUTION_STEPS, say=click.echo, invoke=runner)
    click.echo(f"\n# Done. Explore: cd {layout.packaging} && patchq list")


# == status and apply (issue 3) ============================================================


@click.command()
@click.option("--against", metavar="REF", help="Upstream ref (default: tip of upstream.branch).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@global_options
@pass_ctx
def status(ctx: Context, against: str | None, fmt: str) -> None:
    """Show which patches upstream already has (and why), which apply, which conflict.

    Read-only: the upstream clone is never fetched or changed.

    \b
    Example:
      patchq status --against 32.0.0
      patchq status --against origin/master --format json | jq '.patches[].state'
    """
    from patchq.status.range import start_scan

    ws, current = series_for(ctx)
    with ws.open_repo(current) as repo:
        started = start_scan(current, repo, against)  # git walks while the rest is imported
        from patchq.status import pipeline as status_mod

        result = status_mod.evaluate(
            ws, current, repo, against=against, progress=fmt == "text", started=started
        )
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    render.status_table(result, rebase_in_progress=ws.rebase_in_progress())


@click.command()
@click.option("--onto", metavar="REF", help="Upstream ref to build on (default: the base).")
@click.option("--branch", "branch", required=True, metavar="NAME", help="Branch to create.")
@click.option("--force", is_flag=True, help="Replace NAME if it exists.")
@global_options
@pass_ctx
def apply(ctx: Context, onto: str | None, branch: str, force: bool) -> None:
    """Create branch NAME in the upstream clone: REF plus one commit per non-landed patch.

    The branch is not checked out; nothing else in the clone changes.

    \b
    Example:
      patchq apply --onto 32.0.0 --branch downstream-32
    """
    from patchq.status import apply as apply_mod

    ws, current = series_for(ctx)
    with ws.open_repo(current) as repo:
        done = apply_mod.apply_series(ws, current, repo, onto=onto, branch=branch, force=force)
    console.info(
        f"created branch {branch} at {done.head[:12]}: {done.onto_name} + {done.applied} "
        f"patches ({done.landed} landed upstream, left out)"
    )


# == rebase (issue 4) ======================================================================


@click.command()
@click.option("--onto", metavar="REF", help="Upstream release to carry the series onto.")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option("--continue", "continue_", is_flag=True, help="Take the resolved worktree; go on.")
@click.option("--skip", is_flag=True, help="Leave the conflicting patch out; go on.")
@click.option("--reason", metavar="TEXT", help="Why the patch is skipped (kept in history).")
@click.option("--abort", is_flag=True, help="Put series.yaml and patches/ back as they were.")
@click.option(
    "--full-worktree",
    is_flag=True,
    help="With --onto: a conflict stop checks out the whole tree (every file on disk; "
    "seconds on a 5,000-file tree, once per rebase) instead of only the files the series "
    "touches (the default, a sparse checkout: tens of files, the rest in git's index). "
    "Kept for the whole rebase.",
)
@global_options
@pass_ctx
def rebase(
    ctx: Context,
    onto: str | None,
    dry_run: bool,
    continue_: bool,
    skip: bool,
    reason: str | None,
    abort: bool,
    full_worktree: bool,
) -> None:
    """Carry the series onto a new upstream release: drop what landed, refresh the rest.

    A conflicting patch stops the rebase in a patchq-owned worktree (path printed); resolve
    it there, then --continue, --skip or --abort. The worktree is a sparse checkout: only
    the files the series' patches touch (and the conflicted ones) are on disk, while git
    status, git diff and --continue see the whole tree. `git sparse-checkout disable` there
    brings the rest (as does --full-worktree from the start), at the cost of writing every
    file.

    \b
    Example:
      patchq rebase --onto 32.0.0 --dry-run
      patchq rebase --onto 32.0.0
      patchq rebase --skip --reason "superseded by upstream rework"
    """
    from patchq.rebase import run as rebase_run

    if sum((onto is not None, continue_, skip, abort)) != 1:
        raise click.UsageError("give exactly one of --onto REF, --continue, --skip, --abort")
    if dry_run and onto is None:
        raise click.UsageError("--dry-run goes with --onto REF")
    if reason is not None and not skip:
        raise click.UsageError("--reason goes with --skip")
    if full_worktree and onto is None:
        raise click.UsageError(
            "--full-worktree goes with --onto REF (later stops follow what the rebase began with)"
        )
    ws = ctx.workspace()
    if abort:
        with ws.lock():
            restored = rebase_run.abort(ws)
        console.info(f"rebase aborted: series.yaml and patches/ restored ({restored} rewritten)")
        return
    if onto is not None and dry_run:
        report = rebase_run.start(ws, onto, dry_run=True, progress=True)
    else:
        with ws.lock():
            if onto is not None:
                report = rebase_run.start(ws, onto, progress=True, full_worktree=full_worktree)
            elif continue_:
                report = rebase_run.resume(ws, progress=True)
            else:
                report = rebase_run.skip(ws, reason=reason, progress=True)
    render.rebase_report(report)
    if report.conflict is not None and not report.dry_run:
        sys.exit(ExitCode.FOUND)


# == report (issue 5) ======================================================================

JOBS_HELP = "With several DIRs: series run N at a time (default: the number of cores)."


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown", "json", "text"]),
    help="Output format (default: from --output's suffix, else text).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Write the report to FILE (atomically) instead of stdout.",
)
@click.option("--against", metavar="REF", help="Also say which patches landed/apply/conflict.")
@click.option(
    "--template",
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Render your own jinja2 template (HTML-escaped when FILE ends .html[.j2]).",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help=JOBS_HELP)
@click.option("--merge", is_flag=True, help="Aggregate report JSON files (no clones needed).")
@click.argument("paths", nargs=-1, metavar="[DIR... | --merge FILE.json...]")
@global_options
@pass_ctx
def report(
    ctx: Context,
    fmt: str | None,
    output: Path | None,
    against: str | None,
    template: Path | None,
    jobs: int | None,
    merge: bool,
    paths: tuple[str, ...],
) -> None:
    """Publish the carried-patch report: status, age, links, what landed, carried per release.

    With several series DIRs (or --merge and the JSON reports they made), one report of the
    whole distribution (docs/report.md).

    \b
    Example:
      patchq report --format html --output report.html
      patchq report --format markdown --against 32.0.0 > carried.md
      patchq report --format json | jq '.summary'
      patchq report --against stable/2025.2 -o distro.html nova/ neutron/ cinder/
      patchq report --merge reports/*.json --format html -o distro.html
    """
    from patchq.report import build as reporting
    from patchq.report import render as report_render

    if merge or len(paths) > 1:
        from patchq.cli import fleet

        fleet.report_many(
            ctx,
            paths,
            merge=merge,
            fmt=fmt,
            output=output,
            against=against,
            template=template,
            jobs=jobs,
        )
        return
    if template is not None and fmt in ("json", "text"):
        raise click.UsageError(f"--template renders its own output: drop --format {fmt}")
    chosen = reporting.format_for(fmt, output)
    given = str(output) if output is not None else ""
    if ctx.directory:  # "as if started in DIR": relative paths are relative to DIR
        output = ctx.start / output if output is not None else None
        template = ctx.start / template if template is not None else None
    ws, current = series_for(ctx, *paths)
    if output is not None:
        ws.refuse_as_output(output)
    if ws.rebase_in_progress():
        console.info("patchq: a rebase is in progress: the report shows series.yaml as it is now")
    result = _status_against(ws, current, against) if against is not None else None
    model = reporting.build(ws, current, clock=reporting.Clock.from_env(), status=result)
    if output is None and chosen == "text" and template is None and sys.stdout.isatty():
        report_render.print_text(model, console.stdout_console())
        return
    text = report_render.render(model, chosen, template=template)
    if output is None:
        click.echo(text, nl=False)
        return
    from patchq.fsutil import write_output

    write_output(ctx.start / output, text.encode("utf-8"), shown=given)
    console.info(f"wrote {output.resolve()}")


def _status_against(ws: Workspace, current: Series, against: str) -> StatusResult:
    from patchq.status import pipeline as status_mod

    with ws.open_repo(current) as repo:
        return status_mod.evaluate(ws, current, repo, against=against, progress=True)


# == check (issue 6) =======================================================================


@click.command()
@click.option("--against", metavar="REF", help="Also check REF: landed (PQ009), conflicts (PQ010).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "github"]),
    default="text",
    show_default=True,
    help="junit: JUnit XML for Jenkins/GitLab/Zuul; github: workflow annotations.",
)
@click.option("--output", metavar="FILE", help="Write the report to FILE (atomically).")
@click.option(
    "--require-upstream",
    is_flag=True,
    help="Exit 2 when the upstream clone is missing instead of skipping its checks.",
)
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N", help=JOBS_HELP)
@click.argument("paths", nargs=-1, metavar="[DIR]...")
@global_options
@pass_ctx
def check(
    ctx: Context,
    against: str | None,
    fmt: str,
    output: str | None,
    require_upstream: bool,
    jobs: int | None,
    paths: tuple[str, ...],
) -> None:
    """Run every check on the series (the CI gate); exit 1 when one fails.

    Checks PQ001-PQ017 are listed in docs/ci.md. Warnings and skipped checks do not fail.
    With several series DIRs: a verdict per project, one JUnit file, exit 1 if any fails.

    \b
    Example:
      patchq check --against origin/master --format junit --output patchq-junit.xml
      patchq check --against origin/master --format junit --output junit.xml nova/ neutron/
    """
    from patchq.check import checks
    from patchq.check import output as check_output

    if len(paths) > 1:
        from patchq.cli import fleet

        fleet.check_many(
            ctx,
            paths,
            against=against,
            fmt=fmt,
            output=output,
            require_upstream=require_upstream,
            jobs=jobs,
        )
        return
    ws = ctx.workspace(*paths)
    if output:
        ws.refuse_as_output(ctx.start / output)
    report = checks.run(ws, against=against, require_upstream=require_upstream)
    to_terminal = output is None and fmt == "text"
    colour = to_terminal and console.color_enabled(sys.stdout)
    rendered = check_output.render(
        report,
        fmt,
        paint=render.check_paint if colour else None,
        path_prefix=check_output.repo_prefix(ws.root) if fmt == "github" else "",
    )
    if output is None:
        click.echo(rendered, nl=False)
    else:
        from patchq.fsutil import write_output

        # "as if started in DIR", like report --output
        write_output(ctx.start / output, rendered.encode("utf-8"), shown=output)
        console.info(f"{check_output.summary(report)}; wrote {output}")
    if report.failed:
        sys.exit(ExitCode.FOUND)


# == sync and propose (issue 14) ============================================================


@click.command()
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--dry-run", is_flag=True, help="Print the changes as a table; write nothing.")
@click.option("--offline", is_flag=True, help="Use the answers kept under .patchq/; no network.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@global_options
@pass_ctx
def sync(ctx: Context, names: tuple[str, ...], dry_run: bool, offline: bool, fmt: str) -> None:
    """Read each patch's review state (Gerrit) and bug state (Launchpad) into series.yaml.

    Patches with a Change-Id, a review URL or a Launchpad bug are asked about (or only the
    NAMEs). MERGED on the tracked branch makes a patch merged, NEW makes a pending patch
    submitted, an ABANDONED change under a submitted patch is flagged. Servers:
    upstream.gerrit, upstream.project and upstream.launchpad in series.yaml. A network
    failure writes nothing (exit 2).

    \b
    Example:
      patchq sync --dry-run
      patchq sync 0003-api-Validate-the-hw-watchdog_action-extra-spec
      patchq sync --offline --format json | jq '.patches[] | select(.flags != [])'
    """
    from patchq.sync import command, summary

    ws = ctx.workspace()
    result = command.run(ws, names, dry_run=dry_run, offline=offline)
    written = not dry_run and result.changed
    if fmt == "json":
        data = summary.as_json(result, dry_run=dry_run, written=written)
        click.echo(json.dumps(data, indent=2))
        return
    render.sync_changes(result, dry_run=dry_run, written=written, named=bool(names))


@click.command()
@click.argument("name")
@click.option(
    "--branch", default="master", show_default=True, metavar="B", help="Upstream branch to target."
)
@click.option("--push", "push_remote", metavar="REMOTE", help="Push it for review to REMOTE.")
@global_options
@pass_ctx
def propose(ctx: Context, name: str, branch: str, push_remote: str | None) -> None:
    """Prepare patch NAME for upstream review as branch patchq/propose/NAME in the clone.

    The patch is carried onto the tip of --branch in memory (the clone's HEAD, index and
    worktree are not touched). A patch without a Change-Id gets one, made the way Gerrit's
    commit-msg hook makes it, and written to the patch file and series.yaml. With --push
    REMOTE, the branch is pushed to refs/for/BRANCH and the patch marked submitted.

    \b
    Example:
      patchq propose 0008-compute-Log-the-instance-when-unshelve-fails
      patchq propose 3 --branch stable/2025.1 --push gerrit
    """
    from patchq.git import remote
    from patchq.propose import run as proposing

    ws = ctx.workspace()
    ws.refuse_during_rebase("propose")
    with ws.lock():
        current = ws.load()
        with ws.open_repo(current) as repo:
            if push_remote is not None:
                remote.require_remote(repo.path, push_remote)  # before anything is made
            proposal, updated, new_raw = proposing.propose(
                ws, current, repo, name=name, branch=branch
            )
            if new_raw is not None:
                ws.write_patch(proposal.patch.file, new_raw)
            if updated != current:
                ws.save(updated)
            how = "added" if proposal.added_change_id else "kept"
            console.info(
                f"created branch {proposal.short_ref} at {proposal.commit[:12]}: "
                f"{proposal.patch.file} on {branch} ({proposal.tip[:12]}), Change-Id "
                f"{proposal.change_id} ({how})"
            )
            command = proposing.push_command(repo, proposal, push_remote)
            if push_remote is None:
                where = repo.path.resolve()
                click.echo(
                    f"next: {command}\n"
                    f"  or: git -C {where} checkout {proposal.short_ref} && git review {branch}\n"
                    f"then: patchq mark {proposal.patch.name} submitted --review URL"
                )
                return
            summary, said = remote.push(
                repo.path,
                remote=push_remote,
                source=proposal.ref,
                target=f"refs/for/{branch}",
            )
        review = proposing.review_url(said)
        ws.save(proposing.mark_submitted(updated, proposal, review=review))
    click.echo(
        f"pushed {proposal.short_ref} to {push_remote} refs/for/{branch} ({summary}); "
        f"{proposal.patch.file} is now submitted" + (f", review {review}" if review else "")
    )


# == export (issue 13) =====================================================================


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["debian", "rpm", "mbox"]), help="What to write."
)
@click.argument("target", required=False, metavar="[DIR|SPEC|FILE]")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list every difference.")
@click.option("--changelog", metavar="TEXT", help="rpm: also add a %changelog entry.")
@global_options
@pass_ctx
def export(
    ctx: Context, fmt: str | None, target: str | None, check: bool, changelog: str | None
) -> None:
    """Write the series into the package: debian/patches, an RPM spec, or an mbox.

    \b
    debian DIR: DIR/series and each patch with a DEP-3 header.
    rpm SPEC:   the spec's PatchN lines (and %patch list); patch files beside it.
    mbox FILE:  one mbox `git am` applies, in series order.
    Without TARGET, the targets named in series.yaml (export:) are updated.
    Only files that change are written; nothing outside the target is touched.

    \b
    Example:
      patchq export --format debian ../debian/patches
      patchq export --format rpm ../openstack-nova.spec --changelog "Rebase onto 31.1.0"
      patchq export --check          # CI: exit 1 when the package is not what series.yaml says
    """
    from patchq.export import run as exporting
    from patchq.export.common import shown

    if check and changelog:
        raise click.UsageError("--changelog writes the spec: it cannot go with --check")
    if changelog is not None and fmt != "rpm":
        raise click.UsageError("--changelog goes with --format rpm")
    ws = ctx.workspace()
    ws.refuse_during_rebase("export")
    given = ctx.start / target if target is not None else None
    with ws.lock():
        current = ws.load()
        chosen = exporting.targets(ws, current, fmt, given)
        results = exporting.export(ws, current, chosen, check=check, changelog=changelog)
    if check:
        differ = [r for r in results if r.differences]
        for result in results:
            for line in result.differences:
                click.echo(line)
        for result in results:
            out = result.output
            state = f"{len(result.differences)} difference(s)" if result.differences else "matches"
            console.info(f"{out.format}: {shown(out.target)}: {state}")
        if differ:
            console.info("patchq: the package differs from series.yaml: run `patchq export`")
            sys.exit(ExitCode.FOUND)
        return
    for result in results:
        out, done = result.output, result.written
        assert done is not None
        removed = ", ".join(p.name for p in done.removed) or "none"
        console.info(
            f"{out.format}: {shown(out.target)}: {len(done.written)} written, {done.unchanged} "
            f"unchanged, removed: {removed}"
        )


COMMANDS = (
    init,
    list_,
    mark,
    drop,
    move,
    import_,
    demo,
    status,
    apply,
    rebase,
    report,
    check,
    sync,
    propose,
    export,
)
