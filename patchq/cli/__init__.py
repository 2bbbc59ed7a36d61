"""The command line: parse options, call the library, render the result. Nothing else.

Only click is imported at module level so `patchq --help` starts fast; each command imports
what it needs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from patchq import __version__, console
from patchq.errors import EXIT_USAGE, PatchqError

if TYPE_CHECKING:
    from patchq.series.model import Series
    from patchq.series.workspace import Workspace
    from patchq.status.verdict import StatusResult

FORMATS = click.Choice(["text", "json"])


class PatchqGroup(click.Group):
    """Turns PatchqError into one line on stderr and its exit code; never a traceback."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            usage_error(exc)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            usage_error(exc)
        except PatchqError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            click.echo("patchq: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(1)
        finally:
            cache = sys.modules.get("patchq.status.cache")
            if cache is not None:  # a command's cache write outlives no command
                cache.wait_for_writes()


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"patchq: error: {message}", err=True)
    sys.exit(code)


def usage_error(exc: click.UsageError) -> NoReturn:
    """A bad flag or argument: one line like every other error, pointing at --help."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # bare `patchq`: click shows the help
        raise exc
    sub = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
    where = " ".join(["patchq", *sub])
    message = exc.format_message()
    if message.endswith(".") and not message.endswith(".."):  # click's sentences; not "FILE..."
        message = message[:-1]
    fail(f"{message}: see `{where} --help`", exc.exit_code)


class Context:
    def __init__(self) -> None:
        self.directory: str | None = None
        self.upstream: str | None = None

    @property
    def start(self) -> Path:
        start = Path(self.directory) if self.directory else Path.cwd()
        if self.directory and not start.is_dir():
            why = "is not a directory" if start.exists() else "no such directory"
            raise click.UsageError(f"-C {self.directory}: {why}")
        return start.resolve()

    @property
    def root(self) -> Path:
        from patchq.series.workspace import find_root

        return find_root(self.start)

    def workspace(self) -> Workspace:
        from patchq.series.workspace import Workspace

        return Workspace(self.root, upstream_override=self.upstream)


def _set_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None or value is False:
        return
    obj = ctx.ensure_object(Context)
    if param.name == "chdir":
        obj.directory = value
    elif param.name == "upstream":
        # Only an explicit flag lands here; PATCHQ_UPSTREAM is the fallback Workspace reads.
        obj.upstream = value
    elif param.name == "no_color":
        console.settings.no_color = True
    elif param.name == "quiet":
        console.settings.quiet = True
    elif param.name == "verbose":
        console.settings.verbose = True


def global_options(func: Any) -> Any:
    """-C, --upstream, --no-color, -q and -v, accepted before or after the command name."""
    options = [
        click.option(
            "-C",
            "chdir",
            metavar="DIR",
            expose_value=False,
            callback=_set_global,
            help="Run as if started in DIR.",
        ),
        click.option(
            "--upstream",
            metavar="PATH",
            expose_value=False,
            callback=_set_global,
            help="Upstream clone (env PATCHQ_UPSTREAM; default upstream.path).",
        ),
        click.option(
            "--no-color",
            is_flag=True,
            expose_value=False,
            callback=_set_global,
            help="No colour (also when NO_COLOR is set).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_set_global,
            help="Only data and errors.",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_set_global,
            help="Show every git command patchq runs.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


pass_ctx = click.make_pass_decorator(Context)


@click.group(cls=PatchqGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="patchq")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Carry a distribution's downstream patches on top of upstream OpenStack.

    series.yaml lists the patches in patches/ in order, with their upstream status.

    \b
    Typical session:
      patchq init --upstream ../nova --base 31.0.0
      patchq import --range 31.0.0..stable-downstream
      patchq status --against 32.0.0
      patchq rebase --onto 32.0.0
      patchq report --format html --output report.html

    Exit codes: 0 success, 1 the command found what you asked about (conflicts, failed
    checks), 2 usage or configuration error.
    """
    ctx.ensure_object(Context)
    if os.environ.get("NO_COLOR"):
        console.settings.no_color = True


