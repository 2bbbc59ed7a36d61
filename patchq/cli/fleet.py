"""The command-line side of many series at once (`report DIR...`, `report --merge`,
`check DIR...`): check the flags, call patchq.fleet, write the output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from patchq import console
from patchq.errors import EXIT_FINDINGS, PatchqError

if TYPE_CHECKING:
    from patchq.cli import Context


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
    if output is not None and ctx.directory:  # "as if started in DIR", like one report
        output = start / output
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
        if output is not None:
            for job in work:
                Workspace(job.root).refuse_as_output(output)
        rows = pool.fan_out(
            work, collect.report_series, jobs=jobs or pool.default_jobs(), description="series"
        )
        model = aggregate.build(rows, generated=clock.stamp)
    for project in model["projects"]:
        if project["error"] is not None:
            console.info(f"patchq: error: {project['source']}: {project['error']}")
    if output is None and chosen == "text" and sys.stdout.isatty():
        render.print_text(model, console.stdout_console())
    else:
        text = render.render(model, chosen)
        if output is None:
            click.echo(text, nl=False)
        else:
            reporting.write(text, output)
            console.info(f"wrote {output.resolve()}")
    if aggregate.failed(model):
        sys.exit(EXIT_FINDINGS)


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
    from patchq.fleet import gate, pool
    from patchq.fsutil import atomic_write

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
    to_terminal = output is None and fmt == "text"
    rendered = gate.render(projects, fmt, color=to_terminal and console.color_enabled(sys.stdout))
    if output is None:
        click.echo(rendered, nl=False)
    else:
        target = start / output
        if target.is_dir():
            raise PatchqError(
                f"cannot write --output {output}: it is a directory: give a file name"
            )
        try:
            atomic_write(target, rendered.encode("utf-8"))
        except OSError as exc:
            raise PatchqError(f"cannot write --output {output}: {exc.strerror}") from None
        console.info(f"{gate.summary(gate.ordered(projects))}; wrote {output}")
    code = gate.exit_code(projects)
    if code:
        sys.exit(code)
