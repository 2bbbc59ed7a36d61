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
    from patchq.model import Series
    from patchq.workspace import Workspace

FORMATS = click.Choice(["text", "json"])


class PatchqGroup(click.Group):
    """Turns PatchqError into one line on stderr and its exit code; never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PatchqError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            click.echo("patchq: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(1)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"patchq: error: {message}", err=True)
    sys.exit(code)


class Context:
    def __init__(self) -> None:
        self.directory: str | None = None
        self.upstream: str | None = None

    @property
    def start(self) -> Path:
        start = Path(self.directory) if self.directory else Path.cwd()
        if self.directory and not start.is_dir():
            raise click.UsageError(f"-C {self.directory}: no such directory")
        return start.resolve()

    @property
    def root(self) -> Path:
        from patchq.workspace import find_root

        return find_root(self.start)

    def workspace(self) -> Workspace:
        from patchq.workspace import Workspace

        return Workspace(self.root, upstream_override=self.upstream)


def _set_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None or value is False:
        return
    obj = ctx.ensure_object(Context)
    if param.name == "directory":
        obj.directory = value
    elif param.name == "upstream":
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
            "directory",
            metavar="DIR",
            expose_value=False,
            callback=_set_global,
            help="Run as if started in DIR.",
        ),
        click.option(
            "--upstream",
            metavar="PATH",
            envvar="PATCHQ_UPSTREAM",
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
    cli(prog_name="patchq")


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
    from patchq import edit, series

    ws = ctx.workspace()
    ws.root = ctx.start
    if ws.exists():
        raise PatchqError(f"{ws.series_path} already exists: edit it, or remove it to start over")
    if not ctx.upstream:
        raise click.UsageError("patchq init needs --upstream PATH (the local upstream clone)")
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
    del series


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
    from patchq import listing

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
    from patchq import edit, series

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
    from patchq import edit, series

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
    from patchq import edit, series

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
    from patchq import status as status_mod

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
    from patchq import apply as apply_mod

    ws, current = _series_for(ctx)
    with ws.open_repo(current) as repo:
        done = apply_mod.apply_series(ws, current, repo, onto=onto, branch=branch, force=force)
    console.info(
        f"created branch {branch} at {done.head[:12]}: {done.onto_name} + {done.applied} "
        f"patches ({done.landed} landed upstream, left out)"
    )


# == rebase (issue 4) ======================================================================


# == report (issue 5) ======================================================================


# == check (issue 6) =======================================================================