def main() -> None:
    try:
        cli(prog_name="patchq")
    except SystemExit as exc:
        code = exc.code
        if code is not None and not isinstance(code, int):
            raise
        _exit_now(code or 0)


def _exit_now(code: int) -> NoReturn:
    """Leave without the interpreter's teardown (tens of ms of freeing a large heap one object
    at a time, for nothing): every file and git process patchq opened is closed by now, and
    the cache writers were joined when the command returned."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        code = code or 1
    os._exit(code)


# == foundation: init, list, mark, drop, move ==============================================


@cli.command()
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


@cli.command(name="list")
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
        listing.print_table(rows)


@cli.command()
@click.argument("name")
@click.argument("status")
@click.option("--review", metavar="URL", help="Gerrit change URL.")
@click.option("--change-id", metavar="ID", help="Gerrit Change-Id (I + 40 hex).")
@click.option("--commit", metavar="SHA", help="Upstream commit it is or came from.")
@click.option("--bug", metavar="URL", help="Launchpad bug URL.")
@click.option("--reason", metavar="TEXT", help="Why it is carried.")
@click.option("--owner", metavar="O", help="Who looks after it.")
@global_options
@pass_ctx
def mark(
    ctx: Context,
    name: str,
    status: str,
    review: str | None,
    change_id: str | None,
    commit: str | None,
    bug: str | None,
    reason: str | None,
    owner: str | None,
) -> None:
    """Set a patch's upstream STATUS and links.

    STATUS is one of pending, submitted, merged, backport, rejected, downstream-only.
    NAME is a file name, a name without .patch, or a 1-based position.

    \b
    Example:
      patchq mark 3 submitted --review https://review.opendev.org/c/openstack/nova/+/951234
    """
    from patchq.series import edit
    from patchq.series import io as series

    ws = ctx.workspace()
    ws.refuse_during_rebase("mark")
    with ws.lock():
        current = ws.load()
        index = series.find_patch(current, name)
        new = edit.mark(
            current,
            index,
            status=edit.parse_status(status),
            links={"review": review, "change_id": change_id, "commit": commit, "bug": bug},
            reason=reason,
            owner=owner,
        )
        ws.save(new)
    console.info(f"{current.patches[index].file}: {status}")


@cli.command()
@click.argument("name")
@click.option("--reason", metavar="TEXT", help="Why it is dropped (kept in history).")
@global_options
@pass_ctx
def drop(ctx: Context, name: str, reason: str | None) -> None:
    """Remove a patch from the series and delete its file; history keeps a record.

    \b
    Example:
      patchq drop 0004-Fix-rbd-timeout --reason "fixed differently upstream"
    """
    from patchq.series import edit
    from patchq.series import io as series

    ws = ctx.workspace()
    ws.refuse_during_rebase("drop")
    with ws.lock():
        current = ws.load()
        index = series.find_patch(current, name)
        patch = current.patches[index]
        path = ws.patch_path(patch.file)
        subject = ws.read_patch(patch).subject if path.is_file() else ""
        ws.save(edit.drop(current, index, subject=subject, reason=reason))
        path.unlink(missing_ok=True)
    console.info(f"dropped {patch.file}")


@cli.command()
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
      patchq move 0007-Add-rbd-timeout --before 2
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
        count = len(current.patches)
        if to is not None:
            if not 1 <= to <= count:
                raise click.UsageError(f"--to {to}: positions run from 1 to {count}")
            target = to - 1
        else:
            other = series.find_patch(current, before or after or "")
            if other == index:
                raise click.UsageError("a patch cannot move relative to itself")
            target = other if before is not None else other + 1
            if index < target:
                target -= 1
        ws.save(edit.move(current, index, target))
    console.info(f"{current.patches[index].file} is now #{target + 1}")


def _series_for(ctx: Context) -> tuple[Workspace, Series]:
    ws = ctx.workspace()
    return ws, ws.load()


# == import and demo (issue 2) =============================================================


@cli.command(name="import")
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


@cli.command()
@click.argument("directory", required=False, metavar="[DIR]")
@global_options
def demo(directory: str | None) -> None:
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
    tour.run_steps(layout, tour.STEPS, say=click.echo)
    click.echo(f"\n# Done. Explore: cd {layout.packaging} && patchq list")


# == status and apply (issue 3) ============================================================


@cli.command()
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
    from patchq.status import pipeline as status_mod

    ws, current = _series_for(ctx)
    with ws.open_repo(current) as repo:
        result = status_mod.evaluate(ws, current, repo, against=against, progress=fmt == "text")
    if fmt == "json":
        click.echo(json.dumps(result.as_json(), indent=2))
        return
    status_mod.print_status(result, rebase_in_progress=ws.rebase_in_progress())


@cli.command()
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
    from patchq.carry import apply as apply_mod

    ws, current = _series_for(ctx)
    with ws.open_repo(current) as repo:
        done = apply_mod.apply_series(ws, current, repo, onto=onto, branch=branch, force=force)
    console.info(
        f"created branch {branch} at {done.head[:12]}: {done.onto_name} + {done.applied} "
        f"patches ({done.landed} landed upstream, left out)"
    )


# == rebase (issue 4) ======================================================================


@cli.command()
@click.option("--onto", metavar="REF", help="Upstream release to carry the series onto.")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option("--continue", "continue_", is_flag=True, help="Take the resolved worktree; go on.")
@click.option("--skip", is_flag=True, help="Leave the conflicting patch out; go on.")
@click.option("--reason", metavar="TEXT", help="Why the patch is skipped (kept in history).")
@click.option("--abort", is_flag=True, help="Put series.yaml and patches/ back as they were.")
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
) -> None:
    """Carry the series onto a new upstream release: drop what landed, refresh the rest.

    A conflicting patch stops the rebase in a patchq-owned worktree (path printed); resolve
    it there, then --continue, --skip or --abort.

    \b
    Example:
      patchq rebase --onto 32.0.0 --dry-run
      patchq rebase --onto 32.0.0
      patchq rebase --skip --reason "superseded by upstream rework"
    """
    from patchq.rebase import run as engine

    if sum((onto is not None, continue_, skip, abort)) != 1:
        raise click.UsageError("give exactly one of --onto REF, --continue, --skip, --abort")
    if dry_run and onto is None:
        raise click.UsageError("--dry-run goes with --onto REF")
    if reason is not None and not skip:
        raise click.UsageError("--reason goes with --skip")
    ws = ctx.workspace()
    if abort:
        with ws.lock():
            restored = engine.abort(ws)
        console.info(f"rebase aborted: series.yaml and patches/ restored ({restored} rewritten)")
        return
    if onto is not None and dry_run:
        report = engine.start(ws, onto, dry_run=True, progress=True)
    else:
        with ws.lock():
            if onto is not None:
                report = engine.start(ws, onto, progress=True)
            elif continue_:
                report = engine.resume(ws, progress=True)
            else:
                report = engine.skip(ws, reason=reason, progress=True)
    _render_rebase(report)
    if report.conflict is not None and not report.dry_run:
        sys.exit(1)


def _render_rebase(report: Any) -> None:
    """The plan or summary table on stdout; a stop at a conflict explained on stderr."""
    from rich.table import Table
    from rich.text import Text

    from patchq.rebase import report as engine

    styles = {
        engine.DROP: "yellow",
        engine.REFRESH: "cyan",
        engine.UNCHANGED: "green",
        engine.SKIP: "magenta",
        engine.CONFLICT: "bold red",
        engine.NOT_REACHED: "dim",
    }
    # A long series lists only the patches that need a look; the counts line covers the rest.
    quiet = (engine.REFRESH, engine.UNCHANGED)
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
    carried = counts[engine.REFRESH] + counts[engine.UNCHANGED]
    tally = (
        f"{counts[engine.DROP]} dropped, {counts[engine.REFRESH]} refreshed, "
        f"{counts[engine.UNCHANGED]} unchanged, {counts[engine.SKIP]} skipped; {carried} carried"
    )
    where = f"{report.onto} ({report.onto_commit[:12]})"
    conflict = report.conflict
    for line in report.left_behind:  # what the move leaves behind (base not in REF)
        click.echo(line)
    if report.dry_run:
        stop = f"; stops at {conflict.file}" if conflict is not None else ""
        click.echo(f"rebase onto {where} would give: {tally}{stop}")
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
        "resolve the files there (no need to commit), then run one of:",
        "  patchq rebase --continue              the worktree becomes this patch's new content",
        "  patchq rebase --skip [--reason TEXT]  leave this patch out of the series",
        "  patchq rebase --abort                 put series.yaml and patches/ back as they were",
    ]
    click.echo("\n".join(lines), err=True)


# == report (issue 5) ======================================================================


@cli.command()
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
@global_options
@pass_ctx
def report(
    ctx: Context, fmt: str | None, output: Path | None, against: str | None, template: Path | None
) -> None:
    """Publish the carried-patch report: status, age, links, what landed, carried per release.

    \b
    Example:
      patchq report --format html --output report.html
      patchq report --format markdown --against 32.0.0 > carried.md
      patchq report --format json | jq '.summary'
    """
    from patchq.report import build as reporting
    from patchq.report import render as report_render

    if template is not None and fmt in ("json", "text"):
        raise click.UsageError(f"--template renders its own output: drop --format {fmt}")
    chosen = reporting.format_for(fmt, output)
    if ctx.directory:  # "as if started in DIR": relative paths are relative to DIR
        output = ctx.start / output if output is not None else None
        template = ctx.start / template if template is not None else None
    ws, current = _series_for(ctx)
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
    reporting.write(text, output)
    console.info(f"wrote {output.resolve()}")


def _status_against(ws: Workspace, current: Series, against: str) -> StatusResult:
    from patchq.status import pipeline as status_mod

    with ws.open_repo(current) as repo:
        return status_mod.evaluate(ws, current, repo, against=against, progress=True)


# == check (issue 6) =======================================================================


@cli.command()
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
@global_options
@pass_ctx
def check(
    ctx: Context, against: str | None, fmt: str, output: str | None, require_upstream: bool
) -> None:
    """Run every check on the series (the CI gate); exit 1 when one fails.

    Checks PQ001-PQ013 are listed in docs/ci.md. Warnings and skipped checks do not fail.

    \b
    Example:
      patchq check --against origin/master --format junit --output patchq-junit.xml
    """
    from patchq.check import checks
    from patchq.check import output as check_output
    from patchq.errors import EXIT_FINDINGS
    from patchq.fsutil import atomic_write

    ws = ctx.workspace()
    if output:
        ws.refuse_as_output(ctx.start / output)
    report = checks.run(ws, against=against, require_upstream=require_upstream)
    to_terminal = output is None and fmt == "text"
    rendered = check_output.render(
        report,
        fmt,
        color=to_terminal and console.color_enabled(sys.stdout),
        path_prefix=check_output.repo_prefix(ws.root) if fmt == "github" else "",
    )
    if output is None:
        click.echo(rendered, nl=False)
    else:
        target = ctx.start / output  # "as if started in DIR", like report --output
        if not output or target.is_dir():
            raise PatchqError(
                f"cannot write --output {output!r}: it is a directory: give a file name"
            )
        blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise PatchqError(
                f"cannot write --output {output}: {blocker} is a file, not a directory"
            )
        try:
            atomic_write(target, rendered.encode("utf-8"))
        except OSError as exc:
            raise PatchqError(f"cannot write --output {output}: {exc.strerror}") from None
        console.info(f"{check_output.summary(report)}; wrote {output}")
    if report.failed:
        sys.exit(EXIT_FINDINGS)
