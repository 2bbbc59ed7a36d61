"""Where output goes: data to stdout, diagnostics to stderr, colour and progress only on a tty."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


@dataclass
class Settings:
    """The global output options (-v, -q, --no-color), set once by the CLI."""

    verbose: bool = False
    quiet: bool = False
    no_color: bool = False


settings = Settings()


def color_enabled(stream: Any) -> bool:
    if settings.no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


_CONTROL = {c: "\ufffd" for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))}


def printable(text: str, *, keep: str = "\t\n") -> str:
    """Text from a patch or series.yaml made safe for a terminal, a pipe or a report: control
    characters (C0, DEL, C1) but those in `keep` become U+FFFD, so an ESC in a subject never
    recolours the screen or reaches a pipe as an ANSI code. The one scrubber patchq has."""
    table = _CONTROL if not keep else {c: r for c, r in _CONTROL.items() if chr(c) not in keep}
    return text.translate(table)


def stdout_console() -> Console:
    from rich.console import Console

    class PipeAwareConsole(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 itself; the CLI's own handler ends quietly, like any closed pipe.
            self.quiet = True
            raise BrokenPipeError

    tty = sys.stdout.isatty()
    return PipeAwareConsole(
        file=sys.stdout,
        no_color=not color_enabled(sys.stdout),
        highlight=False,
        # Piped output is for grep and logs: one line per row, never folded at 80 columns.
        width=None if tty else 400,
        soft_wrap=not tty,
    )


def stderr_console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, no_color=not color_enabled(sys.stderr), highlight=False)


def info(message: str) -> None:
    """A diagnostic line on stderr, silenced by -q."""
    if not settings.quiet:
        print(message, file=sys.stderr)


def debug(message: str) -> None:
    """Shown with -v only: every git command patchq runs goes through here."""
    if settings.verbose:
        print(message, file=sys.stderr)


@contextmanager
def progress(description: str, total: int) -> Iterator[Any]:
    """A rich progress bar on a terminal; a no-op advancer when piped or quiet."""
    if settings.quiet or not sys.stderr.isatty():
        yield _NoProgress()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield _BarAdvancer(bar, task)


class _NoProgress:
    def advance(self, step: int = 1, description: str | None = None) -> None:
        pass


class _BarAdvancer:
    def __init__(self, bar: Any, task: Any) -> None:
        self.bar, self.task = bar, task

    def advance(self, step: int = 1, description: str | None = None) -> None:
        if description is not None:
            self.bar.update(self.task, description=description)
        self.bar.advance(self.task, step)
