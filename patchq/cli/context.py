"""What every command shares: the global options (-C, --upstream, --no-color, -q, -v) and the
Context that opens the workspace they point at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from patchq import console

if TYPE_CHECKING:
    from patchq.series.model import Series
    from patchq.series.workspace import Workspace

FORMATS = click.Choice(["text", "json"])


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

    def workspace(self, directory: str | None = None) -> Workspace:
        """The series in the working directory, or in `directory` (relative to it)."""
        from patchq.series.workspace import Workspace, find_root

        root = find_root(self.start / directory) if directory else self.root
        return Workspace(root, upstream_override=self.upstream)


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
            help="Show every git command and HTTP request patchq runs.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


pass_ctx = click.make_pass_decorator(Context)


def series_for(ctx: Context, directory: str | None = None) -> tuple[Workspace, Series]:
    ws = ctx.workspace(directory)
    return ws, ws.load()


def in_process(command: click.Command) -> Callable[[list[str]], int]:
    """A runner of `patchq ARGV` through `command` (the root group) in this process, returning
    the exit code: how the demo runs its steps."""

    def invoke(argv: list[str]) -> int:
        try:
            command.main(args=argv, prog_name="patchq", standalone_mode=False)
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 1
        return 0

    return invoke
