"""The command-line side of many series at once (`report DIR...`, `report --merge`,
`check DIR...`): check the flags, call patchq.fleet, write the output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from patchq import console
from patchq.fsutil import write_output

if TYPE_CHECKING:
    from patchq.cli.context import Context


def report_many(
    ctx: Context,
    paths: tuple[str, ...],
    *,
    merge: bool,
    fmt: str | None,
    output: Path | None,
    against: str | None,
    template: Path | None,
    jobs: int | None,
) -> None:
    """The aggregate report of several series directories, or of report JSON files."""
    from patchq.fleet import aggregate, render
    from patchq.report import build as reporting

    if template is not None:
        raise click.UsageError("--template renders one series' report: give a single DIR")
    if merge and (against is not None or jobs is not None):
        flag = "--against" if against is not None else "-j"
        raise click.UsageError(f"--merge reads finished reports: drop {flag}")
    if not paths:
        raise click.UsageError("--merge needs the report files: --merge FILE.json...")
    chosen = reporting.format_for(fmt, output)
    start = ctx.start
    given = str(output) if output is not None else ""
    target = start / output if output is not None else None  # "as if started in DIR"
    if merge:  # imports nothing of git's: it runs anywhere, fast
        from patchq.fleet import merge as merging

        model = merging.merge([start / p for p in paths], names=list(paths))
    else:
        from patchq.fleet import collect, pool
        from patchq.series.workspace import Workspace

        clock = reporting.Clock.from_env()
        work = collect.jobs_for(
            list(paths), start=start, upstream=ctx.upstream, against=against, clock=clock
        )
        if target is not None:
            for job in work:
                Workspace(job.root).refuse_as_output(target)
        rows = pool.fan_out(
            work, collect.report_series, jobs=jobs or pool.default_jobs(), description="series"
        )
        model = aggregate.build(rows, generated=clock.stamp)
    for project in model["projects"]:
        if project["error"] is not None:
            # not "patchq: error:": the command did its job; this project is a row of it
            console.info(f"patchq: {project['source']}: not reported: {project['error']}")
    if output is None and chosen == "text" and sys.stdout.isatty():
        render.print_text(model, console.stdout_console())
    else:
        text = render.render(model, chosen)
        if target is None:
            click.echo(text, nl=False)
        else:
            write_output(target, text.encode("utf-8"), shown=given)
            console.info(f"wrote {target.resolve()}")
    code = aggregate.exit_code(model)
    if code:
        sys.exit(code)


def check_many(
    ctx: Context,
    paths: tuple[str, ...],
    *,
    against: str | None,
    fmt: str,
    output: str | None,
    require_upstream: bool,
    jobs: int | None,
) -> None:
    """One gate over several series directories: a verdict per project, exit 1 if any fails."""
    from patchq.cli.render import check_paint
    from patchq.fleet import gate, pool

    start = ctx.start
    work = gate.jobs_for(
        list(paths),
        start=start,
        upstream=ctx.upstream,
        against=against,
        require_upstream=require_upstream,
    )
    projects = pool.fan_out(
        work, gate.check_series, jobs=jobs or pool.default_jobs(), description="series"
    )
    colour = output is None and fmt == "text" and console.color_enabled(sys.stdout)
    rendered = gate.render(projects, fmt, paint=check_paint if colour else None)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        write_output(start / output, rendered.encode("utf-8"), shown=output)
        console.info(f"{gate.summary(gate.ordered(projects))}; wrote {output}")
    code = gate.exit_code(projects)
    if code:
        sys.exit(code)
