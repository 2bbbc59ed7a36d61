"""The command line: the click group, its global options, the error handler and main().

The commands are in cli.commands (options -> library call -> cli.render). Only click is
imported at module level so `patchq --help` starts fast; each command imports what it needs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from patchq import __version__, console
from patchq.cli import commands
from patchq.cli.context import Context, global_options
from patchq.errors import ExitCode, PatchqError


class PatchqGroup(click.Group):
    """Turns PatchqError into one line on stderr and its exit code, and a bug into one line,
    a crash log and exit 3; never a traceback (unless -v asks for it)."""

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
        except KeyboardInterrupt:
            click.echo("patchq: interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["patchq.argv"] = list(args)  # the command line, for a crash log
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            usage_error(exc)
        except PatchqError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            click.echo("patchq: interrupted", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        except BrokenPipeError:
            pipe_closed()
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own ways out (Exit and Abort are RuntimeErrors)
        except Exception as exc:
            internal_error(ctx, exc)


def fail(message: str, code: int = ExitCode.USAGE) -> NoReturn:
    click.echo(f"patchq: error: {message}", err=True)
    sys.exit(code)


def internal_error(ctx: click.Context, exc: Exception) -> NoReturn:
    """A bug: one line naming the crash log (the traceback too with -v), exit 3."""
    from patchq.cli import crash

    try:
        root: Path | None = ctx.ensure_object(Context).root
    except Exception:  # e.g. -C names no directory: the log goes to the cache dir
        root = None
    crash.report(exc, series_root=root, argv=ctx.meta.get("patchq.argv", sys.argv[1:]))
    sys.exit(ExitCode.BUG)


def pipe_closed() -> NoReturn:
    """The reader of stdout went away (`patchq list | head -1`): stop quietly, with the code
    of a tool killed by SIGPIPE; nothing more may reach the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(ExitCode.PIPE_CLOSED)


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
      patchq export --format debian ../debian/patches

    Exit codes: 0 success, 1 the command found what you asked about (conflicts, failed
    checks), 2 usage or configuration error, 3 internal error (a bug), 130 interrupted.
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
    at a time, for nothing): every file and git process patchq opened is closed by now (each
    command closes its Repo, which finishes its deferred cache write)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or ExitCode.PIPE_CLOSED
    except ValueError:
        code = code or 1
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stderr.flush()
    os._exit(code)


for _command in commands.COMMANDS:
    cli.add_command(_command)
