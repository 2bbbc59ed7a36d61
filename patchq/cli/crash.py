"""A bug (an exception patchq did not expect): one line on stderr, the details in a crash log.

The log goes to `.patchq/crash.log` of the series directory, or to the user cache directory
($XDG_CACHE_HOME/patchq, else ~/.cache/patchq) when there is no series; it holds the command
line, the versions and the full traceback of the last crash.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import traceback
from pathlib import Path

from patchq import __version__, console

LOG_NAME = "crash.log"


def log_dirs(series_root: Path | None) -> list[Path]:
    """Where a crash log may go, best first."""
    dirs = []
    if series_root is not None and (series_root / "series.yaml").is_file():
        dirs.append(series_root / ".patchq")
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    dirs.append(Path(cache) / "patchq")
    return dirs


def details(exc: BaseException, argv: list[str]) -> str:
    lines = [
        f"patchq {__version__} internal error at {dt.datetime.now(dt.timezone.utc).isoformat()}",
        f"command: {' '.join(['patchq', *argv])}",
        f"cwd: {os.getcwd()}",
        f"python {platform.python_version()} on {platform.platform()}",
        "",
        *traceback.format_exception(type(exc), exc, exc.__traceback__),
    ]
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


def write_log(text: str, series_root: Path | None) -> Path | None:
    """The path the crash log was written to; None when no directory would take it."""
    for directory in log_dirs(series_root):
        try:
            fresh = not directory.exists()
            directory.mkdir(parents=True, exist_ok=True)
            if fresh and directory.name == ".patchq":
                (directory / ".gitignore").write_text("# patchq's own state: never commit it\n*\n")
            path = directory / LOG_NAME
            path.write_text(text, encoding="utf-8", errors="replace")
            return path
        except OSError:
            continue
    return None


def report(exc: BaseException, *, series_root: Path | None, argv: list[str]) -> None:
    """Say that patchq hit a bug, in one line (and the traceback with -v)."""
    text = details(exc, argv)
    path = write_log(text, series_root)
    what = console.printable(f"{type(exc).__name__}: {exc}".replace("\n", " "))
    if console.settings.verbose or path is None:
        print(text, file=sys.stderr, end="")
    where = f"details in {path}" if path is not None else "details above"
    print(f"patchq: internal error: {what}; {where}; please report it", file=sys.stderr)
